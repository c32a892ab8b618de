"""Data: Fashion-MNIST (`fashion_mnist.py`) and your own images (`images.py`), as float32 NHWC
arrays in [0, 1] or `tf.data.Dataset`s; `binarize` for the binary likelihoods."""

from kgen.datasets.fashion_mnist import (
           DEBIAN_DIR,
           FASHION_MNIST_LABELS,
           binarize,
           load_fashion_mnist,
           read_idx,
)
from kgen.datasets.images import LoadedImages, load_images

__all__ = ["DEBIAN_DIR", "FASHION_MNIST_LABELS", "LoadedImages", "binarize", "load_fashion_mnist", "load_images",
           "read_idx"]
