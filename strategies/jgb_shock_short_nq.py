"""jgb_shock_short_nq: short Nasdaq-100 futures when long JGB yields jump with US long yields.

Thesis (seed 000_2feea30be25d3235.txt, mechanisms 1-2): a jump in super-long JGB yields pulls
Japanese money home and lifts global term premia; long-duration assets such as US tech reprice.
Signal: the 5-day change of the `jgb_series` yield (30Y, or 40Y) is at least `jump_z` standard
deviations above its mean over `zscore_days` days, and the US 30-year yield rose over the same 5
days.
Entry: short NQ at the next session's open. Exit: after `hold_days`, or when the JGB z-score has
fallen below `exit_z`.
Sizing: RiskBudgetSizer. Instruments: NQ daily; JGB30Y/JGB40Y (MOF, known at 18:00 Tokyo) and
UST30Y (FRED, known at 17:00 New York), aligned to NQ's close.
Benchmark: flat; the scorecard also shows buy and hold NQ.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from strategies import signals
from strategies.base import CommonParameters, Panel, Playbook, backtrader_params, target_size
from strategies.inputs import Inputs

ID = "jgb_shock_short_nq"
SEED = "000_2feea30be25d3235.txt (mechanisms 1-2)"
TRADED = ("NQ",)
BAR = "1d"
SIGNALS = (("JGB30Y", "1d"), ("UST30Y", "1d"))
WARMUP_DAYS = 200
BENCHMARK = "flat"
BENCHMARK_KIND = "flat"
PLAIN_TWIN = None


@dataclass(frozen=True)
class Parameters(CommonParameters):
    jgb_series: str = "JGB30Y"
    # A week of yield change: the seed's auction- and election-driven jumps play out over days.
    change_days: int = 5
    # Six months of daily 5-day changes: enough for a stable spread, recent enough to adapt.
    zscore_days: int = 120
    # Two standard deviations: the "sharp move" convention used throughout the playbooks.
    jump_z: float = 2.0
    # Cover once the move is back within half a sigma of normal, or after two trading weeks.
    exit_z: float = 0.5
    hold_days: int = 10

    def __post_init__(self):
        super().__post_init__()
        if self.jgb_series not in ("JGB30Y", "JGB40Y"):
            raise ValueError("jgb_series must be JGB30Y or JGB40Y")


def signals_for(parameters: Parameters) -> tuple[tuple[str, str], ...]:
    return ((parameters.jgb_series, "1d"), ("UST30Y", "1d"))


def prepare(inputs: Inputs, parameters: Parameters) -> dict[str, pd.DataFrame]:
    onto = ("NQ", BAR)
    jgb = inputs.frame(parameters.jgb_series, "1d")["close"]
    jump = signals.zscore(signals.change(jgb, parameters.change_days), parameters.zscore_days)
    us = signals.change(inputs.frame("UST30Y", "1d")["close"], parameters.change_days)
    return {"NQ": pd.concat([
        inputs.aligned(jump.rename("jgb_z"), parameters.jgb_series, "1d", onto),
        inputs.aligned(us.rename("us_change"), "UST30Y", "1d", onto)], axis=1)}


def panels(parameters: Parameters) -> tuple[Panel, ...]:
    return (Panel(f"{parameters.jgb_series} {parameters.change_days}-day change, z-score over "
                  f"{parameters.zscore_days} days", ("jgb_z",), "z-score",
                  (("jump_z", parameters.jump_z), ("exit_z", parameters.exit_z))),
            Panel(f"UST30Y {parameters.change_days}-day change (must be rising)", ("us_change",),
                  "percentage points", (("0", 0.0),)))


class Strategy(Playbook):
    params = backtrader_params(Parameters)

    def __init__(self):
        super().__init__()
        self.entry_bar = None

    def decide(self):
        data = self.data
        if self.position:
            reason = "signal" if data.jgb_z[0] < self.p.exit_z else \
                "time" if len(self) - self.entry_bar >= self.p.hold_days else None
            if reason:
                target_size(self, data, 0, reason=reason)
            return
        if data.jgb_z[0] >= self.p.jump_z and data.us_change[0] > 0 and \
                self.trading_allowed() and self.regime_allows(data):
            target_size(self, data, -1)
            self.entry_bar = len(self)
