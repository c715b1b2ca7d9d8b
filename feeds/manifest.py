"""The manifest of a stored series: what it must say, checked field by field.

A manifest is read from a file anyone can edit, so it is held to its schema: known fields only,
each of its type, a parquet file name inside its series folder that carries the data hash, and the
series and bar size of the folder it lies in. Anything else is a ValueError with the reason, which
the store reports as a broken series.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import asdict, dataclass, field, fields

from feeds.errors import excerpt

_HEX64 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class SourceFile:
    path: str
    sha256: str
    format: str
    rows: int


@dataclass(frozen=True)
class Repair:
    """Rows an import changed under a stated flag (`flag`, as typed: "--repair-ohlc widen"):
    how many, and where, as `runs` of consecutive stored rows (first and last bar time, ISO), so
    the quality gate can judge the repaired rows of any window as it judged them before."""

    flag: str
    rows: int
    runs: tuple[tuple[str, str], ...]

    def to_json(self) -> dict:
        return {"flag": self.flag, "rows": self.rows, "runs": [list(run) for run in self.runs]}

    @classmethod
    def from_json(cls, data: object, name: str) -> Repair:
        if not isinstance(data, dict) or set(data) != {"flag", "rows", "runs"}:
            raise ValueError(f"{name} is not a repair record")
        _check_type(f"{name}.flag", data["flag"], str)
        _check_type(f"{name}.rows", data["rows"], int)
        _check_type(f"{name}.runs", data["runs"], list)
        runs = data["runs"]
        if not all(isinstance(run, list) and len(run) == 2 and all(isinstance(t, str) for t in run)
                   for run in runs) or data["rows"] < len(runs):
            raise ValueError(f"field '{name}.runs' is not a list of [first, last] bar times")
        return cls(data["flag"], data["rows"], tuple((first, last) for first, last in runs))


@dataclass(frozen=True)
class SeriesInfo:
    """The manifest of one stored series. `file_sha256` and `file_bytes` describe the parquet
    file; manifests written before they existed have "" and 0, and are checked by `data_sha256`
    (the hash of the decoded bars) instead. `import_flags` are the options of `unwind data import`
    that shaped the data (--clock, --format, --repair-ohlc, ...), so the repair command can repeat
    them; `repairs` say which rows a repair flag changed (written only when there are some, so a
    manifest without repairs reads as before)."""

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
    file_sha256: str = ""
    file_bytes: int = 0
    import_flags: tuple[str, ...] = ()
    repairs: tuple[Repair, ...] = ()

    @property
    def symbol(self) -> str:
        return self.series.split("@", 1)[0]

    def to_json(self) -> dict:
        data = asdict(self) | {"import_flags": list(self.import_flags)}
        del data["repairs"]
        return data | ({"repairs": [repair.to_json() for repair in self.repairs]}
                       if self.repairs else {})

    @classmethod
    def from_json(cls, data: object) -> SeriesInfo:
        """The manifest from parsed JSON; ValueError with the reason when it is not one."""
        if not isinstance(data, dict):
            raise ValueError(f"holds {type(data).__name__}, not an object")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown field {excerpt(unknown[0])}")
        required = [f.name for f in fields(cls) if f.name not in _OPTIONAL]
        missing = [name for name in required if name not in data]
        if missing:
            raise ValueError(f"no {missing[0]!r} field")
        for name, value in data.items():
            _check_type(name, value, _TYPES[name])
        for number, source in enumerate(data.get("sources", [])):
            if not isinstance(source, dict) or set(source) != {"path", "sha256", "format", "rows"}:
                raise ValueError(f"sources[{number}] is not a source record")
            for name, kind in (("path", str), ("sha256", str), ("format", str), ("rows", int)):
                _check_type(f"sources[{number}].{name}", source[name], kind)
        values = dict(data)
        values["sources"] = tuple(SourceFile(**s) for s in data.get("sources", []))
        values["import_flags"] = tuple(data.get("import_flags", []))
        values["repairs"] = tuple(Repair.from_json(repair, f"repairs[{number}]")
                                  for number, repair in enumerate(data.get("repairs", [])))
        return cls(**values)


_OPTIONAL = {"sources", "file_sha256", "file_bytes", "import_flags", "repairs"}
_TYPES = {"series": str, "bar": str, "file": str, "data_sha256": str, "rows": int, "first": str,
          "last": str, "origin": str, "conversion": str, "close_only": bool, "synthetic": bool,
          "imported_at": str, "sources": list, "file_sha256": str, "file_bytes": int,
          "import_flags": list, "repairs": list}


def _check_type(name: str, value: object, kind: type) -> None:
    wrong = not isinstance(value, kind) or (kind is int and isinstance(value, bool))
    if kind is list and not wrong and name == "import_flags":
        wrong = not all(isinstance(item, str) for item in value)
    if wrong:
        shown = json.dumps(value)
        shown = shown if len(shown) <= 40 else shown[:40] + "..."
        raise ValueError(f"field {name!r} is {shown}, expected "
                         f"{_KIND_NAMES[kind]}")


_KIND_NAMES = {str: "text", int: "a whole number", bool: "true or false", list: "a list"}


def run_entry(series: str, bar: str, attrs: dict) -> dict:
    """What a run's manifest records of a series it read (`attrs`: the frame's, from
    feeds.load): its data hash, whether it is synthetic, and any repair (only when there is one,
    so a run on unrepaired data writes the manifest it always did)."""
    entry = {"series": series, "bar": bar, "data_sha256": attrs["data_sha256"],
             "synthetic": bool(attrs.get("synthetic"))}
    if attrs.get("repairs"):
        entry["repairs"] = [{"flag": repair["flag"], "rows": repair["rows"]}
                            for repair in attrs["repairs"]]
    return entry


@dataclass(frozen=True)
class Broken:
    """A series the store holds but cannot serve: why, and the command that repairs it."""

    series: str
    bar: str
    reason: str
    repair: str

    def to_json(self) -> dict:
        return {"series": self.series, "bar": self.bar, "broken": self.reason,
                "repair": self.repair}


def check_manifest(info: SeriesInfo, series: str, bar: str) -> SeriesInfo:
    """`info` when what it says fits where it lies (`<series>/<bar>.json`); ValueError with the
    reason otherwise."""
    if info.series != series or info.bar != bar:
        raise ValueError(f"describes {excerpt(info.series)} {excerpt(info.bar)}, not the "
                         f"{series} {bar} of its folder")
    if not _HEX64.match(info.data_sha256):
        raise ValueError("has no valid data_sha256")
    if info.file != f"{bar}-{info.data_sha256[:16]}.parquet":
        raise ValueError(f"names the file {excerpt(info.file)}, not {bar}-<data hash>.parquet in "
                         "its series folder")
    if info.file_sha256 and (not _HEX64.match(info.file_sha256) or info.file_bytes <= 0):
        raise ValueError("has no valid file_sha256 and file_bytes")
    if info.rows <= 0:
        raise ValueError(f"says {info.rows} rows")
    for name in ("first", "last"):
        try:
            dt.datetime.fromisoformat(getattr(info, name))
        except ValueError:
            raise ValueError(f"field {name!r} is {excerpt(getattr(info, name))}, not a time"
                             ) from None
    return info
