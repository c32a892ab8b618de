"""kgen's DCGAN networks re-implemented in PyTorch, as the peer in benchmarks/dcgan.py.

Layer for layer the stack of `kgen.models.dcgan.dcgan_generator` and
`dcgan_discriminator` (unconditional, batch normalization): for 28x28 and
base_filters f, the generator is Linear(latent, 7*7*2f, no bias) -> (2f, 7, 7) ->
BN -> ReLU -> ConvTranspose(2f->f, 4, stride 2, pad 1, no bias) -> BN -> ReLU ->
ConvTranspose(f->c, 4, stride 2, pad 1, bias) -> tanh; the discriminator is
Conv(c->f, 4, stride 2, pad 1, bias) -> LeakyReLU(0.2) -> Conv(f->2f, 4, stride 2,
pad 1, no bias) -> BN -> LeakyReLU(0.2) -> flatten -> Linear(., 1). Padding 1 with
a 4x4 kernel and stride 2 is what Keras's padding="same" gives on even sides.
Weights ~ N(0, 0.02), batch-norm scales ~ N(1, 0.02), biases and offsets 0, batch
norm with eps 1e-5 and momentum 0.1 (Keras's 0.9), as in kgen.

Training is the plain recipe on the same work per step as kgen and the reference:
BCEWithLogits, Adam(2e-4, betas=(0.5, 0.999)) for each network, one discriminator
update on a real batch and a generated batch (two calls), then one generator update
on fresh latents. During the generator update the discriminator's parameters do
not require gradients (the usual idiom; it spares their weight gradients).

Images arrive as NCHW float32 in [-1, 1]; `torch.set_num_threads(os.cpu_count())`. With
`bfloat16=True` the forward passes and losses run under `torch.autocast("cpu",
dtype=torch.bfloat16)` (PyTorch's mixed precision: bfloat16 convolutions and linear layers,
float32 parameters, optimizer state and batch-norm statistics); the backward passes follow the
forward's dtypes, as autocast intends.
"""

import contextlib
import os

import numpy as np
import torch
from torch import nn

START_SIZES = {28: 7, 32: 4, 64: 4}


def _stages(side):
    return (side // START_SIZES[side]).bit_length() - 1


class Generator(nn.Module):
    def __init__(self, latent_dim=64, image_shape=(28, 28, 1), base_filters=64):
        super().__init__()
        side, _, channels = image_shape
        stages = _stages(side)
        width = base_filters * 2 ** (stages - 1)
        self.start, self.width = START_SIZES[side], width
        self.project = nn.Linear(latent_dim, self.start * self.start * width, bias=False)
        layers = [nn.BatchNorm2d(width, eps=1e-5, momentum=0.1), nn.ReLU()]
        for _ in range(stages - 1):
            layers += [
                nn.ConvTranspose2d(width, width // 2, 4, stride=2, padding=1, bias=False),
                nn.BatchNorm2d(width // 2, eps=1e-5, momentum=0.1),
                nn.ReLU(),
            ]
            width //= 2
        layers += [nn.ConvTranspose2d(width, channels, 4, stride=2, padding=1), nn.Tanh()]
        self.body = nn.Sequential(*layers)

    def forward(self, z):
        return self.body(self.project(z).view(-1, self.width, self.start, self.start))


class Discriminator(nn.Module):
    def __init__(self, image_shape=(28, 28, 1), base_filters=64):
        super().__init__()
        side, _, channels = image_shape
        layers, width = [], channels
        for stage in range(_stages(side)):
            out = base_filters * 2**stage
            layers.append(nn.Conv2d(width, out, 4, stride=2, padding=1, bias=stage == 0))
            if stage > 0:
                layers.append(nn.BatchNorm2d(out, eps=1e-5, momentum=0.1))
            layers.append(nn.LeakyReLU(0.2))
            width, side = out, side // 2
        layers += [nn.Flatten(), nn.Linear(width * side * side, 1)]
        self.body = nn.Sequential(*layers)

    def forward(self, images):
        return self.body(images)


def _init_weights(module):
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
        nn.init.normal_(module.weight, 0.0, 0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


def parameter_counts(module):
    """(trainable parameters, parameters + batch-norm running statistics), as Keras counts them."""
    trainable = sum(p.numel() for p in module.parameters())
    statistics = sum(b.numel() for name, b in module.named_buffers() if name.endswith(("running_mean", "running_var")))
    return trainable, trainable + statistics


class TorchDCGAN:
    """Generator, discriminator, their Adam optimizers and the plain DCGAN step.

    Args:
        latent_dim, image_shape, base_filters: as `kgen.models.DCGAN`.
        seed: int, seeds the initial weights and the latents.
        bfloat16: bool, the training step's forward passes under bfloat16 autocast.
    """

    def __init__(self, latent_dim=64, image_shape=(28, 28, 1), base_filters=64, seed=0, bfloat16=False):
        torch.set_num_threads(os.cpu_count())
        torch.manual_seed(seed)
        self.latent_dim = latent_dim
        self.generator = Generator(latent_dim, image_shape, base_filters)
        self.discriminator = Discriminator(image_shape, base_filters)
        self.generator.apply(_init_weights)
        self.discriminator.apply(_init_weights)
        self.g_optimizer = torch.optim.Adam(self.generator.parameters(), lr=2e-4, betas=(0.5, 0.999))
        self.d_optimizer = torch.optim.Adam(self.discriminator.parameters(), lr=2e-4, betas=(0.5, 0.999))
        self.loss_fn = nn.BCEWithLogitsLoss()
        self.rng = torch.Generator().manual_seed(seed)
        self.bfloat16 = bfloat16

    def _autocast(self):
        return torch.autocast("cpu", dtype=torch.bfloat16) if self.bfloat16 else contextlib.nullcontext()

    def train_step(self, real):
        """One discriminator and one generator update on a real NCHW batch in [-1, 1]; returns the losses."""
        self.generator.train()
        self.discriminator.train()
        n = real.shape[0]
        ones, zeros = torch.ones(n, 1), torch.zeros(n, 1)

        with torch.no_grad(), self._autocast():
            fake = self.generator(torch.randn(n, self.latent_dim, generator=self.rng))
        self.d_optimizer.zero_grad(set_to_none=True)
        with self._autocast():
            d_loss = self.loss_fn(self.discriminator(real), ones) + self.loss_fn(self.discriminator(fake), zeros)
        d_loss.backward()
        self.d_optimizer.step()

        self.discriminator.requires_grad_(False)
        self.g_optimizer.zero_grad(set_to_none=True)
        with self._autocast():
            fake = self.generator(torch.randn(n, self.latent_dim, generator=self.rng))
            g_loss = self.loss_fn(self.discriminator(fake), ones)
        g_loss.backward()
        self.g_optimizer.step()
        self.discriminator.requires_grad_(True)
        return d_loss.detach(), g_loss.detach()

    def fit_epoch(self, images, batch_size):
        """One pass over NCHW float32 numpy images in [-1, 1], in order, full batches only."""
        for start in range(0, len(images) - batch_size + 1, batch_size):
            self.train_step(torch.from_numpy(images[start : start + batch_size]))

    @torch.no_grad()
    def generate(self, n, batch_size=1000):
        """n images as NHWC numpy float32 in [0, 1], batch_size at a time."""
        self.generator.eval()
        out = []
        for start in range(0, n, batch_size):
            z = torch.randn(min(batch_size, n - start), self.latent_dim, generator=self.rng)
            images = ((self.generator(z) + 1.0) / 2.0).clamp_(0.0, 1.0)
            out.append(images.permute(0, 2, 3, 1).numpy())
        return np.concatenate(out)
