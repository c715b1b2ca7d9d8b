"""hsi_short_yen_vol: short Hang Seng futures while yen volatility is high and rising.

Thesis (seed 004_e916c81bec55fe39.txt, sections 2 and 6): Hong Kong is an offshore market that
global funds sell first when they must repay yen; "if yen volatility does not fall, the short
pressure on Hong Kong stocks is hard to release", and "when the yen's appreciation slope slows, a
short-term HSI bottom is forming".
Signal: USDJPY realised volatility over `volatility_days` is above `high_volatility` and above its
value `rising_days` ago, and the yen is appreciating (USDJPY down over `slope_days`).
Entry: short HSI at the next session's open.
Exit (cover): the yen's appreciation slope flattens (USDJPY `slope_days` change above
-`flat_slope`) or volatility falls below its value `rising_days` ago.
Sizing: RiskBudgetSizer. Instruments: HSI futures (the ^HSI cash index is the price proxy; HK$50
per point, converted to USD at USDHKD or the 7.80 peg); USDJPY daily (known at 17:00 New York, so
an HSI session sees the previous day's yen).
Benchmark: flat (no position); the scorecard also shows buy and hold HSI.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from strategies import signals
from strategies.base import CommonParameters, Panel, Playbook, backtrader_params, target_size
from strategies.inputs import Inputs

ID = "hsi_short_yen_vol"
SEED = "004_e916c81bec55fe39.txt (sections 2, 6)"
TRADED = ("HSI",)
BAR = "1d"
SIGNALS = (("USDJPY", "1d"),)
WARMUP_DAYS = 60
BENCHMARK = "flat"
BENCHMARK_KIND = "flat"
PLAIN_TWIN = None


@dataclass(frozen=True)
class Parameters(CommonParameters):
    # Two trading weeks: short enough to see a volatility burst, long enough to be an estimate.
    volatility_days: int = 10
    # 10% a year is the 80th percentile of USDJPY 10-day realised volatility 2016-2023 (median 6.6%).
    high_volatility: float = 0.10
    # "Rising" and the yen's "slope" are judged over one trading week, the seed's horizon of
    # "short-term" moves.
    rising_days: int = 5
    slope_days: int = 5
    # Appreciation "slows" when the yen gains less than 0.5% a week (half a weekly sigma).
    flat_slope: float = 0.005


def yen_signals(inputs: Inputs, onto: tuple[str, str], volatility_days: int, rising_days: int,
                slope_days: int) -> pd.DataFrame:
    """Yen volatility, its rise and the appreciation slope, as known at each bar of `onto`."""
    yen = inputs.frame("USDJPY", "1d")["close"]
    volatility = signals.realised_volatility(yen, volatility_days, 252)
    computed = pd.DataFrame({
        "yen_volatility": volatility,
        "yen_volatility_rising": (volatility > volatility.shift(rising_days)).astype(float),
        "yen_slope": signals.relative_change(yen, slope_days),
    })
    return inputs.aligned(computed, "USDJPY", "1d", onto)


def prepare(inputs: Inputs, parameters: Parameters) -> dict[str, pd.DataFrame]:
    return {"HSI": yen_signals(inputs, ("HSI", BAR), parameters.volatility_days,
                               parameters.rising_days, parameters.slope_days)}


def panels(parameters: Parameters) -> tuple[Panel, ...]:
    return (Panel(f"USDJPY {parameters.volatility_days}-day realised volatility",
                  ("yen_volatility",), "annualised fraction",
                  (("high_volatility", parameters.high_volatility),)),
            Panel(f"USDJPY change over {parameters.slope_days} days (negative: yen stronger)",
                  ("yen_slope",), "fraction",
                  (("entry below 0", 0.0), ("cover above -flat_slope", -parameters.flat_slope))))


class Strategy(Playbook):
    params = backtrader_params(Parameters)

    def decide(self):
        data = self.data
        rising = data.yen_volatility_rising[0] > 0
        if self.position:
            if data.yen_slope[0] > -self.p.flat_slope or not rising:
                target_size(self, data, 0)
            return
        if (data.yen_volatility[0] > self.p.high_volatility and rising and data.yen_slope[0] < 0
                and self.trading_allowed() and self.regime_allows(data)):
            target_size(self, data, -1)
