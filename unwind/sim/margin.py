"""Margin and leverage: what the account must post for its positions, and how large they may be.

Initial margin per contract, in the contract currency, for a fill or a hold at bar t (known at
t's open: it reads closes through bar t-1):

- futures: `margin_sigmas` x price x sigma x multiplier. sigma is the larger of the 20-day and
  60-day daily volatility of the contract's returns (roll-adjusted moves over printed prices). SPAN sets a contract's margin to cover a
  one- to two-day move at high confidence, so margin follows the contract's dollar volatility;
  exchanges raise margins fast in a storm and lower them slowly, which the larger of a short and
  a long window imitates. `margin_sigmas` is the registry's dated margin divided by that dollar
  volatility on the last session before `margin_as_of` (feeds/instruments.toml), so the model
  returns the published margin on that date: GC 11,000 USD in August 2024, for example.
- spot FX, spot gold, ETFs: `margin_rate` x price x multiplier (fixed regulatory leverage: 30:1
  on majors, 20:1 on gold, Reg T 50%).
- `--margin SYM=USD` fixes a contract's initial margin for the run.

Maintenance margin = `maintenance_ratio` x initial (futures 1/1.1, HKEX 0.8, retail spot 0.5).
When the account's equity at a bar's close is below the maintenance margin of its positions,
every position is closed at the next open, exit reason `margin` (strategies/book.py).

Leverage: the sizer never takes the gross notional of all positions above `max_leverage` x
equity (default DEFAULT_MAX_LEVERAGE), and never posts more initial margin than the equity.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from feeds.instruments import Instrument
from unwind.sim.costs import bars_per_day

# Gross notional / equity. The worst days of the traded contracts in the store are 11-13% (NQ
# -10.8% on 2020-03-16, gold -11.4% on 2026-01-30, the HSI -13.2% on 2025-04-07): at 3x such a
# day costs a third to two-fifths of equity, a loss a book survives; at 5x it would cost two
# thirds. Without a cap the risk-budget sizer held 1.68x in NQ and 2.9x in ZN in calm quarters.
DEFAULT_MAX_LEVERAGE = 3.0
SHORT_DAYS, LONG_DAYS = 20, 60


def daily_volatility(returns: pd.Series, instrument: Instrument, bar: str,
                     days: int) -> pd.Series:
    """Daily volatility (fraction) of per-bar `returns` over the last `days` trading days of
    bars, at each bar."""
    per_day = bars_per_day(instrument, bar)
    window = int(round(days * per_day))
    deviation = returns.rolling(window, min_periods=max(5, window // 2)).std()
    return deviation * math.sqrt(per_day)


def margin_volatility(raw_close: pd.Series, adjusted_close: pd.Series, instrument: Instrument,
                      bar: str) -> pd.Series:
    """sigma of the futures margin model at each bar, from closes through that bar: returns are
    the roll-adjusted move over the printed price before it, the contract's own return whatever
    the adjustment's anchor."""
    returns = adjusted_close.diff() / raw_close.shift(1)
    return np.maximum(daily_volatility(returns, instrument, bar, SHORT_DAYS),
                      daily_volatility(returns, instrument, bar, LONG_DAYS))


def initial_margin_local(instrument: Instrument, raw_close: pd.Series, adjusted_close: pd.Series,
                         bar: str) -> np.ndarray:
    """Initial margin per contract in the contract currency at each bar, known at its open."""
    if instrument.kind == "futures" and instrument.margin_sigmas > 0:
        sigma = margin_volatility(raw_close, adjusted_close, instrument, bar)
        margin = instrument.margin_sigmas * raw_close * sigma * instrument.multiplier
        # before enough history: the registry's dated margin
        return margin.shift(1).fillna(instrument.initial_margin).to_numpy()
    if instrument.initial_margin:
        return np.full(len(raw_close), instrument.initial_margin)
    margin = instrument.margin_rate * raw_close * instrument.multiplier
    return margin.shift(1).fillna(margin.iloc[0] if len(margin) else 0.0).to_numpy()


def describe(instrument: Instrument, override_usd: float | None) -> str:
    """One line for the manifest: how this contract's margin is set."""
    if override_usd is not None:
        return f"{instrument.symbol}: initial margin fixed at {override_usd:,.0f} USD (--margin)"
    if instrument.kind == "futures" and instrument.margin_sigmas > 0:
        return (f"{instrument.symbol}: initial margin {instrument.margin_sigmas:g} x price x "
                f"max(20-day, 60-day) daily volatility x {instrument.multiplier:g} "
                f"({instrument.initial_margin:,.0f} {instrument.currency} as of "
                f"{instrument.margin_as_of}); maintenance {instrument.maintenance_ratio:g} x")
    if instrument.initial_margin:
        return (f"{instrument.symbol}: initial margin {instrument.initial_margin:,.0f} "
                f"{instrument.currency} (as of {instrument.margin_as_of}); maintenance "
                f"{instrument.maintenance_ratio:g} x")
    return (f"{instrument.symbol}: initial margin {instrument.margin_rate:g} x notional; "
            f"maintenance {instrument.maintenance_ratio:g} x")
