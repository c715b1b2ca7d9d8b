"""A backtrader feed that reads prepared numpy arrays: OHLCV plus precomputed signal lines.

Backtrader's PandasData reads the frame one cell at a time through pandas, about a third of a
run's time; this feed converts each column to a Python list once and copies plain floats per bar.
Extra lines (session flags, signals, `usd_per_local`, `volatility`) are declared per column set;
the classes are cached so each set is one class.
"""

from __future__ import annotations

from functools import lru_cache

import backtrader as bt
import numpy as np
import pandas as pd

BASE_COLUMNS = ("open", "high", "low", "close", "volume")
# backtrader's date number of 1970-01-01 00:00 (proleptic Gregorian ordinal)
EPOCH_ORDINAL = 719163.0


def date_numbers(index: pd.DatetimeIndex) -> np.ndarray:
    """UTC timestamps -> backtrader date numbers (days since year 1, as bt.date2num gives)."""
    nanoseconds = index.tz_convert("UTC").as_unit("ns").asi8.astype("float64")
    return EPOCH_ORDINAL + nanoseconds / 86_400e9


@lru_cache(maxsize=64)
def feed_class(extra: tuple[str, ...]) -> type:
    """An ArrayFeed subclass with `extra` lines."""

    def start(self):
        bt.feed.DataBase.start(self)
        frame: pd.DataFrame = self.p.frame
        columns = [("datetime", date_numbers(frame.index))]
        columns += [(name, frame[name].to_numpy("float64")) for name in BASE_COLUMNS + extra]
        self._pairs = [(getattr(self.lines, name), values.tolist()) for name, values in columns]
        self._position = -1
        self._size = len(frame)

    def _load(self):
        self._position += 1
        if self._position >= self._size:
            return False
        position = self._position
        for line, values in self._pairs:
            line[0] = values[position]
        return True

    return type(f"ArrayFeed_{'_'.join(extra) or 'plain'}", (bt.feed.DataBase,), {
        "lines": extra, "params": (("frame", None),), "start": start, "_load": _load})


def make_feed(frame: pd.DataFrame, name: str) -> bt.feed.DataBase:
    """A feed over `frame` (canonical columns plus any extra float columns)."""
    extra = tuple(c for c in frame.columns if c not in BASE_COLUMNS)
    return feed_class(extra)(frame=frame, name=name)
