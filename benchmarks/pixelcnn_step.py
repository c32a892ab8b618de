"""PixelCNN training step: the XLA-fused gate against the same gate as separate TensorFlow ops.

    python benchmarks/pixelcnn_step.py [--filters 32] [--num-layers 12] [--batch-size 64] [--rounds 5]

Times one gradient step (forward, loss, backward; no optimizer update) of the
`pixelcnn_fashion_mnist` architecture on a batch of binary 28x28 images, in float32 and
in bfloat16, with `network(..., fused=True)` (what `fit` runs: tanh(a) * sigmoid(b) as one
XLA cluster) and `fused=False` (split, tanh, sigmoid and multiply as four TensorFlow
ops, each streaming the activation through memory). The contestants run in turn in
each round; the table has the median milliseconds a step and each one's speed-up
over the unfused float32 step.
"""

import argparse
import os
import statistics

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import kgen  # noqa: E402, F401 - before TensorFlow: kgen chooses its CPU kernels (kgen.core.cpu_kernels)

# isort: split

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from interleaved import interleaved_seconds  # noqa: E402

from kgen.models import PixelCNN  # noqa: E402


def gradient_step(model, dtype, fused):
    @tf.function
    def step(images):
        with tf.GradientTape() as tape:
            logits = model.network(images, None, dtype, fused=fused)
            loss = -tf.reduce_mean(model.log_prob_of_logits(logits, images))
        return tape.gradient(loss, model.trainable_variables)

    return step


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--filters", type=int, default=32)
    parser.add_argument("--num-layers", type=int, default=12)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--steps", type=int, default=5, help="steps timed per round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    model = PixelCNN(image_shape=(28, 28, 1), filters=args.filters, num_layers=args.num_layers, seed=0)
    images = tf.constant((np.random.default_rng(0).random((args.batch_size, 28, 28, 1)) < 0.3).astype("float32"))
    contestants = {f"{name} {'fused' if fused else 'unfused'}": gradient_step(model, dtype, fused)
                   for name, dtype in (("float32", tf.float32), ("bfloat16", tf.bfloat16)) for fused in (False, True)}

    def steps(step, count):
        for _ in range(count):
            gradients = step(images)
        tf.nest.map_structure(lambda t: t.numpy(), gradients)

    for step in contestants.values():
        steps(step, 1)  # trace and compile, untimed
    seconds = interleaved_seconds({name: lambda step=step: steps(step, args.steps)
                                   for name, step in contestants.items()}, args.rounds, warm_up=False)
    times = {name: [1000 * s / args.steps for s in values] for name, values in seconds.items()}
    base = statistics.median(times["float32 unfused"])
    print(f"PixelCNN {args.filters} filters x {args.num_layers} blocks, batch {args.batch_size}: median of "
          f"{args.rounds} interleaved rounds of {args.steps} gradient steps")
    print("| step | ms | speed-up over float32 unfused |")
    print("| --- | --- | --- |")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"| {name} | {median:.0f} | {base / median:.2f}x |")


if __name__ == "__main__":
    main()
