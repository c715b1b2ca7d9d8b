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


def child_environment(tree) -> dict:
    """The environment a timed child runs in: `tree`'s packages first on the path (whatever the
    venv's editable install points at), and bytecode caches written as a user's Python writes
    them (a shell's PYTHONDONTWRITEBYTECODE would make every child recompile changed sources,
    about 0.1 s a process)."""
    import os

    found = {key: value for key, value in os.environ.items()
             if key != "PYTHONDONTWRITEBYTECODE"}
    return found | {"PYTHONPATH": str(tree)}
