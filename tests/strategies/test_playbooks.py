"""The playbooks as the articles wrote them, on real data: the rule defects fixed, the articles'
own numbers, one-change twins, the new theses each with a trade checked by hand, and a stated
reason and calibration window for every default."""

import ast
import dataclasses
import inspect

import numpy as np
import pandas as pd
import pytest

import strategies
from unwind.sim.config import RunConfig
from unwind.sim.engine import prepare, run


def config(real_store, playbook, start, end, **options) -> RunConfig:
    return RunConfig(playbook=playbook, start=start, end=end, store=str(real_store.root),
                     **options)


@pytest.fixture(scope="module")
def hsi_history(real_store):
    settings = config(real_store, "hsi_short_yen_vol", "2008-01-01", "2025-06-30")
    return run(settings), prepare(settings)


def test_hsi_short_never_opens_a_trade_its_own_cover_condition_would_close(hsi_history):
    result, ready = hsi_history
    lines = ready.frames["HSI"]
    trades = result.trades
    assert len(trades) >= 10
    fills = pd.DatetimeIndex(pd.to_datetime(trades["entry_time"], utc=True)).normalize()
    for fill in fills:
        decision = lines.index.get_loc(fill) - 1          # decided at the previous close
        assert lines["entry"].iloc[decision] == 1 and lines["exit"].iloc[decision] == 0
    # the first version shorted 2008-09-25 and covered the next day on its own entry bar's
    # slope (between -0.5% and 0): the entry band now starts below the cover band
    assert "2008-09-25" not in " ".join(trades["entry_time"])
    slopes = lines["yen_slope"][lines["entry"] > 0]
    assert (slopes <= -ready.parameters.entry_slope).all()
    assert ready.parameters.entry_slope > ready.parameters.flat_slope


def test_gold_session_comparison_on_5_august_2024_read_from_the_hourly_file(real_store):
    # XAUUSD_H1.csv in server time (UTC+3 in summer): the Asian session of Monday 5 August runs
    # from the Sunday open, 2024.08.05 01:00 server (22:00 UTC) open 2444.61, to the bar of
    # 11:00 server (08:00 UTC) close 2424.92: -0.805%. Friday's Europe/New York session, 12:00
    # server (09:00 UTC) open 2461.92 to 23:00 server (20:00 UTC) close 2441.38: -0.834%.
    # Asia fell no more than the West had: the drop was shared, so the article's rule (an
    # Asian drop that Europe/US did not share) does not buy on 5 August.
    ready = prepare(config(real_store, "gold_asia_dip", "2024-07-08", "2024-08-30"))
    lines = ready.frames["XAUUSD"]
    bar = lines.loc[pd.Timestamp("2024-08-05 08:00", tz="UTC")]
    assert bar["session_move"] == pytest.approx(2424.92 / 2444.61 - 1, abs=1e-9)
    assert bar["divergence"] == pytest.approx(
        (2424.92 / 2444.61 - 1) - (2441.38 / 2461.92 - 1), abs=1e-9)
    assert bar["session_move"] <= -0.0075 and bar["entry"] == 0


def test_the_spread_on_the_day_article_002_describes(real_store):
    # Article 002 (early December 2025): 10Y JGB 1.910%, UST 3.72%, spread 1.81 pp. The stored
    # closes of 3 December 2025: FRED DGS10 4.06, MOF 10Y 1.897 -> 2.163 pp. The JGB number
    # matches; the US one does not, so the article's 1.81 pp is not what the market closed at.
    ready = prepare(config(real_store, "spread_unwind_long_yen", "2025-11-20", "2025-12-10"))
    spread = ready.frames["USDJPY"]["spread"]
    assert spread.loc[pd.Timestamp("2025-12-03", tz="UTC")] == pytest.approx(4.06 - 1.897)
    assert ready.parameters.entry_level == 1.5 and ready.parameters.exit_level == 1.81
    assert ready.parameters.trigger == "level"


