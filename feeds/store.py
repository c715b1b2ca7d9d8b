"""The local store: one parquet file and one JSON manifest per (series, bar size).

Layout: `<root>/<SERIES>/<bar>.json` names the current parquet file `<bar>-<hash>.parquet`, whose
name carries the hash of its content, and records the file's size and sha256. A write puts the
new parquet beside the old one, then replaces the manifest with `os.replace` (atomic on POSIX),
then removes the old parquet. A write killed at any point leaves either the old series or the new
one, never a mix; a stray parquet or temporary file is swept by the next successful write of that
series (a failed one leaves the store byte-identical).

Writers of one series are serialised by a lock the OS releases when its holder dies
(`feeds.filesystem.series_lock`), so "refuse unless --replace" holds between processes. Readers
take no lock: they see the old manifest or the new one.

Every read checks what it is served against the manifest: the manifest's fields and types, a
file name inside the series folder, the parquet's size and sha256, its columns, time index and
row count, and finite values. Anything wrong raises `BrokenSeries`, whose message names the
command that rebuilds the series; `unwind data import FILE --replace` (or a plain re-import of
the same file) does.

Within one process a file is hashed once (a scorecard worker reads each series once per cell,
hundreds of times): its bytes matched the manifest when read, and a later read that finds the
same file (device, inode, type, size, modification and change times) under the same manifest
serves the frame decoded then. A write to the file changes its change time, which a user cannot
set back (only the clock can), so the trust check keeps its meaning. A file changed within
_SETTLED_NS of its read is not remembered (a change time is as coarse as the kernel's clock
tick: a rewrite in the same tick would keep it).

A series name is a canonical symbol, optionally tagged with its source (`USDJPY@fred`) so that
several sources of one instrument can be kept side by side and compared.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import json
import os
import re
import shlex
import stat
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from feeds import filesystem, instruments
from feeds.bars import BARS, COLUMNS, check_bar, frame_sha256
from feeds.errors import BrokenSeries, DataError, excerpt
from feeds.manifest import Broken, Repair, SeriesInfo, SourceFile, check_manifest

__all__ = ["Broken", "NewSeries", "SeriesInfo", "SourceFile", "Store", "check_series_name",
           "default_root"]

ENVIRONMENT_VARIABLE = "UNWIND_STORE"
_TAG = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
# A manifest is a few hundred bytes; anything this large is not one (and is not read whole).
_MANIFEST_MAX_BYTES = 1 << 20
# The largest parquet (62,158 hourly bars) is about 2 MB; one without a stated size (a manifest
# from before file_bytes) is read only under this bound, and no file decodes to more than
# _DECODED_MAX_BYTES of columns (a small file can hold a vast frame).
_PARQUET_MAX_BYTES = 1 << 28
_DECODED_MAX_BYTES = 1 << 30


def default_root() -> Path:
    """`$UNWIND_STORE`, else the per-user data directory."""
    if os.environ.get(ENVIRONMENT_VARIABLE):
        return Path(os.environ[ENVIRONMENT_VARIABLE]).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "carry-unwind" / "store"


def check_series_name(name: str) -> str:
    """`SYM` or `SYM@tag` with SYM in the registry (any case); returns the canonical spelling."""
    symbol, _, tag = name.partition("@")
    symbol = instruments.get(symbol.upper()).symbol
    if "@" in name and not _TAG.match(tag):
        raise DataError(f"series {name!r}: the tag after '@' must be 1-32 letters, digits, _ or -")
    return f"{symbol}@{tag}" if "@" in name else symbol


@dataclass(frozen=True)
class NewSeries:
    """One series to write: a canonical frame and what the manifest says about it."""

    series: str
    bar: str
    frame: pd.DataFrame
    origin: str
    conversion: str
    close_only: bool
    sources: tuple[SourceFile, ...]
    synthetic: bool = False
    import_flags: tuple[str, ...] = ()
    repairs: tuple[Repair, ...] = ()


# Frames decoded from a stored file, by (path, sha256 of its bytes, the manifest's figures they
# were checked against): at most _DECODED_MAX of them, the oldest dropped first.
_DECODED: dict[tuple, pd.DataFrame] = {}
_DECODED_MAX = 32
# The files whose bytes matched their manifest when read: the file's identity (path, device,
# inode, type, size, modification and change times) with the manifest's figures -> the key of
# its frame in _DECODED. Manifests parsed and checked, by series, bar and the sha256 of their
# bytes. Each bounded, the oldest dropped first.
_VERIFIED: dict[tuple, tuple] = {}
_MANIFESTS: dict[tuple, SeriesInfo] = {}
_MEMO_MAX = 256
# A file whose change time is this close to the moment it was read is hashed again next time.
_SETTLED_NS = 2_000_000_000


def _remember(memo: dict, key, value) -> None:
    if len(memo) >= _MEMO_MAX:
        del memo[next(iter(memo))]   # the oldest
    memo[key] = value


class Store:
    """Read and write canonical series under one root directory."""

    def __init__(self, root: Path | str | None = None):
        from_environment = not root and bool(os.environ.get(ENVIRONMENT_VARIABLE))
        self.root = Path(root).expanduser() if root else default_root()
        origin = f" (from ${ENVIRONMENT_VARIABLE})" if from_environment else ""
        try:
            is_file = not stat.S_ISDIR(os.stat(self.root).st_mode)
        except (FileNotFoundError, NotADirectoryError):   # made by the first import
            is_file = False
        except OSError as error:  # a name too long, a loop of links, a folder not searchable
            raise DataError(f"the store {self.root}{origin} cannot be used: "
                            f"{filesystem.describe(error)}") from None
        if is_file:
            raise DataError(f"the store {self.root}{origin} is a file, not a directory; name a "
                            "directory with --store or $UNWIND_STORE")

    def __repr__(self) -> str:
        return f"Store({str(self.root)!r})"

    def _manifest_path(self, series: str, bar: str) -> Path:
        return self.root / series / f"{bar}.json"

    # ------------------------------------------------------------------------------ manifests
    def info(self, series: str, bar: str) -> SeriesInfo | None:
        """The manifest of `series` at `bar`, None when there is none; BrokenSeries when it is not
        a valid manifest of this series."""
        path = self._manifest_path(series, bar)
        try:
            text = filesystem.read_regular(path, _MANIFEST_MAX_BYTES)
        except FileNotFoundError:
            return None
        except filesystem.Refused as refused:
            raise self._broken(series, bar, f"its manifest {path.name} {refused}") from None
        except OSError as error:
            raise self._broken(series, bar, f"its manifest {path.name} cannot be read "
                               f"({filesystem.describe(error)})") from None
        key = (series, bar, hashlib.sha256(text).digest())   # a manifest may be 1 MiB
        info = _MANIFESTS.get(key)
        if info is not None:   # these bytes passed the checks below (SeriesInfo is frozen)
            return info
        try:
            data = json.loads(text.decode("utf-8"))
        except (ValueError, RecursionError):
            raise self._broken(series, bar, f"its manifest {path.name} is not valid JSON"
                               ) from None
        try:
            info = check_manifest(SeriesInfo.from_json(data), series, bar)
        except ValueError as error:
            raise self._broken(series, bar, f"its manifest {path.name} {error}") from None
        _remember(_MANIFESTS, key, info)
        return info

    def survey(self, check_files: bool = True) -> list[SeriesInfo | Broken]:
        """Every series in the store, sorted: its manifest, or why it cannot be served. With
        `check_files`, each parquet is read back and checked as `read` does."""
        found: list[SeriesInfo | Broken] = []
        for manifest in self._manifests(found):
            series, bar = manifest.parent.name, manifest.stem
            try:
                if bar not in BARS:
                    raise self._broken(series, bar, f"{manifest.name} is not named by a bar "
                                       f"size ({', '.join(BARS)})")
                try:
                    check_series_name(series)
                except DataError as error:
                    raise self._broken(series, bar, f"the folder name is not a series ({error})"
                                       ) from None
                info = self.info(series, bar)
                if info is None:  # removed since the listing
                    continue
                if check_files:
                    self._frame(info)
                found.append(info)
            except BrokenSeries as broken:
                found.append(Broken(series, bar, broken.reason, broken.repair))
        return found

    def _manifests(self, found: list) -> list[Path]:
        """Every `<series>/<bar>.json` path, sorted; a series folder that cannot be listed is
        added to `found` as Broken. An unreadable store root is one DataError (it is not an
        empty store: `run` would blame a series and suggest an import that cannot help)."""
        try:
            folders = sorted(entry.name for entry in os.scandir(self.root)
                             if entry.is_dir() and not entry.name.startswith("."))
        except FileNotFoundError:
            return []
        except OSError as error:
            raise DataError(f"cannot read the store at {self.root}: "
                            f"{filesystem.describe(error)}") from None
        paths = []
        for series in folders:
            folder = self.root / series
            try:
                names = sorted(entry.name for entry in os.scandir(folder))
            except OSError as error:
                found.append(Broken(series, "*", f"its folder {folder} cannot be listed "
                                    f"({filesystem.describe(error)})",
                                    f"chmod -R u+rwX {shlex.quote(str(folder))}"))
                continue
            paths += [folder / name for name in names
                      if name.endswith(".json") and not name.startswith(".")]
        return paths

    def list(self) -> list[SeriesInfo]:
        """Every series with a readable manifest, sorted by name and bar size (its parquet is
        checked when it is read; `survey` also lists the broken ones)."""
        return [entry for entry in self.survey(check_files=False)
                if isinstance(entry, SeriesInfo)]

    def is_empty(self) -> bool:
        return not self.survey(check_files=False)

    # ----------------------------------------------------------------------------------- reads
    def read(self, series: str, bar: str, copy: bool = True) -> tuple[pd.DataFrame, SeriesInfo]:
        """The stored frame and its manifest, checked against each other (BrokenSeries if not).
        With `copy` false the frame is the one the process shares: the caller must not modify
        it (feeds.load only cuts a window from it and copies that)."""
        check_bar(bar)
        series = check_series_name(series)
        info = self.info(series, bar)
        if info is None:
            # this series' manifests only: a miss (an optional series) costs no survey
            available = sorted(p.stem for p in (self.root / series).glob("*.json")
                               if p.stem in BARS)
            hint = (f"; stored bar sizes: {', '.join(available)}" if available else
                    "; import it with `unwind data import FILE --symbol "
                    f"{series}` or fetch it with `unwind data fetch {series}`")
            raise DataError(f"no {series} {bar} series in the store {self.root}{hint}")
        return self._frame(info, copy), info

    def verify(self, series: str, bar: str) -> SeriesInfo | None:
        """The manifest when the series reads back whole, None when there is none; BrokenSeries
        otherwise."""
        info = self.info(series, bar)
        if info is not None:
            self._frame(info)
        return info

    def _file_bytes(self, info: SeriesInfo) -> tuple[bytes, os.stat_result]:
        """The parquet's bytes, checked against the manifest's size and sha256 when it has them,
        and the status of the file they were read from."""
        path = self.root / info.series / info.file
        try:
            data, status = filesystem.read_regular_status(
                path, _PARQUET_MAX_BYTES, info.file_bytes if info.file_sha256 else None)
        except FileNotFoundError:
            raise self._broken(info.series, info.bar, f"its parquet {info.file} is missing",
                               info) from None
        except filesystem.Refused as refused:
            raise self._broken(info.series, info.bar, f"its parquet {info.file} {refused}",
                               info) from None
        except OSError as error:
            raise self._broken(info.series, info.bar, f"its parquet {info.file} cannot be read "
                               f"({filesystem.describe(error)})", info) from None
        if info.file_sha256:
            if len(data) != info.file_bytes:
                raise self._broken(info.series, info.bar, f"its parquet {info.file} is "
                                   f"{len(data):,} bytes, the manifest says {info.file_bytes:,}",
                                   info)
            if hashlib.sha256(data).hexdigest() != info.file_sha256:
                raise self._broken(info.series, info.bar, f"its parquet {info.file} does not "
                                   "match the manifest's sha256 (changed since it was written)",
                                   info)
        return data, status

    def _frame(self, info: SeriesInfo, copy: bool = True) -> pd.DataFrame:
        """The series' frame, checked against the manifest (see the module docstring for when
        a file is hashed); the decoded, validated frame of the same bytes and manifest is
        reused within the process. A copy unless `copy` is false (then the caller must not
        modify it: it is the process's shared one)."""
        path = str(self.root / info.series / info.file)
        figures = (info.file_sha256, info.file_bytes, info.rows, info.first, info.last,
                   info.data_sha256)
        frame = None
        if info.file_sha256:
            try:
                known = _VERIFIED.get(_identity(path, os.lstat(path), figures))
            except OSError:   # missing or unreadable: the read below says so
                known = None
            frame = _DECODED.get(known) if known is not None else None
        if frame is None:
            read_at = time.time_ns()
            data, status = self._file_bytes(info)
            # _file_bytes checked the bytes against file_sha256 when the manifest has one
            digest = info.file_sha256 or hashlib.sha256(data).hexdigest()
            key = (path, digest, info.rows, info.first, info.last, info.data_sha256)
            frame = _DECODED.get(key)
            if frame is None:
                frame = self._decode(info, data)
                if len(_DECODED) >= _DECODED_MAX:
                    del _DECODED[next(iter(_DECODED))]   # the oldest
                _DECODED[key] = frame
            settled = max(status.st_mtime_ns, status.st_ctime_ns) < read_at - _SETTLED_NS
            if info.file_sha256 and settled:
                _remember(_VERIFIED, _identity(path, status, figures), key)
        return frame.copy() if copy else frame

    def _decode(self, info: SeriesInfo, data: bytes) -> pd.DataFrame:
        import pyarrow as pa
        import pyarrow.parquet as pq

        def broken(reason: str) -> BrokenSeries:
            return self._broken(info.series, info.bar, f"its parquet {info.file} {reason}", info)

        try:
            layout = pq.ParquetFile(io.BytesIO(data)).metadata
            if layout.num_rows != info.rows:
                raise broken(f"holds {layout.num_rows:,} bars, not the manifest's "
                             f"{info.rows:,} from {info.first} to {info.last}")
            unpacked = sum(layout.row_group(number).total_byte_size
                           for number in range(layout.num_row_groups))
            if unpacked > _DECODED_MAX_BYTES:
                raise broken(f"would decode to {unpacked:,} bytes, over the "
                             f"{_DECODED_MAX_BYTES:,} a series may hold")
            frame = pd.read_parquet(io.BytesIO(data))
        except (OSError, ValueError, TypeError, KeyError, IndexError, pa.ArrowException) as error:
            raise broken(f"is not a readable parquet file ({excerpt(error, 80)})") from None
        missing = [column for column in COLUMNS if column not in frame.columns]
        if missing:
            raise broken(f"has no {', '.join(missing)} column")
        index = frame.index
        if not isinstance(index, pd.DatetimeIndex) or str(index.tz) != "UTC":
            raise broken("has no UTC time index")
        frame = frame[list(COLUMNS)]
        if not all(str(kind) == "float64" for kind in frame.dtypes):
            raise broken("holds columns that are not float64 numbers")
        if not (index.is_monotonic_increasing and index.is_unique):
            raise broken("has times out of order or repeated")
        if len(frame) != info.rows or not len(frame) or \
                index[0] != pd.Timestamp(info.first) or index[-1] != pd.Timestamp(info.last):
            raise broken(f"holds {len(frame):,} bars, not the manifest's {info.rows:,} from "
                         f"{info.first} to {info.last}")
        finite = np.isfinite(frame.to_numpy())
        if not finite.all():
            row, column = np.argwhere(~finite)[0]
            raise broken(f"holds {frame.iat[row, column]} as {COLUMNS[column]} at "
                         f"{index[row].isoformat()} (stored before prices were checked on "
                         "import); correct the file first")
        if not info.file_sha256 and frame_sha256(frame) != info.data_sha256:
            raise broken("does not match the manifest's data_sha256 (changed since it was "
                         "written)")
        frame.index.name = "time"
        return frame

    def _broken(self, series: str, bar: str, reason: str, info: SeriesInfo | None = None
                ) -> BrokenSeries:
        return BrokenSeries(series, bar, reason, self.repair_command(series, bar, info), info)

    def repair_command(self, series: str, bar: str, info: SeriesInfo | None) -> str:
        """The command that rebuilds `series` at `bar`, from what its manifest says if readable."""
        store = "" if self.root == default_root() else f" --store {shlex.quote(str(self.root))}"
        if info is not None and info.synthetic:  # the demo store is regenerated when empty
            return f"rm -r {shlex.quote(str(self.root))}"
        if info is not None and info.origin == "yahoo":
            return f"unwind data fetch {series} --bar {bar} --start {info.first[:10]}{store}"
        files = "FILE"
        if info is not None and info.origin == "import" and info.sources:
            files = " ".join(shlex.quote(source.path) for source in info.sources)
        flags = "".join(f" {shlex.quote(flag)}" for flag in info.import_flags) if info else ""
        return f"unwind data import {files} --symbol {series} --bar {bar}{flags} --replace{store}"

    # ---------------------------------------------------------------------------------- writes
    @contextlib.contextmanager
    def writing(self, *series: str) -> Iterator[None]:
        """Hold the writer lock of each series (in name order, so writers cannot deadlock)."""
        with contextlib.ExitStack() as stack:
            for name in sorted(set(series)):
                stack.enter_context(filesystem.series_lock(self.root / name,
                                                            f"{name} to the store {self.root}"))
            yield

    def write(self, series: str, bar: str, frame: pd.DataFrame, *, origin: str, conversion: str,
              close_only: bool, sources: tuple[SourceFile, ...], synthetic: bool = False,
              import_flags: tuple[str, ...] = ()) -> SeriesInfo:
        """Atomically replace (or create) a series with `frame` (canonical)."""
        return self.write_all([NewSeries(series, bar, frame, origin, conversion, close_only,
                                         sources, synthetic, import_flags)])[0]

    def write_all(self, items: list[NewSeries]) -> list[SeriesInfo]:
        """Write several series as one step: every file is written under a temporary name first,
        so an error (a full disk) leaves the store byte-identical; then each parquet and manifest
        is renamed into place. An OSError becomes one DataError line."""
        for item in items:
            check_series_name(item.series)
            check_bar(item.bar)
        with self.writing(*(item.series for item in items)):
            staged: list[_Staged] = []
            try:
                for item in items:
                    staged.append(self._stage(item))
                for step in staged:
                    filesystem.clear_the_way(step.parquet)
                    filesystem.clear_the_way(step.manifest)
                    step.parquet_existed = step.parquet.exists()
                    os.replace(step.parquet_temporary, step.parquet)
                    step.parquet_renamed = True
                    os.replace(step.manifest_temporary, step.manifest)
                    step.manifest_renamed = True
            except BaseException as error:
                for step in staged:
                    step.undo()
                if isinstance(error, OSError):
                    raise DataError(self._write_failure(items, staged, error)) from None
                raise
            for step in staged:  # done: sweep what dead writers and the old version left
                with contextlib.suppress(OSError):
                    filesystem.sync_folder(step.parquet.parent)
                    filesystem.sweep_temporary_files(step.parquet.parent)
                    for stale in step.parquet.parent.glob(f"{step.info.bar}-*.parquet"):
                        if stale.name != step.parquet.name:
                            stale.unlink(missing_ok=True)
        return [step.info for step in staged]

    def _write_failure(self, items: list[NewSeries], staged: list[_Staged], error: OSError
                       ) -> str:
        names = ", ".join(f"{item.series} {item.bar}" for item in items)
        written = [f"{step.info.series} {step.info.bar}" for step in staged
                   if step.manifest_renamed]
        outcome = (f"only {', '.join(written)} was written, the rest is unchanged" if written
                   else "nothing was written, the store is unchanged")
        return (f"cannot write {names} to the store {self.root}: {filesystem.describe(error)}; "
                f"{outcome}")

    def _stage(self, item: NewSeries) -> _Staged:
        """Write the parquet and manifest of `item` under temporary names in its folder."""
        frame = item.frame
        folder = self.root / item.series
        data_sha256 = frame_sha256(frame)
        buffer = io.BytesIO()
        frame.to_parquet(buffer, index=True)
        payload = buffer.getvalue()
        info = SeriesInfo(
            series=item.series, bar=item.bar, file=f"{item.bar}-{data_sha256[:16]}.parquet",
            data_sha256=data_sha256, rows=len(frame), first=frame.index[0].isoformat(),
            last=frame.index[-1].isoformat(), origin=item.origin, conversion=item.conversion,
            close_only=item.close_only, synthetic=item.synthetic,
            imported_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            sources=item.sources, file_sha256=hashlib.sha256(payload).hexdigest(),
            file_bytes=len(payload), import_flags=item.import_flags,
            repairs=item.repairs)
        text = json.dumps(info.to_json(), indent=2, sort_keys=True) + "\n"
        step = _Staged(info, folder / info.file, self._manifest_path(item.series, item.bar))
        step.parquet_temporary = filesystem.write_temporary(folder, info.file, payload)
        try:
            step.manifest_temporary = filesystem.write_temporary(folder, step.manifest.name,
                                                                  text.encode("utf-8"))
        except BaseException:
            step.undo()
            raise
        return step


def _identity(path: str, status: os.stat_result, figures: tuple) -> tuple:
    """What says a file is the one read before: its place, inode, type, size and times."""
    return (path, status.st_dev, status.st_ino, status.st_mode, status.st_size,
            status.st_mtime_ns, status.st_ctime_ns, figures)


@dataclass
class _Staged:
    """One series of a write in progress, and how far it got (so it can be undone)."""

    info: SeriesInfo
    parquet: Path
    manifest: Path
    parquet_temporary: Path | None = None
    manifest_temporary: Path | None = None
    parquet_existed: bool = True
    parquet_renamed: bool = False
    manifest_renamed: bool = False

    def undo(self) -> None:
        """Remove what this write added, unless its manifest already names it."""
        for temporary in (self.parquet_temporary, self.manifest_temporary):
            if temporary is not None:
                temporary.unlink(missing_ok=True)
        if self.parquet_renamed and not self.manifest_renamed and not self.parquet_existed:
            self.parquet.unlink(missing_ok=True)
