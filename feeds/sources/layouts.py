"""How a CSV export lays out its table, read from the text: the separator, decimal commas, the
time column's layout (epoch seconds or milliseconds, compact or day-first dates), header names
in other languages, and whether the first line is a header at all.

Each rule is decided on the whole column, never guessed row by row, and only where the text is
unambiguous: `01/02/2024` could be either day or month first, so slashes still need
--date-format; `02.01.2024` (dots, year last) is the day-first European form.
"""

from __future__ import annotations

import re

import pandas as pd

from feeds.errors import DataError, excerpt

# Header names of German exports (onvista, comdirect, finanzen.net) -> the canonical columns.
ALIASES = {"datum": "date", "zeit": "time", "uhrzeit": "time", "eröffnung": "open",
           "eroeffnung": "open", "erster": "open", "hoch": "high", "tief": "low",
           "schluss": "close", "schlusskurs": "close", "letzter": "close", "volumen": "volume",
           "umsatz": "volume", "vol": "volume"}

_SEPARATORS = (";", "\t", "|")
# A number written with a decimal comma: optional thousands dots in groups of three.
_DECIMAL_COMMA = re.compile(r"^[+-]?(?:\d{1,3}(?:\.\d{3})+|\d+)(?:,\d+)?$")

# A time column's layouts, recognised when every filled cell matches: (name, pattern, format).
# Epoch counts are UTC by definition; 9-10 digits are seconds (2001..2286), 12-13 milliseconds.
TIME_LAYOUTS = (
    ("epoch seconds", re.compile(r"^\d{9,10}$"), "epoch-s"),
    ("epoch milliseconds", re.compile(r"^\d{12,13}$"), "epoch-ms"),
    ("yyyyMMdd HHmmss", re.compile(r"^\d{8} \d{6}$"), "%Y%m%d %H%M%S"),
    ("yyyyMMdd HHmm", re.compile(r"^\d{8} \d{4}$"), "%Y%m%d %H%M"),
    ("yyyyMMdd", re.compile(r"^\d{8}$"), "%Y%m%d"),
    ("dd.MM.yyyy HH:mm:ss", re.compile(r"^\d\d\.\d\d\.\d{4} \d\d:\d\d:\d\d$"),
     "%d.%m.%Y %H:%M:%S"),
    ("dd.MM.yyyy HH:mm", re.compile(r"^\d\d\.\d\d\.\d{4} \d\d:\d\d$"), "%d.%m.%Y %H:%M"),
    ("dd.MM.yyyy", re.compile(r"^\d\d\.\d\d\.\d{4}$"), "%d.%m.%Y"),
    ("yyyy.MM.dd HH:mm:ss", re.compile(r"^\d{4}\.\d\d\.\d\d \d\d:\d\d:\d\d$"),
     "%Y.%m.%d %H:%M:%S"),
    ("yyyy.MM.dd HH:mm", re.compile(r"^\d{4}\.\d\d\.\d\d \d\d:\d\d$"), "%Y.%m.%d %H:%M"),
    ("yyyy.MM.dd", re.compile(r"^\d{4}\.\d\d\.\d\d$"), "%Y.%m.%d"),
)
EPOCH_FORMATS = {"epoch-s": "s", "epoch-ms": "ms"}
# NinjaTrader's export: no header, `yyyyMMdd HHmmss;open;high;low;close;volume` (intraday) or
# `yyyyMMdd;open;...` (daily).
NINJATRADER_LINE = re.compile(r"^\d{8}(?: \d{6})?;[^;]+;[^;]+;[^;]+;[^;]+;[^;]+$")


def separator(first_line: str) -> str:
    """The field separator: `;`, tab or `|` when the line holds at least two of it and more of
    it than commas (a `;` file with decimal commas has fewer commas than fields), else `,`."""
    for mark in _SEPARATORS:
        count = first_line.count(mark)
        if count >= 2 and count > first_line.count(","):
            return mark
    return ","


def canonical_name(name: str) -> str:
    """A header cell in lower case, a German name as its canonical column."""
    lowered = name.strip().lower()
    return ALIASES.get(lowered, lowered)


def time_layout(values: pd.Series) -> tuple[str, str] | None:
    """(name, format) of the layout the first filled cell of a time column has, or None (the
    caller then reads ISO 8601). The whole column is then parsed in it, so a cell written
    otherwise is an error naming its row, not a reason to guess again."""
    filled = values[values != ""]
    if filled.empty:
        return None
    for name, pattern, fmt in TIME_LAYOUTS:
        if pattern.match(filled.iloc[0]):
            return name, fmt
    return None


def uses_decimal_comma(cells: pd.DataFrame) -> bool:
    """Whether the price cells of a `;`/tab-separated file write decimals with a comma: some
    cell holds a comma (a `,`-separated file cannot)."""
    return bool(cells.apply(lambda column: column.str.contains(",", regex=False).any()).any())


def decimal_comma_numbers(path, column: str, raw: pd.Series) -> pd.Series:
    """`2.345,67` -> `2345.67` for every cell; a cell that is not such a number (a dot without
    thousands groups, as in `2345.67`, is ambiguous here) is an error naming its row."""
    filled = raw != ""
    bad = filled & ~raw.str.match(_DECIMAL_COMMA)
    if bad.any():
        line = bad.idxmax()
        raise DataError(f"{path}: row {line} column {excerpt(column)}: {excerpt(raw[line])} is "
                        "not a number with a decimal comma (e.g. 2.345,67), as the file's other "
                        "prices are")
    return raw.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)


def headerless_columns(spec: str) -> list[str]:
    """`--columns time,open,high,low,close,volume` checked: known names, each once, a time (or a
    date) and a close; `skip` ignores a column."""
    allowed = {"time", "date", "open", "high", "low", "close", "volume", "skip"}
    names = [part.strip().lower() for part in spec.split(",")]
    unknown = [name for name in names if name not in allowed]
    if unknown or not names:
        raise DataError(f"--columns {excerpt(spec)}: {excerpt(unknown[0]) if unknown else 'empty'}"
                        f" is not a column; expected names from {', '.join(sorted(allowed))} "
                        "in the file's order, e.g. time,open,high,low,close,volume")
    repeated = [name for name in dict.fromkeys(names) if name != "skip" and names.count(name) > 1]
    if repeated:
        raise DataError(f"--columns {excerpt(spec)}: {repeated[0]} is named twice")
    if not ({"time", "date"} & set(names)) or "close" not in names:
        raise DataError(f"--columns {excerpt(spec)}: needs a time (or date) column and a close")
    return names


def starts_with_data(first_line: str) -> bool:
    """A first line without letters whose first field is a time: a row, not a header."""
    cell = re.split(r"[,;\t|]", first_line, maxsplit=1)[0].strip().strip('"')
    return not re.search(r"[A-Za-z]", first_line.replace("T", "", 1)) and bool(
        cell) and (time_layout(pd.Series([cell])) is not None
                   or re.fullmatch(r"\d{4}-\d\d-\d\d[ T]?[\d:]*", cell) is not None)


def columns_map(spec: str) -> str:
    """`--columns time,open,high,low,close,volume` (a file without a header) as the --map text
    it stands for, `time=#1,open=#2,...` (`skip` leaves a column out): the import records that
    --map, so its repair command reads the file the same way."""
    names = headerless_columns(spec)
    return ",".join(f"{name}=#{number}" for number, name in enumerate(names, start=1)
                    if name != "skip")
