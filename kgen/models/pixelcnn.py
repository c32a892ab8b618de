"""Gated PixelCNN: an autoregressive image model with an exact, tractable likelihood,
p(x) = prod_i p(x_i | x_1, ..., x_{i-1}) over pixels in raster order."""

import math

import keras
import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from kgen.core import seeds
from kgen.core.adam import Adam
from kgen.core.batching import in_batches
from kgen.core.exporter import ServingFunction
from kgen.core.feeding import fit_feed
from kgen.core.precision import check_precision, warn_if_emulated
from kgen.core.serialization import serializable
from kgen.core.validation import (
    check_choice,
    check_images,
    check_int,
    check_labels,
    fail,
    is_data_stream,
)
from kgen.models import pixelcnn_sampling
from kgen.models.pixelcnn_layers import GatedBlock, Pointwise
from kgen.ops import sampling
from kgen.presets.model import KgenModel

tfd = tfp.distributions

LIKELIHOODS = ("bernoulli", "categorical")
LEVELS = 256
"""Intensity levels of the categorical likelihood (8-bit images)."""
SAMPLERS = ("cached", "naive")
SAMPLE_BATCH = 500
"""Images per compiled sampler call (bounds the cached activations' memory)."""
COMPUTE_DTYPES = {"float32": tf.float32, "bfloat16": tf.bfloat16}
"""What each `compile(precision=...)` runs the training steps' network in (its own layers take
the dtype of their inputs, so no Keras dtype policy is involved)."""


