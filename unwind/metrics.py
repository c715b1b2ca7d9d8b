"""The metric registry: each metric with its key, title, unit and function.

Ratios come from daily returns of the USD equity curve (its last value of each UTC day, inside
the metrics window), annualised with 252 days. Values are fractions, not percent. A window with
no trades is defined: zero return, zero drawdown, Sharpe 0 (flat equity has no volatility to
divide by, and a flat account earns no risk-adjusted return), hit rate 0, exposure 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

ANNUALISATION = 252


@dataclass(frozen=True)
class Metric:
    key: str
    title: str
    unit: str
    compute: Callable[["RunData"], float]


@dataclass(frozen=True)
class RunData:
    """What metrics are computed from: window equity and the trades closed in the window."""

    equity: pd.Series          # USD, indexed by UTC bar time, window only
    trades: pd.DataFrame       # one row per trade (columns as trades.csv)
    exposure: float            # fraction of window bars with a position

    @property
    def daily_returns(self) -> pd.Series:
        daily = self.equity.groupby(self.equity.index.normalize()).last()
        return daily.pct_change().dropna()


def _total_return(run: RunData) -> float:
    return float(run.equity.iloc[-1] / run.equity.iloc[0] - 1) if len(run.equity) else 0.0


def _max_drawdown(run: RunData) -> float:
    import empyrical

    returns = run.daily_returns
    return float(empyrical.max_drawdown(returns)) if len(returns) else 0.0


def _sharpe(run: RunData) -> float:
    import empyrical

    returns = run.daily_returns
    if len(returns) < 2 or not returns.std() > 0:
        return 0.0
    return float(empyrical.sharpe_ratio(returns, annualization=ANNUALISATION))


def _hit_rate(run: RunData) -> float:
    return float((run.trades["pnl_usd"] > 0).mean()) if len(run.trades) else 0.0


METRICS: tuple[Metric, ...] = (
    Metric("total_return", "Total return", "fraction", _total_return),
    Metric("max_drawdown", "Maximum drawdown", "fraction (negative)", _max_drawdown),
    Metric("sharpe_ratio", "Sharpe ratio", "annualised ratio", _sharpe),
    Metric("trades", "Trades", "count", lambda run: float(len(run.trades))),
    Metric("hit_rate", "Hit rate", "fraction of trades", _hit_rate),
    Metric("exposure", "Exposure", "fraction of bars", lambda run: float(run.exposure)),
    Metric("pnl_usd", "Profit and loss", "USD",
           lambda run: float(run.equity.iloc[-1] - run.equity.iloc[0]) if len(run.equity)
           else 0.0),
    Metric("fees_usd", "Fees", "USD",
           lambda run: float(run.trades["fees_usd"].sum()) if len(run.trades) else 0.0),
)


def compute(run: RunData) -> dict[str, float]:
    """Every registered metric, rounded to 12 significant digits so reruns compare exactly."""
    return {m.key: float(np.format_float_positional(m.compute(run), precision=12, unique=True,
                                                    fractional=False))
            for m in METRICS}
