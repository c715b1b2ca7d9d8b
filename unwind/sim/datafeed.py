"""A backtrader feed that reads prepared numpy arrays: OHLCV plus precomputed signal lines.

Backtrader's PandasData reads the frame one cell at a time through pandas, about a third of a
run's time. This feed fills each line's buffer in one step when backtrader preloads (the same
float64 values a bar-by-bar load would copy), and copies plain floats per bar when it does not.
Per bar, backtrader's feed also copies every line into a `tick_<line>` attribute and clears them
again; only the broker reads those, and only open, high, low and close, so this feed keeps the
ticks of the OHLCV lines alone: the same fills, with per-bar work that does not grow with the
number of signal lines. Extra lines (session flags, signals, `usd_per_local`, `volatility`) are
declared per column set; the classes are cached so each set is one class.
"""

from __future__ import annotations

from functools import lru_cache

import backtrader as bt
import numpy as np
import pandas as pd

from unwind.compat import date_numbers

BASE_COLUMNS = ("open", "high", "low", "close", "volume")
# The lines whose tick_ attributes backtrader's broker reads (bbroker._try_exec: open, high,
# low, close) plus volume and openinterest, as backtrader's own OHLC feeds carry them.
TICK_LINES = BASE_COLUMNS + ("openinterest",)
@lru_cache(maxsize=64)
def feed_class(extra: tuple[str, ...]) -> type:
    """An ArrayFeed subclass with `extra` lines."""

    def start(self):
        bt.feed.DataBase.start(self)
        frame: pd.DataFrame = self.p.frame
        columns = [("datetime", date_numbers(frame.index))]
        columns += [(name, frame[name].to_numpy("float64")) for name in BASE_COLUMNS + extra]
        self._columns = [(getattr(self.lines, name), values) for name, values in columns]
        self._pairs = None   # per-bar lists, made only when backtrader loads bar by bar
        self._buffers = None   # the line buffers, once preloaded
        self._position = -1
        self._size = len(frame)

    def preload(self):
        """All bars at once: each line's buffer extended by its column (what `_load` would copy
        bar by bar), then rewound to the first bar, as backtrader's preload leaves it."""
        for line, values in self._columns:
            line.array.frombytes(values.tobytes())
        filled = {id(line) for line, _ in self._columns}
        unset = np.full(self._size, np.nan).tobytes()   # openinterest: NaN, as forward() leaves it
        for line in self.lines:
            if id(line) not in filled:
                line.array.frombytes(unset)
        self._position = self._size
        self._last()
        self.home()
        if all(line.mode == line.UnBounded for line in self.lines):
            self._buffers = list(self.lines)
            self._ticks = [(f"tick_{name}", getattr(self.lines, name)) for name in TICK_LINES]

    def advance(self, size=1, datamaster=None, ticks=True):
        """backtrader's DataBase.advance for the call its preloaded run makes (one bar, no
        master): every line's index moves on, and the OHLCV ticks are the new bar's values
        while bars remain (None at the last, as backtrader leaves them)."""
        if self._buffers is None or size != 1 or datamaster is not None:
            return bt.feed.DataBase.advance(self, size, datamaster, ticks)
        for line in self._buffers:
            line._idx += 1
            line.lencount += 1
        if ticks:
            filling = self._buffers[0].lencount < self._size
            for name, line in self._ticks:
                setattr(self, name, line.array[line._idx] if filling else None)
            self.tick_last = self.tick_close

    def _load(self):
        self._position += 1
        if self._position >= self._size:
            return False
        if self._pairs is None:
            self._pairs = [(line, values.tolist()) for line, values in self._columns]
        position = self._position
        for line, values in self._pairs:
            line[0] = values[position]
        return True

    def _tick_nullify(self):
        for name in TICK_LINES:
            setattr(self, "tick_" + name, None)
        self.tick_last = None

    def _tick_fill(self, force=False):
        if force or getattr(self, "tick_close", None) is None:
            lines = self.lines
            for name in TICK_LINES:
                setattr(self, "tick_" + name, getattr(lines, name)[0])
            self.tick_last = lines.close[0]

    return type(f"ArrayFeed_{'_'.join(extra) or 'plain'}", (bt.feed.DataBase,), {
        "lines": extra, "params": (("frame", None),), "start": start, "preload": preload,
        "advance": advance, "_load": _load, "_tick_nullify": _tick_nullify,
        "_tick_fill": _tick_fill})


def make_feed(frame: pd.DataFrame, name: str) -> bt.feed.DataBase:
    """A feed over `frame` (canonical columns plus any extra float columns)."""
    extra = tuple(c for c in frame.columns if c not in BASE_COLUMNS)
    return feed_class(extra)(frame=frame, name=name)
