"""Turning the wall-clock times in exported files into UTC.

MetaTrader 5 brokers stamp bars in "server time", not UTC. The common convention ("New York
close") keeps 17:00 New York at 00:00 server time, so the server runs at UTC+2 while the US is on
standard time and UTC+3 while it is on daylight time, switching on US dates. Other brokers run the
same offsets on EU dates (the Europe/Athens wall clock), or a fixed offset. Which one a file uses is
stated per file in the import table (tests/raw_files.py) or with `--clock`, and checked against the
data at import (feeds/clock_evidence.py).
"""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd

from feeds.errors import DataError

NEW_YORK_CLOSE = "ny-close"
EUROPEAN_DST = "Europe/Athens"
# The two MT5 server clocks seen in the wild: the same UTC+2/UTC+3 on US or on EU DST dates.
MT5_CLOCKS = (NEW_YORK_CLOSE, EUROPEAN_DST)
CLOCK_HELP = ("ny-close (UTC+2 winter / UTC+3 summer on US DST dates, the MT5 default), "
              "Europe/Athens (the same on EU DST dates), utc, a fixed offset such as +02:00, or "
              "another IANA zone")
_OFFSET = re.compile(r"^(?:UTC)?([+-])(\d{1,2})(?::?(\d{2}))?$", re.IGNORECASE)


def describe(clock: str) -> str:
    """One line for the manifest: what conversion was applied."""
    if clock == NEW_YORK_CLOSE:
        return "MT5 server time (New York close: UTC+2, UTC+3 during US DST) -> UTC"
    if clock == EUROPEAN_DST:
        return "MT5 server time (Europe/Athens: UTC+2, UTC+3 during EU DST) -> UTC"
    return f"{clock} -> UTC"


def validate(clock: str) -> str:
    """Return `clock` if it names a known convention, else raise a one-line DataError."""
    offset = _OFFSET.match(clock)
    if clock in (NEW_YORK_CLOSE, "utc", "UTC") or (
            offset and int(offset.group(2)) <= 14 and int(offset.group(3) or 0) < 60):
        return clock
    try:
        ZoneInfo(clock)
    except (ZoneInfoNotFoundError, ValueError):
        raise DataError(f"--clock {clock!r} is not a clock; expected {CLOCK_HELP}") from None
    return clock


def to_utc(local: pd.DatetimeIndex, clock: str) -> pd.DatetimeIndex:
    """Convert naive wall-clock stamps under `clock` to a tz-aware UTC index."""
    validate(clock)
    if clock.lower() == "utc":
        return local.tz_localize("UTC")
    offset = _OFFSET.match(clock)
    if offset:
        sign, hours, minutes = offset.groups()
        delta = pd.Timedelta(hours=int(hours), minutes=int(minutes or 0))
        return (local - delta if sign == "+" else local + delta).tz_localize("UTC")
    if clock == NEW_YORK_CLOSE:
        return _new_york_close_to_utc(local)
    return local.tz_localize(clock, ambiguous="NaT", nonexistent="NaT").tz_convert("UTC")


def _new_york_close_to_utc(server: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """Server time = New York time + 7 h, so UTC = server - 2 h - (1 h while US DST is in force).

    Deciding DST at `server - 2 h` read as UTC is right for every bar that can exist: the US
    switches at 06:00 or 07:00 UTC on a Sunday, when FX and metals are closed.
    """
    guess = (server - pd.Timedelta(hours=2)).tz_localize("UTC")
    naive_guess = guess.tz_localize(None)
    new_york_offset = guess.tz_convert("America/New_York").tz_localize(None) - naive_guess
    daylight = new_york_offset == pd.Timedelta(hours=-4)
    return guess - pd.to_timedelta(daylight.astype("int64"), unit="h")
