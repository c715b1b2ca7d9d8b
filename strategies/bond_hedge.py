"""bond_hedge: an equity-index futures book that adds long 10-year note futures under yen stress.

Thesis (seed 004_e916c81bec55fe39.txt, section 6): "in equity turmoil, holding some Treasury
futures smooths the book". The book is long the equity index from the window's start; while the
yen-volatility stress signal is on (the same signal as hsi_short_yen_vol: USDJPY realised
volatility high and rising), it also holds ZN.
Signal: yen stress = USDJPY 10-day realised volatility above `high_volatility` and rising.
Entry/exit: ZN long while stress is on, flat otherwise; the equity leg is held throughout.
Sizing: each leg sized by the risk budget (the hedge by `hedge_ratio` of it).
Instruments: NQ (or HSI with `equity=HSI`) and ZN, daily; USDJPY daily as the signal.
Benchmark: the same book without the hedge (`hedge=false`), which is this playbook's plain twin.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from strategies import hsi_short_yen_vol
from strategies.base import CommonParameters, Panel, Playbook, backtrader_params, target_size
from strategies.inputs import Inputs

ID = "bond_hedge"
SEED = "004_e916c81bec55fe39.txt (section 6)"
TRADED = ("NQ", "ZN")
BAR = "1d"
SIGNALS = (("USDJPY", "1d"),)
WARMUP_DAYS = 60
BENCHMARK = "the equity leg alone (hedge=false)"
BENCHMARK_KIND = {"hedge": False}
PLAIN_TWIN = None


@dataclass(frozen=True)
class Parameters(CommonParameters):
    equity: str = "NQ"
    hedge: bool = True
    # A full hedge budget: the ZN leg carries as much daily risk as the equity leg.
    hedge_ratio: float = 1.0
    # The stress signal is hsi_short_yen_vol's, with its defaults and reasons.
    volatility_days: int = hsi_short_yen_vol.Parameters.volatility_days
    high_volatility: float = hsi_short_yen_vol.Parameters.high_volatility
    rising_days: int = hsi_short_yen_vol.Parameters.rising_days

    def __post_init__(self):
        super().__post_init__()
        if self.equity not in ("NQ", "HSI"):
            raise ValueError("equity must be NQ or HSI")


def traded(parameters: Parameters) -> tuple[str, ...]:
    return (parameters.equity, "ZN")


def prepare(inputs: Inputs, parameters: Parameters) -> dict[str, pd.DataFrame]:
    stress = {}
    for symbol in traded(parameters):
        yen = hsi_short_yen_vol.yen_signals(inputs, (symbol, BAR), parameters.volatility_days,
                                            parameters.rising_days, parameters.rising_days)
        stress[symbol] = pd.DataFrame({"stress": (
            (yen["yen_volatility"] > parameters.high_volatility)
            & (yen["yen_volatility_rising"] > 0)).astype(float)})
    return stress


def panels(parameters: Parameters) -> tuple[Panel, ...]:
    return (Panel("Stress: yen volatility above high_volatility and rising (1 = hedge on)",
                  ("stress",), "flag"),)


class Strategy(Playbook):
    params = backtrader_params(Parameters)

    def decide(self):
        if not self.trading_allowed():
            return
        equity, notes = self.datas[0], self.datas[1]
        if equity.fresh[0] and not self.getposition(equity).size:
            target_size(self, equity, +1)
        if notes.fresh[0]:
            hedge_on = self.p.hedge and notes.stress[0] > 0 and self.regime_allows(notes)
            target_size(self, notes, +1 if hedge_on else 0, budget_share=self.p.hedge_ratio)
