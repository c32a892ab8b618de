"""The data an image recipe trains and scores on: Fashion-MNIST's splits, and the feature model
its sample-quality scores are measured with."""

import dataclasses

import numpy as np

from kgen import datasets
from kgen.core.validation import check_int, fail

FEATURES_PRESET = "fashion_mnist_classifier"
"""The classifier whose features and class probabilities score generated Fashion-MNIST images."""


@dataclasses.dataclass(frozen=True)
class ImageData:
    """Training images (and labels) and, for scoring, the test split.

    Attributes:
        x_train: float32 (n, h, w, c) in [0, 1].
        y_train: int (n,) or None.
        x_test, y_test: the held-out split, or None when only training.
        conditioning: int (n,) or None, the labels a conditional model trains on
            (classes, or cluster ids for self-conditioning), set by a recipe's `prepare`.
        class_prior: probabilities or None, the frequencies of the cluster ids.
    """

    x_train: np.ndarray
    y_train: np.ndarray = None
    x_test: np.ndarray = None
    y_test: np.ndarray = None
    conditioning: np.ndarray = None
    class_prior: np.ndarray = None

    @classmethod
    def fashion_mnist(cls, data_dir=None, train_subset=None):
        """Fashion-MNIST from its IDX files; `train_subset` keeps the first N training images."""
        x_train, y_train = datasets.load_fashion_mnist("train", path=data_dir)
        x_test, y_test = datasets.load_fashion_mnist("test", path=data_dir)
        if train_subset is not None:
            train_subset = check_int("train_subset", train_subset, minimum=1, maximum=len(x_train))
            x_train, y_train = x_train[:train_subset], y_train[:train_subset]
        return cls(x_train, y_train, x_test, y_test)

    def test(self, limit=None):
        """The first `limit` test images and labels (all by default)."""
        if self.x_test is None:
            fail("data", self, "data with a test split (ImageData.fashion_mnist) to score on")
        limit = len(self.x_test) if limit is None else check_int("limit", limit, minimum=2)
        return self.x_test[:limit], self.y_test[:limit]


def feature_model():
    """The shipped `fashion_mnist_classifier`, which scores generated Fashion-MNIST images."""
    from kgen.models import Classifier

    return Classifier.from_preset(FEATURES_PRESET)
