import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from kgen import datasets  # noqa: E402
from kgen.errors import DataNotFoundError  # noqa: E402


@pytest.fixture(scope="session")
def fashion_mnist_test():
    """The real Fashion-MNIST test split, or a skip saying how to get it."""
    try:
        return datasets.load_fashion_mnist("test", download=False)
    except DataNotFoundError:
        pytest.skip("Fashion-MNIST is not installed here: run `make data` to run this test")


@pytest.fixture
def tiny_classifier():
    from kgen.models import Classifier

    return Classifier(filters=(4,), dense_units=8, dropout=0.0)


@pytest.fixture
def images():
    return np.random.default_rng(1).random((6, 28, 28, 1), dtype="float32")


@pytest.fixture(autouse=True)
def seeded():
    """Every test starts from the same Python, numpy and Keras random state."""
    import keras

    keras.utils.set_random_seed(0)
