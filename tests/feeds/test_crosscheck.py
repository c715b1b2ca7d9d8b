"""Suspect prints: a price checked against a second source, by hand on tiny series and on the
four bad prints of the real store."""

import numpy as np
import pandas as pd
import pytest

from feeds import crosscheck


def _pair(days: int = 200, seed: int = 7) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two sources of one price: the same daily moves, each with its own small noise; opens at
    the previous close."""
    generator = np.random.default_rng(seed)
    moves = generator.normal(0, 0.01, days)
    index = pd.date_range("2020-01-01", periods=days, freq="B", tz="UTC")
    frames = []
    for noise in (generator.normal(0, 0.001, days), generator.normal(0, 0.001, days)):
        close = 100 * np.exp(np.cumsum(moves + noise))
        previous = np.r_[100.0, close[:-1]]
        frames.append(pd.DataFrame({"open": previous, "high": np.maximum(previous, close) * 1.002,
                                    "low": np.minimum(previous, close) * 0.998, "close": close,
                                    "volume": 1.0}, index=index))
    return frames[0], frames[1]


def _found(series: pd.DataFrame, reference: pd.DataFrame) -> list:
    return crosscheck.find(series, "XAUUSD", "1d", {"GC": (reference, "open close", False)})


def test_an_open_the_reference_contradicts_and_the_close_undoes_is_suspect():
    series, reference = _pair()
    day = series.index[170]
    series.loc[day, ["open", "low"]] = series["close"].iloc[169] * 0.91   # -9%: the open = low
    (suspect,) = _found(series, reference)
    assert (suspect.time, suspect.field, suspect.reference) == (day.isoformat(), "open", "GC")
    # the price the reference's move implies: the previous close moved as GC's open moved
    implied = series["close"].iloc[169] * reference["open"].iloc[170] / reference["close"].iloc[169]
    assert suspect.expected == pytest.approx(implied, rel=0.002)


def test_a_level_shift_that_stays_is_not_a_print():
    # a continuous future's roll: from one bar on every price is 3% higher, open and close
    series, reference = _pair()
    series.iloc[170:, :4] *= 1.03
    assert _found(series, reference) == []


def test_the_same_feed_under_another_name_is_no_second_source():
    series, _ = _pair()
    copy = series.copy()
    day = series.index[170]
    series.loc[day, ["open", "low"]] = series["close"].iloc[169] * 0.91
    copy.loc[day] = series.loc[day]    # the copy carries the same bad open
    assert _found(series, copy) == []  # nothing independent says it is wrong...
    alone = crosscheck.find(series, "HSI", "1d", {})
    assert alone == []                 # ...and alone, an open at the bar's low is possible


def test_the_reference_that_moved_unusually_is_not_believed():
    series, reference = _pair()
    day = reference.index[170]
    reference.loc[day, ["open", "low"]] = reference["close"].iloc[169] * 0.91   # its bad open
    assert _found(series, reference) == []


def test_a_print_outside_its_own_range_is_suspect_without_a_reference():
    series, _ = _pair()
    day = series.index[50]
    series.loc[day, "open"] = series.loc[day, "high"] * 1.01
    (suspect,) = crosscheck.find(series, "HSI", "1d", {})
    assert (suspect.field, suspect.reference) == ("open", "its own high/low")


@pytest.mark.parametrize("series, day", [("XAUUSD", "2008-10-13"), ("XAUUSD", "2008-10-27"),
                                         ("GC", "2013-04-18"), ("ZN", "2020-03-17")])
def test_the_four_bad_opens_of_the_real_store_are_found(real_store, series, day):
    found = {s.time[:10]: s for s in crosscheck.suspect_prints(real_store, series, "1d")
             if s.field == "open"}
    assert day in found, f"{series} {day} not found"


def test_the_real_store_flags_few_bars(real_store):
    for series in ("XAUUSD", "ZN", "NQ", "USDJPY"):
        found = crosscheck.suspect_prints(real_store, series, "1d")
        stored = real_store.info(series, "1d").rows
        assert len(found) <= 0.002 * stored, (series, len(found))
