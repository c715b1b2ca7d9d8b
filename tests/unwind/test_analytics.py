"""unwind.evidence.analytics on hand-checkable curves."""

import numpy as np
import pandas as pd

from unwind.evidence import analytics


def _curve(times: list[str], values: list[float]) -> pd.Series:
    return pd.Series(values, index=pd.DatetimeIndex(times, tz="UTC"), name="equity_usd")


def test_by_day_takes_each_utc_days_last_bar_and_equals_the_groupbys():
    curve = _curve(["2024-08-02 20:00", "2024-08-02 23:00", "2024-08-05 01:00",
                    "2024-08-05 09:00"], [100.0, 101.0, 95.0, 97.0])
    closes, instants = analytics.by_day(curve)
    # by hand: 2 Aug closes at 101 (23:00), 5 Aug at 97 (09:00)
    assert closes.tolist() == [101.0, 97.0]
    assert list(closes.index) == list(pd.DatetimeIndex(["2024-08-02", "2024-08-05"], tz="UTC"))
    assert list(instants) == [curve.index[1], curve.index[3]]
    assert closes.equals(curve.groupby(curve.index.normalize()).last())
    assert analytics.daily_returns(curve).tolist() == [97.0 / 101.0 - 1]


def test_by_day_of_a_curve_with_a_gap_or_out_of_order_is_the_groupbys():
    gap = _curve(["2024-08-02 20:00", "2024-08-02 23:00", "2024-08-05 01:00"],
                 [100.0, np.nan, 95.0])
    closes, instants = analytics.by_day(gap)
    assert closes.tolist() == [100.0, 95.0]   # the day's last known value, as a groupby's last
    assert list(instants) == list(gap.index[1:])   # the last bar, known or not
    shuffled = gap.dropna().iloc[::-1]
    assert analytics.by_day(shuffled)[0].tolist() == [100.0, 95.0]
