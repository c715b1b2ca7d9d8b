"""No decision on stale inputs: where a signal series a playbook reads has stopped printing.

`Inputs.aligned` carries a series' last value forward to every later decision of the traded
series (the as-of join that keeps signals causal). Past the series' last bar, or across a hole
in it, that value is no longer news: a USDJPY daily file ending 2026-06-15 would otherwise keep
`yen_volatility_rising = 1` alive on every Hang Seng session after it. Each input has an
allowance, counted in sessions of the calendar it should have printed on:

- daily series: sessions of the series' own exchange calendar (`instruments.toml`) that closed
  without a bar. Three sessions: inside their spans, the daily signal series of the store miss
  at most one session of their calendar in a row (FRED's US holidays against the FX calendar;
  bench/staleness_allowance.py, 2026-12-06), so three missed sessions is a series that stopped,
  not a holiday.
- intraday series: bars of the traded series that closed with no newer bar of the input. Three
  bars: hourly USDJPY misses at most three consecutive hourly gold bars over 2016-2026, except
  one hole of eleven hours on 2024-07-02 (which is then stale from its fourth hour).

A decision at a bar whose input is beyond its allowance is no decision: the engine sets the
playbook's entry and exit lines to 0 and its other decision lines to NaN there, and adds the
`inputs_stale` line (signals.csv shows it). Stops, targets and time exits act on the traded
price and are unaffected.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd

from feeds import calendars, instruments
from feeds.bars import is_intraday
from strategies.inputs import Inputs, availability

DAILY_ALLOWANCE_SESSIONS = 3
INTRADAY_ALLOWANCE_BARS = 3
# Lines a stale bar sets to 0 (no entry, no signal exit); every other decision line is NaN.
DECISION_FLAGS = ("entry", "exit")
STALE_LINE = "inputs_stale"


def allowance(bar: str) -> int:
    """How far an input of bar size `bar` may fall behind before it is stale: traded bars for
    an intraday input, sessions of its calendar for a daily one."""
    return INTRADAY_ALLOWANCE_BARS if is_intraday(bar) else DAILY_ALLOWANCE_SESSIONS


@dataclass(frozen=True)
class StaleInput:
    """One run of decisions of `traded` that an input (`series`, `bar`) was too old for."""

    traded: str
    series: str
    bar: str
    last_bar: str          # the input's last bar before the run (its date for daily bars)
    ended: bool            # True when that is the input's last bar at all
    first_decision: str    # first and last decision time without a decision (UTC, ISO)
    last_decision: str
    last_fresh: str        # the last decision time that still had a fresh input
    decisions: int

    def line(self) -> str:
        """One line for the terminal and the notes."""
        allowed = f"{allowance(self.bar)} " + (f"{self.traded} bars" if is_intraday(self.bar)
                                               else "sessions")
        shown = 16 if is_intraday(self.bar) else 10
        if self.ended:
            return (f"{self.series} {self.bar} ends {self.last_bar}: no {self.traded} decisions "
                    f"after {self.last_fresh[:shown]} ({self.decisions} bars; allowance "
                    f"{allowed})")
        return (f"{self.series} {self.bar} has no bar after {self.last_bar}: no {self.traded} "
                f"decisions {self.first_decision[:shown]}..{self.last_decision[:shown]} "
                f"({self.decisions} bars; allowance {allowed})")

    def to_json(self) -> dict:
        return dataclasses.asdict(self)


def _nanoseconds(index: pd.DatetimeIndex) -> np.ndarray:
    """Instants as int64 nanoseconds (indexes come in several units)."""
    return pd.DatetimeIndex(index).as_unit("ns").asi8


def _missed_daily(source: pd.DataFrame, symbol: str, latest: np.ndarray,
                  decisions: pd.DatetimeIndex) -> np.ndarray:
    """Sessions of the source's calendar that closed after its latest known bar and by each
    decision time."""
    instrument = instruments.get(symbol)
    expected = calendars.sessions(instrument.calendar, source.index[0].tz_localize(None),
                                  decisions[-1].tz_convert(None) + pd.Timedelta(days=1))
    expected_known = _nanoseconds(calendars.known_at(expected, instrument))
    latest_known = _nanoseconds(availability(source, symbol, "1d"))[latest]
    return expected_known.searchsorted(_nanoseconds(decisions), side="right") - \
        expected_known.searchsorted(latest_known, side="right")


def _missed_intraday(source: pd.DataFrame, symbol: str, bar: str, latest: np.ndarray,
                     decisions: pd.DatetimeIndex) -> np.ndarray:
    """Decisions of the traded series made since the source's latest known bar closed."""
    latest_known = _nanoseconds(availability(source, symbol, bar))[latest]
    return np.arange(1, len(decisions) + 1) - _nanoseconds(decisions).searchsorted(
        latest_known, side="right")


