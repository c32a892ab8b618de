"""Training recipes: the exact procedures that produce kgen's shipped presets.

Each recipe trains with `fit` on the real data, evaluates on held-out data and
writes a preset folder whose model card records the command and the scores.
While training, the weights of the last finished epoch are kept beside the
output folder (`<out>.checkpoint.weights.h5`). `kgen train FAMILY ...` calls these.
"""

import os

import keras
import numpy as np

from kgen import datasets
from kgen.callbacks import AtomicCheckpoint
from kgen.validation import check_int, check_number, fail


def _checkpoint_path(out):
    """Where a recipe keeps its per-epoch weights until the preset is written: beside `out`."""
    return os.path.abspath(os.fspath(out)).rstrip(os.sep) + ".checkpoint.weights.h5"


def classifier_card(epochs, batch_size, learning_rate, seed, metrics, command):
    """The model card fields of a classifier trained by `train_classifier`."""
    return dict(
        description=(
            "A small convnet (two blocks of two 3x3 convolutions with batch norm, then a "
            "128-unit feature layer) classifying the 10 Fashion-MNIST classes. Its 128-d "
            "features are what `kgen.metrics` uses for the Frechet distance of generated images."
        ),
        training=(
            f"`fit` on the 60,000 Fashion-MNIST training images for {epochs} epochs, batch "
            f"{batch_size}, Adam with a cosine-decayed learning rate from {learning_rate}, seed "
            f"{seed}, no augmentation. Scores are on the 10,000 test images, never seen in training."
        ),
        command=command,
        metrics=metrics,
        datasets=["fashion_mnist"],
        tags=["image-classification"],
    )


def train_classifier(
    out,
    epochs=15,
    batch_size=128,
    learning_rate=1e-3,
    seed=0,
    data_dir=None,
    verbose=1,
    command=None,
):
    """Train `kgen.models.Classifier` on Fashion-MNIST and save it as a preset.

    Adam with a cosine-decayed learning rate on the 60,000 training images; the
    10,000 test images are used only for the final score.

    Args:
        out: str, the preset folder to write.
        epochs: int, passes over the training set (default 15).
        batch_size: int (default 128).
        learning_rate: float, the initial learning rate (default 1e-3).
        seed: int, seeds weights, dropout and shuffling (default 0).
        data_dir: str or None, where the IDX files are (default: the usual search).
        verbose: int, Keras progress-bar verbosity (default 1).
        command: str or None, the command line recorded in the model card.

    Returns:
        (model, metrics): the trained classifier and its test scores.
    """
    from kgen.models import Classifier

    epochs = check_int("epochs", epochs, minimum=1)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    learning_rate = check_number("learning_rate", learning_rate, minimum=0.0, low_open=True)
    keras.utils.set_random_seed(check_int("seed", seed))
    x_train, y_train = datasets.load_fashion_mnist("train", path=data_dir)
    x_test, y_test = datasets.load_fashion_mnist("test", path=data_dir)

    model = Classifier()
    steps = epochs * (len(x_train) // batch_size)
    model.compile(optimizer=keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(learning_rate, steps)))
    checkpoint = _checkpoint_path(out)
    model.fit(
        x_train,
        y_train,
        batch_size=batch_size,
        epochs=epochs,
        shuffle=True,
        verbose=verbose,
        callbacks=[AtomicCheckpoint(checkpoint)],
    )
    loss, accuracy = model.evaluate(x_test, y_test, batch_size=500, verbose=0)
    metrics = {"test_accuracy": round(float(accuracy), 4), "test_loss": round(float(loss), 4)}
    model.save_to_preset(out, **classifier_card(epochs, batch_size, learning_rate, seed, metrics, command))
    os.remove(checkpoint)
    return model, metrics


VAE_LATENT_DIM = 16
VAE_EPOCHS = 50


def build_vae(latent_dim=VAE_LATENT_DIM, seed=0):
    """The VAE of the `vae_fashion_mnist` recipe: kgen's conv encoder/decoder, Bernoulli likelihood.

    Args:
        latent_dim: int (default 16).
        seed: int, seeds the training noise (default 0).
    """
    from kgen.models import VAE
    from kgen.models import vae_networks as nets

    encoder = nets.conv_encoder(latent_dim=latent_dim)
    decoder = nets.conv_decoder(latent_dim=latent_dim)
    return VAE(encoder, decoder, latent_dim, likelihood="bernoulli", binarize=True, seed=seed)


