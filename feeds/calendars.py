"""Trading dates and exchange calendars.

An intraday bar belongs to the trading date its session ends on: CME Globex trades from 17:00
Chicago for the next day's date, FX from 17:00 New York for the next value day. The rule comes
from the instrument's first session: when it crosses midnight, bars from its close time on belong
to the next date (so a bar stamped in the daily break counts with the session that follows).
Calendars come from exchange_calendars.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from feeds.bars import midnights
from feeds.instruments import Instrument

_EARLIEST, _LATEST = "1960-01-01", "2030-12-31"


def trading_dates(index: pd.DatetimeIndex, instrument: Instrument) -> pd.DatetimeIndex:
    """The trading date (naive midnight) of each UTC bar-open time."""
    local = index.tz_convert(instrument.timezone).tz_localize(None)
    if instrument.sessions:
        first = instrument.sessions[0]
        if first.open >= first.close:
            closes = pd.Timedelta(hours=first.close.hour, minutes=first.close.minute)
            local = local + (pd.Timedelta(days=1) - closes)
    return local.normalize()


def session_hours(instrument: Instrument) -> float:
    """Hours a 24-hour product trades per trading date (23 for CME, 24 for FX weeks)."""
    if not instrument.sessions:
        return 24.0
    first = instrument.sessions[0]
    start = dt.datetime.combine(dt.date(2000, 1, 1), first.open)
    end = dt.datetime.combine(dt.date(2000, 1, 1), first.close)
    hours = (end - start).total_seconds() / 3600
    return hours + 24 if hours <= 0 else hours


@lru_cache(maxsize=None)
def _calendar(name: str):
    """One calendar per name, over everything it can evaluate (built once, then sliced)."""
    import exchange_calendars as xcals

    earliest = type(xcals.get_calendar(name)).bound_min()
    start = max(pd.Timestamp(_EARLIEST), pd.Timestamp(earliest)) if earliest is not None \
        else pd.Timestamp(_EARLIEST)
    return xcals.get_calendar(name, start=start, end=pd.Timestamp(_LATEST))


def cache_folder() -> Path:
    """Where the session lists of built calendars are kept between processes (the user's cache
    directory: $XDG_CACHE_HOME, else ~/.cache)."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "carry-unwind" / "calendars"


def _cache_file(name: str) -> Path:
    """The cached session list of calendar `name`, named by everything its dates depend on:
    the calendar, the span built, and the exchange_calendars and pandas versions (their holiday
    rules)."""
    from importlib import metadata

    versions = f"xcals{metadata.version('exchange_calendars')}-pandas{pd.__version__}"
    safe = "".join(c if c.isalnum() else "_" for c in name)
    return cache_folder() / f"{safe}-{_EARLIEST}-{_LATEST}-{versions}.npy"


@lru_cache(maxsize=None)
def _all_sessions(name: str) -> np.ndarray:
    """Every session date of calendar `name` (int64 nanoseconds of naive midnights, sorted).
    Building an exchange calendar costs 0.1-0.6 s (its holiday rules over 70 years), so the
    list is read from the cache folder when an earlier process wrote it, else built and
    written there (a folder that cannot be written only costs the build)."""
    path = _cache_file(name)
    try:
        cached = np.load(path, allow_pickle=False)
        if cached.dtype == np.int64 and cached.ndim == 1 and len(cached) and \
                bool(np.all(np.diff(cached) > 0)):
            return cached
    except (OSError, ValueError):
        pass
    days = pd.DatetimeIndex(_calendar(name).sessions).tz_localize(None)
    found = days.as_unit("ns").asi8.copy()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        staged = path.with_name(f"{path.name}.{os.getpid()}.partial")
        with open(staged, "wb") as handle:
            np.save(handle, found, allow_pickle=False)
        os.replace(staged, path)
    except OSError:
        pass
    return found


def sessions(name: str, first: pd.Timestamp, last: pd.Timestamp) -> pd.DatetimeIndex:
    """Session dates (naive) of calendar `name` from `first` to `last` inclusive."""
    if name == "24/7":
        return pd.date_range(first.normalize(), last.normalize(), freq="D")
    every = _all_sessions(name)
    start = max(first.normalize().as_unit("ns").value, int(every[0]))
    end = min(last.normalize().as_unit("ns").value, int(every[-1]))
    if start > end:
        return pd.DatetimeIndex([])
    inside = every[np.searchsorted(every, start, side="left"):
                   np.searchsorted(every, end, side="right")]
    return pd.DatetimeIndex(inside.copy().view("datetime64[ns]"))


# known_at's answers by (time zone, daily close, the dates' zone and unit, their values' hash): one
# run asks for the same series' times several times (its lines, staleness, fills), and `unwind
# now` for the same inputs across playbooks; localising to a zone with DST is the cost.
_KNOWN: dict[tuple, pd.DatetimeIndex] = {}
_KNOWN_MAX = 256


def known_at(dates: pd.DatetimeIndex, instrument: Instrument) -> pd.DatetimeIndex:
    """When the daily bars of trading `dates` (00:00 UTC labels) are known, in UTC.

    A daily value is usable only after the instrument's `daily_close` on its trading date, in
    the instrument's time zone; before that moment a backtest must see the previous day's bar.
    """
    key = (instrument.timezone, instrument.daily_close, str(dates.tz), dates.unit,
           hashlib.sha256(dates.asi8.tobytes()).digest())   # not the bytes: 256 keys stay small
    found = _KNOWN.get(key)
    if found is None:
        close = dt.time.fromisoformat(instrument.daily_close)
        local = dates.tz_localize(None) + pd.Timedelta(hours=close.hour, minutes=close.minute)
        found = local.tz_localize(instrument.timezone, ambiguous=False,
                                  nonexistent="shift_forward").tz_convert("UTC")
        if len(_KNOWN) >= _KNOWN_MAX:
            _KNOWN.clear()
        _KNOWN[key] = found
    return found.copy()   # a new index object: a caller naming it cannot change the memo's


def session_open(dates: pd.DatetimeIndex, instrument: Instrument) -> pd.DatetimeIndex:
    """When trading date `dates` (00:00 UTC labels) opens, in UTC: the instrument's first
    session active on that date, opening the evening before when it crosses midnight (CME
    Globex 17:00 Chicago, FX 17:00 New York). A daily bar's open price was traded then, so a
    fill at a daily bar's open happens at this instant, not at 00:00."""
    naive = dates.tz_localize(None) if dates.tz is not None else dates
    if not instrument.sessions:
        return pd.DatetimeIndex(naive).tz_localize("UTC")
    # on the nanoseconds: the same days, session bounds and offsets as integers
    naive = pd.DatetimeIndex(naive).as_unit("ns")
    times = naive.asi8
    days = midnights(times)
    opens = times.copy()   # a date no session covers opens at its own label; NaT stays NaT
    unset = ~naive.isna()
    for session in instrument.sessions:   # the first session active on a date wins
        active = unset.copy()   # Session.active_on for every date (since/until inclusive)
        if session.since is not None:
            active &= days >= pd.Timestamp(session.since).value
        if session.until is not None:
            active &= days <= pd.Timestamp(session.until).value
        if session.open >= session.close:
            offset = pd.Timedelta(hours=session.open.hour - 24, minutes=session.open.minute)
        else:
            offset = pd.Timedelta(hours=session.open.hour, minutes=session.open.minute)
        opens[active] = times[active] + offset.value
        unset &= ~active
    local = pd.DatetimeIndex(opens.view("datetime64[ns]"))
    return local.tz_localize(instrument.timezone, ambiguous=False,
                             nonexistent="shift_forward").tz_convert("UTC")
