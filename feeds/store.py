"""The local store: one parquet file and one JSON manifest per (series, bar size).

Layout: `<root>/<SERIES>/<bar>.json` names the current parquet file `<bar>-<hash>.parquet`, whose
name carries the hash of its content. A write puts the new parquet beside the old one, then
replaces the manifest with `os.replace` (atomic on POSIX), then removes the old parquet. A write
killed at any point leaves either the old series or the new one, never a mix; a stray parquet
that no manifest names is ignored and cleaned up by the next write of that series.

A series name is a canonical symbol, optionally tagged with its source (`USDJPY@fred`) so that
several sources of one instrument can be kept side by side and compared.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd

from feeds import instruments
from feeds.bars import check_bar, frame_sha256
from feeds.errors import DataError

ENVIRONMENT_VARIABLE = "UNWIND_STORE"
_TAG = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


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
class SourceFile:
    path: str
    sha256: str
    format: str
    rows: int


@dataclass(frozen=True)
class SeriesInfo:
    """The manifest of one stored series."""

    series: str
    bar: str
    file: str
    data_sha256: str
    rows: int
    first: str
    last: str
    origin: str
    conversion: str
    close_only: bool
    synthetic: bool
    imported_at: str
    sources: tuple[SourceFile, ...] = field(default_factory=tuple)

    @property
    def symbol(self) -> str:
        return self.series.split("@", 1)[0]

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> SeriesInfo:
        values = dict(data)
        values["sources"] = tuple(SourceFile(**s) for s in data.get("sources", []))
        return cls(**values)


class Store:
    """Read and write canonical series under one root directory."""

    def __init__(self, root: Path | str | None = None):
        self.root = Path(root).expanduser() if root else default_root()

    def __repr__(self) -> str:
        return f"Store({str(self.root)!r})"

    def _manifest_path(self, series: str, bar: str) -> Path:
        return self.root / series / f"{bar}.json"

    def info(self, series: str, bar: str) -> SeriesInfo | None:
        path = self._manifest_path(series, bar)
        try:
            return SeriesInfo.from_json(json.loads(path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            return None
        except (OSError, ValueError, TypeError) as error:
            raise DataError(f"{path}: unreadable store manifest ({error}); re-import the series "
                            "with --replace") from None

    def list(self) -> list[SeriesInfo]:
        """Every stored series, sorted by name and bar size."""
        if not self.root.is_dir():
            return []
        found = []
        for manifest in sorted(self.root.glob("*/*.json")):
            info = self.info(manifest.parent.name, manifest.stem)
            if info is not None:
                found.append(info)
        return found

    def is_empty(self) -> bool:
        return not self.list()

    def read(self, series: str, bar: str) -> tuple[pd.DataFrame, SeriesInfo]:
        check_bar(bar)
        series = check_series_name(series)
        info = self.info(series, bar)
        if info is None:
            available = sorted({i.bar for i in self.list() if i.series == series})
            hint = (f"; stored bar sizes: {', '.join(available)}" if available else
                    "; import it with `unwind data import FILE --symbol "
                    f"{series}` or fetch it with `unwind data fetch {series}`")
            raise DataError(f"no {series} {bar} series in the store {self.root}{hint}")
        path = self.root / series / info.file
        try:
            frame = pd.read_parquet(path)
        except (OSError, ValueError) as error:
            raise DataError(f"{path}: cannot read stored series ({error}); re-import it with "
                            "--replace") from None
        frame.index.name = "time"
        return frame, info

    def write(self, series: str, bar: str, frame: pd.DataFrame, *, origin: str, conversion: str,
              close_only: bool, sources: tuple[SourceFile, ...], synthetic: bool = False
              ) -> SeriesInfo:
        """Atomically replace (or create) a series with `frame` (canonical)."""
        check_series_name(series)
        check_bar(bar)
        data_sha256 = frame_sha256(frame)
        directory = self.root / series
        directory.mkdir(parents=True, exist_ok=True)
        file_name = f"{bar}-{data_sha256[:16]}.parquet"
        _atomic_write(directory / file_name, lambda handle: frame.to_parquet(handle, index=True))
        info = SeriesInfo(
            series=series, bar=bar, file=file_name, data_sha256=data_sha256, rows=len(frame),
            first=frame.index[0].isoformat(), last=frame.index[-1].isoformat(), origin=origin,
            conversion=conversion, close_only=close_only, synthetic=synthetic,
            imported_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            sources=sources,
        )
        text = json.dumps(info.to_json(), indent=2, sort_keys=True) + "\n"
        _atomic_write(self._manifest_path(series, bar), lambda h: h.write(text.encode()))
        for stale in directory.glob(f"{bar}-*.parquet"):
            if stale.name != file_name:
                stale.unlink(missing_ok=True)
        return info


def _atomic_write(target: Path, write) -> None:
    """Write through a temporary file in the same directory, fsync, then rename over `target`."""
    handle = tempfile.NamedTemporaryFile(dir=target.parent, prefix=f".{target.name}.",
                                         suffix=".tmp", delete=False)
    try:
        with handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(handle.name, target)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise
