"""Cross-source checks: does series A say the same as series B where both cover a period?

The finer series is aggregated onto the coarser one's bars (intraday onto daily by trading date,
hourly onto 4-hour bars by interval), and only bars the finer series covers completely are
compared. Where they part is reported as runs of consecutive disagreeing bars. `scan_offsets`
asks which clock shift makes an intraday series agree best with an independent daily one, year
by year: the way to find out what clock an old export really used.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from feeds.bars import BARS, is_intraday
from feeds.calendars import trading_dates
from feeds.errors import DataError
from feeds.instruments import Instrument

_AGGREGATE = {"open": "first", "high": "max", "low": "min", "close": "last"}


@dataclass(frozen=True)
class Parting:
    first: str
    last: str
    bars: int
    worst_deviation: float


@dataclass(frozen=True)
class Comparison:
    fields: tuple[str, ...]
    compared: int
    agreeing: int
    skipped_partial: int
    tolerance: float
    median_deviation: float
    p99_deviation: float
    max_deviation: float
    partings: tuple[Parting, ...] = field(default_factory=tuple)

    def to_json(self) -> dict:
        return {**self.__dict__, "fields": list(self.fields),
                "partings": [p.__dict__ for p in self.partings]}


def to_daily(frame: pd.DataFrame, instrument: Instrument) -> tuple[pd.DataFrame, pd.Series]:
    """Intraday bars -> daily bars by trading date, with the number of bars in each day."""
    dates = trading_dates(frame.index, instrument).tz_localize("UTC")
    grouped = frame.groupby(dates)
    return grouped.agg(_AGGREGATE), grouped.size()


def onto(fine: pd.DataFrame, coarse_index: pd.DatetimeIndex, coarse_bar: str
         ) -> tuple[pd.DataFrame, pd.Series]:
    """Aggregate `fine` bars into the intervals [t, t + coarse_bar) of `coarse_index`."""
    position = coarse_index.searchsorted(fine.index, side="right") - 1
    inside = position >= 0
    inside[inside] = fine.index[inside] < coarse_index[position[inside]] + BARS[coarse_bar]
    grouped = fine[inside].groupby(coarse_index[position[inside]])
    return grouped.agg(_AGGREGATE), grouped.size()


def compare(first: pd.DataFrame, first_bar: str, second: pd.DataFrame, second_bar: str,
            instrument: Instrument, tolerance: float, close_only: bool) -> Comparison:
    """Compare two series of one instrument; `tolerance` is a relative deviation (0.001 = 0.1%)."""
    if BARS[first_bar] > BARS[second_bar]:
        first, first_bar, second, second_bar = second, second_bar, first, first_bar
    skipped = 0
    if first_bar != second_bar:
        if is_intraday(second_bar):
            aggregated, counts = onto(first, second.index, second_bar)
            full = BARS[second_bar] // BARS[first_bar]
        else:
            aggregated, counts = to_daily(first, instrument)
            full = counts.max()
        complete = counts >= full if is_intraday(second_bar) else counts >= 0.9 * full
        skipped = int((~complete).sum())
        first = aggregated[complete]
    fields = ("close",) if close_only else ("open", "high", "low", "close")
    common = first.index.intersection(second.index)
    if common.empty:
        raise DataError("the two series share no period to compare")
    left = first.loc[common, list(fields)].to_numpy()
    right = second.loc[common, list(fields)].to_numpy()
    deviation = (np.abs(left - right) / np.abs(right)).max(axis=1)
    bad = deviation > tolerance
    return Comparison(fields, len(common), int((~bad).sum()), skipped, tolerance,
                      float(np.median(deviation)), float(np.quantile(deviation, 0.99)),
                      float(deviation.max()), _partings(common, bad, deviation))


def _partings(index: pd.DatetimeIndex, bad: np.ndarray, deviation: np.ndarray,
              limit: int = 10) -> tuple[Parting, ...]:
    positions = np.flatnonzero(bad)
    if positions.size == 0:
        return ()
    runs = np.split(positions, np.flatnonzero(np.diff(positions) != 1) + 1)
    partings = [Parting(index[r[0]].isoformat(), index[r[-1]].isoformat(), len(r),
                        float(deviation[r].max())) for r in runs]
    return tuple(sorted(partings, key=lambda p: -p.worst_deviation)[:limit])


def scan_offsets(intraday: pd.DataFrame, daily: pd.DataFrame, instrument: Instrument,
                 tolerance: float, hours: range = range(-3, 4)) -> pd.DataFrame:
    """Share of days whose high and low agree, per year (rows) and clock shift in hours (columns).

    A shift of +2 means "the intraday stamps are really 2 hours later than we read them".
    """
    table = {}
    for shift in hours:
        shifted = intraday.set_axis(intraday.index + pd.Timedelta(hours=shift))
        days, counts = to_daily(shifted, instrument)
        days = days[counts >= 0.9 * counts.max()]
        common = days.index.intersection(daily.index)
        ours, theirs = days.loc[common], daily.loc[common]
        agree = ((ours["high"] - theirs["high"]).abs() <= tolerance * theirs["high"]) & \
            ((ours["low"] - theirs["low"]).abs() <= tolerance * theirs["low"])
        table[shift] = agree.groupby(common.year).mean()
    return pd.DataFrame(table).rename_axis(index="year", columns="shift_hours")


def weekly_opens(frame: pd.DataFrame, zone: str = "America/New_York") -> pd.Series:
    """Per year, the most common local weekday and time of the first bar after a weekend.

    FX and spot metals open on Sunday at 17:00 New York whatever the exporter's clock; a year whose
    first bars sit elsewhere was stamped on a different clock than we converted from.
    """
    after_gap = frame.index[1:][np.diff(frame.index.asi8) > pd.Timedelta(hours=30).value]
    local = after_gap.tz_convert(zone)
    labels = pd.Series(local.strftime("%a %H:%M"), index=local.year)
    return labels.groupby(level=0).agg(lambda s: s.value_counts().index[0]).rename("weekly_open")
