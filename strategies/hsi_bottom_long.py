"""hsi_bottom_long: buy Hang Seng futures when the yen's appreciation slows after a yen-volatility
burst and the market has gone quiet.

Thesis (seed 004_e916c81bec55fe39.txt, section 6): "when the yen's appreciation slope slows, a
short-term HSI bottom is forming"; "do not try to catch the falling knife: wait for the
shrinking-volume stabilisation after liquidity dries up" (缩量企稳).
Signal: within the last `burst_days` sessions USDJPY 10-day realised volatility was above
`high_volatility` and the yen appreciated at least `entry_slope` in a week (the burst); today the
weekly appreciation has slowed to less than `flat_slope`; and HSI has stabilised: its 5-day
average true range is below `contraction` x its 20-day one and the close is above the close
`stabilise_days` earlier. The stored HSI (WSJ cash index) has no volume, so the contracting
range stands in for the article's shrinking volume.
Entry: long HSI at the next session's open (09:15 Hong Kong). Exit: a close below the lowest
low of the burst period ("stop"), or after `hold_days` sessions ("short-term").
Instruments: HSI futures (the ^HSI cash index as proxy, HK$50 per point); USDJPY daily.
Benchmark: buy and hold HSI. Plain twin: the same rule without the burst (any slowing of the
yen's appreciation).
Regime read: not used by default; the burst is the deleveraging read the thesis names.
Calibrated on 1990-01-01..2007-12-31 (the yen thresholds, as hsi_short_yen_vol's); the range
and day counts are conventions.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from strategies import hsi_short_yen_vol, signals
from strategies.base import CommonParameters, LineRule, Panel, backtrader_params, require
from strategies.inputs import Inputs

ID = "hsi_bottom_long"
SEED = "004_e916c81bec55fe39.txt (section 6)"
TRADED = ("HSI",)
BAR = "1d"
SIGNALS = (("USDJPY", "1d"),)
WARMUP_DAYS = 60
BENCHMARK = "buy and hold HSI"
BENCHMARK_KIND = "hold"
PLAIN_TWIN = {"require_burst": False}
CALIBRATED_ON = hsi_short_yen_vol.CALIBRATED_ON
_YEN = hsi_short_yen_vol.Parameters


@dataclass(frozen=True)
class Parameters(CommonParameters):
    volatility_days: int = _YEN.volatility_days
    high_volatility: float = _YEN.high_volatility
    slope_days: int = _YEN.slope_days
    entry_slope: float = _YEN.entry_slope
    flat_slope: float = _YEN.flat_slope
    # The filter the thesis is about: a burst in the last two trading weeks.
    require_burst: bool = True
    burst_days: int = 10
    # "Quiet": this week's average range at most 80% of the month's (as gold_haven_turn).
    contraction: float = 0.8
    stabilise_days: int = 3
    # A "short-term bottom": two trading weeks.
    hold_days: int = 10

    def __post_init__(self):
        super().__post_init__()
        require(self.volatility_days >= 2 and self.slope_days >= 1 and self.burst_days >= 1,
                "volatility_days must be >= 2, slope_days and burst_days >= 1")
        require(0 < self.high_volatility < float("inf"), "high_volatility must be positive")
        require(0 <= self.flat_slope < self.entry_slope < float("inf"),
                "need 0 <= flat_slope < entry_slope")
        require(0 < self.contraction <= 1 and self.stabilise_days >= 1 and self.hold_days >= 1,
                "contraction must be in (0, 1], stabilise_days and hold_days >= 1")


def prepare(inputs: Inputs, parameters: Parameters) -> dict[str, pd.DataFrame]:
    hsi = inputs.frame("HSI", BAR)
    lines = hsi_short_yen_vol.yen_signals(inputs, ("HSI", BAR), parameters.volatility_days,
                                          parameters.slope_days, parameters.slope_days)
    window = parameters.burst_days
    burst = ((lines["yen_volatility"] > parameters.high_volatility).rolling(window, 1).max() > 0) \
        & ((lines["yen_slope"] <= -parameters.entry_slope).rolling(window, 1).max() > 0)
    burst = burst | (not parameters.require_burst)
    slowed = lines["yen_slope"] > -parameters.flat_slope
    atr5 = signals.average_true_range(hsi["high"], hsi["low"], hsi["close"], 5)
    atr20 = signals.average_true_range(hsi["high"], hsi["low"], hsi["close"], 20)
    quiet = (atr5 < parameters.contraction * atr20) & \
        (hsi["close"] > hsi["close"].shift(parameters.stabilise_days))
    lines["entry"] = (burst & slowed & quiet).astype(float)
    lines["exit"] = 0.0
    lines["burst_low"] = hsi["low"].rolling(window, min_periods=1).min()
    lines["range_ratio"] = atr5 / atr20
    return {"HSI": lines}


def panels(parameters: Parameters) -> tuple[Panel, ...]:
    return (Panel(f"USDJPY {parameters.volatility_days}-day realised volatility",
                  ("yen_volatility",), "annualised fraction",
                  (("high_volatility", parameters.high_volatility),)),
            Panel(f"USDJPY change over {parameters.slope_days} days", ("yen_slope",), "fraction",
                  (("burst below -entry_slope", -parameters.entry_slope),
                   ("slowed above -flat_slope", -parameters.flat_slope))),
            Panel("HSI 5-day over 20-day average true range", ("range_ratio",), "ratio",
                  (("contraction", parameters.contraction),)))


# The exits Strategy reads, in its order, for the screen (unwind/screen.py): the close against
# the burst low captured at the entry decision, then the holding limit.
SCREEN_EXITS = ("stop_below:burst_low", "hold_bars")


class Strategy(LineRule):
    params = backtrader_params(Parameters)

    def decide(self):
        entering = not self.position
        super().decide()
        if entering and self.entry_bar == len(self):
            self.stop_level = self.data.burst_low[0]

    def exit_reason(self, data) -> str | None:
        if data.close[0] < self.stop_level:
            return "stop"
        return "time" if self.holding_limit_reached(data) else None
