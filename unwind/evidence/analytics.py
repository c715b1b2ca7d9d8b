"""Series computed from a USD equity curve, in one place: daily closes and returns, the
underwater curve and the worst drawdowns, rolling volatility and Sharpe, and returns by period.

The metric registry (unwind.evidence.metrics) reduces these to numbers; pages and notebooks draw
them. Days are UTC days: a day's close is the equity at its last bar, which is what every
ratio is computed from.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

ANNUALISATION = 252   # trading days a year, for every annualised ratio


def by_day(equity: pd.Series) -> tuple[pd.Series, pd.DatetimeIndex]:
    """(the equity at the last bar of each UTC day, indexed by the day (00:00 UTC); the instant
    of that bar, where a page draws the day's value). One pass over a curve in time order
    without gaps; a curve out of order or with a missing value (a groupby's last skips it)
    takes the groupbys, whose result the pass equals."""
    days = equity.index.normalize()
    keys = days.asi8
    values = equity.to_numpy()
    if not len(values) or np.any(keys[1:] < keys[:-1]) or np.isnan(values).any():
        closes = equity.groupby(days).last()
        instants = equity.index.to_series().groupby(days).last()
        return closes, pd.DatetimeIndex(instants)
    lasts = np.flatnonzero(np.r_[keys[1:] != keys[:-1], True])
    return pd.Series(values[lasts], index=days[lasts], name=equity.name), equity.index[lasts]


def daily_closes(equity: pd.Series) -> pd.Series:
    """The equity at the last bar of each UTC day, indexed by the day (00:00 UTC)."""
    return by_day(equity)[0]


def daily_returns(equity: pd.Series) -> pd.Series:
    """Returns of the last equity of each UTC day: what every ratio is computed from."""
    return daily_closes(equity).pct_change().dropna()


def period_returns(equity: pd.Series, closes: pd.Series) -> pd.Series:
    """Each period's return from `closes` (the equity at the end of each period, oldest first),
    the first period's from the starting equity."""
    return closes / closes.shift(1, fill_value=equity.iloc[0]) - 1


def monthly_closes(equity: pd.Series) -> pd.Series:
    """The equity at each calendar month's last bar, indexed by month (a pandas Period)."""
    return equity.groupby(equity.index.tz_convert(None).to_period("M")).last()


def underwater(equity: pd.Series) -> pd.Series:
    """Each bar's fall from the highest equity before it (a fraction, 0 at a new high)."""
    return equity / equity.cummax() - 1


def drawdowns(closes: pd.Series, top: int = 5) -> list[dict]:
    """The `top` deepest drawdowns of an equity series: peak, trough, recovery (None when not
    recovered), depth (fraction, negative) and calendar days from peak to recovery or the end."""
    values = closes.to_numpy(dtype=float)
    below_high = values / np.maximum.accumulate(values) - 1
    below = below_high < 0
    starts = np.flatnonzero(below & ~np.r_[False, below[:-1]])
    ends = np.flatnonzero(below & ~np.r_[below[1:], False])
    found = []
    for first, last in zip(starts, ends):
        trough = first + int(np.argmin(below_high[first:last + 1]))
        recovered = last + 1 < len(values)
        peak = closes.index[max(first - 1, 0)]
        finish = closes.index[last + 1] if recovered else closes.index[-1]
        found.append({"peak": peak, "trough": closes.index[trough],
                      "recovery": closes.index[last + 1] if recovered else None,
                      "depth": float(below_high[trough]), "days": (finish - peak).days})
    return sorted(found, key=lambda d: d["depth"])[:top]


def rolling_volatility(daily: pd.Series, days: int) -> pd.Series:
    """The annualised standard deviation (n - 1) of each trailing `days` daily returns."""
    return daily.rolling(days).std() * np.sqrt(ANNUALISATION)


def rolling_sharpe(daily: pd.Series, days: int = 126) -> pd.Series:
    """The Sharpe ratio of each trailing `days` of daily returns, annualised as sharpe_ratio is
    (mean / standard deviation (n - 1) x sqrt(252)); NaN until `days` returns are in, and where
    the window has no variance. A series, not a registry metric: pages and notebooks plot it."""
    window = daily.rolling(days, min_periods=days)
    spread = window.std(ddof=1)
    return (window.mean() / spread.where(spread > 0) * math.sqrt(ANNUALISATION)).rename(
        f"rolling_sharpe_{days}d")