def fit_vae(
    x_train,
    epochs=VAE_EPOCHS,
    latent_dim=VAE_LATENT_DIM,
    batch_size=128,
    learning_rate=1e-3,
    warmup_epochs=None,
    seed=0,
    verbose=1,
    callbacks=(),
):
    """Train the preset's VAE on dynamically binarized images with `fit`.

    Adam with a cosine-decayed learning rate, and a linear KL warm-up over the
    first `warmup_epochs` (default: a tenth of the epochs, at least one).

    Returns:
        The trained `kgen.models.VAE`.
    """
    from kgen.callbacks import KLWarmup

    epochs = check_int("epochs", epochs, minimum=1)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    warmup_epochs = max(1, epochs // 10) if warmup_epochs is None else check_number("warmup_epochs", warmup_epochs, minimum=0.0)
    keras.utils.set_random_seed(check_int("seed", seed))
    vae = build_vae(latent_dim, seed=seed)
    steps = epochs * (len(x_train) // batch_size)
    vae.compile(optimizer=keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(learning_rate, steps)))
    warmup = [KLWarmup(epochs=warmup_epochs)] if warmup_epochs else []
    vae.fit(x_train, epochs=epochs, batch_size=batch_size, shuffle=True, verbose=verbose, callbacks=warmup + list(callbacks))
    return vae


def vae_card(latent_dim, epochs, batch_size, seed, test_images, num_samples, metrics, command, sections=None):
    """The model card fields of a VAE trained by `train_vae` (`sections`: extra card sections)."""
    return dict(
        sections=sections,
        description=(
            f"A convolutional VAE with a {latent_dim}-dimensional Gaussian latent and a Bernoulli "
            "likelihood on dynamically binarized Fashion-MNIST. Its posterior, prior and likelihood "
            "are TensorFlow Probability distributions."
        ),
        training=(
            f"`fit` on the 60,000 training images for {epochs} epochs, batch {batch_size}, images "
            "binarized afresh at every step (x_b ~ Bernoulli(x)), single-sample reparameterized ELBO "
            f"with analytic KL, Adam with a cosine-decayed learning rate from 1e-3, linear KL "
            f"warm-up over the first {max(1, epochs // 10)} epoch(s), seed {seed}. Likelihood scores "
            f"are on the {test_images} test images binarized once with seed 0, never seen in "
            f"training: ELBO with 10 samples per image, NLL as the IWAE bound with k = {num_samples}; "
            "`_sem` entries are standard errors over images. `fd_test` is the Frechet distance, on "
            "the `fashion_mnist_classifier` features, between 10,000 samples (decoded means of prior "
            "latents, seed 0) and the 10,000 test images; `fd_floor` is the same distance between "
            "10,000 training images and the test images; `classifier_score` is the Inception-score "
            "analogue of the samples on that classifier (at most 10)."
        ),
        command=command,
        metrics=metrics,
        datasets=["fashion_mnist"],
        tags=["vae", "generative"],
        images={
            "64 samples from the prior": "samples.png",
            "test images (odd columns) and their reconstructions (even columns)": "reconstructions.png",
            "slerp between the posterior means of test images": "interpolation.png",
        },
    )


def train_vae(
    out,
    epochs=VAE_EPOCHS,
    latent_dim=VAE_LATENT_DIM,
    batch_size=128,
    seed=0,
    num_samples=1000,
    eval_limit=None,
    data_dir=None,
    verbose=1,
    command=None,
):
    """Train the `vae_fashion_mnist` recipe, score it, draw its pictures, save the preset.

    Scores are on the 10,000 test images binarized once with seed 0 (or the first
    `eval_limit`): the ELBO (10 samples per image) and the IWAE negative
    log-likelihood with `num_samples` importance samples.

    Returns:
        (vae, metrics).
    """
    from kgen import evaluation, plot

    x_train, _ = datasets.load_fashion_mnist("train", path=data_dir)
    originals, _ = datasets.load_fashion_mnist("test", path=data_dir)
    x_test = datasets.binarize(originals[:eval_limit] if eval_limit else originals, seed=0)
    checkpoint = _checkpoint_path(out)
    vae = fit_vae(
        x_train,
        epochs=epochs,
        latent_dim=latent_dim,
        batch_size=batch_size,
        seed=seed,
        verbose=verbose,
        callbacks=[AtomicCheckpoint(checkpoint)],
    )
    metrics = evaluation.vae_scores(vae, x_test, num_samples=num_samples)
    metrics.update(evaluation.sample_quality(vae.sample(10000, seed=0), originals, x_train[:10000]))

    os.makedirs(out, exist_ok=True)
    plot.image_grid(vae.sample(64, seed=0), os.path.join(out, "samples.png"), nrow=8)
    pairs = np.stack([originals[:16], vae.reconstruct(originals[:16])], axis=1).reshape((32, 28, 28, 1))
    plot.image_grid(pairs, os.path.join(out, "reconstructions.png"), nrow=8)
    ends = [originals[i] for i in (0, 1, 2, 3, 4, 5)]
    strips = np.stack([vae.interpolate(a, b, steps=10) for a, b in zip(ends[::2], ends[1::2])])
    plot.interpolation_strip(strips, os.path.join(out, "interpolation.png"))

    vae.save_to_preset(out, **vae_card(latent_dim, epochs, batch_size, seed, len(x_test), num_samples, metrics, command))
    os.remove(checkpoint)
    return vae, metrics


GAN_EPOCHS = 20
GAN_EMA = 0.999
GAN_CLUSTERS = 50
"""k-means clusters of the training images that the unconditional recipe self-conditions on."""


def fit_gan(
    x_train,
    y_train=None,
    epochs=GAN_EPOCHS,
    loss="non_saturating",
    conditional=False,
    ema=GAN_EMA,
    seed=0,
    batch_size=128,
    latent_dim=64,
    verbose=1,
    callbacks=(),
    clusters=GAN_CLUSTERS,
):
    """Train a 28x28 `kgen.models.DCGAN` with `fit` on images (and labels when conditional).

    Batches come from a shuffled `tf.data` pipeline that drops the last partial
    batch, so the compiled step is traced once. Divergence stops training with a
    message (`DivergenceGuard`).

    Unconditional training self-conditions by default (Liu et al. 2020): the
    training images are split into `clusters` k-means clusters in pixel space,
    the networks are conditioned on the cluster id as a conditional GAN's are on
    classes, and the cluster frequencies become the GAN's `class_prior`, from
    which `generate` draws the ids. No class labels are used.

    Args:
        x_train: float images (n, 28, 28, 1) in [0, 1].
        y_train: int labels (n,), needed when `conditional`.
        epochs: int (default 20).
        loss: str, a `kgen.losses.GAN_LOSSES` name (default "non_saturating").
        conditional: bool, condition on the 10 classes (default False).
        ema: float or None, generator weight averaging used by `generate` (default 0.999).
        seed: int (default 0).
        batch_size: int (default 128).
        latent_dim: int (default 64).
        verbose: int, Keras verbosity (default 1).
        callbacks: extra Keras callbacks.
        clusters: int >= 2 or None, k-means clusters to self-condition an
            unconditional GAN on; None trains the plain unconditional GAN. Not
            used when `conditional` (default 50).

    Returns:
        The trained `kgen.models.DCGAN`.
    """
    import tensorflow as tf

    from kgen.callbacks import DivergenceGuard
    from kgen.clustering import cluster_labels
    from kgen.models import DCGAN

    epochs = check_int("epochs", epochs, minimum=1)
    seed = check_int("seed", seed, minimum=0)
    keras.utils.set_random_seed(seed)
    if conditional and y_train is None:
        fail("y_train", y_train, "the class labels when conditional=True")
    prior = None
    if conditional:
        num_classes, labels = int(np.max(y_train)) + 1, np.asarray(y_train, "int32")
    elif clusters is not None:
        num_classes = check_int("clusters", clusters, minimum=2, maximum=len(x_train))
        labels, prior = cluster_labels(x_train, num_classes, seed=seed)
    else:
        num_classes, labels = None, None
    data = x_train if labels is None else (x_train, labels)
    dataset = (
        tf.data.Dataset.from_tensor_slices(data)
        .shuffle(len(x_train), seed=seed, reshuffle_each_iteration=True)
        .batch(batch_size, drop_remainder=True)
        .prefetch(tf.data.AUTOTUNE)
    )
    gan = DCGAN(latent_dim=latent_dim, image_shape=x_train.shape[1:], num_classes=num_classes, loss=loss, ema=ema,
                seed=seed, class_prior=prior)
    gan.compile()
    # the dataset shuffles itself; shuffle=False only keeps Keras from warning that it ignores shuffle=True
    gan.fit(dataset, epochs=epochs, verbose=verbose, shuffle=False, callbacks=[DivergenceGuard(), *callbacks])
    return gan


def class_accuracy(gan, classifier, per_class=1000, seed=0):
    """Accuracy of `classifier` on `per_class` samples of each class a conditional GAN is asked for."""
    accuracies = []
    for label in range(gan.num_classes):
        images = gan.generate(per_class, labels=label, seed=seed + label)
        accuracies.append(float(np.mean(classifier.predict_labels(images) == label)))
    return accuracies


def _gan_additions(ema, clusters):
    """The card's sentence on what the recipe adds to the plain DCGAN recipe."""
    additions = []
    if clusters:
        additions.append(
            f"self-conditioning (Liu et al. 2020): the training images are split into {clusters} k-means "
            "clusters in pixel space (`kgen.clustering.kmeans`), the networks are conditioned on the "
            "cluster id (label embedding in G, projection discriminator), and `generate` draws the ids from "
            "the cluster frequencies (`class_prior`), so the model is sampled as an unconditional one; no "
            "class labels are used"
        )
    if ema:
        additions.append(f"an exponential moving average of the generator weights (decay {ema}) is what "
                         "`generate` samples from")
    return "; ".join(additions) + "." if additions else "none."


def gan_card(conditional, loss, ema, epochs, batch_size, seed, metrics, command, clusters=None):
    """The model card fields of a DCGAN trained by `train_gan`."""
    kind = "class-conditional DCGAN (label embedding in G, projection discriminator)" if conditional else "DCGAN"
    clusters = None if conditional else clusters
    return dict(
        description=(
            f"A {kind} for 28x28 Fashion-MNIST: Radford-style transposed-convolution generator "
            "with batch norm and a strided-convolution discriminator, 64-d latent."
        ),
        training=(
            f"`fit` on the 60,000 training images{' and their labels' if conditional else ''} for "
            f"{epochs} epochs, batch {batch_size}, {loss} loss, Adam(2e-4, beta_1=0.5) for both "
            f"networks, seed {seed}. kgen additions over the plain DCGAN recipe: "
            + _gan_additions(ema, clusters)
            + " `fd_test` is the Frechet distance, on the `fashion_mnist_classifier` features, "
            "between 10,000 samples (seed 0) and the 10,000 test images; `fd_floor` is the same "
            "distance between 10,000 training images and the test images; `classifier_score` is "
            "the Inception-score analogue on that classifier (at most 10)."
            + (" `class_accuracy_mean` is the shipped classifier's accuracy on 1,000 samples of "
               "each requested class, averaged over the 10 classes (`class_accuracy_<k>` per class)."
               if conditional else "")
        ),
        command=command,
        metrics=metrics,
        datasets=["fashion_mnist"],
        tags=["gan", "dcgan", "generative"] + (["conditional"] if conditional else [])
        + (["self-conditioned"] if clusters else []),
        images={
            "64 samples" + (" (row k: class k)" if conditional else ""): "samples.png",
            "slerp between latents": "interpolation.png",
            "samples (first column) and their 3 nearest training images in pixel space": "nearest_neighbors.png",
        },
    )


def train_gan(
    out,
    conditional=False,
    loss="non_saturating",
    epochs=GAN_EPOCHS,
    ema=GAN_EMA,
    batch_size=128,
    seed=0,
    data_dir=None,
    verbose=1,
    command=None,
    clusters=GAN_CLUSTERS,
):
    """Train the `dcgan_fashion_mnist` (or, conditional, `cdcgan_fashion_mnist`) recipe,
    score it, draw its pictures and save the preset.

    Returns:
        (gan, metrics).
    """
    from kgen import evaluation, plot
    from kgen import metrics as sample_metrics
    from kgen.models import Classifier

    x_train, y_train = datasets.load_fashion_mnist("train", path=data_dir)
    x_test, _ = datasets.load_fashion_mnist("test", path=data_dir)
    checkpoint = _checkpoint_path(out)
    gan = fit_gan(
        x_train,
        y_train,
        epochs=epochs,
        loss=loss,
        conditional=conditional,
        ema=ema,
        seed=seed,
        batch_size=batch_size,
        verbose=verbose,
        callbacks=[AtomicCheckpoint(checkpoint)],
        clusters=clusters,
    )
    labels = np.arange(10000) % 10 if conditional else None
    scores = evaluation.sample_quality(gan.generate(10000, labels=labels, seed=0), x_test, x_train[:10000])
    if conditional:
        accuracies = class_accuracy(gan, Classifier.from_preset("fashion_mnist_classifier"))
        scores["class_accuracy_mean"] = round(float(np.mean(accuracies)), 4)
        scores.update({f"class_accuracy_{k}": round(a, 4) for k, a in enumerate(accuracies)})

    os.makedirs(out, exist_ok=True)
    grid_labels = np.repeat(np.arange(10), 8) if conditional else None
    plot.image_grid(gan.generate(len(grid_labels) if conditional else 64, labels=grid_labels, seed=1),
                    os.path.join(out, "samples.png"), nrow=8)
    z = gan.sample_latent(8, seed=2)
    strips = np.stack([gan.interpolate(z[i], z[i + 1], steps=10, labels=i if conditional else None) for i in range(0, 8, 2)])
    plot.interpolation_strip(strips, os.path.join(out, "interpolation.png"))
    sample_metrics.nearest_neighbor_grid(
        gan.generate(8, labels=np.arange(8) if conditional else None, seed=3),
        x_train,
        os.path.join(out, "nearest_neighbors.png"),
        k=3,
    )
    gan.save_to_preset(out, **gan_card(conditional, loss, ema, epochs, batch_size, seed, scores, command, clusters))
    os.remove(checkpoint)
    return gan, scores
