"""`unwind data import`: files -> checked canonical series -> the store.

Everything is parsed and checked before anything is written, so a bad file (or a refused
overwrite) leaves the store byte-identical. Several files for one symbol (for example half-year
chunks of an export) are joined; rows they share must agree. Prices must be finite (and positive
where the instrument is a price), times inside the span bars can have (`feeds.bars`), and every
row's open and close inside its high..low: a file that has rows outside is refused unless
`--repair-ohlc widen` is given, which widens those rows' high and low (`feeds.sanity.widen`) and
records how many and which in the manifest.

The decision (new, unchanged, replace, refuse) and the write happen under the writer lock of each
series, so two imports racing into one series cannot both succeed without --replace. A broken
stored series (see `feeds.store`) is rebuilt by `--replace`, or by re-importing the file it came
from.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from feeds import clock as clocks
from feeds import clock_evidence, instruments, sanity
from feeds.bars import (BARS, canonical, check_bar, frame_sha256, infer_bar, is_intraday,
                        span_problem)
from feeds.errors import BrokenSeries, DataError, excerpt
from feeds.manifest import Repair
from feeds.sources.formats import RawSeries, check_date_format, parse, parse_map
from feeds.sources.text import check_regular_file, read_text
from feeds.store import NewSeries, SeriesInfo, SourceFile, Store, check_series_name


@dataclass(frozen=True)
class ImportOptions:
    """What the user asked for; None means 'work it out from the file'."""

    symbol: str | None = None
    bar: str | None = None
    format: str = "auto"
    clock: str | None = None
    map: str | None = None
    date_format: str | None = None
    replace: bool = False
    repair_ohlc: str | None = None   # one of sanity.REPAIR_OHLC


@dataclass(frozen=True)
class ImportOutcome:
    series: str
    bar: str
    status: str  # imported | replaced | repaired | unchanged
    rows: int
    first: str
    last: str
    format: str
    conversion: str
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    repaired: int = 0   # rows --repair-ohlc changed

    def to_json(self) -> dict:
        return self.__dict__ | {"notes": list(self.notes), "warnings": list(self.warnings)}


@dataclass
class _Prepared:
    series: str
    bar: str
    frame: pd.DataFrame
    format: str
    conversion: str
    close_only: bool
    sources: list[SourceFile] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    repaired: pd.DatetimeIndex = field(default_factory=lambda: pd.DatetimeIndex([], tz="UTC"))

    def repairs(self, method: str | None) -> tuple[Repair, ...]:
        """The manifest's record of the rows `--repair-ohlc METHOD` changed (none: empty)."""
        record = sanity.repair_record(self.frame.index, self.repaired, method) if method else None
        return (record,) if record is not None else ()


def import_files(paths: list[Path], options: ImportOptions, store: Store) -> list[ImportOutcome]:
    """Import `paths` into `store`; raises DataError (store untouched) on any problem."""
    if not paths:
        raise DataError("no files given; usage: unwind data import PATH... [--symbol SYM]")
    if options.bar:
        check_bar(options.bar)
    if options.clock:
        clocks.validate(options.clock)
    if options.symbol:
        options = replace(options, symbol=check_series_name(options.symbol))
    mapping = parse_map(options.map) if options.map else None
    if options.date_format:
        check_date_format(options.date_format)
    if options.repair_ohlc is not None and options.repair_ohlc not in sanity.REPAIR_OHLC:
        raise DataError(f"{sanity.REPAIR_OHLC_FLAG} {excerpt(options.repair_ohlc)} is not a repair; "
                        f"choose {', '.join(sanity.REPAIR_OHLC)}")
    for path in paths:  # a FIFO or device later in the list must not block after work is done
        check_regular_file(Path(path))
    prepared: dict[tuple[str, str], _Prepared] = {}
    for path in paths:
        for item in _prepare_file(Path(path), options, mapping):
            key = (item.series, item.bar)
            prepared[key] = _join(prepared[key], item) if key in prepared else item
    flags = _flags(options)
    with store.writing(*(item.series for item in prepared.values())):
        plans = [(_decide(item, store, options), item) for item in prepared.values()]
        store.write_all([NewSeries(item.series, item.bar, item.frame, origin="import",
                                   conversion=item.conversion, close_only=item.close_only,
                                   sources=tuple(item.sources), import_flags=flags,
                                   repairs=item.repairs(options.repair_ohlc))
                         for status, item in plans if status != "unchanged"])
    outcomes = []
    for status, item in plans:
        outcomes.append(ImportOutcome(
            series=item.series, bar=item.bar, status=status, rows=len(item.frame),
            first=item.frame.index[0].isoformat(), last=item.frame.index[-1].isoformat(),
            format=item.format, conversion=item.conversion, notes=tuple(item.notes),
            warnings=tuple(item.warnings), repaired=len(item.repaired)))
    return outcomes


