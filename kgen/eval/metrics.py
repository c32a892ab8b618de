"""Sample-quality metrics: Frechet distance and classifier score on a feature model's
features, and nearest neighbours of samples in a reference set.

Inception weights cannot be downloaded here, so, as TF-GAN does for MNIST, the
features come from a domain classifier, passed in as `features=`: for
Fashion-MNIST, ``kgen.models.Classifier.from_preset("fashion_mnist_classifier")``
(its 128-d penultimate layer). Any Keras model or callable mapping images to
feature vectors works too. Nothing here loads a model itself.
"""

import numpy as np

from kgen.core.errors import KgenTypeError, KgenValueError
from kgen.core.feeding import predict_feed
from kgen.core.validation import check_choice, check_finite, check_images, check_int, fail

FEATURES_EXPECTED = (
    "a feature model: a kgen Classifier (e.g. kgen.models.Classifier.from_preset("
    "'fashion_mnist_classifier')), a Keras model or a callable mapping images to feature vectors"
)


def _feature_function(features):
    """A function from an image batch to a (n, d) numpy array."""
    if hasattr(features, "features"):
        return features.features
    if hasattr(features, "predict"):
        def predict(x):
            x, kwargs = predict_feed(np.asarray(x), (), {"batch_size": 500},
                                     getattr(features, "distribute_strategy", None))
            return np.asarray(features.predict(x, verbose=0, **kwargs))

        return predict
    if callable(features) and not isinstance(features, (str, bytes)):
        return lambda x: np.asarray(features(x))
    fail("features", features, FEATURES_EXPECTED, KgenTypeError)


def embed(images, features):
    """Feature vectors of images.

    Args:
        images: float images (n, h, w, c) in [0, 1].
        features: a Classifier, a Keras model or a callable mapping images to vectors.

    Returns:
        float64 array (n, d).

    Examples:
        >>> classifier = kgen.models.Classifier.from_preset("fashion_mnist_classifier")
        >>> images = np.random.default_rng(0).random((8, 28, 28, 1), dtype="float32")
        >>> kgen.metrics.embed(images, classifier).shape      # its 128-d penultimate layer
        (8, 128)
        >>> kgen.metrics.embed(images, lambda x: x.reshape(len(x), -1)).shape   # any callable
        (8, 784)
    """
    images = check_images("images", images)
    vectors = check_finite("features(images)", _feature_function(features)(images)).astype("float64")
    if len(vectors) != len(images):
        fail("features", features, f"a feature model returning one vector per image ({len(images)}); "
             f"it returned {len(vectors)}")
    return vectors.reshape(len(images), -1)


def gaussian_statistics(vectors):
    """Mean and covariance (ddof=1) of feature vectors.

    Args:
        vectors: array (n, d), n >= 2.

    Returns:
        (mean (d,), covariance (d, d)), float64.

    Examples:
        >>> vectors = np.random.default_rng(0).normal(size=(1000, 3))
        >>> mean, covariance = kgen.metrics.gaussian_statistics(vectors)
        >>> mean.shape, covariance.shape, covariance.dtype
        ((3,), (3, 3), dtype('float64'))
    """
    vectors = check_finite("vectors", vectors).astype("float64")
    if vectors.ndim != 2 or len(vectors) < 2 or vectors.shape[1] < 1:
        fail("vectors", vectors, "an array of shape (n, d) with n >= 2")
    return vectors.mean(axis=0), np.cov(vectors, rowvar=False)


