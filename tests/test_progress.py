"""Progress bars: only inside `progress.shown()` (the kgen command), one step per batch of the long
loops, and none for a loop of one step."""

import contextlib

import numpy as np

from kgen.core import progress
from kgen.core.batching import in_batches


def test_bars_are_shown_only_inside_shown_and_for_more_than_one_step():
    assert not hasattr(progress.bar(10, "x").__enter__(), "n")
    with progress.shown():
        with progress.bar(10, "x") as bar:
            assert bar.total == 10
        assert not hasattr(progress.bar(1, "x").__enter__(), "n")
    assert not progress._shown


def test_in_batches_advances_its_bar_once_per_batch(monkeypatch):
    updates = []

    class Recorder:
        def update(self, n=1):
            updates.append(n)

    totals = []
    monkeypatch.setattr(progress, "bar", lambda total, label, unit="batch": totals.append((total, label))
                        or contextlib.nullcontext(Recorder()))
    result = in_batches(lambda x, index: x * 2, [np.arange(10)], batch_size=4, label="doubling")
    np.testing.assert_array_equal(result, np.arange(10) * 2)
    assert totals == [(3, "doubling")] and updates == [1, 1, 1]
