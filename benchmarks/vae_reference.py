"""The keras.io-style convolutional VAE ("Variational AutoEncoder", fchollet), as the reference.

Same structure as the keras.io example: a Sampling layer, an encoder returning
(z_mean, z_log_var, z), a transposed-convolution decoder with a sigmoid output, and
a custom `train_step` on the single-sample ELBO with binary cross-entropy summed
over pixels. Only the latent size is a parameter (keras.io uses 2), so the
benchmarks compare at kgen's latent size. `log_likelihood` adds the IWAE
estimate the example lacks, so both models are scored the same way.
"""

import keras
import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp
from keras import layers, ops

from kgen import losses

tfd = tfp.distributions


class Sampling(layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seed_generator = keras.random.SeedGenerator(1337)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        epsilon = keras.random.normal(ops.shape(z_mean), seed=self.seed_generator)
        return z_mean + ops.exp(0.5 * z_log_var) * epsilon


def build_encoder(latent_dim):
    inputs = keras.Input(shape=(28, 28, 1))
    x = layers.Conv2D(32, 3, activation="relu", strides=2, padding="same")(inputs)
    x = layers.Conv2D(64, 3, activation="relu", strides=2, padding="same")(x)
    x = layers.Flatten()(x)
    x = layers.Dense(16, activation="relu")(x)
    z_mean = layers.Dense(latent_dim, name="z_mean")(x)
    z_log_var = layers.Dense(latent_dim, name="z_log_var")(x)
    z = Sampling()([z_mean, z_log_var])
    return keras.Model(inputs, [z_mean, z_log_var, z], name="encoder")


def build_decoder(latent_dim):
    inputs = keras.Input(shape=(latent_dim,))
    x = layers.Dense(7 * 7 * 64, activation="relu")(inputs)
    x = layers.Reshape((7, 7, 64))(x)
    x = layers.Conv2DTranspose(64, 3, activation="relu", strides=2, padding="same")(x)
    x = layers.Conv2DTranspose(32, 3, activation="relu", strides=2, padding="same")(x)
    outputs = layers.Conv2DTranspose(1, 3, activation="sigmoid", padding="same")(x)
    return keras.Model(inputs, outputs, name="decoder")


def keras_io_parts(latent_dim):
    """The example's layers as a kgen encoder/decoder pair (linear decoder output: logits).

    The encoder's two heads become one Dense(2 * latent_dim) and the sigmoid moves
    into kgen's Bernoulli likelihood, so `kgen.models.VAE` trains the same network.
    """
    encoder = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            layers.Conv2D(32, 3, activation="relu", strides=2, padding="same"),
            layers.Conv2D(64, 3, activation="relu", strides=2, padding="same"),
            layers.Flatten(),
            layers.Dense(16, activation="relu"),
            layers.Dense(2 * latent_dim),
        ]
    )
    decoder = keras.Sequential(
        [
            keras.Input((latent_dim,)),
            layers.Dense(7 * 7 * 64, activation="relu"),
            layers.Reshape((7, 7, 64)),
            layers.Conv2DTranspose(64, 3, activation="relu", strides=2, padding="same"),
            layers.Conv2DTranspose(32, 3, activation="relu", strides=2, padding="same"),
            layers.Conv2DTranspose(1, 3, padding="same"),
        ]
    )
    return encoder, decoder


class ReferenceVAE(keras.Model):
    def __init__(self, latent_dim, **kwargs):
        super().__init__(**kwargs)
        self.latent_dim = latent_dim
        self.encoder = build_encoder(latent_dim)
        self.decoder = build_decoder(latent_dim)
        self.total_loss_tracker = keras.metrics.Mean(name="total_loss")
        self.reconstruction_loss_tracker = keras.metrics.Mean(name="reconstruction_loss")
        self.kl_loss_tracker = keras.metrics.Mean(name="kl_loss")

    @property
    def metrics(self):
        return [self.total_loss_tracker, self.reconstruction_loss_tracker, self.kl_loss_tracker]

    def train_step(self, data):
        with tf.GradientTape() as tape:
            z_mean, z_log_var, z = self.encoder(data)
            reconstruction = self.decoder(z)
            reconstruction_loss = ops.mean(
                ops.sum(keras.losses.binary_crossentropy(data, reconstruction), axis=(1, 2))
            )
            kl_loss = -0.5 * (1 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var))
            kl_loss = ops.mean(ops.sum(kl_loss, axis=1))
            total_loss = reconstruction_loss + kl_loss
        grads = tape.gradient(total_loss, self.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.trainable_weights))
        self.total_loss_tracker.update_state(total_loss)
        self.reconstruction_loss_tracker.update_state(reconstruction_loss)
        self.kl_loss_tracker.update_state(kl_loss)
        return {m.name: m.result() for m in self.metrics}

    def log_likelihood(self, x, num_samples=1000, batch_size=2, seed=0):
        """IWAE estimate of log p(x) per image, with the model's own Gaussian posterior."""

        @tf.function(reduce_retracing=True)
        def bound(images, index):
            z_mean, z_log_var, _ = self.encoder(images)
            q = tfd.Independent(tfd.Normal(z_mean, tf.exp(0.5 * z_log_var)), 1)
            z = q.sample(num_samples, seed=tf.stack([seed, index]))
            probs = self.decoder(tf.reshape(z, [-1, self.latent_dim]))
            probs = tf.reshape(probs, [num_samples, -1, 28, 28, 1])
            # keras' binary_crossentropy clips probabilities to [eps, 1 - eps]; score the same way.
            probs = tf.clip_by_value(probs, keras.config.epsilon(), 1 - keras.config.epsilon())
            log_px = tf.reduce_sum(images * tf.math.log(probs) + (1 - images) * tf.math.log(1 - probs), [2, 3, 4])
            prior = tfd.MultivariateNormalDiag(tf.zeros(self.latent_dim), tf.ones(self.latent_dim))
            return losses.importance_weighted_bound(log_px + prior.log_prob(z) - q.log_prob(z))

        out = [bound(x[i : i + batch_size], tf.constant(i)).numpy() for i in range(0, len(x), batch_size)]
        return np.concatenate(out).astype("float64")
