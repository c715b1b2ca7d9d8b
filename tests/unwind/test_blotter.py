"""trades.csv on real data: one basis (net = gross - fees, in local and USD), the effective rate,
fills at real instants on the tick grid, worst/best open P&L, and trades that add up to the
equity curve."""

import contextlib
import io
import json

import numpy as np
import pandas as pd
import pytest

from feeds import calendars, instruments
from strategies.book import EXIT_REASONS

RUNS = {
    "hsi_short_yen_vol": ("2016-01-01", "2025-06-30"),       # HSI in HKD, daily
    "spread_unwind_long_yen": ("2008-01-01", "2025-06-30"),  # spot USDJPY: P&L in JPY
    "jgb_shock_short_zn": ("2008-01-01", "2025-06-30"),      # ZN, CME daily
    "bond_hedge": ("2020-01-01", "2025-06-30"),              # NQ and ZN, resized weekly
    "gold_dip_any_session": ("2019-01-01", "2025-06-30"),    # spot gold, hourly
}
# Parameters a run needs to trade: the JGB playbooks' default level rule never fired.
OPTIONS = {"jgb_shock_short_zn": ["-p", "trigger=zscore"]}


@pytest.fixture(scope="module")
def run_dirs(real_store, tmp_path_factory):
    """One `unwind run` per playbook, written as a user would get it."""
    from unwind.cli import main

    out = tmp_path_factory.mktemp("blotter")
    directories = {}
    for playbook, (start, end) in RUNS.items():
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            code = main(["run", playbook, "--start", start, "--end", end, "--store",
                         str(real_store.root), "--out", str(out), "--json",
                         *OPTIONS.get(playbook, [])])
        assert code == 0
        directories[playbook] = json.loads(printed.getvalue())["run_dir"]
    return directories


def read(directory: str, name: str) -> pd.DataFrame:
    return pd.read_csv(f"{directory}/{name}")


@pytest.mark.parametrize("playbook", RUNS)
def test_net_is_gross_less_fees_plus_financing_and_usd_times_rate_is_local(run_dirs, playbook):
    trades = read(run_dirs[playbook], "trades.csv")
    assert len(trades) >= 3
    net = trades["gross_pnl_local"] - trades["fees_local"] + trades["financing_local"]
    assert np.allclose(trades["pnl_local"], net, rtol=0, atol=0.01)   # 12 significant digits
    assert (trades["pnl_usd"] * trades["fx_rate"] - trades["pnl_local"]).abs().max() <= 0.01
    assert (trades["fees_usd"] >= 0).all() and (trades["fees_local"] >= 0).all()


@pytest.mark.parametrize("playbook", RUNS)
def test_the_trades_add_up_to_the_equity_curve(run_dirs, playbook):
    trades = read(run_dirs[playbook], "trades.csv")
    equity = read(run_dirs[playbook], "equity.csv")["equity_usd"]
    assert trades["pnl_usd"].sum() == pytest.approx(equity.iloc[-1] - equity.iloc[0], abs=0.05)


@pytest.mark.parametrize("playbook", RUNS)
def test_fill_prices_sit_on_the_tick_grid(run_dirs, playbook):
    trades = read(run_dirs[playbook], "trades.csv")
    for symbol, own in trades.groupby("symbol"):
        tick = instruments.get(symbol).tick_size
        for column in ("entry_price", "exit_price"):
            steps = own[column] / tick
            assert (steps - steps.round()).abs().max() < 1e-6, (symbol, column)


@pytest.mark.parametrize("playbook", ["hsi_short_yen_vol", "spread_unwind_long_yen",
                                      "jgb_shock_short_zn"])
def test_daily_fills_carry_the_session_open(run_dirs, playbook):
    trades = read(run_dirs[playbook], "trades.csv")
    for symbol, own in trades.groupby("symbol"):
        instrument = instruments.get(symbol)
        entries = pd.DatetimeIndex(pd.to_datetime(own["entry_time"], utc=True))
        dates = calendars.trading_dates(entries, instrument).tz_localize("UTC")
        assert (calendars.session_open(dates, instrument) == entries).all(), symbol
    if playbook == "hsi_short_yen_vol":   # 09:15 Hong Kong, the futures' morning open
        assert trades["entry_time"].str[10:].eq("T01:15:00+00:00").all()


