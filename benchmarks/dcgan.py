"""kgen's DCGAN beside a keras.io-style Keras reference and PyTorch, in one process, on the same data.

Speed (default): trains, on the same pre-shuffled Fashion-MNIST images in the same
order and batches (28x28, batch 128, the remainder dropped so shapes stay fixed):
kgen's `DCGAN` with jit_compile=False and with jit_compile=True (the row matching
kgen's own `compile()` default is marked), the keras.io-style reference
(benchmarks/dcgan_reference.py: custom `train_step`, Keras's default compile) and
the same with jit_compile=True, and, when torch is importable, the same networks in
PyTorch (benchmarks/dcgan_torch.py). All have the same generator and discriminator
(kgen's builders; PyTorch layer for layer, parameter counts asserted equal) and
the same work per step. Each contestant is warmed up untimed (tracing, XLA
compilation, first steps), then all run one epoch each in turn for --rounds
interleaved rounds; the table has the median images/s of each, the ratios to
the reference and to PyTorch, the slowest epoch over the median one (an epoch that
waited for tf.data's autotuning thread shows here: see `kgen.core.feeding`), and the
share of this process's float32
matrix-product ceiling each reaches (multiply-adds per image of one alternating
step, counted from the layers, times images/s, over the best rate of a
2048x1024 by 1024x1024 matmul measured before and after). --jit on|off keeps
only that kgen row. Then
generation (alone with --generation): kgen's `generate` of 10,000 latents at
batch 1000 beside the same generator called without its inference rewrites, Keras
`predict` (how the reference samples) and PyTorch; images/s (median over
interleaved rounds, after a warm-up call) and kgen's ratio to each.

    python benchmarks/dcgan.py [--images 12800] [--rounds 3] [--batch-size 128] [--jit auto|on|off]
    python benchmarks/dcgan.py --generation [--rounds 5]

Quality (--quality): trains kgen's preset recipe (`kgen.recipes.DCGANFashionMNIST`)
and the plain reference recipe (Radford et al.: BCE, Adam 2e-4 with beta_1 0.5, the
preset's generator architecture, no other tricks) for the same number of epochs
on the 60,000 training images, then prints the Frechet distance
(`kgen.metrics.frechet_distance` on the `fashion_mnist_classifier` features) of
10,000 samples of each to the 10,000 test images, the floor (10,000 training
images to the test images) and the ratio kgen / reference. Epochs and batch size
default to the recipe's.

    python benchmarks/dcgan.py --quality --epochs N [--seed 0]

Stability (--stability): for each loss and seed, trains kgen's plain DCGAN with
the `DCGANFashionMNIST` recipe (that loss, no EMA, no self-conditioning) and
records the FD of 2,000 samples to 2,000 test images after every epoch; prints
the FD table and, per loss, the spread of the final FD across seeds (max / min),
flagged "collapsed" above 1.5. The minimax (saturating) loss is there for
contrast. --plot writes the curves as a PNG.

    python benchmarks/dcgan.py --stability [--epochs 3] [--seeds 0 1 2] \
        [--losses non_saturating wgan-gp minimax] [--plot docs/images/dcgan_stability.png]

Smoke tests only (numbers meaningless): --limit-train N trains quality and
stability runs on the first N training images and --fd-samples N scores FD on N
images, e.g.

    python benchmarks/dcgan.py --images 512 --rounds 1
    python benchmarks/dcgan.py --quality --epochs 1 --limit-train 1024 --fd-samples 500
    python benchmarks/dcgan.py --stability --epochs 2 --seeds 0 1 --limit-train 1024 --fd-samples 500 --plot /tmp/s.png
"""

import argparse
import math
import os
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import kgen  # noqa: E402, F401 - before TensorFlow: kgen chooses its CPU kernels (kgen.core.cpu_kernels)

# isort: split
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from dcgan_reference import ReferenceDCGAN  # noqa: E402
from interleaved import interleaved_seconds  # noqa: E402

from kgen import datasets, metrics  # noqa: E402
from kgen.callbacks import FrechetDistance  # noqa: E402
from kgen.core import cpu_kernels  # noqa: E402
from kgen.core.precision import set_precision  # noqa: E402
from kgen.recipes import DCGANFashionMNIST, ImageData  # noqa: E402

