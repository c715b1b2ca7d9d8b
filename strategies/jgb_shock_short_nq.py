"""jgb_shock_short_nq: short Nasdaq-100 futures when the long end of the JGB curve jumps.

Thesis (seed 000_2feea30be25d3235.txt, mechanisms 1-2; seed 001_53dcc41bc01dc0f2.txt): a jump in
Japan's super-long yields lifts the global term premium; the US long end follows ("even the US
30-year yield rose with it") and long-duration equities (US tech) are repriced lower.
Trigger, two readings (`trigger`):
- "level" (the default, the articles' rule as written): `level_series` closes above `level`
  for the first time in `level_days` days. Article 000: "the 40-year JGB yield broke through
  4%" (突破4%); article 001: the 40-year "rose through 3.7%" (升破3.7%), `-p level=3.7`. On MOF
  closing yields the 40-year peaked at 3.901% (2026-01-20): the 4% rule never fires on daily
  data, and 3.7% first fires on 2026-01-19, not in the May 2025 auction week article 001 writes
  about (MOF closes peaked at 3.336% then). `rule_notes()` states this for any window;
- "zscore" (a variant chosen after seeing that, VARIANTS): the `jgb_series` `change_days` change
  is at least `jump_z` rolling standard deviations (over `zscore_days`) above its mean, the
  "discontinuous rise" (断层式上行) as a jump against the series' own recent noise. It was
  picked once the levels were seen not to fire (or to fire late) on MOF closes, so its
  calibration window covers the data that showed it: 2025-05-12..2026-02-13 (the May 2025 and
  January 2026 episodes).
Confirmation (the transmission the thesis is about): the US 30-year yield also rose over the
same `change_days`.
Entry: short NQ at the next session's open. Exit: the level is lost (level trigger) or the JGB move is
back within `exit_z` sigma (z-score trigger), or after `hold_days` sessions.
Sizing: RiskBudgetSizer. Instruments: NQ daily (Yahoo NQ=F); JGB40Y (JGB30Y for the z-score)
and UST30Y daily.
Benchmark: flat. Plain twin: the same trigger without the US confirmation.
Regime read: not used by default; a JGB jump with a weaker yen is the fiscal-risk story and with
a stronger yen the deleveraging story, and the thesis applies to both (seed 000, section 5).
Calibrated on: nothing; the level and the series are the articles', the quarter's "first time"
and the fortnight's hold are conventions (CALIBRATED_ON = None: every window is holdout). The
z-score variant's window is 2025-05-12..2026-02-13 (VARIANTS).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from strategies import signals
from strategies.base import CommonParameters, LineRule, Panel, backtrader_params, require
from strategies.inputs import Inputs

ID = "jgb_shock_short_nq"
SEED = "000_2feea30be25d3235.txt (mechanisms 1-2); 001_53dcc41bc01dc0f2.txt"
TRADED = ("NQ",)
BAR = "1d"
SIGNALS = (("JGB40Y", "1d"), ("UST30Y", "1d"))
WARMUP_DAYS = 200
BENCHMARK = "flat"
BENCHMARK_KIND = "flat"
PLAIN_TWIN = {"require_us_rising": False}
CALIBRATED_ON = None
JGB_SERIES = ("JGB20Y", "JGB30Y", "JGB40Y")
# Readings chosen after seeing data, each with the window of the data that prompted it.
VARIANTS = {
    "zscore": {"parameters": {"trigger": "zscore"},
               "calibrated_on": ("2025-05-12", "2026-02-13"),
               "reason": "chosen once the articles' levels were seen not to fire (4%) or to "
                         "fire late (3.7%, 2026-01-19) on MOF closes"},
}


@dataclass(frozen=True)
class JgbShockParameters(CommonParameters):
    """The JGB trigger, shared by the playbooks that trade a JGB long-end shock."""

    # The articles' rule as written (the level); "zscore" is the variant in VARIANTS.
    trigger: str = "level"
    # The z-score variant's series: the 30-year, whose MOF history starts before the 40-year's
    # first issue (2007-11).
    jgb_series: str = "JGB30Y"
    # A week of yield change: the seed's auction- and election-driven jumps play out over days.
    change_days: int = 5
    # Six months of daily 5-day changes: enough for a stable spread, recent enough to adapt.
    zscore_days: int = 120
    # Two standard deviations: the "sharp move" convention used throughout the playbooks.
    jump_z: float = 2.0
    # Cover once the move is back within half a sigma of normal.
    exit_z: float = 0.5
    # Article 000: "the 40-year JGB yield broke through 4%" (percent, as MOF quotes it).
    level_series: str = "JGB40Y"
    level: float = 4.0
    # "For the first time" = not above the level in the previous quarter (63 sessions).
    level_days: int = 63
    # Two trading weeks: the articles describe a repricing over days, not a new trend.
    hold_days: int = 10

    def __post_init__(self):
        super().__post_init__()
        require(self.trigger in ("zscore", "level"), "trigger must be 'zscore' or 'level'")
        require(self.jgb_series in JGB_SERIES and self.level_series in JGB_SERIES,
                f"jgb_series and level_series must be one of {', '.join(JGB_SERIES)}")
        require(self.change_days >= 1 and self.zscore_days >= 10 and self.level_days >= 1,
                "change_days and level_days must be >= 1, zscore_days >= 10")
        require(float("inf") > self.jump_z > self.exit_z > -float("inf"),
                "jump_z must be above exit_z (both finite)")
        require(0 < self.level < 100, "level is a yield in percent, e.g. 4.0")
        require(self.hold_days >= 1, "hold_days must be >= 1")


def jgb_series_for(parameters: JgbShockParameters) -> str:
    return parameters.jgb_series if parameters.trigger == "zscore" else parameters.level_series


def level_events(jgb: pd.Series, parameters: JgbShockParameters) -> pd.Series:
    """True on each close that "breaks through" the level: above it (not at it), after
    `level_days` closes none of which was above."""
    above = jgb > parameters.level
    before = above.shift(1).rolling(parameters.level_days, min_periods=1).max()
    return above & (before == 0)


def rule_notes(inputs: Inputs, parameters: JgbShockParameters, start: str,
               end: str) -> list[str]:
    """Whether the JGB trigger fired in start..end, from the yields themselves: "the article's
    rule never fired: JGB40Y peaked at 3.901% on 2026-01-20" is a finding a page should show,
    not an empty row to guess at."""
    series = jgb_series_for(parameters)
    jgb = inputs.frame(series, "1d")["close"]
    dates = jgb.index.tz_localize(None) if jgb.index.tz is not None else jgb.index
    inside = (dates >= pd.Timestamp(start)) & (dates <= pd.Timestamp(end))
    window = jgb[inside]
    if window.empty:
        return [f"no {series} closes in {start}..{end}"]
    if parameters.trigger == "level":
        fired = window[level_events(jgb, parameters)[inside]]
        if fired.empty:
            return [f"the article's rule never fired in {start}..{end}: {series} peaked at "
                    f"{window.max():.3f}% on {window.idxmax().date()} (the rule needs a first "
                    f"close above {parameters.level:g}%)"]
        return [f"the article's rule fired on {', '.join(str(d.date()) for d in fired.index)}"
                f" ({series} closed above {parameters.level:g}%)"]
    score = signals.zscore(signals.change(jgb, parameters.change_days),
                           parameters.zscore_days)[inside]
    jumps = int((score >= parameters.jump_z).sum())
    return [f"the z-score variant: {series} {parameters.change_days}-day change at or above "
            f"{parameters.jump_z:g} sigma on {jumps} close(s) in {start}..{end}"]


def jgb_shock(inputs: Inputs, parameters: JgbShockParameters,
              onto: tuple[str, str]) -> pd.DataFrame:
    """`jgb_signal` (the z-score, or the yield for the level trigger), `jgb_entry` (the trigger
    fired) and `jgb_exit` (its reversal), as known at each bar of `onto`.

    The level trigger is an event (a first close above the level): it is carried as a
    running count of events, so one that falls on a day the traded market is shut (a US
    holiday) is still seen at its next bar."""
    series = jgb_series_for(parameters)
    jgb = inputs.frame(series, "1d")["close"]
    if parameters.trigger == "zscore":
        value = signals.zscore(signals.change(jgb, parameters.change_days),
                               parameters.zscore_days)
        fired, reversed_ = value >= parameters.jump_z, value < parameters.exit_z
    else:
        value = jgb
        fired, reversed_ = level_events(jgb, parameters).cumsum(), ~(jgb > parameters.level)
    computed = pd.DataFrame({"jgb_signal": value, "jgb_entry": fired.astype(float),
                             "jgb_exit": reversed_.astype(float)})
    lines = inputs.aligned(computed, series, "1d", onto)
    if parameters.trigger == "level":
        lines["jgb_entry"] = (lines["jgb_entry"].diff() > 0).astype(float)
    return lines


def jgb_panel(parameters: JgbShockParameters) -> Panel:
    if parameters.trigger == "zscore":
        return Panel(f"{parameters.jgb_series} {parameters.change_days}-day change, z-score over "
                     f"{parameters.zscore_days} days", ("jgb_signal",), "z-score",
                     (("jump_z", parameters.jump_z), ("exit_z", parameters.exit_z)))
    return Panel(f"{parameters.level_series} yield", ("jgb_signal",), "percent",
                 (("level", parameters.level),))


@dataclass(frozen=True)
class Parameters(JgbShockParameters):
    # The filter the thesis is about: the US long end rose too (the transmission).
    require_us_rising: bool = True


def signals_for(parameters: Parameters) -> tuple[tuple[str, str], ...]:
    return ((jgb_series_for(parameters), "1d"), ("UST30Y", "1d"))


def prepare(inputs: Inputs, parameters: Parameters) -> dict[str, pd.DataFrame]:
    onto = ("NQ", BAR)
    lines = jgb_shock(inputs, parameters, onto)
    us = signals.change(inputs.frame("UST30Y", "1d")["close"], parameters.change_days)
    lines["us_change"] = inputs.aligned(us, "UST30Y", "1d", onto).iloc[:, 0]
    confirmed = (lines["us_change"] > 0) | (not parameters.require_us_rising)
    lines["entry"] = ((lines["jgb_entry"] > 0) & confirmed).astype(float)
    lines["exit"] = lines["jgb_exit"].to_numpy(dtype=np.float64)
    return {"NQ": lines}


def panels(parameters: Parameters) -> tuple[Panel, ...]:
    return (jgb_panel(parameters),
            Panel(f"UST30Y {parameters.change_days}-day change (must be rising)", ("us_change",),
                  "percentage points", (("0", 0.0),)))


class Strategy(LineRule):
    params = backtrader_params(Parameters)
    EXITS = ("exit_line", "hold_bars")
    SIDE = -1
