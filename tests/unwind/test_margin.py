"""Margin and leverage: a volatility-scaled margin, the leverage cap and a margin cut, each
checked by hand; the registry's calibration against its dated margins on real data."""

import pandas as pd
import pytest

from feeds import instruments
from tests.unwind.holding import run_hold
from tests.unwind.test_accounting import run_script
from unwind.sim import margin


def test_margin_scales_with_volatility_on_paper():
    # GC closes alternating 1,000 and 1,010: returns +1% and -0.990099% in turn. Over 20 of
    # them (10 each) the mean is 0.0049505% and the sample standard deviation
    # sqrt(20 / 19) x 0.9950495% = 1.0208993%; over 60, sqrt(60 / 59) x 0.9950495% =
    # 1.0034467%: the larger counts. Margin for bar t = 3.79 x close(t-1) x sigma x 100 oz:
    # at bar 100 (close(99) = 1,010) 3.79 x 1,010 x 1.0208993% x 100 = 3,907.90 USD.
    close = pd.Series([1000.0, 1010.0] * 51)
    gc = instruments.get("GC")
    assert gc.margin_sigmas == 3.79
    line = margin.initial_margin_local(gc, close, close, "1d")
    assert line[100] == pytest.approx(3907.90, abs=0.01)
    assert line[0] == gc.initial_margin          # no history yet: the registry's dated margin
    # a roll-adjusted series that is the printed one shifted by a constant has the same margin
    assert margin.initial_margin_local(gc, close, close - 500.0, "1d")[100] == \
        pytest.approx(line[100])
    # moves twice as large (+2%, -1.96%) at a 1% higher last close: 2.01 times the margin
    wider = pd.Series([1000.0, 1020.0] * 51)
    assert margin.initial_margin_local(gc, wider, wider, "1d")[100] / line[100] == \
        pytest.approx(2.01, abs=0.001)


def test_spot_margin_is_a_rate_of_notional():
    # XAUUSD: 5% of 100 oz at 2,400 = 12,000 USD. USDJPY: 3.33% of 100,000 USD = 499,500 JPY at
    # 150, i.e. 3,330 USD. Both from the previous close.
    gold = margin.initial_margin_local(instruments.get("XAUUSD"), pd.Series([2400.0] * 2),
                                       pd.Series([2400.0] * 2), "1h")
    yen = margin.initial_margin_local(instruments.get("USDJPY"), pd.Series([150.0] * 2),
                                      pd.Series([150.0] * 2), "1d")
    assert gold[1] == pytest.approx(12_000.0) and yen[1] / 150.0 == pytest.approx(3_330.0)


def test_the_leverage_cap_on_paper():
    # GC at 2,400: one contract is 240,000 USD of gold. The risk budget (10,000 USD against a
    # daily move of 1 point x 100 oz) wants 100 contracts; --max-leverage 1 on 1,000,000 USD of
    # equity allows floor(1,000,000 / 240,000) = 4.
    strategy, _ = run_script("GC", [2400.0] * 4, {1: "long"}, max_leverage=1.0)
    assert strategy.trade_records[0]["contracts"] == 4
    assert strategy.capped == [{"time": "2024-08-01T00:00:00+00:00", "symbol": "GC",
                                "wanted": 100, "contracts": 4, "by": "max_leverage"}]


def test_a_margin_cut_on_paper():
    # 12,000 USD of cash, long 1 GC (initial margin 11,000, maintenance 11,000 x 0.909 =
    # 9,999 USD) filled at bar 1's open 2,400 + 1 tick; bar 1 closes at 2,380. Equity:
    # 12,000 - 2.50 fee - (2,400.1 - 2,380) x 100 = 9,987.50 < 9,999: a margin call at that
    # close, and the position is cut at bar 2's open, 2,380 - 1 tick = 2,379.90.
    # Trade: (2,379.9 - 2,400.1) x 100 - 2 x 2.50 = -2,025 USD, exit reason `margin`.
    strategy, change = run_script("GC", [2400.0, 2400.0, 2380.0, 2380.0, 2390.0], {1: "long"},
                                  cash=12_000.0, volatility=100.0,
                                  closes=[2400.0, 2380.0, 2380.0, 2380.0, 2390.0])
    trade, = strategy.trade_records
    assert (trade["exit_reason"], trade["exit_price"]) == ("margin", 2379.9)
    assert trade["exit_time"] == "2024-08-03T01:15:00+00:00"
    assert trade["pnl_usd"] == pytest.approx(-2025.0) == pytest.approx(change)
    call, = strategy.margin_calls
    assert call["equity_usd"] == pytest.approx(9987.5)
    assert call["maintenance_usd"] == pytest.approx(9999.0)
    assert strategy.margin_values[:3] == [0.0, 11_000.0, 0.0]


@pytest.mark.parametrize("symbol", ["GC", "ZN", "HSI"])
def test_the_registry_margin_returns_its_dated_value(real_store, monkeypatch, symbol):
    """margin_sigmas was calibrated so the model gives the registry's initial margin on the
    first session of its `margin_as_of` month (August 2024)."""
    instrument = instruments.get(symbol)
    _, ready = run_hold(monkeypatch, real_store, symbol, "1d", "2024-07-01", "2024-08-10")
    frame = ready.frames[symbol]
    first = frame.loc["2024-08-01":].iloc[0]
    assert instrument.margin_as_of == "2024-08"
    assert first["margin"] == pytest.approx(instrument.initial_margin, rel=0.005)
    # and it is not a constant: July's margins differ
    assert frame.loc["2024-07-01":"2024-07-31", "margin"].nunique() > 5
