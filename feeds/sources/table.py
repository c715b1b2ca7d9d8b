"""What every reader of feeds/sources/ builds on: the raw series it returns, and reading a
table's rows, numbers and times with errors that name the file's row (formats.py and ohlc.py
both build on this; neither imports the other's internals)."""

from __future__ import annotations

import csv
import io
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from feeds.bars import span_problem
from feeds.errors import DataError, excerpt
from feeds.sources import layouts

PRICE_COLUMNS = ("open", "high", "low", "close")
DATE_NAMES = {"date", "time", "datetime", "timestamp", "observation_date"}


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