def _flags(options: ImportOptions) -> tuple[str, ...]:
    """The options that shaped the data, as `unwind data import` flags (for the repair command)."""
    flags: list[str] = []
    for flag, value in (("--format", None if options.format == "auto" else options.format),
                        ("--clock", options.clock), ("--map", options.map),
                        ("--date-format", options.date_format),
                        (sanity.REPAIR_OHLC_FLAG, options.repair_ohlc)):
        if value:
            flags += [flag, value]
    return tuple(flags)


def _prepare_file(path: Path, options: ImportOptions, mapping: dict | None) -> list[_Prepared]:
    before = _identity(path)
    text = read_text(path)
    if _identity(path) != before:
        raise DataError(f"{path}: changed while it was read (its size or modification time "
                        "differs before and after); import it once whatever writes it is done")
    _check_leap_second(path, text)
    parsed = parse(path, text, options.format, mapping, options.date_format)
    sha256 = hashlib.sha256(text.encode("utf-8")).hexdigest()
    def where(raw: RawSeries) -> str:
        return f"{path}" + (f" [{raw.label}]" if len(parsed.series) > 1 else "")

    for raw in parsed.series:
        if raw.frame.empty:
            raise DataError(f"{where(raw)}: no data rows after the header")
        _check_order(where(raw), raw)
    bars = {id(raw): _bar(where(raw), raw, options.bar) for raw in parsed.series}
    prepared = []
    for series_name, raw in _choose_series(path, parsed.series, options.symbol):
        _check_prices(where(raw), raw, instruments.get(series_name))
        bar = bars[id(raw)]
        times, conversion, warning = _to_utc(where(raw), raw, bar, options.clock)
        frame = canonical(times, raw.frame)
        lines = pd.Series(raw.frame.index.to_numpy(), index=times)
        _check_sanity(where(raw), frame, instruments.get(series_name), bar, lines)
        frame, repaired = _check_ohlc(where(raw), frame, options.repair_ohlc, lines)
        notes = list(parsed.notes)
        if len(repaired):
            notes.append(f"{where(raw)}: {_rows(len(repaired))} with open or close outside "
                         f"high..low widened ({sanity.REPAIR_OHLC_FLAG} {options.repair_ohlc})")
        if raw.missing_rows:
            notes.append(f"{raw.missing_rows} rows without a value skipped (source marks missing)")
        prepared.append(_Prepared(
            series=series_name, bar=bar, frame=frame, format=parsed.format, conversion=conversion,
            close_only=raw.close_only, notes=notes,
            sources=[SourceFile(str(path.resolve()), sha256, parsed.format, len(frame))],
            warnings=[f"{where(raw)}: {warning}"] if warning else [], repaired=repaired))
    return prepared


def _identity(path: Path) -> tuple[int, ...]:
    """What changes when a file is written or replaced: device, inode, size, mtime in ns."""
    status = path.stat()
    return status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns


# A clock time whose second is 60 (or 61, which strptime also allows): a leap second, which
# some parsers roll into the next minute, making a bar out of order or a day late.
_LEAP_SECOND = re.compile(r"(?<![\d:])(?:[01]?\d|2[0-3]):[0-5]\d:6[01](?![\d:])")


