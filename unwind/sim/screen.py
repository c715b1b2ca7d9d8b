"""The screen: one generic position kernel that executes a playbook's prepared lines, for sweeps.

A LineRule playbook (strategies/base.py) decides from lines its `prepare()` computed once: enter
on the `entry` line, leave on a stop, a target, the `exit` line or a holding limit. The engine's
`prepare()` puts those lines beside the prices and the execution lines (fees, slippage ticks,
roll offsets and costs, financing, margin, the USD rate of each bar) in one frame per traded
instrument. The screen reads that same frame and replays, bar by bar in numba, what backtrader,
the broker (unwind/sim/accounting.py) and the Playbook bookkeeping do with it:

- at each bar's start the broker charges the carrying costs of the position held into it
  (financing, roll costs), then fills the order decided at the previous close at this bar's
  open: the fee plus the bar's slippage ticks per contract, converted at the bar's rate; at the
  close the position is marked to market at the bar's rate (futures cash). A spot position in
  another currency (strategies/booking.py `revalued`: USDJPY) is booked as its broker books it:
  its open P&L in the quote currency valued at the current rate, realised at the exit's, its
  slippage converted at the fill's rate (accounting.ContractCommission's books, op for op);
- an order due at a bar whose open is a suspect print (the frame's `tradable` column is 0)
  waits for the next clean open, and the playbook decides nothing while it waits;
- at the close, with a position: equity below the maintenance margin closes it at the next
  open (`margin`), else the playbook's exits are read in the order its Strategy reads them;
  without one: the `entry` line (inside the window, through the regime filter) sizes an order
  in whole contracts from the risk budget, the leverage cap and the margin the equity carries
  (unwind/sim/accounting.py contracts_for, the same arithmetic in the same order);
- a position still open at the end is marked to the last close (`end_of_window`).

Equity (the broker's cash: futures carry no value beyond their marks) is the same float for float
as backtrader's; trade records (fill prices rounded to the tick as Playbook._record_fill rounds
them, marks, fees, carry) are rebuilt from the kernel's path. tests/unwind/test_screen.py holds
the two engines to the same trades and P&L within 1e-6 USD for every playbook the screen runs.

Exits. A LineRule's Strategy declares the exits it reads, in its order, as EXITS
(strategies/exits.py: the profit target and the stop as fractions of the entry decision's
close, `stop_below:LINE` / `target_at:LINE` against LINE's value captured at the entry
decision, the `exit` line, the holding limit in bars or in calendar days); the screen reads that
same tuple, and each exit's parameter by its declared name (a declared exit without its
parameter is an error, an undeclared one is not read). A Strategy that overrides the hooks
reads what the screen cannot see and is run on backtrader, as is a playbook whose rule needs
per-bar state the kernel does not hold (BACKTRADER_ONLY says why).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from feeds.errors import DataError
from strategies import exits as exits_module
from unwind.evidence import metrics
from unwind.sim import screen_kernel
from unwind.sim.screen_kernel import REASONS, CONTRACTS, ENTRY_DUE, ENTRY_FILL, EXIT_DUE, EXIT_FILL, FEES_LOCAL, FEES_USD, FIN_LOCAL, FIN_USD, REASON, ROLLS, ROLL_LOCAL, ROLL_USD
from strategies.booking import dealt_price

# The kernel's rule codes: strategies/exits.py's RULES, in their order.
EXIT_RULES = tuple(exits_module.RULES)
# The hooks a LineRule subclass may not override to run on the screen.
_HOOKS = ("decide", "exit_reason", "holding_limit_reached")
_NEVER = ("next", "notify_order", "stop", "_record_fill", "_close_trade", "_margin_call")
BACKTRADER_ONLY = {
    "bond_hedge": "two legs on two calendars (NQ or HSI with ZN), both resized every "
                  "rebalance_days equity sessions and the hedge sized from the contracts the "
                  "equity leg holds and a rolling beta: position state the one-instrument kernel "
                  "does not hold; its sweeps run on backtrader",
}
def exits_of(playbook) -> tuple[str, ...]:
    """The exits the screen reads for `playbook` (a strategies module), or DataError naming why
    its rule cannot run on the screen."""
    from strategies.base import LineRule

    playbook_id = playbook.ID
    if playbook_id in BACKTRADER_ONLY:
        raise DataError(f"{playbook_id} runs on backtrader (--engine backtrader): "
                        f"{BACKTRADER_ONLY[playbook_id]}")
    strategy = playbook.Strategy
    if not issubclass(strategy, LineRule):
        raise DataError(f"{playbook_id}: its Strategy is not a LineRule; run it with "
                        "--engine backtrader")
    overridden = {name for name in _HOOKS + _NEVER
                  if getattr(strategy, name) is not getattr(LineRule, name)}
    if overridden & set(_NEVER):
        raise DataError(f"{playbook_id}: its Strategy overrides {', '.join(sorted(overridden))}"
                        "; run it with --engine backtrader")
    if overridden:
        raise DataError(f"{playbook_id}: its Strategy overrides {', '.join(sorted(overridden))}"
                        ": the screen reads only the exits it declares (EXITS); run it with "
                        "--engine backtrader")
    return exits_module.checked(tuple(strategy.EXITS), playbook_id)


def supported(playbook_id: str) -> tuple[bool, str]:
    """Whether the screen runs `playbook_id`, and why not when it does not."""
    import strategies

    try:
        exits_of(strategies.get(playbook_id))
    except DataError as error:
        return False, str(error)
    return True, ""


def _array(column: pd.Series) -> np.ndarray:
    """A frame column as the kernel takes it: a writable, contiguous float64 copy (pandas hands
    out read-only views, which numba types, caches and compiles separately)."""
    return np.array(column.to_numpy("float64"), dtype=np.float64, order="C")


@dataclass(frozen=True)
class Market:
    """What the kernel reads of one prepared run that no playbook parameter changes: the
    traded series' prices and execution lines as numpy arrays, the contract, the window."""

    symbol: str
    index: pd.DatetimeIndex
    columns: dict
    multiplier: float
    tick_size: float
    tick_value: float
    maintenance_ratio: float
    currency: str
    tradable: np.ndarray     # bar inside the window (backtrader's trade_from test)
    clean: np.ndarray        # bar whose open is a fill price (the frame's `tradable` column)
    revalued: bool           # spot booked at the current rate (booking.revalued)
    self_quoted: bool        # the pair is its own USD rate (booking.conversion_rate)
    inside: np.ndarray       # bar inside the metrics window
    window_index: pd.DatetimeIndex   # index[inside]
    regime: np.ndarray
    # positions (within the window) of its first bar and of each UTC day's last bar: every
    # metric of the registry reads only these (see `metric_equity`); each day's last bar and
    # the days (RunData.daily_returns groups by them)
    day_ends: np.ndarray
    day_last: np.ndarray
    days: pd.DatetimeIndex
    # fill instants by bar as trades.csv writes them, made as trials ask for them (a sweep's
    # trials fill on the same bars again and again)
    fill_times: dict = field(default_factory=dict, repr=False)

    @functools.cached_property
    def floats(self) -> tuple[list, list, list]:
        """Open, slippage ticks and roll offset of each bar as Python floats: what backtrader's
        bookkeeping computes fill prices with."""
        columns = self.columns
        return (columns["open"].tolist(), columns["slippage_ticks"].tolist(),
                columns["roll_offset"].tolist())

    @functools.cached_property
    def fill_rates(self) -> tuple[np.ndarray, np.ndarray]:
        """USD per local unit at a buy's and at a sell's fill at each bar's open, as
        ContractCommission.fill_rate gives them (the bar's rate but for a self-quoted pair)."""
        usd = self.columns["usd_per_local"]
        if not self.self_quoted:
            return usd, usd
        opens, ticks, _ = self.floats
        return tuple(np.array([1.0 / dealt_price(price, side, tick, self.tick_size)
                               for price, tick in zip(opens, ticks)], dtype=np.float64)
                     for side in (1, -1))

    def adjusted(self, bars: list[int], sizes: list[int]) -> np.ndarray:
        """The adjusted fill price (the traded series') of an order of each signed size filled
        at each bar's open (_adjusted_price)."""
        opens, ticks, _ = self.floats
        tick_size = self.tick_size
        return np.array([_adjusted_price(opens[bar], size, ticks[bar], tick_size)
                         for bar, size in zip(bars, sizes)], dtype=np.float64)

    @functools.cached_property
    def labels(self) -> np.ndarray:
        """Each bar's label as a backtrader date number (the feed's datetime line)."""
        from unwind.compat import date_numbers

        return date_numbers(self.index)

    def fill_time(self, bar: int) -> str:
        """The open instant of `bar` as Playbook._record_fill writes it (from_number)."""
        text = self.fill_times.get(bar)
        if text is None:
            from strategies.book import from_number

            text = self.fill_times[bar] = from_number(self.columns["open_time"][bar])
        return text

    @classmethod
    def of(cls, ready) -> "Market":
        import backtrader as bt

        from feeds import instruments
        from strategies.booking import is_own_rate, revalued
        from unwind.compat import date_numbers

        frames = ready.engine_frames or ready.frames
        if len(frames) != 1:
            raise DataError(f"{ready.playbook.ID}: the screen runs one traded instrument")
        (symbol, frame), = frames.items()
        instrument = instruments.get(symbol)
        names = ("open", "high", "low", "close", "roll_offset", "usd_per_local", "volatility",
                 "margin", "fee_local", "slippage_ticks", "financing_long", "financing_short",
                 "roll_cost", "rolls", "open_time", "close_time")
        columns = {name: _array(frame[name]) for name in names}
        trade_from = bt.date2num(ready.window_start.to_pydatetime().replace(tzinfo=None))
        index = frame.index.rename(None)   # as the engine's equity (unnamed)
        inside = np.asarray((index >= ready.window_start) & (index < ready.window_end))
        normalized = index[inside].normalize()
        days = normalized.asi8
        last_of_day = np.flatnonzero(np.r_[days[1:] != days[:-1], True]) if len(days) else \
            np.zeros(0, dtype=np.int64)
        marked = next((f for f in (ready.frames.get(symbol), frame)
                       if f is not None and "tradable" in f), None)
        clean = marked["tradable"].to_numpy("float64") != 0.0 if marked is not None else \
            np.ones(len(frame), dtype=np.bool_)
        return cls(symbol, index, columns, float(instrument.multiplier),
                   float(instrument.tick_size), float(instrument.tick_value),
                   float(instrument.maintenance_ratio), instrument.currency,
                   date_numbers(index) >= trade_from, np.ascontiguousarray(clean),
                   revalued(instrument), is_own_rate(instrument),
                   inside, index[inside],
                   frame["regime"].to_numpy("float64"),
                   np.unique(np.r_[0, last_of_day]) if len(days) else last_of_day,
                   last_of_day, normalized[last_of_day])


