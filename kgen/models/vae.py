"""Variational autoencoder whose posterior, prior and likelihood are TFP distributions."""

import keras
import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from kgen.core import seeds
from kgen.core.adam import Adam
from kgen.core.batching import in_batches
from kgen.core.errors import KgenTypeError
from kgen.core.exporter import ServingFunction
from kgen.core.feeding import fit_feed, predict_feed
from kgen.core.precision import set_precision
from kgen.core.serialization import serializable
from kgen.core.validation import (
    as_numeric_array,
    check_choice,
    check_finite,
    check_images,
    check_int,
    check_number,
    fail,
    is_data_stream,
)
from kgen.ops import losses, sampling
from kgen.presets.model import KgenModel

tfd = tfp.distributions

LIKELIHOODS = ("bernoulli", "gaussian")
PRIORS = ("standard_normal",)
KL_ESTIMATORS = ("analytic", "monte_carlo")
GAUSSIAN_SCALES = ("per_pixel", "global")


def _images_of(data):
    """`fit` may pass x, (x,), (x, y) or (x, y, sample_weight): the VAE uses x."""
    return data[0] if isinstance(data, (tuple, list)) else data


@tf.function
def _log_weights(model, images, num_samples, seed):
    """(num_samples, n) of log p(x, z) - log q(z|x) at z ~ q(z|x); traced once per model and k."""
    q = model.posterior(images)
    z = q.sample(num_samples, seed=seed)
    log_joint = model.likelihood_distribution(z).log_prob(images) + model.prior_distribution().log_prob(z)
    return log_joint - q.log_prob(z)


@tf.function
def _elbo(model, images, num_samples, seed):
    """Per-example ELBO with `num_samples` draws; the KL analytic when the model's `kl` says so."""
    q = model.posterior(images)
    z = q.sample(num_samples, seed=seed)
    reconstruction = tf.reduce_mean(model.likelihood_distribution(z).log_prob(images), axis=0)
    if model.kl == "analytic":
        kl = losses.kl_divergence(q, model.prior_distribution())
    else:
        kl = tf.reduce_mean(q.log_prob(z) - model.prior_distribution().log_prob(z), axis=0)
    return reconstruction - kl


