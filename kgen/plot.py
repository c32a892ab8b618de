"""Pictures written as PNG files; they live in `kgen.viz`."""

from kgen.viz.curves import curves
from kgen.viz.gridworld import gridworld
from kgen.viz.images import image_grid, interpolation_strip, save_png, tile
from kgen.viz.neighbors import nearest_neighbor_grid

__all__ = ["curves", "gridworld", "image_grid", "interpolation_strip", "nearest_neighbor_grid", "save_png", "tile"]
