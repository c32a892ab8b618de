"""Generative adversarial networks: a generator and a discriminator trained as a two-player game."""

import weakref

import keras
import numpy as np
import tensorflow as tf

from kgen.core import seeds
from kgen.core.adam import Adam
from kgen.core.batching import in_batches
from kgen.core.errors import KgenTypeError, KgenValueError
from kgen.core.exporter import ServingFunction
from kgen.core.feeding import fit_feed
from kgen.core.precision import set_precision
from kgen.core.serialization import serializable
from kgen.core.validation import (
    check_choice,
    check_finite,
    check_images,
    check_int,
    check_labels,
    check_number,
    fail,
    is_data_stream,
)
from kgen.models import inference
from kgen.ops import losses, sampling
from kgen.presets.model import KgenModel

LOSSES = tuple(losses.GAN_LOSSES)
PENALIZED_LOSSES = ("wgan-gp", "wasserstein")
"""Losses trained with the WGAN-GP gradient penalty."""
PROBABILITY_LOSSES = ("minimax", "non_saturating")
"""Losses whose discriminator outputs logits of a probability; the others output raw scores."""


def _average_loss(per_example, regularization):
    """Mean over the global batch, plus the (replica-scaled) regularization losses."""
    loss = tf.nn.compute_average_loss(per_example)
    if regularization:
        loss += tf.nn.scale_regularization_loss(tf.add_n(regularization))
    return loss


def to_unit_interval(images):
    """Network images in [-1, 1] -> user images in [0, 1]."""
    return tf.clip_by_value((tf.cast(images, tf.float32) + 1.0) / 2.0, 0.0, 1.0)


_INFERENCE_COPIES = weakref.WeakKeyDictionary()
"""generator -> its InferenceCopy, built on first use."""


def sampling_network(generator):
    """What `generate` runs: the generator's InferenceCopy, synced to its current weights, when the
    copy's parity tests cover every layer of the generator; else the generator as built."""
    if not inference.covers(generator):
        return generator
    if generator not in _INFERENCE_COPIES:
        _INFERENCE_COPIES[generator] = inference.InferenceCopy(generator)
    return _INFERENCE_COPIES[generator].sync()


@tf.function(reduce_retracing=True)
def generate_batch(generator, z, labels):
    """Images in [0, 1] from one batch; traced per generator and labels or not, for the first batch
    size and then once more for any size (reduce_retracing: no warning when several sizes are drawn)."""
    return to_unit_interval(generator(z if labels is None else [z, labels], training=False))


def _ema_copy(generator):
    """A frozen copy of `generator` (same architecture and weights) named "ema_generator"."""
    config = keras.layers.serialize(generator)
    config["config"]["name"] = "ema_generator"
    copy = keras.layers.deserialize(config)
    copy.set_weights(generator.get_weights())
    copy.trainable = False
    return copy


