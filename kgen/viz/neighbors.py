"""Samples beside their nearest reference images, as one PNG: the memorisation check."""

import numpy as np

from kgen.eval.metrics import nearest_neighbors
from kgen.viz.images import interpolation_strip


def nearest_neighbor_grid(samples, reference, path, k=3, space="pixel", features=None):
    """Save a PNG with each sample (first column) beside its k nearest reference images.

    Args:
        samples: float images (n, h, w, c) in [0, 1], one row each.
        reference: float images (m, h, w, c) in [0, 1], e.g. the training set.
        path: str, the PNG to write (atomically).
        k: int, neighbours per sample (default 3).
        space: str, "pixel" or "feature", as in `kgen.metrics.nearest_neighbors` (default "pixel").
        features: the feature model for space="feature" (default None).

    Returns:
        The path written.

    Examples:
        >>> reference = np.random.default_rng(0).random((20, 28, 28, 1), dtype="float32")
        >>> kgen.metrics.nearest_neighbor_grid(reference[:4], reference, "neighbours.png", k=3)
        'neighbours.png'

    Reference:
        Goodfellow et al., "Generative Adversarial Nets", NeurIPS 2014, figure 2.
    """
    indices, _ = nearest_neighbors(samples, reference, k=k, space=space, features=features)
    rows = np.concatenate([np.asarray(samples)[:, None], np.asarray(reference)[indices]], axis=1)
    return interpolation_strip(rows, path)
