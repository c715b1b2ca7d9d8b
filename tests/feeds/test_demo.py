"""The SYNTHETIC demo scenario: deterministic, marked, and shaped like a carry unwind."""

import pandas as pd

import feeds
from feeds import demo, instruments, quality, sessions
from feeds.store import Store


def test_same_seed_same_bars_other_seed_other_bars():
    first, second = demo.generate(), demo.generate()
    assert all(first[key].equals(second[key]) for key in first)
    assert not demo.generate(seed=1)[("USDJPY", "1h")].equals(first[("USDJPY", "1h")])


def test_demo_series_are_marked_synthetic_and_pass_the_gate(tmp_path):
    store = Store(tmp_path / "demo")
    written = demo.write_demo_store(store)
    assert "XAUUSD 1h" in written and "HSI 1d" in written
    for info in store.list():
        assert info.synthetic and info.origin == "demo"
        frame, _ = store.read(info.series, info.bar)
        report = quality.check(frame, instruments.get(info.series), info.bar, False)
        assert not report.errors, (info.series, report.errors)
    assert feeds.load("GC", store=store).attrs["synthetic"] is True


def close_on(series, day):
    return series.loc[:pd.Timestamp(day, tz="UTC") + pd.Timedelta(hours=23)].iloc[-1]


def test_the_scenario_has_the_shape_of_a_carry_unwind():
    bars = demo.generate()
    move = {symbol: close_on(bars[(symbol, "1d")]["close"], "2024-08-05") /
            close_on(bars[(symbol, "1d")]["close"], "2024-07-31") - 1
            for symbol in ("USDJPY", "NIKKEI225", "HSI", "NQ", "ZN", "VIX", "JGB10Y")}
    assert move["USDJPY"] < -0.03          # the yen strengthens
    assert move["NIKKEI225"] < -0.10 and move["HSI"] < 0 and move["NQ"] < 0
    assert move["ZN"] > 0 and move["VIX"] > 0.5 and move["JGB10Y"] < 0
    gold = bars[("XAUUSD", "1h")]
    crash_day = gold.loc["2024-08-04 21:00":"2024-08-05 08:59"]
    asia = crash_day[(sessions.tag(crash_day.index) & sessions.ASIA) > 0]
    assert asia["low"].min() / asia["open"].iloc[0] - 1 < -0.02   # sold in the Asian session
    assert gold.loc["2024-08-09", "close"].iloc[-1] > asia["low"].min() * 1.02  # and recovers
