"""`unwind now`'s answers kept between processes, keyed by everything they depend on.

A playbook's answer (unwind/studies/now.py `evaluate`) is a function of the code, the playbook's
definition, the stored data and the --as-of day: nothing reads the wall clock. A trader runs
`now` every minute while the store changes only when it is refreshed (`unwind data fetch
--update`, an import), so most calls would compute the same answers again. The key is a hash of

- every source and spec file of the packages (unwind, strategies, feeds), of the user's
  playbook folder ($UNWIND_PLAYBOOKS) and of the specs registered in the process, and the
  Python, numpy, pandas, backtrader and exchange_calendars versions;
- every manifest of the store and the size, inode and modification and change times of every
  file beside it, through linked folders as the store reads them (a parquet rewritten under an
  unchanged manifest changes the key, even with its old modification time put back);
- the playbook's id and the --as-of day.

Any change computes the answer again; an entry that cannot be read back whole, or whose stored
key is not its name's, is ignored; an answer that is an error is not kept. Entries are written
atomically in the user's cache folder ($XDG_CACHE_HOME/carry-unwind/now), which must be the
user's own and writable by no one else: an entry is a pickle, and reading one runs what it
names, so a folder another user could write to is not used (answers are computed). The next
scheduled events are not cached (they follow the wall clock and the event catalogue is read
each time).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import stat
import sys
from pathlib import Path

PACKAGES = ("unwind", "strategies", "feeds")
SOURCE_SUFFIXES = (".py", ".toml")
LIBRARIES = ("numpy", "pandas", "backtrader", "exchange_calendars")
# Entries kept (about 10 kB each): a day's refresh adds one per playbook, so this holds weeks of
# answers while the folder stays a few megabytes; the oldest go first.
KEEP = 500


def folder() -> Path:
    from feeds import calendars

    return calendars.cache_folder().parent / "now"


def _files(root: Path, suffixes: tuple[str, ...] | None) -> list[Path]:
    """Every file under `root` (with one of `suffixes` when given), sorted: a stable order.
    Linked folders are followed (the store reads through them), each real folder once."""
    found, seen = [], set()
    for directory, names, files in os.walk(root, followlinks=True):
        real = os.path.realpath(directory)
        if real in seen:   # a link back to a folder already walked
            names[:] = []
            continue
        seen.add(real)
        names[:] = sorted(n for n in names if not n.startswith((".", "__pycache__")))
        found += [Path(directory) / f for f in files
                  if suffixes is None or f.endswith(suffixes)]
    return sorted(found)


def code_fingerprint() -> str:
    """A hash of the packages' sources and specs, the user's playbooks and library versions."""
    from importlib import metadata

    import strategies

    digest = hashlib.sha256(sys.version.encode())
    base = Path(strategies.__file__).resolve().parent.parent
    roots = [base / name for name in PACKAGES]
    user = os.environ.get(strategies.FOLDER_VARIABLE)
    if user:
        roots.append(Path(user).expanduser())
    paths = [path for root in roots for path in _files(root, SOURCE_SUFFIXES)]
    for path in paths + list(strategies.registered()):
        with contextlib.suppress(OSError):
            digest.update(str(path).encode() + b"\0" + path.read_bytes())
    for name in LIBRARIES:
        try:
            digest.update(f"{name} {metadata.version(name)}".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{name} absent".encode())
    return digest.hexdigest()


def store_fingerprint(root: Path) -> str:
    """A hash of every manifest in the store at `root` and the size, modification time and
    inode of every file of every series folder."""
    digest = hashlib.sha256(str(root).encode())
    for path in _files(root, None):
        try:
            status = path.stat()
            digest.update(f"{path.relative_to(root)} {status.st_size} {status.st_mtime_ns} "
                          f"{status.st_ctime_ns} {status.st_ino}".encode())
            if path.suffix == ".json":
                digest.update(path.read_bytes())
        except OSError:
            digest.update(f"{path} unreadable".encode())
    return digest.hexdigest()


class Answers:
    """The cached answers of one store and code: `get` an id's answer or compute and keep it."""

    def __init__(self, store_root: Path):
        self.base = hashlib.sha256(
            (code_fingerprint() + store_fingerprint(store_root)).encode()).hexdigest()

    def key(self, playbook_id: str, as_of: str | None) -> str:
        return hashlib.sha256(f"{self.base} {playbook_id} {as_of}".encode()).hexdigest()

    def get(self, playbook_id: str, as_of: str | None, compute, keep=lambda answer: True):
        """The answer stored for the id and day, else `compute()`, stored when `keep(answer)`
        (`now` keeps no error: one may come from a cause the key does not see, such as a
        file's permissions)."""
        key = self.key(playbook_id, as_of)
        if not _own_folder(folder()):
            return compute()
        path = folder() / f"{key}.pickle"
        try:
            stored_key, answer = pickle.loads(path.read_bytes())
            if stored_key == key:
                return answer
        except Exception:   # absent, torn, or from another version: computed again
            pass
        answer = compute()
        if keep(answer):
            _write(path, pickle.dumps((key, answer), protocol=pickle.HIGHEST_PROTOCOL))
            _prune(path.parent)
        return answer


def _own_folder(directory: Path) -> bool:
    """Whether `directory` is (made if absent) a folder of this user's that no one else can
    write to: only then are its pickles read or written."""
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        status = os.stat(directory, follow_symlinks=False)
    except OSError:
        return False
    return stat.S_ISDIR(status.st_mode) and status.st_uid == os.getuid() and \
        not status.st_mode & 0o022


def _write(path: Path, data: bytes) -> None:
    """Atomically (a reader sees no entry or the whole one); a folder that cannot be written
    only costs the computation next time."""
    staged = path.with_name(f"{path.name}.{os.getpid()}.partial")
    try:
        staged.write_bytes(data)
        os.replace(staged, path)
    except OSError:
        with contextlib.suppress(OSError):
            staged.unlink(missing_ok=True)


def _prune(directory: Path) -> None:
    """Remove all but the KEEP newest entries (by modification time, then name)."""
    entries = []
    for path in directory.glob("*.pickle"):
        with contextlib.suppress(OSError):
            entries.append((path.stat().st_mtime_ns, path.name, path))
    for _, _, path in sorted(entries, reverse=True)[KEEP:]:
        with contextlib.suppress(OSError):
            path.unlink()
