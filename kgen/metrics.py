"""Sample-quality metrics: they live in `kgen.eval.metrics`; the nearest-neighbour picture in
`kgen.viz.neighbors`."""

from kgen.eval.metrics import (
    classifier_score,
    embed,
    frechet_distance,
    frechet_distance_from_statistics,
    gaussian_statistics,
    nearest_neighbors,
)
from kgen.viz.neighbors import nearest_neighbor_grid

__all__ = [
    "classifier_score",
    "embed",
    "frechet_distance",
    "frechet_distance_from_statistics",
    "gaussian_statistics",
    "nearest_neighbor_grid",
    "nearest_neighbors",
]