def test_the_spread_level_trigger_enters_when_the_spread_crosses_1_5(real_store):
    result = run(config(real_store, "spread_unwind_long_yen", "2020-02-20", "2020-04-09"))
    ready = prepare(config(real_store, "spread_unwind_long_yen", "2020-02-20", "2020-04-09"))
    trade = result.trades.iloc[0]
    assert trade["side"] == "short" and trade["entry_time"] == "2020-02-24T22:00:00+00:00"
    spread = ready.frames["USDJPY"]["spread"]
    decision = spread.index.get_loc(pd.Timestamp("2020-02-25", tz="UTC")) - 1
    assert spread.iloc[decision] <= 1.5 < spread.iloc[decision - 1]


def test_jgb_level_trigger_uses_the_articles_numbers(real_store):
    # On MOF closes the 40-year peaked at 3.901% (2026-01-20): article 000's 4% (the default)
    # never fires, article 001's 3.7% does, in January 2026.
    window = ("2025-12-01", "2026-02-27")
    at_four = run(config(real_store, "jgb_shock_short_nq", *window))
    at_three_seven = run(config(real_store, "jgb_shock_short_nq", *window,
                                parameters=(("trigger", "level"), ("level", "3.7"))))
    assert at_four.metrics["trades"] == 0
    assert at_three_seven.metrics["trades"] >= 1
    assert at_three_seven.trades["entry_time"].str.startswith("2026-01").all()


def test_bond_hedge_sizes_the_hedge_from_beta_and_keeps_notional_bounded(real_store):
    result = run(config(real_store, "bond_hedge", "2025-12-08", "2026-01-09"))
    unhedged = run(config(real_store, "bond_hedge", "2025-12-08", "2026-01-09",
                          parameters=(("hedge", False),)))
    leverage = result.gross_notional / result.equity
    assert leverage.max() < 2.5              # equity leg ~1x the account, hedge <= 1x of it
    assert (unhedged.gross_notional / unhedged.equity).max() < 1.5
    assert set(result.trades["exit_reason"]) <= {"rebalance", "signal", "end_of_window"}


def test_bond_hedge_beta_is_the_regression_slope():
    index = pd.date_range("2024-01-01", periods=80, freq="D", tz="UTC")
    rng = np.random.default_rng(7)
    bond = pd.Series(100 * np.cumprod(1 + rng.normal(0, 0.004, 80)), index=index)
    bond_returns = bond.pct_change()
    equity = pd.Series(100.0, index=index)
    equity.iloc[1:] = 100 * np.cumprod(1 - 1.5 * bond_returns.iloc[1:].to_numpy())
    from strategies.bond_hedge import hedge_beta

    assert hedge_beta(equity, bond, 60).iloc[-1] == pytest.approx(-1.5)


