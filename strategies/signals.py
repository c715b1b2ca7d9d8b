"""Signal functions the playbooks share: pure, vectorised, backward-looking.

Each takes pandas Series (or frames) indexed by time and returns a Series on the same index whose
value at t uses only rows up to t. Units are in the docstrings. They run once before a backtest;
the results travel to backtrader as lines, so `next()` only reads numbers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def log_returns(close: pd.Series) -> pd.Series:
    """Log return of each bar against the previous one (NaN on the first)."""
    return np.log(close).diff()


def realised_volatility(close: pd.Series, window: int, periods_per_year: float) -> pd.Series:
    """Annualised standard deviation of log returns over the last `window` bars (a fraction)."""
    return log_returns(close).rolling(window).std() * np.sqrt(periods_per_year)


def change(series: pd.Series, bars: int) -> pd.Series:
    """Difference against `bars` bars earlier (in the series' own unit, e.g. yield points)."""
    return series - series.shift(bars)


def relative_change(series: pd.Series, bars: int) -> pd.Series:
    """Fractional change against `bars` bars earlier (0.01 = +1%)."""
    return series / series.shift(bars) - 1


def zscore(series: pd.Series, window: int) -> pd.Series:
    """How many rolling standard deviations the value sits from its rolling mean."""
    mean = series.rolling(window).mean()
    spread = series.rolling(window).std()
    return (series - mean) / spread.where(spread > 0)


def rolling_percentile(series: pd.Series, window: int) -> pd.Series:
    """Share of the last `window` values (this one included) at or below this one, in [0, 1]."""
    return series.rolling(window).rank(pct=True)


def average_true_range(high: pd.Series, low: pd.Series, close: pd.Series,
                       window: int) -> pd.Series:
    """Mean true range over `window` bars, in price units."""
    previous = close.shift(1)
    true_range = pd.concat([high - low, (high - previous).abs(), (low - previous).abs()],
                           axis=1).max(axis=1)
    return true_range.rolling(window).mean()


def drawdown_from_high(close: pd.Series, window: int) -> pd.Series:
    """Fall from the highest close of the last `window` bars (0 at a high, -0.05 = 5% below)."""
    return close / close.rolling(window, min_periods=1).max() - 1


def session_return(open_: pd.Series, close: pd.Series, in_session: pd.Series,
                   session_day: pd.Series) -> pd.Series:
    """Return from the session's first open to each in-session close, per session day.

    `in_session` marks the bars of the session, `session_day` says which day each bar belongs
    to; bars outside the session get NaN.
    """
    inside = in_session.astype(bool)
    first_open = open_.where(inside).groupby(session_day).transform("first")
    return (close / first_open - 1).where(inside)


def align(values: pd.Series | pd.DataFrame, known_at: pd.DatetimeIndex,
          decision_times: pd.DatetimeIndex) -> pd.DataFrame:
    """The latest values known at each decision time (as-of join, never looking ahead).

    `values` are rows known at `known_at` (same length); the result has one row per decision
    time, NaN before the first known value (and at a decision time that is NaT). Of rows
    known at the same instant the last counts; a row known at NaT is never known. Taken on the
    integers (a stable sort, then binary search): a run aligns hundreds of lines.
    """
    frame = values.to_frame() if isinstance(values, pd.Series) else values
    known = pd.DatetimeIndex(known_at).as_unit("ns")
    wanted = pd.DatetimeIndex(decision_times).as_unit("ns")
    if (known.tz is None) != (wanted.tz is None):
        raise TypeError("align: known and decision times must both be time-zone aware or both "
                        "naive")
    rows = frame.to_numpy(dtype="float64")[~known.isna()]
    instants = known.asi8[~known.isna()]
    order = np.argsort(instants, kind="stable")
    instants, rows = instants[order], rows[order]
    last = np.append(instants[1:] != instants[:-1], len(instants) > 0)[:len(instants)]
    instants, rows = instants[last], rows[last]
    position = np.searchsorted(instants, wanted.asi8, side="right") - 1
    position[wanted.isna()] = -1
    result = np.full((len(wanted), rows.shape[1]), np.nan)
    result[position >= 0] = rows[position[position >= 0]]
    return pd.DataFrame(result, index=decision_times, columns=frame.columns)