def missed(inputs: Inputs, source_key: tuple[str, str], onto: tuple[str, str]
           ) -> tuple[np.ndarray, np.ndarray]:
    """Per decision of the traded series `onto`: how many sessions (daily input) or traded bars
    (intraday input) the input `source_key` has missed since its latest known bar, and the
    position of that bar (-1 before its first: warm-up, not staleness)."""
    series, bar = source_key
    symbol = series.split("@")[0]
    source = inputs.frame(series, bar)
    decisions = inputs.decision_times(*onto)
    latest = _nanoseconds(availability(source, symbol, bar)).searchsorted(
        _nanoseconds(decisions), side="right") - 1
    clipped = np.clip(latest, 0, None)
    if is_intraday(bar):
        return _missed_intraday(source, symbol, bar, clipped, decisions), latest
    return _missed_daily(source, symbol, clipped, decisions), latest


def stale_decisions(inputs: Inputs, reads: list[tuple[str, str]], onto: tuple[str, str]
                    ) -> tuple[np.ndarray, list[StaleInput]]:
    """Per bar of the traded series `onto`: True where an input in `reads` is older than its
    allowance; and each run of such bars, per input."""
    decisions = inputs.decision_times(*onto)
    stale = np.zeros(len(decisions), dtype=bool)
    runs: list[StaleInput] = []
    if not len(decisions):
        return stale, runs
    for series, bar in reads:
        source = inputs.frame(series, bar)
        if (series, bar) == onto or source.empty or \
                instruments.get(series.split("@")[0]).kind == "event":
            continue   # an event series (meeting dates) has no calendar to fall behind
        missed_count, latest = missed(inputs, (series, bar), onto)
        too_old = (latest >= 0) & (missed_count > allowance(bar))
        stale |= too_old
        runs += _runs(too_old, np.clip(latest, 0, None), source, decisions, onto[0], series,
                      bar)
    return stale, runs


def _runs(too_old: np.ndarray, latest: np.ndarray, source: pd.DataFrame,
          decisions: pd.DatetimeIndex, traded: str, series: str, bar: str) -> list[StaleInput]:
    """Each run of consecutive stale decisions as a StaleInput."""
    found = np.flatnonzero(too_old)
    if not len(found):
        return []
    breaks = np.flatnonzero(np.diff(found) != 1) + 1
    runs = []
    for run in np.split(found, breaks):
        first, last = run[0], run[-1]
        last_bar_position = latest[first]
        stamp = source.index[last_bar_position]
        runs.append(StaleInput(
            traded=traded, series=series, bar=bar,
            last_bar=(stamp.isoformat() if is_intraday(bar) else stamp.date().isoformat()),
            ended=bool(last_bar_position == len(source) - 1),
            first_decision=decisions[first].isoformat(),
            last_decision=decisions[last].isoformat(),
            last_fresh=decisions[first - 1].isoformat() if first else "",
            decisions=len(run)))
    return runs


def without_stale(lines: pd.DataFrame, stale: np.ndarray | None) -> pd.DataFrame:
    """A playbook's decision lines with no decision where its inputs were stale, and the
    `inputs_stale` line beside them."""
    if stale is None:
        return lines
    lines = lines.copy()
    if stale.any():
        for column in lines.columns:
            lines.loc[stale, column] = 0.0 if column in DECISION_FLAGS else np.nan
    lines[STALE_LINE] = stale.astype(float)
    return lines


def in_window(runs: list[StaleInput], start: pd.Timestamp, end: pd.Timestamp
              ) -> list[StaleInput]:
    """The runs with a decision inside [start, end)."""
    return [run for run in runs if pd.Timestamp(run.last_decision) >= start
            and pd.Timestamp(run.first_decision) < end]