def test_bond_hedge_contracts_from_beta_by_hand():
    """Four closes, a three-day beta, the ZN contracts and the orders, all on paper.

    Returns (close over the previous close, less 1):
      NQ 20000 -> 16000 -> 19200 -> 20160:  -0.20, +0.20, +0.05
      ZN    100 ->   110 ->    99 ->    99:  +0.10, -0.10,  0.00
    ZN's mean return is 0, so cov = (sum of rZN x rNQ) / 2 = (-0.02 - 0.02 + 0) / 2 = -0.02
    and var(ZN) = (0.01 + 0.01 + 0) / 2 = 0.01: beta = -0.02 / 0.01 = -2 (bonds hedge).
    Each leg is valued at its printed price, the roll-adjusted close plus the roll offset (NQ
    20,100 + 60 = 20,160; ZN 98.5 + 0.5 = 99), not at the adjusted close.
    Holding 2 NQ at 20,160 x $20 a point: 806,400 USD of equity; one ZN at 99 x $1,000 is 99,000.
      max_hedge 1.0 (the default): ratio min(2, 1.0) = 1.0 -> 806,400 / 99,000 = 8.15 -> 8 ZN
      max_hedge 1.5:               ratio 1.5 -> 1,209,600 / 99,000 = 12.2 -> 12 ZN
      max_hedge 5.0:               ratio 2.0 (beta binds) -> 1,612,800 / 99,000 = 16.3 -> 16 ZN
    With a positive beta (ZN moving with NQ) the hedge is 0; the HSI book (HK$50 a point, 7.8
    HKD a USD): 2 x 20,160 x 50 / 7.8 = 258,461.5 USD -> 2.61 -> 2 ZN."""
    from types import SimpleNamespace

    from feeds import instruments
    from strategies.book import target_contracts
    from strategies.bond_hedge import Strategy, hedge_beta

    index = pd.date_range("2024-01-01", periods=4, freq="D", tz="UTC")
    equity_close = pd.Series([20000.0, 16000.0, 19200.0, 20160.0], index=index)
    bond_close = pd.Series([100.0, 110.0, 99.0, 99.0], index=index)
    beta = hedge_beta(equity_close, bond_close, 3)
    assert beta.iloc[:3].isna().all() and beta.iloc[-1] == pytest.approx(-2.0, abs=1e-12)

    def contracts(beta_now: float, max_hedge: float, equity: str = "NQ",
                  usd_per_local: float = 1.0) -> int:
        held = SimpleNamespace(size=2)
        book = SimpleNamespace(
            p=SimpleNamespace(max_hedge=max_hedge), getposition=lambda data: held,
            _instrument={symbol: instruments.get(symbol) for symbol in (equity, "ZN")})
        # adjusted closes and roll offsets: each leg is valued at its printed price
        equity_data = SimpleNamespace(_name=equity, close={0: 20100.0}, roll_offset={0: 60.0},
                                      usd_per_local={0: usd_per_local})
        notes = SimpleNamespace(_name="ZN", close={0: 98.5}, roll_offset={0: 0.5},
                                usd_per_local={0: 1.0}, hedge_beta={0: beta_now})
        return Strategy.hedge_contracts(book, equity_data, notes)

    assert [contracts(beta.iloc[-1], cap) for cap in (1.0, 1.5, 5.0)] == [8, 12, 16]
    assert contracts(0.3, 1.0) == 0 and contracts(float("nan"), 1.0) == 0
    assert contracts(beta.iloc[-1], 1.0, "HSI", 1 / 7.8) == 2

    # the orders: on from flat, cut on a rebalance (booked "rebalance"), off on the signal
    class Book:
        def __init__(self, held: int):
            self.held, self.exit_reasons, self.orders = held, {}, []

        def getposition(self, data):
            return SimpleNamespace(size=self.held)

        def order_target_size(self, data, target):
            self.orders.append((data._name, target))

    notes = SimpleNamespace(_name="ZN")
    for held, target, reason, booked in ((0, 8, "rebalance", {}),
                                         (12, 8, "rebalance", {"ZN": "rebalance"}),
                                         (8, 0, "signal", {"ZN": "signal"}),
                                         (8, 8, "rebalance", {})):
        book = Book(held)
        target_contracts(book, notes, target, reason=reason)
        assert book.orders == ([] if held == target else [("ZN", target)])
        assert book.exit_reasons == booked


# Each trade with fixed costs (1 tick a side) so the numbers can be redone on paper:
# playbook: (window, entry time, side, contracts, entry, exit, gross local, fees local)
NEW_TRADES = {
    # 2008-10-10: FRED DGS10 3.89 vs 3.63 on 10-03 (+0.26 pp >= 0.22); USDJPY 100.66 vs 105.32
    # (-4.4% <= -1.5%). Long 3 lots due at Monday's open, 765.25: 9% under Friday's close, the
    # day's low, while COMEX gold opened 0.7% up: a suspect print (feeds/crosscheck.py), so the
    # order waits for Tuesday's clean open, 831.60 + 0.01 (trades.csv fill_note says so). The
    # exit the yen's reversal called while the order waited is decided at Tuesday's close: out
    # Wednesday at 835.95 - 0.01. Gross 3 x (835.94 - 831.61) x 100 oz = 1,299 USD (it was
    # 19,899 from the bad print); fees 3 lots x 3.50 x 2 sides = 21 USD.
    "ust_selloff_long_gold": (("2008-09-01", "2008-11-28"), "2008-10-13T22:00:00+00:00", "long",
                              3, 831.61, 835.94, 1299.0, 21.0),
    # A JGB30Y jump in March 2020 (the z-score variant, `-p trigger=zscore`: the default level
    # rule never fires): short 11 ZN due at 2020-03-17's open, 140.00, the day's high while ZB
    # opened 0.7% down: a suspect print; sold at 03-18's open 135-28/32 - 1/64 = 135.859375;
    # covered 137.40625. 11 x (135.859375 - 137.40625) x 1,000 = -17,015.625 (it was +28,359.375
    # from the bad print); fees 11 x 1.60 x 2 = 35.20.
    "jgb_shock_short_zn": (("2020-02-20", "2020-04-09"), "2020-03-17T22:00:00+00:00", "short",
                           11, 135.859375, 137.40625, -17015.625, 35.2),
    # After the March 2011 yen burst (G7 intervention) the yen's rise slowed and HSI went quiet:
    # long 5 HSI at 23,135 + 1; held to the window's end at 24,396: 5 x 1,260 x HK$50 =
    # HK$315,000. Fees: the entry, 5 x HK$30 = 150, and the March roll (both legs' fee and
    # slippage: 5 x (2 x 30 + 2 x 50) = 800): HK$950.
    "hsi_bottom_long": (("2011-03-07", "2011-04-08"), "2011-03-25T01:15:00+00:00", "long", 5,
                        23136.0, 24396.0, 315000.0, 950.0),
}


