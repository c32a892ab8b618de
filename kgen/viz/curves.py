"""Named curves as lines in one PNG (matplotlib: `pip install 'kgen[plot]'`)."""

import numpy as np

from kgen.viz.figures import pyplot, save_figure


def curves(series, path, xlabel="", ylabel="", title="", logx=False, logy=False):
    """Plot named curves as lines and save the figure as a PNG.

    Args:
        series: dict mapping a label to (x, y) sequences, or to y alone
            (plotted against 0, 1, 2, ...). A label ending in " (exact)"
            is drawn dashed, in the colour of the curve named by the rest of
            the label when that one comes first: closed forms beside measurements.
        path: str, where to write the PNG.
        xlabel: str, the x axis's label.
        ylabel: str, the y axis's label.
        title: str.
        logx: bool, a logarithmic x axis.
        logy: bool, a logarithmic y axis.

    Returns:
        The path written.

    Examples:
        >>> losses = {"train": [3.0, 2.0, 1.5], "test": ([1, 2, 3], [3.2, 2.4, 2.1])}
        >>> kgen.plot.curves(losses, "loss.png", xlabel="epoch", ylabel="loss")
        'loss.png'
    """
    plt = pyplot("Plotting curves")
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
    return save_figure(figure, path)
