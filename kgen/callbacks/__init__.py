"""Keras callbacks for kgen models: KL warm-up, checkpoints (weights per epoch, or the whole
training state for an exact resume), a divergence guard, and a GAN's sample grids and Frechet
distance during training, and images of what a model makes for TensorBoard."""

from kgen.callbacks.checkpoint import AtomicCheckpoint, Checkpoint, TrainingPosition
from kgen.callbacks.divergence import DivergenceGuard
from kgen.callbacks.gan_monitors import FrechetDistance, SampleGrid
from kgen.callbacks.tensorboard_images import TensorBoardImages
from kgen.callbacks.warmup import KLWarmup

__all__ = ["AtomicCheckpoint", "Checkpoint", "DivergenceGuard", "FrechetDistance", "KLWarmup", "SampleGrid",
           "TensorBoardImages", "TrainingPosition"]
