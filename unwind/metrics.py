"""The metric registry: each metric with its key, title, unit and function.

Ratios come from daily returns of the USD equity curve (its last value of each UTC day inside
the metrics window), annualised with 252 days; values are fractions, not percent. Edge cases are
defined, never NaN by accident:
- flat equity (no trades): returns, drawdown, volatility, worst day and every ratio are 0;
- a ratio whose denominator is zero with trades (no losing day for Sortino, no drawdown for
  Calmar, no left tail for the tail ratio) is None ("undefined"), shown as n/a;
- hit rate, average win and average loss are 0 without trades (or without wins / losses);
- days_to_first_entry is None when the playbook never entered in the window.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

ANNUALISATION = 252


@dataclass(frozen=True)
class RunData:
    """What metrics are computed from."""

    equity: pd.Series            # USD, indexed by UTC bar time, window only
    trades: pd.DataFrame         # one row per trade (columns as trades.csv)
    exposure: float              # fraction of window bars with a position
    first_trigger: str | None = None  # the episode's first trigger date (YYYY-MM-DD)

    @property
    def daily_returns(self) -> pd.Series:
        daily = self.equity.groupby(self.equity.index.normalize()).last()
        return daily.pct_change().dropna()

    @property
    def flat(self) -> bool:
        return bool(self.equity.nunique() <= 1)


@dataclass(frozen=True)
class Metric:
    key: str
    title: str
    unit: str
    compute: Callable[[RunData], float | None]


def _empyrical(function_name: str, **keywords) -> Callable[[RunData], float | None]:
    def compute(run: RunData) -> float | None:
        import empyrical

        returns = run.daily_returns
        if run.flat or len(returns) < 2:
            return 0.0
        with np.errstate(all="ignore"):
            value = float(getattr(empyrical, function_name)(returns, **keywords))
        return value if math.isfinite(value) else None
    return compute


def _total_return(run: RunData) -> float:
    return float(run.equity.iloc[-1] / run.equity.iloc[0] - 1)


def _average(run: RunData, winners: bool) -> float:
    pnl = run.trades["pnl_usd"]
    chosen = pnl[pnl > 0] if winners else pnl[pnl <= 0]
    return float(chosen.mean()) if len(chosen) else 0.0


def _days_to_first_entry(run: RunData) -> float | None:
    if run.first_trigger is None or run.trades.empty:
        return None
    first_entry = pd.to_datetime(run.trades["entry_time"].str[:10]).min()
    return float((first_entry - pd.Timestamp(run.first_trigger)).days)


METRICS: tuple[Metric, ...] = (
    Metric("total_return", "Total return", "fraction", _total_return),
    Metric("max_drawdown", "Maximum drawdown", "fraction (negative)",
           lambda run: _empyrical("max_drawdown")(run) or 0.0),
    Metric("sharpe_ratio", "Sharpe ratio", "annualised ratio",
           _empyrical("sharpe_ratio", annualization=ANNUALISATION)),
    Metric("sortino_ratio", "Sortino ratio", "annualised ratio",
           _empyrical("sortino_ratio", annualization=ANNUALISATION)),
    Metric("calmar_ratio", "Calmar ratio", "annualised ratio",
           _empyrical("calmar_ratio", annualization=ANNUALISATION)),
    Metric("annual_volatility", "Annual volatility", "fraction per year",
           _empyrical("annual_volatility", annualization=ANNUALISATION)),
    Metric("tail_ratio", "Tail ratio", "ratio (95th / 5th percentile)",
           _empyrical("tail_ratio")),
    Metric("worst_day", "Worst day", "fraction",
           lambda run: float(run.daily_returns.min()) if len(run.daily_returns) else 0.0),
    Metric("trades", "Trades", "count", lambda run: float(len(run.trades))),
    Metric("hit_rate", "Hit rate", "fraction of trades",
           lambda run: float((run.trades["pnl_usd"] > 0).mean()) if len(run.trades) else 0.0),
    Metric("avg_win_usd", "Average win", "USD per trade", lambda run: _average(run, True)),
    Metric("avg_loss_usd", "Average loss", "USD per trade", lambda run: _average(run, False)),
    Metric("exposure", "Exposure", "fraction of bars", lambda run: float(run.exposure)),
    Metric("pnl_usd", "Profit and loss", "USD",
           lambda run: float(run.equity.iloc[-1] - run.equity.iloc[0])),
    Metric("fees_usd", "Fees", "USD",
           lambda run: float(run.trades["fees_usd"].sum()) if len(run.trades) else 0.0),
    Metric("days_to_first_entry", "Days from first trigger to first entry", "calendar days",
           _days_to_first_entry),
)
BY_KEY = {metric.key: metric for metric in METRICS}


def _rounded(value: float | None) -> float | None:
    if value is None:
        return None
    return float(np.format_float_positional(value, precision=12, unique=True, fractional=False))


def compute(run: RunData) -> dict[str, float | None]:
    """Every registered metric, rounded to 12 significant digits so reruns compare exactly."""
    return {metric.key: _rounded(metric.compute(run)) for metric in METRICS}
