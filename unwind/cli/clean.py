"""`unwind clean`: remove the `.partial` folders of runs, scorecards and sweeps whose writer died.

A writer renames `<name>.partial` to `<name>` when it has written everything and removes it on
any error it sees (unwind.studies.rundir), so a `.partial` folder outlives its writer only after kill -9,
a power cut or an out-of-memory kill. The folders carry no lock or PID file, so a folder counts
as dead only when all of these hold:
- nothing in it has changed for `--older-than` hours (24 by default);
- no process has its working directory or an open file inside it (read from /proc);
- no `unwind` process that started before the folder was made is still running (it may be the
  writer: a sweep keeps its trials in memory and writes them at the end).
A writer of the Python API (`unwind.run` in a notebook) is covered by the first rule only.
Nothing else is touched: links, files and complete folders stay, and nothing is removed
without --yes.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import stat
import time
from dataclasses import dataclass
from pathlib import Path

import click

from feeds.errors import DataError

_PROC = Path("/proc")
# How an unwind command shows in /proc/PID/cmdline: the entry point, or the package run by hand.
_UNWIND_MARKS = ("bin/unwind ", "unwind.cli", "-m unwind ")


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
              show_default=True, help="Only folders unchanged for this many hours.")
@click.option("--yes", is_flag=True, help="Remove the dead folders (without it: only list).")
def command(out, hours, yes) -> None:
    """List the interrupted (`.partial`) run, scorecard and sweep folders whose writer is gone,
    with their age and size; remove them with --yes. A folder a live process may still be
    writing is kept, and says why."""
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
        try:
            shutil.rmtree(item.path)
        except OSError as error:
            from feeds.filesystem import describe

            failed.append(f"{item.path}: {describe(error)}")
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
    changed, size = _newest_and_size(path)
    reason = None
    if now - changed < allowance:
        reason = f"kept: changed within {_age(allowance)}"
    else:
        user = _process_using(path, _made_at(path, changed))
        if user is not None:
            reason = f"kept: {user} may be writing it"
    return Leftover(path, changed, size, reason)


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


def _made_at(path: Path, fallback: float) -> float:
    """When the folder was made: the UTC stamp that starts its name (unwind.studies.rundir)."""
    try:
        stamp = dt.datetime.strptime(path.name[:16], "%Y%m%dT%H%M%SZ")
    except ValueError:
        return fallback
    return stamp.replace(tzinfo=dt.timezone.utc).timestamp()


def _process_using(path: Path, made_at: float) -> str | None:
    """'pid N (command)' of a live process that may be writing `path`: one with its working
    directory or an open file inside it, or an unwind command started before the folder was
    made; None when there is none (or /proc is not there to tell)."""
    if not _PROC.is_dir():
        return None
    inside = str(path.resolve()) + os.sep
    booted = _boot_time()
    for entry in _PROC.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        with contextlib.suppress(OSError):
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(
                "utf-8", "replace").strip()
            named = f"pid {entry.name}" + (f" ({_short(command)})" if command else "")
            if _points_inside(entry, inside):
                return named
            unwind = any(mark in command + " " for mark in _UNWIND_MARKS)
            if unwind and booted is not None and _started(entry, booted) <= made_at + 1:
                return named
    return None


def _points_inside(process: Path, inside: str) -> bool:
    links = [process / "cwd"]
    with contextlib.suppress(OSError):
        links += list((process / "fd").iterdir())
    for link in links:
        with contextlib.suppress(OSError):
            if (os.readlink(link) + os.sep).startswith(inside):
                return True
    return False


def _boot_time() -> float | None:
    with contextlib.suppress(OSError, ValueError):
        for line in (_PROC / "stat").read_text().splitlines():
            if line.startswith("btime "):
                return float(line.split()[1])
    return None


def _started(process: Path, booted: float) -> float:
    """When the process started (seconds since the epoch), from field 22 of /proc/PID/stat."""
    fields = (process / "stat").read_text().rsplit(")", 1)[1].split()
    return booted + int(fields[19]) / os.sysconf("SC_CLK_TCK")


def _short(command: str) -> str:
    return command if len(command) <= 60 else command[:57] + "..."


def _age(seconds: float) -> str:
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def _size(size: int) -> str:
    return f"{size / 1e6:.1f} MB" if size >= 100_000 else f"{size / 1e3:.1f} kB"
