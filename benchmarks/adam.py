"""kgen's Adam (one fused TensorFlow kernel per variable) beside Keras's Adam, in one process.

Two copies of the VAE preset's networks (`kgen.recipes.VAEFashionMNIST`), one compiled with
`keras.optimizers.Adam(1e-3)`, one with `kgen.optimizers.Adam(1e-3)`, timed in interleaved
rounds on the same Fashion-MNIST images, three ways each: the optimizer's update alone (fixed
gradients, `optimizer.apply` in a tf.function), the whole training step (`train_step` in a
tf.function over batches held in memory) and a `fit` epoch. Prints the median milliseconds per
step of each and kgen's speed-up. It first checks that both optimizers move the weights alike.

    python benchmarks/adam.py [--images 12800] [--rounds 5] [--batch-size 128]
"""

import argparse
import os
import statistics
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import kgen  # noqa: E402, F401 - before TensorFlow: kgen chooses its CPU kernels (kgen.core.cpu_kernels)

# isort: split
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from interleaved import interleaved_seconds  # noqa: E402

from kgen import datasets, optimizers  # noqa: E402
from kgen.recipes import ImageData, VAEFashionMNIST  # noqa: E402

OPTIMIZERS = {"Keras Adam": keras.optimizers.Adam, "kgen Adam": optimizers.Adam}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=12800)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=128)
    args = parser.parse_args()

    x, _ = datasets.load_fashion_mnist("train")
    x = x[: args.images]
    recipe = VAEFashionMNIST()
    models = {}
    for label, optimizer in OPTIMIZERS.items():
        keras.utils.set_random_seed(0)
        models[label] = recipe.build(ImageData(x, features=None))
        models[label].compile(optimizer=optimizer(1e-3))

    rng = np.random.default_rng(0)
    gradients = [tf.constant(rng.normal(scale=1e-2, size=v.shape).astype("float32"))
                 for v in models["Keras Adam"].trainable_variables]
    applies = {label: tf.function(lambda m=m: m.optimizer.apply(gradients, m.trainable_variables))
               for label, m in models.items()}
    for label in models:
        for _ in range(3):
            applies[label]()
    difference = max(float(np.max(np.abs(a.numpy() - b.numpy()))) for a, b in
                     zip(*(m.trainable_variables for m in models.values())))
    print(f"largest weight difference after 3 updates from the same weights: {difference:.2g}")

    batches = [tf.constant(x[i: i + args.batch_size]) for i in range(0, len(x), args.batch_size)]

    def steps(step):
        def run():
            for batch in batches:
                logs = step(batch)
            tf.nest.map_structure(lambda t: t.numpy(), logs)
        return run

    def updates(model, apply):
        def run():
            for _ in batches:
                apply()
            model.optimizer.iterations.numpy()
        return run

    contestants = {}
    for label, model in models.items():
        contestants[f"{label}: update alone"] = updates(model, applies[label])
        contestants[f"{label}: train_step"] = steps(tf.function(model.train_step))
        contestants[f"{label}: fit epoch"] = (
            lambda model=model: model.fit(x, epochs=1, batch_size=args.batch_size, verbose=0))
    seconds = interleaved_seconds(contestants, args.rounds)
    per_step = {name: 1000 * statistics.median(times) / len(batches) for name, times in seconds.items()}
    print(f"VAE preset networks, {len(x)} images, batch {args.batch_size}, {len(batches)} steps, "
          f"{args.rounds} interleaved rounds, {os.cpu_count()} CPUs")
    print(f"{'what':24} {'Keras Adam ms/step':>18} {'kgen Adam ms/step':>17} {'kgen speed-up':>13}")
    for what in ("update alone", "train_step", "fit epoch"):
        keras_ms, kgen_ms = per_step[f"Keras Adam: {what}"], per_step[f"kgen Adam: {what}"]
        print(f"{what:24} {keras_ms:18.2f} {kgen_ms:17.2f} {keras_ms / kgen_ms:12.2f}x")


if __name__ == "__main__":
    main()
