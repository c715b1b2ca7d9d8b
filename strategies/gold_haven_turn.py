"""gold_haven_turn: after a stress-driven gold liquidation, buy only once selling is exhausted.

Thesis (seed 004_e916c81bec55fe39.txt, sections 3 and 6): gold is sold first for margin in an
unwind, but its haven role returns; "do not catch the falling knife: wait for the liquidity sell-off
to exhaust" (ranges contract, price stabilises) before buying.
Signal: a setup is a day when the yen has strengthened by `yen_move` over 5 days (the unwind) and
gold sits at least `drawdown_atrs` average true ranges below its 20-day high (the liquidation
leg); within `setup_days` of a setup, buy when the 5-day ATR has contracted below
`contraction` x the 20-day ATR and the close is above the close `stabilise_days` earlier.
Exit: a close below the lowest low of the setup period (the knife kept falling), a close back at
the 20-day high of the entry day (the turn is done), or after `max_hold_days`.
Sizing: RiskBudgetSizer. Instruments: GC daily (COMEX front month, Yahoo GC=F); USDJPY daily.
Benchmark: buy and hold GC over the window.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from strategies import signals
from strategies.base import CommonParameters, Panel, Playbook, backtrader_params, target_size
from strategies.inputs import Inputs

ID = "gold_haven_turn"
SEED = "004_e916c81bec55fe39.txt (sections 3, 6)"
TRADED = ("GC",)
BAR = "1d"
SIGNALS = (("USDJPY", "1d"),)
WARMUP_DAYS = 60
BENCHMARK = "buy and hold GC"
BENCHMARK_KIND = "hold"
PLAIN_TWIN = None


@dataclass(frozen=True)
class Parameters(CommonParameters):
    # The 5th percentile of 5-day USDJPY changes 2016-2023 (as in gold_asia_dip).
    yen_move: float = 0.02
    # A liquidation leg is a fall of more than two typical daily ranges from the recent high.
    drawdown_atrs: float = 2.0
    # A setup stays live for two trading weeks: exhaustion usually follows within that.
    setup_days: int = 10
    # "Ranges contract": this week's average range at most 80% of the month's.
    contraction: float = 0.8
    # "Price stabilises": higher than three sessions ago (no fresh low this week).
    stabilise_days: int = 3
    # A month: the seed's "medium term" haven bid, not a long-term gold allocation.
    max_hold_days: int = 20


def prepare(inputs: Inputs, parameters: Parameters) -> dict[str, pd.DataFrame]:
    gold = inputs.frame("GC", BAR)
    yen = inputs.frame("USDJPY", "1d")["close"]
    unwind = inputs.aligned(signals.relative_change(yen, 5), "USDJPY", "1d", ("GC", BAR)
                            ).iloc[:, 0] <= -parameters.yen_move
    atr20 = signals.average_true_range(gold["high"], gold["low"], gold["close"], 20)
    atr5 = signals.average_true_range(gold["high"], gold["low"], gold["close"], 5)
    high20 = gold["close"].rolling(20, min_periods=1).max()
    liquidation = (high20 - gold["close"]) >= parameters.drawdown_atrs * atr20
    setup = (unwind & liquidation).astype(float)
    recent = setup.rolling(parameters.setup_days, min_periods=1).max() > 0
    exhausted = (atr5 < parameters.contraction * atr20) & \
        (gold["close"] > gold["close"].shift(parameters.stabilise_days))
    return {"GC": pd.DataFrame({
        "entry": (recent & exhausted).astype(float),
        "setup_low": gold["low"].rolling(parameters.setup_days, min_periods=1).min(),
        "high20": high20})}


def panels(parameters: Parameters) -> tuple[Panel, ...]:
    return (Panel(f"GC: {parameters.setup_days}-day low (the stop) and 20-day high (the target)",
                  ("setup_low", "high20"), "price"),)


class Strategy(Playbook):
    params = backtrader_params(Parameters)

    def __init__(self):
        super().__init__()
        self.entry_bar = self.stop_level = self.target_level = None

    def decide(self):
        data = self.data
        if self.position:
            reason = "stop" if data.close[0] < self.stop_level else \
                "target" if data.close[0] >= self.target_level else \
                "time" if len(self) - self.entry_bar >= self.p.max_hold_days else None
            if reason:
                target_size(self, data, 0, reason=reason)
            return
        if data.entry[0] > 0 and self.trading_allowed() and self.regime_allows(data):
            target_size(self, data, +1)
            self.entry_bar = len(self)
            self.stop_level, self.target_level = data.setup_low[0], data.high20[0]