@pytest.mark.parametrize("playbook", RUNS)
def test_worst_and_best_open_pnl_bracket_the_result(run_dirs, playbook):
    trades = read(run_dirs[playbook], "trades.csv")
    # MAE/MFE are price excursions: compare them with P&L before fees and financing
    price_pnl = trades["pnl_usd"] + trades["fees_usd"] - trades["financing_usd"]
    assert (trades["mae_usd"] <= price_pnl + 1e-6).all()
    assert (trades["mfe_usd"] >= price_pnl - 1e-6).all()
    assert set(trades["exit_reason"]) <= set(EXIT_REASONS)
    assert (trades["bars_held"] >= 1).all()
    open_at_end = trades["status"] == "open at end"
    assert (trades.loc[open_at_end, "exit_reason"] == "end_of_window").all()


def test_an_hsi_short_checked_by_hand(real_store):
    # Fixed costs (1 point a side), so it can be redone on paper. WSJ HSI.csv: 07/25/24 open
    # 17,260.83, 07/29/24 open 17,196.45; on the futures' 1-point tick 17,261 and 17,196. Short
    # 6 at 17,261 - 1 point of slippage = 17,260; covered at 17,196 + 1 = 17,197. Gross
    # 6 x (17,260 - 17,197) x HK$50 = HK$18,900; fees 6 x HK$30 x 2 sides = HK$360; net
    # HK$18,540 = 2,376.92 USD at the 7.80 peg.
    from unwind.sim.config import RunConfig
    from unwind.sim.engine import run

    trades = run(RunConfig(playbook="hsi_short_yen_vol", start="2024-07-08", end="2024-08-30",
                           store=str(real_store.root), slippage_model="fixed",
                           slippage_ticks=1.0)).trades
    trade = trades[trades["entry_time"] == "2024-07-25T01:15:00+00:00"].iloc[0]
    assert (trade["side"], trade["contracts"]) == ("short", 6)
    assert (trade["entry_price"], trade["exit_price"]) == (17260.0, 17197.0)
    assert trade["exit_time"] == "2024-07-29T01:15:00+00:00"
    assert trade["gross_pnl_local"] == 18900.0 and trade["fees_local"] == 360.0
    assert trade["pnl_local"] == 18540.0 and trade["fx_rate"] == pytest.approx(7.80)
    assert trade["pnl_usd"] == pytest.approx(18540.0 / 7.80, abs=0.01)


def test_a_usdjpy_short_realised_at_the_exit_rate(real_store):
    # spread_unwind_long_yen's short of 21 lots (2.1M USD) from 2020-02-24 22:00 UTC: sold at
    # 110.704, bought back at 109.21 on 2020-04-06 21:00 UTC. A broker realises the JPY left,
    # 2.1e6 x (110.704 - 109.21) = 3,137,400 JPY, at the exit's rate: 3,137,400 / 109.21 =
    # 28,728.14 USD before fees and financing. (Each bar's move at its own bar's rate booked
    # 34,249 USD, 19% more.) The trades still add up to the equity curve.
    from unwind.sim.config import RunConfig
    from unwind.sim.engine import run

    result = run(RunConfig(playbook="spread_unwind_long_yen", start="2020-02-24",
                           end="2020-04-07", store=str(real_store.root)))
    trade = result.trades[result.trades["entry_time"] == "2020-02-24T22:00:00+00:00"].iloc[0]
    assert (trade["side"], trade["contracts"]) == ("short", 21)
    assert (trade["entry_price"], trade["exit_price"]) == (110.704, 109.21)
    assert trade["exit_time"] == "2020-04-06T21:00:00+00:00"
    before_costs = trade["pnl_usd"] + trade["fees_usd"] - trade["financing_usd"]
    assert before_costs == pytest.approx(2.1e6 * (110.704 - 109.21) / 109.21, abs=1.0)
    equity = result.equity
    assert result.trades["pnl_usd"].sum() == pytest.approx(equity.iloc[-1] - equity.iloc[0],
                                                           abs=0.01)