IMAGE_SHAPE = (28, 28, 1)
REFERENCE = "keras.io-style reference"


def _counts(model):
    """(trainable parameters, all weights including batch-norm statistics) of a Keras model."""
    trainable = sum(int(np.prod(v.shape)) for v in model.trainable_weights)
    return trainable, model.count_params()


def _forward_macs(model):
    """Multiply-adds per image of one forward pass through the model's Dense and 2-D convolution layers."""
    total = 0
    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv2DTranspose):  # kernel (h, w, out, in), one tap per input pixel
            total += math.prod(layer.input.shape[1:3]) * math.prod(layer.kernel.shape)
        elif isinstance(layer, keras.layers.Conv2D):  # kernel (h, w, in, out), one window per output pixel
            total += math.prod(layer.output.shape[1:3]) * math.prod(layer.kernel.shape)
        elif isinstance(layer, keras.layers.Dense):
            total += math.prod(layer.kernel.shape)
    return total


def _matmul_ceiling(repeats=10, dtype=tf.float32):
    """The best matrix-product rate of this process in `dtype`, in multiply-adds/s (2048x1024 by 1024x1024)."""
    a, b = tf.cast(tf.random.normal([2048, 1024]), dtype), tf.cast(tf.random.normal([1024, 1024]), dtype)

    @tf.function
    def product():
        return tf.reduce_sum(tf.cast(tf.matmul(a, b), tf.float32))

    product()
    best = 0.0
    for _ in range(repeats):
        start = time.perf_counter()
        product().numpy()
        best = max(best, 2048 * 1024 * 1024 / (time.perf_counter() - start))
    return best


def _load_torch():
    try:
        import dcgan_torch
    except ImportError as error:
        print(f"PyTorch row skipped: torch is not importable ({error}); `pip install torch` to add it.")
        return None
    return dcgan_torch


# ---------------------------------------------------------------------- speed


