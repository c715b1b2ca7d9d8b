"""The metric registry: each metric with its key, title, unit and function.

Ratios come from daily returns of the USD equity curve (its last value of each UTC day inside
the metrics window), annualised with 252 days; values are fractions, not percent; counts are
integers. Edge cases are defined, never NaN by accident:
- a window without trades ("no signal"): what money did is 0 (total return, drawdown,
  volatility, worst day, P&L, fees, exposure, trades) and every statistic that needs a trade
  or a return to describe is null (the four ratios, hit rate, average win and loss,
  days_to_first_entry); each metric's `without_trades` says which;
- with trades, a ratio whose denominator is zero (no losing day for Sortino, no drawdown for
  Calmar, no left tail for the tail ratio) is null ("undefined"), shown as n/a; so is the
  average win without a winning trade, and the average loss without a losing one;
- days_to_first_entry is a playbook's measure: benchmarks do not report it.

The distribution and trade statistics traders know from quantstats, pyfolio and backtesting.py
are defined as those libraries define them, so a number can be compared across tools: skew and
excess kurtosis of daily returns with the bias-corrected estimators (pandas' Series.skew and
Series.kurt; null below 3 and 4 returns or without variance), historical daily VaR at 95% (the
5th percentile of daily returns, linear interpolation) and CVaR (the mean of the returns at or
below it), both negative fractions like worst_day; profit factor (gross profit over gross loss of
the trades' net P&L, null without a losing trade), expectancy (mean net P&L per trade, USD) and
SQN (sqrt(trades) x mean / standard deviation of net P&L per trade, Van Tharp's system quality
number without his cap at 100 trades, as backtesting.py computes it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import Callable

import numpy as np
import pandas as pd

from unwind.evidence.analytics import ANNUALISATION, daily_returns

# trades.csv, one row per round trip (README "trades.csv" says what each column means):
# what the engine and the screen record, and the registry reads from.
TRADE_COLUMNS = ["entry_time", "exit_time", "symbol", "side", "contracts", "entry_price",
                 "exit_price", "currency", "gross_pnl_local", "fees_local", "pnl_local",
                 "fx_rate", "pnl_usd", "fees_usd", "exit_reason", "bars_held", "mae_usd",
                 "mfe_usd", "status", "rolls", "roll_gap", "roll_cost_usd", "financing_local",
                 "financing_usd", "fill_note"]


def trade_columns_read(first_trigger: str | None) -> tuple[str, ...]:
    """The trades.csv columns the registry reads (a sweep's screen builds only these): net P&L
    and fees, and the entry instants only for days_to_first_entry, which needs a trigger."""
    return ("pnl_usd", "fees_usd") + (("entry_time",) if first_trigger is not None else ())


def trades_text(count: int | None) -> str:
    """'1 trade', '3 trades' (None, no trade count, reads as 0): how every output counts them."""
    count = int(count or 0)
    return f"{count} trade{'' if count == 1 else 's'}"


@dataclass(frozen=True)
class RunData:
    """What metrics are computed from."""

    equity: pd.Series            # USD, indexed by UTC bar time, window only
    trades: pd.DataFrame         # one row per trade (columns as trades.csv)
    exposure: float              # fraction of window bars with a position
    first_trigger: str | None = None  # the episode's first trigger date (YYYY-MM-DD)

    @cached_property
    def daily_returns(self) -> pd.Series:
        """Computed once per RunData (every ratio reads it)."""
        return daily_returns(self.equity)

    @cached_property
    def values(self) -> np.ndarray:
        """The equity as an array (pandas' scalar access costs more than the arithmetic)."""
        return self.equity.to_numpy()

    @cached_property
    def daily(self) -> np.ndarray:
        """The daily returns as an array: what empyrical is handed."""
        return self.daily_returns.to_numpy()

    @cached_property
    def pnl(self) -> np.ndarray:
        """Net P&L of each trade, USD (four metrics read it)."""
        return self.trades["pnl_usd"].to_numpy("float64")

    @cached_property
    def flat(self) -> bool:
        """One value all along (nunique() <= 1, in numpy: equity is never missing)."""
        values = self.values
        return bool(len(values) == 0 or (values == values[0]).all())


@dataclass(frozen=True)
class Metric:
    key: str
    title: str
    unit: str
    compute: Callable[[RunData], float | None]
    without_trades: float | None = 0.0   # its value in a window without trades
    playbook_only: bool = False          # not reported for benchmarks
    terminal: bool = True                # in `unwind run`'s table (all are in metrics.json)

    @property
    def integer(self) -> bool:
        return self.unit in ("count", "calendar days")

    def display(self, value: float | None) -> str:
        """The value as a person reads it: percent for fractions (signed where a sign is news),
        integers for counts, thousands separators for USD, two decimals for ratios."""
        if value is None:
            return "n/a"
        if self.integer:
            return f"{int(value):,d}"
        if self.unit == "fraction":
            return f"{value:+.2%}"
        if self.unit.startswith("fraction"):
            return f"{value:.2%}"
        if self.unit.startswith("USD"):
            return f"{value:,.0f} USD"
        return f"{value:.2f}"


def _empyrical(function_name: str, **keywords) -> Callable[[RunData], float | None]:
    def compute(run: RunData) -> float | None:
        from unwind.compat import empyrical

        returns = run.daily
        if run.flat or len(returns) < 2:
            return 0.0
        # the array, not the Series: the same floats, faster (compute() silences numpy's
        # warnings: a zero denominator is an undefined ratio, made None here)
        value = float(getattr(empyrical(), function_name)(returns, **keywords))
        return value if math.isfinite(value) else None
    return compute


def _total_return(run: RunData) -> float:
    return float(run.values[-1] / run.values[0] - 1)


def _average(run: RunData, winners: bool) -> float | None:
    pnl = run.pnl
    chosen = pnl[pnl > 0] if winners else pnl[pnl <= 0]
    return float(chosen.mean()) if len(chosen) else None


def _central_moments(returns: np.ndarray) -> tuple[int, float, float, float]:
    """n and the second, third and fourth central moments (population, divided by n)."""
    deviations = returns - returns.mean()
    squared = deviations * deviations
    return (len(returns), float(squared.mean()), float((squared * deviations).mean()),
            float((squared * squared).mean()))


def _skew(run: RunData) -> float | None:
    """Adjusted Fisher-Pearson skewness of daily returns (pandas' and quantstats' estimator)."""
    if len(run.daily) < 3:
        return None
    count, second, third, _ = _central_moments(run.daily)
    if second <= 0:
        return None
    return third / second ** 1.5 * math.sqrt(count * (count - 1)) / (count - 2)


def _kurtosis(run: RunData) -> float | None:
    """Excess kurtosis of daily returns, bias-corrected (pandas' and quantstats' estimator):
    0 for a normal distribution."""
    if len(run.daily) < 4:
        return None
    count, second, _, fourth = _central_moments(run.daily)
    if second <= 0:
        return None
    excess = fourth / second ** 2 - 3
    return ((count + 1) * excess + 6) * (count - 1) / ((count - 2) * (count - 3))


VAR_LEVEL = 0.95


def _value_at_risk(run: RunData) -> float:
    """Historical daily VaR: the daily return not undercut on VAR_LEVEL of days (negative)."""
    return float(np.quantile(run.daily, 1 - VAR_LEVEL)) if len(run.daily) else 0.0


def _conditional_value_at_risk(run: RunData) -> float:
    """The mean daily return on the days at or below the VaR (expected shortfall)."""
    if not len(run.daily):
        return 0.0
    daily = run.daily
    return float(daily[daily <= np.quantile(daily, 1 - VAR_LEVEL)].mean())


def _profit_factor(run: RunData) -> float | None:
    losses = -run.pnl[run.pnl < 0].sum()
    return float(run.pnl[run.pnl > 0].sum() / losses) if losses > 0 else None


def _system_quality(run: RunData) -> float | None:
    """SQN: sqrt(trades) x mean / standard deviation (n - 1) of the trades' net P&L."""
    if len(run.pnl) < 2:
        return None
    spread = float(run.pnl.std(ddof=1))
    return math.sqrt(len(run.pnl)) * float(run.pnl.mean()) / spread if spread > 0 else None


def _days_to_first_entry(run: RunData) -> int | None:
    """Whole days from the first trigger's date (00:00 UTC) to the first fill instant; negative
    when the playbook was already in before the trigger."""
    if run.first_trigger is None:
        return None
    first_entry = pd.to_datetime(run.trades["entry_time"], utc=True).min()
    return int((first_entry - pd.Timestamp(run.first_trigger, tz="UTC")) // pd.Timedelta(days=1))


METRICS: tuple[Metric, ...] = (
    Metric("total_return", "Total return", "fraction", _total_return),
    Metric("annual_return", "Annualised return", "fraction per year",
           _empyrical("annual_return", annualization=ANNUALISATION)),
    Metric("max_drawdown", "Maximum drawdown (daily closes)", "fraction",
           lambda run: _empyrical("max_drawdown")(run) or 0.0),
    Metric("sharpe_ratio", "Sharpe ratio", "annualised ratio",
           _empyrical("sharpe_ratio", annualization=ANNUALISATION), None),
    Metric("sortino_ratio", "Sortino ratio", "annualised ratio",
           _empyrical("sortino_ratio", annualization=ANNUALISATION), None),
    Metric("calmar_ratio", "Calmar ratio", "annualised ratio",
           _empyrical("calmar_ratio", annualization=ANNUALISATION), None),
    Metric("annual_volatility", "Annual volatility", "fraction per year",
           _empyrical("annual_volatility", annualization=ANNUALISATION)),
    Metric("tail_ratio", "Tail ratio", "ratio (95th / 5th percentile)",
           _empyrical("tail_ratio"), None),
    Metric("worst_day", "Worst day", "fraction",
           lambda run: float(run.daily.min()) if len(run.daily) else 0.0),
    Metric("var_95", "Value at risk, daily 95%", "fraction per day",
           _value_at_risk),
    Metric("cvar_95", "Expected shortfall, daily 95%", "fraction per day",
           _conditional_value_at_risk, terminal=False),
    Metric("skew", "Skew of daily returns", "statistic", _skew, None, terminal=False),
    Metric("kurtosis", "Excess kurtosis of daily returns", "statistic", _kurtosis, None,
           terminal=False),
    Metric("trades", "Trades", "count", lambda run: len(run.trades)),
    Metric("hit_rate", "Hit rate", "fraction of trades",
           lambda run: float((run.pnl > 0).mean()), None),
    Metric("avg_win_usd", "Average win", "USD per trade", lambda run: _average(run, True), None),
    Metric("avg_loss_usd", "Average loss", "USD per trade", lambda run: _average(run, False),
           None),
    Metric("profit_factor", "Profit factor", "ratio (gross profit / gross loss)",
           _profit_factor, None),
    Metric("expectancy_usd", "Expectancy", "USD per trade",
           lambda run: float(run.pnl.mean()), None, terminal=False),
    Metric("sqn", "System quality number (SQN)", "statistic", _system_quality, None,
           terminal=False),
    Metric("exposure", "Exposure", "fraction of bars", lambda run: float(run.exposure)),
    Metric("pnl_usd", "Profit and loss", "USD",
           lambda run: float(run.values[-1] - run.values[0])),
    Metric("fees_usd", "Fees", "USD",
           lambda run: float(run.trades["fees_usd"].to_numpy("float64").sum())),
    Metric("days_to_first_entry", "Days from first trigger to first entry", "calendar days",
           _days_to_first_entry, None, playbook_only=True),
)
BY_KEY = {metric.key: metric for metric in METRICS}


def display(key: str, value: float | None) -> str:
    """The value of the metric `key` as every page prints it, in the unit the registry gives
    it (Metric.display): one rule, so a number reads the same on every page."""
    return BY_KEY[key].display(value)


def _rounded(metric: Metric, value: float | None) -> float | int | None:
    if value is None:
        return None
    if metric.integer:
        return int(value)
    return float(np.format_float_positional(value, precision=12, unique=True, fractional=False))


def compute(run: RunData) -> dict[str, float | int | None]:
    """Every registered metric, rounded to 12 significant digits so reruns compare exactly."""
    if run.trades.empty:
        return {m.key: _rounded(m, m.without_trades) for m in METRICS}
    with np.errstate(all="ignore"):
        return {m.key: _rounded(m, m.compute(run)) for m in METRICS}
