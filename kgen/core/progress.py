"""Progress bars for kgen's long loops (exact likelihoods, bounds, generation in batches, scoring
episodes), shown only where someone is watching: inside `shown()`, which the `kgen` command
enters, and on a terminal (tqdm leaves a pipe or a log file alone)."""

import contextlib

_shown = False


@contextlib.contextmanager
def shown():
    """Show the bars of the loops run inside the block."""
    global _shown
    previous, _shown = _shown, True
    try:
        yield
    finally:
        _shown = previous


def bar(total, label, unit="batch"):
    """A tqdm bar over `total` steps on stderr, or a do-nothing stand-in outside `shown()` or for
    a loop of one step."""
    if not _shown or total is None or total < 2:
        return contextlib.nullcontext(_Silent())
    from tqdm import tqdm

    return tqdm(total=total, desc=label, unit=unit, disable=None, leave=False, dynamic_ncols=True)


class _Silent:
    def update(self, n=1):
        pass
