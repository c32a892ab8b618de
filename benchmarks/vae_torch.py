"""kgen's preset VAE re-implemented in PyTorch, as the peer in benchmarks/vae.py.

Layer for layer the networks of `kgen.recipes.VAEFashionMNIST` (`kgen.models.vae_networks`
`conv_encoder` and `conv_decoder` with their defaults: filters (32, 32), dense_units 256,
swish). For 28x28x1 images and latent_dim 16:

- encoder: PixelUnshuffle(2) (Keras's `SpaceToDepth(2)`: (1, 28, 28) -> (4, 14, 14)) ->
  Conv(4->32, 3, stride 1, pad 1) -> SiLU -> pad (0 before, 1 after) -> Conv(32->32, 3,
  stride 2) -> SiLU -> (32, 7, 7) -> flatten -> Linear(1568, 256) -> SiLU -> Linear(256, 32);
- decoder: Linear(16, 256) -> SiLU -> Linear(256, 1568) -> SiLU -> (32, 7, 7) ->
  ConvTranspose(32->32, 3, stride 2, no padding) cropped to its first 14 rows and columns ->
  SiLU -> Conv(32->4, 3, stride 1, pad 1) -> PixelShuffle(2) (`DepthToSpace(2)`) -> (1, 28, 28)
  Bernoulli logits.

Keras's padding="same" with a 3x3 kernel and stride 2 on an even side pads 0 before and
1 after (TensorFlow puts the odd pixel at the end), which PyTorch's symmetric `padding=`
cannot express, hence the explicit `F.pad`; the transposed convolution with "same" is that
convolution's gradient, i.e. the full (2n + 1)-wide output with its last row and column
cut off. Stride 1 "same" is the symmetric pad 1. With one image channel, pixel
(un)shuffle and TensorFlow's depth_to_space / space_to_depth order the channels alike;
the flatten and reshape go in NCHW order, which only permutes the dense layers' units.
Kernels ~ Glorot uniform and biases 0, as Keras initializes them.

Training step, as `kgen.models.VAE.train_step` with the preset (Bernoulli likelihood,
dynamic binarization, analytic KL, beta 1): x_b ~ Bernoulli(x) drawn afresh each step;
the encoder output split into loc and a raw scale, stddev = softplus(raw) + 1e-3
(`min_scale`); one reparameterized z = loc + stddev * eps; per example
loss = KL(q(z|x) || N(0, I)) - log p(x_b|z), with the closed-form KL
sum(0.5 (stddev^2 + loc^2 - 1) - log stddev) and log p(x_b|z) = -BCEWithLogits summed
over pixels; the mean over the batch is minimized with Adam(1e-3) (`VAE.compile`'s default).

Images arrive as NCHW float32 in [0, 1]; `torch.set_num_threads(os.cpu_count())`. With
`bfloat16=True` the forward pass and the loss run under `torch.autocast("cpu",
dtype=torch.bfloat16)` (PyTorch's mixed precision: bfloat16 convolutions and linear layers,
float32 parameters and optimizer state); the networks' outputs are cast to float32 before
the loss, as kgen keeps the posterior's and likelihood's parameters and the log-probabilities
in float32. The backward pass follows the forward's dtypes, as autocast intends.
"""

import contextlib
import os

import torch
import torch.nn.functional as F
from dcgan_torch import parameter_counts  # noqa: F401 (benchmarks/vae.py counts through this module)
from torch import nn


class SamePadStride2(nn.Module):
    """Keras's padding="same" for a 3x3, stride-2 convolution on an even side: 0 before, 1 after."""

    def forward(self, x):
        return F.pad(x, (0, 1, 0, 1))


class CropTransposed(nn.Module):
    """Keras's padding="same" for a 3x3, stride-2 transposed convolution: drop the last row and column."""

    def forward(self, x):
        return x[:, :, :-1, :-1]


