"""The episode catalogue: structure, and each episode's defining move checked in the real data."""

import pandas as pd
import pytest

import feeds
from feeds.errors import DataError
from unwind.evidence import episodes

REQUIRED = {"oct-2008-gfc-carry-unwind", "mar-2011-tohoku-yen-spike",
            "jan-2016-boj-negative-rates", "mar-2020-dash-for-cash", "sep-2022-mof-intervention",
            "dec-2022-boj-ycc-widening", "mar-2024-boj-ends-negative-rates",
            "aug-2024-carry-unwind", "apr-2025-tariff-shock", "may-2025-jgb-auction",
            "dec-2025-boj-hike", "jan-2026-jgb-40y-4pct"}


def test_catalogue_has_every_required_episode_and_a_calm_control():
    catalogue = episodes.catalogue()
    assert REQUIRED <= set(catalogue)
    assert any("control" in e.tags for e in catalogue.values())
    for episode in catalogue.values():
        assert episode.start < episode.end and episode.triggers and episode.sources
        assert all(episode.start <= t.date <= episode.end for t in episode.triggers)


def test_unknown_episode_names_the_nearest():
    with pytest.raises(DataError, match="did you mean aug-2024-carry-unwind"):
        episodes.get("aug-2024-carry-unwnd")


def close(store, symbol, day, column="close"):
    frame = feeds.load(symbol, None, day, "1d", store, check_quality=False)
    return frame[column].iloc[-1], frame[column].iloc[-2]


def day_change(store, symbol, day):
    today, before = close(store, symbol, day)
    return today / before - 1


# One defining move per episode, as the real files record it (EPISODE-FACTS.md, checked).
def test_oct_2008_hsi_fell_12_7_percent_on_27_october(real_store):
    assert day_change(real_store, "HSI", "2008-10-27") == pytest.approx(-0.127, abs=5e-4)


def test_mar_2011_nikkei_fell_10_55_percent_on_15_march(real_store):
    assert day_change(real_store, "NIKKEI225", "2011-03-15") == pytest.approx(-0.1055, abs=5e-4)


def test_jan_2016_usdjpy_low_near_110_98_on_11_february(real_store):
    bars = feeds.load("USDJPY", "2016-01-25", "2016-02-26", "1d", real_store)
    assert bars["low"].min() == pytest.approx(110.98, abs=0.02)
    assert bars["low"].idxmin().date().isoformat() == "2016-02-11"


def test_mar_2020_vix_closed_at_82_69_on_16_march(real_store):
    assert close(real_store, "VIX", "2020-03-16")[0] == pytest.approx(82.69)


def test_sep_2022_intervention_day_range(real_store):
    day = feeds.load("USDJPY", "2022-09-22", "2022-09-22", "1d", real_store)
    assert day["high"].iloc[0] == pytest.approx(145.90, abs=0.01)
    assert day["low"].iloc[0] == pytest.approx(140.35, abs=0.01)


def test_dec_2022_jgb_10y_jumped_to_0_432(real_store):
    today, before = close(real_store, "JGB10Y", "2022-12-20")
    assert (before, today) == pytest.approx((0.282, 0.432))


def test_mar_2024_yen_weakened_on_the_hike(real_store):
    assert day_change(real_store, "USDJPY", "2024-03-19") == pytest.approx(0.0114, abs=5e-4)


def test_aug_2024_nikkei_fell_12_4_percent_on_5_august(real_store):
    assert day_change(real_store, "NIKKEI225", "2024-08-05") == pytest.approx(-0.124, abs=5e-4)


def test_apr_2025_hsi_fell_13_22_percent_on_7_april(real_store):
    assert day_change(real_store, "HSI", "2025-04-07") == pytest.approx(-0.1322, abs=5e-4)


def test_may_2025_jgb_40y_rose_18_basis_points(real_store):
    window = feeds.load("JGB40Y", "2025-05-12", "2025-06-06", "1d", real_store)["close"]
    assert window.iloc[0] == pytest.approx(3.156) and window.max() == pytest.approx(3.336)


def test_dec_2025_jgb_10y_closed_above_2_percent_on_the_hike(real_store):
    today, before = close(real_store, "JGB10Y", "2025-12-19")
    assert before < 2.0 < today == pytest.approx(2.021)


def test_jan_2026_jgb_40y_and_the_rate_check(real_store):
    jgb = feeds.load("JGB40Y", "2026-01-14", "2026-01-20", "1d", real_store)["close"]
    assert jgb.iloc[-1] - jgb.iloc[0] == pytest.approx(0.252, abs=1e-3)
    yen = feeds.load("USDJPY", "2026-01-22", "2026-01-27", "1d", real_store)["close"]
    assert yen.iloc[-1] / yen.iloc[0] - 1 < -0.03


def test_the_control_window_is_calm(real_store):
    vix = feeds.load("VIX", "2017-10-02", "2017-12-15", "1d", real_store)["high"]
    yen = feeds.load("USDJPY", "2017-09-20", "2017-12-15", "1d", real_store)["close"]
    assert vix.max() < 15 and yen.pct_change(5).abs().max() < 0.02
    assert pd.Timestamp(episodes.get("calm-2017q4-control").start) == pd.Timestamp("2017-10-02")
