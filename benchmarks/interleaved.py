"""Interleaved timing: each contestant runs once per round, the order rotated every round, so the
machine's noise (another process, a thermal dip, tf.data's autotuner) falls on all of them alike."""

import time


def interleaved_seconds(contestants, rounds, warm_up=True):
    """Wall-clock seconds of each of `contestants` ({name: callable of no arguments}) in each of
    `rounds` rounds: {name: [seconds, ...]}. With `warm_up`, each first runs once untimed (tracing,
    compilation, first-call allocations)."""
    if warm_up:
        for run in contestants.values():
            run()
    names = list(contestants)
    seconds = {name: [] for name in names}
    for round_ in range(rounds):
        shift = round_ % len(names)
        for name in names[shift:] + names[:shift]:
            start = time.perf_counter()
            contestants[name]()
            seconds[name].append(time.perf_counter() - start)
    return seconds
