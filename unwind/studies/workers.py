"""Local worker processes for scorecards and sweeps: how many, and a pool whose workers die
with the process that started them (unwind/studies/cluster.py is the Dask alternative)."""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Callable


def max_jobs() -> int:
    """The most worker processes a pool (scorecard, sweep) starts: twice the cores (a task is
    CPU-bound, so more only adds memory and start-up time)."""
    return 2 * (os.cpu_count() or 1)


def worker_count(requested: int, tasks: int) -> tuple[int, str | None]:
    """Workers for `tasks` tasks: `requested`, capped at the tasks and at max_jobs(); with a
    note saying so when capped."""
    cap = max(1, min(tasks, max_jobs()))
    if requested <= cap:
        return max(1, requested), None
    why = f"{tasks} task{'s' if tasks != 1 else ''}" if cap == tasks else \
        f"at most 2 x {os.cpu_count() or 1} cores"
    return cap, f"--jobs {requested} capped at {cap} ({why})"


def _die_with_parent(parent: int, install: Callable | None = None, payload=None) -> None:
    """Pool worker initializer: end this worker when the process that started the pool dies,
    even by SIGKILL (which runs no cleanup), so no orphan goes on writing cells or holding
    memory; then `install(payload)` when given (a sweep ships its prepared data once per
    worker)."""
    _watch_parent(parent)
    if install is not None:
        install(payload)


def _watch_parent(parent: int) -> None:
    """Linux delivers SIGKILL on the parent's death (PR_SET_PDEATHSIG); elsewhere a thread
    polls the parent."""
    import ctypes
    import signal
    import sys
    import threading
    import time

    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.prctl(1, int(signal.SIGKILL), 0, 0, 0) == 0:  # 1 = PR_SET_PDEATHSIG
                if os.getppid() != parent:  # the parent died before prctl took effect
                    os._exit(1)
                return
        except (OSError, AttributeError):
            pass

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="parent-watch").start()


def run_in_pool(tasks: list, jobs: int, done: Callable, install: Callable | None = None,
                payload=None) -> None:
    """Run `tasks` ((function, args) pairs) in at most `jobs` worker processes (worker_count's
    cap) that die with this one, calling `done(number, result)` as each finishes; `install`
    runs `install(payload)` once in each worker first. On an error (or Ctrl-C) the tasks not
    started are cancelled and the running ones waited for, so nothing writes after this
    returns."""
    jobs, _ = worker_count(jobs, len(tasks))
    with ProcessPoolExecutor(max_workers=jobs, initializer=_die_with_parent,
                             initargs=(os.getpid(), install, payload)) as pool:
        futures = [pool.submit(function, *args) for function, args in tasks]
        try:
            for number, future in enumerate(as_completed(futures), start=1):
                done(number, future.result())
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise




def default_jobs() -> int:
    """Workers when --jobs is not given: the cores, at most 4 (a scorecard's cells are few and
    each worker holds a prepared run in memory)."""
    return max(1, min(os.cpu_count() or 1, 4))