@dataclass
class ScreenResult:
    """A screened run: what the metric registry reads, and the trades as trades.csv rows."""

    equity: pd.Series          # USD at each bar's close inside the window
    trades: pd.DataFrame       # metrics.TRADE_COLUMNS
    exposure: float
    metrics: dict
    daily_returns: pd.Series | None = None   # as the registry reads them (None: not computed)


def _rules(exits: tuple[str, ...]) -> tuple[np.ndarray, str | None, str | None]:
    codes, stop_line, target_line = [], None, None
    for rule in exits:
        name, _, line = rule.partition(":")
        codes.append(EXIT_RULES.index(name))
        if name == "stop_below":
            stop_line = line
        elif name == "target_at":
            target_line = line
    return np.asarray(codes, dtype=np.int64), stop_line, target_line


def run(ready, config, market: Market | None = None, exits: tuple[str, ...] | None = None,
        compute_metrics: bool = True, records: bool = True) -> ScreenResult:
    """Screen the prepared run `ready` (engine.prepare or engine.with_parameters) of
    `config`; `market` and `exits` may be passed in when a sweep has built them once. Without
    `records` the trades carry only the columns the metric registry reads (a sweep's trial
    keeps its metrics, not its trades)."""
    from strategies.book import REGIMES

    playbook, parameters = ready.playbook, ready.parameters
    exits = exits or exits_of(playbook)
    market = market or Market.of(ready)
    frame = ready.frames[market.symbol]
    rules, stop_line, target_line = _rules(exits)
    # only the declared exits' parameters, by name (the kernel reads no other)
    limits = exits_module.levels(parameters, exits, playbook.ID)
    nan = np.full(len(frame), np.nan)
    entry = frame["entry"].to_numpy("float64") > 0
    can_enter = entry & market.tradable
    if parameters.regime_filter:
        can_enter &= market.regime == REGIMES.index(parameters.regime_filter)
    columns = market.columns
    side = int(playbook.Strategy.SIDE)
    equity, held, path = screen_kernel.position_path(
        columns["open"], columns["close"], columns["roll_offset"], columns["usd_per_local"],
        columns["volatility"], columns["margin"], columns["fee_local"],
        columns["slippage_ticks"], columns["financing_long"], columns["financing_short"],
        columns["roll_cost"], columns["rolls"], columns["close_time"], can_enter,
        _array(frame["exit"]) if "exit_line" in exits else nan,
        _array(frame[stop_line]) if stop_line else nan,
        _array(frame[target_line]) if target_line else nan,
        rules, side, market.multiplier, market.tick_value, market.maintenance_ratio,
        float(config.cash_usd), float(parameters.risk_budget_usd), float(config.max_leverage),
        limits.get("stop_loss", 0.0), limits.get("take_profit", 0.0),
        limits.get("hold_days", 0.0), market.clean, market.revalued,
        *market.fill_rates)
    trades = _trade_records(market, path, side,
                            None if records else metrics.trade_columns_read(config.first_trigger))
    inside = market.inside
    if not inside.any():
        raise DataError(f"no bars of {config.playbook}'s instruments in "
                        f"{config.start}..{config.end}")
    window = pd.Series(equity[inside], index=market.window_index, name="equity_usd")
    exposure = float(held[inside].mean())
    values, daily = {}, None
    if compute_metrics:
        run_data = _OnceDaily(metric_equity(window, market.day_ends), trades, exposure,
                              config.first_trigger,
                              pd.Series(window.to_numpy()[market.day_last], index=market.days))
        values, daily = metrics.compute(run_data), run_data.daily_returns
    return ScreenResult(window, trades, exposure, values, daily)


