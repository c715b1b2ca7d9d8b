"""CSV exports traders already have, parsed into raw series.

Each format is a small reader that turns the file's text into one or more `RawSeries`: times as
written in the file (wall clock, not yet UTC), prices as floats, and the file line of every row so
that an error can name it. Detection looks at the header only, and only where it is unambiguous.

| format    | header looks like                                          | times                     |
|-----------|------------------------------------------------------------|---------------------------|
| yahoo     | Date,Close,High,Low,Open,Volume / Date,Open,...,Adj Close  | dates, or ISO with offset |
| mt5       | DateTime,Open,... / time,open,... / <DATE> <TIME> ... /    | broker server time        |
|           | date,open,...,symbol,source (Pepperstone daily)            |                           |
| fred      | observation_date,SERIES / DATE,SERIES / date,series        | dates; '' or '.' missing  |
| wsj       | Date, Open, High, Low, Close  (MM/DD/YY, newest first)     | exchange dates            |
| mof       | 基準日,1年,...,40年 (era dates) or date,1Y,...,40Y          | Tokyo dates; '-' missing  |
| investing | "Date","Price","Open","High","Low","Vol.","Change %"       | MM/DD/YYYY, newest first  |
| nbp       | date,USD_PLN,JPY_PLN,USDJPY_derived                        | Warsaw fixing dates       |
| ohlc      | a date column plus open, high, low, close (any case, or    | ISO 8601, epoch s or ms,  |
|           | German names); separated by , ; tab or |, decimal commas   | dd.MM.yyyy, yyyyMMdd, or  |
|           | after ;; a date and a time-of-day column are joined        | --date-format             |
| tradingview | time,open,high,low,close[,Volume,indicators...]            | epoch seconds, UTC        |
| ninjatrader | no header: yyyyMMdd HHmmss;open;high;low;close;volume      | bar close, PC's clock     |
| generic   | anything, with --map time=COL,close=COL[,open=...]; no     | as ohlc                   |
|           | header: --map time=#1,... (what --columns writes)          |                           |

Separators, decimal commas and time layouts are recognised by feeds/sources/layouts.py.
"""

from __future__ import annotations

import csv
import io
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from feeds import instruments
from feeds.bars import span_problem
from feeds.errors import DataError, excerpt
from feeds.sources import layouts

FORMATS = ("auto", "yahoo", "mt5", "fred", "wsj", "mof", "investing", "nbp", "ohlc",
           "tradingview", "ninjatrader", "dates", "generic")
PRICE_COLUMNS = ("open", "high", "low", "close")
DATE_NAMES = {"date", "time", "datetime", "timestamp", "observation_date"}
# Japanese era -> Gregorian year of its first year (S49 = 1926 + 49 - 1 = 1974).
_ERAS = {"M": 1868, "T": 1912, "S": 1926, "H": 1989, "R": 2019}
# MT5 symbol names that differ from our canonical symbols.
_MT5_SYMBOLS = {"JPN225": "NIKKEI225_CFD", "US500": "SPX_CFD", "US30": "DJIA_CFD"}


@dataclass
class RawSeries:
    """One series as the file gives it. `frame` is indexed by file line number."""

    label: str
    frame: pd.DataFrame
    times: pd.Series
    close_only: bool = False
    symbol_hint: str | None = None
    wall_clock: bool = False
    descending: bool = False
    missing_rows: int = 0


@dataclass
class Parsed:
    format: str
    series: list[RawSeries] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


