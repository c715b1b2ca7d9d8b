"""Financing of spot USDJPY and gold, computed on paper, through the broker, and on real rates."""

import numpy as np
import pandas as pd
import pytest

from feeds import instruments
from tests.unwind.holding import import_into, run_hold
from tests.unwind.test_accounting import run_script
from unwind.sim import financing

NEW_YORK = "America/New_York"


def at_five(days: list[str]) -> pd.DatetimeIndex:
    """17:00 New York on each day, in UTC."""
    return (pd.DatetimeIndex(days) + pd.Timedelta(hours=17)).tz_localize(NEW_YORK) \
        .tz_convert("UTC")


def test_rollovers_carry_three_days_on_wednesday():
    # The week of 2024-08-05: Monday..Friday at 17:00 New York (21:00 UTC in summer); spot
    # settles two days later, so Wednesday's rollover carries Saturday and Sunday too.
    events = financing.rollovers(pd.Timestamp("2024-08-05", tz="UTC"),
                                 pd.Timestamp("2024-08-10", tz="UTC"))
    assert list(events.index) == list(at_five(["2024-08-05", "2024-08-06", "2024-08-07",
                                                "2024-08-08", "2024-08-09"]))
    assert events["days"].tolist() == [1, 1, 3, 1, 1]


def lines_for(symbol, notional_usd, usd=5.33, jpy=0.10, markup=0.005):
    """Financing lines of three daily bars whose fills are 17:00 New York on Tuesday 08-06,
    Wednesday 08-07 and Thursday 08-08 2024, with flat rates known since July."""
    fills = at_five(["2024-08-06", "2024-08-07", "2024-08-08"])
    known = pd.DatetimeIndex([pd.Timestamp("2024-07-01", tz="UTC")])
    rates = {"USD": (pd.Series([usd]), known), "JPY": (pd.Series([jpy]), known)}
    return financing.lines(instruments.get(symbol), fills, np.full(3, notional_usd), rates,
                           markup)


def test_a_usdjpy_day_on_paper():
    # One lot = 100,000 USD. Bar 1 collects Wednesday's rollover (3 days), bar 2 Thursday's (1).
    # Long, Wednesday: 100,000 x (5.33% x 3/360 - 0.10% x 3/365) - 100,000 x 0.5% x 3/365
    #   = 44.41667 - 0.82192 - 4.10959 = 39.48516 USD received.
    # Short, Wednesday: -44.41667 + 0.82192 - 4.10959 = -47.70434 USD (paid).
    # Long, Thursday: 14.80556 - 0.27397 - 1.36986 = 13.16172 USD; short -15.90145 USD.
    long, short, summary = lines_for("USDJPY", 100_000.0)
    assert long.tolist() == pytest.approx([0.0, 39.48516, 13.16172], abs=1e-5)
    assert short.tolist() == pytest.approx([0.0, -47.70434, -15.90145], abs=1e-5)
    assert summary["rollovers"] == 2 and summary["usd_rate_range"] == [0.0533, 0.0533]


def test_a_gold_day_on_paper():
    # One lot = 100 oz at 2,400 = 240,000 USD of gold, funded in dollars, lent at the 0.25% lease.
    # Long, Thursday (1 day): 240,000 x (0.25% - 5.33%) / 360 - 240,000 x 0.5% / 365
    #   = -33.86667 - 3.28767 = -37.15434 USD (paid). Short: +33.86667 - 3.28767 = 30.57900.
    long, short, _ = lines_for("XAUUSD", 240_000.0)
    assert long[2] == pytest.approx(-37.15434, abs=1e-5)
    assert short[2] == pytest.approx(30.57900, abs=1e-5)
    assert long[1] == pytest.approx(3 * -33.86667 - 3 * 3.28767, abs=1e-4)   # Wednesday x 3


def test_futures_carry_no_financing():
    long, short, summary = lines_for("GC", 240_000.0)
    assert not long.any() and not short.any() and summary == {}