def _sqrtm_psd(matrix):
    values, vectors = np.linalg.eigh((matrix + matrix.T) / 2)
    return (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T


def _check_statistics(mu1, sigma1, mu2, sigma2):
    """Two means (d,) and covariances (d, d) of one dimension d, as float64 arrays."""
    mu1 = check_finite("mu1", mu1).astype("float64")
    if mu1.ndim != 1 or len(mu1) == 0:
        fail("mu1", mu1, "a mean vector of shape (d,) with d >= 1")
    d = len(mu1)
    checked = [mu1]
    for name, value, shape in (("sigma1", sigma1, (d, d)), ("mu2", mu2, (d,)), ("sigma2", sigma2, (d, d))):
        array = check_finite(name, value).astype("float64")
        if array.shape != shape:
            fail(name, array, f"an array of shape {shape} (d = {d} from mu1)")
        checked.append(array)
    return checked


def frechet_distance_from_statistics(mu1, sigma1, mu2, sigma2):
    """Frechet distance between two Gaussians N(mu1, sigma1) and N(mu2, sigma2).

    d^2 = |mu1 - mu2|^2 + Tr(sigma1 + sigma2 - 2 (sigma1^1/2 sigma2 sigma1^1/2)^1/2),
    with the matrix square roots from symmetric eigendecompositions, which stay
    real and stable for the rank-deficient covariances of small sample sets.

    Args:
        mu1: mean (d,) of the first Gaussian.
        sigma1: covariance (d, d) of the first Gaussian.
        mu2: mean (d,) of the second.
        sigma2: covariance (d, d) of the second.

    Returns:
        float, the distance d^2 (FD, as FID reports it).

    Examples:
        >>> identity = np.eye(2)
        >>> kgen.metrics.frechet_distance_from_statistics(np.zeros(2), identity, np.ones(2), identity)
        2.0
        >>> kgen.metrics.frechet_distance_from_statistics(np.zeros(2), identity, np.zeros(2), 4 * identity)
        2.0

    Reference:
        Dowson and Landau, "The Frechet distance between multivariate normal distributions",
        Journal of Multivariate Analysis 1982; Heusel et al., "GANs Trained by a Two Time-Scale
        Update Rule Converge to a Local Nash Equilibrium", NeurIPS 2017.
    """
    mu1, sigma1, mu2, sigma2 = _check_statistics(mu1, sigma1, mu2, sigma2)
    try:
        root1 = _sqrtm_psd(sigma1)
        middle = _sqrtm_psd(root1 @ sigma2 @ root1)
    except np.linalg.LinAlgError as error:  # e.g. entries so large that products overflow
        raise KgenValueError(f"sigma1 and sigma2 must be covariance matrices numpy can decompose; {error}.") from error
    difference = mu1 - mu2
    value = difference @ difference + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(middle)
    return float(max(value, 0.0))


def frechet_distance(a, b, features):
    """Frechet distance between two image sets on classifier features (the FID recipe).

    Args:
        a: float images (n, h, w, c) in [0, 1]; at least 2, and in practice
            thousands (the estimate is biased upwards for small sets).
        b: float images (m, h, w, c) in [0, 1], likewise.
        features: a Classifier, a Keras model or a callable mapping images to
            feature vectors.

    Returns:
        float >= 0; 0 for identical sets.

    Examples:
        >>> classifier = kgen.models.Classifier.from_preset("fashion_mnist_classifier")
        >>> vae = kgen.models.VAE.from_preset("vae_fashion_mnist")
        >>> a, b = vae.sample(16, seed=0), vae.sample(16, seed=1)          # two sets of samples
        >>> noise = np.random.default_rng(0).random((16, 28, 28, 1), dtype="float32")
        >>> kgen.metrics.frechet_distance(a, b, classifier) < kgen.metrics.frechet_distance(a, noise, classifier)
        True
        >>> round(kgen.metrics.frechet_distance(a, a, classifier), 6)
        0.0

    Reference:
        Heusel et al., "GANs Trained by a Two Time-Scale Update Rule Converge to a
        Local Nash Equilibrium", NeurIPS 2017.
    """
    a = check_images("a", a, min_count=2)
    b = check_images("b", b, a.shape[1:], min_count=2)
    return frechet_distance_from_statistics(
        *gaussian_statistics(embed(a, features)), *gaussian_statistics(embed(b, features))
    )


def classifier_score(images, classifier, splits=10):
    """The Inception Score recipe on a domain classifier: exp E_x KL(p(y|x) || p(y)).

    High when each image is confidently one class and the classes are balanced;
    at most the number of classes. Computed on `splits` equal parts of the set.

    Args:
        images: float images in [0, 1].
        classifier: a model with `predict_proba` (a kgen Classifier).
        splits: int, parts to average over (default 10).

    Returns:
        (mean, std) over the splits.

    Examples:
        >>> classifier = kgen.models.Classifier.from_preset("fashion_mnist_classifier")
        >>> images = kgen.models.VAE.from_preset("vae_fashion_mnist").sample(16, seed=0)
        >>> mean, std = kgen.metrics.classifier_score(images, classifier, splits=2)
        >>> 1.0 <= mean <= 10.0         # at most the number of classes
        True

    Reference:
        Salimans et al., "Improved Techniques for Training GANs", NeurIPS 2016.
    """
    images = check_images("images", images)
    splits = check_int("splits", splits, minimum=1, maximum=max(1, len(images)))
    if not hasattr(classifier, "predict_proba"):
        fail("classifier", classifier, "a model with predict_proba (a kgen Classifier)", KgenTypeError)
    probabilities = np.asarray(classifier.predict_proba(images), dtype="float64")
    scores = []
    for part in np.array_split(probabilities, splits):
        marginal = part.mean(axis=0, keepdims=True)
        kl = np.sum(part * (np.log(part + 1e-12) - np.log(marginal + 1e-12)), axis=1)
        scores.append(np.exp(kl.mean()))
    return float(np.mean(scores)), float(np.std(scores))


def nearest_neighbors(samples, reference, k=1, space="pixel", features=None, batch_size=1000):
    """The k nearest reference images of each sample, by Euclidean distance.

    Args:
        samples: float images (n, h, w, c) in [0, 1].
        reference: float images (m, h, w, c) in [0, 1], e.g. the training set.
        k: int, neighbours per sample (default 1).
        space: str, "pixel" or "feature" (classifier features) (default "pixel").
        features: as in `frechet_distance`; needed for space="feature" (default None).
        batch_size: int, reference rows per distance block (default 1000).

    Returns:
        (indices, distances): int64 and float64 arrays of shape (n, k), nearest first.

    Examples:
        >>> reference = np.random.default_rng(0).random((20, 28, 28, 1), dtype="float32")
        >>> indices, distances = kgen.metrics.nearest_neighbors(reference[[3, 7]] * 0.99, reference, k=2)
        >>> indices[:, 0], distances.shape
        (array([3, 7]), (2, 2))

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