def _check_leap_second(path: Path, text: str) -> None:
    """Refuse a time such as 23:59:60, naming its row (the header is row 1)."""
    found = _LEAP_SECOND.search(text)
    if found is None:
        return
    row = text.count("\n", 0, found.start()) + 1
    raise DataError(f"{path}: row {row}: {found.group()} is a leap second; bars have no 60th "
                    "second (it would roll into the next minute); write it as :59 or drop the "
                    "row")


def _choose_series(path: Path, series: list[RawSeries], symbol: str | None
                   ) -> list[tuple[str, RawSeries]]:
    """Pair each raw series with the store series name it goes to."""
    if len(series) > 1:
        hinted = {raw.symbol_hint: raw for raw in series if raw.symbol_hint}
        if symbol is None:
            return [(name, raw) for name, raw in hinted.items()]
        base = symbol.split("@", 1)[0]
        if base not in hinted:
            raise DataError(f"{path}: holds {', '.join(hinted)}; --symbol {symbol} is none of "
                            "them (omit --symbol to import all)")
        return [(symbol, hinted[base])]
    raw = series[0]
    if symbol is None:
        if raw.symbol_hint is None:
            raise DataError(f"{path}: cannot tell which instrument this is; pass --symbol SYM "
                            "(`unwind list instruments` shows the symbols)")
        return [(check_series_name(raw.symbol_hint), raw)]
    base = symbol.split("@", 1)[0]
    if raw.symbol_hint and raw.symbol_hint != base:
        raise DataError(f"{path}: holds {raw.label or raw.symbol_hint} ({raw.symbol_hint}), not "
                        f"{base}; drop --symbol or name the right one")
    return [(symbol, raw)]


def _check_order(where: str, raw: RawSeries) -> None:
    """Refuse duplicated or out-of-order timestamps (the format says which order is right)."""
    times = raw.times
    if times.dt.tz is not None:
        times = times.dt.tz_convert("UTC").dt.tz_localize(None)
    stamps = times.to_numpy(dtype="datetime64[us]")
    if len(stamps) > 1:
        step = np.diff(stamps) if not raw.descending else -np.diff(stamps)
        wrong = np.flatnonzero(step <= np.timedelta64(0))
        if wrong.size:
            at = wrong[0]
            line, previous = raw.times.index[at + 1], raw.times.index[at]
            stamp, before = raw.times.iloc[at + 1], raw.times.iloc[at]
            if stamps[at + 1] == stamps[at]:
                raise DataError(f"{where}: row {line} repeats the timestamp {stamp} of row "
                                f"{previous}")
            order = "newest first" if raw.descending else "oldest first"
            raise DataError(f"{where}: row {line} ({stamp}) is out of order after row {previous} "
                            f"({before}); this format lists rows {order}")


def _check_prices(where: str, raw: RawSeries, instrument: instruments.Instrument) -> None:
    """Refuse empty or non-finite prices, and non-positive ones where the instrument is a price."""
    prices = raw.frame[["open", "high", "low", "close"]]
    empty = prices.isna().any(axis=1)
    if empty.any():
        line = empty.idxmax()
        column = prices.columns[prices.loc[line].isna().to_numpy()][0]
        raise DataError(f"{where}: row {line}: {column} is empty (NaN); every row needs open, "
                        "high, low and close")
    values = raw.frame[["open", "high", "low", "close", "volume"]]
    infinite = ~np.isfinite(values.to_numpy())
    if infinite.any():
        row, column = np.argwhere(infinite)[0]
        line, name = values.index[row], values.columns[column]
        what = "price" if name != "volume" else "volume"
        raise DataError(f"{where}: row {line}: {name} {values.iat[row, column]} is not a finite "
                        f"{what} (a number out of range such as 1e400 reads as inf)")
    if not instrument.allows_non_positive:
        bad = (prices <= 0).any(axis=1)
        if bad.any():
            line = bad.idxmax()
            column = prices.columns[(prices.loc[line] <= 0).to_numpy()][0]
            raise DataError(f"{where}: row {line}: {column} {prices.loc[line, column]:g} is not a "
                            f"positive price for {instrument.symbol}")


