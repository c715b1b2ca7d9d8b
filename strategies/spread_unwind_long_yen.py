"""spread_unwind_long_yen: be long yen when the US-Japan 10-year spread falls to the level the
article says forces the carry trade to unwind.

Thesis (seed 002_4e8dedbcd39c4e3c.txt, section 2): the carry trade lives on the rate gap; "if the
US-Japan spread narrows to 1.5 percentage points, at least USD 1.2 trillion of carry trades
unwind, about 600 billion of it flowing back to Japan"; at writing the spread was 1.81 pp,
"the lowest since 2015".
Trigger, two readings (`trigger`):
- "level" (default, the article's rule): the spread UST10Y - JGB10Y closes at or below
  `entry_level` (1.5 pp) after closing above it the day before;
- "change": the spread fell by at least `spread_drop` over `change_days` (a fast narrowing,
  the first version's reading; its threshold is two sigma of 20-day changes, 1990-2007).
Entry: short USDJPY (long yen) at the next open. Exit: level trigger, the spread is back above
`exit_level` (1.81 pp, the article's "lowest since 2015"; the gap between the two levels keeps a
day's noise from flipping the position); change trigger, the 20-day change turns positive; or
after `hold_days` sessions.
Data check: on FRED/MOF closes the spread was 2.07-2.14 pp in late December 2025, not 1.81 (the
article quotes a 3.72% UST yield; FRED's DGS10 was about 4.1%), and closes at or below 1.5 pp only
in 1990-93, 2008-13, 2015 and 2020-21.
Sizing: RiskBudgetSizer on spot USDJPY lots (100,000 USD; P&L in JPY converted at the bar's
rate). Instruments: USDJPY daily (MT5 server days, known 17:00 New York); UST10Y (FRED) and
JGB10Y (MOF).
Benchmark: flat. Plain twin: none (the trigger is the rule).
Regime read: not used by default; the spread is the article's own unwind gauge.
Calibrated on 1990-01-01..2007-12-31 for the change trigger's threshold; the level trigger's
numbers are the article's.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from strategies import signals
from strategies.base import CommonParameters, LineRule, Panel, backtrader_params, require
from strategies.inputs import Inputs

ID = "spread_unwind_long_yen"
SEED = "002_4e8dedbcd39c4e3c.txt (section 2)"
TRADED = ("USDJPY",)
BAR = "1d"
SIGNALS = (("UST10Y", "1d"), ("JGB10Y", "1d"))
WARMUP_DAYS = 60
BENCHMARK = "flat"
BENCHMARK_KIND = "flat"
PLAIN_TWIN = None
CALIBRATED_ON = ("1990-01-01", "2007-12-31")


@dataclass(frozen=True)
class Parameters(CommonParameters):
    # The article gives levels, not a speed: its reading is the default.
    trigger: str = "level"
    # The article: 1.5 pp forces the unwind; 1.81 pp was "the lowest since 2015".
    entry_level: float = 1.5
    exit_level: float = 1.81
    # About a month of trading days: how fast a spread must fall to count as "fast".
    change_days: int = 20
    # Two standard deviations of 20-day spread changes, 1990-2007 (sigma 0.26 pp) -> 0.53 pp.
    spread_drop: float = 0.53
    # Six weeks: past that, the move is a new regime rather than the unwind itself.
    hold_days: int = 30

    def __post_init__(self):
        super().__post_init__()
        require(self.trigger in ("level", "change"), "trigger must be 'level' or 'change'")
        require(-float("inf") < self.entry_level < self.exit_level < float("inf"),
                "entry_level must be below exit_level (both finite)")
        require(self.change_days >= 1 and self.hold_days >= 1,
                "change_days and hold_days must be >= 1")
        require(0 < self.spread_drop < float("inf"),
                "spread_drop must be positive (percentage points)")


def prepare(inputs: Inputs, parameters: Parameters) -> dict[str, pd.DataFrame]:
    onto = ("USDJPY", BAR)
    us = inputs.aligned(inputs.frame("UST10Y", "1d")["close"], "UST10Y", "1d", onto).iloc[:, 0]
    japan = inputs.aligned(inputs.frame("JGB10Y", "1d")["close"], "JGB10Y", "1d", onto).iloc[:, 0]
    spread = us - japan
    spread_change = signals.change(spread, parameters.change_days)
    if parameters.trigger == "level":
        entry = (spread <= parameters.entry_level) & (spread.shift(1) > parameters.entry_level)
        leave = spread > parameters.exit_level
    else:
        entry, leave = spread_change <= -parameters.spread_drop, spread_change > 0
    return {"USDJPY": pd.DataFrame({
        "spread": spread, "spread_change": spread_change, "entry": entry.astype(float),
        "exit": leave.astype(float)})}


def panels(parameters: Parameters) -> tuple[Panel, ...]:
    if parameters.trigger == "level":
        return (Panel("UST10Y - JGB10Y spread", ("spread",), "percentage points",
                      (("entry_level", parameters.entry_level),
                       ("exit_level", parameters.exit_level))),)
    return (Panel("UST10Y - JGB10Y spread", ("spread",), "percentage points"),
            Panel(f"Spread change over {parameters.change_days} days", ("spread_change",),
                  "percentage points", (("-spread_drop", -parameters.spread_drop),
                                        ("cover above 0", 0.0))))


class Strategy(LineRule):
    params = backtrader_params(Parameters)
    SIDE = -1
