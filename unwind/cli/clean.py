"""`unwind clean`: remove the `.partial` folders of runs, scorecards and sweeps whose writer died.

A writer renames `<name>.partial` to `<name>` when it has written everything and removes it on
any error it sees (unwind.studies.rundir), so a `.partial` folder outlives its writer only after
kill -9, a power cut or an out-of-memory kill. While it writes, the writer holds an exclusive
flock on the folder's lock file (unwind.studies.writer_lock), which the kernel releases when the
writer dies. So a folder is dead exactly when its lock can be taken, and is removed while this
command holds that lock; a folder whose lock a live process holds is kept and listed as such.
A folder with no lock file was written by an unwind from before the lock: it counts as dead once
nothing in it has changed for `--older-than` hours (24 by default).
Nothing else is touched: links, files and complete folders stay, and nothing is removed without
--yes.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import time
from dataclasses import dataclass
from pathlib import Path

import click

from feeds.errors import DataError


@dataclass(frozen=True)
class Leftover:
    """One `.partial` folder: when it last changed, its bytes, and why it is kept (None when
    its writer is dead)."""

    path: Path
    changed: float     # newest modification time inside it (seconds since the epoch)
    size: int
    kept_because: str | None


@click.command("clean")
@click.option("--out", type=click.Path(file_okay=False),
              help="The output folder to clean (default runs/out, as run, score and sweep).")
@click.option("--older-than", "hours", type=click.FloatRange(min=0), default=24.0,
              show_default=True, help="A folder without a writer lock (written by an unwind "
              "from before the lock) only when unchanged for this many hours; a locked folder "
              "is removed as soon as its writer is dead, whatever its age.")
@click.option("--yes", is_flag=True, help="Remove the dead folders (without it: only list).")
def command(out, hours, yes) -> None:
    """List the interrupted (`.partial`) run, scorecard and sweep folders whose writer is gone,
    with their age and size; remove them with --yes. A folder whose writer lock a live process
    holds is kept, and says so."""
    from unwind.studies.rundir import DEFAULT_OUT, PARTIAL

    folder = Path(out) if out else DEFAULT_OUT
    if not folder.is_dir():
        if out:
            raise DataError(f"--out {folder}: no such folder")
        click.echo(f"{folder}: no output folder; nothing to clean")
        return
    now = time.time()
    found = [_inspect(path, now, hours * 3600) for path in _partial_folders(folder, PARTIAL)]
    dead = [item for item in found if item.kept_because is None]
    click.echo(f"{folder}: {len(found)} interrupted folder{'s' if len(found) != 1 else ''} "
               f"(.partial), {len(dead)} with no live writer")
    width = max((len(item.path.name) for item in found), default=0)
    for item in found:
        click.echo(f"  {item.path.name.ljust(width)}  {_age(now - item.changed):>8}  "
                   f"{_size(item.size):>9}  {item.kept_because or 'dead'}")
    if not dead:
        return
    if not yes:
        click.echo(f"pass --yes to remove the {len(dead)} dead folder"
                   f"{'s' if len(dead) != 1 else ''} ({_size(sum(i.size for i in dead))})")
        return
    failed = []
    for item in dead:
        problem = _remove(item)
        if problem is not None:
            failed.append(problem)
            continue
        click.echo(f"removed {item.path} ({_size(item.size)})")
    if failed:
        raise DataError(f"cannot remove {failed[0]}"
                        + (f" (and {len(failed) - 1} more)" if len(failed) > 1 else ""))


def _partial_folders(folder: Path, suffix: str) -> list[Path]:
    """The real folders (not links) named `*<suffix>` directly in `folder`, by name."""
    found = []
    for entry in sorted(os.scandir(folder), key=lambda entry: entry.name):
        if entry.name.endswith(suffix) and entry.is_dir(follow_symlinks=False):
            found.append(Path(entry.path))
    return found


def _inspect(path: Path, now: float, allowance: float) -> Leftover:
    from unwind.studies.writer_lock import abandoned

    changed, size = _newest_and_size(path)
    reason = None
    with abandoned(path) as dead:
        if dead is False:
            reason = "kept: a live writer holds its lock"
        elif dead is None and now - changed < allowance:
            reason = f"kept: no writer lock, changed within {_age(allowance)}"
    return Leftover(path, changed, size, reason)


def _remove(item: Leftover) -> str | None:
    """Remove a dead folder while holding its lock (None), or say why it was not removed."""
    from unwind.studies.writer_lock import abandoned

    with abandoned(item.path) as dead:
        if dead is False:   # a writer took it since it was listed (it cannot, but say so)
            return f"{item.path}: a live writer holds its lock now"
        try:
            shutil.rmtree(item.path)
        except OSError as error:
            from feeds.filesystem import describe

            return f"{item.path}: {describe(error)}"
    return None


def _newest_and_size(path: Path) -> tuple[float, int]:
    """The newest modification time of `path` and everything under it, and the bytes of its
    files; links are not followed."""
    newest, size = path.lstat().st_mtime, 0
    for parent, folders, files in os.walk(path):
        for name in folders + files:
            with contextlib.suppress(FileNotFoundError):
                status = os.lstat(os.path.join(parent, name))
                newest = max(newest, status.st_mtime)
                size += status.st_size if stat.S_ISREG(status.st_mode) else 0
    return newest, size


def _age(seconds: float) -> str:
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def _size(size: int) -> str:
    return f"{size / 1e6:.1f} MB" if size >= 100_000 else f"{size / 1e3:.1f} kB"
