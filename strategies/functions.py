"""The library of causal functions the expression language (strategies/expressions.py) calls:
each with the kinds of its arguments, the kind of its result, what it computes and what it
means. Every one reads only the rows up to each row (windows and lags are whole numbers of bars
>= 1); strategies/signals.py holds the longer ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import pandas as pd

from strategies import signals

NUMBER, CONDITION, TEXT, SOURCE = "number", "condition", "text", "source"


@dataclass(frozen=True)
class Function:
    """One library function: its argument kinds, result kind, implementation and meaning.
    Argument kinds: `series` (numbers on a calendar), `condition`, `any` (either; the result
    keeps its kind), `bars` (a whole number >= 1: literal or int parameter), `level` (a number
    or a series), `source` (a series the spec reads, for functions of its high/low/close),
    `periods` (a positive number literal, optional). `percentages`: it takes percentages of
    its series, so a read of a roll-adjusted future passed to it bare (`gc`, `gc.close`) is
    given the contract's own returns (strategies.inputs.Inputs.ratio_close), the same whatever
    window was loaded; differences, levels and ranks are shift-invariant and read the adjusted
    close."""

    arguments: tuple[str, ...]
    result: str
    compute: Callable
    meaning: str
    optional: int = 0
    percentages: bool = False


def _rolling_any(condition: pd.Series, bars: int) -> pd.Series:
    return condition.astype(float).rolling(bars, min_periods=1).max() > 0


FUNCTIONS: dict[str, Function] = {
    "log_returns": Function(("series",), NUMBER, signals.log_returns,
                            "log return against the previous bar", percentages=True),
    "realised_volatility": Function(
        ("series", "bars", "periods"), NUMBER,
        lambda x, bars, periods=252: signals.realised_volatility(x, bars, periods),
        "annualised standard deviation of log returns over `bars` (annualised fraction; "
        "periods a year 252 unless given)", optional=1, percentages=True),
    "change": Function(("series", "bars"), NUMBER, signals.change,
                       "difference against `bars` bars earlier, in the series' unit"),
    "relative_change": Function(("series", "bars"), NUMBER, signals.relative_change,
                                "fractional change against `bars` bars earlier (0.01 = +1%)",
                                percentages=True),
    "zscore": Function(("series", "bars"), NUMBER, signals.zscore,
                       "rolling standard deviations from the rolling mean (z-score)"),
    "percentile_rank": Function(("series", "bars"), NUMBER, signals.rolling_percentile,
                                "share of the last `bars` values at or below this one, [0, 1]"),
    "lag": Function(("any", "bars"), "any",
                    lambda x, bars: x.shift(bars, fill_value=False) if x.dtype == bool
                    else x.shift(bars),
                    "the value `bars` bars earlier"),
    "rolling_high": Function(("series", "bars"), NUMBER,
                             lambda x, bars: x.rolling(bars, min_periods=1).max(),
                             "highest value of the last `bars` bars (fewer at the start)"),
    "rolling_low": Function(("series", "bars"), NUMBER,
                            lambda x, bars: x.rolling(bars, min_periods=1).min(),
                            "lowest value of the last `bars` bars (fewer at the start)"),
    "rolling_mean": Function(("series", "bars"), NUMBER, lambda x, bars: x.rolling(bars).mean(),
                             "mean of the last `bars` values"),
    "drawdown_from_high": Function(("series", "bars"), NUMBER, signals.drawdown_from_high,
                                   "fall from the highest of the last `bars` (-0.05 = 5% below)",
                                   percentages=True),
    "average_true_range": Function(
        ("source", "bars"), NUMBER,
        lambda frame, bars: signals.average_true_range(frame["high"], frame["low"],
                                                       frame["close"], bars),
        "mean true range of a read series over `bars`, in price units"),
    "abs": Function(("series",), NUMBER, lambda x: x.abs(), "absolute value"),
    "on_traded": Function(("any",), "any", lambda x: x,
                          "the value as known at each traded bar (so a window after it counts "
                          "traded bars, not the source's)"),
    "happened": Function(("condition",), CONDITION, lambda x: x,
                         "held on at least one of the source's bars that became known since the "
                         "previous traded bar (an event on a day the traded market is shut is "
                         "seen at its next bar)"),
    "rising": Function(("series", "bars"), CONDITION, lambda x, bars: x > x.shift(bars),
                       "above its value `bars` bars earlier"),
    "falling": Function(("series", "bars"), CONDITION, lambda x, bars: x < x.shift(bars),
                        "below its value `bars` bars earlier"),
    "crosses_above": Function(("series", "level"), CONDITION,
                              lambda x, level: (x > level) & (x.shift(1) <= _lagged(level)),
                              "above `level` on this bar, at or below it on the previous one"),
    "crosses_below": Function(("series", "level"), CONDITION,
                              lambda x, level: (x < level) & (x.shift(1) >= _lagged(level)),
                              "below `level` on this bar, at or above it on the previous one"),
    "any_within": Function(("condition", "bars"), CONDITION, _rolling_any,
                           "held on at least one of the last `bars` bars (this one included)"),
    "all_within": Function(("condition", "bars"), CONDITION,
                           lambda c, bars: c.astype(float).rolling(bars).min() > 0,
                           "held on each of the last `bars` bars"),
    "count_within": Function(("condition", "bars"), NUMBER,
                             lambda c, bars: c.astype(float).rolling(bars, min_periods=1).sum(),
                             "how many of the last `bars` bars it held on (an event count)"),
}


def _lagged(level):
    return level.shift(1) if isinstance(level, pd.Series) else level