def _check_sanity(where: str, frame: pd.DataFrame, instrument: instruments.Instrument,
                  bar: str, lines: pd.Series | None = None) -> None:
    """Refuse numbers no market prints (feeds.sanity: the rules and their measured limits),
    naming the file's row (`lines` maps each UTC bar time to it) and the bar's time."""
    found = sanity.problems(frame, instrument, bar)
    if not found:
        return
    problem = min(found, key=lambda item: item.position)
    stamp = frame.index[problem.position]
    row = f"row {lines.loc[stamp]} " if lines is not None and stamp in lines.index else ""
    raise DataError(f"{where}: {row}({stamp.isoformat()}): {problem.first}")


def _check_ohlc(where: str, frame: pd.DataFrame, repair: str | None, lines: pd.Series
                ) -> tuple[pd.DataFrame, pd.DatetimeIndex]:
    """Refuse rows whose open or close lies outside high..low, naming the first (its file row,
    time and prices), how many there are and the flag that repairs them; with the flag, the
    frame with those rows widened and their bar times."""
    outside = sanity.outside_high_low(frame)
    if not outside.any():
        return frame, frame.index[:0]
    if repair is None:
        position = int(np.flatnonzero(outside)[0])
        stamp = frame.index[position]
        row = f"row {lines.loc[stamp]} " if stamp in lines.index else ""
        shown = ", ".join(f"{name} {frame[name].iat[position]:.10g}"
                          for name in ("open", "high", "low", "close"))
        raise DataError(f"{where}: {row}({stamp.isoformat()}): {shown}: open or close outside "
                        f"high..low, on {int(outside.sum()):,} of {len(frame):,} rows; pass "
                        f"{sanity.REPAIR_OHLC_FLAG} widen to widen high and low to take them in "
                        "(high = max(open, high, close), low = min(open, low, close)), or fix the "
                        "file")
    return sanity.widen(frame, outside), frame.index[outside]


def _rows(number: int) -> str:
    return f"{number:,} row{'' if number == 1 else 's'}"


def check_frame(where: str, frame: pd.DataFrame, instrument: instruments.Instrument,
                bar: str | None = None) -> None:
    """Refuse a canonical frame with empty, non-finite or (for prices) non-positive values, a
    bar outside the span bars can have, or (given its bar size) numbers no market prints."""
    prices = frame[["open", "high", "low", "close"]]
    bad = ~np.isfinite(frame[["open", "high", "low", "close", "volume"]].to_numpy()).all(axis=1)
    if not instrument.allows_non_positive:
        bad |= (prices <= 0).any(axis=1).to_numpy()
    if bad.any():
        stamp = frame.index[bad][0]
        raise DataError(f"{where}: the bar at {stamp} has an empty, non-finite or non-positive "
                        "price")
    outside = span_problem(pd.Series(frame.index, index=frame.index))
    if outside is not None:
        raise DataError(f"{where}: the bar at {outside[0]} {outside[1]}")
    if bar is not None:
        _check_sanity(where, frame, instrument, bar)


def _bar(where: str, raw: RawSeries, requested: str | None) -> str:
    times = raw.times
    dates_only = bool((times == times.dt.normalize()).all()) and times.dt.tz is None
    if requested is None:
        return infer_bar(times, where)
    if is_intraday(requested) and dates_only and len(times) > 1:
        raise DataError(f"{where}: holds dates only, so --bar {requested} does not fit; "
                        "use --bar 1d")
    if not is_intraday(requested) and not dates_only:
        inferred = infer_bar(times, where)
        if is_intraday(inferred):
            raise DataError(f"{where}: rows are {BARS[inferred]} apart, so --bar {requested} does "
                            f"not fit; use --bar {inferred}")
    return requested