def test_financing_goes_through_the_broker_into_the_trade_and_the_equity():
    # USDJPY long 1 lot at a flat 150.000, decided on bar 0 and filled at bar 1's open, closed
    # at bar 3's open. The broker credits the carry of the position held into a bar, before
    # that bar's fills: bar 2 (39.48516, a Wednesday) and bar 3 (13.16172): 52.64688 USD.
    # Costs per side: the 3.50 USD fee (525 JPY at 150) and 1 tick of slippage (0.001 x 100,000
    # = 100 JPY, in the fill prices). Spot USDJPY's JPY P&L is realised at the exit's rate, the
    # dealt 149.999: the -200 JPY of slippage is -200 / 149.999 = -1.333342 USD.
    # Net: 52.64688 - 7 - 1.333342 = 44.313538 USD.
    strategy, change = run_script("USDJPY", [150.0] * 5, {1: +1, 3: -1},
                                  usd_per_local=1 / 150.0, fee_local=3.5 * 150,
                                  financing_long=[0.0, 0.0, 39.48516, 13.16172, 0.0])
    trade = strategy.trade_records[0]
    assert trade["financing_usd"] == pytest.approx(52.64688)
    assert trade["financing_local"] == pytest.approx(52.64688 * 150)
    assert trade["fees_usd"] == pytest.approx(7.0)
    assert (trade["entry_price"], trade["exit_price"]) == (150.001, 149.999)
    assert trade["pnl_usd"] == pytest.approx(44.313538, abs=1e-6) == pytest.approx(change)
    assert trade["pnl_local"] == pytest.approx(trade["gross_pnl_local"] - trade["fees_local"] +
                                               trade["financing_local"])


@pytest.fixture(scope="module")
def rates_store(tmp_path_factory, raw):
    return import_into(tmp_path_factory, raw, [
        ("mt5_fxtrading_ea/XAUUSD_H1.csv", "XAUUSD"), ("mt5_pepperstone_daily/USDJPY.csv", None),
        ("fred_congenial_fortnight/DFF.csv", None), ("mof_jgb/jgbcm_all.csv", None)])


def test_gold_held_a_week_of_august_2024_pays_the_fed_funds_rate(rates_store, monkeypatch):
    # DFF was 5.33% all week. Wednesday 2024-08-07 17:00 New York = 21:00 UTC falls in the
    # metals' daily break: the bar reopening at 22:00 UTC collects the 3-day rollover, on the
    # notional at the close of the bar before it (20:00-21:00 UTC).
    result, ready = run_hold(monkeypatch, rates_store, "XAUUSD", "1h", "2024-08-05",
                             "2024-08-09")
    frame = ready.frames["XAUUSD"]
    wednesday = pd.Timestamp("2024-08-07 22:00", tz="UTC")
    notional = frame["close"].shift(1)[wednesday] * 100
    expected = notional * (0.0025 - 0.0533) * 3 / 360 - notional * 0.005 * 3 / 365
    assert frame["financing_long"][wednesday] == pytest.approx(expected)
    # Monday to Thursday's rollovers; Friday's comes after the window's last bar (20:00 UTC)
    assert (frame.loc["2024-08-05":, "financing_long"] != 0).sum() == 4
    trade = result.trades.iloc[0]
    held = frame.loc[frame.index > pd.Timestamp(trade["entry_time"])]
    assert trade["financing_usd"] == pytest.approx(held["financing_long"].sum() *
                                                   trade["contracts"])
    assert any("XAUUSD: financed at each 17:00 New York rollover from USD EFFR" in note
               for note in ready.notes)


def test_a_stale_rate_is_carried_forward_and_said_so(rates_store, monkeypatch):
    # FRED DFF in the store ends 2025-10-02: a January 2026 run says so.
    _, ready = run_hold(monkeypatch, rates_store, "USDJPY", "1d", "2026-01-05", "2026-01-30")
    note, = [n for n in ready.notes if n.startswith("USDJPY: financed")]
    assert "the USD rate is stale after 2025-10-02" in note
    assert ready.execution["financing"]["USDJPY"]["rollovers_without_rates"] == 0


def test_no_look_ahead_in_the_financing_lines(rates_store, monkeypatch):
    from unwind.sim import engine
    from tests.unwind.holding import hold

    config = hold(monkeypatch, rates_store, "USDJPY", "1d", "2024-06-01", "2024-09-30")
    cut = engine.prepare(config, known_by=pd.Timestamp("2024-08-06 12:00", tz="UTC"))
    full = engine.prepare(config)
    short = cut.frames["USDJPY"]
    assert short.index[-1] == pd.Timestamp("2024-08-05", tz="UTC")
    pd.testing.assert_frame_equal(short, full.frames["USDJPY"].loc[short.index],
                                  check_freq=False)


def test_the_markup_is_charged_once_a_night_to_longs_and_shorts_alike():
    # The carry is +c to one side and -c to the other, so long + short leaves only the markup,
    # paid by each side once: Wednesday (3 days) 2 x 100,000 x 0.5% x 3/365 = 8.21918 USD, not
    # twice that (once per currency) and not zero (charged to one side only).
    long, short, _ = lines_for("USDJPY", 100_000.0)
    assert long[1] + short[1] == pytest.approx(-8.21918, abs=1e-5)
    free_long, free_short, _ = lines_for("USDJPY", 100_000.0, markup=0.0)
    assert free_long[1] == pytest.approx(-free_short[1])
    assert long[1] == pytest.approx(free_long[1] - 4.10959, abs=1e-5)
