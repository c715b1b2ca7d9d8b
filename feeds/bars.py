"""The canonical bar frame and bar sizes.

Canonical frame: tz-aware UTC DatetimeIndex named `time`, labelled by bar open, sorted and unique;
float64 columns `open high low close volume`. Daily bars carry their trading date at 00:00 UTC
(an exchange's local date; for MT5 and FX, the server day that ends 17:00 New York).
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from feeds.errors import DataError

COLUMNS = ("open", "high", "low", "close", "volume")
# nanoseconds in a day: UTC dates taken on a time index's integers (`midnights`)
DAY_NS = 86_400_000_000_000


def midnights(nanoseconds: np.ndarray) -> np.ndarray:
    """Each instant's midnight (of its UTC date, or of its naive date), in nanoseconds since the
    epoch: `DatetimeIndex.normalize()` on the integers, without its inferred frequency."""
    return nanoseconds // DAY_NS * DAY_NS
BARS: dict[str, pd.Timedelta] = {
    "1m": pd.Timedelta(minutes=1), "5m": pd.Timedelta(minutes=5),
    "15m": pd.Timedelta(minutes=15), "30m": pd.Timedelta(minutes=30),
    "1h": pd.Timedelta(hours=1), "4h": pd.Timedelta(hours=4),
    "1d": pd.Timedelta(days=1), "1w": pd.Timedelta(days=7),
}


# The span a bar's time must fall in: no exchange series we read starts before 1900, and a bar
# cannot open in the future; two days of margin cover trading dates ahead of UTC (Tokyo, Sydney).
EARLIEST_BAR = pd.Timestamp("1900-01-01")
FUTURE_MARGIN = pd.Timedelta(days=2)


def latest_bar() -> pd.Timestamp:
    """The latest bar time accepted now (naive UTC)."""
    return pd.Timestamp.now(tz="UTC").tz_localize(None).floor("s") + FUTURE_MARGIN


def span_problem(times: pd.Series) -> tuple[object, str] | None:
    """(index label, what is wrong) for the first time outside EARLIEST_BAR..latest_bar()."""
    naive = times.dt.tz_convert("UTC").dt.tz_localize(None) if times.dt.tz is not None else times
    latest = latest_bar()
    outside = np.flatnonzero(((naive < EARLIEST_BAR) | (naive > latest)).to_numpy())
    if not len(outside):
        return None
    label = times.index[outside[0]]
    if naive.iloc[outside[0]] < EARLIEST_BAR:
        return label, f"is before {EARLIEST_BAR.date()}; bars start in 1900 or later"
    return label, (f"is after {latest.date()} (today + {FUTURE_MARGIN.days} days); a bar "
                   "cannot open in the future")


def check_bar(bar: str) -> str:
    if bar not in BARS:
        raise DataError(f"--bar {bar!r} is not a bar size; expected one of {', '.join(BARS)}")
    return bar


def is_intraday(bar: str) -> bool:
    return BARS[bar] < BARS["1d"]


def infer_bar(times: pd.Series, where: str) -> str:
    """The bar size from the most common spacing between consecutive timestamps."""
    if len(times) < 2:
        raise DataError(f"{where}: fewer than two rows, cannot tell the bar size; pass --bar")
    ordered = np.sort(times.to_numpy())
    spacing = pd.Series(np.diff(ordered)).pipe(lambda d: d[d > pd.Timedelta(0)])
    if spacing.empty:
        raise DataError(f"{where}: all timestamps are equal; cannot tell the bar size")
    common = pd.Timedelta(spacing.mode().iloc[0])
    if common >= pd.Timedelta(days=28):
        raise DataError(f"{where}: monthly observations (most rows {common.days} days apart); the "
                        "store holds bars from 1m to 1w")
    for name, size in BARS.items():
        if common == size:
            return name
    if common % BARS["1d"] == pd.Timedelta(0) and common < BARS["1w"]:
        return "1d"  # a short daily file that happens to span weekends or holidays
    raise DataError(f"{where}: most rows are {common} apart, which is no bar size "
                    f"({', '.join(BARS)}); pass --bar")


def frame_sha256(frame: pd.DataFrame) -> str:
    """A content hash of a canonical frame (index and values), independent of file encoding."""
    digest = hashlib.sha256()
    digest.update(frame.index.as_unit("ns").asi8.tobytes())
    digest.update(np.ascontiguousarray(frame[list(COLUMNS)].to_numpy("float64")).tobytes())
    return digest.hexdigest()


def canonical(times_utc: pd.DatetimeIndex, prices: pd.DataFrame) -> pd.DataFrame:
    """Build the canonical frame from UTC stamps and prices in any order."""
    frame = pd.DataFrame({c: prices[c].to_numpy("float64") for c in COLUMNS},
                         index=pd.DatetimeIndex(times_utc).as_unit("ns"))
    frame.index.name = "time"
    return frame.sort_index(kind="mergesort")
