"""kgen's VAE beside the keras.io-style conv VAE, in one process, on the same data.

Speed (default): trains each model on the same Fashion-MNIST images with the same
batch size, one epoch at a time in turn, and prints the median epochs/s of each and
the ratio to the reference, for kgen's preset architecture (without and with
XLA, `jit_compile=True`) and for kgen's VAE on the reference's own network.
Tracing is excluded: each model first runs one untimed epoch.

    python benchmarks/vae.py [--epochs 5] [--batch-size 128] [--latent-dim 16]

Quality (--quality): trains kgen's preset recipe and the reference for the same
number of epochs (reference: Adam 1e-3, single-sample ELBO, dynamically binarized
batches so both see the same data) and prints the test ELBO and the IWAE NLL
(k importance samples) of both on the binarized test split.

    python benchmarks/vae.py --quality --epochs 50 [--num-samples 1000] [--limit 2000]
"""

import argparse
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from vae_reference import ReferenceVAE, keras_io_parts  # noqa: E402

from kgen import datasets  # noqa: E402
from kgen.eval import scores as eval_scores  # noqa: E402
from kgen.recipes import ImageData, VAEFashionMNIST  # noqa: E402


def speed(args):
    """Median seconds per epoch of each model, epochs interleaved so machine noise hits all alike."""
    import statistics

    from kgen.models import VAE

    x, _ = datasets.load_fashion_mnist("train")
    x = x[: args.images]
    reference = ReferenceVAE(args.latent_dim)
    reference.compile(optimizer=keras.optimizers.Adam())
    recipe = VAEFashionMNIST(latent_dim=args.latent_dim)
    preset = recipe.build(None)
    preset.compile()
    preset_xla = recipe.build(None)
    preset_xla.compile(jit_compile=True)
    same_network = VAE(*keras_io_parts(args.latent_dim), args.latent_dim)
    same_network.compile()
    models = {
        "keras.io-style reference": reference,
        "kgen VAE, preset architecture": preset,
        "kgen VAE, preset arch., XLA": preset_xla,
        "kgen VAE, keras.io architecture": same_network,
    }
    for model in models.values():  # an untimed epoch traces every batch shape
        model.fit(x, epochs=1, batch_size=args.batch_size, verbose=0)
    seconds = {label: [] for label in models}
    for _ in range(args.epochs):
        for label, model in models.items():
            start = time.perf_counter()
            model.fit(x, epochs=1, batch_size=args.batch_size, verbose=0)
            seconds[label].append(time.perf_counter() - start)
    medians = {label: statistics.median(times) for label, times in seconds.items()}
    base = medians["keras.io-style reference"]
    print(f"{len(x)} images, batch {args.batch_size}, {args.epochs} interleaved epochs each, "
          f"latent {args.latent_dim}, {os.cpu_count()} CPUs")
    print(f"{'model':34} {'params':>9} {'median s/epoch':>14} {'fastest':>8} {'epochs/s':>9} {'vs reference':>12}")
    for label, model in models.items():
        params = sum(int(np.prod(v.shape)) for v in model.trainable_variables)
        print(f"{label:34} {params:9,d} {medians[label]:14.2f} {min(seconds[label]):8.2f} "
              f"{1 / medians[label]:9.4f} {base / medians[label]:11.2f}x")


def quality(args):
    x_train, _ = datasets.load_fashion_mnist("train")
    x_test = datasets.binarize(datasets.load_fashion_mnist("test")[0][: args.limit], seed=0)
    keras.utils.set_random_seed(args.seed)
    binarized = (
        tf.data.Dataset.from_tensor_slices(x_train)
        .shuffle(len(x_train), seed=args.seed)
        .batch(args.batch_size, drop_remainder=True)
        .map(lambda x: tf.cast(tf.random.uniform(tf.shape(x)) < x, tf.float32))
        .prefetch(tf.data.AUTOTUNE)
    )
    reference = ReferenceVAE(args.latent_dim)
    reference.compile(optimizer=keras.optimizers.Adam(1e-3))
    start = time.perf_counter()
    reference.fit(binarized, epochs=args.epochs, verbose=2)
    reference_minutes = (time.perf_counter() - start) / 60
    reference_nll = -reference.log_likelihood(x_test, num_samples=args.num_samples)

    start = time.perf_counter()
    recipe = VAEFashionMNIST(epochs=args.epochs, latent_dim=args.latent_dim, seed=args.seed)
    vae = recipe.build(None)
    recipe.fit(vae, ImageData(x_train), verbose=2)
    kgen_minutes = (time.perf_counter() - start) / 60
    scores = eval_scores.vae_scores(vae, x_test, num_samples=args.num_samples)
    nll = scores[f"test_nll_iwae_k{args.num_samples}"]
    print(f"{len(x_test)} binarized test images, IWAE k={args.num_samples}, {args.epochs} epochs, "
          f"latent {args.latent_dim}")
    print(f"{'model':26} {'train min':>9} {'NLL':>8} {'sem':>5}")
    print(f"{'keras.io-style reference':26} {reference_minutes:9.1f} {reference_nll.mean():8.2f} "
          f"{reference_nll.std(ddof=1) / np.sqrt(len(reference_nll)):5.2f}")
    print(f"{'kgen VAE (preset recipe)':26} {kgen_minutes:9.1f} {nll:8.2f} "
          f"{scores[f'test_nll_iwae_k{args.num_samples}_sem']:5.2f}  (ELBO {scores['test_elbo']:.2f}, "
          f"gap {scores['elbo_iwae_gap']:.2f})")
    print(f"NLL difference, reference - kgen: {reference_nll.mean() - nll:.2f} nats")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quality", action="store_true")
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--latent-dim", type=int, default=VAEFashionMNIST().latent_dim)
    parser.add_argument("--images", type=int, default=60000, help="training images for the speed run")
    parser.add_argument("--num-samples", type=int, default=1000)
    parser.add_argument("--limit", type=int, default=None, help="score only the first N test images")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.quality:
        args.epochs = args.epochs or VAEFashionMNIST().epochs
        quality(args)
    else:
        args.epochs = args.epochs or 5
        speed(args)


if __name__ == "__main__":
    main()
