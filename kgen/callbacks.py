"""Keras callbacks for kgen models: KL warm-up, atomic checkpoints, divergence guard, and a GAN's
sample grids and Frechet distance during training."""

import math

import keras

from kgen.core import files
from kgen.core.errors import KgenTypeError
from kgen.core.validation import check_images, check_int, check_number, fail
from kgen.eval import metrics
from kgen.ops.sampling import classes_in_turn
from kgen.viz.images import image_grid


class KLWarmup(keras.callbacks.Callback):
    """Anneal a VAE's KL weight `beta` linearly from `start` to `end` over the first epochs.

    The weight is a variable of the model, so the compiled train step sees every
    change without retracing. The current value is logged as `beta`.

    Args:
        epochs: float > 0, length of the warm-up in epochs (default 5).
        start: float >= 0, beta at the first step (default 0.0).
        end: float >= 0 or None, beta after the warm-up (default: the model's `beta` argument).

    Example:
        >>> vae.fit(x, epochs=20, callbacks=[kgen.callbacks.KLWarmup(epochs=5)])

    Reference:
        Bowman et al., "Generating Sentences from a Continuous Space", CoNLL 2016;
        Sonderby et al., "Ladder Variational Autoencoders", NeurIPS 2016.
    """

    def __init__(self, epochs=5, start=0.0, end=None):
        super().__init__()
        self.epochs = check_number("epochs", epochs, minimum=0.0, low_open=True)
        self.start = check_number("start", start, minimum=0.0)
        self.end = None if end is None else check_number("end", end, minimum=0.0)
        self._epoch = 0
        self._steps_per_epoch = None

    def on_train_begin(self, logs=None):
        if not hasattr(self.model, "beta"):
            fail("model", self.model, "a model with a `beta` weight (a VAE) for KLWarmup", KgenTypeError)
        self._end = self.model.initial_beta if self.end is None else self.end
        self._steps_per_epoch = self.params.get("steps") or None

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch
        self._set(epoch)

    def on_train_batch_begin(self, batch, logs=None):
        if self._steps_per_epoch:
            self._set(self._epoch + batch / self._steps_per_epoch)

    def _set(self, progress):
        fraction = min(1.0, progress / self.epochs)
        self.model.beta.assign(self.start + fraction * (self._end - self.start))

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["beta"] = float(self.model.beta.numpy())


class AtomicCheckpoint(keras.callbacks.Callback):
    """Save the model's weights after every `every` epochs, atomically (temp file + rename).

    A run that stops part-way leaves the last complete checkpoint, never a torn file;
    an epoch whose logs hold a NaN or infinite value (a diverged run) is not saved,
    so the last good checkpoint stays. Load it with `model.load_weights(path)`.

    Args:
        path: str, a file name ending in ".weights.h5".
        every: int, epochs between saves (default 1).
    """

    def __init__(self, path, every=1):
        super().__init__()
        if not str(path).endswith(".weights.h5"):
            fail("path", str(path), "a file name ending in '.weights.h5'")
        self.path = str(path)
        self.every = check_int("every", every, minimum=1)

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every != 0:
            return
        if any(isinstance(v, float) and not math.isfinite(v) for v in (logs or {}).values()):
            return  # a diverged epoch: the last good checkpoint stays in place
        with files.atomic_path(self.path) as tmp:
            self.model.save_weights(tmp)


def _fixed_latents(model, num, seed, labels):
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

    Example:
        >>> gan.fit(x, epochs=20, callbacks=[kgen.callbacks.SampleGrid("runs/dcgan/epoch_{epoch:03d}.png", every=5)])
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
        self.drawn_z, self.drawn_labels = _fixed_latents(self.model, self.num, self.seed, self.labels)
        defaulted = self.labels is None and self.model.labels_required
        self._nrow = self.model.num_classes if defaulted else None

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every == 0:
            images = self.model.generate(z=self.drawn_z, labels=self.drawn_labels)
            image_grid(images, self.path_pattern.format(epoch=epoch + 1), nrow=self._nrow)


class DivergenceGuard(keras.callbacks.Callback):
    """Stop training with a clear message as soon as a monitored loss is NaN or infinite.

    Checks the batch logs (in Keras's background thread, so training is not slowed;
    the stop may come a batch or two after the bad one). Names missing from the
    logs are ignored. After a stop, `message` names the log, the epoch, the batch and
    the step (counted from the start of training), and the last finite values of
    the monitored logs.

    Args:
        monitor: str or tuple of str, log names to watch (default ("loss", "d_loss", "g_loss")).

    Example:
        >>> guard = kgen.callbacks.DivergenceGuard()
        >>> gan.fit(x, epochs=20, callbacks=[guard])
        >>> guard.message          # None if training never diverged
    """

    async_safe = True

    def __init__(self, monitor=("loss", "d_loss", "g_loss")):
        super().__init__()
        names = (monitor,) if isinstance(monitor, str) else monitor
        if not isinstance(names, (tuple, list)) or not names or not all(isinstance(n, str) and n for n in names):
            fail("monitor", monitor, "a log name or a tuple of log names", KgenTypeError)
        self.monitor = tuple(names)
        self.message = None
        self.last_finite = {}
        self._epoch = 0
        self._step = 0

    def on_train_begin(self, logs=None):
        self.message = None
        self.last_finite = {}
        self._step = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        self._step += 1
        if self.message is not None or not logs:
            return
        values = {name: float(logs[name]) for name in self.monitor if logs.get(name) is not None}
        bad = [name for name, value in values.items() if not math.isfinite(value)]
        if not bad:
            self.last_finite.update(values)
            return
        last = ", ".join(f"{name}={value:.4g}" for name, value in self.last_finite.items()) or "none (the first step)"
        self.message = (
            f"DivergenceGuard: {bad[0]} became {values[bad[0]]} at epoch {self._epoch + 1}, batch {batch + 1} "
            f"(step {self._step}); last finite values: {last}. Training stopped. Try lower learning rates, "
            "check the data are in [0, 1], or resume from the last checkpoint."
        )
        print(self.message)
        self.model.stop_training = True


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

    Example:
        >>> classifier = kgen.models.Classifier.from_preset("fashion_mnist_classifier")
        >>> fd = kgen.callbacks.FrechetDistance(x_test, classifier, every=5)
        >>> history = gan.fit(x_train, epochs=20, callbacks=[fd])
        >>> history.history["fd"]

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
        self.drawn_z, self.drawn_labels = _fixed_latents(self.model, self.num_samples, self.seed, self.labels)
        check_images("reference", self.reference, self.model.image_shape)
        self._reference_statistics = metrics.gaussian_statistics(metrics.embed(self.reference, self.features))

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every == 0 and logs is not None:
            samples = self.model.generate(z=self.drawn_z, labels=self.drawn_labels)
            statistics = metrics.gaussian_statistics(metrics.embed(samples, self.features))
            logs["fd"] = metrics.frechet_distance_from_statistics(*statistics, *self._reference_statistics)
