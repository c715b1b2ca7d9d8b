"""The screen against backtrader on real data: the same trades, prices and P&L, trade for trade.

Every playbook the screen runs (bond_hedge runs on backtrader: unwind/sim/screen.py says why) is
compared in an episode and over a long window, each where its rule trades (IN_AN_EPISODE,
OVER_A_LONG_WINDOW: at its defaults, set parameters, and seeded random draws from its search
ranges, unwind.studies.grid.search_space), and each test asserts the fewest trades it must have
compared: an empty blotter proves nothing. `UNWIND_FULL_PARITY=1 pytest tests/unwind/test_screen.py -k full`
runs FULL_DRAWS draws over every window and prints how many runs and trades it compared and the
largest P&L gap.
"""

import dataclasses
import zlib
import os

import numpy as np
import pandas as pd
import pytest

import strategies
from feeds.errors import DataError
from unwind.sim import engine, screen
from unwind.studies import grid
from unwind.sim.config import RunConfig, build_parameters, for_episode

SCREENED = [p for p in strategies.ids() if screen.supported(p)[0]]
EPISODES = ("aug-2024-carry-unwind", "mar-2020-dash-for-cash", "apr-2025-tariff-shock")
SEED = 20240805
FULL_DRAWS = 20
TOLERANCE_USD = 1e-6
SAME = ["entry_time", "exit_time", "symbol", "side", "contracts", "entry_price", "exit_price",
        "exit_reason", "status", "bars_held", "rolls", "currency", "fill_note"]
NUMBERS = ["gross_pnl_local", "fees_local", "pnl_local", "pnl_usd", "fees_usd", "mae_usd",
           "mfe_usd", "roll_gap", "roll_cost_usd", "financing_local", "financing_usd"]


def check_parity(ready, config) -> tuple[int, float]:
    """Screen and backtrader on the same prepared lines: (trades compared, max |dP&L| USD)."""
    screened = screen.run(ready, config)
    reference = engine.run(config, ready)
    ours, theirs = screened.trades.reset_index(drop=True), reference.trades.reset_index(drop=True)
    assert ours[SAME].astype(str).to_dict("records") == theirs[SAME].astype(str).to_dict("records")
    gap = 0.0
    if len(ours):
        gap = float(np.max(np.abs(ours[NUMBERS].to_numpy(float) -
                                  theirs[NUMBERS].to_numpy(float))))
    equity_gap = float(np.max(np.abs(screened.equity.to_numpy() - reference.equity.to_numpy())))
    assert list(screened.equity.index) == list(reference.equity.index)
    assert gap <= TOLERANCE_USD and equity_gap <= TOLERANCE_USD
    assert screened.exposure == pytest.approx(reference.metrics["exposure"], abs=1e-12)
    assert screened.metrics == reference.metrics
    # a sweep's trial: only the trade columns the registry reads, the same metrics
    assert screen.run(ready, config, records=False).metrics == reference.metrics
    return len(ours), max(gap, equity_gap)


# Fifteen years every daily series of the test store covers: the default run's long window.
LONG = ("2010-01-04", "2024-12-31")


def window(playbook, where, store, **options) -> RunConfig:
    if isinstance(where, tuple) or where in ("full", "long"):
        if isinstance(where, tuple):
            start, end = where
        elif where == "full":
            from unwind.evidence.cells import full_history_window

            start, end = full_history_window(playbook, str(store.root))
        else:
            start, end = LONG
        return RunConfig(playbook=playbook, start=start, end=end, store=str(store.root),
                         allow_defects=True, **options)
    return for_episode(playbook, where, store=str(store.root), **options)


def draws(playbook, count):
    rng = np.random.default_rng([SEED, zlib.crc32(playbook.encode())])   # not its position
    return [grid.draw(playbook, rng) for _ in range(count)]


