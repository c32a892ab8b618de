"""PixelCNN sampling speed: the cached sampler, the naive one and a keras.io-style loop, side by side.

    python benchmarks/pixelcnn.py [--preset pixelcnn_fashion_mnist] [--num 16] [--rounds 3]
    python benchmarks/pixelcnn.py --memory          # peak memory of log_prob on the binarized test split

Each round draws `--num` 28x28 images with every contestant in turn (interleaved, so
a slow spell of this noisy machine hits all of them) and the table has the median
images/s, and each one's ratio to the cached sampler:

- `cached`: `PixelCNN.sample` (each pixel updates cached activations; one XLA loop);
- `naive`: `PixelCNN.sample(method="naive")` (a full forward pass per pixel; one traced loop);
- `keras.io`: what the keras.io PixelCNN example does, one `Model.predict` of the whole
  batch per pixel from Python, here on the same network.

The cached and the naive sampler must draw the same images; the script checks it.
The first call of each contestant (tracing and compiling) is not timed.
"""

import argparse
import os
import resource
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import kgen  # noqa: E402, F401 - before TensorFlow: kgen chooses its CPU kernels (kgen.core.cpu_kernels)

# isort: split

import keras  # noqa: E402
import numpy as np  # noqa: E402

from kgen import datasets  # noqa: E402
from kgen.models import PixelCNN  # noqa: E402


def keras_io_sampler(model):
    """The keras.io example's sampling loop: one `predict` per pixel, sampled in numpy."""
    inputs = keras.Input(model.image_shape)
    probabilities = keras.Model(inputs, keras.layers.Lambda(lambda x: keras.ops.sigmoid(model.network(x)))(inputs))

    def sample(n, seed):
        rng = np.random.default_rng(seed)
        pixels = np.zeros((n,) + model.image_shape, "float32")
        height, width, channels = model.image_shape
        for row in range(height):
            for col in range(width):
                for channel in range(channels):
                    p = probabilities.predict(pixels, verbose=0)[:, row, col, channel]
                    pixels[:, row, col, channel] = np.ceil(p - rng.random(n))
        return pixels

    return sample


def timed(sample, n, seed):
    start = time.perf_counter()
    sample(n, seed)
    return time.perf_counter() - start


def speed(args):
    model = PixelCNN.from_preset(args.preset)
    contestants = {
        "cached": lambda n, seed: model.sample(n, seed=seed),
        "naive": lambda n, seed: model.sample(n, seed=seed, method="naive"),
        "keras.io": keras_io_sampler(model),
    }
    if not np.array_equal(model.sample(args.num, seed=0), model.sample(args.num, seed=0, method="naive")):
        raise SystemExit("the cached and the naive sampler drew different images")
    for sample in contestants.values():
        sample(args.num, 0)
    seconds = {name: [] for name in contestants}
    for round_ in range(args.rounds):
        for name, sample in contestants.items():
            seconds[name].append(timed(sample, args.num, round_ + 1))
    rate = {name: args.num / statistics.median(times) for name, times in seconds.items()}
    print(f"{args.preset}: {args.num} images of {'x'.join(map(str, model.image_shape))} per call, "
          f"median of {args.rounds} interleaved rounds (identical cached and naive images: yes)")
    print("| sampler | images/s | seconds per call | cached is |")
    print("| --- | --- | --- | --- |")
    for name in contestants:
        print(f"| {name} | {rate[name]:.2f} | {statistics.median(seconds[name]):.2f} | "
              f"{rate['cached'] / rate[name]:.1f}x |")


def memory(args):
    model = PixelCNN.from_preset(args.preset)
    x = datasets.binarize(datasets.load_fashion_mnist("test")[0], seed=0)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    start = time.perf_counter()
    nll = -model.log_prob(x)
    print(f"{len(x)} binarized test images: exact NLL {nll.mean():.2f} nats in {time.perf_counter() - start:.0f} s")
    print(f"peak resident memory: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2:.2f} GB "
          f"(after loading model and data: {before:.2f} GB)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="pixelcnn_fashion_mnist")
    parser.add_argument("--num", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--memory", action="store_true")
    args = parser.parse_args()
    (memory if args.memory else speed)(args)


if __name__ == "__main__":
    main()
