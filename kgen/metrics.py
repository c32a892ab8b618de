"""Sample-quality metrics: Frechet distance and classifier score on a classifier's
features, and nearest neighbours of samples in a reference set.

Inception weights cannot be downloaded here, so, as TF-GAN does for MNIST, the
features come from a domain classifier: by default the shipped
`fashion_mnist_classifier` preset's 128-d penultimate layer. Any Keras model (or
callable) mapping images to feature vectors can be passed as `features=`.
"""

import functools

import numpy as np

from kgen.validation import check_choice, check_images, check_int, fail

DEFAULT_FEATURES = "fashion_mnist_classifier"


@functools.lru_cache(maxsize=4)
def _classifier(preset):
    from kgen.models import Classifier

    return Classifier.from_preset(preset)


def _feature_function(features):
    """A function from an image batch to a (n, d) numpy array."""
    if isinstance(features, str):
        return _classifier(features).features
    if hasattr(features, "features"):
        return features.features
    if hasattr(features, "predict"):
        return lambda x: np.asarray(features.predict(x, batch_size=500, verbose=0))
    if callable(features):
        return lambda x: np.asarray(features(x))
    fail("features", features, "a preset name, a Classifier, a Keras model or a callable")


def embed(images, features=DEFAULT_FEATURES):
    """Feature vectors of images, float64 (n, d)."""
    images = check_images("images", images)
    vectors = np.asarray(_feature_function(features)(images), dtype="float64")
    return vectors.reshape(len(images), -1)


def gaussian_statistics(vectors):
    """Mean and covariance (ddof=1) of feature vectors (n, d)."""
    vectors = np.asarray(vectors, dtype="float64")
    if vectors.ndim != 2 or len(vectors) < 2:
        fail("vectors", vectors, "an array of shape (n, d) with n >= 2")
    return vectors.mean(axis=0), np.cov(vectors, rowvar=False)


def _sqrtm_psd(matrix):
    values, vectors = np.linalg.eigh((matrix + matrix.T) / 2)
    return (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T


def frechet_distance_from_statistics(mu1, sigma1, mu2, sigma2):
    """Frechet distance between two Gaussians N(mu1, sigma1) and N(mu2, sigma2).

    d^2 = |mu1 - mu2|^2 + Tr(sigma1 + sigma2 - 2 (sigma1^1/2 sigma2 sigma1^1/2)^1/2),
    with the matrix square roots from symmetric eigendecompositions, which stay
    real and stable for the rank-deficient covariances of small sample sets.
    """
    root1 = _sqrtm_psd(np.asarray(sigma1, "float64"))
    middle = _sqrtm_psd(root1 @ np.asarray(sigma2, "float64") @ root1)
    difference = np.asarray(mu1, "float64") - np.asarray(mu2, "float64")
    value = difference @ difference + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(middle)
    return float(max(value, 0.0))


def frechet_distance(a, b, features=DEFAULT_FEATURES):
    """Frechet distance between two image sets on classifier features (the FID recipe).

    Args:
        a, b: float images (n, h, w, c) in [0, 1]; at least 2 each, and in practice
            thousands (the estimate is biased upwards for small sets).
        features: str (a Classifier preset), a Classifier, a Keras model or a callable
            mapping images to feature vectors (default "fashion_mnist_classifier").

    Returns:
        float >= 0; 0 for identical sets.

    Example:
        >>> kgen.metrics.frechet_distance(gan.generate(10000, seed=0), x_test)

    Reference:
        Heusel et al., "GANs Trained by a Two Time-Scale Update Rule Converge to a
        Local Nash Equilibrium", NeurIPS 2017.
    """
    return frechet_distance_from_statistics(
        *gaussian_statistics(embed(a, features)), *gaussian_statistics(embed(b, features))
    )


def classifier_score(images, classifier=DEFAULT_FEATURES, splits=10):
    """The Inception Score recipe on a domain classifier: exp E_x KL(p(y|x) || p(y)).

    High when each image is confidently one class and the classes are balanced;
    at most the number of classes. Computed on `splits` equal parts of the set.

    Args:
        images: float images in [0, 1].
        classifier: str (a Classifier preset) or a model with `predict_proba`.
        splits: int, parts to average over (default 10).

    Returns:
        (mean, std) over the splits.

    Reference:
        Salimans et al., "Improved Techniques for Training GANs", NeurIPS 2016.
    """
    images = check_images("images", images)
    splits = check_int("splits", splits, minimum=1, maximum=max(1, len(images)))
    model = _classifier(classifier) if isinstance(classifier, str) else classifier
    probabilities = np.asarray(model.predict_proba(images), dtype="float64")
    scores = []
    for part in np.array_split(probabilities, splits):
        marginal = part.mean(axis=0, keepdims=True)
        kl = np.sum(part * (np.log(part + 1e-12) - np.log(marginal + 1e-12)), axis=1)
        scores.append(np.exp(kl.mean()))
    return float(np.mean(scores)), float(np.std(scores))


def nearest_neighbors(samples, reference, k=1, space="pixel", features=DEFAULT_FEATURES, batch_size=1000):
    """The k nearest reference images of each sample, by Euclidean distance.

    Args:
        samples: float images (n, h, w, c) in [0, 1].
        reference: float images (m, h, w, c) in [0, 1], e.g. the training set.
        k: int, neighbours per sample (default 1).
        space: str, "pixel" or "feature" (classifier features) (default "pixel").
        features: as in `frechet_distance`, for space="feature".
        batch_size: int, reference rows per distance block (default 1000).

    Returns:
        (indices, distances): int64 and float64 arrays of shape (n, k), nearest first.

    Reference:
        Goodfellow et al., "Generative Adversarial Nets", NeurIPS 2014, figure 2.
    """
    check_choice("space", space, ("pixel", "feature"))
    samples = check_images("samples", samples)
    reference = check_images("reference", reference, samples.shape[1:])
    k = check_int("k", k, minimum=1, maximum=len(reference))
    if space == "pixel":
        a, b = samples.reshape(len(samples), -1), reference.reshape(len(reference), -1)
    else:
        a, b = embed(samples, features), embed(reference, features)
    a, b = a.astype("float64"), b.astype("float64")
    best_d = np.full((len(a), k), np.inf)
    best_i = np.zeros((len(a), k), dtype="int64")
    a_norms = (a**2).sum(axis=1, keepdims=True)
    for start in range(0, len(b), batch_size):
        block = b[start : start + batch_size]
        d2 = a_norms - 2 * a @ block.T + (block**2).sum(axis=1)
        merged_d = np.concatenate([best_d, d2], axis=1)
        merged_i = np.concatenate([best_i, np.arange(start, start + len(block))[None].repeat(len(a), 0)], axis=1)
        order = np.argsort(merged_d, axis=1, kind="stable")[:, :k]
        best_d = np.take_along_axis(merged_d, order, axis=1)
        best_i = np.take_along_axis(merged_i, order, axis=1)
    return best_i, np.sqrt(np.clip(best_d, 0, None))


def nearest_neighbor_grid(samples, reference, path, k=3, space="pixel", features=DEFAULT_FEATURES):
    """Save a PNG with each sample (first column) beside its k nearest reference images."""
    from kgen import plot

    indices, _ = nearest_neighbors(samples, reference, k=k, space=space, features=features)
    rows = np.concatenate([np.asarray(samples)[:, None], np.asarray(reference)[indices]], axis=1)
    return plot.interpolation_strip(rows, path)
