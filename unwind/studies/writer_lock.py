"""The writer lock of a `.partial` directory (a run, scorecard, scorecard cell or sweep being
written: unwind.studies.rundir).

The process that makes such a directory holds an exclusive flock on WRITER_LOCK inside it from
the moment it makes the directory until it is finished (renamed) or discarded. The kernel
releases a flock when its process dies, however it dies (kill -9, out of memory), so a
`.partial` directory whose lock can be taken has no writer left: `unwind clean` removes exactly
those. Workers forked by the writer share its lock (one open file description), so a folder
stays locked while any of them lives.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

WRITER_LOCK = ".writer.lock"
# Locks this process holds, by the directory they were taken in.
_LOCKS: dict[Path, int] = {}


def hold_writer_lock(partial: Path) -> None:
    """Make `partial`'s lock file and hold its flock until release_writer_lock (or death)."""
    descriptor = os.open(partial / WRITER_LOCK, os.O_WRONLY | os.O_CREAT | os.O_EXCL |
                         os.O_CLOEXEC | os.O_NOFOLLOW, 0o644)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(descriptor)
        raise
    _LOCKS[partial] = descriptor


def release_writer_lock(partial: Path, final: Path | None = None) -> None:
    """Let go of `partial`'s lock; `final` is where the directory now is (its lock file goes,
    so a finished directory holds only what its writer wrote)."""
    descriptor = _LOCKS.pop(partial, None)
    if descriptor is None:
        return
    if final is not None:
        with contextlib.suppress(OSError):
            (final / WRITER_LOCK).unlink()
    os.close(descriptor)


@contextlib.contextmanager
def abandoned(partial: Path) -> Iterator[bool | None]:
    """Whether `partial`'s writer is gone: True while this process holds its lock (the writer
    died), False when a live process holds it, None when the directory has no lock file it can
    open (an unwind from before the lock wrote it, or a writer in the instant between mkdir and
    lock)."""
    try:
        descriptor = os.open(partial / WRITER_LOCK, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW
                             | os.O_NONBLOCK)
    except OSError:   # none, or not a file this command will open (a link)
        yield None
        return
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(descriptor)
