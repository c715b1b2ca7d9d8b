"""The random-entry null: would random entries with the playbook's exposure have done as well?

For one traded instrument and one window, `random_book_returns` draws N books (default 1000).
Each book has the playbook's trades (the same number, holding periods, sides and contracts) at
random entry bars inside the window, and is valued exactly as the engine books a trade (see
`trade_pnl_usd`). `p_random` is the share of those books whose total return is at least the
playbook's. Everything is numpy over all books at once: no backtrader run per book.

Definitions
- A trade enters at the open of its entry bar e and holds `bars_held` = h bars: it is marked at
  the closes of bars e..e+h-1 and exits at the open of bar e+h (trades.csv `bars_held`). Moves
  are converted at each bar's `usd_per_local` (the entry bar's open-to-close move at the entry
  bar's rate, each following close-to-close move at its bar's rate, the exit gap from the last
  close to the exit open at the exit bar's rate); each side costs `cost_per_contract_side` (fee +
  slippage ticks x tick value, local currency) per contract at its fill bar's rate, or, when the
  engine's frame carries its execution lines (`fee_local`, `slippage_ticks`), that bar's cost.
  Carrying costs, when the frame has them (`financing_long`/`financing_short` in USD, `roll_cost`
  in local currency, per contract), are charged as the broker charges them: for each bar the
  position is held into, e+1..e+h (the exit bar too: they are charged before its fill).
- Spot in a currency other than USD (USDJPY; strategies/booking.py `revalued`) is booked as its
  broker books it: the trade's local P&L between its dealt prices (slippage included) is
  converted at the exit's rate (USDJPY: 1 / the dealt exit price; open at the end: the last
  bar's rate), each side's fee at its fill bar's rate.
- A trade whose exit would fall after the window's last bar (e + h = last + 1) is open at the
  end, as in the engine: marked to the last close, no exit cost.
- Non-overlap: a book's trades never share a held bar (one may enter on the bar another exits,
  like the engine's reversal). The engine holds one position per instrument and a playbook's
  trades on one instrument never overlap; letting random trades overlap would stack positions
  the playbook never had (more contracts at once) and widen the null for a reason that has
  nothing to do with timing.
- Placement: every non-overlapping arrangement of the trades inside the window is equally
  likely. A book is a random order of the trades plus a random split of the free bars into
  gaps: with L window bars and H bars held in all there are F = L - H free bars; choosing which
  K of the F + K places (K trades) are trades, uniformly, and a uniform order of the trades
  gives every arrangement the same probability.
- Total return of a book = the sum of its trades' net USD P&L / the starting equity (futures
  P&L is cash, not compounded), as the engine's `total_return` is for trades inside the window.

For a playbook trading several instruments, draw each instrument's books with its own seed and
add the return arrays (P&L over one starting equity adds up); note that this makes the legs
independent, which a hedged playbook's are not. A position resized while held (bond_hedge's
rebalance) books several overlapping trades.csv rows; `trades_from_records` refuses those.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from strategies import booking
from unwind.compat import times_of

DEFAULT_BOOKS = 1000
# Random books within this much total return of the playbook count as ties ("at least as good"):
# the engine rounds total_return to 12 significant digits, and sums are not associative.
TIE_TOLERANCE = 1e-9
# Rows of `population` random keys drawn at once when sampling densely (memory bound, ~32 MB).
_DENSE_CHUNK = 4_000_000


@dataclass(frozen=True)
class PricePath:
    """One traded instrument's bars as the engine marks them (arrays of equal length).

    `window` is True on the bars a random book may fill on or hold through: one contiguous run.
    Optional, per bar: `side_cost_local` (local currency per contract per side of a fill at the
    bar's open; replaces `Contract.cost_per_contract_side`), `carry_long_usd` and
    `carry_short_usd` (USD credited per contract, negative = paid, for a position held into the
    bar), and `fill_times` (UTC datetime64[ns] instants of the open fills, to map trades.csv rows
    onto bars).
    """

    open: np.ndarray
    close: np.ndarray
    usd_per_local: np.ndarray
    window: np.ndarray
    fill_times: np.ndarray | None = None
    side_cost_local: np.ndarray | None = None
    carry_long_usd: np.ndarray | None = None
    carry_short_usd: np.ndarray | None = None
    # spot booked at the exit's rate (module docstring): the price a fill moves by per side,
    # the fee per contract per side (local), and whether the pair is its own rate (USDJPY)
    revalued_slippage: np.ndarray | None = None
    revalued_fee_local: np.ndarray | None = None
    own_rate: bool = False

    def __post_init__(self):
        length = len(self.open)
        for name in ("close", "usd_per_local", "window", "fill_times", "side_cost_local",
                     "carry_long_usd", "carry_short_usd"):
            if getattr(self, name) is not None and len(getattr(self, name)) != length:
                raise ValueError(f"PricePath.{name} has {len(getattr(self, name))} bars, "
                                 f"open has {length}")
        inside = np.flatnonzero(np.asarray(self.window, dtype=bool))
        if not len(inside):
            raise ValueError("PricePath.window selects no bar")
        if inside[-1] - inside[0] + 1 != len(inside):
            raise ValueError("PricePath.window must be one contiguous run of bars")
        for name in ("open", "close", "usd_per_local"):
            if not np.isfinite(np.asarray(getattr(self, name))[inside]).all():
                raise ValueError(f"PricePath.{name} is not finite inside the window")

    @property
    def first(self) -> int:
        return int(np.argmax(self.window))

    @property
    def last(self) -> int:
        return int(len(self.window) - 1 - np.argmax(np.asarray(self.window)[::-1]))

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, window_start, window_end,
                   tick_value: float | None = None, instrument=None) -> "PricePath":
        """From an engine frame (`Prepared.frames[symbol]`) and the run's window, with the
        frame's execution lines when it has them (`tick_value`, local currency per tick, turns
        its `slippage_ticks` into money); `instrument` (the registry's) books spot in another
        currency at the exit's rate.

        `window_end` is exclusive (the engine's `Prepared.window_end`). The window's first bar
        is left out: the engine decides on it at the earliest and fills on the next bar's open.
        """
        times = frame.index
        window = np.asarray((times >= pd.Timestamp(window_start)) &
                            (times < pd.Timestamp(window_end)))
        window[np.argmax(window)] = False
        fill_times = times_of(frame["open_time"].to_numpy())
        rate = frame["usd_per_local"].to_numpy("float64")
        side_cost = carry_long = carry_short = None
        if "fee_local" in frame and "slippage_ticks" in frame:
            if tick_value is None:
                raise ValueError("the frame has execution lines: pass the instrument's "
                                 "tick_value")
            side_cost = (frame["fee_local"] + frame["slippage_ticks"] * tick_value).to_numpy()
        if "financing_long" in frame:
            roll_usd = (frame["roll_cost"].to_numpy() * rate) if "roll_cost" in frame else 0.0
            carry_long = frame["financing_long"].to_numpy() - roll_usd
            carry_short = frame["financing_short"].to_numpy() - roll_usd
        slippage = fee = None
        own_rate = False
        if instrument is not None and booking.revalued(instrument) and side_cost is not None:
            slippage = frame["slippage_ticks"].to_numpy("float64") * instrument.tick_size
            fee = frame["fee_local"].to_numpy("float64")
            own_rate = booking.is_own_rate(instrument)
        return cls(frame["open"].to_numpy("float64"), frame["close"].to_numpy("float64"), rate,
                   window, fill_times.tz_localize(None).to_numpy(), side_cost, carry_long,
                   carry_short, slippage, fee, own_rate)


@dataclass(frozen=True)
class Contract:
    """What one contract is worth and costs, in its own (local) currency."""

    point_value: float              # local currency per price point per contract (multiplier)
    cost_per_contract_side: float   # local currency: fee + slippage_ticks x tick value

    @classmethod
    def of(cls, instrument, slippage_ticks: float | None = None,
           fee_per_contract: float | None = None) -> "Contract":
        """From a registry instrument and the run's slippage (None: the instrument's own, else
        1 tick) and fee override."""
        if slippage_ticks is None:
            slippage_ticks = getattr(instrument, "slippage_ticks", 1.0)
        fee = instrument.fee_per_contract if fee_per_contract is None else fee_per_contract
        return cls(instrument.multiplier, fee + slippage_ticks * instrument.tick_value)


@dataclass(frozen=True)
class Trade:
    """One round trip: entered at the open of bar `entry_bar` (index into the PricePath)."""

    entry_bar: int
    bars_held: int      # >= 1; trades.csv bars_held
    side: int           # +1 long, -1 short
    contracts: int

    def __post_init__(self):
        if self.bars_held < 1 or self.side not in (1, -1) or self.contracts < 1:
            raise ValueError(f"bad trade {self}: bars_held >= 1, side +1 or -1, contracts >= 1")


def trades_from_records(records: pd.DataFrame, prices: PricePath) -> list[Trade]:
    """trades.csv rows of one symbol (the engine's `RunResult.trades`, filtered to the symbol of
    `prices`) as Trades on `prices`' bars."""
    if prices.fill_times is None:
        raise ValueError("prices has no fill_times; build it with PricePath.from_frame")
    times = pd.to_datetime(records["entry_time"], utc=True).dt.round("s")
    wanted = times.dt.tz_localize(None).to_numpy().astype("datetime64[ns]")
    bars = np.searchsorted(prices.fill_times, wanted)
    found = (bars < len(prices.fill_times)) & \
        (prices.fill_times[np.minimum(bars, len(prices.fill_times) - 1)] == wanted)
    if not found.all():
        missing = records["entry_time"].to_numpy()[~found][0]
        raise ValueError(f"entry_time {missing} is not a bar's open of this PricePath")
    held = records["bars_held"].to_numpy()
    order = np.argsort(bars, kind="stable")
    if (bars[order][1:] < (bars + held)[order][:-1]).any():
        raise ValueError("these trades overlap (a position resized or split into several "
                         "records): the random-entry null needs one trade per held period")
    sides = np.where(records["side"].to_numpy() == "long", 1, -1)
    return [Trade(int(bar), int(bars_held), int(side), int(contracts)) for bar, bars_held, side,
            contracts in zip(bars, held, sides, records["contracts"])]


def _values(prices: PricePath, contract: Contract) -> dict:
    """The per-bar pieces `_pnl_usd` adds up, as the engine books this instrument."""
    if prices.revalued_slippage is not None:
        return _revalued_values(prices, contract)
    return _bar_values(prices, contract)


def _bar_values(prices: PricePath, contract: Contract) -> dict[str, np.ndarray]:
    """Per-bar USD pieces per contract: the entry bar's move, the cumulative close-to-close
    move, the exit gap, a side's cost, and the cumulative carry of a long and of a short."""
    open_, close = np.asarray(prices.open, float), np.asarray(prices.close, float)
    rate = np.asarray(prices.usd_per_local, float)
    step = np.zeros_like(close)
    step[1:] = (close[1:] - close[:-1]) * rate[1:] * contract.point_value
    exit_gap = np.zeros_like(close)
    exit_gap[1:] = (open_[1:] - close[:-1]) * rate[1:] * contract.point_value
    side_cost = contract.cost_per_contract_side if prices.side_cost_local is None \
        else np.asarray(prices.side_cost_local, float)
    zeros = np.zeros_like(close)
    return {"entry_move": (close - open_) * rate * contract.point_value,
            "cumulative": np.cumsum(step), "exit_gap": exit_gap, "side_cost": side_cost * rate,
            "carry_long": np.cumsum(zeros if prices.carry_long_usd is None
                                    else np.asarray(prices.carry_long_usd, float)),
            "carry_short": np.cumsum(zeros if prices.carry_short_usd is None
                                     else np.asarray(prices.carry_short_usd, float))}


def _revalued_values(prices: PricePath, contract: Contract) -> dict[str, np.ndarray]:
    """Per-bar pieces of spot booked at the exit's rate: prices, slippage, a side's fee in USD,
    the rates, and the cumulative carry of a long and of a short."""
    rate = np.asarray(prices.usd_per_local, float)
    zeros = np.zeros(len(rate))
    return {"revalued": True, "own_rate": prices.own_rate, "point_value": contract.point_value,
            "open": np.asarray(prices.open, float), "close": np.asarray(prices.close, float),
            "slippage": np.asarray(prices.revalued_slippage, float), "rate": rate,
            "fee_usd": np.asarray(prices.revalued_fee_local, float) * rate,
            "carry_long": np.cumsum(zeros if prices.carry_long_usd is None
                                    else np.asarray(prices.carry_long_usd, float)),
            "carry_short": np.cumsum(zeros if prices.carry_short_usd is None
                                     else np.asarray(prices.carry_short_usd, float))}


def _revalued_pnl_usd(pieces: dict, last: int, entries: np.ndarray, exits: np.ndarray,
                      closed: np.ndarray, sides: np.ndarray) -> np.ndarray:
    """Per contract: the local P&L between the dealt prices at the exit's rate, less fees."""
    exit_bar = np.where(closed, exits, last)
    entry_dealt = pieces["open"][entries] + sides * pieces["slippage"][entries]
    exit_dealt = np.where(closed, pieces["open"][exit_bar] - sides * pieces["slippage"][exit_bar],
                          pieces["close"][last])
    rate = np.where(closed, 1.0 / exit_dealt if pieces["own_rate"] else pieces["rate"][exit_bar],
                    pieces["rate"][last])
    local = sides * (exit_dealt - entry_dealt) * pieces["point_value"]
    fees = pieces["fee_usd"][entries] + np.where(closed, pieces["fee_usd"][exit_bar], 0.0)
    return local * rate - fees


def _pnl_usd(pieces: dict[str, np.ndarray], last: int, entries: np.ndarray, holds: np.ndarray,
             sides: np.ndarray, contracts: np.ndarray) -> np.ndarray:
    """Net USD P&L of trades given as equal-shaped arrays (any shape)."""
    exits = entries + holds
    closed = exits <= last
    exit_bar = np.where(closed, exits, last)
    carry = np.where(sides > 0,
                     pieces["carry_long"][exit_bar] - pieces["carry_long"][entries],
                     pieces["carry_short"][exit_bar] - pieces["carry_short"][entries])
    if pieces.get("revalued"):
        return contracts * (_revalued_pnl_usd(pieces, last, entries, exits, closed, sides)
                            + carry)
    marked_to = np.where(closed, exits - 1, last)
    cumulative = pieces["cumulative"]
    move = pieces["entry_move"][entries] + cumulative[marked_to] - cumulative[entries] + \
        np.where(closed, pieces["exit_gap"][exit_bar], 0.0)
    cost = pieces["side_cost"][entries] + np.where(closed, pieces["side_cost"][exit_bar], 0.0)
    return contracts * (sides * move - cost + carry)


def trade_pnl_usd(prices: PricePath, trades: list[Trade], contract: Contract) -> np.ndarray:
    """Each trade's net P&L in USD where it actually was, valued as the engine books it (equal
    to trades.csv `pnl_usd`); a trade reaching past the window's last bar is open at the end."""
    if not trades:
        return np.zeros(0)
    entries, holds, sides, contracts = (np.array([getattr(t, name) for t in trades])
                                        for name in ("entry_bar", "bars_held", "side",
                                                     "contracts"))
    last = prices.last
    if (entries < prices.first).any() or (entries + holds > last + 1).any():
        raise ValueError("a trade lies outside the PricePath window")
    return _pnl_usd(_values(prices, contract), last, entries, holds, sides, contracts)


def _sorted_subsets(rng: np.random.Generator, population: int, size: int,
                    books: int) -> np.ndarray:
    """`books` rows, each `size` distinct integers of range(population) in increasing order,
    every subset equally likely."""
    if size == 0:
        return np.zeros((books, 0), dtype=np.int64)
    if size * size <= population:
        # sparse: draw with replacement, redraw the rows that repeat a value (independent
        # uniform draws conditioned on being distinct are uniform over subsets)
        rows = np.sort(rng.integers(0, population, (books, size)), axis=1)
        repeated = np.flatnonzero((np.diff(rows, axis=1) == 0).any(axis=1))
        while len(repeated):
            redraw = np.sort(rng.integers(0, population, (len(repeated), size)), axis=1)
            rows[repeated] = redraw
            repeated = repeated[(np.diff(redraw, axis=1) == 0).any(axis=1)]
        return rows
    # dense: the positions of the `size` smallest of `population` uniform keys
    chunk = max(1, _DENSE_CHUNK // population)
    parts = []
    for start in range(0, books, chunk):
        keys = rng.random((min(chunk, books - start), population))
        parts.append(np.sort(np.argpartition(keys, size - 1, axis=1)[:, :size], axis=1))
    return np.vstack(parts)


def draw_entries(prices: PricePath, trades: list[Trade], books: int = DEFAULT_BOOKS,
                 seed: int = 0) -> np.ndarray:
    """Entry bars of `books` random books: shape (books, len(trades)), column i for trades[i];
    in each row no two trades share a held bar and all lie inside the window."""
    holds = np.array([t.bars_held for t in trades], dtype=np.int64)
    window_bars = prices.last - prices.first + 1
    free = window_bars - int(holds.sum())
    if free < 0:
        raise ValueError(f"the trades hold {int(holds.sum())} bars; the window has "
                         f"{window_bars}")
    rng = np.random.default_rng(seed)
    count = len(trades)
    places = _sorted_subsets(rng, free + count, count, books)
    order = rng.permuted(np.tile(np.arange(count), (books, 1)), axis=1)
    held_before = np.cumsum(holds[order], axis=1) - holds[order]
    starts = prices.first + places - np.arange(count) + held_before
    entries = np.empty_like(starts)
    np.put_along_axis(entries, order, starts, axis=1)
    return entries


def random_book_returns(prices: PricePath, trades: list[Trade], contract: Contract,
                        starting_equity_usd: float, books: int = DEFAULT_BOOKS,
                        seed: int = 0) -> np.ndarray:
    """Total return (fraction of `starting_equity_usd`) of each of `books` random books with the
    playbook's trades at random non-overlapping entry bars of the window; seeded, so the same
    arguments give the identical array."""
    if not trades:
        raise ValueError("no trades: a null of random entries needs at least one trade")
    if not starting_equity_usd > 0 or books < 1:
        raise ValueError("starting_equity_usd must be > 0 and books >= 1")
    entries = draw_entries(prices, trades, books, seed)
    shape = entries.shape
    holds, sides, contracts = (np.broadcast_to(np.array([getattr(t, name) for t in trades]),
                                               shape)
                               for name in ("bars_held", "side", "contracts"))
    pnl = _pnl_usd(_values(prices, contract), prices.last, entries, holds, sides, contracts)
    return pnl.sum(axis=1) / starting_equity_usd


def p_random(playbook_total_return: float, random_returns: np.ndarray) -> float:
    """Share of random books at least as good as the playbook, with the +1 correction:

        p = (1 + #{books with return >= playbook's}) / (N + 1)

    Under the null the playbook's own book is one more draw from the same distribution, so
    counting it makes p a valid p-value (P(p <= a) <= a for every a) and never 0: a finite null
    cannot show a probability below 1/(N + 1). With N = 1000 the correction moves p by at most
    0.001. Ties within TIE_TOLERANCE count as at least as good (conservative).
    """
    returns = np.asarray(random_returns, dtype=float)
    if returns.ndim != 1 or not len(returns) or not np.isfinite(returns).all():
        raise ValueError("random_returns must be a non-empty 1-d array of finite returns")
    if not math.isfinite(playbook_total_return):
        raise ValueError("playbook_total_return must be finite")
    at_least = int((returns >= playbook_total_return - TIE_TOLERANCE).sum())
    return (1 + at_least) / (len(returns) + 1)
