"""The plain OHLC family of exports: any table with a time (or a date and a time) column and
open/high/low/close, whatever its separator, decimal mark, time layout or header language;
TradingView's chart export; NinjaTrader's headerless export; and generic files mapped with --map
(by header name, or by position for a file without a header). The layouts themselves are
recognised by feeds/sources/layouts.py; the cells are read by feeds/sources/table.py's helpers.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

from feeds.errors import DataError
from feeds.sources import layouts
from feeds.sources.table import (DATE_NAMES, PRICE_COLUMNS, Parsed, RawSeries,
                                 close_only_prices, numbers, ohlc_prices, parse_times,
                                 read_table, require_columns)

_CLOCK_TIME = r"^\d{1,2}:\d\d(?::\d\d)?$|^\d{4}(?:\d\d)?$"   # 09:30, 09:30:00, 0930, 093000


def _ohlc_table(path: Path, text: str, mapping: dict[str, str] | None
                ) -> tuple[pd.DataFrame, str]:
    """The table and its separator; a file without a header (mapping values `#1`, `#2`...)
    gets its columns named by position."""
    first = text.splitlines()[0]
    sep = layouts.separator(first)
    if mapping and all(value.startswith("#") for value in mapping.values()):
        count = len(next(csv.reader([first], delimiter=sep), []))
        highest = max(int(value[1:]) for value in mapping.values())
        if highest > count:
            raise DataError(f"{path}: row 1 has {count} columns; --columns (or --map #N) names "
                            f"{highest}")
        return read_table(path, text, sep, header_lines=0,
                          names=[f"#{number}" for number in range(1, count + 1)]), sep
    return read_table(path, text, sep), sep


def _auto_mapping(table: pd.DataFrame) -> dict[str, str]:
    """Canonical name -> file column from the header (German names too): the first date-named
    column is the time, unless a date and a time-of-day column are both there (then joined)."""
    by_name: dict[str, str] = {}
    for column in table.columns:
        by_name.setdefault(layouts.canonical_name(str(column)), str(column))
    mapping = {name: by_name[name] for name in PRICE_COLUMNS + ("volume",) if name in by_name}
    if "date" in by_name and "time" in by_name and \
            table[by_name["time"]].fillna("").str.match(_CLOCK_TIME).all():
        return mapping | {"date": by_name["date"], "time": by_name["time"]}
    return mapping | {"time": next(by_name[name] for name in by_name if name in DATE_NAMES)}


def _stamps(path: Path, table: pd.DataFrame, mapping: dict[str, str],
            date_format: str | None) -> tuple[pd.Series, str]:
    """The time column (a date and a time column joined by a space) parsed by --date-format,
    else by the layout every cell has (layouts.TIME_LAYOUTS), else as ISO 8601; and a word on
    the layout for the format label."""
    joined = "date" in mapping and "time" in mapping
    require_columns(path, table, [mapping[key] for key in ("date", "time") if key in mapping])
    if joined:
        stamp = table[mapping["date"]].fillna("") + " " + table[mapping["time"]].fillna("")
    else:
        stamp = table[mapping.get("time", mapping.get("date"))]
    detail = ["date and time columns"] if joined else []
    if date_format:
        return parse_times(path, stamp, date_format, date_format), ", ".join(detail)
    layout = layouts.time_layout(stamp.fillna(""))
    if layout is None:
        return parse_times(path, stamp, "ISO8601", "ISO 8601 dates"), ", ".join(detail)
    name, fmt = layout
    detail.append(name + (", UTC" if fmt in layouts.EPOCH_FORMATS else ""))
    return parse_times(path, stamp, fmt, name), ", ".join(detail)


def read_ohlc(path: Path, text: str, mapping: dict[str, str] | None = None,
               date_format: str | None = None, name: str | None = None) -> Parsed:
    table, sep = _ohlc_table(path, text, mapping)
    generic = mapping is not None
    mapping = mapping or _auto_mapping(table)
    times, detail = _stamps(path, table, mapping, date_format)
    prices_mapped = [mapping[n] for n in PRICE_COLUMNS + ("volume",) if n in mapping]
    require_columns(path, table, prices_mapped)
    decimal_comma = sep != "," and layouts.uses_decimal_comma(table[prices_mapped].fillna(""))
    details = ([f"{'tab' if sep == chr(9) else repr(sep)}-separated"] if sep != "," else []) + \
        (["decimal commas"] if decimal_comma else []) + \
        (["no header"] if generic and table.columns[0] == "#1" else []) + ([detail] if detail
                                                                            else [])
    label = name or ("generic" if generic else "ohlc")
    if set(mapping) & {"open", "high", "low"}:
        prices = ohlc_prices(path, table, {n: mapping[n] for n in PRICE_COLUMNS},
                             mapping.get("volume"),
                       decimal_comma=decimal_comma)
        return Parsed(label + (f" ({', '.join(details)})" if details else ""),
                      [RawSeries("", prices, times)])
    close = numbers(path, table, mapping["close"], decimal_comma=decimal_comma)
    return Parsed(f"{label} ({', '.join(['close only'] + details)})",
                  [RawSeries("", close_only_prices(table, close), times, close_only=True)])


def read_tradingview(path: Path, text: str) -> Parsed:
    """TradingView's chart export: time in epoch seconds (UTC, bar open), open, high, low,
    close, then Volume and any plotted indicator columns (ignored)."""
    return read_ohlc(path, text, name="tradingview")


def read_ninjatrader(path: Path, text: str) -> Parsed:
    """NinjaTrader's export: no header, `yyyyMMdd HHmmss;open;high;low;close;volume` with each
    intraday bar stamped at its close (moved back one bar here: bars are labelled by their
    open), or `yyyyMMdd;...` for daily bars. Times are the exporting PC's time zone."""
    names = ["time", "open", "high", "low", "close", "volume"]
    table = read_table(path, text, ";", header_lines=0, names=names)
    layout = layouts.time_layout(table["time"].fillna(""))
    intraday = layout is not None and layout[1] == "%Y%m%d %H%M%S"
    fmt = "%Y%m%d %H%M%S" if intraday else "%Y%m%d"
    times = parse_times(path, table["time"], fmt, "yyyyMMdd HHmmss" if intraday else "yyyyMMdd")
    decimal_comma = layouts.uses_decimal_comma(table[names[1:]].fillna(""))
    prices = ohlc_prices(path, table, {n: n for n in PRICE_COLUMNS}, "volume",
                         decimal_comma=decimal_comma)
    notes = []
    if intraday and len(times) > 1:
        step = times.diff().dropna().mode().iloc[0]
        times = times - step
        notes.append(f"NinjaTrader stamps a bar at its close: times moved back one bar "
                     f"({_duration(step)}) to label each bar by its open")
        notes.append("NinjaTrader writes the exporting PC's time zone: name it with --clock "
                     "unless it is UTC")
    variant = "intraday" if intraday else "daily"
    return Parsed(f"ninjatrader ({variant}{', decimal commas' if decimal_comma else ''})",
                  [RawSeries("", prices, times)], notes)


def _duration(step: pd.Timedelta) -> str:
    minutes = int(step / pd.Timedelta(minutes=1))
    return f"{minutes // 60}h" if minutes % 60 == 0 else f"{minutes} min"
