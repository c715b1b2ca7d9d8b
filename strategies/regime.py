"""The regime read of seed 000 (section 5): which story is the market telling today?

- fiscal_risk: JGB yields rising with a weaker yen (Japan's debt is the worry; yen sold).
- deleveraging: a stronger yen with risk-off (carry positions are being closed; VIX up).
- neutral: neither.
Daily, from JGB10Y, USDJPY and VIX closes, each known at its own daily close. Any playbook can
filter on it (`regime_filter`), and every run reports the share of days in each regime.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from feeds.bars import midnights
from strategies import signals

NEUTRAL, DELEVERAGING, FISCAL_RISK = 0, 1, 2
NAMES = {NEUTRAL: "neutral", DELEVERAGING: "deleveraging", FISCAL_RISK: "fiscal_risk"}
# Five trading days: one week, long enough to ignore one-day noise, short enough for a shock.
LOOKBACK_DAYS = 5
# A 1% weekly yen move is about one weekly standard deviation of USDJPY (8% a year / sqrt(52)).
YEN_MOVE = 0.01
# Five basis points a week is a large move for 10-year JGBs under yield-curve control.
JGB_MOVE = 0.05
# VIX above 20 is the conventional line between calm and stressed US equity markets.
VIX_STRESS = 20.0


def classify(usdjpy_close: pd.Series, jgb10y: pd.Series, vix: pd.Series) -> pd.Series:
    """Regime code per day on the union of the inputs' dates (each forward-filled)."""
    frame = _carried({"usdjpy": usdjpy_close, "jgb": jgb10y, "vix": vix})
    yen_move = signals.relative_change(frame["usdjpy"], LOOKBACK_DAYS).to_numpy()
    jgb_move = signals.change(frame["jgb"], LOOKBACK_DAYS).to_numpy()
    with np.errstate(invalid="ignore"):   # NaN moves (the first days) compare False
        deleveraging = (yen_move <= -YEN_MOVE) & (frame["vix"].to_numpy() >= VIX_STRESS)
        fiscal = (jgb_move >= JGB_MOVE) & (yen_move > 0)
    codes = np.where(deleveraging, DELEVERAGING, np.where(fiscal, FISCAL_RISK, NEUTRAL))
    return pd.Series(codes.astype("float64"), index=frame.index)


def _carried(closes: dict[str, pd.Series]) -> pd.DataFrame:
    """The series side by side on the union of their times, each carried forward (the regime
    read is remembered per process by its closes' content, so this runs once per distinct read)."""
    return pd.concat(closes, axis=1, sort=True).ffill()


def window_shares(codes: pd.Series, start: pd.Timestamp, end: pd.Timestamp) -> dict[str, float]:
    """Fraction of days in [start, end) in each regime, a day's regime being its last known
    code: `shares` of the codes grouped by UTC day (last), counted on the integers when the
    index is sorted UTC nanoseconds (a cell's groupby by normalized day cost a millisecond)."""
    inside = codes[(codes.index >= start) & (codes.index < end)].dropna()
    index = inside.index
    if not (isinstance(index, pd.DatetimeIndex) and str(index.tz) == "UTC" and
            index.unit == "ns" and index.is_monotonic_increasing):
        return shares(inside.groupby(index.normalize()).last())
    if inside.empty:
        return {name: 0.0 for name in NAMES.values()}
    days = midnights(index.asi8)
    last_of_day = np.append(days[1:] != days[:-1], True)
    daily = inside.to_numpy()[last_of_day]
    return {name: int(np.count_nonzero(daily == code)) / len(daily)
            for code, name in NAMES.items()}


def shares(codes: pd.Series) -> dict[str, float]:
    """Fraction of days in each regime."""
    counts = codes.value_counts(normalize=True)
    return {NAMES[code]: float(counts.get(code, 0.0)) for code in NAMES}
