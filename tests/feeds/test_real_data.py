"""Acceptance on the real files in ../shared/data/raw: timestamps, sanity values, cross-source."""

import pandas as pd
import pytest

import feeds
from feeds import compare, instruments, quality
from feeds.errors import DataError
from feeds.importer import ImportOptions, import_files
from feeds.store import Store
from tests.raw_files import IMPORTS, REFUSED


def bars(store, series, bar, start=None, end=None):
    return feeds.load(series, start, end, bar, store, check_quality=False)


def test_usdjpy_crash_low_is_in_the_0600_utc_bar(real_store):
    day = bars(real_store, "USDJPY", "1h", "2024-08-05", "2024-08-05")
    low_bar = day["low"].idxmin()
    assert day["low"].min() == pytest.approx(141.689)
    assert low_bar == pd.Timestamp("2024-08-05 06:00", tz="UTC")


def test_us_payrolls_move_the_1200_utc_bar(real_store):
    # Released 12:30 UTC on 2024-08-02: the bar opening 12:00 UTC holds it.
    day = bars(real_store, "USDJPY", "1h", "2024-08-02", "2024-08-02")
    ranges = day["high"] - day["low"]
    assert ranges.idxmax() == pd.Timestamp("2024-08-02 12:00", tz="UTC")
    close = day["close"]
    assert close.at[pd.Timestamp("2024-08-02 12:00", tz="UTC")] == pytest.approx(147.435)
    assert close.at[pd.Timestamp("2024-08-02 11:00", tz="UTC")] == pytest.approx(149.010)


def test_hourly_aggregated_to_four_hours_matches_the_four_hour_file(real_store):
    instrument = instruments.get("USDJPY")
    result = compare.compare(bars(real_store, "USDJPY", "1h"), "1h",
                             bars(real_store, "USDJPY@fxtrading", "4h"), "4h", instrument,
                             tolerance=1e-9, close_only=False)
    assert result.compared > 15000
    # Wherever the hourly file covers a 4-hour bar completely, all four prices agree exactly,
    # except the file's final bar, which was still forming when the H4 file was exported.
    assert [p.first[:10] for p in result.partings] in ([], ["2026-03-20"])
    assert result.agreeing >= result.compared - 1


@pytest.mark.parametrize("other, median, p99", [("USDJPY@fred", 0.002, 0.01),
                                                ("USDJPY@nbp", 0.003, 0.02)])
def test_daily_closes_agree_across_sources(real_store, other, median, p99):
    """MT5 closes (17:00 New York) vs the FRED noon buying rate and the NBP Warsaw fixing.

    They are fixed hours apart, so they agree within 1% (FRED) and 2% (NBP) on 99% of days, and
    part on crash days such as 2008-10-28 and 2011-03-16.
    """
    result = compare.compare(bars(real_store, "USDJPY", "1d"), "1d", bars(real_store, other, "1d"),
                             "1d", instruments.get("USDJPY"), tolerance=p99, close_only=True)
    assert result.compared > 4500
    assert result.median_deviation < median
    assert result.p99_deviation < p99
    assert result.agreeing / result.compared > 0.98


def test_sanity_values_on_2024_08_05(real_store):
    day = "2024-08-05"
    assert bars(real_store, "HSI", "1d", day, day)["close"].iloc[0] == pytest.approx(16698.36)
    assert bars(real_store, "JGB10Y", "1d", day, day)["close"].iloc[0] == pytest.approx(0.781)
    assert bars(real_store, "JGB2Y", "1d", day, day)["close"].iloc[0] == pytest.approx(0.265)
    assert bars(real_store, "USDJPY@fred", "1d", day, day)["close"].iloc[0] == \
        pytest.approx(143.95)
    assert bars(real_store, "VIX", "1d", day, day)["high"].iloc[0] == pytest.approx(65.73)


def test_simom1_four_hour_history_keeps_the_new_york_close_clock(real_store):
    """The older MT5 history: every year since 1999 opens the week at Sunday 17:00 New York."""
    opens = compare.weekly_opens(bars(real_store, "USDJPY@simom1", "4h", "1999-01-01"))
    assert set(opens.values) == {"Sun 17:00"}
    assert opens.index.min() == 1999


