"""kgen's VAE beside the keras.io-style conv VAE, in one process, on the same data.

Speed (default): trains each model on the same Fashion-MNIST images with the same
batch size, one epoch at a time in turn, and prints the median epochs/s of each and
the ratios to the reference and to PyTorch, for kgen's preset architecture (float32;
bfloat16, `compile(precision="bfloat16")`; float32 with XLA, `jit_compile=True`),
for kgen's VAE on the reference's own network and, when torch is importable, for
the preset's networks re-implemented layer for layer in PyTorch
(benchmarks/vae_torch.py; trainable parameter counts asserted equal to kgen's), in
float32 and under bfloat16 autocast, with the same loss (single-sample negative
ELBO on dynamically binarized images, analytic KL) and Adam(1e-3). "vs PyTorch"
compares each row with the PyTorch row of its own precision. The last two lines
are issue 17's targets: kgen float32 against PyTorch float32, and kgen bfloat16
against kgen float32. Tracing is excluded: each model first runs one untimed epoch.
Run it on an otherwise idle machine: PyTorch's OpenMP threads wait on each other at
every parallel region, and with the cores busy elsewhere its rows ran 10x (float32)
to 30x (bfloat16) slower than when alone (OMP_WAIT_POLICY=PASSIVE or one thread
recovers most of it), while TensorFlow's thread pool degrades gracefully.

    python benchmarks/vae.py [--epochs 5] [--batch-size 128] [--latent-dim 16] [--images 60000]
                             [--precision both|float32]   # float32: no bfloat16 rows (where bfloat16 is emulated)
    python benchmarks/vae.py --images 512 --epochs 1     # smoke test only, numbers meaningless

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
import kgen  # noqa: E402, F401 - before TensorFlow: kgen chooses its CPU kernels (kgen.core.cpu_kernels)

# isort: split
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from interleaved import interleaved_seconds  # noqa: E402
from vae_reference import ReferenceVAE, keras_io_parts  # noqa: E402

from kgen import datasets  # noqa: E402
from kgen.core import cpu_kernels  # noqa: E402
from kgen.eval import scores as eval_scores  # noqa: E402
from kgen.recipes import ImageData, VAEFashionMNIST  # noqa: E402


def _load_torch():
    try:
        import vae_torch
    except ImportError as error:
        print(f"PyTorch rows skipped: torch is not importable ({error}); `pip install torch` to add them.")
        return None
    return vae_torch


def speed(args):
    """Median seconds per epoch of each model, epochs interleaved so machine noise hits all alike."""
    import statistics

    from kgen.models import VAE

    x, _ = datasets.load_fashion_mnist("train")
    x = x[: args.images]
    reference = ReferenceVAE(args.latent_dim)
    reference.compile(optimizer=keras.optimizers.Adam())
    recipe = VAEFashionMNIST(latent_dim=args.latent_dim)
    data = ImageData(x, features=None)  # sizes the preset's networks
    precisions = ("float32", "bfloat16") if args.precision == "both" else ("float32",)
    preset = recipe.build(data)
    preset.compile()
    preset_xla = recipe.build(data)
    preset_xla.compile(jit_compile=True)
    same_network = VAE(*keras_io_parts(args.latent_dim), args.latent_dim)
    same_network.compile()
    models = {
        "keras.io-style reference": reference,
        "kgen VAE, preset architecture": preset,
        "kgen VAE, preset arch., XLA": preset_xla,
        "kgen VAE, keras.io architecture": same_network,
    }
    if "bfloat16" in precisions:
        models["kgen VAE, preset architecture, bfloat16"] = preset_bf16 = recipe.build(data)
        preset_bf16.compile(precision="bfloat16")
    params = {label: sum(int(np.prod(v.shape)) for v in model.trainable_variables) for label, model in models.items()}
    contestants = {  # label -> one epoch
        label: lambda model=model: model.fit(x, epochs=1, batch_size=args.batch_size, verbose=0)
        for label, model in models.items()
    }
    vae_torch = _load_torch()
    torch_labels = {}  # precision -> the PyTorch row's label
    if vae_torch is not None:
        import torch

        nchw = np.ascontiguousarray(x.transpose(0, 3, 1, 2))  # once, outside the timed epochs
        parts = {"encoder": preset.encoder, "decoder": preset.decoder}
        kgen_counts = {name: sum(int(np.prod(v.shape)) for v in part.trainable_variables) for name, part in parts.items()}
        for precision in precisions:
            label = torch_labels[precision] = f"PyTorch {torch.__version__}" + (
                ", bfloat16 autocast" if precision == "bfloat16" else "")
            peer = vae_torch.TorchVAE(args.latent_dim, x.shape[1:], seed=args.seed, bfloat16=precision == "bfloat16")
            counts = {name: vae_torch.parameter_counts(getattr(peer, name))[0] for name in parts}
            assert counts == kgen_counts, f"torch networks differ from kgen's: {counts} != {kgen_counts}"
            params[label] = sum(counts.values())
            contestants[label] = lambda peer=peer: peer.fit_epoch(nchw, args.batch_size)
        print(f"trainable parameters: kgen encoder {kgen_counts['encoder']:,d}, decoder {kgen_counts['decoder']:,d}; "
              f"PyTorch the same (asserted)")
    seconds = interleaved_seconds(contestants, args.epochs)  # an untimed epoch first traces every batch shape
    medians = {label: statistics.median(times) for label, times in seconds.items()}
    base = medians["keras.io-style reference"]
    print(f"{len(x)} images, batch {args.batch_size}, {args.epochs} interleaved epochs each, "
          f"latent {args.latent_dim}, {os.cpu_count()} CPUs, TF_ENABLE_ONEDNN_OPTS={os.environ.get(cpu_kernels.SETTING)}")
    print(f"{'model':40} {'params':>9} {'median s/epoch':>14} {'fastest':>8} {'epochs/s':>9} {'vs reference':>12} "
          f"{'vs PyTorch':>10}")
    for label in contestants:
        peer_label = torch_labels.get("bfloat16" if "bfloat16" in label else "float32")
        versus_torch = f"{medians[peer_label] / medians[label]:9.2f}x" if peer_label else f"{'-':>10}"
        print(f"{label:40} {params[label]:9,d} {medians[label]:14.2f} {min(seconds[label]):8.2f} "
              f"{1 / medians[label]:9.4f} {base / medians[label]:11.2f}x {versus_torch}")
    print("ratios: median epoch times; vs PyTorch is to the PyTorch row of the row's own precision")
    kgen32 = medians["kgen VAE, preset architecture"]
    if "float32" in torch_labels:  # issue 17's targets
        print(f"kgen VAE float32: {medians[torch_labels['float32']] / kgen32:.2f}x PyTorch float32 (target >= 1.2)")
    else:
        print("kgen VAE float32: - PyTorch float32 (target >= 1.2; no PyTorch row)")
    if "bfloat16" in precisions:
        kgen16 = medians["kgen VAE, preset architecture, bfloat16"]
        print(f"kgen VAE bfloat16: {kgen32 / kgen16:.2f}x kgen float32 (target >= 1.5)")


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
    parser.add_argument("--precision", choices=("both", "float32"), default="both",
                        help="float32: leave out the bfloat16 rows (on a CPU that emulates bfloat16 they crawl)")
    args = parser.parse_args()
    if args.quality:
        args.epochs = args.epochs or VAEFashionMNIST().epochs
        quality(args)
    else:
        args.epochs = args.epochs or 5
        speed(args)


if __name__ == "__main__":
    main()