# ------------------------------------------------------------------------------- table helpers
def read_table(path: Path, text: str, sep: str = ",", header_lines: int = 1,
               names: list[str] | None = None) -> pd.DataFrame:
    """All cells as stripped strings, indexed by the 1-based line number of each row."""
    body = "\n".join(text.splitlines()[header_lines:])
    columns = names if names is not None else header_cells(text, sep)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(io.StringIO(body), sep=sep, header=None, names=columns,
                                dtype=str, keep_default_na=False, skip_blank_lines=False,
                                skipinitialspace=True, engine="c", quotechar='"',
                                index_col=False)
    except pd.errors.ParserWarning:   # the first row is wider than the header
        wide = next((number for number, row in enumerate(csv.reader(
            io.StringIO(body), delimiter=sep), start=header_lines + 1)
            if len(row) > len(columns)), None)
        where = f"row {wide}" if wide else "a row"
        raise DataError(f"{path}: {where} has more fields than the header's {len(columns)}"
                        ) from None
    except pd.errors.ParserError as error:
        found = re.search(r"line (\d+), saw (\d+)", str(error))
        where = f"row {int(found.group(1)) + header_lines}" if found else "a row"
        raise DataError(f"{path}: {where} has more fields than the header's {len(columns)}"
                        ) from None
    frame.index = pd.RangeIndex(header_lines + 1, header_lines + 1 + len(frame))
    frame = frame.apply(lambda column: column.str.strip() if column.dtype == object else column)
    blank = frame.isna() | (frame == "")
    return frame[~blank.all(axis=1)]


def header_cells(text: str, sep: str = ",") -> list[str]:
    first = text.splitlines()[0] if text else ""
    cells = next(csv.reader([first], delimiter=sep), [])
    return [cell.strip().strip('"').lstrip("\ufeff") for cell in cells] or [""]


def numbers(path: Path, frame: pd.DataFrame, column: str, missing: tuple[str, ...] = ("",),
            thousands: bool = False, decimal_comma: bool = False) -> pd.Series:
    """A column as float64; cells in `missing` become NaN, anything else unparseable is an error.
    Non-finite numbers ('inf', '1e400') parse here and are refused with the row by the importer.
    `thousands` drops thousands commas; `decimal_comma` reads 2.345,67 as 2345.67."""
    raw = frame[column].fillna("")
    cleaned = raw.str.replace(",", "", regex=False) if thousands else raw
    if decimal_comma:
        kept = ~raw.isin(missing)
        cleaned = raw.where(~kept, layouts.decimal_comma_numbers(path, column, raw.where(
            kept, "")))
    values = pd.to_numeric(cleaned.where(~cleaned.isin(missing)), errors="coerce")
    bad = values.isna() & ~cleaned.isin(missing)
    if bad.any():
        line = bad.idxmax()
        raise DataError(f"{path}: row {line} column {excerpt(column)}: {excerpt(raw[line])} is "
                        "not a number")
    return values.astype("float64")


def check_date_format(fmt: str) -> None:
    """Refuse a --date-format that strptime cannot use at all (e.g. '%Q'); `epoch-s` and
    `epoch-ms` name Unix times in seconds and milliseconds."""
    if fmt in layouts.EPOCH_FORMATS:
        return
    try:
        pd.to_datetime(pd.Series(["2024-01-01"]), format=fmt, errors="coerce")
    except (ValueError, TypeError) as error:
        raise DataError(f"--date-format {excerpt(fmt)} is not a usable strftime format "
                        f"({excerpt(error, 80)}); e.g. '%d/%m/%Y %H:%M'") from None


def parse_times(path: Path, values: pd.Series, fmt: str, expected: str) -> pd.Series:
    """Parse timestamps; the first unparseable cell, a file mixing times with and without a UTC
    offset, and a time outside the span bars can have are reported with their row."""
    raw = values.fillna("")
    if fmt == "ISO8601":
        aware = raw.str.contains(_OFFSET, regex=True)
        filled = raw != ""
        if aware[filled].any() and not aware[filled].all():
            first = filled.idxmax()
            odd = (filled & (aware != aware[first])).idxmax()
            which = "carries a UTC offset" if aware[odd] else "has no UTC offset"
            raise DataError(f"{path}: row {odd}: {excerpt(raw[odd])} {which}, unlike row {first} "
                            f"({excerpt(raw[first])}); every time in a file needs an offset, or "
                            "none does")
        parsed = pd.to_datetime(raw, format="ISO8601", errors="coerce", utc=bool(aware.any()))
    elif fmt in layouts.EPOCH_FORMATS:   # Unix times count UTC seconds (or milliseconds)
        counts = pd.to_numeric(raw.where(raw.str.fullmatch(r"\d{1,15}"), ""), errors="coerce")
        parsed = pd.to_datetime(counts, unit=layouts.EPOCH_FORMATS[fmt], utc=True,
                                errors="coerce")
    else:
        check_date_format(fmt)
        parsed = pd.to_datetime(raw, format=fmt, errors="coerce")
    bad = parsed.isna()
    if bad.any():
        line = bad.idxmax()
        shown = excerpt(raw[line]) if raw[line] else "(empty)"
        raise DataError(f"{path}: row {line}: {shown} is not a date/time (expected {expected})")
    outside = span_problem(parsed)
    if outside is not None:
        line, problem = outside
        raise DataError(f"{path}: row {line}: {excerpt(raw[line])} {problem}")
    return parsed