class Encoder(nn.Module):
    def __init__(self, image_shape=(28, 28, 1), latent_dim=16, filters=(32, 32), dense_units=256):
        super().__init__()
        side_h, side_w, channels = image_shape
        layers, width = [nn.PixelUnshuffle(2)], 4 * channels
        for i, out in enumerate(filters):
            if i == 0:
                layers.append(nn.Conv2d(width, out, 3, stride=1, padding=1))
            else:
                layers += [SamePadStride2(), nn.Conv2d(width, out, 3, stride=2)]
            layers.append(nn.SiLU())
            width = out
        scale = 2 ** len(filters)
        features = width * (side_h // scale) * (side_w // scale)
        layers.append(nn.Flatten())
        if dense_units:
            layers += [nn.Linear(features, dense_units), nn.SiLU()]
            features = dense_units
        layers.append(nn.Linear(features, 2 * latent_dim))
        self.body = nn.Sequential(*layers)

    def forward(self, images):
        return self.body(images)


class Decoder(nn.Module):
    def __init__(self, image_shape=(28, 28, 1), latent_dim=16, filters=(32, 32), dense_units=256):
        super().__init__()
        side_h, side_w, channels = image_shape
        scale = 2 ** len(filters)
        self.grid = (filters[0], side_h // scale, side_w // scale)
        layers, features = [], latent_dim
        if dense_units:
            layers += [nn.Linear(features, dense_units), nn.SiLU()]
            features = dense_units
        layers += [nn.Linear(features, filters[0] * self.grid[1] * self.grid[2]), nn.SiLU()]
        self.project = nn.Sequential(*layers)
        layers, width = [], filters[0]
        for out in filters[1:]:
            layers += [nn.ConvTranspose2d(width, out, 3, stride=2), CropTransposed(), nn.SiLU()]
            width = out
        layers += [nn.Conv2d(width, 4 * channels, 3, stride=1, padding=1), nn.PixelShuffle(2)]
        self.body = nn.Sequential(*layers)

    def forward(self, z):
        return self.body(self.project(z).view(-1, *self.grid))


def _init_weights(module):
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
        nn.init.xavier_uniform_(module.weight)
        nn.init.zeros_(module.bias)


class TorchVAE:
    """Encoder, decoder, their Adam optimizer and kgen's VAE training step.

    Args:
        latent_dim, image_shape: as `kgen.recipes.VAEFashionMNIST` (the networks take
            `conv_encoder` / `conv_decoder`'s defaults otherwise).
        min_scale: float, added to the posterior's softplus scale (kgen's default 1e-3).
        seed: int, seeds the initial weights, the binarization and the latent noise.
        bfloat16: bool, the training step's forward pass and loss under bfloat16 autocast.
    """

    def __init__(self, latent_dim=16, image_shape=(28, 28, 1), min_scale=1e-3, seed=0, bfloat16=False):
        torch.set_num_threads(os.cpu_count())
        torch.manual_seed(seed)
        self.latent_dim, self.min_scale = latent_dim, min_scale
        self.encoder = Encoder(image_shape, latent_dim)
        self.decoder = Decoder(image_shape, latent_dim)
        self.encoder.apply(_init_weights)
        self.decoder.apply(_init_weights)
        self.optimizer = torch.optim.Adam([*self.encoder.parameters(), *self.decoder.parameters()], lr=1e-3)
        self.rng = torch.Generator().manual_seed(seed)
        self.bfloat16 = bfloat16

    def _autocast(self):
        return torch.autocast("cpu", dtype=torch.bfloat16) if self.bfloat16 else contextlib.nullcontext()

    def terms(self, images):
        """(log p(x|z), KL) per example for binary NCHW images, one reparameterized z ~ q(z|x)."""
        loc, raw_scale = self.encoder(images).float().chunk(2, dim=1)
        stddev = F.softplus(raw_scale) + self.min_scale
        z = loc + stddev * torch.randn(loc.shape, generator=self.rng)
        logits = self.decoder(z).float()
        reconstruction = -F.binary_cross_entropy_with_logits(logits, images, reduction="none").sum(dim=(1, 2, 3))
        kl = (0.5 * (stddev.square() + loc.square() - 1.0) - stddev.log()).sum(dim=1)
        return reconstruction, kl

    def train_step(self, images):
        """One Adam step on the negative ELBO of an NCHW batch in [0, 1], binarized afresh; returns the loss."""
        self.encoder.train()
        self.decoder.train()
        binary = (torch.rand(images.shape, generator=self.rng) < images).float()
        self.optimizer.zero_grad(set_to_none=True)
        with self._autocast():
            reconstruction, kl = self.terms(binary)
            loss = (kl - reconstruction).mean()
        loss.backward()
        self.optimizer.step()
        return loss.detach()

    def fit_epoch(self, images, batch_size):
        """One pass over NCHW float32 numpy images in [0, 1], in order, the last batch possibly smaller
        (as Keras's `fit` does)."""
        images = torch.from_numpy(images)
        for start in range(0, len(images), batch_size):
            self.train_step(images[start : start + batch_size])
