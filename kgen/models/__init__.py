"""kgen's model families, each a subclassed `keras.Model`."""

from kgen.models import vae_networks
from kgen.models.classifier import Classifier
from kgen.models.vae import VAE

__all__ = ["Classifier", "VAE", "vae_networks"]
