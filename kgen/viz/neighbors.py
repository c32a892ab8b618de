"""Samples beside their nearest reference images, as one PNG: the memorisation check."""

import numpy as np

from kgen.eval.metrics import nearest_neighbors
from kgen.viz.images import interpolation_strip


def nearest_neighbor_grid(samples, reference, path, k=3, space="pixel", features=None):
    """Save a PNG with each sample (first column) beside its k nearest reference images.

    Args: as `kgen.eval.metrics.nearest_neighbors`, plus `path`, the PNG to write.

    Returns:
        The path written.
    """
    indices, _ = nearest_neighbors(samples, reference, k=k, space=space, features=features)
    rows = np.concatenate([np.asarray(samples)[:, None], np.asarray(reference)[indices]], axis=1)
    return interpolation_strip(rows, path)
