"""Best-of-N wall-clock timing shared by the bench scripts."""

from __future__ import annotations

import time


def best_of(repeat: int, work) -> float:
    """The fastest of `repeat` runs of `work()`, in seconds (the least disturbed by the machine)."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)
