"""The random-entry null: a hand-computed case, uniform non-overlapping placement, seeds, and
real runs whose trades it must value exactly as the engine booked them."""

import itertools
import time

import numpy as np
import pandas as pd
import pytest

import feeds
from feeds import instruments
from strategies.base import CommonParameters, backtrader_params
from strategies.book import Playbook, target_size
from unwind.sim import engine
from unwind.sim.config import RunConfig
from unwind.evidence.null_model import (Contract, PricePath, Trade, draw_entries, p_random,
                               random_book_returns, trade_pnl_usd, trades_from_records)

# Six bars; 10 local units per point; 1 local unit per contract per side; long 2 contracts for
# 2 bars; 1000 USD of starting equity. USD per local unit changes from bar to bar.
HAND = PricePath(open=np.array([100.0, 102, 101, 106, 104, 108]),
                 close=np.array([101.0, 103, 104, 103, 107, 109]),
                 usd_per_local=np.array([1.0, 1.0, 0.5, 0.5, 2.0, 1.0]),
                 window=np.ones(6, dtype=bool))
HAND_CONTRACT = Contract(point_value=10.0, cost_per_contract_side=1.0)
# Every entry bar by hand, per contract, in USD (move: entry bar open->close at its rate, then
# close->close at each bar's rate, then last close -> exit open at the exit bar's rate;
# cost: 1 at the entry bar's rate + 1 at the exit bar's rate):
#   e=0: (1x1 + 2x1 - 2x0.5) x 10 = 20, cost 1 + 0.5 = 1.5   -> 18.5 -> 2 contracts  37 USD
#   e=1: (1x1 + 1x0.5 + 2x0.5) x 10 = 25, cost 1 + 0.5       -> 23.5 ->             47 USD
#   e=2: (3x0.5 - 1x0.5 + 1x2) x 10 = 30, cost 0.5 + 2       -> 27.5 ->             55 USD
#   e=3: (-3x0.5 + 4x2 + 1x1) x 10 = 75, cost 0.5 + 1        -> 73.5 ->            147 USD
#   e=4: exit would be bar 6, past the window: open at the end, marked to the last close with
#        no exit cost: (3x2 + 2x1) x 10 = 80, cost 2         -> 78   ->            156 USD
HAND_RETURNS = np.array([37.0, 47, 55, 147, 156]) / 1000


def test_the_hand_case_values_every_entry_as_worked_out():
    trades = [Trade(entry, 2, +1, 2) for entry in range(5)]
    pnl = trade_pnl_usd(HAND, trades, HAND_CONTRACT)
    np.testing.assert_allclose(pnl / 1000, HAND_RETURNS, rtol=0, atol=1e-12)
    short = trade_pnl_usd(HAND, [Trade(0, 2, -1, 2)], HAND_CONTRACT)
    assert short[0] == pytest.approx(2 * (-20 - 1.5))


def test_the_hand_case_null_is_uniform_over_the_five_entries_and_p_is_exact():
    books = 20_000
    returns = random_book_returns(HAND, [Trade(2, 2, +1, 2)], HAND_CONTRACT, 1000.0, books, seed=7)
    values, counts = np.unique(np.round(returns, 12), return_counts=True)
    np.testing.assert_allclose(values, HAND_RETURNS, atol=1e-12)
    # each entry has probability 1/5; 5 standard deviations of a share of 20 000 is 0.014
    np.testing.assert_allclose(counts / books, 0.2, atol=0.014)
    # the playbook entered on bar 2 (0.055): 3 of the 5 entries do at least as well
    assert p_random(0.055, HAND_RETURNS) == (1 + 3) / (5 + 1)
    at_least = int((np.round(returns, 12) >= 0.055).sum())
    assert p_random(0.055, returns) == (1 + at_least) / (books + 1)
    assert p_random(0.055, returns) == pytest.approx(0.6, abs=0.014)
    assert p_random(0.2, HAND_RETURNS) == 1 / 6           # better than every book
    assert p_random(0.0, HAND_RETURNS) == 1.0              # worse than every book


def _arrangements(window_bars: int, holds: list[int]) -> list[tuple[int, ...]]:
    """Every way to place trades of these lengths without sharing a held bar, by brute force."""
    found = []
    for entries in itertools.product(range(window_bars), repeat=len(holds)):
        held = [set(range(e, e + h)) for e, h in zip(entries, holds)]
        if all(max(s) < window_bars for s in held) and \
                sum(map(len, held)) == len(set().union(*held)):
            found.append(entries)
    return found


@pytest.mark.parametrize("window_bars, holds", [(6, [2, 1]), (4, [1, 1, 1]), (7, [3, 1, 2])])
def test_placements_never_overlap_and_are_equally_likely(window_bars, holds):
    prices = PricePath(np.ones(window_bars), np.ones(window_bars), np.ones(window_bars),
                       np.ones(window_bars, dtype=bool))
    trades = [Trade(0, h, 1, 1) for h in holds]
    expected = _arrangements(window_bars, holds)
    books = 40_000
    entries = draw_entries(prices, trades, books, seed=3)
    drawn = pd.Series(map(tuple, entries)).value_counts()
    assert set(drawn.index) == set(expected)
    share = 1 / len(expected)
    tolerance = 5 * np.sqrt(share * (1 - share) / books)
    np.testing.assert_allclose(drawn.to_numpy() / books, share, atol=tolerance)