def at(ready, config, values):
    """The prepared run at parameters `values`: reusing the loaded data when the draw reads the
    same series, else prepared afresh."""
    config = dataclasses.replace(config, parameters=tuple(values.items()))
    parameters = build_parameters(ready.playbook.Parameters, values)
    try:
        return engine.with_parameters(ready, parameters), config
    except ValueError:
        return engine.prepare(config), config


@dataclasses.dataclass(frozen=True)
class Compared:
    """What a parity run compared: runs, trades, the largest P&L gap, and the draws not run
    because a series they read is not in the test store (each named)."""

    trials: int
    trades: int
    gap: float
    absent: tuple[str, ...] = ()

    def __str__(self) -> str:
        skipped = f"; {len(self.absent)} draw(s) skipped, series not in the test store: " \
            f"{'; '.join(self.absent)}" if self.absent else ""
        return f"{self.trials} runs, {self.trades} trades compared{skipped}"


def not_stored(store, playbook, values: dict) -> list[str]:
    """The series the playbook reads at `values` that the store does not hold."""
    module = strategies.get(playbook)
    traded, signal_series = strategies.series_of(module,
                                                 build_parameters(module.Parameters, values))
    wanted = [(symbol, module.BAR) for symbol in traded] + list(signal_series)
    return [f"{series} {bar}" for series, bar in wanted if store.info(series, bar) is None]


def parity_over(playbook, where, store, count, parameters=(), **options) -> Compared:
    """Parity at `parameters` and at `count` seeded draws in window `where`. A draw that reads a
    series the test store lacks is skipped and counted; every other data error fails."""
    lacking = not_stored(store, playbook, dict(parameters))
    if lacking:
        pytest.skip(f"{playbook} {where}: {', '.join(lacking)} not in the test store")
    config = window(playbook, where, store, parameters=tuple(parameters), **options)
    ready = engine.prepare(config)
    trials, (trades, gap), absent = 1, check_parity(ready, config), []
    for values in draws(playbook, count):
        lacking = not_stored(store, playbook, values)
        if lacking:
            absent.append(f"{values}: {', '.join(lacking)}")
            continue
        compared, drawn_gap = check_parity(*at(ready, config, values))
        trials, trades, gap = trials + 1, trades + compared, max(gap, drawn_gap)
    return Compared(trials, trades, gap, tuple(absent))


