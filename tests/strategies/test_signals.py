"""Each signal function on a tiny series whose answer is known by hand."""

import math

import numpy as np
import pandas as pd
import pytest

from strategies import regime, signals


def series(values, start="2024-08-01", freq="D"):
    return pd.Series(values, index=pd.date_range(start, periods=len(values), freq=freq, tz="UTC"),
                     dtype="float64")


def test_change_and_relative_change():
    prices = series([100, 110, 99])
    assert signals.change(prices, 1).tolist()[1:] == [10, -11]
    assert signals.relative_change(prices, 1).tolist()[1:] == pytest.approx([0.10, -0.10])


def test_realised_volatility_of_alternating_returns():
    # log returns +r, -r, +r: sample std over 2 returns of (+r, -r) is r*sqrt(2).
    r = 0.01
    prices = series([100, 100 * math.exp(r), 100, 100 * math.exp(r)])
    volatility = signals.realised_volatility(prices, 2, 252)
    assert volatility.iloc[-1] == pytest.approx(r * math.sqrt(2) * math.sqrt(252))
    assert volatility.iloc[:2].isna().all()


def test_zscore_and_percentile():
    values = series([1, 2, 3, 4])
    # window 3 at the last value: mean 3, std 1 -> (4 - 3) / 1 = 1.
    assert signals.zscore(values, 3).iloc[-1] == pytest.approx(1.0)
    assert signals.rolling_percentile(values, 4).iloc[-1] == pytest.approx(1.0)


def test_average_true_range_uses_gaps():
    high, low, close = series([10, 12, 11]), series([9, 11, 10]), series([9.5, 11.5, 10.5])
    # bar 2: max(12-11, |12-9.5|, |11-9.5|) = 2.5; bar 3: max(1, |11-11.5|, |10-11.5|) = 1.5
    assert signals.average_true_range(high, low, close, 2).iloc[-1] == pytest.approx(2.0)


def test_drawdown_from_high():
    assert signals.drawdown_from_high(series([100, 120, 90]), 3).tolist() == \
        pytest.approx([0, 0, -0.25])


def test_session_return_from_the_first_open_of_each_day():
    index = pd.DatetimeIndex(["2024-08-05 00:00", "2024-08-05 01:00", "2024-08-05 09:00",
                              "2024-08-06 00:00"], tz="UTC")
    open_ = pd.Series([100.0, 99.0, 98.0, 50.0], index=index)
    close = pd.Series([99.0, 97.0, 98.0, 51.0], index=index)
    inside = pd.Series([True, True, False, True], index=index)
    day = pd.Series(index.normalize(), index=index)
    result = signals.session_return(open_, close, inside, day)
    assert result.iloc[0] == pytest.approx(-0.01) and result.iloc[1] == pytest.approx(-0.03)
    assert np.isnan(result.iloc[2]) and result.iloc[3] == pytest.approx(0.02)


def test_align_never_looks_ahead():
    values = pd.Series([1.0, 2.0, 3.0])
    known = pd.DatetimeIndex(["2024-08-05 08:00", "2024-08-06 08:00", "2024-08-07 08:00"],
                             tz="UTC")
    decisions = pd.DatetimeIndex(["2024-08-05 07:59", "2024-08-05 08:00", "2024-08-07 07:00"],
                                 tz="UTC")
    aligned = signals.align(values, known, decisions).iloc[:, 0]
    assert np.isnan(aligned.iloc[0]) and aligned.iloc[1:].tolist() == [1.0, 2.0]


def test_regime_read():
    # Yen -2% in five days with VIX at 25 -> deleveraging; JGB +6bp with yen weaker -> fiscal risk.
    days = 7
    usdjpy = series([150] * 6 + [147])
    jgb = series([1.0] * days)
    vix = series([25] * days)
    assert regime.classify(usdjpy, jgb, vix).iloc[-1] == regime.DELEVERAGING
    weaker_yen = series([150] * 6 + [151])
    rising_jgb = series([1.0] * 6 + [1.06])
    assert regime.classify(weaker_yen, rising_jgb, series([15] * days)).iloc[-1] == \
        regime.FISCAL_RISK
    assert regime.shares(pd.Series([0.0, 1.0, 1.0, 2.0])) == {
        "neutral": 0.25, "deleveraging": 0.5, "fiscal_risk": 0.25}


