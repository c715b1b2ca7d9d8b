"""Futures accounting checked by hand: multiplier, fee, slippage, HKD->USD, margin.

Each test scripts orders on a tiny price series; fills are at the next bar's open. The expected
numbers are worked out in the comments so a person can check them on paper.
"""

import backtrader as bt
import pandas as pd
import pytest

from feeds import instruments
from strategies.book import Playbook, target_size
from unwind import compat
from unwind.sim.accounting import ContractCommission, RiskBudgetSizer
from unwind.compat import date_numbers
from unwind.sim.datafeed import make_feed


class Scripted(Playbook):
    params = (("script", None),)

    def decide(self):
        size = self.p.script.get(len(self))
        if size == "long":
            target_size(self, self.data, +1)
        elif size == "flat":
            target_size(self, self.data, 0)
        elif size:
            (self.buy if size > 0 else self.sell)(size=abs(size))


def script_frame(symbol, opens, hkd_per_usd=None, volatility=1.0, highs=None, lows=None,
                 closes=None, **lines):
    """A tiny engine frame: one bar a day, fills at 01:15 UTC (as HSI's session open), and the
    execution lines of unwind/sim/execution.py at simple values (1 tick of slippage, the registry's
    fee, the registry's dated margin, no rolls, no financing) unless given in `lines`."""
    instrument = instruments.get(symbol)
    index = pd.date_range("2024-08-01", periods=len(opens), freq="D", tz="UTC")
    rates = [1.0 / r for r in hkd_per_usd] if hkd_per_usd else [1.0] * len(opens)
    closes = closes or opens
    fee = instrument.fee_per_contract if instrument.fee_in == instrument.currency else \
        [instrument.fee_per_contract / r for r in rates]
    margin = instrument.initial_margin or \
        [instrument.margin_rate * c * instrument.multiplier for c in closes]
    columns = {"open": opens, "high": highs or opens, "low": lows or opens, "close": closes,
               "volume": 0.0, "usd_per_local": rates, "volatility": volatility, "regime": 0.0,
               "open_time": date_numbers(index + pd.Timedelta(minutes=75)),
               "close_time": date_numbers(index + pd.Timedelta(hours=8)),
               "roll_offset": 0.0, "rolls": 0.0, "roll_cost": 0.0, "slippage_ticks": 1.0,
               "fee_local": fee, "financing_long": 0.0, "financing_short": 0.0,
               "margin": margin}
    columns.update(lines)
    return pd.DataFrame(columns, index=index, dtype="float64")


def run_frame(symbol, frame, script, cash=1_000_000.0, budget=None, max_leverage=float("inf")):
    compat.install()
    cerebro = bt.Cerebro(stdstats=False)
    cerebro.broker.setcash(cash)
    feed = make_feed(frame, symbol)
    cerebro.adddata(feed)
    commission = ContractCommission(instrument=instruments.get(symbol))
    commission.feed = feed
    cerebro.broker.addcommissioninfo(commission, name=symbol)
    cerebro.addsizer(RiskBudgetSizer, risk_budget_usd=budget or 10_000.0,
                     max_leverage=max_leverage)
    cerebro.addstrategy(Scripted, script=script, trade_from=0.0)
    strategy = cerebro.run()[0]
    return strategy, cerebro.broker.getvalue() - cash


def run_script(symbol, opens, script, cash=1_000_000.0, hkd_per_usd=None, budget=None,
               volatility=1.0, highs=None, lows=None, closes=None, max_leverage=float("inf"),
               **lines):
    frame = script_frame(symbol, opens, hkd_per_usd, volatility, highs, lows, closes, **lines)
    return run_frame(symbol, frame, script, cash, budget, max_leverage)


def test_gc_round_trip_100_ounces():
    # Buy 2 GC, filled at the next open 2400.0; sell 2, filled at 2410.0.
    # Gross: (2410 - 2400) x 100 oz x 2 = 2,000 USD.
    # Fees: 2.50 x 2 contracts x 2 sides = 10 USD. Slippage: 1 tick (0.10 x 100 = 10 USD)
    # x 2 contracts x 2 sides = 40 USD. Net: 2,000 - 10 - 40 = 1,950 USD.
    strategy, change = run_script("GC", [2390.0, 2400.0, 2405.0, 2410.0, 2410.0],
                                  {1: +2, 3: -2})
    assert change == pytest.approx(1950.0)
    trade = strategy.trade_records[0]
    assert (trade["entry_price"], trade["exit_price"]) == pytest.approx((2400.1, 2409.9))
    assert trade["gross_pnl_local"] == pytest.approx(9.8 * 100 * 2)  # 1,960 after slippage
    assert trade["fees_local"] == pytest.approx(10.0)
    assert trade["pnl_local"] == pytest.approx(1950.0)               # net = gross - fees
    assert trade["fees_usd"] == pytest.approx(10.0)
    assert trade["pnl_usd"] == pytest.approx(1950.0) and trade["fx_rate"] == 1.0
    assert trade["entry_time"] == "2024-08-02T01:15:00+00:00"        # the fill bar's open
    assert trade["exit_time"] == "2024-08-04T01:15:00+00:00"
    assert (trade["bars_held"], trade["exit_reason"], trade["status"]) == (2, "signal", "closed")