AUGUST_2024 = "aug-2024-carry-unwind"
YEAR_2020 = ("2020-01-02", "2020-12-31")
# playbook: (window, parameters, seeded draws, the fewest trades the runs must compare). Each
# minimum was measured (the count in the comment; draws seeded by the playbook's id) and set
# somewhat below it, or at it where the window holds one or two trades.
#
# In an episode: August 2024 at the defaults and one draw, where the playbook trades there.
# Where it does not (today's counts at the defaults and the draw, in brackets), the window or
# the parameters where its rule fires, so the comparison holds trades:
IN_AN_EPISODE = {
    # at its defaults gold_asia_dip trades once in its whole hourly history (2016-2026), so no
    # episode shows its trades at the defaults [Aug 2024: 0]; the yen move at its search floor
    # (0) and a 0.4% dip make it trade in August 2024
    "gold_asia_dip": (AUGUST_2024, (("yen_move", 0.0), ("dip", 0.004)), 1, 1),    # 1 trade
    "gold_dip_any_session": (AUGUST_2024, (), 1, 1),                              # 1
    "hsi_short_yen_vol": (AUGUST_2024, (), 1, 2),                                 # 2
    # the deleveraging bottom it buys came in March 2020 [Aug 2024: 0]
    "hsi_bottom_long": ("mar-2020-dash-for-cash", (), 1, 1),                      # 1
    "gold_haven_turn": (AUGUST_2024, (), 1, 1),                                   # 1
    # the US 10-year jumped with the yen in October 2008 [Aug 2024: 0]; its entry there waits
    # for a clean open after a suspect print (the moved fill compared as well); one trade at
    # the defaults, so three draws
    "ust_selloff_long_gold": ("oct-2008-gfc-carry-unwind", (), 3, 2),             # 3
    # the default level rule on its own path: article 001's 3.7% first fires 2026-01-19 (the
    # article's 4% never fires on MOF closes) [Aug 2024: 0]; the z-score trigger is compared
    # over 2010-2024 below
    "jgb_shock_short_nq": ("jan-2026-jgb-40y-4pct", (("level", 3.7),), 1, 1),     # 1
    "jgb_shock_short_zn": ("jan-2026-jgb-40y-4pct", (("level", 3.7),), 1, 1),     # 1
    # the spread's March 2020 collapse [Aug 2024: 0]
    "spread_unwind_long_yen": ("mar-2020-dash-for-cash", (), 1, 1),               # 1
    # the Fed had not cut by the 31 July 2024 hike, so the rule as written cannot fire; its
    # plain twin (any hike) trades that hike on the same path [Aug 2024: 0]
    "boj_hike_long_yen": (AUGUST_2024, (("require_fed_cutting", False),), 1, 1),  # 1
}
# Over a long window: 2010-2024 for daily playbooks, at the defaults; full history where
# 2010-2024 holds few trades (ust_selloff_long_gold 2, boj_hike_long_yen 0). Hourly gold (ten
# years of hourly bars cost backtrader several seconds a run; the full run covers them) over
# 2020 or March 2020, at parameters or draws that trade (its defaults trade about once a year).
OVER_A_LONG_WINDOW = {
    "gold_asia_dip": (YEAR_2020, (("yen_move", 0.0),), 0, 2),                     # 2
    "gold_dip_any_session": ("mar-2020-dash-for-cash", (), 3, 3),                 # 4
    "hsi_short_yen_vol": ("long", (), 0, 30),                                     # 38
    "hsi_bottom_long": ("long", (), 0, 13),                                       # 17
    "gold_haven_turn": ("long", (), 0, 7),                                        # 9
    "ust_selloff_long_gold": ("full", (), 0, 5),                                  # 6
    # the z-score trigger (VARIANTS): the level rule never fires before 2026
    "jgb_shock_short_nq": ("long", (("trigger", "zscore"),), 0, 26),              # 33
    "jgb_shock_short_zn": ("long", (("trigger", "zscore"),), 0, 30),              # 38
    "spread_unwind_long_yen": ("long", (), 0, 7),                                 # 9
    # the plain twin: every BOJ hike in the stored history (the rule as written trades one)
    "boj_hike_long_yen": ("full", (("require_fed_cutting", False),), 0, 3),       # 4
}


def test_every_screened_playbook_has_a_parity_window():
    assert set(IN_AN_EPISODE) == set(OVER_A_LONG_WINDOW) == set(SCREENED)


@pytest.mark.parametrize("playbook", SCREENED)
def test_screen_equals_backtrader_in_an_episode(real_store, playbook):
    where, parameters, count, minimum = IN_AN_EPISODE[playbook]
    compared = parity_over(playbook, where, real_store, count, parameters)
    assert compared.trades >= minimum, f"{playbook} {where}: {compared} (need {minimum})"


@pytest.mark.parametrize("playbook", SCREENED)
def test_screen_equals_backtrader_over_a_long_window(real_store, playbook):
    where, parameters, count, minimum = OVER_A_LONG_WINDOW[playbook]
    compared = parity_over(playbook, where, real_store, count, parameters)
    assert compared.trades >= minimum, f"{playbook} {where}: {compared} (need {minimum})"


def test_engine_run_is_what_the_screen_is_compared_with(real_store):
    """The reference of the parity tests (execute on prepared lines) is `unwind run` itself,
    and with_parameters gives the frames prepare gives."""
    config = window("hsi_short_yen_vol", "long", real_store)
    ready = engine.prepare(config)
    full = engine.run(config)
    reference = engine.run(config, ready)
    pd.testing.assert_frame_equal(full.trades, reference.trades)
    values = draws("hsi_short_yen_vol", 1)[0]
    changed = dataclasses.replace(config, parameters=tuple(values.items()))
    reused = engine.with_parameters(ready, build_parameters(ready.playbook.Parameters, values))
    for symbol, frame in engine.prepare(changed).frames.items():
        pd.testing.assert_frame_equal(frame, reused.frames[symbol], check_exact=True)