def test_regime_inputs_are_carried_onto_their_union_as_pandas_aligns_them():
    # three calendars: daily from Aug 1, every other day from Aug 2, one value on Aug 4
    closes = {"usdjpy": series([150, 151, 152, 153, 154]),
              "jgb": series([1.0, 1.1, 1.2], start="2024-08-02", freq="2D"),
              "vix": series([20], start="2024-08-04")}
    carried = regime._carried(closes)
    assert carried["jgb"].tolist()[1:] == [1.0, 1.0, 1.1, 1.1, 1.2] and \
        math.isnan(carried["jgb"].iloc[0])
    assert carried["vix"].isna().tolist() == [True, True, True, False, False, False]
    assert carried["usdjpy"].tolist()[-2:] == [154, 154]   # Aug 6: the last close carried
    expected = pd.concat(closes, axis=1, sort=True).ffill()
    pd.testing.assert_frame_equal(carried, expected, check_freq=False)
    with_gap = closes | {"vix": series([20, np.nan, 21])}   # not plain: pandas' own path
    pd.testing.assert_frame_equal(regime._carried(with_gap),
                                  pd.concat(with_gap, axis=1, sort=True).ffill())


def test_regime_window_shares_count_each_days_last_code_in_the_window():
    # Aug 1: codes 2 then 1 (the day counts as 1); Aug 2: NaN then 0; Aug 3: 1; Aug 5 is
    # outside [Aug 1, Aug 5): three days, one neutral, two deleveraging
    times = pd.to_datetime(["2024-08-01 01:00", "2024-08-01 20:00", "2024-08-02 03:00",
                            "2024-08-02 21:00", "2024-08-03 12:00", "2024-08-05 12:00"], utc=True)
    codes = pd.Series([2.0, 1.0, math.nan, 0.0, 1.0, 2.0], index=times)
    start, end = pd.Timestamp("2024-08-01", tz="UTC"), pd.Timestamp("2024-08-05", tz="UTC")
    assert regime.window_shares(codes, start, end) == {
        "neutral": 1 / 3, "deleveraging": 2 / 3, "fiscal_risk": 0.0}
    inside = codes[(codes.index >= start) & (codes.index < end)].dropna()
    assert regime.window_shares(codes, start, end) == \
        regime.shares(inside.groupby(inside.index.normalize()).last())
    assert regime.window_shares(codes, end, end + pd.Timedelta(days=1)) == {
        "neutral": 0.0, "deleveraging": 0.0, "fiscal_risk": 1.0}
    assert regime.window_shares(codes, end + pd.Timedelta(days=1), end + pd.Timedelta(days=2)) \
        == {"neutral": 0.0, "deleveraging": 0.0, "fiscal_risk": 0.0}


def test_align_takes_the_last_row_known_at_or_before_each_decision():
    utc = lambda *times: pd.DatetimeIndex(list(times), tz="UTC")   # noqa: E731
    values = pd.Series([1.0, 2.0, 3.0, 4.0], name="line")
    # known out of order, two rows at 10:00 (the later row, 4.0, counts), one at NaT (never)
    known = pd.DatetimeIndex(["2024-08-05 12:00", "2024-08-05 10:00", None, "2024-08-05 10:00"],
                             tz="UTC")
    decisions = utc("2024-08-05 09:00", "2024-08-05 10:00", "2024-08-05 11:59",
                    "2024-08-05 12:00")
    aligned = signals.align(values, known, decisions)
    assert aligned["line"].tolist()[1:] == [4.0, 4.0, 1.0]
    assert np.isnan(aligned["line"].iloc[0])   # nothing known yet at 09:00
    with pytest.raises(TypeError):
        signals.align(values, known, decisions.tz_localize(None))


def test_lines_once_computes_once_per_frames_and_hands_out_copies():
    from strategies.inputs import Inputs

    bars = {("USDJPY", "1d"): pd.DataFrame({"close": [150.0, 151.0]},
                                           index=pd.date_range("2024-08-01", periods=2, tz="UTC"))}
    calls = []

    def compute():
        calls.append(1)
        return {"USDJPY": pd.DataFrame({"entry": [0.0, 1.0]})}

    inputs = Inputs(bars)
    first = inputs.lines_once(("spec", "p"), compute)
    first["USDJPY"].iloc[0, 0] = 99.0   # a caller's change stays its own
    second = inputs.lines_once(("spec", "p"), compute)
    assert len(calls) == 1 and second["USDJPY"]["entry"].tolist() == [0.0, 1.0]
    inputs.lines_once(("spec", "other parameters"), compute)
    assert len(calls) == 2
    inputs.bars[("USDJPY", "1d")] = bars[("USDJPY", "1d")].copy()   # other frames: computed again
    inputs.lines_once(("spec", "p"), compute)
    assert len(calls) == 3
