"""matplotlib set up for files only (the Agg backend), and figures saved atomically as PNG."""

import io

from kgen.core import files
from kgen.core.optional import require


def pyplot(feature):
    """matplotlib.pyplot on the file-only Agg backend, or an install hint naming `feature`."""
    require("matplotlib", feature, extra="plot")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(figure, path):
    """Write `figure` as a PNG at `path` atomically, close it, return the path."""
    import matplotlib.pyplot as plt

    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    files.write_bytes(path, buffer.getvalue())
    return path
