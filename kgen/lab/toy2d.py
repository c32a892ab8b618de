"""Two-dimensional data sets on the unit square for the lab's GAN page: GAN Lab's line,
Gaussian mixture, ring, three disjoint regions and drawn points, plus a 5 x 5 grid of
Gaussians and a spiral."""

import numpy as np

from kgen.core.errors import KgenTypeError
from kgen.core.validation import as_numeric_array, check_int, fail

MAX_DRAWN_POINTS = 2000
DRAWN_SPREAD = 0.02
"""Standard deviation of the Gaussian put around each drawn point."""
MARGIN = 1e-3
"""Samples are kept this far inside the square, where a tanh generator can reach."""


def _circle_modes(count, radius):
    angles = 2 * np.pi * np.arange(count) / count
    return 0.5 + radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)


GRID_MODES = np.stack(np.meshgrid(np.linspace(0.1, 0.9, 5), np.linspace(0.1, 0.9, 5)), -1).reshape(-1, 2)
MIXTURES = {
    "gaussians": (_circle_modes(8, 0.35), 0.025),
    "grid": (GRID_MODES, 0.015),
}
"""Mixtures of equal isotropic Gaussians: name -> (means, standard deviation)."""
DISJOINT_CENTERS = _circle_modes(3, 0.3)


def _line(n, rng):
    t = rng.uniform(size=(n, 1))
    start, end = np.array([0.15, 0.25]), np.array([0.85, 0.75])
    normal = np.array([-0.5, 0.7]) / np.hypot(0.5, 0.7)
    return start + t * (end - start) + rng.normal(0.0, 0.01, (n, 1)) * normal


def _ring(n, rng):
    angle = rng.uniform(0, 2 * np.pi, n)
    radius = 0.3 + rng.normal(0.0, 0.02, n)
    return 0.5 + radius[:, None] * np.stack([np.cos(angle), np.sin(angle)], 1)


def _disjoint(n, rng):
    """Three uniform discs of radius 0.12."""
    centers = DISJOINT_CENTERS[rng.integers(3, size=n)]
    angle = rng.uniform(0, 2 * np.pi, n)
    radius = 0.12 * np.sqrt(rng.uniform(size=n))
    return centers + radius[:, None] * np.stack([np.cos(angle), np.sin(angle)], 1)


def _spiral(n, rng):
    t = np.sqrt(rng.uniform(size=n))
    angle = 3 * np.pi * t
    radius = 0.05 + 0.35 * t
    return 0.5 + radius[:, None] * np.stack([np.cos(angle), np.sin(angle)], 1) + rng.normal(0.0, 0.01, (n, 2))


def _mixture(name):
    means, std = MIXTURES[name]
    return lambda n, rng: means[rng.integers(len(means), size=n)] + rng.normal(0.0, std, (n, 2))


SHAPES = {"line": _line, "gaussians": _mixture("gaussians"), "ring": _ring, "disjoint": _disjoint,
          "grid": _mixture("grid"), "spiral": _spiral}
NAMES = tuple(SHAPES) + ("drawn",)


def check_points(points):
    """Drawn points: a list of 1 to MAX_DRAWN_POINTS [x, y] pairs in the unit square, as float64 (n, 2)."""
    if not isinstance(points, (list, tuple, np.ndarray)):
        fail("points", points, "a list of [x, y] pairs", KgenTypeError)
    array = as_numeric_array("points", points, "a list of [x, y] pairs")
    if array.ndim != 2 or array.shape[1] != 2:
        fail("points", array, "a list of [x, y] pairs")
    check_int("number of points", len(array), 1, MAX_DRAWN_POINTS)
    if not np.all(np.isfinite(array)) or array.min() < 0 or array.max() > 1:
        fail("points", array, "coordinates in [0, 1]")
    return array.astype(np.float64)


def sample(name, n, rng, points=None):
    """n points (float32, (n, 2)) of data set `name` in the unit square; `points` are the drawn ones."""
    if name == "drawn":
        chosen = points[rng.integers(len(points), size=n)]
        values = chosen + rng.normal(0.0, DRAWN_SPREAD, (n, 2))
    else:
        values = SHAPES[name](n, rng)
    return np.clip(values, MARGIN, 1 - MARGIN).astype(np.float32)


def modes(name):
    """(means, standard deviation) of a Gaussian-mixture data set, or None."""
    return MIXTURES.get(name)
