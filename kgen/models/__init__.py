"""kgen's model families, each a subclassed `keras.Model`."""

from kgen.models import vae_networks
from kgen.models.classifier import Classifier
from kgen.models.dcgan import DCGAN
from kgen.models.gan import GAN
from kgen.models.pixelcnn import PixelCNN
from kgen.models.vae import VAE

__all__ = ["Classifier", "DCGAN", "GAN", "PixelCNN", "VAE", "vae_networks"]