@serializable
class GAN(KgenModel):
    """Generative adversarial network: `fit` alternates discriminator and generator updates.

    Value range: the networks work in [-1, 1] (the generator should end in tanh);
    the public API works in [0, 1]. `train_step` maps real images x in [0, 1] to
    2x - 1 before the discriminator sees them, and `generate` maps samples back
    with (g + 1) / 2.

    Each `train_step` makes `d_steps` discriminator updates, each on the same real
    batch with fresh latents, then one generator update on fresh latents. Losses
    are the per-example pairs of `kgen.losses.GAN_LOSSES`, averaged over the global
    batch (`tf.nn.compute_average_loss`, correct under `tf.distribute`); random
    numbers are stateless, drawn from the model's `SeedGenerator` for the global
    batch, each replica taking its examples' rows, so a multi-replica step draws
    what one device would. When conditional (`num_classes` set), the generator is called as
    ``generator([z, labels])`` and the discriminator as ``discriminator([images,
    labels])``; fakes in a step use the labels of the real batch.

    `fit` logs, as means over the epoch:
        d_loss: the discriminator's loss (with the weighted penalty for WGAN-GP).
        g_loss: the generator's loss.
        d_real, d_fake: D's output on real and on generated images. For "minimax"
            and "non_saturating" these are probabilities sigmoid(logit) (1 = "real");
            for "least_squares", "wgan-gp" and "hinge" they are the raw scores.
        gp: the gradient penalty, unweighted (WGAN-GP only).

    Args:
        generator: keras.Model, z (n, latent_dim) -> images (n, h, w, c) in [-1, 1];
            inputs [z, labels (n,) int] when conditional.
        discriminator: keras.Model, images (n, h, w, c) in [-1, 1] -> logits (n, 1)
            or (n,); inputs [images, labels (n,) int] when conditional. For WGAN-GP
            it must treat examples independently (no batch normalization).
        latent_dim: int, the latent size.
        loss: str, one of "minimax" (saturating, for teaching), "non_saturating",
            "least_squares", "wgan-gp" (alias "wasserstein") or "hinge"
            (default "non_saturating").
        d_steps: int >= 1, discriminator updates per generator update (default 1;
            the WGAN-GP paper uses 5).
        gp_weight: float >= 0, weight of the gradient penalty for WGAN-GP (default 10.0).
        num_classes: int >= 2 or None, number of classes of a conditional GAN (default None).
        class_prior: num_classes probabilities or None. When given, labels are
            optional when sampling: each latent gets a label drawn from the
            prior by a hash of its bits (`prior_labels`), so the same z always
            gives the same image. A self-conditioned GAN (Liu et al. 2020) is a
            conditional GAN trained on cluster ids of its images, with the
            cluster frequencies as prior, so users sample it as an unconditional
            one (default None: labels required when conditional).
        seed: int or None, seeds the training noise (default None).
        ema: float in (0, 1) or None, decay of an exponential moving average of the
            generator's weights, kept in `ema_generator` and used by `generate`
            (default None: no average).

    Examples:
        Any pair of Keras models works; here two one-layer networks:

        >>> generator = keras.Sequential([keras.Input((8,)), keras.layers.Dense(784, activation="tanh"),
        ...                               keras.layers.Reshape((28, 28, 1))])
        >>> discriminator = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(1)])
        >>> gan = kgen.models.GAN(generator, discriminator, latent_dim=8, loss="non_saturating")
        >>> gan.compile()
        >>> x = np.random.default_rng(0).random((8, 28, 28, 1), dtype="float32")   # images in [0, 1]
        >>> sorted(gan.fit(x, epochs=1, batch_size=4, verbose=0).history)
        ['d_fake', 'd_loss', 'd_real', 'g_loss']

    Reference:
        Goodfellow et al., "Generative Adversarial Nets", NeurIPS 2014; Mirza and
        Osindero, "Conditional Generative Adversarial Nets", arXiv:1411.1784, 2014;
        Yazici et al., "The Unusual Effectiveness of Averaging in GAN Training", ICLR 2019 (ema);
        Liu et al., "Diverse Image Generation via Self-Conditioned GANs", CVPR 2020 (class_prior).
    """

    def __init__(
        self,
        generator,
        discriminator,
        latent_dim,
        loss="non_saturating",
        d_steps=1,
        gp_weight=10.0,
        num_classes=None,
        seed=None,
        ema=None,
        class_prior=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.latent_dim = check_int("latent_dim", latent_dim, minimum=1)
        self.loss_name = check_choice("loss", loss, LOSSES)
        self.d_steps = check_int("d_steps", d_steps, minimum=1)
        self.gp_weight = check_number("gp_weight", gp_weight, minimum=0.0)
        self.num_classes = None if num_classes is None else check_int("num_classes", num_classes, minimum=2)
        self.class_prior = self._check_prior(class_prior)
        self.seed = seed
        self.ema = None if ema is None else check_number(
            "ema", ema, minimum=0.0, maximum=1.0, low_open=True, high_open=True
        )
        self.generator, self.discriminator = generator, discriminator
        self.image_shape = self._check_parts()
        self.ema_generator = None if self.ema is None else _ema_copy(generator)
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.d_real_tracker = keras.metrics.Mean(name="d_real")
        self.d_fake_tracker = keras.metrics.Mean(name="d_fake")
        self.gp_tracker = keras.metrics.Mean(name="gp") if self.penalized else None
        self.build((None, self.latent_dim))

    # ------------------------------------------------------------------ structure

    @property
    def labels_required(self):
        """Whether sampling needs labels from the caller: conditional, with no class_prior to draw them from."""
        return self.num_classes is not None and self.class_prior is None

    @property
    def penalized(self):
        """Whether the discriminator loss includes the WGAN-GP gradient penalty."""
        return self.loss_name in PENALIZED_LOSSES

    def _check_prior(self, prior):
        """None, or num_classes probabilities summing to 1 as a list of floats."""
        if prior is None:
            return None
        if self.num_classes is None:
            fail("class_prior", prior, "None: the GAN is unconditional (num_classes=None)")
        array = check_finite("class_prior", prior).astype("float64")
        if array.shape != (self.num_classes,) or array.min() < 0 or not np.isclose(array.sum(), 1.0, atol=1e-6):
            fail("class_prior", prior, f"{self.num_classes} (num_classes) non-negative probabilities summing to 1")
        return (array / array.sum()).tolist()

    def _check_parts(self):
        """Check the networks' inputs against latent_dim and num_classes; return the image shape."""
        conditional = self.num_classes is not None
        for name, part in (("generator", self.generator), ("discriminator", self.discriminator)):
            if not isinstance(part, keras.Model) or getattr(part, "inputs", None) is None:
                fail(name, part, "a built functional or sequential keras.Model", KgenTypeError)
            if len(part.inputs) != (2 if conditional else 1):
                first = "z" if name == "generator" else "images"
                expected = f"[{first}, labels] (num_classes is set)" if conditional else f"{first} only (num_classes=None)"
                fail(name, part, f"a model whose inputs are {expected}; it has {len(part.inputs)} inputs")
        z_shape = tuple(self.generator.inputs[0].shape[1:])
        image_shape = tuple(self.generator.outputs[0].shape[1:])
        if z_shape != (self.latent_dim,) or len(image_shape) != 3:
            fail("generator", self.generator, f"a model from z (n, {self.latent_dim}) to images (n, h, w, c); "
                 f"it maps z {(None,) + z_shape} to {(None,) + image_shape}")
        d_shape = tuple(self.discriminator.inputs[0].shape[1:])
        if d_shape != image_shape:
            fail("discriminator", self.discriminator, f"a model taking the generator's images "
                 f"{(None,) + image_shape}; it takes {(None,) + d_shape}")
        return image_shape

    def build(self, input_shape=None):
        self.built = True

    def call(self, inputs, training=False):
        """Images in [0, 1] from latents z (or [z, labels] when conditional), by the sampling generator."""
        return to_unit_interval(self.sampling_generator(inputs, training=training))

    @property
    def sampling_generator(self):
        """The generator `generate` uses: the weight average when `ema` is set, else the trained one."""
        return self.generator if self.ema is None else self.ema_generator

    # ------------------------------------------------------------------ training

    def _default_optimizer(self):
        if self.penalized:
            return Adam(1e-4, beta_1=0.0, beta_2=0.9)
        return Adam(2e-4, beta_1=0.5)

    def compile(self, d_optimizer=None, g_optimizer=None, precision=None, **kwargs):
        """Set the two optimizers; other arguments (jit_compile, steps_per_execution, ...) go to Keras.

        Defaults: Adam(2e-4, beta_1=0.5) for each network (Radford et al. 2016), or for
        WGAN-GP Adam(1e-4, beta_1=0.0, beta_2=0.9) (Gulrajani et al. 2017; the paper
        also makes 5 critic updates per generator update: construct with d_steps=5).

        Args:
            d_optimizer: keras optimizer (instance, name or config) for the
                discriminator, or None for the default.
            g_optimizer: the same for the generator.
            precision: None (the layers' dtype policies as they are), "float32", or
                "bfloat16": both networks compute in Keras's mixed_bfloat16 policy but for
                their output layers (the logits and the images stay float32; see
                `kgen.core.precision`). `generate` runs the generator's float32 inference
                copy when that covers its layers (`kgen.models.inference`), else the
                generator as compiled.
            **kwargs: passed to `keras.Model.compile`.

        Examples:
            >>> gan = kgen.models.DCGAN(latent_dim=8, base_filters=8)
            >>> gan.compile(d_optimizer=keras.optimizers.Adam(4e-4, beta_1=0.0), jit_compile=True)
            >>> round(float(gan.d_optimizer.learning_rate), 6), round(float(gan.g_optimizer.learning_rate), 6)
            (0.0004, 0.0002)
        """
        self.precision = precision
        if precision is not None:
            set_precision(self.generator, precision)
            set_precision(self.discriminator, precision)
        self.d_optimizer = self._default_optimizer() if d_optimizer is None else keras.optimizers.get(d_optimizer)
        self.g_optimizer = self._default_optimizer() if g_optimizer is None else keras.optimizers.get(g_optimizer)
        super().compile(optimizer=None, **kwargs)
        # built here, outside any traced (or XLA-compiled) step
        self.d_optimizer.build(self.discriminator.trainable_variables)
        self.g_optimizer.build(self.generator.trainable_variables)

    def get_compile_config(self):
        config = super().get_compile_config()
        if config:
            config.pop("optimizer", None)
            config["d_optimizer"] = keras.saving.serialize_keras_object(self.d_optimizer)
            config["g_optimizer"] = keras.saving.serialize_keras_object(self.g_optimizer)
        return config

    @property
    def metrics(self):
        trackers = [self.d_loss_tracker, self.g_loss_tracker, self.d_real_tracker, self.d_fake_tracker]
        return trackers + ([self.gp_tracker] if self.penalized else [])

    def _batch(self, data):
        """Real images in [-1, 1] and int32 labels (or None) from a `fit` batch; checked when traced."""
        images, labels, _ = keras.utils.unpack_x_y_sample_weight(data)
        if images.shape.rank != 4 or not images.shape[1:].is_compatible_with(self.image_shape):
            fail("x", images, f"batches of images of shape (n, {', '.join(map(str, self.image_shape))})")
        if self.num_classes is None and labels is not None:
            fail("y", labels, "None: the GAN is unconditional (num_classes=None); fit on images only")
        if self.num_classes is not None and labels is None:
            fail("y", labels, f"class labels in [0, {self.num_classes}): the GAN is conditional; "
                 "fit on (x, y) or a dataset of (images, labels)")
        real = tf.cast(images, tf.float32) * 2.0 - 1.0
        return real, None if labels is None else tf.reshape(tf.cast(labels, tf.int32), [-1])

    def _generate(self, z, labels, training):
        return self.generator(z if labels is None else [z, labels], training=training)

    def _discriminate(self, images, labels, training):
        return self.discriminator(images if labels is None else [images, labels], training=training)

    def _fake(self, batch_size, labels, seed, training):
        """Generator images in [-1, 1] from fresh latents z ~ N(0, I), keyed to each example's row
        of the global batch (the same under any number of replicas)."""
        z = seeds.replica_rows(lambda n: seeds.normal([n, self.latent_dim], seed), batch_size)
        return self._generate(z, labels, training)

    def _discriminator_terms(self, real, fake, labels, gp_seed, training):
        """Per-example D loss (with the weighted penalty), D's outputs, and the penalty or None."""
        real_logits = self._discriminate(real, labels, training)
        fake_logits = self._discriminate(fake, labels, training)
        per_example = losses.GAN_LOSSES[self.loss_name][0](real_logits, fake_logits)
        penalty = None
        if self.penalized:
            critic = lambda images: self._discriminate(images, labels, training)  # noqa: E731
            alpha = seeds.replica_rows(lambda n: seeds.uniform([n], gp_seed), tf.shape(real)[0])
            penalty = losses.gradient_penalty(critic, real, fake, alpha)
            per_example += self.gp_weight * penalty
        return per_example, real_logits, fake_logits, penalty

    def _record_discriminator(self, per_example, real_logits, fake_logits, penalty):
        score = tf.sigmoid if self.loss_name in PROBABILITY_LOSSES else tf.identity
        self.d_loss_tracker.update_state(per_example)
        self.d_real_tracker.update_state(score(real_logits))
        self.d_fake_tracker.update_state(score(fake_logits))
        if penalty is not None:
            self.gp_tracker.update_state(penalty)

    def _discriminator_update(self, real, labels, z_seed, gp_seed):
        fake = self._fake(tf.shape(real)[0], labels, z_seed, training=True)
        with tf.GradientTape() as tape:
            terms = self._discriminator_terms(real, fake, labels, gp_seed, training=True)
            loss = _average_loss(terms[0], self.discriminator.losses)
        variables = self.discriminator.trainable_variables
        self.d_optimizer.apply(tape.gradient(loss, variables), variables)
        self._record_discriminator(*terms)

    def _generator_update(self, batch_size, labels, z_seed):
        with tf.GradientTape() as tape:
            fake = self._fake(batch_size, labels, z_seed, training=True)
            per_example = losses.GAN_LOSSES[self.loss_name][1](self._discriminate(fake, labels, training=True))
            loss = _average_loss(per_example, self.generator.losses)
        variables = self.generator.trainable_variables
        self.g_optimizer.apply(tape.gradient(loss, variables), variables)
        self.g_loss_tracker.update_state(per_example)

    def _update_ema(self):
        """Average the trainable weights; copy the others (batch-norm statistics)."""
        for source, target in zip(self.generator.weights, self.ema_generator.weights, strict=True):
            target.assign(self.ema * target + (1.0 - self.ema) * source if source.trainable else source)

    def train_step(self, data):
        real, labels = self._batch(data)
        step_seeds = seeds.step_seeds(self.seed_generator, 2 * self.d_steps + 1)
        for step in range(self.d_steps):
            self._discriminator_update(real, labels, step_seeds[2 * step], step_seeds[2 * step + 1])
        self._generator_update(tf.shape(real)[0], labels, step_seeds[-1])
        if self.ema is not None:
            self._update_ema()
        return {m.name: m.result() for m in self.metrics}

    def discriminator_step(self, data):
        """One discriminator update on a batch of real images (fresh latents): one of `train_step`'s `d_steps`.

        For driving the two players separately (the lab's "D only" steps); wrap it in a
        `tf.function`. Returns the logs of `metrics`, as `train_step` does.
        """
        real, labels = self._batch(data)
        z_seed, gp_seed = seeds.step_seeds(self.seed_generator, 2)
        self._discriminator_update(real, labels, z_seed, gp_seed)
        return {m.name: m.result() for m in self.metrics}

    def generator_step(self, data):
        """One generator update on as many fresh latents as `data` has images (the labels of a conditional batch)."""
        real, labels = self._batch(data)
        (z_seed,) = seeds.step_seeds(self.seed_generator, 1)
        self._generator_update(tf.shape(real)[0], labels, z_seed)
        if self.ema is not None:
            self._update_ema()
        return {m.name: m.result() for m in self.metrics}

    def test_step(self, data):
        real, labels = self._batch(data)
        z_seed, gp_seed = seeds.step_seeds(self.seed_generator, 2)
        fake = self._fake(tf.shape(real)[0], labels, z_seed, training=False)
        terms = self._discriminator_terms(real, fake, labels, gp_seed, training=False)
        self._record_discriminator(*terms)
        self.g_loss_tracker.update_state(losses.GAN_LOSSES[self.loss_name][1](terms[2]))
        return {m.name: m.result() for m in self.metrics}

    def fit(self, x=None, y=None, *args, **kwargs):
        """`keras.Model.fit` on images in [0, 1] (and class labels y when conditional).

        Arrays are checked up front (shape, range, labels); datasets and generators
        are checked for shape and labels when the step is traced.

        Args:
            x: float images (n, h, w, c) in [0, 1], or a tf.data.Dataset of images or
                of (images, labels) batches.
            y: int class labels (n,) in [0, num_classes) when conditional (cluster
                ids for a self-conditioned GAN, see `kgen.clustering.kmeans`); else None.
            *args: passed to `keras.Model.fit`.
            **kwargs: passed to `keras.Model.fit` (batch_size, epochs, callbacks, ...).

        Returns:
            The Keras History, with d_loss, g_loss, d_real, d_fake (and gp).
        """
        if not is_data_stream(x):
            x = check_images("x", x, self.image_shape)
            if y is None and self.num_classes is not None:  # class_prior is for sampling, not training
                fail("y", y, f"class labels in [0, {self.num_classes}): the GAN is conditional; fit on (x, y)")
            y = self.check_labels(y, len(x), name="y")
        x, y, kwargs = fit_feed(x, y, args, kwargs, self.distribute_strategy)
        return super().fit(x, y, *args, **kwargs)

    # ------------------------------------------------------------------ user methods

    def _check_latents(self, z, name="z"):
        z = check_finite(name, z).astype("float32")
        if z.ndim != 2 or z.shape[1] != self.latent_dim or len(z) == 0:
            fail(name, z, f"an array of shape (n, {self.latent_dim}) with n >= 1")
        return z

    def check_labels(self, labels, n, name="labels", z=None):
        """The labels for n images, checked: None for an unconditional GAN; else int32 (n,) in
        [0, num_classes) from an int or n ints, or the prior labels of the n latents `z` when
        omitted and the GAN has a class_prior. Raises a kgen error naming `name` otherwise."""
        k = self.num_classes
        if k is None:
            if labels is not None:
                fail(name, labels, "None: the GAN is unconditional (num_classes=None)")
            return None
        if labels is None and self.class_prior is not None:
            return self.prior_labels(z)
        if labels is None:
            fail(name, labels, f"class labels in [0, {k}) (an int, or one int per image): the GAN is conditional")
        return check_labels(name, labels, n, k, allow_scalar=True)

    def prior_labels(self, z):
        """The labels `generate` gives latents z when none are passed: draws from `class_prior`.

        Each label is the prior's inverse CDF at a uniform number made by hashing
        the bits of its float32 latent, so labels are independent of the latents'
        values (truncation does not bias them), distributed as the prior for
        random latents, and the same for the same z in any batch.

        Args:
            z: float array (n, latent_dim).

        Returns:
            numpy int32 (n,) in [0, num_classes).

        Examples:
            >>> gan = kgen.models.DCGAN.from_preset("dcgan_fashion_mnist")   # self-conditioned: 50 clusters
            >>> z = gan.sample_latent(16, seed=0)
            >>> labels = gan.prior_labels(z)          # the cluster ids generate(z=z) decodes with
            >>> labels.shape, bool((labels >= 0).all() and (labels < 50).all())
            ((16,), True)
            >>> bool((gan.prior_labels(z[:4]) == labels[:4]).all())   # the same z, the same label
            True
        """
        if self.class_prior is None:
            fail("class_prior", self.class_prior, "a prior over the classes to draw labels from "
                 "(set when the GAN is built; a conditional GAN without one takes labels from the caller)")
        uniform = sampling.hashed_uniform(self._check_latents(z))
        return sampling.categorical_from_uniform(uniform, self.class_prior).astype("int32")

    def sample_latent(self, n, seed=None, truncation=None):
        """n latents z ~ N(0, I), optionally truncated to |z_i| <= truncation.

        Args:
            n: int >= 1.
            seed: int in [0, 2**31 - 1] or None; an int makes the latents reproducible.
            truncation: float > 0 or None; every coordinate is resampled until
                |z_i| <= truncation (the truncation trick; default None: no truncation).

        Returns:
            numpy float32 (n, latent_dim).

        Examples:
            >>> gan = kgen.models.DCGAN(latent_dim=64)
            >>> z = gan.sample_latent(16, seed=0, truncation=0.5)
            >>> z.shape, z.dtype, float(np.abs(z).max()) <= 0.5
            ((16, 64), dtype('float32'), True)
            >>> bool((gan.sample_latent(16, seed=0, truncation=0.5) == z).all())   # seeded
            True

        Reference:
            Brock, Donahue and Simonyan, "Large Scale GAN Training for High Fidelity
            Natural Image Synthesis", ICLR 2019 (truncation).
        """
        n = check_int("n", n, minimum=1)
        if seed is not None:
            seed = check_int("seed", seed, minimum=0, maximum=seeds.MAX_SEED)
        if truncation is None:
            return keras.ops.convert_to_numpy(keras.random.normal((n, self.latent_dim), seed=seed))
        truncation = check_number("truncation", truncation, minimum=0.0, low_open=True)
        return sampling.truncated_normal((n, self.latent_dim), truncation, seed).numpy()

    def generate(self, n=None, z=None, labels=None, seed=None, truncation=None, batch_size=1000):
        """Images from n fresh latents or from given latents z.

        A generator made only of the layers `kgen.models.inference` covers (those
        of `dcgan_generator`) is sampled through an inference copy with its batch
        norms folded into the layers before them and its image-producing
        transposed convolution as a matrix product and XLA-fused sums: the same
        images up to float rounding, computed faster. Any other generator runs as built.

        Args:
            n: int >= 1 or None, images to sample (give exactly one of n and z; with
                neither, n is the number of `labels`).
            z: float array (n, latent_dim) or None, latents to decode.
            labels: int or array of n ints in [0, num_classes), required when
                conditional unless the GAN has a `class_prior` (then
                `prior_labels(z)` when omitted), None when unconditional.
            seed: int or None, seeds the latents drawn for n.
            truncation: float > 0 or None, truncation of the latents drawn for n.
            batch_size: int >= 1, images per compiled call (default 1000).

        Returns:
            numpy float32 (n, h, w, c) in [0, 1].

        Examples:
            >>> gan = kgen.models.DCGAN.from_preset("cdcgan_fashion_mnist")   # conditional on the 10 classes
            >>> sneakers = gan.generate(3, labels=7, seed=0)
            >>> sneakers.shape, sneakers.dtype, float(sneakers.min()) >= 0.0, float(sneakers.max()) <= 1.0
            ((3, 28, 28, 1), dtype('float32'), True, True)
            >>> gan.generate(labels=[0, 1, 2], seed=0).shape           # n from the labels
            (3, 28, 28, 1)
        """
        if n is None and z is None and labels is not None and np.ndim(labels) == 1:
            n = check_int("the number of labels", len(labels), minimum=1)
        if (n is None) == (z is None):
            raise KgenValueError(
                f"exactly one of n and z must be given (or neither, with one label per image); got "
                f"{'neither' if n is None else 'both'}."
            )
        if z is None:
            z = self.sample_latent(n, seed=seed, truncation=truncation)
        else:
            for name, value in (("seed", seed), ("truncation", truncation)):
                if value is not None:
                    fail(name, value, "None when z is given (it applies to latents drawn for n)")
            z = self._check_latents(z)
        labels = self.check_labels(labels, len(z), z=z)
        batch_size = check_int("batch_size", batch_size, minimum=1)
        generator = sampling_network(self.sampling_generator)
        return in_batches(
            lambda z_batch, label_batch, _: generate_batch(generator, z_batch, label_batch).numpy(),
            [z, labels],
            batch_size,
            label="generating",
        )

    def interpolate(self, z0, z1, steps=8, method="slerp", labels=None):
        """Images along the latent path from z0 to z1.

        Args:
            z0: the latent the path starts at, shape (latent_dim,).
            z1: the latent it ends at.
            steps: int >= 2, images on the path including both ends (default 8).
            method: str, "slerp" (great circle, norms linearly) or "lerp" (default "slerp").
            labels: int or `steps` ints, required when conditional unless the GAN
                has a `class_prior`; then z0's prior label serves the whole path
                when omitted (default None).

        Returns:
            numpy float32 (steps, h, w, c) in [0, 1].

        Examples:
            >>> gan = kgen.models.DCGAN.from_preset("dcgan_fashion_mnist")
            >>> z = gan.sample_latent(2, seed=0)
            >>> strip = gan.interpolate(z[0], z[1], steps=8, method="slerp")
            >>> strip.shape                             # z0's image first, z1's last
            (8, 28, 28, 1)

        Reference:
            White, "Sampling Generative Networks", arXiv:1609.04468, 2016.
        """
        check_choice("method", method, ("slerp", "lerp"))
        steps = check_int("steps", steps, minimum=2)
        z0 = self._check_latents(np.reshape(z0, (1, -1)), "z0")[0]
        z1 = self._check_latents(np.reshape(z1, (1, -1)), "z1")[0]
        path = (sampling.slerp if method == "slerp" else sampling.lerp)(z0, z1, steps)
        if labels is None and self.class_prior is not None:
            labels = int(self.prior_labels(z0[None])[0])
        return self.generate(z=np.asarray(path, dtype="float32"), labels=labels)

    # ------------------------------------------------------------------ export

    def serving_functions(self):
        """What `export` writes: "generate", latents z (n, latent_dim) float32, and int32 labels
        (n,) when conditional -> "images" (n, h, w, c) in [0, 1], from `sampling_generator`
        (the weight average when `ema` is set): `generate(z=z, labels=labels)`.

        A GAN with a `class_prior` (self-conditioned) takes labels too: `prior_labels(z)` are
        the ones `generate(z=z)` uses, and labels drawn from the prior (in the manifest's
        notes) sample it as `generate` does.

        Returns:
            list of one `kgen.presets.ServingFunction`.
        """
        z = tf.TensorSpec((None, self.latent_dim), tf.float32, name="z")
        shape = f"({', '.join(map(str, self.image_shape))})"
        if self.num_classes is None:
            return [ServingFunction("generate", lambda z: {"images": self.call(z)}, (z,),
                                    f"latents z ~ N(0, I) -> images {shape} in [0, 1]")]
        labels = tf.TensorSpec((None,), tf.int32, name="labels")
        notes = {"num_classes": self.num_classes}
        if self.class_prior is not None:
            notes["class_prior"] = self.class_prior
            notes["labels"] = ("cluster ids of a self-conditioned GAN: draw them from class_prior, or take "
                               "GAN.prior_labels(z) for the images generate(z=z) makes")
        return [ServingFunction("generate", lambda z, labels: {"images": self.call([z, labels])}, (z, labels),
                                f"latents z ~ N(0, I) and class labels in [0, {self.num_classes}) -> images "
                                f"{shape} in [0, 1]", notes=notes)]

    # ------------------------------------------------------------------ serialization

    def preset_probe(self):
        """Images from four fixed latents (labels 0-3 mod num_classes), recorded in a preset's metadata."""
        z = np.random.default_rng(0).standard_normal((4, self.latent_dim)).astype("float32")
        labels = None if self.num_classes is None else sampling.classes_in_turn(4, self.num_classes)
        return self.generate(z=z, labels=labels)

    def get_config(self):
        config = super().get_config()
        config.update(
            generator=keras.layers.serialize(self.generator),
            discriminator=keras.layers.serialize(self.discriminator),
            latent_dim=self.latent_dim,
            loss=self.loss_name,
            d_steps=self.d_steps,
            gp_weight=self.gp_weight,
            num_classes=self.num_classes,
            seed=self.seed,
            ema=self.ema,
            class_prior=self.class_prior,
        )
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["generator"] = keras.layers.deserialize(config["generator"])
        config["discriminator"] = keras.layers.deserialize(config["discriminator"])
        return cls(**config)
