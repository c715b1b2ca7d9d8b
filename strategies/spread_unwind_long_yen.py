"""spread_unwind_long_yen: be long yen when the US-Japan 10-year spread collapses.

Thesis (seed 002_4e8dedbcd39c4e3c.txt): the carry trade lives on the rate gap; when the US-Japan
10-year yield spread narrows fast, the trade unwinds and the yen is bought.
Signal: the spread UST10Y - JGB10Y (percentage points) fell by at least `spread_drop` over
`change_days` trading days.
Entry: short USDJPY (long yen) at the next open. Exit: when the spread's change over
`change_days` turns positive (it widens again), or after `max_hold_days`.
Sizing: RiskBudgetSizer on spot USDJPY lots (100,000 USD; P&L in JPY converted at the bar's
rate). Instruments: USDJPY daily (MT5 server days, known 17:00 New York); UST10Y (FRED) and
JGB10Y (MOF).
Benchmark: flat.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from strategies import signals
from strategies.base import CommonParameters, Panel, Playbook, backtrader_params, target_size
from strategies.inputs import Inputs

ID = "spread_unwind_long_yen"
SEED = "002_4e8dedbcd39c4e3c.txt"
TRADED = ("USDJPY",)
BAR = "1d"
SIGNALS = (("UST10Y", "1d"), ("JGB10Y", "1d"))
WARMUP_DAYS = 60
BENCHMARK = "flat"
BENCHMARK_KIND = "flat"
PLAIN_TWIN = None


@dataclass(frozen=True)
class Parameters(CommonParameters):
    # About a month of trading days: how fast a spread must fall to count as "fast".
    change_days: int = 20
    # Two standard deviations of 20-day spread changes, 2005-2023 (sigma 0.21 pp) -> 0.40 pp.
    spread_drop: float = 0.40
    # Six weeks: past that, the move is a new regime rather than the unwind itself.
    max_hold_days: int = 30


def prepare(inputs: Inputs, parameters: Parameters) -> dict[str, pd.DataFrame]:
    onto = ("USDJPY", BAR)
    us = inputs.aligned(inputs.frame("UST10Y", "1d")["close"], "UST10Y", "1d", onto).iloc[:, 0]
    japan = inputs.aligned(inputs.frame("JGB10Y", "1d")["close"], "JGB10Y", "1d", onto).iloc[:, 0]
    spread = us - japan
    return {"USDJPY": pd.DataFrame({
        "spread": spread, "spread_change": signals.change(spread, parameters.change_days)})}


def panels(parameters: Parameters) -> tuple[Panel, ...]:
    return (Panel("UST10Y - JGB10Y spread", ("spread",), "percentage points"),
            Panel(f"Spread change over {parameters.change_days} days", ("spread_change",),
                  "percentage points", (("-spread_drop", -parameters.spread_drop),
                                        ("cover above 0", 0.0))))


class Strategy(Playbook):
    params = backtrader_params(Parameters)

    def __init__(self):
        super().__init__()
        self.entry_bar = None

    def decide(self):
        data = self.data
        if self.position:
            reason = "signal" if data.spread_change[0] > 0 else \
                "time" if len(self) - self.entry_bar >= self.p.max_hold_days else None
            if reason:
                target_size(self, data, 0, reason=reason)
            return
        if data.spread_change[0] <= -self.p.spread_drop and self.trading_allowed() and \
                self.regime_allows(data):
            target_size(self, data, -1)
            self.entry_bar = len(self)
