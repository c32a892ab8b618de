"""Image grids and interpolation strips, written as PNG files with Pillow (atomically)."""

import io
import math

import numpy as np

from kgen.core import files
from kgen.core.validation import check_images, check_int, fail


def _to_uint8(images):
    images = check_images("images", images)
    if images.shape[-1] not in (1, 3):
        fail("images", images, "a batch of images with 1 or 3 channels")
    return np.round(images * 255.0).astype("uint8")


def tile(images, nrow=None, padding=2, pad_value=1.0):
    """Tile a batch of NHWC images in [0, 1] into one uint8 (H', W', C) array.

    Args:
        images: array (n, h, w, c), values in [0, 1], c in {1, 3}.
        nrow: int or None, images per row; default is the ceiling of sqrt(n).
        padding: int, pixels between images (default 2).
        pad_value: float in [0, 1], the colour of the padding (default white).

    Returns:
        uint8 array (H', W', C).

    Examples:
        >>> grid = kgen.plot.tile(np.zeros((6, 28, 28, 1)), nrow=3)    # 2 rows of 3, 2-pixel gaps
        >>> grid.shape, grid.dtype
        ((62, 92, 1), dtype('uint8'))
    """
    pixels = _to_uint8(images)
    n, h, w, c = pixels.shape
    if n == 0:
        fail("images", images, "a batch holding at least one image")
    nrow = math.ceil(math.sqrt(n)) if nrow is None else check_int("nrow", nrow, minimum=1)
    padding = check_int("padding", padding, minimum=0)
    rows = math.ceil(n / nrow)
    fill = int(round(pad_value * 255))
    canvas = np.full(
        (rows * h + (rows + 1) * padding, nrow * w + (nrow + 1) * padding, c), fill, "uint8"
    )
    for i in range(n):
        r, col = divmod(i, nrow)
        top = padding + r * (h + padding)
        left = padding + col * (w + padding)
        canvas[top : top + h, left : left + w] = pixels[i]
    return canvas


def png_bytes(array, scale=1):
    """A uint8 (H, W, C) array encoded as PNG, optionally upscaled by an integer factor.

    Args:
        array: uint8 array (H, W, C), C in {1, 3}.
        scale: int >= 1, nearest-neighbour upscaling factor (default 1).

    Returns:
        bytes.
    """
    from PIL import Image

    scale = check_int("scale", scale, minimum=1)
    array = np.asarray(array, dtype="uint8")
    image = Image.fromarray(array[..., 0] if array.shape[-1] == 1 else array)
    if scale > 1:
        image = image.resize((image.width * scale, image.height * scale), Image.NEAREST)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def save_png(array, path, scale=1):
    """Write a uint8 (H, W, C) array as a PNG, optionally upscaled by an integer factor.

    Args:
        array: uint8 array (H, W, C), C in {1, 3}.
        path: str, where to write the PNG (atomically).
        scale: int >= 1, nearest-neighbour upscaling factor (default 1).

    Returns:
        The path written.

    Examples:
        >>> kgen.plot.save_png(np.zeros((28, 28, 1), "uint8"), "black.png", scale=2)
        'black.png'
    """
    files.write_bytes(path, png_bytes(array, scale))
    return path


def image_grid(images, path, nrow=None, padding=2, scale=2):
    """Save a batch of images as a grid PNG.

    Args:
        images: array (n, h, w, c) in [0, 1].
        path: str, where to write the PNG.
        nrow: int or None, images per row (default: about sqrt(n)).
        padding: int, pixels between images (default 2).
        scale: int, nearest-neighbour upscaling factor (default 2).

    Returns:
        The path written.

    Examples:
        >>> images = np.random.default_rng(0).random((16, 28, 28, 1))
        >>> kgen.plot.image_grid(images, "grid.png", nrow=4)
        'grid.png'
    """
    return save_png(tile(images, nrow=nrow, padding=padding), path, scale=scale)


def interpolation_strip(images, path, steps=None, padding=2, scale=2):
    """Save interpolation paths as a PNG, one path per row.

    Args:
        images: array (steps, h, w, c) for one path, or (paths, steps, h, w, c)
            for several, values in [0, 1].
        path: str, where to write the PNG.
        steps: int or None, images per row when `images` is a flat batch holding
            several paths one after the other (default: the whole batch in one row).
        padding: int, pixels between images (default 2).
        scale: int, nearest-neighbour upscaling factor (default 2).

    Returns:
        The path written.

    Examples:
        >>> fade = np.linspace(0, 1, 8).reshape(8, 1, 1, 1) * np.ones((8, 28, 28, 1))   # black to white
        >>> kgen.plot.interpolation_strip(fade, "fade.png")
        'fade.png'
        >>> kgen.plot.interpolation_strip(np.concatenate([fade, fade[::-1]]), "two.png", steps=8)   # two rows
        'two.png'
    """
    array = np.asarray(images)
    if array.ndim == 5:
        steps = array.shape[1]
        array = array.reshape((-1,) + array.shape[2:])
    elif array.ndim != 4:
        fail("images", array, "an array (steps, h, w, c) or (paths, steps, h, w, c)")
    steps = array.shape[0] if steps is None else check_int("steps", steps, minimum=1)
    return save_png(tile(array, nrow=steps, padding=padding), path, scale=scale)
