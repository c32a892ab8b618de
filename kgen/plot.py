"""Pictures: image grids, interpolation strips and curves, written as PNG files.

Grids and strips use Pillow only; `curves` uses matplotlib (`pip install 'kgen[plot]'`).
Every file is written atomically.
"""

import io
import math

import numpy as np

from kgen import files
from kgen.optional import require
from kgen.validation import check_images, check_int


def _to_uint8(images):
    images = check_images("images", images)
    if images.shape[-1] not in (1, 3):
        raise ValueError(
            f"images must have 1 or 3 channels; got shape {images.shape}."
        )
    return np.round(images * 255.0).astype("uint8")


def tile(images, nrow=None, padding=2, pad_value=1.0):
    """Tile a batch of NHWC images in [0, 1] into one uint8 (H', W', C) array.

    Args:
        images: array (n, h, w, c), values in [0, 1], c in {1, 3}.
        nrow: int or None, images per row; default is the ceiling of sqrt(n).
        padding: int, pixels between images (default 2).
        pad_value: float in [0, 1], the colour of the padding (default white).
    """
    pixels = _to_uint8(images)
    n, h, w, c = pixels.shape
    if n == 0:
        raise ValueError("images must hold at least one image; got an empty batch.")
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


def save_png(array, path, scale=1):
    """Write a uint8 (H, W, C) array as a PNG, optionally upscaled by an integer factor."""
    from PIL import Image

    scale = check_int("scale", scale, minimum=1)
    array = np.asarray(array, dtype="uint8")
    image = Image.fromarray(array[..., 0] if array.shape[-1] == 1 else array)
    if scale > 1:
        image = image.resize((image.width * scale, image.height * scale), Image.NEAREST)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    files.write_bytes(path, buffer.getvalue())
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

    Example:
        >>> kgen.plot.image_grid(np.random.rand(16, 28, 28, 1), "grid.png", nrow=4)
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
    """
    array = np.asarray(images)
    if array.ndim == 5:
        steps = array.shape[1]
        array = array.reshape((-1,) + array.shape[2:])
    elif array.ndim != 4:
        raise ValueError(
            "images must be (steps, h, w, c) or (paths, steps, h, w, c); "
            f"got shape {array.shape}."
        )
    steps = array.shape[0] if steps is None else check_int("steps", steps, minimum=1)
    return save_png(tile(array, nrow=steps, padding=padding), path, scale=scale)


def _pyplot(feature):
    """matplotlib.pyplot on the file-only Agg backend, or an install hint naming `feature`."""
    require("matplotlib", "plot", feature)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save_figure(figure, path):
    """Write `figure` as a PNG at `path` atomically, close it, return the path."""
    import matplotlib.pyplot as plt

    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    files.write_bytes(path, buffer.getvalue())
    return path


def curves(series, path, xlabel="", ylabel="", title="", logx=False, logy=False):
    """Plot named curves as lines and save the figure as a PNG.

    Args:
        series: dict mapping a label to (x, y) sequences, or to y alone
            (plotted against 0, 1, 2, ...). A label ending in " (exact)"
            is drawn dashed, in the colour of the curve named by the rest of
            the label when that one comes first: closed forms beside measurements.
        path: str, where to write the PNG.
        xlabel, ylabel, title: str, axis labels and title.
        logx, logy: bool, logarithmic axes.

    Returns:
        The path written.
    """
    plt = _pyplot("Plotting curves")
    figure, axes = plt.subplots(figsize=(6, 4), dpi=100)
    colours = {}
    for label, values in series.items():
        if isinstance(values, tuple) and len(values) == 2:
            x, y = values
        else:
            y = values
            x = np.arange(len(y))
        base = label[: -len(" (exact)")] if label.endswith(" (exact)") else None
        if base in colours:
            axes.plot(x, y, "--", color=colours[base], label=label)
        else:
            (line,) = axes.plot(x, y, "-o", label=label, markersize=4)
            colours[label] = line.get_color()
    if logx:
        axes.set_xscale("log")
    if logy:
        axes.set_yscale("log")
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    axes.set_title(title)
    axes.grid(True, which="both", alpha=0.3)
    axes.legend()
    return _save_figure(figure, path)


def gridworld(world, values, policy=None, q=None, path="gridworld.png", title=""):
    """Draw a `kgen.rl.mdp.GridWorld`: V as a heat map with its numbers, pi as arrows, and
    optionally Q as four triangles per cell (up, right, down, left), side by side.

    Args:
        world: GridWorld.
        values: array (S,), e.g. V*.
        policy: optional int array (S,), drawn as arrows on the V panel.
        q: optional array (S, 4), drawn as a second panel.
        path: str, the PNG to write.
        title: str.

    Returns:
        The path written.
    """
    plt = _pyplot("Drawing a grid world")
    import matplotlib
    from matplotlib.patches import Polygon

    rows, cols = world.shape
    panels = 2 if q is not None else 1
    figure, axes = plt.subplots(1, panels, figsize=(1.1 * cols * panels + 1, 1.1 * rows + 0.6), dpi=100, squeeze=False)
    finite = np.asarray(values)[~world.mdp.terminal] if np.any(~world.mdp.terminal) else np.asarray(values)
    norm = matplotlib.colors.Normalize(vmin=min(finite.min(), 0), vmax=max(finite.max(), 1e-9))
    cmap = plt.get_cmap("viridis")
    arrows = {0: (0, -0.3), 1: (0.3, 0), 2: (0, 0.3), 3: (-0.3, 0)}
    for k, ax in enumerate(axes[0]):
        for r in range(rows):
            for c in range(cols):
                ch = world.layout[r][c]
                if ch == "#":
                    ax.add_patch(plt.Rectangle((c - 0.5, r - 0.5), 1, 1, color="0.2"))
        for s, (r, c) in enumerate(world.cells):
            kind = world.layout[r][c]
            if world.mdp.terminal[s]:
                ax.add_patch(plt.Rectangle((c - 0.5, r - 0.5), 1, 1, color="tab:green" if kind == "G" else "tab:red"))
                ax.text(c, r, "goal" if kind == "G" else "pit", ha="center", va="center", color="white", fontsize=9)
                continue
            if k == 0:
                ax.add_patch(plt.Rectangle((c - 0.5, r - 0.5), 1, 1, color=cmap(norm(values[s]))))
                ax.text(c, r + 0.3, f"{values[s]:.2f}", ha="center", va="center", fontsize=8, color="white")
                if policy is not None:
                    dx, dy = arrows[int(policy[s])]
                    ax.arrow(c - dx / 2, r - dy / 2 - 0.08, dx, dy, head_width=0.15, color="white", length_includes_head=True)
            else:
                corners = [(c - 0.5, r - 0.5), (c + 0.5, r - 0.5), (c + 0.5, r + 0.5), (c - 0.5, r + 0.5)]
                for a, (i, j) in enumerate(((0, 1), (1, 2), (2, 3), (3, 0))):
                    ax.add_patch(Polygon([corners[i], corners[j], (c, r)], color=cmap(norm(q[s, a])), ec="white", lw=0.5))
                    tx, ty = arrows[a]
                    ax.text(c + tx, r + ty, f"{q[s, a]:.2f}", ha="center", va="center", fontsize=6, color="white")
        ax.set_xlim(-0.5, cols - 0.5)
        ax.set_ylim(rows - 0.5, -0.5)
        ax.set_aspect("equal")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(("V and pi" if k == 0 else "Q(s, a)") + (f": {title}" if title else ""), fontsize=9)
    return _save_figure(figure, path)