def test_zn_short_round_trip_1000_usd_per_point():
    # Sell 1 ZN at 110.0, buy back at 109.5: gross 0.5 x 1,000 = 500 USD.
    # Fees 1.60 x 2 = 3.20; slippage 1/64 point = 15.625 USD x 2 sides = 31.25. Net 465.55.
    strategy, change = run_script("ZN", [110.2, 110.0, 109.8, 109.5, 109.5], {1: -1, 3: +1})
    assert change == pytest.approx(465.55)
    assert strategy.trade_records[0]["side"] == "short"
    assert strategy.trade_records[0]["pnl_usd"] == pytest.approx(465.55)


def test_hsi_round_trip_in_hkd_converted_to_usd():
    # Buy 1 HSI at 17,000, sell at 17,100; HK$50 per point, rate 7.80 HKD per USD throughout.
    # Gross 100 x 50 = HK$5,000. Fee HK$30 and slippage 1 point = HK$50 per side: HK$160.
    # Net HK$4,840 = 4,840 / 7.80 = 620.5128 USD.
    strategy, change = run_script("HSI", [16900.0, 17000.0, 17050.0, 17100.0, 17100.0],
                                  {1: +1, 3: -1}, hkd_per_usd=[7.80] * 5)
    assert change == pytest.approx(4840 / 7.80)
    trade = strategy.trade_records[0]
    assert trade["currency"] == "HKD" and trade["fx_rate"] == pytest.approx(7.80)
    assert trade["gross_pnl_local"] == pytest.approx(98 * 50)       # slipped 17,001 -> 17,099
    assert trade["fees_local"] == pytest.approx(60.0)               # HK$30 x 2 sides
    assert trade["pnl_local"] == pytest.approx(4840.0)
    assert trade["fees_usd"] == pytest.approx(60 / 7.80)
    assert trade["pnl_usd"] == pytest.approx(4840 / 7.80)


def test_hsi_mark_to_market_uses_each_bars_rate():
    # Long 1 from 17,000 (bar 2 open, also its close). Bar 3 closes 17,100 at 7.75 HKD/USD:
    # +HK$5,000 / 7.75. Bar 4 opens and closes 17,000 at 7.85: -HK$5,000 / 7.85, and the exit
    # fills there. Costs: entry HK$80 at 7.80, exit HK$80 at 7.85.
    opens = [16900.0, 17000.0, 17100.0, 17000.0, 17000.0]
    strategy, change = run_script("HSI", opens, {1: +1, 3: -1},
                                  hkd_per_usd=[7.80, 7.80, 7.75, 7.85, 7.85])
    expected = 5000 / 7.75 - 5000 / 7.85 - 80 / 7.80 - 80 / 7.85
    assert change == pytest.approx(expected)
    # The blotter books the same marks: slipped prices 17,001 -> 16,999 are HK$-100 gross,
    # HK$60 fees, HK$-160 net; in USD the bar-by-bar marks above (-38.12 USD), so the trade's
    # effective rate is -160 / -38.12 = 4.20 HKD per USD: a real trade whose USD and HKD
    # results differ because the rate moved while it was held.
    trade = strategy.trade_records[0]
    assert trade["pnl_local"] == pytest.approx(-160.0)
    assert trade["pnl_usd"] == pytest.approx(expected)
    assert trade["pnl_usd"] * trade["fx_rate"] == pytest.approx(trade["pnl_local"])