def test_gc_flat_bars_and_yahoo_fx_open_equals_close_are_flagged(real_store):
    gc = bars(real_store, "GC", "1d", "2024-07-01", "2024-08-31")
    report = quality.check(gc, instruments.get("GC"), "1d", False, "GC")
    flat = next(f for f in report.findings if f.check == "flat_bars")
    assert "2024-07-29T00:00:00+00:00" in flat.examples
    yen = bars(real_store, "USDJPY@yahoo", "1d", "2024-01-01", "2024-12-31")
    report = quality.check(yen, instruments.get("USDJPY"), "1d", False, "USDJPY@yahoo")
    assert "open_equals_close" in [f.check for f in report.errors]


def test_a_series_failing_the_gate_is_refused_with_the_reason(real_store):
    with pytest.raises(feeds.QualityError, match="open equals close.*unwind data validate USDJPY@yahoo --bar 1d"):
        feeds.load("USDJPY@yahoo", "2024-06-01", "2024-09-30", "1d", real_store)
    assert len(feeds.load("USDJPY", "2024-06-01", "2024-09-30", "1h", real_store)) > 2000


def test_every_raw_file_is_imported_or_refused_with_its_reason(raw, tmp_path):
    """Every file on disk is in the table; each one refused says why. (Each one imported does,
    with bars: tests/test_readme.py::test_make_import_raw_fills_the_store reads the import
    script's line for every file of IMPORTS.)"""
    listed = {relative for relative, _, _ in IMPORTS} | {relative for relative, *_ in REFUSED}
    on_disk = {str(p.relative_to(raw)) for p in raw.rglob("*.csv")}
    assert on_disk == listed
    store = Store(tmp_path / "all")
    for relative, symbol, reason in REFUSED:
        with pytest.raises(DataError, match=reason):
            import_files([raw / relative], ImportOptions(symbol=symbol), store)


def test_the_fomc_move_of_2024_03_20_is_in_the_1800_utc_bar(real_store):
    # Statement at 14:00 New York = 18:00 UTC (US DST; Europe not yet): fxtrading_ea's 20:00
    # server bar, 2161.74 -> 2181.83, read on its EU DST clock (UTC+2 that week).
    day = bars(real_store, "XAUUSD", "1h", "2024-03-20", "2024-03-20")
    moves = (day["close"] - day["open"]).abs()
    assert moves.idxmax() == pd.Timestamp("2024-03-20 18:00", tz="UTC")
    release = day.loc[pd.Timestamp("2024-03-20 18:00", tz="UTC")]
    assert (release["open"], release["close"]) == pytest.approx((2161.74, 2181.83))
    assert moves.at[pd.Timestamp("2024-03-20 17:00", tz="UTC")] < 2.0    # before the release


@pytest.mark.parametrize("relative, symbol, wrong, right", [
    ("mt5_budimanlai_2025/XAUUSD_H1.csv", "XAUUSD@budimanlai", "ny-close", "Europe/Athens"),
    ("mt5_simom1_history/XAUUSD_H1.csv", "XAUUSD@simom1", "Europe/Athens", "ny-close"),
])
def test_an_import_on_the_wrong_clock_warns_naming_the_clock_the_data_support(
        raw, tmp_path, relative, symbol, wrong, right):
    store = Store(tmp_path / "store")
    [outcome] = import_files([raw / relative], ImportOptions(symbol=symbol, clock=wrong), store)
    assert len(outcome.warnings) == 1
    assert f"clock {wrong} contradicts the data" in outcome.warnings[0]
    assert outcome.warnings[0].endswith(f"import with --clock {right}")
    table = {path: options for path, _, options in IMPORTS}
    assert table[relative] == {"clock": right}
    [outcome] = import_files([raw / relative],
                             ImportOptions(symbol=symbol, clock=right, replace=True), store)
    assert outcome.warnings == () and outcome.status == "replaced"
    stored = store.verify(symbol, "1h").conversion        # the manifest names the clock
    assert stored.startswith("MT5 server time") and f"under {right}" in stored
