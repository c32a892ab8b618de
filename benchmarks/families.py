"""The lecture's three families on one table: PixelCNN, VAE and GAN presets on the same test images.

    python benchmarks/families.py [--iwae-samples 5000] [--limit N] [--steps 30]

On the 10,000 Fashion-MNIST test images binarized once with seed 0 (the images both
likelihood cards score), it measures the PixelCNN's exact NLL, the VAE's ELBO and its
IWAE bound with k = `--iwae-samples`; a GAN has no likelihood. For each preset it
prints the FD of its samples as its card records it (10,000 samples against the test
split, on the shipped classifier's features), sampling speed measured here (images/s,
median of 3 interleaved rounds of 100 images: the PixelCNN's cached sampler, the VAE's
decoder, the GAN's generator), parameters, and the training time of its recipe on this
machine, estimated as epochs x steps per epoch x the time of a step (the median of 3
`fit` calls of `--steps` steps after a warm-up, at the recipe's batch size and precision).
"""

import argparse
import itertools
import math
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from interleaved import interleaved_seconds  # noqa: E402

from kgen import datasets, presets, recipes  # noqa: E402
from kgen.models import DCGAN, VAE, PixelCNN  # noqa: E402
from kgen.recipes.training import steps_per_epoch  # noqa: E402

FAMILIES = (("PixelCNN", PixelCNN, "pixelcnn_fashion_mnist"), ("VAE", VAE, "vae_fashion_mnist"),
            ("GAN (DCGAN)", DCGAN, "dcgan_fashion_mnist"))


def sampler(model):
    if isinstance(model, DCGAN):
        return lambda n, seed: model.generate(n, seed=seed)
    return lambda n, seed: model.sample(n, seed=seed)


def sampling_rates(models, n=100, rounds=3):
    draws = {name: sampler(model) for name, model in models.items()}
    for draw in draws.values():
        draw(n, 0)
    seeds = itertools.count(1)  # every timed draw its own seed
    seconds = interleaved_seconds({name: lambda draw=draw: draw(n, next(seeds)) for name, draw in draws.items()},
                                  rounds, warm_up=False)
    return {name: n / statistics.median(times) for name, times in seconds.items()}


def training_minutes(preset, x_train, steps):
    """The recipe's whole training time, from the median of 3 timed `fit` calls of `steps` steps
    (the labels a recipe conditions on, such as the DCGAN's k-means clusters, prepared first)."""
    recipe = recipes.RECIPES[preset]()
    data = recipe.prepare(recipes.ImageData(x_train))
    model = recipe.build(data)
    recipe.compile(model, data)
    batch = recipe.batch_size

    def fit(start, stop):
        labels = None if data.conditioning is None else data.conditioning[start:stop]
        model.fit(x_train[start:stop], labels, batch_size=batch, epochs=1, verbose=0)

    fit(0, 2 * batch)
    times = []
    for _ in range(3):
        start = time.perf_counter()
        fit(0, steps * batch)
        times.append((time.perf_counter() - start) / steps)
    per_step = statistics.median(times)
    return recipe.epochs * steps_per_epoch(len(x_train), batch) * per_step / 60, recipe.epochs


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iwae-samples", type=int, default=5000)
    parser.add_argument("--limit", type=int, default=None, help="score the first N test images only")
    parser.add_argument("--steps", type=int, default=30, help="timed training steps per recipe")
    args = parser.parse_args()
    x_train = datasets.load_fashion_mnist("train")[0]
    x_test = datasets.binarize(datasets.load_fashion_mnist("test")[0][: args.limit], seed=0)
    models = {name: cls.from_preset(preset) for name, cls, preset in FAMILIES}
    pixelcnn, vae = models["PixelCNN"], models["VAE"]
    # the timings first, while nothing else of this script's work is running
    rates = sampling_rates(models)
    training = {preset: training_minutes(preset, x_train, args.steps) for _, _, preset in FAMILIES}

    nll = -pixelcnn.log_prob(x_test)
    elbo = vae.elbo(x_test, num_samples=10)
    iwae = -vae.log_likelihood(x_test, num_samples=args.iwae_samples)

    def nats(values):
        return f"{values.mean():.2f} ± {values.std(ddof=1) / math.sqrt(len(values)):.2f}"

    likelihood = {
        "PixelCNN": (f"exact NLL {nats(nll)}", f"{nll.mean() / (784 * math.log(2)):.4f}"),
        "VAE": (f"<= {nats(-elbo)} (-ELBO); <= {nats(iwae)} (IWAE, k = {args.iwae_samples:,})",
                f"<= {iwae.mean() / (784 * math.log(2)):.4f} (IWAE)"),
        "GAN (DCGAN)": ("none: a GAN defines no density", "n/a"),
    }
    print(f"{len(x_test):,} binarized test images (seed 0); nats per image, ± standard error over images")
    print("| family | preset | test NLL (nats) | bits/dim | FD of samples (card) | sampling images/s | "
          "parameters | training time here (estimated) |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, _, preset in FAMILIES:
        metadata = presets.read_metadata(presets.resolve(preset))
        minutes, epochs = training[preset]
        print(f"| {name} | `{preset}` | {likelihood[name][0]} | {likelihood[name][1]} | "
              f"{metadata['metrics']['fd_test']} | {rates[name]:,.1f} | {models[name].count_params():,} | "
              f"{minutes:.0f} min ({epochs} epochs) |")


if __name__ == "__main__":
    main()