def test_worst_and_best_open_pnl_while_held():
    # GC long 1 filled at the open of bar 1, 2,400 + 1 tick = 2,400.1. Bar 1 ranges 2,380 -
    # 2,410 and closes 2,405; bar 2 ranges 2,395 - 2,420; the exit fills at bar 3's open,
    # 2,410 - 1 tick = 2,409.9. Worst open P&L (2,380 - 2,400.1) x 100 = -2,010 USD; best
    # (2,420 - 2,400.1) x 100 = +1,990 USD; realised gross +980, net of 2 x 2.50 fees +975.
    strategy, change = run_script(
        "GC", [2390.0, 2400.0, 2405.0, 2410.0, 2410.0], {1: +1, 3: -1},
        highs=[2390.0, 2410.0, 2420.0, 2410.0, 2410.0],
        lows=[2390.0, 2380.0, 2395.0, 2410.0, 2410.0],
        closes=[2390.0, 2405.0, 2415.0, 2410.0, 2410.0])
    trade = strategy.trade_records[0]
    assert trade["mae_usd"] == pytest.approx(-2010.0)
    assert trade["mfe_usd"] == pytest.approx(1990.0)
    assert trade["gross_pnl_local"] == pytest.approx(980.0)
    assert trade["pnl_usd"] == pytest.approx(975.0) == pytest.approx(change)


def test_a_position_open_at_the_end_is_marked_to_the_last_close():
    # Short 1 ZN filled at bar 1's open 110.0 - 1/64; still open after bar 4 (close 109.5):
    # gross (109.984375 - 109.5) x 1,000 = 484.375 USD, one fee of 1.60 paid; no exit cost.
    strategy, change = run_script("ZN", [110.2, 110.0, 109.8, 109.5, 109.5], {1: -1})
    trade = strategy.trade_records[0]
    assert (trade["exit_reason"], trade["status"]) == ("end_of_window", "open at end")
    assert trade["exit_time"] == "2024-08-05T08:00:00+00:00"   # the last bar's close
    assert trade["bars_held"] == 4
    assert trade["pnl_usd"] == pytest.approx(484.375 - 1.60) == pytest.approx(change)


def test_margin_blocks_an_order_the_account_cannot_carry():
    # GC initial margin is 11,000 USD a contract; with 10,000 USD cash the sizer refuses it.
    strategy, change = run_script("GC", [2400.0] * 4, {1: "long"}, cash=10_000.0)
    assert change == 0.0 and strategy.trade_records == []
    assert "cannot carry the margin" in strategy.skips[0]["reason"]


def test_sizer_buys_whole_contracts_from_the_risk_budget():
    # HSI daily volatility 20 points x HK$50 / 7.80 = 128.21 USD of risk per contract.
    # A 1,000 USD budget buys floor(1000 / 128.21) = floor(7.8) = 7 contracts.
    strategy, _ = run_script("HSI", [17000.0] * 5, {1: "long"}, hkd_per_usd=[7.80] * 5,
                             budget=1000.0, volatility=20.0)
    assert strategy.trade_records[0]["contracts"] == 7


def test_sizer_skips_a_trade_below_one_contract_and_says_why():
    strategy, change = run_script("HSI", [17000.0] * 5, {1: "long"}, hkd_per_usd=[7.80] * 5,
                                  budget=100.0, volatility=20.0)
    assert strategy.trade_records == [] and change == 0.0
    assert "below one contract's daily risk 128 USD" in strategy.skips[0]["reason"]


def test_a_position_built_in_two_fills_is_closed_first_in_first_out():
    # Buy 1 GC at 2,400 + 1 tick, buy 1 more at 2,410 + 1 tick, sell both at 2,420 - 1 tick.
    # Two blotter rows, each with its own fill price on the 0.10 grid (no averaged 2,405.1):
    # (2,419.9 - 2,400.1) x 100 = 1,980 and (2,419.9 - 2,410.1) x 100 = 980, before fees.
    strategy, change = run_script("GC", [2390.0, 2400.0, 2410.0, 2420.0, 2420.0],
                                  {1: +1, 2: +1, 3: -2})
    first, second = strategy.trade_records
    assert (first["entry_price"], second["entry_price"]) == pytest.approx((2400.1, 2410.1))
    assert first["exit_price"] == second["exit_price"] == pytest.approx(2419.9)
    assert (first["gross_pnl_local"], second["gross_pnl_local"]) == pytest.approx((1980, 980))
    assert (first["bars_held"], second["bars_held"]) == (2, 1)
    assert first["pnl_usd"] + second["pnl_usd"] == pytest.approx(change)


