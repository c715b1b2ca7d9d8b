"""The regime read of seed 000 (section 5): which story is the market telling today?

- fiscal_risk: JGB yields rising with a weaker yen (Japan's debt is the worry; yen sold).
- deleveraging: a stronger yen with risk-off (carry positions are being closed; VIX up).
- neutral: neither.
Daily, from JGB10Y, USDJPY and VIX closes, each known at its own daily close. Any playbook can
filter on it (`regime_filter`), and every run reports the share of days in each regime.
"""

from __future__ import annotations

import pandas as pd

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
    frame = pd.concat({"usdjpy": usdjpy_close, "jgb": jgb10y, "vix": vix}, axis=1, sort=True).ffill()
    yen_move = signals.relative_change(frame["usdjpy"], LOOKBACK_DAYS)
    jgb_move = signals.change(frame["jgb"], LOOKBACK_DAYS)
    deleveraging = (yen_move <= -YEN_MOVE) & (frame["vix"] >= VIX_STRESS)
    fiscal = (jgb_move >= JGB_MOVE) & (yen_move > 0)
    regime = pd.Series(NEUTRAL, index=frame.index, dtype="float64")
    regime[fiscal] = FISCAL_RISK
    regime[deleveraging] = DELEVERAGING
    return regime


def shares(codes: pd.Series) -> dict[str, float]:
    """Fraction of days in each regime."""
    counts = codes.value_counts(normalize=True)
    return {NAMES[code]: float(counts.get(code, 0.0)) for code in NAMES}