# The settings a hand-checked trade is made at, where not the defaults.
NEW_TRADE_PARAMETERS = {"jgb_shock_short_zn": (("trigger", "zscore"),)}


@pytest.mark.parametrize("playbook", NEW_TRADES)
def test_each_new_playbook_trades_in_an_episode_as_checked_by_hand(real_store, playbook):
    window, entry_time, side, contracts, entry, exit_price, gross, fees = NEW_TRADES[playbook]
    trades = run(config(real_store, playbook, *window, slippage_model="fixed",
                        slippage_ticks=1.0,
                        parameters=NEW_TRADE_PARAMETERS.get(playbook, ()))).trades
    trade = trades[trades["entry_time"] == entry_time].iloc[0]
    assert (trade["side"], trade["contracts"]) == (side, contracts)
    assert (trade["entry_price"], trade["exit_price"]) == pytest.approx((entry, exit_price))
    assert (trade["gross_pnl_local"], trade["fees_local"]) == pytest.approx((gross, fees))
    assert trade["pnl_local"] == pytest.approx(gross - fees + trade["financing_local"])


@pytest.mark.parametrize("playbook", strategies.ids())
def test_every_twin_changes_exactly_one_parameter(playbook):
    module = strategies.get(playbook)
    if module.PLAIN_TWIN is None:
        return
    assert len(module.PLAIN_TWIN) == 1
    (name, value), = module.PLAIN_TWIN.items()
    default = {f.name: f.default for f in dataclasses.fields(module.Parameters)}[name]
    assert value != default
    module.Parameters(**{name: value})                       # a valid setting


def _undocumented_defaults(module) -> list[str]:
    """Fields the module's Parameters class defines itself whose reason is missing: walking up
    from a field over the fields grouped with it, the first other line must be a comment; a
    default taken from another playbook's documented default carries that reason."""
    source = inspect.getsource(module.Parameters)
    lines = source.splitlines()
    missing = []
    for node in ast.parse(source).body[0].body:
        if not isinstance(node, ast.AnnAssign) or isinstance(node.value, ast.Attribute):
            continue
        number = node.lineno - 2
        while number >= 0 and ":" in lines[number] and "=" in lines[number] \
                and not lines[number].strip().startswith("#"):
            number -= 1
        if number < 0 or not lines[number].strip().startswith("#"):
            missing.append(node.target.id)
    return missing


@pytest.mark.parametrize("playbook", strategies.ids())
def test_every_default_has_a_reason_and_the_calibration_window_is_declared(playbook):
    module = strategies.get(playbook)
    assert hasattr(module, "CALIBRATED_ON")
    window = module.CALIBRATED_ON
    docstring = module.__doc__
    assert "Calibrated on" in docstring and "Regime read" in docstring
    if window is None:
        assert "CALIBRATED_ON = None" in docstring or "the same window as" in docstring
    else:
        start, end = (pd.Timestamp(day) for day in window)
        assert start < end
        assert f"{window[0]}..{window[1]}" in docstring or "the same window as" in docstring
    # a spec refuses a parameter without a reason (strategies/spec.py); a module's reason is
    # the comment above its field
    missing = [p.name for p in module.SPEC.parameters if not p.reason.strip()] \
        if hasattr(module, "SPEC") else _undocumented_defaults(module)
    assert not missing, f"{playbook}: defaults without a stated reason: {missing}"