# ------------------------------------------------------------ spot FX: booked as its broker does
# USDJPY long 1 lot (100,000 USD), no fee and no slippage, so only the rule shows. Filled at bar
# 1's open, 150.000; the closes then run 152, 147, 149 (the rate line is 1 / close, as the engine
# makes it). A broker values the open JPY P&L at the current rate:
#   bar 1: +200,000 JPY / 152 = +1,315.79 USD; bar 2: -300,000 / 147 = -2,040.82;
#   bar 3: -100,000 / 149 = -671.14.
# Converting each bar's move at its own bar's rate instead would give -743.29 at bar 3
# (200,000 / 152 - 500,000 / 147 + 200,000 / 149): the path-dependent figure this replaces.
USDJPY_OPENS = [150.0, 150.0, 151.0, 148.0, 149.0]
USDJPY_CLOSES = [150.0, 152.0, 147.0, 149.0, 149.0]
USDJPY_EQUITY = [0.0, 200_000 / 152, -300_000 / 147, -100_000 / 149]


def usdjpy_frame():
    return script_frame("USDJPY", USDJPY_OPENS, closes=USDJPY_CLOSES,
                        usd_per_local=[1 / c for c in USDJPY_CLOSES], slippage_ticks=0.0,
                        fee_local=0.0, volatility=1.5)


def test_spot_fx_open_pnl_is_valued_at_the_current_rate_and_realised_at_the_exit_rate():
    # Sold at bar 4's open, 149.000: -100,000 JPY realised at 1 / 149 = -671.14 USD.
    strategy, change = run_frame("USDJPY", usdjpy_frame(), {1: +1, 4: -1})
    assert strategy.equity_values[:4] == pytest.approx([1e6 + x for x in USDJPY_EQUITY])
    trade = strategy.trade_records[0]
    assert trade["gross_pnl_local"] == pytest.approx(-100_000.0)
    assert trade["pnl_usd"] == pytest.approx(-100_000 / 149) == pytest.approx(change)
    assert trade["fx_rate"] == pytest.approx(149.0)
    assert trade["mfe_usd"] == pytest.approx(200_000 / 152)   # the bar-1 close, at 1 / 152
    assert trade["mae_usd"] == pytest.approx(-300_000 / 147)


def test_spot_fx_slippage_is_in_the_price_and_realised_at_the_exit_rate():
    # As above with 2 ticks (0.002 JPY) a side and the 3.50 USD fee: bought at 150.002, sold at
    # 148.998: -100,400 JPY at 1 / 148.998 = -673.83 USD, and 7 USD of fees (each side's USD
    # fee, stored in JPY at its bar's rate): -680.83 USD net.
    frame = usdjpy_frame().assign(slippage_ticks=2.0,
                                  fee_local=[3.5 * c for c in USDJPY_CLOSES])
    strategy, change = run_frame("USDJPY", frame, {1: +1, 4: -1})
    trade = strategy.trade_records[0]
    assert (trade["entry_price"], trade["exit_price"]) == (150.002, 148.998)
    assert trade["fees_usd"] == pytest.approx(7.0)
    assert trade["pnl_usd"] == pytest.approx(-100_400 / 148.998 - 7.0) == pytest.approx(change)


def test_the_screen_books_spot_fx_as_backtrader_does():
    # The same path held by the hold benchmark (long from the window's first bar, to the end)
    # on the screen and on backtrader: the same equity at every close, and an end-of-window
    # mark of -100,000 JPY at 1 / 149.
    from types import SimpleNamespace

    from strategies.base import CommonParameters
    from unwind.sim import benchmark, engine, screen

    frame = usdjpy_frame().assign(entry=1.0, exit=0.0)
    parameters = CommonParameters(risk_budget_usd=1_200.0)   # 1,200 / (1.5 x 100,000 / 150)
    ready = engine.Prepared(benchmark.HOLD, parameters, frame.index[0] - pd.Timedelta(hours=1),
                            frame.index[-1] + pd.Timedelta(days=1), {}, {"USDJPY": frame}, None,
                            [])
    config = SimpleNamespace(cash_usd=1e6, max_leverage=float("inf"), first_trigger=None,
                             runonce=True, preload=True, playbook="hold", start="", end="")
    screened = screen.run(ready, config)
    reference = engine.execute(ready, config)
    assert screened.equity.tolist() == reference.equity_values
    assert screened.equity.tolist()[:5] == pytest.approx(
        [1e6 + x for x in USDJPY_EQUITY] + [1e6 - 100_000 / 149])
    trade = screened.trades.iloc[0]
    assert (trade["exit_reason"], trade["pnl_usd"]) == ("end_of_window",
                                                       pytest.approx(-100_000 / 149))
    assert trade["pnl_usd"] == reference.trade_records[0]["pnl_usd"]
