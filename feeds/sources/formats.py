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
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from feeds import instruments
from feeds.errors import DataError, excerpt
from feeds.sources import layouts
from feeds.sources.table import (DATE_NAMES, PRICE_COLUMNS, Parsed, RawSeries,  # noqa: F401
                                 check_date_format, close_only_prices, header_cells, numbers,
                                 ohlc_prices, parse_times, read_table, require_columns)

FORMATS = ("auto", "yahoo", "mt5", "fred", "wsj", "mof", "investing", "nbp", "ohlc",
           "tradingview", "ninjatrader", "dates", "generic")
# Japanese era -> Gregorian year of its first year (S49 = 1926 + 49 - 1 = 1974).
_ERAS = {"M": 1868, "T": 1912, "S": 1926, "H": 1989, "R": 2019}
# MT5 symbol names that differ from our canonical symbols.
_MT5_SYMBOLS = {"JPN225": "NIKKEI225_CFD", "US500": "SPX_CFD", "US30": "DJIA_CFD"}


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
