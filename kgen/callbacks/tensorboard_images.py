"""What a model makes, as images in TensorBoard beside Keras's scalars."""

import os

import keras
import numpy as np

from kgen.callbacks.gan_monitors import fixed_latents
from kgen.core.validation import check_images, check_int
from kgen.viz.images import tile

IMAGES_RUN = "images"
"""The run (subfolder of `log_dir`) the images are written to; Keras's TensorBoard writes train/."""


class TensorBoardImages(keras.callbacks.Callback):
    """Write images of what the model makes to TensorBoard every `every` epochs.

    - A GAN: a grid of `num` samples from latents fixed when training starts ("samples").
    - A VAE or a PixelCNN: a grid of `num` samples drawn with `seed` ("samples"); a VAE given
      `images` also gets those images above their reconstructions ("reconstructions") and
      the interpolation between the first two ("interpolation").
    - An RL agent (an "epoch" is its `log_interval` env steps): every `frame_every`-th frame of
      one greedy episode from reset seed `seed`, at most `max_frames` ("episode").

    Pair it with `keras.callbacks.TensorBoard(log_dir)` for the scalars; a metric a kgen
    callback adds to the logs (the `fd` of `FrechetDistance`) is written by TensorBoard when
    that callback comes first in the list.

    Args:
        log_dir: str, the TensorBoard folder; the images go to its "images" run.
        every: int >= 1, epochs between writes (default 1).
        num: int >= 1, samples per grid (default 36).
        seed: int >= 0, seeds the samples and the episode (default 0).
        images: optional float images (n, h, w, c) in [0, 1] to reconstruct (VAE).
        frame_every: int >= 1, keep every this many frames of an agent's episode (default 10).
        max_frames: int >= 1, frames per episode written (default 12).

    Examples:
        >>> nets = kgen.models.vae_networks
        >>> vae = kgen.models.VAE(nets.mlp_encoder(latent_dim=2, hidden=(16,)),
        ...                       nets.mlp_decoder(latent_dim=2, hidden=(16,)), latent_dim=2)
        >>> vae.compile()
        >>> x = np.random.default_rng(0).random((8, 28, 28, 1), dtype="float32")
        >>> callbacks = [kgen.callbacks.TensorBoardImages("runs/vae", num=4),   # images=x[:4]: reconstructions too
        ...              keras.callbacks.TensorBoard("runs/vae")]
        >>> _ = vae.fit(x, epochs=1, batch_size=4, verbose=0, callbacks=callbacks)
        >>> import os
        >>> sorted(os.listdir("runs/vae"))             # `tensorboard --logdir runs/vae` shows them
        ['images', 'train']
    """

    def __init__(self, log_dir, every=1, num=36, seed=0, images=None, frame_every=10, max_frames=12):
        super().__init__()
        self.log_dir = os.fspath(log_dir)
        self.every = check_int("every", every, minimum=1)
        self.num = check_int("num", num, minimum=1)
        self.seed = check_int("seed", seed, minimum=0)
        self.images = None if images is None else check_images("images", images)
        self.frame_every = check_int("frame_every", frame_every, minimum=1)
        self.max_frames = check_int("max_frames", max_frames, minimum=1)
        self._writer = None

    def on_train_begin(self, logs=None):
        import tensorflow as tf

        self._writer = tf.summary.create_file_writer(os.path.join(self.log_dir, IMAGES_RUN))
        self._latents = fixed_latents(self.model, self.num, self.seed, None) if hasattr(self.model, "generate") else None

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every:
            return
        import tensorflow as tf

        with self._writer.as_default(step=epoch + 1):
            for name, batch in self._pictures().items():
                tf.summary.image(name, batch, max_outputs=len(batch))
        self._writer.flush()

    def on_train_end(self, logs=None):
        if self._writer is not None:
            self._writer.close()

    def _pictures(self):
        """name -> uint8 batch (k, H, W, C)."""
        model = self.model
        if hasattr(model, "predict_action"):
            from kgen.rl.evaluation import episode_frames

            frames = episode_frames(model, model.env_id, seed=self.seed, every=self.frame_every)[0]
            return {"episode": np.stack(frames[: self.max_frames])}
        if self._latents is not None:
            z, labels = self._latents
            samples = model.generate(z=z, labels=labels)
        else:
            samples = model.sample(self.num, seed=self.seed)
        pictures = {"samples": tile(np.asarray(samples))[None]}
        if self.images is not None and hasattr(model, "reconstruct"):
            rows = np.concatenate([self.images, np.asarray(model.reconstruct(self.images))])
            pictures["reconstructions"] = tile(rows, nrow=len(self.images))[None]
            if len(self.images) >= 2:
                strip = model.interpolate(self.images[0], self.images[1], steps=10)
                pictures["interpolation"] = tile(np.asarray(strip), nrow=10)[None]
        return pictures
