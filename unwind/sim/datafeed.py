"""A backtrader feed that reads prepared numpy arrays: OHLCV plus precomputed signal lines.

Backtrader's PandasData reads the frame one cell at a time through pandas, about a third of a
run's time. This feed fills each line's buffer in one step when backtrader preloads (the same
float64 values a bar-by-bar load would copy), and copies plain floats per bar when it does not.
Per bar, backtrader's feed also copies every line into a `tick_<line>` attribute and clears them
again; only the broker reads those (bbroker._try_exec: open, high, low, close), and where a tick
is None it reads the line's value at the bar instead, which is the value the tick would hold. So
a preloaded run moves the lines' indices and leaves the ticks None: the same fills, with per-bar
work of two increments per line. Each line is also an attribute of the feed (`feed.close`), the
buffer backtrader's __getattr__ would return, reached without its search. Extra lines (session
flags, signals, `usd_per_local`, `volatility`) are declared per column set; the classes are
cached so each set is one class.
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
        # one conversion of the whole frame (a column taken through pandas costs tens of
        # microseconds, a run's fixed cost times its 30 lines), one row per column after it
        block = np.ascontiguousarray(frame.to_numpy("float64").T)
        columns = [("datetime", date_numbers(frame.index))]
        columns += [(name, block[frame.columns.get_loc(name)]) for name in BASE_COLUMNS + extra]
        self._columns = [(getattr(self.lines, name), values) for name, values in columns]
        self._pairs = None   # per-bar lists, made only when backtrader loads bar by bar
        self._buffers = None   # the line buffers, once preloaded
        self._position = -1
        self._size = len(frame)
        # `feed.close` finds its line here, where backtrader finds it through __getattr__ after
        # a failed search of the class's ancestry (the broker, the book and every playbook read
        # lines so, several times a bar): the same buffer object, about 4x faster to reach.
        # Names the class itself has are left to it, so every lookup returns what it did.
        for name in self.lines.getlinealiases():
            if not hasattr(type(self), name) and name not in vars(self):
                vars(self)[name] = getattr(self.lines, name)

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
            self._clock = self.lines.datetime
            self._tick_nullify()

    def advance_peek(self):
        """The next bar's date number (inf past the last): backtrader's advance_peek read
        from the clock line's buffer."""
        if self._buffers is None:
            return bt.feed.DataBase.advance_peek(self)
        clock = self._clock
        return clock.array[clock._idx + 1] if clock.lencount < self._size else float("inf")

    def advance(self, size=1, datamaster=None, ticks=True):
        """backtrader's DataBase.advance for the call its preloaded run makes (one bar, no
        master): every line's index moves on; the ticks stay None (the broker then reads the
        bar's open, high, low and close from the lines, the values backtrader's ticks hold)."""
        if self._buffers is None or size != 1 or datamaster is not None:
            return bt.feed.DataBase.advance(self, size, datamaster, ticks)
        if ticks and self.tick_close is not None:   # set by a call the fast path did not make
            self._tick_nullify()
        for line in self._buffers:
            line._idx += 1
            line.lencount += 1

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
        "advance_peek": advance_peek, "advance": advance, "_load": _load,
        "_tick_nullify": _tick_nullify,
        "_tick_fill": _tick_fill})


def make_feed(frame: pd.DataFrame, name: str) -> bt.feed.DataBase:
    """A feed over `frame` (canonical columns plus any extra float columns)."""
    extra = tuple(c for c in frame.columns if c not in BASE_COLUMNS)
    return feed_class(extra)(frame=frame, name=name)
