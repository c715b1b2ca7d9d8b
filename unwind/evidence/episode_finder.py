"""Episodes found by a stated rule, so the windows a playbook is scored on are not hand-picked.

`find("carry-unwind", usdjpy_daily_close)` returns every window of the series that meets the
rule, merged, with the catalogue episode each one overlaps (`catalogued_as`). `RULES` holds each
rule's parameters with their units and reasons, and what was measured to choose them.
`false_alarms` scores a playbook's trigger against the found windows.

The rule `carry-unwind`, day by day on daily closes (every value known at that day's close):
- fall: the close is at least `fall` below the highest close of the previous `within_days`
  trading days (the peak);
- stress: the yen's realised volatility (standard deviation of the last `volatility_days`
  daily log changes of USDJPY, annualised with 252) is above the `volatility_percentile`-th
  percentile of its own values over the previous `history_days` trading days (at least 252).
  A trailing percentile, not one fixed number: it uses no data after the day it judges, and it
  reads "stressed for its time", so a 4% fall in the calm of 2017 counts like one in 2008.
A day meeting both is a hit. Each hit spans from its peak to `within_days` trading days after
it (the aftermath, in which a playbook's exits fall); overlapping spans merge into one window:
`start` = the earliest peak, `trigger` = the first hit day, `end` = the last span's end (or the
last day of the series).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping

import numpy as np
import pandas as pd

from feeds.errors import DataError, nearest


@dataclass(frozen=True)
class Parameter:
    value: float
    unit: str
    reason: str


@dataclass(frozen=True)
class FoundEpisode:
    """One window found by a rule. Dates are YYYY-MM-DD (the series' trading dates)."""

    start: str
    end: str
    trigger: str
    catalogued_as: str | None     # the overlapping catalogue episode's id (largest overlap)
    largest_fall: float           # the deepest fall from the peak at a hit day (negative)

    def to_json(self) -> dict:
        return {"start": self.start, "end": self.end, "trigger": self.trigger,
                "catalogued_as": self.catalogued_as}


@dataclass(frozen=True)
class Rule:
    name: str
    description: str
    parameters: Mapping[str, Parameter]
    calibration: str      # what was measured to choose the parameters, on which data
    hits: Callable[..., pd.DataFrame]   # (close, **values) -> frame of hit days (see below)
    instrument: str = "USDJPY"   # whose daily closes it reads (the series USDJPY or USDJPY@TAG)

    def values(self, overrides: Mapping[str, float]) -> dict[str, float]:
        unknown = [name for name in overrides if name not in self.parameters]
        if unknown:
            raise DataError(f"rule {self.name!r} has no parameter {unknown[0]!r}"
                            f"{nearest(unknown[0], self.parameters)}; it has "
                            f"{', '.join(self.parameters)}")
        return {name: overrides.get(name, p.value) for name, p in self.parameters.items()}

    def to_json(self, overrides: Mapping[str, float] | None = None) -> dict:
        values = self.values(overrides or {})
        return {name: {"value": values[name], "unit": p.unit, "reason": p.reason}
                for name, p in self.parameters.items()}


def realised_volatility(close: pd.Series, days: int) -> pd.Series:
    """Annualised standard deviation of the last `days` daily log changes (fraction a year)."""
    return np.log(close).diff().rolling(int(days)).std() * np.sqrt(252)


def _carry_unwind_hits(close: pd.Series, fall: float, within_days: float,
                       volatility_percentile: float, volatility_days: float,
                       history_days: float) -> pd.DataFrame:
    """Hit days of `carry-unwind`: columns `position` (row of the hit), `peak_position` (row of
    the peak it fell from) and `fall` (close / peak - 1), one row per hit day."""
    within, history = int(within_days), int(history_days)
    values = close.to_numpy()
    volatility = realised_volatility(close, volatility_days)
    threshold = volatility.shift(1).rolling(history, min_periods=min(252, history)) \
        .quantile(volatility_percentile / 100)
    stressed = (volatility > threshold).to_numpy()
    windows = np.lib.stride_tricks.sliding_window_view(values, within)   # rows t-within..t-1
    peak_offset = np.argmax(windows[:-1], axis=1)
    peaks = np.full(len(values), np.nan)
    peaks[within:] = windows[:-1].max(axis=1)
    peak_position = np.full(len(values), -1)
    peak_position[within:] = np.arange(len(values) - within) + peak_offset
    with np.errstate(invalid="ignore"):
        falls = values / peaks - 1
        hit = (falls <= -fall) & stressed
    positions = np.flatnonzero(hit)
    return pd.DataFrame({"position": positions, "peak_position": peak_position[positions],
                         "fall": falls[positions]})


# Yen carry-trade unwinds named in market history before 2016, the targets of the calibration
# (first and last day of the move, roughly): only data before 2016 chose the rule's parameters.
PRE_2016_UNWINDS = {
    "1998-10 LTCM and Russia": ("1998-10-01", "1998-10-20"),
    "2007-02 Shanghai selloff": ("2007-02-26", "2007-03-14"),
    "2007-08 subprime and quant funds": ("2007-08-01", "2007-08-31"),
    "2008-10 GFC": ("2008-10-01", "2008-10-31"),
    "2010-05 flash crash and euro crisis": ("2010-05-01", "2010-05-31"),
    "2011-03 Tohoku": ("2011-03-10", "2011-03-25"),
    "2013-05 Abenomics reversal": ("2013-05-22", "2013-06-20"),
    "2015-08 China devaluation": ("2015-08-18", "2015-08-31"),
}
CALIBRATION_DATA = ("USDJPY@fred", "1986-01-01", "2015-12-31")

RULES: dict[str, Rule] = {
    "carry-unwind": Rule(
        name="carry-unwind",
        description="USDJPY falls at least `fall` within `within_days` trading days while "
                    "yen realised volatility is above its `volatility_percentile`-th "
                    "percentile of the previous `history_days` trading days",
        parameters={
            "fall": Parameter(
                0.05, "fraction",
                "5% below the peak of the previous month: 1.9 standard deviations of a 20-day "
                "move at USDJPY's median volatility 1986-2015 (9.4% a year); 4% also caught "
                "Feb 2007 but found 35 windows 1986-2015, more than one a year"),
            "within_days": Parameter(
                20, "trading days",
                "one trading month: the unwinds of Aug 2007, May 2010 and May 2013 took 2-4 "
                "weeks; with 15 days and 5% the rule misses Aug 2007 and May 2010"),
            "volatility_percentile": Parameter(
                75, "percentile",
                "the top quarter of the last three years' volatility: with 80 the rule loses "
                "May 2010 (27 windows, 5 found), with 90 it finds 5 of 8 at best"),
            "volatility_days": Parameter(
                20, "trading days",
                "one trading month, the engine's own volatility window (unwind/sim/engine.py)"),
            "history_days": Parameter(
                756, "trading days",
                "three years: long enough to hold a calm spell and a stressed one, short "
                "enough to follow the regime (median volatility 9.7% in 1986-1989, 7.5% in "
                "2012-2019)"),
        },
        calibration="chosen on USDJPY@fred (FRED DEXJPUS noon rates), windows triggered "
                    "1986-01-01..2015-12-31 (volatility history from 1971), over fall "
                    "3-7%, within 5-20 days, percentile 50-95: the setting that finds the most "
                    "of the eight PRE_2016_UNWINDS with at most one window a year (30), ties "
                    "to the fewest windows. It finds 6 of 8 with 28 windows; it misses Feb 2007 "
                    "(a 4.7% fall) and, in FRED's noon rates, Mar 2011 (volatility below its "
                    "3-year upper quarter after 2008-2010); the pepperstone daily closes have "
                    "Mar 2011",
        hits=_carry_unwind_hits,
        instrument="USDJPY",
    ),
}


def _clean(close: pd.Series) -> pd.Series:
    if not isinstance(close, pd.Series) or not isinstance(close.index, pd.DatetimeIndex):
        raise DataError("usdjpy_daily_close must be a pandas Series indexed by date")
    close = close.dropna().astype(float)
    if not close.index.is_monotonic_increasing or close.index.has_duplicates:
        raise DataError("usdjpy_daily_close must have one row per date, oldest first")
    if (close <= 0).any():
        raise DataError("usdjpy_daily_close has non-positive prices")
    return close


def _catalogued_as(start: pd.Timestamp, end: pd.Timestamp, catalogue) -> str | None:
    best, best_days = None, 0
    for episode_id, episode in catalogue.items():
        overlap = (min(end.date(), dt.date.fromisoformat(episode.end)) -
                   max(start.date(), dt.date.fromisoformat(episode.start))).days + 1
        if overlap > best_days:
            best, best_days = episode_id, overlap
    return best


def find(rule_name: str, usdjpy_daily_close: pd.Series, catalogue: Mapping | None = None,
         **overrides: float) -> list[FoundEpisode]:
    """Every window of `usdjpy_daily_close` (daily closes indexed by trading date) that meets
    rule `rule_name` with its parameters (or `overrides` of them), oldest first, each marked
    with the overlapping episode of `catalogue` (default: the episode catalogue)."""
    if rule_name not in RULES:
        raise DataError(f"unknown rule {rule_name!r}{nearest(rule_name, RULES)}; rules: "
                        f"{', '.join(RULES)}")
    rule = RULES[rule_name]
    values = rule.values(overrides)
    if catalogue is None:
        from unwind.evidence import episodes

        catalogue = episodes.catalogue()
    close = _clean(usdjpy_daily_close)
    hits = rule.hits(close, **values)
    aftermath = int(values.get("within_days", 0))
    last = len(close) - 1
    merged: list[list] = []   # [start position, end position, trigger position, largest fall]
    for position, peak, fall in hits.itertuples(index=False):
        end = min(position + aftermath, last)
        if merged and peak <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
            merged[-1][3] = min(merged[-1][3], fall)
        else:
            merged.append([peak, end, position, fall])
    dates = close.index
    return [FoundEpisode(dates[start].date().isoformat(), dates[end].date().isoformat(),
                         dates[trigger].date().isoformat(),
                         _catalogued_as(dates[start], dates[end], catalogue), float(fall))
            for start, end, trigger, fall in merged]


@dataclass(frozen=True)
class FalseAlarms:
    """How often a playbook's trigger fired with no found episode under way or to come."""

    firings: int
    false_alarms: int
    share: float | None          # false_alarms / firings; None without firings
    dates: tuple[str, ...]       # the firings that were false alarms


def false_alarms(trigger_dates: Iterable, found_windows: Iterable[FoundEpisode],
                 horizon_days: int) -> FalseAlarms:
    """Share of trigger firings not followed by a found episode within `horizon_days` calendar
    days. A firing on day d is a true alarm when some found window is under way in
    [d, d + horizon_days] (start <= d + horizon and end >= d): an unwind already running counts,
    since the playbook can still trade it. Pass one date per firing (the first day of each run
    of the signal), not every day it stays on; repeated dates count once."""
    if horizon_days < 0:
        raise ValueError("horizon_days must be >= 0")
    days = sorted({pd.Timestamp(d).date() for d in trigger_dates})
    spans = [(dt.date.fromisoformat(w.start), dt.date.fromisoformat(w.end))
             for w in found_windows]
    horizon = dt.timedelta(days=horizon_days)
    false = [day for day in days
             if not any(start <= day + horizon and end >= day for start, end in spans)]
    return FalseAlarms(len(days), len(false), len(false) / len(days) if days else None,
                       tuple(day.isoformat() for day in false))


# The daily USDJPY series a rule reads from the store, longest history first (FRED noon rates
# back to 1971 are what the rules were calibrated on).
USDJPY_SERIES = ("USDJPY@fred", "USDJPY")


def find_in_store(rule_name: str, store=None, series: str | None = None,
                  **overrides: float) -> tuple[str, list[FoundEpisode]]:
    """`find` over a stored daily USDJPY series (`series`, else the first of USDJPY_SERIES the
    store holds); returns the series used and the windows."""
    from feeds.store import Store

    store = store if isinstance(store, Store) else Store(store)
    if series:
        _check_series(rule_name, series)
    candidates = (series,) if series else USDJPY_SERIES
    for name in candidates:
        if store.info(name, "1d") is not None:
            close = store.read(name, "1d")[0]["close"]
            close.index = close.index.tz_localize(None)
            return name, find(rule_name, close, **overrides)
    raise DataError(f"no daily USDJPY series in the store {store.root} (looked for "
                    f"{', '.join(candidates)}); `unwind data import` one first")


def _check_series(rule_name: str, series: str) -> None:
    """Refuse a series of another instrument than the rule's (`--series XAUUSD` applied the
    USDJPY thresholds to gold and found 24 windows)."""
    from feeds.store import check_series_name

    rule = RULES.get(rule_name)
    if rule is None:
        return   # `find` names the unknown rule
    try:
        base = check_series_name(series).split("@", 1)[0]
    except DataError as error:
        raise DataError(f"--series: {error}") from None
    if base != rule.instrument:
        raise DataError(f"--series {series}: rule {rule_name} reads {rule.instrument} daily closes "
                        f"(its thresholds were set on them); give {rule.instrument} or a tagged "
                        f"{rule.instrument}@SOURCE series")


def to_episode(found: FoundEpisode, rule_name: str):
    """A found window as an Episode the scorecard can score like a catalogue one."""
    from unwind.evidence.episodes import Episode, Trigger

    start = pd.Timestamp(found.start)
    return Episode(f"found-{found.start}", f"{rule_name} window from {found.start}",
                   f"{start.strftime('%b %Y')}*", found.start, found.end,
                   (Trigger(found.trigger, f"{rule_name} rule fires"),), ("found", rule_name),
                   f"found by rule {rule_name}"
                   + (f"; the catalogue's {found.catalogued_as}" if found.catalogued_as
                      else "; not in the catalogue"), ())
