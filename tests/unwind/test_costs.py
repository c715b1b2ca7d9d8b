"""Costs: per-instrument defaults, the volatility-scaled slippage checked by hand, a fill through
the broker, and a stressed day against a calm one on real data."""

import numpy as np
import pandas as pd
import pytest

from feeds import instruments
from feeds.errors import DataError
from tests.unwind.holding import run_hold
from tests.unwind.test_accounting import run_script
from unwind.sim import costs
from unwind.sim.config import RunConfig


def test_defaults_per_instrument():
    # futures: one tick (their inside spread); spot: about a typical raw spread, plus a USD
    # commission of 3.50 per lot per side where gold and USDJPY used to be free.
    assert instruments.get("GC").slippage_ticks == 1.0 and instruments.get("NQ").slippage_ticks == 1.0
    usdjpy, gold = instruments.get("USDJPY"), instruments.get("XAUUSD")
    assert (usdjpy.slippage_ticks, usdjpy.fee_per_contract, usdjpy.fee_in) == (3.0, 3.5, "USD")
    assert (gold.slippage_ticks, gold.fee_per_contract, gold.fee_in) == (10.0, 3.5, "USD")
    close = pd.Series([2400.0] * 3)
    assert costs.slippage_ticks(close, gold, "1h", "fixed").tolist() == [10.0] * 3
    assert costs.slippage_ticks(close, gold, "1h", "fixed", base=2.0).tolist() == [2.0] * 3


def calm_then_storm(storm: float, storm_days: int = 6) -> pd.Series:
    """Daily closes: 300 log returns alternating -1%, +1% (root mean square exactly 1%), then
    `storm_days` alternating -storm, +storm."""
    moves = [0.01 * (1 if i % 2 else -1) for i in range(300)] + \
        [storm * (1 if i % 2 else -1) for i in range(storm_days)]
    return pd.Series(2000.0 * np.exp(np.cumsum([0.0] + moves)),
                     index=pd.date_range("2023-01-02", periods=301 + storm_days, freq="B"))


def test_a_volatility_scaled_fill_on_paper():
    # GC, base 1 tick. The storm's first return (+-3%) is the close of bar 301; a fill at bar
    # 302's open sees the last 5 returns 1, 1, 1, 1, 3 (%): recent = sqrt((4 + 9) / 5) = 1.612%,
    # typical = the one-year median of recent = 1%, m = 1.612 -> 2 ticks (half up). From bar
    # 306 on, all five are 3%: m = 3 -> 3 ticks. Before the storm m = 1 -> 1 tick.
    close = calm_then_storm(0.03)
    gc = instruments.get("GC")
    multiple = costs.volatility_multiple(close, gc, "1d")
    assert multiple[301] == 1.0 and multiple[302] == pytest.approx(np.sqrt(13 / 5))
    assert multiple[306] == pytest.approx(3.0)
    ticks = costs.slippage_ticks(close, gc, "1d", "volatility")
    assert ticks[[300, 301, 302, 305, 306]].tolist() == [1.0, 1.0, 2.0, 3.0, 3.0]


def test_the_multiple_is_capped_and_needs_a_history():
    # An 8% storm would be 8 times the calm: capped at 5. The first 60 days have no typical
    # volatility yet: m = 1.
    close = calm_then_storm(0.08)
    multiple = costs.volatility_multiple(close, instruments.get("GC"), "1d")
    assert multiple[306] == costs.CAP == 5.0
    assert (multiple[:61] == 1.0).all()


def test_a_three_tick_fill_through_the_broker():
    # Buy 1 GC at bar 1's open 2,400 with 3 ticks of slippage: filled at 2,400.30; sell at bar
    # 3's open 2,400 with 1 tick: 2,399.90. Gross (2,399.9 - 2,400.3) x 100 = -40 USD; fees
    # 2 x 2.50 = 5: net -45 USD (4 ticks x 10 USD of slippage).
    strategy, change = run_script("GC", [2400.0] * 5, {1: +1, 3: -1},
                                  slippage_ticks=[1.0, 3.0, 3.0, 1.0, 1.0])
    trade = strategy.trade_records[0]
    assert (trade["entry_price"], trade["exit_price"]) == (2400.3, 2399.9)
    assert trade["gross_pnl_local"] == pytest.approx(-40.0)
    assert trade["pnl_usd"] == pytest.approx(-45.0) == pytest.approx(change)


def test_a_fill_on_5_august_2024_costs_more_than_in_a_calm_week(real_store, monkeypatch):
    # XAUUSD hourly, base 10 ticks: the Tokyo morning of the carry unwind against mid-July.
    _, ready = run_hold(monkeypatch, real_store, "XAUUSD", "1h", "2024-07-08", "2024-08-09")
    ticks = ready.frames["XAUUSD"]["slippage_ticks"]
    calm = ticks["2024-07-15 09:00":"2024-07-15 12:00"]
    storm = ticks["2024-08-05 09:00":"2024-08-05 12:00"]
    assert (calm == 10.0).all() and (storm >= 20.0).all() and (storm <= 50.0).all()
    fixed, _ = run_hold(monkeypatch, real_store, "XAUUSD", "1h", "2024-07-08", "2024-08-09",
                        slippage_model="fixed")
    assert "slippage fixed at the registry's slippage_ticks" in " ".join(fixed.notes)


def test_an_unknown_model_names_the_nearest():
    with pytest.raises(DataError, match="did you mean volatility"):
        RunConfig("gold_asia_dip", "2024-06-01", "2024-09-30", slippage_model="volatilty")