@serializable
class VAE(KgenModel):
    """Variational autoencoder trained on the ELBO with the reparameterization trick.

    The encoder's output is split into the posterior's location and a scale
    (softplus plus `min_scale`): q(z|x) = Independent(Normal(loc, scale), 1). The prior
    is MultivariateNormalDiag(0, I). The decoder's output parameterizes p(x|z):
    Bernoulli logits, or a Normal mean with a learned scale. `train_step` minimises
    the negative ELBO, -(E_q[log p(x|z)] - beta KL(q(z|x) || p(z))), averaged over
    the global batch, and reports it with its two terms as `loss`,
    `reconstruction` (-E_q log p(x|z)) and `kl`, all per example in nats.

    Args:
        encoder: keras.Model, images (n, h, w, c) -> (n, 2 * latent_dim).
        decoder: keras.Model, (n, latent_dim) -> (n, h, w, c).
        latent_dim: int, the latent size.
        likelihood: str, "bernoulli" (inputs in [0, 1]) or "gaussian" (default "bernoulli").
        prior: str, "standard_normal" (default).
        beta: float >= 0, the KL weight; 1 is the ELBO (default 1.0). `KLWarmup` anneals it.
        kl: str, "analytic" (closed form where TFP has one) or "monte_carlo" (default "analytic").
        binarize: bool, with the Bernoulli likelihood, draw binary training images
            x_b ~ Bernoulli(x) afresh at every step (dynamic binarization; default True).
        gaussian_scale: str, "per_pixel" or "global" learned scale of the Gaussian
            likelihood (default "per_pixel").
        min_scale: float > 0, floor added to the posterior and Gaussian scales (default 1e-3).
        seed: int or None, seeds the training noise (default None).

    Examples:
        >>> nets = kgen.models.vae_networks
        >>> vae = kgen.models.VAE(nets.mlp_encoder(latent_dim=2, hidden=(16,)),
        ...                       nets.mlp_decoder(latent_dim=2, hidden=(16,)), latent_dim=2)
        >>> vae.compile()
        >>> x = np.random.default_rng(0).random((8, 28, 28, 1), dtype="float32")   # images in [0, 1]
        >>> sorted(vae.fit(x, epochs=1, batch_size=4, verbose=0).history)      # per example, nats
        ['kl', 'loss', 'reconstruction']

        The shipped preset (a convolutional pair, `latent_dim=16`):

        >>> vae = kgen.models.VAE.from_preset("vae_fashion_mnist")
        >>> x = vae.sample(4, seed=0)
        >>> vae.encode(x).event_shape, vae.elbo(x).shape, vae.interpolate(x[0], x[1], steps=8).shape
        (TensorShape([16]), (4,), (8, 28, 28, 1))

    Reference:
        Kingma and Welling, "Auto-Encoding Variational Bayes", ICLR 2014;
        Rezende, Mohamed and Wierstra, "Stochastic Backpropagation and Approximate
        Inference in Deep Generative Models", ICML 2014.
    """

    def __init__(
        self,
        encoder,
        decoder,
        latent_dim,
        likelihood="bernoulli",
        prior="standard_normal",
        beta=1.0,
        kl="analytic",
        binarize=True,
        gaussian_scale="per_pixel",
        min_scale=1e-3,
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.latent_dim = check_int("latent_dim", latent_dim, minimum=1)
        self.likelihood = check_choice("likelihood", likelihood, LIKELIHOODS)
        self.prior = check_choice("prior", prior, PRIORS)
        self.kl = check_choice("kl", kl, KL_ESTIMATORS)
        self.gaussian_scale = check_choice("gaussian_scale", gaussian_scale, GAUSSIAN_SCALES)
        self.initial_beta = check_number("beta", beta, minimum=0.0)
        self.binarize = bool(binarize)
        self.min_scale = check_number("min_scale", min_scale, minimum=0.0, low_open=True)
        self.seed = seed
        for name, part in (("encoder", encoder), ("decoder", decoder)):
            if not isinstance(part, keras.Model):
                fail(name, part, "a keras.Model", KgenTypeError)
        self.encoder, self.decoder = encoder, decoder
        self.image_shape = tuple(encoder.input_shape[1:])
        if tuple(encoder.output_shape[1:]) != (2 * self.latent_dim,):
            fail("encoder", encoder, f"a model with output shape (n, {2 * self.latent_dim}) = (n, 2 * latent_dim); "
                 f"its output shape is {encoder.output_shape}")
        if tuple(decoder.input_shape[1:]) != (self.latent_dim,) or tuple(decoder.output_shape[1:]) != self.image_shape:
            fail("decoder", decoder, f"a model from (n, {self.latent_dim}) to (n, {', '.join(map(str, self.image_shape))}); "
                 f"it maps {decoder.input_shape} to {decoder.output_shape}")
        self.beta = self.add_weight(
            shape=(), initializer=keras.initializers.Constant(self.initial_beta), trainable=False, name="beta"
        )
        self.gaussian_log_scale = None
        if self.likelihood == "gaussian":
            shape = self.image_shape if self.gaussian_scale == "per_pixel" else ()
            self.gaussian_log_scale = self.add_weight(shape=shape, initializer="zeros", name="gaussian_log_scale")
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.reconstruction_tracker = keras.metrics.Mean(name="reconstruction")
        self.kl_tracker = keras.metrics.Mean(name="kl")
        self.build((None,) + self.image_shape)

    # ------------------------------------------------------------------ distributions

    def build(self, input_shape=None):
        self.built = True

    def posterior(self, images, training=False):
        """q(z|x) as a TFP distribution, batch (n,), event (latent_dim,). Tensors in, no checks."""
        loc, raw_scale = tf.split(self.encoder(images, training=training), 2, axis=-1)
        return tfd.Independent(tfd.Normal(loc, tf.nn.softplus(raw_scale) + self.min_scale), 1)

    def prior_distribution(self):
        """p(z) = MultivariateNormalDiag(0, I)."""
        return tfd.MultivariateNormalDiag(
            loc=tf.zeros([self.latent_dim]), scale_diag=tf.ones([self.latent_dim])
        )

    def likelihood_distribution(self, z, training=False):
        """p(x|z) for latents of shape (..., latent_dim): batch (...), event image_shape."""
        leading = tf.shape(z)[:-1]
        output = self.decoder(tf.reshape(z, [-1, self.latent_dim]), training=training)
        output = tf.reshape(output, tf.concat([leading, self.image_shape], axis=0))
        if self.likelihood == "bernoulli":
            return tfd.Independent(tfd.Bernoulli(logits=output, dtype=tf.float32), 3)
        scale = tf.exp(self.gaussian_log_scale) + self.min_scale
        return tfd.Independent(tfd.Normal(output, scale * tf.ones_like(output)), 3)

    def _mean_image(self, decoder_output):
        return tf.sigmoid(decoder_output) if self.likelihood == "bernoulli" else decoder_output

    # ------------------------------------------------------------------ training

    def call(self, images, training=False):
        """The reconstruction's mean image from the posterior mean."""
        return self._mean_image(self.decoder(self.posterior(images, training).mean(), training=training))

    def compile(self, optimizer=None, precision=None, **kwargs):
        """Compile with Adam(1e-3) by default; the other arguments are passed on to Keras.

        XLA is left off (Keras' CPU default): with `jit_compile=True` the preset's
        network trained at 11.2 s/epoch against 7.9 s/epoch without, on 2 CPU cores
        (`benchmarks/vae.py`). Pass `jit_compile=True` to try it on other hardware.
        The optimizer is built here, inside any strategy scope (Keras issue 23085).

        Args:
            optimizer: a Keras optimizer or None (Adam(1e-3)).
            precision: None (the layers' dtype policies as they are), "float32", or
                "bfloat16": encoder and decoder compute in Keras's mixed_bfloat16 policy
                but for their output layers (the posterior's and the likelihood's
                parameters stay float32, and so do the log-probabilities; see
                `kgen.core.precision`), in every method.
        """
        self.precision = precision
        if precision is not None:
            set_precision(self.encoder, precision)
            set_precision(self.decoder, precision)
        super().compile(optimizer=optimizer or Adam(1e-3), **kwargs)
        self.optimizer.build(self.trainable_variables)

    @property
    def metrics(self):
        return [self.loss_tracker, self.reconstruction_tracker, self.kl_tracker]

    def _terms(self, images, seed, training):
        """(log p(x|z), KL) per example, with one reparameterized z ~ q(z|x)."""
        q = self.posterior(images, training=training)
        noise = seeds.replica_rows(lambda n: seeds.normal([n, self.latent_dim], seed),
                                   tf.shape(images)[0])
        z = q.mean() + q.stddev() * noise  # reparameterized, keyed to each example's row of the global batch
        reconstruction = self.likelihood_distribution(z, training=training).log_prob(images)
        kl = losses.kl_divergence(q, self.prior_distribution(), z, analytic=self.kl == "analytic")
        return reconstruction, kl

    def _record(self, per_example, reconstruction, kl):
        self.loss_tracker.update_state(per_example)
        self.reconstruction_tracker.update_state(-reconstruction)
        self.kl_tracker.update_state(kl)
        return {m.name: m.result() for m in self.metrics}

    def train_step(self, data):
        images = tf.cast(_images_of(data), tf.float32)
        binarize_seed, sample_seed = seeds.step_seeds(self.seed_generator, 2)
        if self.likelihood == "bernoulli" and self.binarize:
            uniform = seeds.replica_rows(
                lambda n: seeds.uniform(tf.concat([[n], tf.shape(images)[1:]], 0), binarize_seed),
                tf.shape(images)[0])
            images = tf.cast(sampling.bernoulli_from_uniform(uniform, images), tf.float32)
        with tf.GradientTape() as tape:
            reconstruction, kl = self._terms(images, sample_seed, training=True)
            per_example = losses.negative_elbo(reconstruction, kl, self.beta)
            loss = tf.nn.compute_average_loss(per_example)
            if self.losses:
                loss += tf.nn.scale_regularization_loss(tf.add_n(self.losses))
        gradients = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply(gradients, self.trainable_variables)
        return self._record(per_example, reconstruction, kl)

    def test_step(self, data):
        images = tf.cast(_images_of(data), tf.float32)
        _, sample_seed = seeds.step_seeds(self.seed_generator, 2)
        reconstruction, kl = self._terms(images, sample_seed, training=False)
        return self._record(losses.negative_elbo(reconstruction, kl, self.beta), reconstruction, kl)

    # ------------------------------------------------------------------ user methods

    def _check_images(self, images, name="x"):
        value_range = (0.0, 1.0) if self.likelihood == "bernoulli" else None
        return check_images(name, images, self.image_shape, value_range=value_range)

    def _check_latents(self, z, name="z"):
        z = check_finite(name, z).astype("float32")
        if z.ndim != 2 or z.shape[1] != self.latent_dim or len(z) == 0:
            fail(name, z, f"an array of shape (n, {self.latent_dim}) with n >= 1")
        return z

    def fit(self, x=None, y=None, *args, **kwargs):
        """`keras.Model.fit` on images (in [0, 1] for the Bernoulli likelihood); arrays are checked up front.

        Args:
            x: float images (n, h, w, c), or a tf.data.Dataset of image batches.
            y: None (a VAE learns from the images alone).
            *args: passed to `keras.Model.fit`.
            **kwargs: passed to `keras.Model.fit` (batch_size, epochs, callbacks, ...).
        """
        if not is_data_stream(x):
            x = self._check_images(x)
        if y is not None:
            fail("y", y, "None: a VAE trains on images alone")
        x, _, kwargs = fit_feed(x, None, args, kwargs, self.distribute_strategy)
        return super().fit(x, None, *args, **kwargs)

    def encode(self, x):
        """The approximate posterior q(z|x): a TFP distribution, batch (n,), event (latent_dim,).

        Args:
            x: float images (n, h, w, c), in [0, 1] for the Bernoulli likelihood.
        """
        return self.posterior(self._check_images(x), training=False)

    def decode(self, z, batch_size=1000):
        """Mean images of p(x|z) for latents z of shape (n, latent_dim), numpy float32."""
        z, kwargs = predict_feed(self._check_latents(z), (), {"batch_size": batch_size}, self.distribute_strategy)
        output = self.decoder.predict(z, verbose=0, **kwargs)
        return keras.ops.convert_to_numpy(self._mean_image(output))

    def reconstruct(self, x):
        """Decode the posterior mean of each image: numpy (n, h, w, c)."""
        return self.decode(keras.ops.convert_to_numpy(self.encode(x).mean()))

    def sample_latent(self, n, seed=None):
        """n latents from the prior, numpy (n, latent_dim); an int `seed` makes them reproducible."""
        n = check_int("n", n, minimum=1)
        if seed is not None:
            seed = check_int("seed", seed, minimum=0, maximum=seeds.MAX_SEED)
        return keras.ops.convert_to_numpy(keras.random.normal((n, self.latent_dim), seed=seed))

    def sample(self, n, seed=None):
        """n images decoded from prior latents (mean images), numpy (n, h, w, c) in [0, 1]."""
        return self.decode(self.sample_latent(n, seed=seed))

    def interpolate_latent(self, z0, z1, steps=8, method="slerp"):
        """Decode `steps` latents on the path from z0 to z1: numpy (steps, h, w, c)."""
        check_choice("method", method, ("slerp", "lerp"))
        z0 = self._check_latents(np.reshape(z0, (1, -1)), "z0")[0]
        z1 = self._check_latents(np.reshape(z1, (1, -1)), "z1")[0]
        path = (sampling.slerp if method == "slerp" else sampling.lerp)(z0, z1, steps)
        return self.decode(np.asarray(path))

    def interpolate(self, x0, x1, steps=8, method="slerp"):
        """Images along the latent path between the posterior means of two images.

        Args:
            x0: the image the path starts at (h, w, c).
            x1: the image it ends at.
            steps: int >= 2, images on the path including both ends (default 8).
            method: str, "slerp" or "lerp" (default "slerp").

        Returns:
            numpy (steps, h, w, c).
        """
        x0 = self._check_images(np.expand_dims(as_numeric_array("x0", x0), 0), "x0")
        x1 = self._check_images(np.expand_dims(as_numeric_array("x1", x1), 0), "x1")
        means = keras.ops.convert_to_numpy(self.encode(np.concatenate([x0, x1])).mean())
        return self.interpolate_latent(means[0], means[1], steps=steps, method=method)

    def elbo(self, x, num_samples=1, batch_size=500, seed=0):
        """The ELBO per example, nats: E_q[log p(x|z)] - KL(q(z|x) || p(z)).

        The expectation is a Monte Carlo average over `num_samples` draws; the KL is
        analytic when the model's `kl` is "analytic".

        Args:
            x: float images (n, h, w, c).
            num_samples: int >= 1, draws of z per image (default 1).
            batch_size: int, images per compiled call (default 500).
            seed: int, makes the estimate reproducible (default 0).

        Returns:
            numpy float64 (n,).
        """
        x = self._check_images(x)
        num_samples = check_int("num_samples", num_samples, minimum=1)
        seed = check_int("seed", seed, minimum=0)

        def batch_elbo(images, index):
            return _elbo(self, images, num_samples, tf.constant([seed, index], tf.int32)).numpy()

        return in_batches(batch_elbo, [x], batch_size, label="ELBO").astype("float64")

    def log_likelihood(self, x, num_samples=1000, batch_size=None, chunk_size=2000, seed=0):
        """Importance-weighted (IWAE) estimate of log p(x) per example, nats.

        log p(x) >= log (1/k) sum_i p(x, z_i) / q(z_i|x) with z_i ~ q(z|x); the bound
        tightens as k = `num_samples` grows and equals the ELBO at k = 1. Images and
        samples are processed in chunks of about `chunk_size` decoder passes, so memory
        stays bounded for any k and any number of images.

        Args:
            x: float images (n, h, w, c).
            num_samples: int >= 1, importance samples per image (default 1000).
            batch_size: int or None, images per chunk (default: chunk_size // k, at least 1).
            chunk_size: int, decoder passes per compiled call (default 2000).
            seed: int, makes the estimate reproducible (default 0).

        Returns:
            numpy float64 (n,).

        Reference:
            Burda, Grosse and Salakhutdinov, "Importance Weighted Autoencoders", ICLR 2016.
        """
        x = self._check_images(x)
        k = check_int("num_samples", num_samples, minimum=1)
        chunk_size = check_int("chunk_size", chunk_size, minimum=1)
        seed = check_int("seed", seed, minimum=0)
        if batch_size is None:
            batch_size = max(1, chunk_size // k)
        batch_size = check_int("batch_size", batch_size, minimum=1)
        per_call = max(1, chunk_size // batch_size)
        sizes = [per_call] * (k // per_call) + ([k % per_call] if k % per_call else [])

        def batch_bound(images, index):
            parts = [
                _log_weights(self, images, size, tf.constant([seed, index * len(sizes) + j], tf.int32))
                for j, size in enumerate(sizes)
            ]
            return losses.importance_weighted_bound(tf.concat(parts, axis=0)).numpy()

        return in_batches(batch_bound, [x], batch_size, label=f"IWAE bound, k={num_samples}").astype("float64")

    # ------------------------------------------------------------------ export

    def serving_functions(self):
        """What `export` writes: "encode", images (n, h, w, c) -> the posterior q(z|x) =
        Normal("mean", "stddev"), each (n, latent_dim), as `encode(x).mean()` and `.stddev()`;
        and "decode", latents "z" (n, latent_dim) -> the mean image of p(x|z), "images"
        (n, h, w, c), as `decode(z)` (in [0, 1] for the Bernoulli likelihood).

        Returns:
            list of two `kgen.presets.ServingFunction`.
        """
        def encode(images):
            q = self.posterior(images)
            return {"mean": q.mean(), "stddev": q.stddev()}

        def decode(z):
            return {"images": self._mean_image(self.decoder(z, training=False))}

        images = tf.TensorSpec((None, *self.image_shape), tf.float32, name="images")
        z = tf.TensorSpec((None, self.latent_dim), tf.float32, name="z")
        notes = {"likelihood": self.likelihood, "prior": "z ~ N(0, I)"}
        return [
            ServingFunction("encode", encode, (images,), "images -> mean and stddev of the diagonal Normal "
                            "posterior q(z|x)", notes=notes),
            ServingFunction("decode", decode, (z,), f"latents z -> the mean image of p(x|z) ({self.likelihood})",
                            notes=notes),
        ]

    # ------------------------------------------------------------------ serialization

    def preset_probe(self):
        """Decoded means of four fixed latents, recorded in a preset's metadata."""
        z = np.random.default_rng(0).standard_normal((4, self.latent_dim)).astype("float32")
        return self._mean_image(self.decoder(z, training=False)).numpy()

    def get_config(self):
        config = super().get_config()
        config.update(
            encoder=keras.layers.serialize(self.encoder),
            decoder=keras.layers.serialize(self.decoder),
            latent_dim=self.latent_dim,
            likelihood=self.likelihood,
            prior=self.prior,
            beta=self.initial_beta,
            kl=self.kl,
            binarize=self.binarize,
            gaussian_scale=self.gaussian_scale,
            min_scale=self.min_scale,
            seed=self.seed,
        )
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["encoder"] = keras.layers.deserialize(config["encoder"])
        config["decoder"] = keras.layers.deserialize(config["decoder"])
        return cls(**config)
