"""What a playbook's `prepare()` receives: the loaded bars and when each value became known.

Decision time of a bar is its close: bar open + bar size intraday, the instrument's daily close
for daily bars. `aligned()` gives any input as it was known at the decision times of a traded
series, which is the one rule that keeps signals free of look-ahead.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from feeds import instruments
from feeds.bars import BARS, is_intraday
from feeds.calendars import known_at
from strategies import signals


def availability(frame: pd.DataFrame, symbol: str, bar: str) -> pd.DatetimeIndex:
    """When each bar's values are known (its close)."""
    if is_intraday(bar):
        return frame.index + BARS[bar]
    return known_at(frame.index, instruments.get(symbol))


@dataclass
class Inputs:
    """Bars by (series, bar size), as loaded for the run (warm-up included)."""

    bars: dict[tuple[str, str], pd.DataFrame]
    # the traded futures' closes as `ratio_close` gives them, where they differ from `close`
    ratio_closes: dict[tuple[str, str], pd.Series] = field(default_factory=dict)

    def frame(self, symbol: str, bar: str) -> pd.DataFrame:
        return self.bars[(symbol, bar)]

    def ratio_close(self, symbol: str, bar: str) -> pd.Series:
        """Closes to take percentages of (returns, volatilities): for a roll-adjusted future
        their ratios are the contract's own returns, the same whatever window was loaded
        (feeds/rolls.py); `close` itself for every other series."""
        ratio = self.ratio_closes.get((symbol, bar))
        return ratio if ratio is not None else self.frame(symbol, bar)["close"]

    def has(self, symbol: str, bar: str) -> bool:
        return (symbol, bar) in self.bars

    # availability of a frame by (series, bar, the symbol it is read as): (the frame's index
    # it was computed on, the times); a run aligns many lines from and onto the same frames
    _known: dict = field(init=False, default_factory=dict, repr=False, compare=False)

    def _availability(self, symbol: str, bar: str, read_as: str) -> pd.DatetimeIndex:
        frame = self.frame(symbol, bar)
        found = self._known.get((symbol, bar, read_as))
        if found is None or found[0] is not frame.index:
            found = self._known[(symbol, bar, read_as)] = \
                (frame.index, availability(frame, read_as, bar))
        return found[1].copy()   # a new index object: naming it cannot change the kept one

    # decision lines by (playbook, parameters): (the frames they were computed from, a copy)
    _lines: dict = field(init=False, default_factory=dict, repr=False, compare=False)

    def lines_once(self, key: tuple, compute) -> dict[str, pd.DataFrame]:
        """`compute()` (a playbook's decision lines at given parameters), computed once per
        `key` while these inputs hold the same frames: a playbook's rule notes read the lines
        its prepare() gave the engine. Each caller gets its own copy of the frames."""
        frames = (tuple(self.bars.items()), tuple(self.ratio_closes.items()))
        found = self._lines.get(key)
        if found is not None and _same(found[0], frames):
            return {name: frame.copy() for name, frame in found[1].items()}
        lines = compute()
        self._lines[key] = (frames, {name: frame.copy() for name, frame in lines.items()})
        return lines

    def decision_times(self, symbol: str, bar: str) -> pd.DatetimeIndex:
        return self._availability(symbol, bar, symbol.split("@")[0])

    def aligned(self, values: pd.Series | pd.DataFrame, symbol: str, bar: str,
                onto: tuple[str, str]) -> pd.DataFrame:
        """`values` computed on series (symbol, bar), as known at the decisions of `onto`."""
        source = self.frame(symbol, bar)
        return signals.align(values.reindex(source.index), self._availability(symbol, bar, symbol),
                             self.decision_times(*onto)).set_axis(self.frame(*onto).index)


def _same(kept: tuple, frames: tuple) -> bool:
    """The same keys holding the same frame objects."""
    return all(len(a) == len(b) and all(x[0] == y[0] and x[1] is y[1] for x, y in zip(a, b))
               for a, b in zip(kept, frames))
