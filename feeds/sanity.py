"""Numbers no market prints: the one definition of what import refuses and the quality gate
blocks on read (so a store imported before these rules is covered too).

Every limit was measured on the 87 series of the real store (`make import-raw`) and sits well
outside what they hold, so a real export passes and a garbage one does not:
- a price above PRICE_CEILING, or (for instruments that are prices) below PRICE_FLOOR: the
  largest real price is the Nikkei's 72,830, the smallest positive one 0.022 (JGB20Y);
- a price more than NEIGHBOUR_MULTIPLE times (or under 1/NEIGHBOUR_MULTIPLE of) the median
  close of its NEIGHBOURS bars around it: a bar x1000 is a print, not a price. The real store's
  worst is 21.4 (an EURUSD Yahoo open), the next 5.9;
- high below low by more than HIGH_BELOW_LOW_SHARE of the close, or on more than one row in
  HIGH_BELOW_LOW_RARITY: the real store has two such rows in 870,000 (GC 2009-11-23 by 0.11%,
  NIKKEI225 2005-07-05 by 0.44%); high and low swapped on every row is not a vendor's slip;
- a volume below zero or above VOLUME_CEILING (SPY's busiest day: 8.7e8 shares);
- rows closer together than the bar size (daily rows imported as `--bar 1w`, 15-minute rows in
  an hourly file), and intraday rows off the file's own phase (an hourly file has no :30 row;
  4-hour MT5 bars shift by an hour at DST, so the phase is taken modulo one hour at most).
Open or close outside high..low (`outside_high_low`) is common in real exports (Yahoo futures
2003-2008: GC 442 rows, DAX 1,415): import refuses such a file unless `--repair-ohlc widen` is
given, which widens high and low to take in the open and close (`widen`); the quality gate judges
those rows, repaired or not, by their yearly share (feeds.quality).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from feeds.bars import BARS, COLUMNS, is_intraday
from feeds.instruments import Instrument
from feeds.manifest import Repair

PRICE_CEILING = 1e7
PRICE_FLOOR = 1e-6
NEIGHBOUR_MULTIPLE = 100.0
NEIGHBOURS = 21
HIGH_BELOW_LOW_SHARE = 0.01
HIGH_BELOW_LOW_RARITY = 1000
VOLUME_CEILING = 1e12
_ROUNDING = 1e-9
_PRICES = ("open", "high", "low", "close")
# The one repair of open or close outside high..low, and the flag that asks for it.
REPAIR_OHLC = ("widen",)
REPAIR_OHLC_FLAG = "--repair-ohlc"
# Stretches of repaired rows a manifest records (each about 60 bytes; manifests are read up to
# 1 MiB): the real store's worst file, DAX, needs far fewer.
REPAIR_RUNS_CEILING = 10_000


@dataclass(frozen=True)
class Problem:
    """Rows a rule refuses: `check` names the rule (the quality gate's finding), `rows` marks
    them, `first` says what is wrong with the first one (without its time or row)."""

    check: str
    rows: np.ndarray
    first: str

    @property
    def position(self) -> int:
        return int(np.flatnonzero(self.rows)[0])


def price_columns(frame: pd.DataFrame) -> np.ndarray:
    """The open, high, low and close columns as one (rows, 4) float array, not to be written.
    Taking them by a list of names builds a new frame (0.3 ms a call, and the quality gate took
    them three times a window); a canonical frame (its columns COLUMNS, all float64) hands out
    a view of its own values, the same numbers."""
    if tuple(frame.columns) == COLUMNS and \
            all(kind == np.float64 for kind in frame.dtypes.to_numpy()):
        return frame.to_numpy()[:, :4]
    return frame[list(_PRICES)].to_numpy()


def problems(frame: pd.DataFrame, instrument: Instrument, bar: str) -> list[Problem]:
    """Every rule `frame` (canonical columns, sorted UTC index, finite values) breaks."""
    if frame.empty:
        return []
    bounds, neighbours = _price_bounds(frame, instrument), _neighbours(frame, instrument)
    if bounds is not None and neighbours is not None:   # one finding: the rows either rule flags
        bounds = Problem(bounds.check, bounds.rows | neighbours.rows, bounds.first) \
            if bounds.position <= neighbours.position else \
            Problem(neighbours.check, bounds.rows | neighbours.rows, neighbours.first)
        neighbours = None
    found = [bounds, neighbours, _high_below_low(frame), _volume(frame), _spacing(frame, bar),
             _phase(frame, bar)]
    return [problem for problem in found if problem is not None]


def _price_bounds(frame: pd.DataFrame, instrument: Instrument) -> Problem | None:
    prices = price_columns(frame)
    high = np.abs(prices) > PRICE_CEILING
    low = (prices < PRICE_FLOOR) if not instrument.allows_non_positive else np.zeros_like(high)
    bad = high | low
    rows = bad.any(axis=1)
    if not rows.any():
        return None
    position = int(np.flatnonzero(rows)[0])
    column = int(np.flatnonzero(bad[position])[0])
    value = prices[position, column]
    limit = f"above {PRICE_CEILING:g}" if high[position, column] else f"below {PRICE_FLOOR:g}"
    return Problem("implausible_price", rows,
                   f"{_PRICES[column]} {value:g} is {limit}, no price {instrument.symbol} has had")


def _neighbours(frame: pd.DataFrame, instrument: Instrument) -> Problem | None:
    if instrument.allows_non_positive:   # a yield or spread near zero has no useful ratio
        return None
    prices = price_columns(frame)
    median = frame["close"].rolling(NEIGHBOURS, center=True, min_periods=1).median().to_numpy()
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        ratio = prices / median[:, None]
    bad = (ratio > NEIGHBOUR_MULTIPLE) | (ratio < 1 / NEIGHBOUR_MULTIPLE)
    rows = bad.any(axis=1)
    if not rows.any():
        return None
    position = int(np.flatnonzero(rows)[0])
    column = int(np.flatnonzero(bad[position])[0])
    return Problem("implausible_price", rows,
                   f"{_PRICES[column]} {prices[position, column]:g} is {ratio[position, column]:.3g}"
                   f" times the median close {median[position]:g} of the {NEIGHBOURS} bars around "
                   f"it (limit {NEIGHBOUR_MULTIPLE:g}x either way): a bad print, not a price")


def _high_below_low(frame: pd.DataFrame) -> Problem | None:
    high, low, close = (frame[name].to_numpy() for name in ("high", "low", "close"))
    below = low - high
    rows = below > _ROUNDING * np.abs(close)
    if not rows.any():
        return None
    large = below > HIGH_BELOW_LOW_SHARE * np.abs(close)
    if not large.any() and rows.sum() * HIGH_BELOW_LOW_RARITY <= len(frame):
        return None   # a rare slip by a hair, as real exports have
    flagged = large if large.any() else rows
    position = int(np.flatnonzero(flagged)[0])
    return Problem("high_below_low", flagged,
                   f"high {high[position]:g} is below low {low[position]:g}"
                   + ("" if large.any() else f" (on {int(rows.sum()):,} of {len(frame):,} rows: "
                      "high and low swapped?)"))


def _volume(frame: pd.DataFrame) -> Problem | None:
    volume = frame["volume"].to_numpy()
    rows = (volume < 0) | (volume > VOLUME_CEILING)
    if not rows.any():
        return None
    value = volume[np.flatnonzero(rows)[0]]
    why = "below zero" if value < 0 else f"above {VOLUME_CEILING:g}"
    return Problem("implausible_volume", rows, f"volume {value:g} is {why}")


def _spacing(frame: pd.DataFrame, bar: str) -> Problem | None:
    if len(frame) < 2:
        return None
    steps = np.diff(frame.index.as_unit("ns").asi8)
    rows = np.r_[False, steps < BARS[bar].value]
    if not rows.any():
        return None
    position = int(np.flatnonzero(rows)[0])
    gap = pd.Timedelta(int(steps[position - 1]))
    return Problem("bar_spacing", rows,
                   f"follows the bar before it by {_duration(gap)}, less than the bar size "
                   f"{bar}; the rows are not {bar} bars")


def _phase(frame: pd.DataFrame, bar: str) -> Problem | None:
    if not is_intraday(bar) or len(frame) < 2:
        return None
    modulus = min(BARS[bar], BARS["1h"]).value
    phases = frame.index.as_unit("ns").asi8 % modulus
    values, counts = np.unique(phases, return_counts=True)
    if len(values) == 1:
        return None
    usual = values[np.argmax(counts)]
    rows = phases != usual
    return Problem("bar_phase", rows,
                   f"is off the file's {bar} grid (its other bars open at "
                   f":{pd.Timedelta(int(usual)).seconds // 60 % 60:02d} past the hour)")


def _duration(gap: pd.Timedelta) -> str:
    if gap >= pd.Timedelta(days=1):
        return f"{gap.days} day{'s' if gap.days != 1 else ''}"
    minutes = int(gap.total_seconds() // 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def outside_high_low(frame: pd.DataFrame) -> np.ndarray:
    """Rows whose open or close lies outside high..low (or whose high is below its low) by more
    than rounding: the bar's four prices do not describe one bar."""
    open_, high, low, close = (frame[name].to_numpy() for name in _PRICES)
    tolerance = _ROUNDING * np.abs(close)
    return (high + tolerance < np.maximum(open_, close)) | \
        (low - tolerance > np.minimum(open_, close)) | (high + tolerance < low)


def widen(frame: pd.DataFrame, rows: np.ndarray) -> pd.DataFrame:
    """`frame` with high and low of `rows` widened to the largest and smallest of the row's four
    prices (high = max(open, high, close), low = min(open, low, close) when high >= low): the
    conventional repair, which keeps every printed price inside its bar and moves no other."""
    prices = frame[list(_PRICES)].to_numpy()[rows]
    repaired = frame.copy()
    repaired.loc[rows, "high"] = prices.max(axis=1)
    repaired.loc[rows, "low"] = prices.min(axis=1)
    return repaired


def repair_record(index: pd.DatetimeIndex, repaired: pd.DatetimeIndex, method: str
                  ) -> Repair | None:
    """The manifest's record of the rows of `index` in `repaired` (None when there are none)."""
    positions = np.sort(index.get_indexer(repaired))
    positions = positions[positions >= 0]
    if not len(positions):
        return None
    breaks = np.flatnonzero(np.diff(positions) != 1)
    starts, ends = np.r_[positions[0], positions[breaks + 1]], np.r_[positions[breaks],
                                                                     positions[-1]]
    return Repair(f"{REPAIR_OHLC_FLAG} {method}", len(positions),
                  tuple((index[start].isoformat(), index[end].isoformat())
                        for start, end in zip(starts, ends)))


def repaired_rows(index: pd.DatetimeIndex, repairs: tuple[Repair, ...]) -> np.ndarray:
    """Which bars of `index` (the whole stored series or any window of it) a recorded repair
    changed: every stored row from the first to the last bar of a run was repaired."""
    marked = np.zeros(len(index), dtype=bool)
    stamps = index.as_unit("ns").asi8
    for repair in repairs:
        for first, last in repair.runs:
            start, end = (pd.Timestamp(first).as_unit("ns").value,
                          pd.Timestamp(last).as_unit("ns").value)
            marked[np.searchsorted(stamps, start):np.searchsorted(stamps, end, side="right")] = \
                True
    return marked
