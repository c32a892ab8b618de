import numpy as np
import pytest
from PIL import Image

from kgen import metrics
from kgen.errors import KgenValueError


def flat(x):
    return np.asarray(x).reshape(len(x), -1)[:, :16]


def test_frechet_distance_of_gaussians_matches_closed_form():
    # 1-D: d^2 = (mu1 - mu2)^2 + (s1 - s2)^2
    assert metrics.frechet_distance_from_statistics([1.0], [[4.0]], [3.0], [[9.0]]) == pytest.approx(4 + 1)
    # commuting (diagonal) covariances: sum over dimensions
    value = metrics.frechet_distance_from_statistics(
        np.zeros(2), np.diag([1.0, 4.0]), np.ones(2), np.diag([4.0, 16.0])
    )
    assert value == pytest.approx(2 + (1 - 2) ** 2 + (2 - 4) ** 2)


def test_frechet_distance_of_a_set_with_itself_is_zero_and_grows_with_noise():
    rng = np.random.default_rng(0)
    a = rng.random((500, 4, 4, 1), dtype="float32")
    assert metrics.frechet_distance(a, a, features=flat) < 1e-6
    distances = []
    for sigma in (0.05, 0.1, 0.2):
        noisy = np.clip(a + sigma * rng.standard_normal(a.shape), 0, 1).astype("float32")
        distances.append(metrics.frechet_distance(a, noisy, features=flat))
    assert 0 < distances[0] < distances[1] < distances[2]


def test_frechet_distance_on_the_shipped_classifier(fashion_mnist_test):
    from kgen.models import Classifier

    x, _ = fashion_mnist_test
    classifier = Classifier.from_preset("fashion_mnist_classifier")
    same = metrics.frechet_distance(x[:500], x[:500], classifier)
    other = metrics.frechet_distance(x[:500], x[500:1000], classifier)
    noise = metrics.frechet_distance(x[:500], np.random.default_rng(0).random((500, 28, 28, 1), dtype="float32"), classifier)
    assert same < 1e-4 < other < noise


def test_the_feature_model_is_required_and_checked(images):
    from kgen.errors import KgenTypeError

    with pytest.raises(TypeError, match="features"):
        metrics.frechet_distance(images, images)
    with pytest.raises(KgenTypeError, match="features must be a feature model"):
        metrics.frechet_distance(images, images, "fashion_mnist_classifier")
    with pytest.raises(KgenTypeError, match="classifier must be a model with predict_proba"):
        metrics.classifier_score(images, flat, splits=2)


def test_classifier_score_bounds():
    class Confident:
        def predict_proba(self, images):
            labels = np.arange(len(images)) % 4
            return np.eye(4)[labels] * 0.999 + 0.00025

    class Uniform:
        def predict_proba(self, images):
            return np.full((len(images), 4), 0.25)

    images = np.zeros((400, 2, 2, 1), "float32")
    mean, _ = metrics.classifier_score(images, Confident(), splits=4)
    assert 3.8 < mean <= 4.0
    assert metrics.classifier_score(images, Uniform(), splits=4)[0] == pytest.approx(1.0)


def test_nearest_neighbors_match_brute_force():
    rng = np.random.default_rng(1)
    samples = rng.random((7, 3, 3, 1), dtype="float32")
    reference = rng.random((50, 3, 3, 1), dtype="float32")
    indices, distances = metrics.nearest_neighbors(samples, reference, k=3, batch_size=8)
    brute = np.linalg.norm(samples.reshape(7, 1, -1) - reference.reshape(1, 50, -1), axis=-1)
    np.testing.assert_array_equal(indices, np.argsort(brute, axis=1)[:, :3])
    np.testing.assert_allclose(distances, np.sort(brute, axis=1)[:, :3], rtol=1e-5)
    indices, _ = metrics.nearest_neighbors(reference[:5], reference, k=1)
    np.testing.assert_array_equal(indices[:, 0], np.arange(5))


def test_nearest_neighbor_grid(tmp_path):
    rng = np.random.default_rng(2)
    path = metrics.nearest_neighbor_grid(
        rng.random((4, 8, 8, 1)), rng.random((20, 8, 8, 1)), tmp_path / "nn.png", k=3
    )
    with Image.open(path) as image:
        assert image.size == (2 * (4 * 8 + 5 * 2), 2 * (4 * 8 + 5 * 2))


def test_bad_input():
    with pytest.raises(KgenValueError, match="space must be one of 'pixel', 'feature'"):
        metrics.nearest_neighbors(np.zeros((1, 2, 2, 1)), np.zeros((3, 2, 2, 1)), space="latent")
    with pytest.raises(KgenValueError, match=r"reference must be a batch of images of shape \(n, 2, 2, 1\)"):
        metrics.nearest_neighbors(np.zeros((1, 2, 2, 1)), np.zeros((3, 4, 4, 1)))
    with pytest.raises(KgenValueError, match="k must be an integer >= 1 and <= 3"):
        metrics.nearest_neighbors(np.zeros((1, 2, 2, 1)), np.zeros((3, 2, 2, 1)), k=4)
    with pytest.raises(KgenValueError, match="a must be a batch of at least 2 images"):
        metrics.frechet_distance(np.zeros((1, 2, 2, 1)), np.zeros((3, 2, 2, 1)), features=flat)
    with pytest.raises(KgenValueError, match=r"b must be a batch of images of shape \(n, 2, 2, 1\)"):
        metrics.frechet_distance(np.zeros((3, 2, 2, 1)), np.zeros((3, 4, 4, 1)), features=flat)
    with pytest.raises(KgenValueError, match="vectors must be an array of shape"):
        metrics.gaussian_statistics(np.zeros((1, 3)))