_OFFSET = r"(?:[+-]\d\d:?\d\d|Z)$"


def require_columns(path: Path, frame: pd.DataFrame, columns: list[str]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        header = ", ".join(map(str, frame.columns))
        shown = header if len(header) <= 200 else header[:200] + "..."
        raise DataError(f"{path}: missing column(s) {', '.join(missing)}; header has {shown}")


def ohlc_prices(path: Path, frame: pd.DataFrame, columns: dict[str, str], volume: str | None,
                thousands: bool = False, decimal_comma: bool = False) -> pd.DataFrame:
    """Prices from named columns (canonical name -> file column); volume 0 when absent."""
    require_columns(path, frame, list(columns.values()) + ([volume] if volume else []))
    prices = pd.DataFrame({name: numbers(path, frame, column, thousands=thousands,
                                         decimal_comma=decimal_comma)
                           for name, column in columns.items()}, index=frame.index)
    if volume:
        prices["volume"] = numbers(path, frame, volume, missing=("", "-"), thousands=thousands,
                                   decimal_comma=decimal_comma).fillna(0.0)
    else:
        prices["volume"] = 0.0
    return prices


def close_only_prices(frame: pd.DataFrame, close: pd.Series) -> pd.DataFrame:
    return pd.DataFrame({"open": close, "high": close, "low": close, "close": close,
                         "volume": np.zeros(len(close))}, index=frame.index)


# ------------------------------------------------------------------------------------ readers
def _read_yahoo(path: Path, text: str) -> Parsed:
    lines = text.splitlines()
    multi = len(lines) > 2 and lines[0].startswith("Price,") and lines[1].startswith("Ticker,")
    names = header_cells(text)
    if multi:
        names[0] = "Date"
    table = read_table(path, text, header_lines=3 if multi else 1, names=names)
    time_column = "Datetime" if "Datetime" in table.columns else "Date"
    require_columns(path, table, [time_column])
    if time_column == "Date":  # yfinance names daily indexes Date; the first 10 characters are
        # the exchange's local trading date, whatever offset follows them
        times = parse_times(path, table[time_column].str.slice(0, 10), "%Y-%m-%d", "YYYY-MM-DD")
    else:
        times = parse_times(path, table[time_column], "ISO8601", "ISO 8601 with a UTC offset")
    volume = "Volume" if "Volume" in table.columns else None
    prices = ohlc_prices(path, table, {c.lower(): c for c in ("Open", "High", "Low", "Close")},
                         volume)
    notes = ["Close used (not Adj Close)"] if "Adj Close" in table.columns else []
    return Parsed("yahoo" + (" (multi-level header)" if multi else ""),
                  [RawSeries("", prices, times)], notes)


def _read_mt5(path: Path, text: str) -> Parsed:
    first = text.splitlines()[0]
    if first.startswith("<DATE>"):
        names = [c.strip("<>").lower() for c in header_cells(text, "\t")]
        table = read_table(path, text, sep="\t", names=names)
        require_columns(path, table, ["date", "time"])
        stamp = table["date"] + " " + table["time"]
        times = parse_times(path, stamp, "%Y.%m.%d %H:%M:%S", "YYYY.MM.DD<TAB>HH:MM:SS")
        variant, volume = "tab-separated <DATE> <TIME>", "tickvol"
    else:
        table = read_table(path, text)
        table.columns = [str(c).lower() for c in table.columns]
        if "datetime" in table.columns:
            times = parse_times(path, table["datetime"], "%Y.%m.%d %H:%M:%S", "YYYY.MM.DD HH:MM:SS")
            variant, volume = "dotted YYYY.MM.DD HH:MM:SS", "tickvolume"
        elif "time" in table.columns:
            times = parse_times(path, table["time"], "ISO8601", "YYYY-MM-DD[ HH:MM:SS]")
            variant, volume = "ISO time, mixed date-only rows", "tick_volume"
        else:
            require_columns(path, table, ["date"])
            times = parse_times(path, table["date"], "%Y.%m.%d", "YYYY.MM.DD")
            variant, volume = "daily with extra columns", "tick_volume"
    prices = ohlc_prices(path, table, {c: c for c in PRICE_COLUMNS},
                         volume if volume in table.columns else None)
    hint = None
    if "symbol" in table.columns and table["symbol"].nunique() == 1:
        name = str(table["symbol"].iloc[0])
        hint = _MT5_SYMBOLS.get(name, name)
    series = RawSeries("", prices, times, symbol_hint=hint, wall_clock=True)
    return Parsed(f"mt5 ({variant})", [series], ["tick volume used as volume"])


def _read_fred(path: Path, text: str) -> Parsed:
    table = read_table(path, text)
    time_column, code = table.columns[0], table.columns[1]
    close = numbers(path, table, code, missing=("", "."))
    times = parse_times(path, table[time_column], "%Y-%m-%d", "YYYY-MM-DD")
    keep = close.notna()
    hint = instruments.by_source_code("fred", str(code).upper())
    series = RawSeries(str(code).upper(), close_only_prices(table, close)[keep], times[keep],
                       close_only=True, symbol_hint=hint.symbol if hint else None,
                       missing_rows=int((~keep).sum()))
    return Parsed(f"fred ({code})", [series])


def _read_wsj(path: Path, text: str) -> Parsed:
    table = read_table(path, text)
    require_columns(path, table, ["Date"])
    times = parse_times(path, table["Date"], "%m/%d/%y", "MM/DD/YY")
    prices = ohlc_prices(path, table, {c.lower(): c for c in ("Open", "High", "Low", "Close")},
                         None)
    return Parsed("wsj", [RawSeries("", prices, times, descending=True)])


def _read_investing(path: Path, text: str) -> Parsed:
    table = read_table(path, text)
    times = parse_times(path, table["Date"], "%m/%d/%Y", "MM/DD/YYYY")
    prices = ohlc_prices(path, table,
                         {"open": "Open", "high": "High", "low": "Low", "close": "Price"},
                         None, thousands=True)
    return Parsed("investing", [RawSeries("", prices, times, descending=True)])


def _era_dates(path: Path, values: pd.Series) -> pd.Series:
    parts = values.str.extract(r"^([MTSHR])(\d+)\.(\d+)\.(\d+)$")
    bad = parts[0].isna()
    if bad.any():
        line = bad.idxmax()
        raise DataError(f"{path}: row {line}: {values[line]!r} is not a Japanese era date "
                        "(expected e.g. R6.8.5 = 2024-08-05)")
    years = parts[0].map(_ERAS) + parts[1].astype(int) - 1
    stamp = years.astype(str) + "-" + parts[2] + "-" + parts[3]
    return parse_times(path, stamp, "%Y-%m-%d", "a valid era date")


def _read_mof(path: Path, text: str) -> Parsed:
    table = read_table(path, text)
    time_column = table.columns[0]
    if time_column == "基準日":
        times = _era_dates(path, table[time_column])
    else:
        times = parse_times(path, table[time_column], "%Y-%m-%d", "YYYY-MM-DD")
    series = []
    for column in table.columns[1:]:
        maturity = str(column).replace("年", "Y")
        close = numbers(path, table, column, missing=("", "-"))
        keep = close.notna()
        if not keep.any():
            continue
        hint = instruments.by_source_code("mof", maturity)
        series.append(RawSeries(maturity, close_only_prices(table, close)[keep], times[keep],
                                close_only=True, symbol_hint=hint.symbol if hint else None,
                                missing_rows=int((~keep).sum())))
    variant = "era dates" if time_column == "基準日" else "ISO dates"
    return Parsed(f"mof ({variant}, {len(series)} maturities)", series)


def _read_nbp(path: Path, text: str) -> Parsed:
    table = read_table(path, text)
    close = numbers(path, table, "USDJPY_derived")
    times = parse_times(path, table["date"], "%Y-%m-%d", "YYYY-MM-DD")
    keep = close.notna()
    return Parsed("nbp (USDJPY_derived = USD_PLN / JPY_PLN)",
                  [RawSeries("USDJPY_derived", close_only_prices(table, close)[keep], times[keep],
                             close_only=True, missing_rows=int((~keep).sum()))])


# ---------------------------------------------------------------------------------- detection
def detect(path: Path, text: str) -> str:
    """The format name from the header, or a DataError saying how to name it."""
    header = header_cells(text)
    lowered = [h.lower() for h in header]
    first_line = text.splitlines()[0]
    lines = text.splitlines()
    if first_line.startswith("<DATE>") or {"tick_volume", "tickvolume"} & set(lowered):
        return "mt5"
    if first_line.startswith("Price,") and len(lines) > 1 and lines[1].startswith("Ticker,"):
        return "yahoo"
    if first_line.startswith("Date, "):
        return "wsj"
    if header[0] in ("Date", "Datetime") and {"Open", "High", "Low", "Close"} <= set(header) \
            and "Time" not in header:   # a Time column too: a date and a time column (ohlc)
        return "yahoo"
    if header[:2] == ["Date", "Price"]:
        return "investing"
    if header == ["date", "USD_PLN", "JPY_PLN", "USDJPY_derived"]:
        return "nbp"
    if layouts.NINJATRADER_LINE.match(first_line):
        return "ninjatrader"
    if header and (header[0] == "基準日" or (lowered[0] == "date" and len(header) > 2 and all(
            re.fullmatch(r"\d+Y", h) for h in header[1:]))):
        return "mof"
    if len(header) == 2 and lowered[0] in ("observation_date", "date") and re.fullmatch(
            r"[A-Za-z0-9_]+", header[1]):
        return "fred"
    if len(header) == 1 and re.fullmatch(r"\d{4}-\d\d-\d\d", header[0]):
        return "dates"
    named = [layouts.canonical_name(cell)
             for cell in header_cells(text, layouts.separator(first_line))]
    if named and named[0] in DATE_NAMES and set(PRICE_COLUMNS) <= set(named):
        first_time = lines[1].split(",")[0].strip() if len(lines) > 1 else ""
        epoch = named[0] == "time" and re.fullmatch(r"\d{9,10}", first_time)
        return "tradingview" if epoch else "ohlc"
    if layouts.starts_with_data(first_line):
        raise DataError(f"{path}: no header row (line 1 is data: {excerpt(first_line, 60)}); "
                        "name the columns in the file's order with --columns "
                        "time,open,high,low,close[,volume]")
    hint = ""
    if len(header) == 1 and (";" in first_line or "\t" in first_line or "|" in first_line):
        hint = " It looks separated by ';', tab or '|' rather than commas."
    raise DataError(f"{path}: unknown format (header {first_line[:80]!r}).{hint} Name it with "
                    f"--format ({', '.join(FORMATS[1:])}); for other layouts use --format generic "
                    "--map time=COL,close=COL")


def parse_map(spec: str) -> dict[str, str]:
    """`time=Date,close=Price` -> {'time': 'Date', 'close': 'Price'}, checked. `date=COL` with
    `time=COL` joins a date and a time-of-day column; `#N` names the Nth column of a file
    without a header (what `--columns` writes)."""
    allowed = {"time", "date", "volume", *PRICE_COLUMNS}
    mapping: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        key, sep, value = part.partition("=")
        if not sep or not value or key not in allowed:
            raise DataError(f"--map {spec!r}: expected KEY=COLUMN pairs with KEY in "
                            f"{', '.join(sorted(allowed))}")
        mapping[key] = value
    if "close" not in mapping or not {"time", "date"} & set(mapping):
        raise DataError(f"--map {spec!r}: needs at least time=COLUMN and close=COLUMN")
    positional = [value.startswith("#") for value in mapping.values()]
    if any(positional) and not (all(positional) and all(
            re.fullmatch(r"#[1-9]\d{0,2}", value) for value in mapping.values())):
        raise DataError(f"--map {spec!r}: #N names the Nth column of a file without a header; "
                        "use it for every column or for none")
    if set(mapping) & {"open", "high", "low"} and not set(PRICE_COLUMNS) <= set(mapping):
        raise DataError(f"--map {spec!r}: map all of open, high, low, close, or close alone")
    return mapping


def _read_dates(path: Path, text: str) -> Parsed:
    """A list of dates, one per line and no header (the BOJ's meeting dates): an event series,
    one daily bar per date with every price 1.0 (the event happened that day). Only a symbol
    of kind `event` in the registry takes it. A list carries no order to check, so it is
    sorted, and the import says how many rows were out of order."""
    table = read_table(path, text, header_lines=0, names=["date"])
    times = parse_times(path, table["date"], "%Y-%m-%d", "YYYY-MM-DD")
    ordered = times.sort_values(kind="mergesort")
    steps = np.sign(np.diff(times.to_numpy(dtype="datetime64[ns]").astype("int64")))
    moved = int(min((steps > 0).sum(), (steps < 0).sum()))   # against the file's own order
    events = pd.Series(1.0, index=ordered.index)
    label = "dates (events" + (f"; {moved} rows out of order, sorted)" if moved else ")")
    return Parsed(label, [RawSeries("EVENTS", close_only_prices(table.loc[ordered.index], events),
                                    ordered, close_only=True)])


_READERS = {"yahoo": _read_yahoo, "mt5": _read_mt5, "fred": _read_fred, "wsj": _read_wsj,
            "mof": _read_mof, "investing": _read_investing, "nbp": _read_nbp, "dates": _read_dates}


def _reader(name: str):
    """The reader of a format; the ohlc family (feeds/sources/ohlc.py, which builds on this
    module's helpers) is imported here, when first used."""
    from feeds.sources import ohlc

    return {"ohlc": ohlc.read_ohlc, "tradingview": ohlc.read_tradingview,
            "ninjatrader": ohlc.read_ninjatrader}.get(name) or _READERS[name]


def parse(path: Path, text: str, fmt: str = "auto", mapping: dict[str, str] | None = None,
          date_format: str | None = None) -> Parsed:
    """Parse `text` (the content of `path`) in format `fmt` ('auto' detects it). No pandas
    warning reaches the terminal: a ParserWarning (rows that do not fit the header) is the one
    error line it stands for, and every parse is given its formats, so nothing is guessed."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            warnings.simplefilter("error", pd.errors.ParserWarning)
            return _parse(path, text, fmt, mapping, date_format)
    except csv.Error as error:  # lines are capped before parsing, so this is a NUL or the like
        raise DataError(f"{path}: not a CSV table ({excerpt(error, 80)})") from None
    except pd.errors.ParserWarning as warning:
        raise DataError(f"{path}: rows do not fit the header ({excerpt(warning, 80)}); check "
                        "the separator, or name the format with --format") from None


def _parse(path: Path, text: str, fmt: str, mapping: dict[str, str] | None,
           date_format: str | None) -> Parsed:
    if fmt not in FORMATS:
        raise DataError(f"--format {fmt!r} is not a format; expected one of {', '.join(FORMATS)}")
    if date_format:
        check_date_format(date_format)
    if fmt == "generic" or mapping:
        if not mapping:
            raise DataError("--format generic needs --map time=COL,close=COL[,open=..,high=..,"
                            "low=..,volume=..]")
        return _reader("ohlc")(path, text, mapping, date_format)
    chosen = detect(path, text) if fmt == "auto" else fmt
    if date_format and chosen != "ohlc":
        raise DataError(f"--date-format applies to the ohlc and generic formats; {chosen} files "
                        "have their own date layout")
    try:
        return _reader(chosen)(path, text, date_format=date_format) if chosen == "ohlc" \
            else _reader(chosen)(path, text)
    except (KeyError, IndexError, StopIteration):
        raise DataError(f"{path}: does not look like a {chosen} export (header "
                        f"{text.splitlines()[0][:80]!r})") from None