def speed(args):
    """Median images/s of each contestant over interleaved one-epoch rounds on the same batches."""
    from kgen.models import DCGAN

    x, _ = datasets.load_fashion_mnist("train")
    keras.utils.set_random_seed(args.seed)
    x = x[np.random.default_rng(args.seed).permutation(len(x))]
    x = x[: (min(args.images, len(x)) // args.batch_size) * args.batch_size]  # full batches only
    if len(x) == 0:
        raise SystemExit(f"--images must be at least --batch-size ({args.batch_size}).")
    # the same images in the same order for everyone: [0, 1] for kgen, [-1, 1] for the reference (as
    # keras.io scales in its data pipeline), [-1, 1] NCHW for PyTorch; "warmup" is the first two batches
    data = {"warmup": x[: 2 * args.batch_size], "timed": x}
    scaled = {part: images * 2.0 - 1.0 for part, images in data.items()}
    fit = dict(epochs=1, batch_size=args.batch_size, shuffle=False, verbose=0)
    arch = dict(latent_dim=args.latent_dim, image_shape=IMAGE_SHAPE, base_filters=args.base_filters, seed=args.seed)

    contestants, models = {}, {}  # label -> run(part); label -> Keras model
    default_gan = DCGAN(**arch)
    default_gan.compile()
    default_jit = bool(default_gan.jit_compile)
    precisions = ("float32", "bfloat16") if args.precision == "both" else (args.precision,)
    dcgan_torch = _load_torch()
    torch_labels, peers = {}, {}  # precision -> the PyTorch row's label, its model
    for precision in precisions:
        suffix = "" if precision == "float32" else ", bfloat16"
        for jit in {"auto": (False, True), "on": (True,), "off": (False,)}[args.jit]:
            gan = default_gan if (jit, precision) == (default_jit, "float32") else DCGAN(**arch)
            if gan is not default_gan:
                gan.compile(jit_compile=jit, precision=precision)
            label = f"kgen DCGAN, jit_compile={jit}{suffix}" + (" (default)" if jit == default_jit else "")
            models[label] = gan
            contestants[label] = lambda part, gan=gan: gan.fit(data[part], **fit)
        for label, kwargs in ((REFERENCE, {}), (f"{REFERENCE}, jit_compile=True", {"jit_compile": True})):
            reference = ReferenceDCGAN(**arch)
            if precision != "float32":  # the same mixed_bfloat16 layers as kgen's, output layers float32
                set_precision(reference.generator, precision)
                set_precision(reference.discriminator, precision)
            reference.compile(**kwargs)
            models[label + suffix] = reference
            contestants[label + suffix] = lambda part, reference=reference: reference.fit(scaled[part], **fit)
        if dcgan_torch is not None:
            import torch

            torch_labels[precision] = f"PyTorch {torch.__version__}" + (", bfloat16 autocast" if suffix else "")
            peer = peers[precision] = dcgan_torch.TorchDCGAN(args.latent_dim, IMAGE_SHAPE, args.base_filters,
                                                             seed=args.seed, bfloat16=precision == "bfloat16")
            nchw = {part: np.ascontiguousarray(images.transpose(0, 3, 1, 2)) for part, images in scaled.items()}
            contestants[torch_labels[precision]] = lambda part, peer=peer, nchw=nchw: peer.fit_epoch(
                nchw[part], args.batch_size)
    torch_label, float32_peer = torch_labels.get("float32"), peers.get("float32")

    kgen_gan = next(iter(models.values()))
    g_counts, d_counts = _counts(kgen_gan.generator), _counts(kgen_gan.discriminator)
    print(f"kgen generator {g_counts[0]:,d} trainable parameters ({g_counts[1]:,d} with batch-norm statistics), "
          f"discriminator {d_counts[0]:,d} ({d_counts[1]:,d})")
    if dcgan_torch is not None:
        peer = next(iter(peers.values()))
        tg, td = dcgan_torch.parameter_counts(peer.generator), dcgan_torch.parameter_counts(peer.discriminator)
        print(f"torch generator {tg[0]:,d} trainable parameters ({tg[1]:,d} with batch-norm statistics), "
              f"discriminator {td[0]:,d} ({td[1]:,d})")
        assert (tg, td) == (g_counts, d_counts), f"torch networks differ from kgen's: {tg, td} != {g_counts, d_counts}"
    for label, model in models.items():
        assert (_counts(model.generator), _counts(model.discriminator)) == (g_counts, d_counts), label

    # one alternating step per image: D step = G forward, D forward on the real and the fake batch and D's
    # backward pass (~2 forwards each); G step = G and D forward, D backward to its input (~1 forward), G
    # backward (~2 forwards): ~4 G + 8 D forwards
    g_macs, d_macs = _forward_macs(kgen_gan.generator), _forward_macs(kgen_gan.discriminator)
    step_macs = 4 * g_macs + 8 * d_macs
    ceiling = _matmul_ceiling()
    for run in contestants.values():  # tracing, XLA compilation and first steps, untimed
        run("warmup")
    seconds = interleaved_seconds({label: lambda run=run: run("timed") for label, run in contestants.items()},
                                  args.rounds, warm_up=False)
    rate = {label: len(x) / statistics.median(times) for label, times in seconds.items()}
    ceiling = max(ceiling, _matmul_ceiling())
    bfloat16_ceiling = max(_matmul_ceiling(dtype=tf.bfloat16), _matmul_ceiling(dtype=tf.bfloat16))

    print(f"{len(x)} images, batch {args.batch_size}, median of {args.rounds} interleaved epochs, latent "
          f"{args.latent_dim}, base_filters {args.base_filters}, {os.cpu_count()} CPUs, TF_ENABLE_ONEDNN_OPTS={os.environ.get(cpu_kernels.SETTING)}; kgen's compile() "
          f"default here: jit_compile={default_jit}")
    print(f"work: generator forward {g_macs / 1e6:.1f} M multiply-adds per image, discriminator forward "
          f"{d_macs / 1e6:.1f} M; one alternating step ~4 G + 8 D = {step_macs / 1e6:.0f} M per image. float32 "
          f"matrix-product ceiling of this process: {ceiling / 1e9:.0f} G multiply-adds/s (bfloat16: "
          f"{bfloat16_ceiling / 1e9:.0f}, {bfloat16_ceiling / ceiling:.2f}x); 'of ceiling' is of the float32 one")
    reference = REFERENCE if REFERENCE in rate else None  # the float32 reference, what every ratio is to
    print(f"{'contestant':56} {'s/epoch':>8} {'images/s':>9} {'vs reference':>12} {'vs PyTorch':>10} "
          f"{'of ceiling':>10} {'slowest':>8}")
    for label in contestants:
        peer_label = torch_labels.get("bfloat16" if "bfloat16" in label else "float32")
        versus_torch = f"{rate[label] / rate[peer_label]:9.2f}x" if peer_label else f"{'-':>10}"
        versus_reference = f"{rate[label] / rate[reference]:11.2f}x" if reference else f"{'-':>12}"
        print(f"{label:56} {len(x) / rate[label]:8.2f} {rate[label]:9.0f} {versus_reference} {versus_torch} "
              f"{rate[label] * step_macs / ceiling:10.0%} {max(seconds[label]) * rate[label] / len(x):7.2f}x")
    print("ratios: to the float32 reference; to PyTorch in the row's own precision; slowest: the slowest epoch "
          "over the median one")
    targets = {"float32": (1.3, 1.2), "bfloat16": (2.0, 1.2)}  # issue 17: vs the float32 reference, vs PyTorch
    for label in models:
        if label.startswith("kgen") and reference:
            precision = "bfloat16" if "bfloat16" in label else "float32"
            line = (f"{label}: {rate[label] / rate[reference]:.2f}x the float32 reference "
                    f"(target >= {targets[precision][0]})")
            if precision in torch_labels:
                line += (f", {rate[label] / rate[torch_labels[precision]]:.2f}x {torch_labels[precision]} "
                         f"(target >= {targets[precision][1]})")
            print(line)

    generation(args, kgen_gan, float32_peer, torch_label)


def generation(args, gan=None, peer=None, torch_label=None):
    """Images/s of `generate(10000)` at batch 1000: kgen, the same generator unfolded, keras predict, PyTorch."""
    from kgen.models import DCGAN
    from kgen.models.gan import to_unit_interval

    if gan is None:
        gan = DCGAN(latent_dim=args.latent_dim, image_shape=IMAGE_SHAPE, base_filters=args.base_filters, seed=args.seed)
        dcgan_torch = _load_torch()
        if dcgan_torch is not None:
            import torch

            torch_label = f"PyTorch {torch.__version__}"
            peer = dcgan_torch.TorchDCGAN(args.latent_dim, IMAGE_SHAPE, args.base_filters, seed=args.seed)
    n, batch = 10000, 1000
    z = gan.sample_latent(n, seed=0)
    unfolded = gan.sampling_generator

    @tf.function
    def plain_batch(z_batch):
        return to_unit_interval(unfolded(z_batch, training=False))

    generators = {
        "kgen DCGAN.generate": lambda: gan.generate(z=z, batch_size=batch),
        "the same generator, not rewritten for inference": lambda: [
            plain_batch(z[i : i + batch]).numpy() for i in range(0, n, batch)
        ],
        "keras predict (the reference's generate)": lambda: unfolded.predict(z, batch_size=batch, verbose=0),
    }
    if peer is not None:
        generators[f"{torch_label} (no_grad, eval)"] = lambda: peer.generate(n, batch_size=batch)
    times = interleaved_seconds(generators, args.rounds)
    rate = {label: n / statistics.median(measured) for label, measured in times.items()}
    print(f"generation, {n} images of 28x28 at batch {batch}, median of {args.rounds} interleaved rounds:")
    for label in generators:
        target = "  (target >= 20,000)" if label.startswith("kgen") else ""
        print(f"{label:46} {rate[label]:9.0f} images/s  {rate['kgen DCGAN.generate'] / rate[label]:5.2f}x{target}")


# ---------------------------------------------------------------------- quality and stability


def _features():
    """The feature model the FD is measured on (the shipped Fashion-MNIST classifier), loaded once."""
    from kgen.models import Classifier

    return Classifier.from_preset("fashion_mnist_classifier")


def _fit_recipe(recipe, x_train, callbacks=(), verbose=0):
    """Train `recipe`'s GAN on `x_train` as `kgen train` does (k-means labels first when it self-conditions)."""
    data = recipe.prepare(ImageData(x_train))
    gan = recipe.build(data)
    recipe.fit(gan, data, callbacks=callbacks, verbose=verbose)
    return gan


def _data(args):
    x_train, _ = datasets.load_fashion_mnist("train")
    x_test, _ = datasets.load_fashion_mnist("test")
    return x_train, x_train[: args.limit_train], x_test


def quality(args):
    defaults = DCGANFashionMNIST()
    epochs = args.epochs or defaults.epochs
    batch_size = args.batch_size or defaults.batch_size
    x_full, x_train, x_test = _data(args)
    n = min(args.fd_samples, len(x_test))
    features = _features()

    start = time.perf_counter()
    recipe = DCGANFashionMNIST(epochs=epochs, seed=args.seed, batch_size=batch_size)
    gan = _fit_recipe(recipe, x_train, verbose=2)
    kgen_minutes = (time.perf_counter() - start) / 60

    keras.utils.set_random_seed(args.seed)
    reference = ReferenceDCGAN(gan.latent_dim, gan.image_shape, getattr(gan, "base_filters", 64), seed=args.seed)
    reference.compile()
    same_generator = _counts(reference.generator) == _counts(gan.generator)
    start = time.perf_counter()
    dataset = (  # as keras.io: a tf.data pipeline scaling the images (to [-1, 1] here); full batches as the recipe
        tf.data.Dataset.from_tensor_slices(x_train)
        .shuffle(len(x_train), seed=args.seed, reshuffle_each_iteration=True)
        .batch(batch_size, drop_remainder=True)
        .map(lambda images: images * 2.0 - 1.0)
        .prefetch(tf.data.AUTOTUNE)
    )
    reference.fit(dataset, epochs=epochs, verbose=2)
    reference_minutes = (time.perf_counter() - start) / 60

    fd_reference = metrics.frechet_distance(reference.generate(n, seed=args.seed), x_test[:n], features)
    fd_kgen = metrics.frechet_distance(gan.generate(n, seed=args.seed), x_test[:n], features)
    fd_floor = metrics.frechet_distance(x_full[:n], x_test[:n], features)
    print(f"{len(x_train)} training images, {epochs} epochs, batch {batch_size}, seed {args.seed}; FD of {n} "
          f"samples to {n} test images on the fashion_mnist_classifier features")
    clusters = f"self-conditioned on {gan.num_classes} k-means clusters" if gan.num_classes else "unconditional"
    print(f"kgen recipe: loss {gan.loss_name}, ema {gan.ema}, {clusters}, d_steps {gan.d_steps}, latent {gan.latent_dim}, "
          f"base_filters {getattr(gan, 'base_filters', '?')}; generator {_counts(gan.generator)[0]:,d} parameters "
          + ("(the same as the reference's)" if same_generator else
             f"vs the reference's {_counts(reference.generator)[0]:,d}"
             + (" (the difference: the cluster-id embedding and its input)" if gan.num_classes else "")))
    print(f"{'model':34} {'train min':>9} {'FD':>8}")
    print(f"{'plain reference (Radford recipe)':34} {reference_minutes:9.1f} {fd_reference:8.2f}")
    print(f"{'kgen preset recipe':34} {kgen_minutes:9.1f} {fd_kgen:8.2f}")
    print(f"{'floor: training vs test images':34} {'':9} {fd_floor:8.2f}")
    print(f"FD ratio kgen / reference: {fd_kgen / fd_reference:.3f} (target <= 0.5)")


class _EpochFD(FrechetDistance):
    """kgen's FrechetDistance callback, keeping its values, NaN when the samples cannot be scored."""

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        self.values = []

    def on_epoch_end(self, epoch, logs=None):
        logs = {} if logs is None else logs
        try:
            super().on_epoch_end(epoch, logs)
        except ValueError as error:  # e.g. non-finite samples after a divergence
            print(f"  FD at epoch {epoch + 1} failed: {error}")
        self.values.append(float(logs.get("fd", math.nan)))


def stability(args):
    batch_size = args.batch_size or DCGANFashionMNIST().batch_size
    _, x_train, x_test = _data(args)
    n = min(args.fd_samples, len(x_test))
    reference = x_test[:n]
    features = _features()
    curves = {}
    for loss in args.losses:
        for seed in args.seeds:
            callback = _EpochFD(reference, features, num_samples=n, seed=0)
            start = time.perf_counter()
            recipe = DCGANFashionMNIST(epochs=args.epochs, loss=loss, ema=None, seed=seed, batch_size=batch_size,
                                       clusters=None)
            _fit_recipe(recipe, x_train, callbacks=[callback], verbose=0)
            curves[loss, seed] = callback.values
            print(f"  {loss}, seed {seed}: {(time.perf_counter() - start) / 60:.1f} min, "
                  f"FD {' '.join(f'{v:.2f}' for v in callback.values)}", flush=True)

    print(f"{len(x_train)} training images, batch {batch_size}; FD of {n} samples (fixed latents) to {n} test "
          "images after each epoch")
    print(f"{'loss':16} {'seed':>4} " + " ".join(f"{f'epoch {e + 1}':>9}" for e in range(args.epochs)))
    for (loss, seed), values in curves.items():
        print(f"{loss:16} {seed:4d} " + " ".join(f"{v:9.2f}" for v in values))
    print(f"{'loss':16} {'min final':>9} {'max final':>9} {'max/min':>8}")
    for loss in args.losses:
        finals = [curves[loss, seed][-1] for seed in args.seeds]
        spread = max(finals) / min(finals) if all(map(math.isfinite, finals)) and min(finals) > 0 else math.inf
        flag = "collapsed" if spread > 1.5 else "ok"
        note = " (saturating loss, shown for contrast)" if loss == "minimax" else ""
        print(f"{loss:16} {min(finals):9.2f} {max(finals):9.2f} {spread:8.2f}  {flag}{note}")
    if args.plot:
        from kgen import plot

        series = {f"{loss}, seed {seed}": (list(range(1, args.epochs + 1)), values) for (loss, seed), values in curves.items()}
        plot.curves(series, args.plot, xlabel="epoch", ylabel=f"FD to test ({n} samples)",
                    title="DCGAN on Fashion-MNIST: FD per epoch", logy=True)
        print(f"curves written to {args.plot}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--generation", action="store_true", help="generation speed only")
    mode.add_argument("--quality", action="store_true", help="FD of kgen's preset recipe vs the plain reference")
    mode.add_argument("--stability", action="store_true", help="FD per epoch for several losses and seeds")
    parser.add_argument("--images", type=int, default=12800, help="training images per timed epoch (speed)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved timed rounds per contestant (speed, generation)")
    parser.add_argument("--batch-size", type=int, default=None,
                        help="default 128 for speed, the recipe's (DCGANFashionMNIST's default) otherwise")
    parser.add_argument("--jit", choices=("auto", "on", "off"), default="auto",
                        help="kgen rows: auto = jit_compile False and True, on/off = only that one (speed)")
    parser.add_argument("--precision", choices=("float32", "bfloat16", "both"), default="both",
                        help="speed: the rows of each contestant in float32, bfloat16 or both")
    parser.add_argument("--latent-dim", type=int, default=64, help="speed and generation only")
    parser.add_argument("--base-filters", type=int, default=64, help="speed and generation only")
    parser.add_argument("--epochs", type=int, default=None, help="quality: default the recipe's; stability: 3")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="stability")
    parser.add_argument("--losses", nargs="+", default=["non_saturating", "wgan-gp", "minimax"], help="stability")
    parser.add_argument("--plot", default=None, help="stability: write the FD curves to this PNG")
    parser.add_argument("--limit-train", type=int, default=None,
                        help="SMOKE TESTS ONLY: train quality/stability runs on the first N training images")
    parser.add_argument("--fd-samples", type=int, default=None,
                        help="images per FD set (default 10,000 for quality, 2,000 for stability; "
                             "smaller only for smoke tests)")
    args = parser.parse_args()
    if args.quality:
        args.fd_samples = args.fd_samples or 10000
        quality(args)
    elif args.stability:
        args.epochs = args.epochs or 3
        args.fd_samples = args.fd_samples or 2000
        stability(args)
    elif args.generation:
        generation(args)
    else:
        args.batch_size = args.batch_size or 128
        speed(args)


if __name__ == "__main__":
    main()