@serializable
class PixelCNN(KgenModel):
    """Gated PixelCNN with vertical and horizontal stacks, residual and skip connections.

    The network maps an image to, at every pixel, the parameters of p(x_i | x_<i):
    Bernoulli logits per channel ("bernoulli", binary images) or 256-way logits per
    channel ("categorical", 8-bit images as multiples of 1/255). The channels of one
    pixel are conditionally independent given the pixels before it. `train_step`
    minimises the exact negative log-likelihood, averaged over the global batch, and
    reports it per image in nats (`loss`) and in bits per dimension (`bits_per_dim`).
    The network is built from the hyperparameters, not passed in: the cached sampler
    replays each block's convolutions one row and one pixel at a time.

    Args:
        image_shape: (h, w, c) of the images (default (28, 28, 1)).
        likelihood: str, "bernoulli" or "categorical" (default "bernoulli").
        filters: int, channels of each stack (default 64).
        num_layers: int >= 1, gated blocks (default 12).
        kernel_size: int, odd, kernel of the blocks after the first (default 3).
        first_kernel_size: int, odd, >= 3, kernel of the first block, which reads the image (default 7).
        skip_filters: int or None, channels of the skip path (default: 2 * filters).
        head_units: int or None, units of the 1x1 layer before the output (default: 2 * filters).
        num_classes: int or None, class-conditional when set (labels in [0, num_classes); default None).
        binarize: bool, with the Bernoulli likelihood, train on x_b ~ Bernoulli(x) drawn afresh at
            every step (dynamic binarization, default True): the network reads x_b and the loss is
            the expectation over each pixel's own draw, -sum_i [x_i log p_i + (1 - x_i) log(1 - p_i)];
            when False training images must be binary.
        seed: int or None, seeds the training noise (default None).

    Examples:
        >>> pc = kgen.models.PixelCNN(image_shape=(8, 8, 1), filters=4, num_layers=1)   # a tiny one
        >>> pc.compile()
        >>> x = kgen.datasets.binarize(np.random.default_rng(0).random((8, 8, 8, 1)), seed=0)
        >>> sorted(pc.fit(x, epochs=1, batch_size=4, verbose=0).history)
        ['bits_per_dim', 'loss']
        >>> pc.log_prob(x).shape, pc.bits_per_dim(x).shape      # exact, per image
        ((8,), (8,))
        >>> images = pc.sample(2, seed=0, method="naive")   # "cached", the default, is faster at 28x28
        >>> images.shape, np.unique(images).tolist()
        ((2, 8, 8, 1), [0.0, 1.0])

    Reference:
        van den Oord, Kalchbrenner, Vinyals, Espeholt, Graves and Kavukcuoglu,
        "Conditional Image Generation with PixelCNN Decoders", NeurIPS 2016;
        van den Oord, Kalchbrenner and Kavukcuoglu, "Pixel Recurrent Neural Networks", ICML 2016.
    """

    def __init__(
        self,
        image_shape=(28, 28, 1),
        likelihood="bernoulli",
        filters=64,
        num_layers=12,
        kernel_size=3,
        first_kernel_size=7,
        skip_filters=None,
        head_units=None,
        num_classes=None,
        binarize=True,
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        shape = tuple(image_shape) if isinstance(image_shape, (tuple, list)) else None
        if shape is None or len(shape) != 3:
            fail("image_shape", image_shape, "(height, width, channels)")
        self.image_shape = tuple(check_int("image_shape", d, minimum=1) for d in shape)
        self.likelihood = check_choice("likelihood", likelihood, LIKELIHOODS)
        self.filters = check_int("filters", filters, minimum=1)
        self.num_layers = check_int("num_layers", num_layers, minimum=1)
        self.kernel_size = _odd("kernel_size", kernel_size)
        self.first_kernel_size = _odd("first_kernel_size", first_kernel_size, minimum=3)
        self.skip_filters = check_int("skip_filters", 2 * self.filters if skip_filters is None else skip_filters,
                                      minimum=1)
        self.head_units = check_int("head_units", 2 * self.filters if head_units is None else head_units, minimum=1)
        self.num_classes = None if num_classes is None else check_int("num_classes", num_classes, minimum=2)
        self.binarize = bool(binarize)
        self.seed = seed
        self.blocks = [
            GatedBlock(self.filters, self.first_kernel_size if index == 0 else self.kernel_size, self.skip_filters,
                       first=index == 0, num_classes=self.num_classes, name=f"block_{index}")
            for index in range(self.num_layers)
        ]
        channels = self.image_shape[-1]
        self.outputs_per_channel = 1 if self.likelihood == "bernoulli" else LEVELS
        self.head_hidden = Pointwise(self.head_units, name="head_hidden")
        self.head_out = Pointwise(channels * self.outputs_per_channel, name="head_out")
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.bits_tracker = keras.metrics.Mean(name="bits_per_dim")
        self.precision = "float32"
        self.build((None,) + self.image_shape)

    @property
    def dimensions(self):
        """Pixels times channels: the D of bits per dimension."""
        return int(np.prod(self.image_shape))

    def build(self, input_shape=None):
        image = (None,) + self.image_shape
        for block in self.blocks:
            block.build(image)
        self.head_hidden.build(image[:-1] + (self.skip_filters,))
        self.head_out.build(image[:-1] + (self.head_units,))
        self.built = True

    # ------------------------------------------------------------------ network

    def head(self, skip):
        """Output logits from the summed skip connections, for any leading shape (..., skip_filters)."""
        logits = self.head_out(tf.nn.relu(self.head_hidden(tf.nn.relu(skip))))
        if self.likelihood == "categorical":
            logits = tf.reshape(logits, tf.concat([tf.shape(logits)[:-1], [self.image_shape[-1], LEVELS]], 0))
        return logits

    def network(self, images, labels=None, dtype=tf.float32, fused=None):
        """Logits of p(x_i | x_<i) at every pixel: (n, h, w, c), or (n, h, w, c, 256) when categorical.
        The network computes in `dtype`; the logits are float32. `fused`: the gates as XLA clusters
        (True) or plain TensorFlow ops (False, what `export` traces); None, the faster here: fused
        in bfloat16 only (`pixelcnn_layers.gate`)."""
        fused = dtype == tf.bfloat16 if fused is None else fused
        v = h = tf.cast(images, dtype)
        skip = 0.0
        for block in self.blocks:
            v, h, block_skip = block(v, h, labels, fused=fused)
            skip = skip + block_skip
        return tf.cast(self.head(skip), tf.float32)

    def call(self, images, labels=None):
        return self.network(images, labels)

    def log_prob_of_logits(self, logits, images):
        """Per-example log p(x) in nats from the network's logits; `images` binary or multiples of 1/255."""
        if self.likelihood == "bernoulli":
            terms = -tf.nn.sigmoid_cross_entropy_with_logits(labels=images, logits=logits)
        else:
            levels = tf.cast(tf.round(images * (LEVELS - 1)), tf.int32)
            terms = -tf.nn.sparse_softmax_cross_entropy_with_logits(labels=levels, logits=logits)
        return tf.reduce_sum(terms, axis=[1, 2, 3])

    def pixel_values(self, logits, uniform):
        """Sample pixel values in [0, 1] from logits with given uniforms (same shape as the values)."""
        if self.likelihood == "bernoulli":
            return tf.cast(uniform < tf.sigmoid(logits), tf.float32)
        cdf = tf.cumsum(tf.nn.softmax(logits), axis=-1)
        level = tf.reduce_sum(tf.cast(cdf < uniform[..., None], tf.int32), axis=-1)
        return tf.cast(tf.minimum(level, LEVELS - 1), tf.float32) / (LEVELS - 1)

    # ------------------------------------------------------------------ training

    def compile(self, optimizer=None, precision="float32", **kwargs):
        """Compile with Adam(1e-3) by default; the other arguments are passed on to Keras.

        Args:
            optimizer: a Keras optimizer or None (Adam(1e-3)).
            precision: str, what the training steps compute in: "float32" or "bfloat16"
                (about twice as fast on CPUs with bfloat16 matrix units; weights, optimizer
                state and the loss stay float32). `log_prob` and the samplers always
                compute in float32 (default "float32").
        """
        self.precision = check_precision(precision)
        warn_if_emulated(self.precision)
        super().compile(optimizer=optimizer or Adam(1e-3), **kwargs)
        self.optimizer.build(self.trainable_variables)

    @property
    def metrics(self):
        return [self.loss_tracker, self.bits_tracker]

    def _unpack(self, data):
        images, labels, _ = keras.utils.unpack_x_y_sample_weight(data)
        if self.num_classes is None and labels is not None:
            fail("y", labels, "None: the PixelCNN is unconditional (num_classes=None); fit on images only")
        if self.num_classes is not None and labels is None:
            fail("y", labels, f"class labels in [0, {self.num_classes}): the PixelCNN is conditional; "
                 "fit on (x, y) or a dataset of (images, labels)")
        labels = None if labels is None else tf.reshape(tf.cast(labels, tf.int32), [-1])
        return tf.cast(images, tf.float32), labels

    def _record(self, log_prob):
        self.loss_tracker.update_state(-log_prob)
        self.bits_tracker.update_state(-log_prob / (self.dimensions * math.log(2.0)))
        return {m.name: m.result() for m in self.metrics}

    def train_step(self, data):
        images, labels = self._unpack(data)
        targets = images
        if self.likelihood == "bernoulli" and self.binarize:
            (binarize_seed,) = seeds.step_seeds(self.seed_generator, 1)
            uniform = seeds.replica_rows(
                lambda n: seeds.uniform(tf.concat([[n], tf.shape(images)[1:]], 0), binarize_seed),
                tf.shape(images)[0])
            images = tf.cast(sampling.bernoulli_from_uniform(uniform, images), tf.float32)
        with tf.GradientTape() as tape:
            logits = self.network(images, labels, COMPUTE_DTYPES[self.precision])
            # The grey targets are the expectation of each pixel's own draw, which no conditional
            # sees (x_b,i is independent of x_b,<i given x): the same expected loss and gradient
            # as the binary targets, with less variance.
            log_prob = self.log_prob_of_logits(logits, targets)
            loss = tf.nn.compute_average_loss(-log_prob)
            if self.losses:
                loss += tf.nn.scale_regularization_loss(tf.add_n(self.losses))
        gradients = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply(gradients, self.trainable_variables)
        return self._record(log_prob)

    def test_step(self, data):
        images, labels = self._unpack(data)
        return self._record(self.log_prob_of_logits(self.network(images, labels, COMPUTE_DTYPES[self.precision]), images))

    # ------------------------------------------------------------------ checks

    def _check_images(self, x, name="x", exact=True):
        """Images of the model's shape in [0, 1]; with `exact`, values the likelihood is defined on."""
        x = check_images(name, x, self.image_shape)
        if exact and self.likelihood == "bernoulli" and not np.all((x == 0) | (x == 1)):
            fail(name, x, "binary images (values 0 and 1) for the Bernoulli likelihood; "
                 "binarize them first, e.g. kgen.datasets.binarize(x, seed=0)")
        if exact and self.likelihood == "categorical":
            levels = x * (LEVELS - 1)
            if np.max(np.abs(levels - np.round(levels)), initial=0.0) > 1e-3:
                fail(name, x, "8-bit images (multiples of 1/255) for the categorical likelihood")
        return x

    def _check_labels(self, labels, n, name="labels"):
        if self.num_classes is None:
            if labels is not None:
                fail(name, labels, "None: the PixelCNN is unconditional (num_classes=None)")
            return None
        if labels is None:
            fail(name, labels, f"class labels in [0, {self.num_classes}): the PixelCNN is conditional")
        return check_labels(name, labels, n, self.num_classes, allow_scalar=True)

    # ------------------------------------------------------------------ user methods

    def fit(self, x=None, y=None, *args, **kwargs):
        """`keras.Model.fit` on images in [0, 1] (and labels y when conditional); arrays are checked up front.

        Args:
            x: float images (n, h, w, c), or a tf.data.Dataset of image (or (image, label)) batches.
            y: int labels (n,) when `num_classes` is set, else None.
            *args: passed to `keras.Model.fit`.
            **kwargs: passed to `keras.Model.fit` (batch_size, epochs, callbacks, ...).
        """
        if not is_data_stream(x):
            x = self._check_images(x, exact=not (self.likelihood == "bernoulli" and self.binarize))
            y = self._check_labels(y, len(x), "y")
        x, y, kwargs = fit_feed(x, y, args, kwargs, self.distribute_strategy)
        return super().fit(x, y, *args, **kwargs)

    def log_prob(self, x, labels=None, batch_size=250):
        """Exact log p(x) per example, nats: the sum of every pixel's log p(x_i | x_<i).

        Args:
            x: images (n, h, w, c): binary for the Bernoulli likelihood, multiples of 1/255
                for the categorical one.
            labels: int labels (n,) or one int, when the model is conditional (default None).
            batch_size: int, images per compiled call (default 250).

        Returns:
            numpy float64 (n,).
        """
        x = self._check_images(x)
        labels = self._check_labels(labels, len(x))
        batch_size = check_int("batch_size", batch_size, minimum=1)
        return in_batches(lambda images, y, index: _log_prob(self, images, y).numpy(), [x, labels],
                          batch_size, label="log p(x)").astype("float64")

    def bits_per_dim(self, x, labels=None, batch_size=250):
        """-log2 p(x) / D per example, with D = h * w * c: numpy float64 (n,)."""
        return -self.log_prob(x, labels, batch_size) / (self.dimensions * math.log(2.0))

    def sample(self, n=None, seed=None, labels=None, method="cached"):
        """Draw images pixel by pixel: numpy (n, h, w, c) in [0, 1].

        Args:
            n: int >= 1, images to draw (default: one per label when labels are given).
            seed: int or None, makes the images reproducible (default None).
            labels: int labels (n,) or one int, required when the model is conditional.
            method: str, "cached" (each pixel updates cached activations, Ramachandran et al.
                2017) or "naive" (a full forward pass per pixel); both give the same images
                for the same seed (default "cached").

        Reference:
            Ramachandran, Le Paine, Khorrami, Babaeizadeh, Chang, Zhang, Hasegawa-Johnson,
            Campbell and Huang, "Fast Generation for Convolutional Autoregressive Models",
            ICLR 2017 workshop.
        """
        if n is None and labels is not None and np.ndim(labels) == 1:
            n = len(labels)
        n = check_int("n", n, minimum=1)
        return self._draw(np.zeros((n,) + self.image_shape, "float32"), np.zeros((n,) + self.image_shape[:2], bool),
                          seed, labels, method)

    def complete(self, x, observed_rows=None, seed=None, labels=None, method="cached"):
        """Keep the first `observed_rows` rows of each image and sample the rest.

        Args:
            x: images (n, h, w, c) whose top rows are observed (the rest is ignored); binary
                for the Bernoulli likelihood.
            observed_rows: int in [0, h], rows kept (default: the top half, h // 2).
            seed: as in `sample`.
            labels: as in `sample`.
            method: as in `sample`.

        Returns:
            numpy (n, h, w, c): the observed rows unchanged, the rest sampled given them.
        """
        height = self.image_shape[0]
        observed_rows = height // 2 if observed_rows is None else check_int(
            "observed_rows", observed_rows, minimum=0, maximum=height)
        x = self._check_images(x)
        known = np.zeros((len(x),) + self.image_shape[:2], bool)
        known[:, :observed_rows] = True
        return self._draw(np.where(known[..., None], x, 0.0).astype("float32"), known, seed, labels, method)

    def _draw(self, canvas, known, seed, labels, method, batch_size=SAMPLE_BATCH):
        """Sample the unknown pixels of `canvas`, `batch_size` images per compiled call. The uniforms
        are drawn for all n images at once, so the images do not depend on the batching."""
        method = check_choice("method", method, SAMPLERS)
        labels = self._check_labels(labels, len(canvas))
        noise = seeds.uniform(canvas.shape, seeds.stateless_seed(seed, "seed")).numpy()
        sampler = pixelcnn_sampling.cached_sample if method == "cached" else pixelcnn_sampling.naive_sample

        def batch(canvas, known, noise, labels, index):
            label_tensor = None if labels is None else tf.constant(labels)
            return sampler(self, tf.constant(canvas), tf.constant(known), tf.constant(noise), label_tensor).numpy()

        return in_batches(batch, [canvas, known, noise, labels], batch_size, label="sampling")

    # ------------------------------------------------------------------ export

    def serving_functions(self):
        """What `export` writes: "conditionals", images (n, h, w, c) (binary for the Bernoulli
        likelihood, multiples of 1/255 for the categorical one) and, when conditional, int32
        labels (n,) -> the network's "logits" of p(x_i | x_<i) at every pixel and channel and their
        "probabilities": sigmoid(logits) = p(x_i = 1 | x_<i), (n, h, w, c), for the Bernoulli
        likelihood; softmax over the 256 levels, (n, h, w, c, 256), for the categorical one. Pixel
        i's outputs depend only on the pixels before it in raster order, so one call scores an
        image (log p(x) is the sum of the log-probabilities of its pixels) and a sampler calls it
        once per pixel. Always float32, whatever `compile(precision=...)` trained in.

        Returns:
            list of one `kgen.presets.ServingFunction`.
        """
        def conditionals(images, labels=None):
            logits = self.network(images, labels, tf.float32, fused=False)
            probabilities = tf.sigmoid(logits) if self.likelihood == "bernoulli" else tf.nn.softmax(logits, axis=-1)
            return {"logits": logits, "probabilities": probabilities}

        signature = (tf.TensorSpec((None, *self.image_shape), tf.float32, name="images"),)
        notes = {"likelihood": self.likelihood, "order": "raster (row by row, left to right)"}
        if self.num_classes is not None:
            signature += (tf.TensorSpec((None,), tf.int32, name="labels"),)
            notes["num_classes"] = self.num_classes
        return [ServingFunction("conditionals", conditionals, signature,
                                "images -> logits and probabilities of p(x_i | x_<i) at every pixel", notes=notes)]

    # ------------------------------------------------------------------ serialization

    def preset_probe(self):
        """Log-probabilities of four fixed random binary (or 8-bit) images, recorded in a preset's metadata."""
        rng = np.random.default_rng(0)
        shape = (4,) + self.image_shape
        if self.likelihood == "bernoulli":
            x = (rng.random(shape) < 0.3).astype("float32")
        else:
            x = (rng.integers(0, LEVELS, shape) / (LEVELS - 1)).astype("float32")
        labels = None if self.num_classes is None else np.arange(4, dtype="int32") % self.num_classes
        return self.network(x, labels).numpy()

    def get_config(self):
        config = super().get_config()
        config.update(
            image_shape=self.image_shape,
            likelihood=self.likelihood,
            filters=self.filters,
            num_layers=self.num_layers,
            kernel_size=self.kernel_size,
            first_kernel_size=self.first_kernel_size,
            skip_filters=self.skip_filters,
            head_units=self.head_units,
            num_classes=self.num_classes,
            binarize=self.binarize,
            seed=self.seed,
        )
        return config


def _odd(name, value, minimum=1):
    value = check_int(name, value, minimum=minimum)
    if value % 2 == 0:
        fail(name, value, f"an odd integer >= {minimum}")
    return value


@tf.function
def _log_prob(model, images, labels):
    return model.log_prob_of_logits(model.network(images, labels), images)
