"""What a fill costs: the registry's fee plus slippage in ticks, fixed or widening with volatility.

Slippage per contract per side, in ticks of the contract (README "Costs"):

- `fixed`: ticks = base, the registry's `slippage_ticks` (a typical spread; see
  feeds/instruments.toml for each instrument's reason) or `--slippage-ticks` for every instrument.
- `volatility` (the default): ticks = base x m, rounded half up to whole ticks when base is whole
  (fills stay on the contract's grid), with

      m = min(CAP, max(1, recent / typical))
      recent  = root mean square of the log returns of the last trading day of bars (the last
                5 bars for daily bars), through the bar before the fill
      typical = median of `recent` over the previous 252 trading days (at least 60; m = 1 until
                then)

  so a fill in a calm week costs the base and one in a storm up to CAP times it. Market makers
  quote wider when prices move fast. The MT5 XAUUSD export in ../shared/data/raw records the
  broker's spread (the bar's minimum): 5 cents in most hours of 2024 whatever the volatility, 33
  cents (6.6x) through the 2024-08-05 sell-off, when m read 2.7-3.7. That field is too coarse to
  fit the law to; the model is an assumption it does not contradict. CAP = 5: m exceeds 5 on
  about 0.1% of XAUUSD hours 2018-2026, and the cap keeps a data spike from costing more than
  five spreads while staying below the 6.6x recorded on 2024-08-05.

The line is known when the order fills: a fill at bar t's open reads data through bar t-1.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from feeds import calendars
from feeds.bars import BARS, is_intraday
from feeds.instruments import Instrument

MODELS = ("fixed", "volatility")
CAP = 5.0
TYPICAL_DAYS = 252
MIN_TYPICAL_DAYS = 60
DAILY_RECENT_BARS = 5


def bars_per_day(instrument: Instrument, bar: str) -> float:
    """Bars of `bar` size in one trading day of `instrument`."""
    if not is_intraday(bar):
        return 1.0
    return calendars.session_hours(instrument) * pd.Timedelta(hours=1) / BARS[bar]


def volatility_multiple(close: pd.Series, instrument: Instrument, bar: str) -> np.ndarray:
    """m of the volatility model at each bar (for a fill at that bar's open)."""
    per_day = bars_per_day(instrument, bar)
    recent_bars = DAILY_RECENT_BARS if per_day == 1.0 else max(2, int(round(per_day)))
    # the differences, ratio, clip and shift on the arrays (the same floats as pandas' diff,
    # division, clip and shift, without a Series for each); the rolling windows stay pandas'
    logs = np.log(np.asarray(close, dtype=float))
    returns = np.full(len(logs), np.nan)
    returns[1:] = logs[1:] - logs[:-1]
    recent = np.sqrt(pd.Series(returns ** 2).rolling(recent_bars, min_periods=recent_bars)
                     .mean().to_numpy())
    typical = pd.Series(recent).rolling(int(round(TYPICAL_DAYS * per_day)),
                                        min_periods=int(round(MIN_TYPICAL_DAYS * per_day))
                                        ).median().to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        clipped = np.clip(recent / typical, 1.0, CAP)
    multiple = np.ones(len(clipped))
    multiple[1:] = clipped[:-1]
    multiple[np.isnan(multiple)] = 1.0
    return multiple


def slippage_ticks(close: pd.Series, instrument: Instrument, bar: str, model: str,
                   base: float | None = None) -> np.ndarray:
    """Ticks of slippage per contract per side for a fill at each bar's open."""
    ticks = instrument.slippage_ticks if base is None else base
    if model == "fixed":
        return np.full(len(close), float(ticks))
    scaled = ticks * volatility_multiple(close, instrument, bar)
    if float(ticks).is_integer():
        scaled = np.floor(scaled + 0.5)
    return scaled


def describe(model: str, base: float | None) -> str:
    """One line for the manifest: the model, its base and cap."""
    base_text = "the registry's slippage_ticks" if base is None else f"{base:g} ticks"
    if model == "fixed":
        return f"slippage fixed at {base_text} per contract per side"
    return (f"slippage {base_text} x min({CAP:g}, max(1, recent / typical volatility)) per "
            f"contract per side, whole ticks")


def round_trip_cost_local(instrument: Instrument, fee_local: float, ticks: float) -> float:
    """Both legs of a roll, per contract, in the contract currency: two fees and two slippages."""
    return 2.0 * (fee_local + ticks * instrument.tick_value)
