"""The keras.io-style DCGAN ("DCGAN to generate face images", fchollet), as the reference.

Same structure as the keras.io example: a `keras.Model` subclass holding a
generator and a discriminator, a custom `train_step` with two GradientTapes (the
discriminator on generated images made outside its tape, then the generator
through the discriminator on fresh latents), `keras.losses.BinaryCrossentropy`,
latents from `keras.random.normal` with a `SeedGenerator`, d_loss/g_loss `Mean`
trackers, and `compile` passing nothing to Keras but what the caller gives (by
default nothing: Keras's default `jit_compile`).

What is changed, so that it is the plain Radford et al. recipe on exactly kgen's
networks:
- the networks are kgen's own `dcgan_generator` / `dcgan_discriminator`, called
  with the same arguments as `kgen.models.DCGAN` (same architecture by
  construction); they output tanh images in [-1, 1] and logits, so the data are
  scaled to [-1, 1] by the caller (as keras.io scales in its data pipeline) and
  the loss is `BinaryCrossentropy(from_logits=True)`;
- they contain batch normalization, so the networks are called with
  `training=True` (the keras.io networks have none and omit it);
- real images are labelled 1 and fakes 0, without the example's label noise, and
  the discriminator sees the real and the fake batch in two calls (Radford et
  al.'s code, PyTorch's example and kgen), not one concatenated batch;
- the optimizers are Radford et al.'s, Adam(2e-4, beta_1=0.5), for both networks.
"""

import keras
import tensorflow as tf
from keras import ops

from kgen.models.dcgan import dcgan_discriminator, dcgan_generator


def radford_adam():
    """Adam(2e-4, beta_1=0.5), the optimizer of Radford et al. (2016) for both networks."""
    return keras.optimizers.Adam(learning_rate=2e-4, beta_1=0.5)


class ReferenceDCGAN(keras.Model):
    """The keras.io DCGAN training loop on kgen's DCGAN networks; `fit` on images in [-1, 1].

    Args:
        latent_dim: int, the latent size (as kgen's DCGAN).
        image_shape: tuple, as kgen's DCGAN.
        base_filters: int, as kgen's DCGAN.
        seed: int or None, seeds the latents' SeedGenerator.
    """

    def __init__(self, latent_dim=64, image_shape=(28, 28, 1), base_filters=64, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.latent_dim = latent_dim
        self.generator = dcgan_generator(latent_dim, image_shape, None, base_filters)
        self.discriminator = dcgan_discriminator(image_shape, None, base_filters, "batch")
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.d_loss_metric = keras.metrics.Mean(name="d_loss")
        self.g_loss_metric = keras.metrics.Mean(name="g_loss")

    def compile(self, d_optimizer=None, g_optimizer=None, loss_fn=None, **kwargs):
        super().compile(**kwargs)
        self.d_optimizer = d_optimizer or radford_adam()
        self.g_optimizer = g_optimizer or radford_adam()
        self.loss_fn = loss_fn or keras.losses.BinaryCrossentropy(from_logits=True)

    @property
    def metrics(self):
        return [self.d_loss_metric, self.g_loss_metric]

    def call(self, z, training=False):
        return self.generator(z, training=training)

    def train_step(self, real_images):
        batch_size = ops.shape(real_images)[0]
        real_labels = ops.ones((batch_size, 1))
        fake_labels = ops.zeros((batch_size, 1))

        # Train the discriminator on a real and a generated batch.
        random_latent_vectors = keras.random.normal((batch_size, self.latent_dim), seed=self.seed_generator)
        generated_images = self.generator(random_latent_vectors, training=True)
        with tf.GradientTape() as tape:
            real_logits = self.discriminator(real_images, training=True)
            fake_logits = self.discriminator(generated_images, training=True)
            d_loss = self.loss_fn(real_labels, real_logits) + self.loss_fn(fake_labels, fake_logits)
        grads = tape.gradient(d_loss, self.discriminator.trainable_weights)
        self.d_optimizer.apply_gradients(zip(grads, self.discriminator.trainable_weights))

        # Train the generator to make the discriminator call its images real.
        random_latent_vectors = keras.random.normal((batch_size, self.latent_dim), seed=self.seed_generator)
        with tf.GradientTape() as tape:
            predictions = self.discriminator(self.generator(random_latent_vectors, training=True), training=True)
            g_loss = self.loss_fn(real_labels, predictions)
        grads = tape.gradient(g_loss, self.generator.trainable_weights)
        self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_weights))

        self.d_loss_metric.update_state(d_loss)
        self.g_loss_metric.update_state(g_loss)
        return {"d_loss": self.d_loss_metric.result(), "g_loss": self.g_loss_metric.result()}

    def generate(self, n, seed=0, batch_size=1000):
        """n images in [0, 1] (numpy), for scoring beside kgen's `generate`."""
        z = keras.random.normal((n, self.latent_dim), seed=seed)
        images = self.generator.predict(z, batch_size=batch_size, verbose=0)
        return ops.convert_to_numpy(ops.clip((images + 1.0) / 2.0, 0.0, 1.0))
