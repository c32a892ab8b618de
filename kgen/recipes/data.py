"""The data an image recipe trains and scores on: Fashion-MNIST's splits or your own images
(`ImageSource`), and the feature model its sample-quality scores are measured with."""

import dataclasses
import os

import numpy as np

from kgen import datasets
from kgen.core.validation import check_int, check_number, fail

FEATURES_PRESET = "fashion_mnist_classifier"
"""The classifier whose features and class probabilities score generated Fashion-MNIST images."""
HELD_OUT = 0.1
"""The fraction of your own images held out (seeded) for scoring; never trained on."""


@dataclasses.dataclass(frozen=True)
class ImageSource:
    """Your own images for an image recipe (`kgen train FAMILY --data PATH`): what
    `kgen.datasets.load_images` reads, and the classifier preset that scores samples.

    Attributes:
        path: str, a folder of PNG/JPEG files (class subfolders become labels), an .npz or an .npy file.
        image_size: int, (height, width) or None: resize every image (default: keep the size).
        channels: 1, 3 or None: convert to greyscale or RGB (default: the images' own).
        features: str or None, a classifier preset trained on the same kind of images (e.g.
            by `kgen train classifier --data PATH`) whose features give the FD and classifier
            score of the samples; without one those scores are not computed.

    Examples:
        >>> source = kgen.recipes.ImageSource("my_shoes/", image_size=32, channels=3)
        >>> source.image_size, source.features
        (32, None)
        >>> recipe = kgen.recipes.VAEFashionMNIST(epochs=20)
        >>> model, scores = recipe.train("my_vae", source=source)   # doctest: +SKIP
    """

    path: str
    image_size: object = None
    channels: int = None
    features: str = None

    def options(self):
        """The `kgen train` options that read this source: {flag name: value}."""
        return {"data": os.fspath(self.path), "image_size": self.image_size, "channels": self.channels,
                "features": self.features}


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
        features: str or None, the classifier preset whose features score samples of this
            data (`fashion_mnist_classifier` for Fashion-MNIST; None: no sample-quality scores).
        source: dict or None, for your own images: where they were read, their sha256, sizes
            and classes (what the card's Data section records); None for Fashion-MNIST.

    Examples:
        >>> x = np.random.default_rng(0).random((8, 28, 28, 1), dtype="float32")
        >>> data = kgen.recipes.ImageData(x, y_train=np.arange(8) % 2, features=None)
        >>> classifier = kgen.recipes.FashionMNISTClassifier().build(data)   # sized from the data
        >>> classifier.num_classes, classifier.image_shape
        (2, (28, 28, 1))
    """

    x_train: np.ndarray
    y_train: np.ndarray = None
    x_test: np.ndarray = None
    y_test: np.ndarray = None
    conditioning: np.ndarray = None
    class_prior: np.ndarray = None
    features: str = FEATURES_PRESET
    source: dict = None

    @classmethod
    def fashion_mnist(cls, data_dir=None, train_subset=None):
        """Fashion-MNIST from its IDX files; `train_subset` keeps the first N training images."""
        x_train, y_train = datasets.load_fashion_mnist("train", path=data_dir)
        x_test, y_test = datasets.load_fashion_mnist("test", path=data_dir)
        x_train, y_train = _subset(x_train, y_train, train_subset)
        return cls(x_train, y_train, x_test, y_test)

    @classmethod
    def from_source(cls, source, train_subset=None, seed=0, held_out=HELD_OUT):
        """Your own images: a seeded `held_out` fraction (at least 2 images) is the test split.

        Args:
            source: `ImageSource` or a path.
            train_subset: int or None, train on the first N of the training part.
            seed: int, shuffles the images before the split.
            held_out: float in (0, 1), the fraction held out for scoring.

        Returns:
            `ImageData` with `source` set and `features` from the source.
        """
        source = source if isinstance(source, ImageSource) else ImageSource(source)
        check_number("held_out", held_out, minimum=0.0, maximum=1.0, low_open=True, high_open=True)
        loaded = datasets.load_images(source.path, image_size=source.image_size, channels=source.channels)
        count = len(loaded.x)
        test_count = max(2, int(round(held_out * count)))
        if count < test_count + 2:
            fail("data", source.path, f"at least {test_count + 2} images (2 or more to train on and "
                 f"{test_count} held out to score on); it has {count}")
        order = np.random.default_rng(seed).permutation(count)
        test, train = order[:test_count], order[test_count:]
        y = loaded.y
        x_train, y_train = _subset(loaded.x[train], None if y is None else y[train], train_subset)
        record = {
            "path": loaded.source,
            "sha256": loaded.sha256,
            "image_shape": list(loaded.x.shape[1:]),
            "train_images": len(x_train),
            "held_out_images": test_count,
            "class_names": list(loaded.class_names),
            "held_out": f"a {held_out:g} fraction, shuffled with seed {seed}",
        }
        return cls(x_train, y_train, loaded.x[test], None if y is None else y[test], features=source.features,
                   source=record)

    def test(self, limit=None):
        """The first `limit` test images and labels (all by default)."""
        if self.x_test is None:
            fail("data", self, "data with a test split (ImageData.fashion_mnist) to score on")
        limit = len(self.x_test) if limit is None else check_int("limit", limit, minimum=2)
        return self.x_test[:limit], None if self.y_test is None else self.y_test[:limit]

    @property
    def num_classes(self):
        """Classes of the labels: the source's class folders, else the largest label + 1 (None without labels)."""
        if self.y_train is None:
            return None
        if self.source and self.source["class_names"]:
            return len(self.source["class_names"])
        return int(np.max(self.y_train)) + 1

    def feature_model(self):
        """The classifier that scores samples of this data, or None when there is none."""
        from kgen.models import Classifier

        return None if self.features is None else Classifier.from_preset(self.features)

    @property
    def train_phrase(self):
        """The training images in words, for a card."""
        if self.source is None:
            return "the 60,000 Fashion-MNIST training images"
        return f"the {len(self.x_train):,} training images read from `{self.source['path']}`"

    @property
    def test_phrase(self):
        """The held-out images in words, for a card."""
        if self.source is None:
            return "the 10,000 test images"
        return f"the {len(self.x_test):,} held-out images ({self.source['held_out']})"

    def sample_quality_sentence(self, count, samples):
        """The card's account of `fd_test`, `fd_floor` and `classifier_score` for `count` samples
        (described by `samples`), or why there are none."""
        if self.features is None:
            return ("No sample-quality score (FD, classifier score) is computed: no classifier for these images "
                    "was given (train one with `kgen train classifier --data PATH` and pass `--features` to it).")
        test = "the 10,000 test images" if self.source is None else "the held-out images"
        return (f"`fd_test` is the Frechet distance, on the `{self.features}` features, between {count:,} samples "
                f"({samples}) and {test}; `fd_floor` is the same distance between {count:,} training images and "
                "the same images; `classifier_score` is the Inception-score analogue of the samples on that "
                "classifier (at most its number of classes).")

    def sample_count(self, most):
        """How many samples the sample-quality scores use: `most`, or the held-out images' number when smaller."""
        return most if self.x_test is None else min(most, len(self.x_test))

    @property
    def dataset_names(self):
        """The card's `datasets` (Hub dataset ids): Fashion-MNIST's, none for your own images."""
        return ["fashion_mnist"] if self.source is None else []

    def card_section(self):
        """{"Data": markdown} recording your own images' source, sizes and sha256 ({} for Fashion-MNIST)."""
        if self.source is None:
            return {}
        s = self.source
        rows = [("source", f"`{s['path']}`"), ("images", f"{s['train_images']:,} trained on, "
                f"{s['held_out_images']:,} held out ({s['held_out']})"),
                ("image shape", " x ".join(map(str, s["image_shape"]))),
                ("classes", ", ".join(s["class_names"]) or "none (no class subfolders)"),
                ("sha256", f"`{s['sha256']}` (the sorted file list with each file's sha256, "
                 "`kgen.datasets.load_images(...).sha256`)"),
                ("sample-quality features", f"`{self.features}`" if self.features else
                 "none: no classifier for this data was given (`--features PRESET`), so no FD or classifier score")]
        return {"Data": "\n".join(["| | |", "| --- | --- |"] + [f"| {k} | {v} |" for k, v in rows])}


FASHION_MNIST = ImageData(x_train=None)
"""How a card describes the Fashion-MNIST data when the arrays are not at hand."""


def _subset(x, y, train_subset):
    if train_subset is None:
        return x, y
    train_subset = check_int("train_subset", train_subset, minimum=1, maximum=len(x))
    return x[:train_subset], None if y is None else y[:train_subset]
