"""File-system edges of the store: the per-series writer lock, temporary files, OS errors.

The writer lock is `flock` on the series folder itself rather than on a lock file inside it: the
OS releases it when the holder dies (even by SIGKILL), and it adds no file to the store, so a
refused or failed write leaves the store byte-identical and a full disk cannot fail on creating a
lock file. A folder the lock had to create is removed again when it is still empty on release,
so a failed first write leaves no empty series folder behind.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import shutil
import stat
import time
from collections.abc import Iterator
from pathlib import Path

from feeds.errors import DataError

# How long a writer waits for another writer of the same series before giving up. A Yahoo fetch
# holds the lock through its download (at most its --deadline, 60 s by default).
LOCK_WAIT_SECONDS = 300.0
_POLL_SECONDS = 0.05
# Locks this process holds: folder -> [file descriptor, depth], so one process can nest them.
_HELD: dict[Path, list[int]] = {}


class Refused(Exception):
    """A store file that is not read: what it is instead (a FIFO, a device, a link, too big)."""


def kind_of(mode: int) -> str | None:
    """What a file of st_mode `mode` is when it is not a regular file ('a FIFO (named pipe)',
    'a character device', ...); None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    return ("a directory" if stat.S_ISDIR(mode) else
            "a FIFO (named pipe)" if stat.S_ISFIFO(mode) else
            "a character device" if stat.S_ISCHR(mode) else
            "a block device" if stat.S_ISBLK(mode) else
            "a socket" if stat.S_ISSOCK(mode) else
            "a symbolic link" if stat.S_ISLNK(mode) else "not a regular file")


def read_regular(path: Path, max_bytes: int, expected_bytes: int | None = None) -> bytes:
    """The bytes of the regular file at `path`, refused (Refused, with why) before anything is
    read when it is a link (never followed: a store reads only its own files), a FIFO or device
    (opened without blocking, checked with fstat on the open descriptor), or larger than
    `max_bytes`, or when `expected_bytes` is given and its size differs. At most its stated
    size is read, so memory is bounded by the check. OSError for the rest (missing, EACCES)."""
    return read_regular_status(path, max_bytes, expected_bytes)[0]


def read_regular_status(path: Path, max_bytes: int, expected_bytes: int | None = None
                        ) -> tuple[bytes, os.stat_result]:
    """`read_regular`, and the status of the file the bytes came from (fstat of the descriptor
    they were read through, so it describes those bytes even if the path is replaced later)."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError as error:
        if error.errno == errno.ELOOP:   # O_NOFOLLOW met a link (or a loop of them)
            target = _link_target(path)
            raise Refused(f"is a symbolic link{target}; the store never follows one") from None
        raise
    try:
        status = os.fstat(descriptor)
        kind = kind_of(status.st_mode)
        if kind is not None:
            raise Refused(f"is {kind}, not a regular file")
        if expected_bytes is not None and status.st_size != expected_bytes:
            raise Refused(f"is {status.st_size:,} bytes, the manifest says {expected_bytes:,}")
        if status.st_size > max_bytes:
            raise Refused(f"is {status.st_size:,} bytes, over the {max_bytes:,} a store file "
                          "may hold")
        chunks, left = [], status.st_size
        while left > 0:
            chunk = os.read(descriptor, min(left, 1 << 24))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        if os.read(descriptor, 1):
            raise Refused("grew while it was read (another process is writing it)")
        return b"".join(chunks), status
    finally:
        os.close(descriptor)


def _link_target(path: Path) -> str:
    try:
        return f" to {os.readlink(path)}"
    except OSError:
        return ""


def describe(error: OSError) -> str:
    """'No space left on device (ENOSPC)' for an OSError, without the path it carries."""
    name = errno.errorcode.get(error.errno or 0, "")
    reason = error.strerror or str(error) or type(error).__name__
    return f"{reason} ({name})" if name else reason


@contextlib.contextmanager
def series_lock(folder: Path, what: str) -> Iterator[None]:
    """Hold the exclusive writer lock of `folder` (created if missing) for the `with` block."""
    key = folder.absolute()
    if key in _HELD:
        _HELD[key][1] += 1
        try:
            yield
        finally:
            _HELD[key][1] -= 1
        return
    created = _make_folders(key, what)
    try:
        descriptor = _acquire(key, what, created)
    except BaseException:
        _remove_if_empty(created)
        raise
    _HELD[key] = [descriptor, 1]
    try:
        yield
    finally:
        del _HELD[key]
        _remove_if_empty(created)
        os.close(descriptor)


def _make_folders(folder: Path, what: str) -> list[Path]:
    """Create `folder` and missing parents; returns those created, deepest first."""
    missing = []
    for candidate in (folder, *folder.parents):
        if candidate.is_dir():
            break
        missing.append(candidate)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        _remove_if_empty(missing)
        raise DataError(f"cannot write {what}: cannot create {folder}: {describe(error)}"
                        ) from None
    return missing


def _acquire(folder: Path, what: str, created: list[Path]) -> int:
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    while True:
        try:
            descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        except FileNotFoundError:  # removed by a writer whose first write failed: make it again
            created[:] = _make_folders(folder, what)
            continue
        except OSError as error:
            raise DataError(f"cannot write {what}: cannot open {folder}: {describe(error)}"
                            ) from None
        while True:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    os.close(descriptor)
                    raise DataError(f"another unwind process has been writing {what} for "
                                    f"{LOCK_WAIT_SECONDS:.0f} s; try again when it has finished"
                                    ) from None
                time.sleep(_POLL_SECONDS)
        if _same_folder(descriptor, folder):
            return descriptor
        os.close(descriptor)  # the folder we waited on was removed (and maybe made again)


def _same_folder(descriptor: int, folder: Path) -> bool:
    try:
        now = os.stat(folder)
    except FileNotFoundError:
        return False
    held = os.fstat(descriptor)
    return (held.st_dev, held.st_ino) == (now.st_dev, now.st_ino)


def _remove_if_empty(folders: list[Path]) -> None:
    for folder in folders:
        with contextlib.suppress(OSError):
            folder.rmdir()


def sweep_temporary_files(folder: Path) -> None:
    """Remove `.NAME.RANDOM.tmp` files left by a writer that died; call holding the lock."""
    for stray in folder.glob(".*.tmp"):
        with contextlib.suppress(FileNotFoundError):
            stray.unlink()


def write_temporary(folder: Path, name: str, payload: bytes) -> Path:
    """`payload` in a new `.NAME.RANDOM.tmp` file of `folder`, flushed to disk; the caller renames
    it into place or removes it."""
    path = folder / f".{name}.{os.urandom(6).hex()}.tmp"
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        view = memoryview(payload)
        while view:
            view = view[os.write(descriptor, view):]
        os.fsync(descriptor)
    except BaseException:
        os.close(descriptor)
        path.unlink(missing_ok=True)
        raise
    os.close(descriptor)
    return path


def clear_the_way(path: Path) -> None:
    """Remove a directory standing where a store file is renamed to (damage a rename cannot
    replace: EISDIR); links, FIFOs and devices are replaced by the rename itself. Call holding
    the series' lock."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    if stat.S_ISDIR(mode):
        shutil.rmtree(path)


def sync_folder(folder: Path) -> None:
    """Make renames inside `folder` durable."""
    descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def read_catalogue(path: Path, what: str) -> dict:
    """A TOML catalogue the package ships (instruments, episodes, events), or one line naming
    it and why it cannot be read: `{path}: cannot read the {what}: ...`."""
    import tomllib

    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise DataError(f"{path}: cannot read the {what}: {error}") from None
