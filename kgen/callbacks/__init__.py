"""Keras callbacks for kgen models: KL warm-up, checkpoints (weights per epoch, or the whole
training state for an exact resume), a divergence guard, and a GAN's sample grids and Frechet
distance during training, images of what a model makes for TensorBoard, and an agent's
evaluation episodes (stopping it once it scores well enough)."""

from kgen.callbacks.checkpoint import AtomicCheckpoint, Checkpoint, TrainingPosition
from kgen.callbacks.divergence import DivergenceGuard
from kgen.callbacks.evaluate_policy import EvaluatePolicy
from kgen.callbacks.gan_monitors import FrechetDistance, SampleGrid
from kgen.callbacks.tensorboard_images import TensorBoardImages
from kgen.callbacks.warmup import KLWarmup

__all__ = ["AtomicCheckpoint", "Checkpoint", "DivergenceGuard", "EvaluatePolicy", "FrechetDistance", "KLWarmup",
           "SampleGrid", "TensorBoardImages", "TrainingPosition"]
