"""k-means clustering, used to self-condition unconditional GANs on clusters of their training data."""

import numpy as np

from kgen.core.validation import check_finite, check_int, fail

__all__ = ["kmeans", "cluster_labels"]


def _squared_distances(x, centers, x_norms):
    """(n, k) squared Euclidean distances, computed with one matrix product."""
    return np.maximum(x_norms[:, None] - 2.0 * x @ centers.T + np.sum(centers**2, axis=1), 0.0)


def kmeans(x, k, seed=0, max_iterations=100):
    """Lloyd's k-means with k-means++ initialization.

    Each example (flattened) goes to its nearest center in Euclidean distance;
    iterations stop when no assignment changes or after `max_iterations`. An
    emptied cluster is re-seeded with the example farthest from its center.

    Args:
        x: float array (n, ...) of n >= k examples, flattened to vectors.
        k: int >= 1, number of clusters.
        seed: int >= 0, seeds the k-means++ initialization (default 0).
        max_iterations: int >= 1 (default 100).

    Returns:
        (centers, assignments): float32 (k, d) and int32 (n,) with values in [0, k).

    Examples:
        >>> x = np.repeat([[0.0, 0.0], [1.0, 1.0]], [6, 2], axis=0)     # two blobs: 6 and 2 points
        >>> x += np.random.default_rng(0).normal(scale=0.01, size=x.shape)
        >>> centers, clusters = kgen.clustering.kmeans(x, 2, seed=0)
        >>> centers.shape, sorted(np.bincount(clusters).tolist())    # each blob is a cluster
        ((2, 2), [2, 6])

    Reference:
        Lloyd, "Least squares quantization in PCM", 1982; Arthur and Vassilvitskii,
        "k-means++: The Advantages of Careful Seeding", SODA 2007.
    """
    x = check_finite("x", x).astype("float32")
    if x.ndim < 2:
        fail("x", x, "an array of examples (n, ...) with n >= k")
    x = x.reshape(len(x), -1)
    k = check_int("k", k, minimum=1, maximum=len(x))
    seed = check_int("seed", seed, minimum=0)
    max_iterations = check_int("max_iterations", max_iterations, minimum=1)
    rng = np.random.default_rng(seed)
    x_norms = np.sum(x**2, axis=1)

    centers = [x[rng.integers(len(x))]]
    nearest = _squared_distances(x, np.stack(centers), x_norms)[:, 0]
    for _ in range(k - 1):  # k-means++: the next center with probability proportional to D(x)^2
        total = nearest.sum()
        index = rng.choice(len(x), p=nearest / total) if total > 0 else rng.integers(len(x))
        centers.append(x[index])
        nearest = np.minimum(nearest, _squared_distances(x, x[index][None], x_norms)[:, 0])
    centers = np.stack(centers)

    assignments = None
    for _ in range(max_iterations):
        distances = _squared_distances(x, centers, x_norms)
        new_assignments = np.argmin(distances, axis=1).astype("int32")
        if assignments is not None and np.array_equal(new_assignments, assignments):
            break
        assignments = new_assignments
        one_hot = np.zeros((len(x), k), dtype="float32")
        one_hot[np.arange(len(x)), assignments] = 1.0
        counts = one_hot.sum(axis=0)
        empty = counts == 0
        centers = np.where(empty[:, None], 0.0, one_hot.T @ x / np.maximum(counts, 1.0)[:, None])
        if empty.any():
            order = np.argsort(-distances[np.arange(len(x)), assignments])
            centers[empty] = x[order[: int(empty.sum())]]
    return centers.astype("float32"), assignments


def cluster_labels(x, k, seed=0):
    """k-means cluster ids of examples and the clusters' frequencies: labels and prior for self-conditioning.

    Args:
        x: float array (n, ...) of n >= k examples (images are flattened).
        k: int >= 1, number of clusters.
        seed: int >= 0, seeds `kmeans` (default 0).

    Returns:
        (labels, frequencies): int32 (n,) in [0, k) and float64 (k,) summing to 1.

    Examples:
        >>> images = np.repeat([0.1, 0.9], [6, 2]).reshape(8, 1, 1, 1) * np.ones((8, 28, 28, 1), "float32")
        >>> labels, prior = kgen.clustering.cluster_labels(images, 2)
        >>> labels.shape, np.sort(prior)
        ((8,), array([0.25, 0.75]))
        >>> gan = kgen.models.DCGAN(latent_dim=8, image_shape=(28, 28, 1), num_classes=2, class_prior=prior)
    """
    _, labels = kmeans(x, k, seed=seed)
    return labels, np.bincount(labels, minlength=k) / len(labels)
