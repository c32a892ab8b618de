import numpy as np
import pytest
from PIL import Image

from kgen import plot
from kgen.errors import KgenValueError


def test_image_grid_layout(tmp_path):
    images = np.random.default_rng(0).random((10, 28, 28, 1))
    path = plot.image_grid(images, tmp_path / "grid.png", nrow=5, padding=2, scale=1)
    with Image.open(path) as image:
        assert image.size == (5 * 28 + 6 * 2, 2 * 28 + 3 * 2)


def test_tile_places_images_in_order():
    images = np.stack([np.full((2, 2, 1), v) for v in (0.0, 0.5, 1.0)])
    canvas = plot.tile(images, nrow=3, padding=1, pad_value=1.0)
    assert canvas.shape == (4, 10, 1)
    assert canvas[1, 1, 0] == 0 and canvas[1, 4, 0] == 128 and canvas[1, 7, 0] == 255


def test_interpolation_strip_rows_are_paths(tmp_path):
    paths = np.random.default_rng(0).random((3, 8, 28, 28, 3))
    path = plot.interpolation_strip(paths, tmp_path / "strip.png", padding=0, scale=1)
    with Image.open(path) as image:
        assert image.size == (8 * 28, 3 * 28) and image.mode == "RGB"


def test_curves(tmp_path):
    path = plot.curves(
        {"measured": ([10, 100], [1.0, 0.1]), "measured (exact)": ([10, 100], [1.0, 0.1])},
        tmp_path / "c.png",
        logx=True,
        logy=True,
    )
    with Image.open(path) as image:
        assert image.format == "PNG"


def test_bad_images(tmp_path):
    with pytest.raises(KgenValueError, match=r"images must have values in \[0.0, 1.0\]"):
        plot.image_grid(np.full((1, 4, 4, 1), 2.0), tmp_path / "x.png")
    with pytest.raises(ValueError, match="1 or 3 channels"):
        plot.image_grid(np.zeros((1, 4, 4, 2)), tmp_path / "x.png")
    assert not list(tmp_path.iterdir())