def _to_utc(where: str, raw: RawSeries, bar: str, clock: str | None
            ) -> tuple[pd.DatetimeIndex, str, str | None]:
    """UTC bar times, the conversion applied (for the manifest) and a warning when the bars
    contradict the clock (broker server time is checked against scheduled releases)."""
    times = pd.DatetimeIndex(raw.times)
    if not is_intraday(bar):
        if clock:
            raise DataError(f"{where}: --clock applies to intraday bars; daily bars keep their "
                            "trading date")
        if times.tz is not None:
            times = times.tz_localize(None)
        return times.normalize().tz_localize("UTC"), "daily bars labelled by trading date", None
    if times.tz is not None:
        if clock:
            raise DataError(f"{where}: timestamps carry their own UTC offset; drop --clock")
        return times.tz_convert("UTC"), "timestamps with UTC offsets -> UTC", None
    chosen = clock or (clocks.NEW_YORK_CLOSE if raw.wall_clock else "utc")
    converted = clocks.to_utc(times, chosen)
    if converted.isna().any() or converted.has_duplicates:
        at = int(np.flatnonzero(converted.isna() | converted.duplicated())[0])
        raise DataError(f"{where}: row {raw.times.index[at]} ({times[at]}) has no single UTC "
                        f"time under clock {chosen} (a daylight-saving change); use a fixed "
                        "offset clock such as +02:00")
    if not raw.wall_clock:
        return converted, clocks.describe(chosen), None
    evidence = clock_evidence.check(times, raw.frame["high"].to_numpy(),
                                    raw.frame["low"].to_numpy(), BARS[bar], chosen)
    return converted, f"{clocks.describe(chosen)}; {evidence.summary()}", evidence.warning()


def _join(first: _Prepared, second: _Prepared) -> _Prepared:
    """Join two parts of one series; timestamps they share must hold the same bar."""
    both = pd.concat([first.frame, second.frame])
    shared = both.index[both.index.duplicated()]
    if len(shared):
        left, right = first.frame.loc[shared], second.frame.loc[shared]
        differ = ~np.isclose(left.to_numpy(), right.to_numpy(), rtol=0, atol=1e-9).all(axis=1)
        if differ.any():
            stamp = shared[np.flatnonzero(differ)[0]]
            raise DataError(f"{second.sources[0].path}: the bar at {stamp} differs from the one in "
                            f"{first.sources[0].path}; pass the files separately")
    frame = both[~both.index.duplicated()].sort_index(kind="mergesort")
    return _Prepared(first.series, first.bar, frame, first.format, first.conversion,
                     first.close_only and second.close_only, first.sources + second.sources,
                     first.notes + [n for n in second.notes if n not in first.notes],
                     first.warnings + second.warnings,
                     first.repaired.union(second.repaired).intersection(frame.index))


def _decide(item: _Prepared, store: Store, options: ImportOptions) -> str:
    """What to do with `item` given what the store holds; call holding the series' lock."""
    replace = options.replace
    try:
        existing = store.verify(item.series, item.bar)
    except BrokenSeries as broken:
        same = broken.info is not None and _same_import(broken.info, item, options)
        if replace or same:
            return "repaired"
        raise DataError(f"{item.series} {item.bar} in the store is broken ({broken.reason}); "
                        f"pass --replace to rebuild it from {item.sources[0].path}") from None
    if existing is None:
        return "imported"
    if _same_import(existing, item, options) or (
            existing.data_sha256 == frame_sha256(item.frame)
            and existing.repairs == item.repairs(options.repair_ohlc)):
        return "unchanged"
    if not replace:
        raise DataError(f"{item.series} {item.bar} already holds other data ({existing.rows} rows "
                        f"{existing.first[:10]}..{existing.last[:10]} from "
                        f"{existing.origin}); pass --replace to overwrite it, or keep both with a "
                        f"tag: --symbol {item.series.split('@')[0]}@SOURCE")
    return "replaced"


def _same_import(existing: SeriesInfo, item: _Prepared, options: ImportOptions) -> bool:
    """The same files, converted and repaired the same way (a repair changes the bars)."""
    same_files = {s.sha256 for s in existing.sources} == {s.sha256 for s in item.sources}
    return same_files and existing.conversion == item.conversion and \
        existing.repairs == item.repairs(options.repair_ohlc)
