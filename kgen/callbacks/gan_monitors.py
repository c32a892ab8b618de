"""What a GAN shows while it trains: sample grids from fixed latents and the Frechet distance."""

import keras

from kgen.core.errors import KgenTypeError
from kgen.core.validation import check_images, check_int, fail
from kgen.eval import metrics
from kgen.ops.sampling import classes_in_turn
from kgen.viz.images import image_grid


def fixed_latents(model, num, seed, labels):
    """Latents and labels drawn once for a run: `labels` as given, classes in turn when the GAN
    needs labels, or drawn from the class prior of a self-conditioned GAN."""
    if not hasattr(model, "generate"):
        fail("model", model, "a kgen GAN (with `generate`)", KgenTypeError)
    if labels is None and model.labels_required:
        labels = classes_in_turn(num, model.num_classes)
    z = model.sample_latent(num, seed=seed)
    return z, model.check_labels(labels, num, z=z)


class SampleGrid(keras.callbacks.Callback):
    """Save a PNG grid of a GAN's samples from fixed latents every `every` epochs.

    The latents (and labels) are drawn once when training starts, so successive
    grids show the same samples improving. Epochs are numbered from 1 in file names.

    Args:
        path_pattern: str, the PNG path, formatted with `epoch`
            (default "samples/epoch_{epoch:03d}.png"); folders are created.
        every: int >= 1, epochs between grids (default 1).
        num: int >= 1, samples per grid (default 64).
        seed: int >= 0, seeds the latents (default 0).
        labels: int, ints or None; for a conditional GAN the default cycles through
            the classes, one class per column.

    Attributes:
        drawn_z, drawn_labels: the latents and labels drawn when training started.

    Examples:
        >>> generator = keras.Sequential([keras.Input((8,)), keras.layers.Dense(784, activation="tanh"),
        ...                               keras.layers.Reshape((28, 28, 1))])
        >>> discriminator = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(1)])
        >>> gan = kgen.models.GAN(generator, discriminator, latent_dim=8)
        >>> gan.compile()
        >>> x = np.random.default_rng(0).random((8, 28, 28, 1), dtype="float32")
        >>> grid = kgen.callbacks.SampleGrid("runs/gan/epoch_{epoch:03d}.png", every=2, num=16)
        >>> _ = gan.fit(x, epochs=4, batch_size=4, verbose=0, callbacks=[grid])
        >>> import os
        >>> sorted(os.listdir("runs/gan")), grid.drawn_z.shape
        (['epoch_002.png', 'epoch_004.png'], (16, 8))
    """

    def __init__(self, path_pattern="samples/epoch_{epoch:03d}.png", every=1, num=64, seed=0, labels=None):
        super().__init__()
        try:
            str(path_pattern).format(epoch=1)
        except (KeyError, IndexError, ValueError):
            fail("path_pattern", path_pattern, "a path with at most an {epoch} field, e.g. 'samples/epoch_{epoch:03d}.png'")
        self.path_pattern = str(path_pattern)
        self.every = check_int("every", every, minimum=1)
        self.num = check_int("num", num, minimum=1)
        self.seed = check_int("seed", seed, minimum=0)
        self.labels = labels

    def on_train_begin(self, logs=None):
        self.drawn_z, self.drawn_labels = fixed_latents(self.model, self.num, self.seed, self.labels)
        defaulted = self.labels is None and self.model.labels_required
        self._nrow = self.model.num_classes if defaulted else None

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every == 0:
            images = self.model.generate(z=self.drawn_z, labels=self.drawn_labels)
            image_grid(images, self.path_pattern.format(epoch=epoch + 1), nrow=self._nrow)


class FrechetDistance(keras.callbacks.Callback):
    """Log the Frechet distance between a GAN's samples and a reference set as `fd`.

    Every `every` epochs, `num_samples` images from latents fixed at the start of
    training are compared with `reference` by the Frechet distance on the features
    of `features` (the reference's statistics are computed once). Epochs without a
    measurement have no `fd` entry.

    Args:
        reference: float images (m, h, w, c) in [0, 1], e.g. 10,000 test images.
        features: the feature model: a kgen Classifier, a Keras model or a callable
            mapping images to feature vectors.
        every: int >= 1, epochs between measurements (default 1).
        num_samples: int >= 2, generated images per measurement (default 10000).
        seed: int >= 0, seeds the latents (default 0).
        labels: int, ints or None; for a conditional GAN the default cycles through
            the classes, so they are balanced.

    Attributes:
        drawn_z, drawn_labels: the latents and labels drawn when training started.

    Examples:
        With `kgen.models.Classifier.from_preset("fashion_mnist_classifier")` as the feature
        model on Fashion-MNIST; here a tiny GAN and the first 16 pixels as "features":

        >>> generator = keras.Sequential([keras.Input((8,)), keras.layers.Dense(784, activation="tanh"),
        ...                               keras.layers.Reshape((28, 28, 1))])
        >>> discriminator = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(1)])
        >>> gan = kgen.models.GAN(generator, discriminator, latent_dim=8)
        >>> gan.compile()
        >>> x = np.random.default_rng(0).random((8, 28, 28, 1), dtype="float32")
        >>> fd = kgen.callbacks.FrechetDistance(x, lambda images: images.reshape(len(images), -1)[:, :16],
        ...                                     every=2, num_samples=8)
        >>> history = gan.fit(x, epochs=2, batch_size=4, verbose=0, callbacks=[fd])
        >>> len(history.history["fd"]), history.history["fd"][0] > 0      # one measurement, at epoch 2
        (1, True)

    Reference:
        Heusel et al., "GANs Trained by a Two Time-Scale Update Rule Converge to a
        Local Nash Equilibrium", NeurIPS 2017.
    """

    def __init__(self, reference, features, every=1, num_samples=10000, seed=0, labels=None):
        super().__init__()
        self.reference = check_images("reference", reference)
        self.every = check_int("every", every, minimum=1)
        self.num_samples = check_int("num_samples", num_samples, minimum=2)
        self.features = features
        self.seed = check_int("seed", seed, minimum=0)
        self.labels = labels

    def on_train_begin(self, logs=None):
        self.drawn_z, self.drawn_labels = fixed_latents(self.model, self.num_samples, self.seed, self.labels)
        check_images("reference", self.reference, self.model.image_shape)
        self._reference_statistics = metrics.gaussian_statistics(metrics.embed(self.reference, self.features))

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every == 0 and logs is not None:
            samples = self.model.generate(z=self.drawn_z, labels=self.drawn_labels)
            statistics = metrics.gaussian_statistics(metrics.embed(samples, self.features))
            logs["fd"] = metrics.frechet_distance_from_statistics(*statistics, *self._reference_statistics)