def test_the_boj_decision_catalogue_agrees_with_the_stored_meeting_dates(real_store):
    from feeds import events

    meetings = real_store.read("BOJMPM", "1d")[0].index
    decisions = events.boj_decisions().index
    covered = decisions[decisions <= meetings.max()]
    missing = [d.date().isoformat() for d in covered[~covered.isin(meetings)]]
    # the raw list skips the meeting of 19 March 2001 that adopted quantitative easing (it has
    # 2 March and 30 April); every other decision date is one of its meeting dates
    assert len(covered) >= 10 and missing == ["2001-03-19"]
    hikes = events.boj_hikes()
    assert [d.date().isoformat() for d in hikes.index] == [
        "2000-08-11", "2006-07-14", "2007-02-21", "2024-03-19", "2024-07-31", "2025-01-24",
        "2025-12-19"]


def test_boj_hike_long_yen_trades_the_hike_of_january_2025_by_hand(real_store):
    # BOJ hike to 0.5% on 2025-01-24 (Friday; known at 12:00 Tokyo = 03:00 UTC), while the
    # effective Fed funds rate had fallen from 4.83 (2024-10-25) to 4.33 (2025-01-24): -0.50 pp
    # over 91 days, a cut. Decided at the USDJPY close of Friday 24 January, short at the Sunday
    # 17:00 New York open (22:00 UTC); held 20 sessions.
    settings = config(real_store, "boj_hike_long_yen", "2024-11-01", "2025-03-31",
                      slippage_model="fixed", slippage_ticks=1.0)
    ready = prepare(settings)
    lines = ready.frames["USDJPY"]
    decided = lines.loc[pd.Timestamp("2025-01-24", tz="UTC")]
    assert decided["boj_hike"] == 1 and decided["entry"] == 1
    assert decided["fed_change"] == pytest.approx(4.33 - 4.83)
    trade = run(settings).trades.iloc[0]
    assert (trade["side"], trade["entry_time"]) == ("short", "2025-01-26T22:00:00+00:00")
    assert (trade["exit_reason"], trade["bars_held"]) == ("time", 20)
    twin = run(config(real_store, "boj_hike_long_yen", "2024-07-08", "2024-08-30",
                      parameters=(("require_fed_cutting", False),)))
    hold = run(config(real_store, "boj_hike_long_yen", "2024-07-08", "2024-08-30"))
    # 31 July 2024: a hike while the Fed had not yet cut; only the twin trades it
    assert hold.metrics["trades"] == 0 and twin.metrics["trades"] == 1


@pytest.mark.parametrize("playbook", ["gold_asia_dip", "gold_dip_any_session"])
def test_no_gold_entry_on_2_december_2024_when_the_west_session_before_made_no_decision(
        real_store, playbook):
    # Friday 2024-11-29 (after Thanksgiving) closed early: its West session has no 16:00 New York
    # bar, so it decided nothing. Monday's Asia fell 0.85% while the yen was bought; the first
    # version compared it with Friday's *Asian* block (+0.75%) and bought. No comparison, no entry.
    lines = prepare(config(real_store, playbook, "2024-11-25", "2024-12-06")).frames["XAUUSD"]
    decision = lines.loc[pd.Timestamp("2024-12-02 08:00", tz="UTC")]
    assert decision["session_move"] <= -0.0075 and decision["yen_move"] <= -0.025
    assert np.isnan(decision["divergence"])
    assert lines.loc["2024-12-02", "entry"].sum() == 0


def test_gold_asia_dip_enters_on_9_march_2020_at_the_0900_utc_open(real_store):
    # fxtrading_ea's 2020.03.09 11:00 server bar (UTC+2: the US was on DST since 03-08, Europe
    # not) opens 1675.16 at 09:00 UTC, the London morning after the Asian decision. Read on the
    # New York close clock the entry filled an hour early, at 1664.97.
    trades = run(config(real_store, "gold_asia_dip", "2020-03-02", "2020-03-13",
                        slippage_model="fixed", slippage_ticks=0.0)).trades
    assert list(trades["entry_time"]) == ["2020-03-09T09:00:00+00:00"]
    assert trades["entry_price"].iloc[0] == pytest.approx(1675.16)
