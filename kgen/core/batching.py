"""Apply a compiled function over a large array in equal-size batches."""

import numpy as np

from kgen.core import progress


def in_batches(function, arrays, batch_size, label=None):
    """Apply `function(*batch_arrays, index)` over equal-size batches and concatenate the results.

    Every call sees the same batch size, so a compiled `function` traces once per
    size: the size is `batch_size`, or for fewer rows the next power of two, and a
    short last batch is padded by repeating its last row (those outputs are dropped).

    Args:
        function: callable(*arrays_batch, index) -> numpy array with one row per input row.
        arrays: list of numpy arrays with the same number of rows (None entries pass through).
        batch_size: int >= 1, the largest batch.
        label: optional str; names a progress bar over the batches (`kgen.core.progress`).
    """
    n = len(next(a for a in arrays if a is not None))
    size = min(batch_size, 1 << max(0, (n - 1).bit_length()))
    results = []
    with progress.bar(-(-n // size) if label else None, label) as bar:
        for index, start in enumerate(range(0, n, size)):
            valid = min(size, n - start)
            batch = [None if a is None else _pad(a[start : start + size], size) for a in arrays]
            results.append(np.asarray(function(*batch, index))[:valid])
            bar.update()
    return np.concatenate(results)


def _pad(array, size):
    """Repeat the last row up to `size` rows."""
    if len(array) == size:
        return array
    return np.concatenate([array, np.repeat(array[-1:], size - len(array), axis=0)])