@dataclass(frozen=True)
class _OnceDaily(metrics.RunData):
    """The registry's RunData with its daily returns taken from each UTC day's last equity
    value picked by position (what RunData's group-by picks), without the group-by."""

    daily_equity: pd.Series | None = None

    @functools.cached_property
    def daily_returns(self) -> pd.Series:
        """pct_change().dropna() in numpy: the same division and subtraction, element by
        element (equity is never zero or missing)."""
        values = self.daily_equity.to_numpy()
        return pd.Series(values[1:] / values[:-1] - 1, index=self.daily_equity.index[1:],
                         name=self.daily_equity.name)


def metric_equity(window: pd.Series, day_ends: np.ndarray) -> pd.Series:
    """The window's equity cut to its first bar and each UTC day's last bar. The registry reads
    the first and last values, the daily returns of each day's last value and whether the curve
    is flat: all the same on the cut curve (unless it is flat where the full one is not, when
    the full one is returned), at a fraction of the cost of grouping every hourly bar."""
    values = window.to_numpy()
    cut = window.iloc[day_ends]
    kept = values[day_ends]
    if (kept == kept[0]).all() and not (values == values[0]).all():
        return window
    return cut


def _adjusted_price(open_price: float, size: int, ticks: float, tick_size: float) -> float:
    """The fill price exactly as backtrader books it: the order's average price, the slippage
    ticks, the tick grid's rounding, in Python floats as they are there (Python's round, not
    numpy's). Playbook._record_fill prints it plus the bar's roll offset, rounded alike."""
    executed = (0 * 0.0 + size * open_price) / size
    return dealt_price(executed, 1 if size > 0 else -1, ticks, tick_size)


