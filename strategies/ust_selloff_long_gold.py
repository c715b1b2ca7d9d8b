"""ust_selloff_long_gold: buy gold when Treasuries sell off while the yen is bought.

Thesis (seed 003_f94b3fee8d973d1d.txt): if Japan, among the largest holders of Treasuries,
sells them, Treasury prices fall and yields jump; reserve managers then diversify "away from
Treasuries into other stable assets, currencies, even gold". A Japanese sale shows up as US
yields rising while the yen strengthens (the proceeds go home): the combination, not either move
alone, is the article's signature.
Signal: the US 10-year yield rose at least `yield_jump` percentage points over `change_days`
sessions while USDJPY fell at least `yen_move` over the same days.
Entry: long spot gold (XAUUSD, 1 lot = 100 oz, the size of a COMEX GC contract) at the next open.
Exit: the yen gives its move back (USDJPY up over `change_days`: the flow reversed), or after
`hold_days` sessions (a month: the article argues a shift of reserves, not a day's move).
Instruments: XAUUSD daily (spot: the Yahoo GC=F history fails the quality gate in 2007-2011,
where the episodes of 2008 and 2011 lie); UST10Y (FRED) and USDJPY daily.
Benchmark: buy and hold XAUUSD. Plain twin: the same rule without the yen condition (any
Treasury sell-off).
Regime read: not used by default; the yen-and-yields pair is the article's own read.
Calibrated on 1990-01-01..2007-12-31: 0.22 pp is the 95th percentile of weekly UST10Y changes
(FRED DGS10), 1.5% one standard deviation of weekly USDJPY changes (FRED noon rates).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from strategies import signals
from strategies.base import CommonParameters, LineRule, Panel, backtrader_params, require
from strategies.inputs import Inputs

ID = "ust_selloff_long_gold"
SEED = "003_f94b3fee8d973d1d.txt"
TRADED = ("XAUUSD",)
BAR = "1d"
SIGNALS = (("UST10Y", "1d"), ("USDJPY", "1d"))
WARMUP_DAYS = 30
BENCHMARK = "buy and hold XAUUSD"
BENCHMARK_KIND = "hold"
PLAIN_TWIN = {"require_yen_strength": False}
CALIBRATED_ON = ("1990-01-01", "2007-12-31")


@dataclass(frozen=True)
class Parameters(CommonParameters):
    # A week: the horizon over which a large holder's selling shows in yields and the yen.
    change_days: int = 5
    # The 95th percentile of 5-day UST10Y changes, 1990-2007.
    yield_jump: float = 0.22
    # The filter the thesis is about: the yen bought at the same time (Japan's money going home);
    # one weekly standard deviation of USDJPY, 1990-2007.
    require_yen_strength: bool = True
    yen_move: float = 0.015
    hold_days: int = 20

    def __post_init__(self):
        super().__post_init__()
        require(self.change_days >= 1 and self.hold_days >= 1,
                "change_days and hold_days must be >= 1")
        require(0 < self.yield_jump < float("inf"),
                "yield_jump must be positive (percentage points)")
        require(0 <= self.yen_move < 1, "yen_move must be a fraction between 0 and 1")


def prepare(inputs: Inputs, parameters: Parameters) -> dict[str, pd.DataFrame]:
    onto = ("XAUUSD", BAR)
    days = parameters.change_days
    lines = pd.concat([
        inputs.aligned(signals.change(inputs.frame("UST10Y", "1d")["close"], days)
                       .rename("yield_change"), "UST10Y", "1d", onto),
        inputs.aligned(signals.relative_change(inputs.frame("USDJPY", "1d")["close"], days)
                       .rename("yen_change"), "USDJPY", "1d", onto)], axis=1)
    yen_bought = (lines["yen_change"] <= -parameters.yen_move) | \
        (not parameters.require_yen_strength)
    lines["entry"] = ((lines["yield_change"] >= parameters.yield_jump) & yen_bought
                      ).astype(float)
    lines["exit"] = (lines["yen_change"] > 0).astype(float)
    return {"XAUUSD": lines}


def panels(parameters: Parameters) -> tuple[Panel, ...]:
    return (Panel(f"UST10Y change over {parameters.change_days} days", ("yield_change",),
                  "percentage points", (("yield_jump", parameters.yield_jump),)),
            Panel(f"USDJPY change over {parameters.change_days} days (negative: yen bought)",
                  ("yen_change",), "fraction", (("-yen_move", -parameters.yen_move),
                                                ("exit above 0", 0.0))))


class Strategy(LineRule):
    params = backtrader_params(Parameters)
