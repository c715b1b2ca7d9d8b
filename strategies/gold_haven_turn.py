"""gold_haven_turn: after a stress-driven gold liquidation, buy only once selling is exhausted.

Thesis (seed 004_e916c81bec55fe39.txt, sections 3 and 6): gold is sold first for margin in an
unwind, but its haven role returns; "do not catch the falling knife: wait for the liquidity sell-off
to exhaust" (ranges contract, price stabilises) before buying.
Signal: a setup is a day when the yen has strengthened by `yen_move` over 5 days (the unwind) and
gold sits at least `drawdown_atrs` average true ranges below its 20-day high (the liquidation
leg); within `setup_days` of a setup, buy when the 5-day ATR has contracted below
`contraction` x the 20-day ATR (the filter the thesis is about) and the close is above the close
`stabilise_days` earlier.
Exit: a close below the lowest low of the setup period (the knife kept falling: "stop"), a close
back at the 20-day high of the entry day (the turn is done: "target"), or after `hold_days`.
Sizing: RiskBudgetSizer. Instruments: GC daily (COMEX front month, Yahoo GC=F); USDJPY daily.
Benchmark: buy and hold GC over the window. Plain twin: the same rule without the range
contraction (buys on stabilisation alone).
Regime read: not used by default; the yen condition is the unwind test of the thesis.
Calibrated on 1990-01-01..2007-12-31 (the yen move, from USDJPY FRED noon rates); the ATR
multiples and day counts are conventions stated below, not fitted.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from strategies import signals
from strategies.base import CommonParameters, LineRule, Panel, backtrader_params, require
from strategies.inputs import Inputs

ID = "gold_haven_turn"
SEED = "004_e916c81bec55fe39.txt (sections 3, 6)"
TRADED = ("GC",)
BAR = "1d"
SIGNALS = (("USDJPY", "1d"),)
WARMUP_DAYS = 60
BENCHMARK = "buy and hold GC"
BENCHMARK_KIND = "hold"
PLAIN_TWIN = {"require_contraction": False}
CALIBRATED_ON = ("1990-01-01", "2007-12-31")


@dataclass(frozen=True)
class Parameters(CommonParameters):
    # The 5th percentile of 5-day USDJPY changes 1990-2007 is -2.5% (as in gold_asia_dip).
    yen_move: float = 0.025
    # A liquidation leg is a fall of more than two typical daily ranges from the recent high.
    drawdown_atrs: float = 2.0
    # A setup stays live for two trading weeks: exhaustion usually follows within that.
    setup_days: int = 10
    # "Ranges contract": this week's average range at most 80% of the month's.
    require_contraction: bool = True
    contraction: float = 0.8
    # "Price stabilises": higher than three sessions ago (no fresh low this week).
    stabilise_days: int = 3
    # A month: the seed's "medium term" haven bid, not a long-term gold allocation.
    hold_days: int = 20

    def __post_init__(self):
        super().__post_init__()
        require(0 <= self.yen_move < 1, "yen_move must be a fraction between 0 and 1")
        require(0 < self.drawdown_atrs < float("inf") and 0 < self.contraction <= 1,
                "drawdown_atrs must be positive and contraction in (0, 1]")
        require(self.setup_days >= 1 and self.stabilise_days >= 1 and self.hold_days >= 1,
                "setup_days, stabilise_days and hold_days must be >= 1")


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
    contracted = (atr5 < parameters.contraction * atr20) | (not parameters.require_contraction)
    exhausted = contracted & (gold["close"] > gold["close"].shift(parameters.stabilise_days))
    return {"GC": pd.DataFrame({
        "entry": (recent & exhausted).astype(float), "exit": 0.0,
        "setup_low": gold["low"].rolling(parameters.setup_days, min_periods=1).min(),
        "high20": high20, "range_ratio": atr5 / atr20})}


def panels(parameters: Parameters) -> tuple[Panel, ...]:
    return (Panel(f"GC: {parameters.setup_days}-day low (the stop) and 20-day high (the target)",
                  ("setup_low", "high20"), "price"),
            Panel("5-day over 20-day average true range (ranges contracting below the line)",
                  ("range_ratio",), "ratio", (("contraction", parameters.contraction),)))


# The exits Strategy reads, in its order, for the screen (unwind/screen.py): the close against
# the setup low and the 20-day high captured at the entry decision, then the holding limit.
SCREEN_EXITS = ("stop_below:setup_low", "target_at:high20", "hold_bars")


class Strategy(LineRule):
    params = backtrader_params(Parameters)

    def decide(self):
        entering = not self.position
        super().decide()
        if entering and self.entry_bar == len(self):
            self.stop_level, self.target_level = self.data.setup_low[0], self.data.high20[0]

    def exit_reason(self, data) -> str | None:
        if data.close[0] < self.stop_level:
            return "stop"
        if data.close[0] >= self.target_level:
            return "target"
        return "time" if self.holding_limit_reached(data) else None