@pytest.mark.parametrize("playbook", ["jgb_shock_short_nq"])
def test_margin_calls_and_caps_match(real_store, playbook):
    """A small account with a loose leverage cap: positions sized to the margin the equity
    carries, and cut at the next open when equity falls below the maintenance margin."""
    # the z-score trigger: the default level rule (40Y above 4%) never fired
    config = window(playbook, "long", real_store, cash_usd=40_000.0, max_leverage=50.0,
                    parameters=(("trigger", "zscore"),))
    ready = engine.prepare(config)
    check_parity(ready, config)
    reasons = engine.run(config, ready).trades["exit_reason"]
    assert (reasons == "margin").any()


def test_a_suspect_open_delays_the_fill_in_both_engines(real_store):
    """spread_unwind_long_yen's USDJPY short of 2020-02-24 (decided at that bar's close, due at
    the 2020-02-25 bar's open, out at the 2020-04-07 bar's open): with both due bars marked
    suspect (`tradable` 0), entry and exit fill one bar later, at the next clean opens, and
    trades.csv says so. The screen and backtrader agree trade for trade."""
    config = for_episode("spread_unwind_long_yen", "mar-2020-dash-for-cash",
                         store=str(real_store.root))
    config = dataclasses.replace(config, start="2020-02-24", end="2020-04-09")
    ready = engine.prepare(config)
    frame = ready.frames["USDJPY"]
    plain = engine.run(config, ready).trades.iloc[0]
    assert (plain["entry_time"], plain["exit_time"], plain["fill_note"]) == (
        "2020-02-24T22:00:00+00:00", "2020-04-06T21:00:00+00:00", "")
    frame.loc[["2020-02-25", "2020-04-07"], "tradable"] = 0.0
    check_parity(ready, config)
    moved = engine.run(config, ready).trades.iloc[0]
    assert moved["entry_time"] == "2020-02-25T22:00:00+00:00"          # the 2020-02-26 bar
    assert moved["exit_time"] == "2020-04-07T21:00:00+00:00"           # the 2020-04-08 bar
    filled = frame.loc["2020-02-26"].squeeze()           # sold at its open, less slippage
    assert moved["entry_price"] == round(filled["open"] - 0.001 * filled["slippage_ticks"], 10)
    assert moved["fill_note"] == ("entry moved from 2020-02-25 (suspect print) to 2020-02-26; "
                                  "exit moved from 2020-04-07 (suspect print) to 2020-04-08")


def test_the_screen_refuses_what_it_cannot_express():
    with pytest.raises(DataError, match="bond_hedge runs on backtrader"):
        screen.exits_of(strategies.get("bond_hedge"))

    class Custom(strategies.get("hsi_short_yen_vol").Strategy):
        def exit_reason(self, data):
            return None

    module = type("Module", (), {"ID": "custom", "Strategy": Custom})
    with pytest.raises(DataError, match="the screen reads only the exits it declares"):
        screen.exits_of(module)
    assert screen.exits_of(strategies.get("gold_haven_turn"))[0] == "stop_below:setup_low"


@pytest.mark.skipif(not os.environ.get("UNWIND_FULL_PARITY"),
                    reason="the full parity run (20 draws, every window): UNWIND_FULL_PARITY=1")
@pytest.mark.parametrize("playbook", SCREENED)
def test_full_parity(real_store, playbook, capsys):
    runs = [parity_over(playbook, where, real_store, FULL_DRAWS)
            for where in EPISODES + ("full",)]
    total = Compared(sum(r.trials for r in runs), sum(r.trades for r in runs),
                     max(r.gap for r in runs), sum((r.absent for r in runs), ()))
    with capsys.disabled():
        print(f"\nparity {playbook}: {total}, max |dP&L| {total.gap:.2e} USD")
