"""gold_dip_any_session: the plain rule under gold_asia_dip, without its two filters.

Thesis: the same "buy the liquidation dip" as gold_asia_dip (seed 004_e916c81bec55fe39.txt,
sections 3 and 6), but with no session and no yen-regime condition, so the scorecard can show what
the Asian-session and unwind filters are worth.
Signal: gold's return over the last 9 hours (the length of the Asian session) is <= -`dip`.
Entry: long at the next bar's open. Exit and sizing: as gold_asia_dip.
Instruments: XAUUSD hourly. Benchmark: buy and hold XAUUSD.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from strategies import gold_asia_dip, signals
from strategies.base import CommonParameters, Panel, backtrader_params
from strategies.inputs import Inputs

ID = "gold_dip_any_session"
SEED = "004_e916c81bec55fe39.txt (sections 3, 6)"
TRADED = ("XAUUSD",)
BAR = "1h"
SIGNALS = ()
WARMUP_DAYS = 30
BENCHMARK = "buy and hold XAUUSD"
BENCHMARK_KIND = "hold"
PLAIN_TWIN = None


@dataclass(frozen=True)
class Parameters(CommonParameters):
    dip: float = gold_asia_dip.Parameters.dip
    window_hours: int = 9
    take_profit: float = gold_asia_dip.Parameters.take_profit
    stop_loss: float = gold_asia_dip.Parameters.stop_loss
    max_hold_hours: int = gold_asia_dip.Parameters.max_hold_hours


def prepare(inputs: Inputs, parameters: Parameters) -> dict[str, pd.DataFrame]:
    gold = inputs.frame("XAUUSD", BAR)
    move = signals.relative_change(gold["close"], parameters.window_hours)
    return {"XAUUSD": pd.DataFrame({"entry": (move <= -parameters.dip).astype(float),
                                    "gold_move": move}, index=gold.index)}


def panels(parameters: Parameters) -> tuple[Panel, ...]:
    return (Panel(f"Gold's close-to-close move over {parameters.window_hours} hours",
                  ("gold_move",), "fraction", (("-dip", -parameters.dip),)),)


class Strategy(gold_asia_dip.Strategy):
    params = backtrader_params(Parameters)
