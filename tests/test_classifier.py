import numpy as np
import pytest

from kgen.errors import KgenTypeError, KgenValueError
from kgen.models import Classifier


def test_shapes_and_ranges(tiny_classifier, images):
    assert tuple(tiny_classifier(images).shape) == (6, 10)
    assert tiny_classifier.features(images).shape == (6, 8)
    probabilities = tiny_classifier.predict_proba(images)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    labels = tiny_classifier.predict_labels(images)
    assert labels.shape == (6,) and labels.min() >= 0 and labels.max() < 10


def test_rgb_32x32():
    model = Classifier(num_classes=3, image_shape=(32, 32, 3), filters=(4, 8), dense_units=5)
    x = np.zeros((2, 32, 32, 3), "float32")
    assert model.features(x).shape == (2, 5)
    assert tuple(model(x).shape) == (2, 3)


@pytest.mark.parametrize(
    "bad, message",
    [
        (np.zeros((2, 28, 28, 3), "float32"), r"images must be a batch of images of shape \(n, 28, 28, 1\)"),
        (np.zeros((28, 28, 1), "float32"), "images must be a batch of images"),
        (np.full((2, 28, 28, 1), 255.0, "float32"), r"values in \[0.0, 1.0\].*x / 255"),
        (np.full((2, 28, 28, 1), np.nan, "float32"), "images must be finite"),
    ],
)
def test_bad_images(tiny_classifier, bad, message):
    with pytest.raises(KgenValueError, match=message):
        tiny_classifier.predict_labels(bad)


def test_bad_constructor_arguments():
    with pytest.raises(KgenValueError, match="num_classes must be an integer >= 2; got 1"):
        Classifier(num_classes=1)
    with pytest.raises(KgenTypeError, match="dense_units must be an integer"):
        Classifier(dense_units=2.5)
    with pytest.raises(KgenValueError, match="dropout must be a finite number >= 0.0 and < 1.0"):
        Classifier(dropout=1.0)


def test_training_steps_lower_the_loss(tiny_classifier):
    rng = np.random.default_rng(0)
    x = rng.random((64, 28, 28, 1), dtype="float32")
    y = rng.integers(0, 10, 64)
    tiny_classifier.compile(optimizer="adam")
    before = tiny_classifier.evaluate(x, y, verbose=0)[0]
    history = tiny_classifier.fit(x, y, epochs=15, batch_size=64, verbose=0)
    after = tiny_classifier.evaluate(x, y, verbose=0)[0]
    assert np.all(np.isfinite(history.history["loss"]))
    assert after < before


def test_shipped_classifier_on_1000_test_images(fashion_mnist_test):
    x, y = fashion_mnist_test
    model = Classifier.from_preset("fashion_mnist_classifier")
    accuracy = np.mean(model.predict_labels(x[:1000]) == y[:1000])
    assert accuracy >= 0.90


def test_compiled_model_round_trips_compiled(tiny_classifier, images, tmp_path):
    import warnings

    import keras

    tiny_classifier.compile()
    tiny_classifier.fit(images, np.arange(6) % 10, epochs=1, verbose=0)
    tiny_classifier.save(tmp_path / "m.keras")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loaded = keras.saving.load_model(tmp_path / "m.keras")
    assert loaded.compiled and loaded.loss is not None
    np.testing.assert_array_equal(loaded(images), tiny_classifier(images))
    loaded.fit(images, np.arange(6) % 10, epochs=1, verbose=0)
