"""hsi_short_yen_vol: short Hang Seng futures while yen volatility is high and rising.

Thesis (seed 004_e916c81bec55fe39.txt, sections 2 and 6): Hong Kong is an offshore market that
global funds sell first when they must repay yen; "if yen volatility does not fall, the short
pressure on Hong Kong stocks is hard to release", and "when the yen's appreciation slope slows, a
short-term HSI bottom is forming".
Signal: USDJPY realised volatility over `volatility_days` is above `high_volatility` and rising
(above its value `rising_days` ago), while the yen appreciates by at least `entry_slope` over
`slope_days`.
Entry: short HSI at the next session's open (09:15 Hong Kong).
Exit (cover): the yen's appreciation slows (USDJPY `slope_days` change above -`flat_slope`) or
volatility stops rising. Entry and exit use two bands (`entry_slope` > `flat_slope`), so no
position is opened on a bar where its own cover condition already holds.
Sizing: RiskBudgetSizer. Instruments: HSI futures (the ^HSI cash index is the price proxy; HK$50
per point, converted to USD at USDHKD or the 7.80 peg); USDJPY daily (known at 17:00 New York, so
an HSI session sees the previous day's yen).
Benchmark: flat (no position). Plain twin: the same rule without the "rising" test.
Regime read: not used by default; the yen-volatility test is itself the deleveraging read, and
`regime_filter=deleveraging` tests whether a VIX confirmation adds anything.
Calibrated on 1990-01-01..2007-12-31 (USDJPY FRED noon rates), before every catalogue episode.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from strategies import signals
from strategies.base import CommonParameters, LineRule, Panel, backtrader_params, require
from strategies.inputs import Inputs

ID = "hsi_short_yen_vol"
SEED = "004_e916c81bec55fe39.txt (sections 2, 6)"
TRADED = ("HSI",)
BAR = "1d"
SIGNALS = (("USDJPY", "1d"),)
WARMUP_DAYS = 60
BENCHMARK = "flat"
BENCHMARK_KIND = "flat"
PLAIN_TWIN = {"require_rising": False}
CALIBRATED_ON = ("1990-01-01", "2007-12-31")


@dataclass(frozen=True)
class Parameters(CommonParameters):
    # Two trading weeks: short enough to see a volatility burst, long enough to be an estimate.
    volatility_days: int = 10
    # 12% a year: the 80th percentile of USDJPY 10-day realised volatility 1990-2007 (median 9%).
    high_volatility: float = 0.12
    # The filter the thesis is about: volatility above its value a week ago ("does not fall").
    require_rising: bool = True
    # "Rising" and the yen's "slope" are judged over one trading week, the seed's horizon of
    # "short-term" moves.
    rising_days: int = 5
    slope_days: int = 5
    # The yen is being bought: USDJPY down at least one weekly standard deviation (1.5%,
    # 1990-2007) over the week.
    entry_slope: float = 0.015
    # Appreciation "slows" when the yen gains less than half a weekly sigma (0.75%) a week.
    flat_slope: float = 0.0075

    def __post_init__(self):
        super().__post_init__()
        require(self.volatility_days >= 2 and self.rising_days >= 1 and self.slope_days >= 1,
                "volatility_days must be >= 2, rising_days and slope_days >= 1")
        require(0 < self.high_volatility < float("inf"), "high_volatility must be positive")
        require(0 <= self.flat_slope < self.entry_slope < float("inf"),
                "need 0 <= flat_slope < entry_slope (the cover band inside the entry band)")


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
    lines = yen_signals(inputs, ("HSI", BAR), parameters.volatility_days,
                        parameters.rising_days, parameters.slope_days)
    rising = (lines["yen_volatility_rising"] > 0) | (not parameters.require_rising)
    lines["entry"] = ((lines["yen_volatility"] > parameters.high_volatility) & rising
                      & (lines["yen_slope"] <= -parameters.entry_slope)).astype(float)
    lines["exit"] = ((lines["yen_slope"] > -parameters.flat_slope) | ~rising).astype(float)
    return {"HSI": lines}


def panels(parameters: Parameters) -> tuple[Panel, ...]:
    return (Panel(f"USDJPY {parameters.volatility_days}-day realised volatility",
                  ("yen_volatility",), "annualised fraction",
                  (("high_volatility", parameters.high_volatility),)),
            Panel(f"USDJPY change over {parameters.slope_days} days (negative: yen stronger)",
                  ("yen_slope",), "fraction",
                  (("short below -entry_slope", -parameters.entry_slope),
                   ("cover above -flat_slope", -parameters.flat_slope))))


class Strategy(LineRule):
    params = backtrader_params(Parameters)
    SIDE = -1