def _trade_records(market: Market, path: np.ndarray, side: int,
                   read: tuple[str, ...] | None = None) -> pd.DataFrame:
    """trades.csv rows from the kernel's path, with Playbook._close_trade's arithmetic in its
    order (elementwise, so column by column gives the same floats as row by row); with `read`,
    only those columns (metrics.trade_columns_read: what the registry reads)."""
    from strategies.book import from_number

    if not len(path):
        return pd.DataFrame([], columns=list(read or metrics.TRADE_COLUMNS))
    columns = market.columns
    last = len(market.index) - 1
    entries = path[:, ENTRY_FILL].astype(np.int64)
    ends = path[:, EXIT_FILL].astype(np.int64)
    closed = ends >= 0
    contracts = path[:, CONTRACTS].astype(np.int64)
    bars, exits, sizes = entries.tolist(), ends.tolist(), (side * contracts).tolist()
    entry_adjusted = market.adjusted(bars, sizes)
    exit_adjusted = market.adjusted([max(x, 0) for x in exits], [-size for size in sizes])
    exit_adjusted[~closed] = 0.0
    marks = screen_kernel.trade_marks(columns["low"], columns["high"], columns["close"], columns["usd_per_local"],
                   entries, ends, np.full(len(entries), side, dtype=np.int64), contracts,
                   entry_adjusted, exit_adjusted, market.multiplier, market.revalued,
                   market.self_quoted)
    gross_usd, worst, best, mark = marks.T
    fees_usd = path[:, FEES_USD] + path[:, ROLL_USD]
    pnl_usd = gross_usd - fees_usd + path[:, FIN_USD]
    if read is not None:
        chosen = {"pnl_usd": pnl_usd, "fees_usd": fees_usd}
        if "entry_time" in read:
            chosen["entry_time"] = [market.fill_time(e) for e in bars]
        return pd.DataFrame({name: chosen[name] for name in read})
    entry_time = [market.fill_time(e) for e in bars]
    adjusted = np.where(closed, exit_adjusted, mark)
    offsets = market.floats[2]
    entry_price = np.array([round(a + offsets[e], 10)
                            for a, e in zip(entry_adjusted.tolist(), bars)])
    price = np.array([round(a + offsets[x if x >= 0 else last], 10)
                      for a, x in zip(adjusted.tolist(), exits)])
    exit_bar = np.where(closed, ends, last)
    rate = columns["usd_per_local"][exit_bar]
    gross_local = side * (adjusted - entry_adjusted) * contracts * market.multiplier
    fees_local = path[:, FEES_LOCAL] + path[:, ROLL_LOCAL]
    pnl_local = gross_local - fees_local + path[:, FIN_LOCAL]
    with np.errstate(divide="ignore", invalid="ignore"):
        fx_rate = np.where(pnl_usd != 0, pnl_local / pnl_usd, 1.0 / rate)
    reasons = [REASONS[int(code)] for code in path[:, REASON]]
    gap = (price - entry_price) - (adjusted - entry_adjusted)
    return pd.DataFrame({
        "entry_time": entry_time,
        "exit_time": [market.fill_time(x) if x >= 0 else
                      from_number(columns["close_time"][last]) for x in ends],
        "symbol": market.symbol, "side": "long" if side > 0 else "short",
        "contracts": contracts, "entry_price": entry_price, "exit_price": price,
        "currency": market.currency, "gross_pnl_local": gross_local, "fees_local": fees_local,
        "pnl_local": pnl_local, "fx_rate": fx_rate, "pnl_usd": pnl_usd, "fees_usd": fees_usd,
        "exit_reason": reasons,
        "bars_held": np.where(closed, ends - entries, last + 1 - entries),
        "mae_usd": worst, "mfe_usd": best,
        "status": ["open at end" if r == "end_of_window" else "closed" for r in reasons],
        "rolls": path[:, ROLLS].astype(np.int64),
        "roll_gap": [round(float(g), 10) for g in gap],
        "roll_cost_usd": path[:, ROLL_USD], "financing_local": path[:, FIN_LOCAL],
        "financing_usd": path[:, FIN_USD],
        "fill_note": _fill_notes(market, path)}, columns=metrics.TRADE_COLUMNS)


def _fill_notes(market: Market, path: np.ndarray) -> list[str]:
    """Playbook._delay's notes for each kernel trade: each fill that came after the bar it was
    due at waited over suspect bars (none where every open is clean, checked once)."""
    from strategies.book import moved_fill

    if market.clean.all():
        return [""] * len(path)
    labels = market.labels
    return ["; ".join(moved_fill(leg, labels[int(due)], labels[int(fill)], int(fill - due))
                      for leg, due, fill in (("entry", row[ENTRY_DUE], row[ENTRY_FILL]),
                                             ("exit", row[EXIT_DUE], row[EXIT_FILL]))
                      if fill >= 0 and fill > due)
            for row in path]