def test_only_the_window_is_used_and_it_must_hold_the_trades():
    window = np.array([False, False, True, True, True, True, False, False])
    prices = PricePath(np.ones(8), np.ones(8), np.ones(8), window)
    entries = draw_entries(prices, [Trade(0, 2, 1, 1)], 5_000, seed=1)
    assert set(np.unique(entries)) == {2, 3, 4}
    with pytest.raises(ValueError, match="hold 5 bars; the window has 4"):
        draw_entries(prices, [Trade(0, 3, 1, 1), Trade(0, 2, 1, 1)])
    with pytest.raises(ValueError, match="contiguous"):
        PricePath(np.ones(3), np.ones(3), np.ones(3), np.array([True, False, True]))


def test_overlapping_trade_records_are_refused():
    prices = PricePath(np.ones(6), np.ones(6), np.ones(6), np.ones(6, dtype=bool),
                       fill_times=pd.date_range("2024-01-01", periods=6, freq="D").to_numpy())
    records = pd.DataFrame({"entry_time": ["2024-01-02T00:00:00+00:00",
                                           "2024-01-02T00:00:00+00:00"],
                            "bars_held": [2, 3], "side": ["long", "long"], "contracts": [1, 2]})
    with pytest.raises(ValueError, match="overlap"):
        trades_from_records(records, prices)
    assert trades_from_records(records.iloc[:1], prices) == [Trade(1, 2, 1, 1)]


def test_the_same_seed_gives_the_identical_array_and_another_seed_does_not():
    trades = [Trade(0, 2, +1, 2), Trade(0, 1, -1, 1)]
    first = random_book_returns(HAND, trades, HAND_CONTRACT, 1000.0, seed=11)
    again = random_book_returns(HAND, trades, HAND_CONTRACT, 1000.0, seed=11)
    other = random_book_returns(HAND, trades, HAND_CONTRACT, 1000.0, seed=12)
    assert len(first) == 1000
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)


def test_p_random_refuses_what_it_cannot_judge():
    with pytest.raises(ValueError):
        p_random(0.1, np.array([]))
    with pytest.raises(ValueError):
        p_random(float("nan"), HAND_RETURNS)
    with pytest.raises(ValueError, match="at least one trade"):
        random_book_returns(HAND, [], HAND_CONTRACT, 1000.0)


class _EveryFewBars(Playbook):
    """A fixed schedule that needs no signal, so the check does not move when a playbook's rule
    changes: long on every 7th bar, reversed to short 3 bars later, flat on every 11th bar."""

    params = backtrader_params(CommonParameters)

    def decide(self):
        if not self.trading_allowed():
            return
        bar = len(self.data)
        if bar % 7 == 0:
            target_size(self, self.data, +1)
        elif bar % 7 == 3:
            target_size(self, self.data, -1)
        elif bar % 11 == 0:
            target_size(self, self.data, 0)


# p_random: (1 + the seeded random books at least as good) / 1001, measured on these runs
@pytest.mark.parametrize("playbook, start, end, currency, at_least", [
    ("hsi_short_yen_vol", "2024-01-01", "2024-12-31", "HKD", 371),   # HSI daily, 7.80 per USD
    ("spread_unwind_long_yen", "2020-01-01", "2020-06-30", "JPY", 588),   # USDJPY: rate per bar
    ("gold_asia_dip", "2024-07-08", "2024-08-30", "USD", 405),       # XAUUSD hourly
])
def test_real_trades_are_valued_exactly_as_the_engine_booked_them(real_store, playbook, start,
                                                                   end, currency, at_least):
    config = RunConfig(playbook, start, end, store=str(real_store.root))
    ready = engine.prepare(config)
    result = engine.run(config, ready, _EveryFewBars)
    (symbol, frame), = ready.frames.items()
    instrument = instruments.get(symbol)
    prices = PricePath.from_frame(frame, ready.window_start, ready.window_end,
                                  instrument.tick_value, instrument)
    contract = Contract.of(instrument, config.slippage_ticks)
    booked = result.trades
    assert len(booked) >= 10 and set(booked["currency"]) == {currency}
    assert {"signal", "end_of_window"} <= set(booked["exit_reason"])   # reversals, open at end
    trades = trades_from_records(booked, prices)
    pnl = trade_pnl_usd(prices, trades, contract)
    np.testing.assert_allclose(pnl, booked["pnl_usd"], rtol=1e-9, atol=1e-6)
    assert pnl.sum() / config.cash_usd == pytest.approx(result.metrics["total_return"], abs=1e-9)
    returns = random_book_returns(prices, trades, contract, config.cash_usd, seed=5)
    assert len(returns) == 1000 and np.isfinite(returns).all() and returns.std() > 0
    total = result.metrics["total_return"]
    assert int((returns >= total).sum()) == at_least
    assert p_random(total, returns) == pytest.approx((1 + at_least) / 1001, abs=1e-12)
    assert np.array_equal(returns, random_book_returns(prices, trades, contract,
                                                       config.cash_usd, seed=5))


def test_a_thousand_books_over_ten_years_of_hourly_gold_take_well_under_a_second(real_store):
    bars = feeds.load("XAUUSD", "2016-01-01", "2025-12-31", "1h", real_store,
                      check_quality=False)
    assert len(bars) > 50_000
    prices = PricePath(bars["open"].to_numpy(), bars["close"].to_numpy(), np.ones(len(bars)),
                       np.ones(len(bars), dtype=bool))
    trades = [Trade(0, 24, 1 if i % 2 else -1, 3) for i in range(200)]
    contract = Contract.of(instruments.get("XAUUSD"))
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        returns = random_book_returns(prices, trades, contract, 1_000_000.0)
        timings.append(time.perf_counter() - started)
    assert len(returns) == 1000
    assert min(timings) < 0.5   # measured about 0.02 s on the 2-core machine
