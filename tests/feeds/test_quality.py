"""The quality gate on tiny frames whose defects are known by hand."""

import numpy as np
import pandas as pd

from feeds import instruments, quality


def frame(rows, start="2024-08-05", freq="B"):
    index = pd.date_range(start, periods=len(rows), freq=freq, tz="UTC")
    data = np.array(rows, dtype=float)
    return pd.DataFrame({"open": data[:, 0], "high": data[:, 1], "low": data[:, 2],
                         "close": data[:, 3], "volume": 0.0}, index=index)


def checks(bars, symbol="GC", bar="1d", close_only=False):
    report = quality.check(bars, instruments.get(symbol), bar, close_only)
    return {f.check: f for f in report.findings}


def test_clean_bars_have_no_findings():
    assert checks(frame([[10, 11, 9, 10.5], [10.5, 12, 10, 11], [11, 11.5, 10, 10.2]])) == {}


def test_flat_bars_are_reported_and_block_when_most_bars_are_flat():
    one_flat = checks(frame([[10, 11, 9, 10.5], [10, 10, 10, 10], [11, 12, 10, 11.5]]))
    assert one_flat["flat_bars"].count == 1 and one_flat["flat_bars"].severity == "warning"
    most = frame([[10, 11, 9, 10.5]] + [[10, 10, 10, 10]] * 3)
    assert checks(most)["flat_bars"].severity == "error"


def test_open_equal_to_close_on_most_bars_is_an_error():
    broken = checks(frame([[10, 11, 9, 10], [10.5, 12, 10, 10.5], [11, 12, 10, 11.5]]))
    assert broken["open_equals_close"].severity == "error"
    assert broken["open_equals_close"].count == 2


def test_close_only_series_skip_the_ohlc_checks():
    assert checks(frame([[10, 10, 10, 10], [11, 11, 11, 11]]), close_only=True) == {}


def test_inconsistent_bars_duplicates_order_and_non_positive_prices():
    bars = frame([[10, 9, 8, 10.5], [10, 11, 9, 10], [-1, 11, 9, 10]])
    bars.index = bars.index[[0, 2, 2]]
    found = checks(bars)
    assert found["ohlc_inconsistent"].count == 2  # high < low in row 1; open -1 < low in row 3
    assert found["duplicates"].count == 1 and found["duplicates"].severity == "error"
    assert found["non_positive"].count == 1
    reordered = frame([[10, 11, 9, 10.5], [10, 11, 9, 10.2]])
    reordered.index = reordered.index[::-1]
    assert checks(reordered)["unsorted"].count == 1


def test_yields_may_be_negative():
    negative = frame([[-0.1, -0.05, -0.2, -0.1], [-0.1, 0.0, -0.15, -0.05]])
    assert "non_positive" not in checks(negative, "JGB10Y", close_only=True)


def test_gaps_are_counted_against_the_exchange_calendar():
    # HKEX sessions 2024-08-05..2024-08-30 (no holidays): drop 2024-08-07 and the week of 08-19.
    sessions = pd.bdate_range("2024-08-05", "2024-08-30", tz="UTC")
    kept = sessions[(sessions != "2024-08-07") & ~sessions.isin(
        pd.bdate_range("2024-08-19", "2024-08-23", tz="UTC"))]
    bars = frame([[10, 11, 9, 10.5]] * len(kept)).set_axis(kept)
    gaps = checks(bars, "HSI")["gaps"]
    assert gaps.count == 6 and "longest run 5 sessions (2024-08-19..2024-08-23)" in gaps.message
    assert gaps.severity == "warning"


def test_hourly_file_with_one_row_a_day_is_thin():
    days = pd.bdate_range("2024-08-05", periods=20, tz="UTC") + pd.Timedelta(hours=3)
    bars = frame([[10, 11, 9, 10.5]] * 20).set_axis(days)
    thin = checks(bars, "XAUUSD", "1h")["thin_days"]
    assert thin.severity == "error" and thin.count == 18
