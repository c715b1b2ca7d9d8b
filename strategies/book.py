"""The bookkeeping every playbook's backtrader Strategy inherits: lots, fills, carrying costs,
margin calls and trade records (trades.csv), around a subclass's `decide()`.

Orders are market orders filled at the next bar's open; exits by target or stop are judged on
bar closes (no intrabar fills). A bar whose open is a suspect print (the feed's `tradable` line
is 0 there; no such line: every bar is tradable) is no fill price: an order due at it waits for
the next clean open, trades.csv says so (`fill_note`), and the playbook decides nothing while
its order waits. Marks still use every bar's close. strategies/base.py is the authoring API a
playbook is written in (parameters, panels, LineRule).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

import backtrader as bt

from feeds import instruments
from strategies.booking import conversion_rate, dealt_price, revalued

REGIMES = ("", "deleveraging", "fiscal_risk")


def from_number(number: float) -> str:
    """A backtrader date number -> UTC ISO 8601 string."""
    return bt.num2date(number).replace(tzinfo=dt.timezone.utc).isoformat()


def moved_fill(leg: str, due: float, filled: float, skipped: int) -> str:
    """trades.csv's `fill_note` for a fill of `leg` ("entry", "exit") due at the bar labelled
    `due` (a backtrader date number) that waited `skipped` suspect bars for the clean bar
    `filled`. Bars are named by their label: a date when both are midnight UTC (daily bars),
    else date and time in UTC."""
    due_time, filled_time = bt.num2date(due), bt.num2date(filled)
    daily = due_time.time() == filled_time.time() == dt.time(0)
    shown = [t.strftime("%Y-%m-%d" if daily else "%Y-%m-%d %H:%M UTC")
             for t in (due_time, filled_time)]
    why = "suspect print" if skipped == 1 else f"suspect prints on {skipped} bars"
    return f"{leg} moved from {shown[0]} ({why}) to {shown[1]}"


# Why a position was closed (trades.csv `exit_reason`). Playbooks pass one to `target_size`.
EXIT_REASONS = {
    "signal": "the playbook's exit condition fired, or it reversed the position",
    "stop": "the stop level was crossed on a bar close",
    "target": "the profit target was reached on a bar close",
    "time": "the longest holding period ran out",
    "margin": "the account could no longer carry the position's margin",
    "end_of_window": "still open when the window ended: marked to the last close, no exit cost",
    "rebalance": "part of the position closed to resize it to its target (bond_hedge)",
}


@dataclass
class OpenLot:
    """One open lot's running books (a fill and the contracts still held from it): local
    figures at trade prices, USD as the broker books the account (unwind/sim/accounting.py): a
    future's every move converted at its bar's rate (daily variation margin), a `revalued`
    spot position's open P&L at the current rate and, at its exit, at the exit's rate. A
    position built in several fills is several lots, closed first in, first out, so every
    trades.csv row carries real fill prices on the contract's tick grid."""

    entry_time: str
    entry_bar: int
    side: int
    contracts: int
    entry_price: float
    fees_local: float
    fees_usd: float
    gross_usd: float
    mark_price: float
    worst_usd: float
    best_usd: float
    # The entry on the roll-adjusted series the position is marked on (unwind/sim/execution.py):
    # `entry_price` minus the roll offset at the fill. Carrying costs the broker charged:
    # financing of spot positions and the rolls of futures held across a roll date.
    entry_adjusted: float = 0.0
    financing_usd: float = 0.0
    financing_local: float = 0.0
    roll_cost_usd: float = 0.0
    roll_cost_local: float = 0.0
    rolls: int = 0
    revalued: bool = False
    entry_note: str = ""

    def carry(self, charged: dict, share: float = 1.0) -> None:
        """Book this lot's `share` of carrying costs the broker charged on the whole position
        (ContractCommission); every lot held counts the roll."""
        for name in ("financing_usd", "financing_local", "roll_cost_usd", "roll_cost_local"):
            setattr(self, name, getattr(self, name) + charged[name] * share)
        self.rolls += charged["rolls"]

    def mark(self, price: float, per_point: float, rate: float) -> None:
        """Mark to `price` (`per_point`: local currency per point of the lot, signed; `rate`:
        USD per local unit at that instant)."""
        if self.revalued:
            self.gross_usd = (price - self.entry_adjusted) * per_point * rate
        else:
            self.gross_usd += (price - self.mark_price) * (per_point * rate)
        self.mark_price = price
        self.worst_usd = min(self.worst_usd, self.gross_usd)
        self.best_usd = max(self.best_usd, self.gross_usd)

    def split(self, contracts: int) -> "OpenLot":
        """Take `contracts` out of this position (its share of every running figure)."""
        share = contracts / self.contracts
        shared = ("fees_local", "fees_usd", "gross_usd", "worst_usd", "best_usd",
                  "financing_usd", "financing_local", "roll_cost_usd", "roll_cost_local")
        taken = dataclasses.replace(self, contracts=contracts,
                                    **{name: getattr(self, name) * share for name in shared})
        for name in shared:
            setattr(self, name, getattr(self, name) * (1 - share))
        self.contracts -= contracts
        return taken


class Playbook(bt.Strategy):
    """Base strategy: bookkeeping around a subclass's `decide()`."""

    params = (("trade_from", 0.0), ("slippage_ticks", 1.0))

    def __init__(self):
        self.trade_records: list[dict] = []
        self.skips: list[dict] = []
        self.equity_times: list[float] = []
        self.equity_values: list[float] = []
        self.gross_notionals: list[float] = []
        self.margin_values: list[float] = []
        self.capped: list[dict] = []
        self.margin_calls: list[dict] = []
        self.position_flags: list[bool] = []
        self.exit_reasons: dict[str, str] = {}
        self._open: dict[str, list[OpenLot]] = {}   # lots per instrument, oldest first
        self._data = {d._name: d for d in self.datas}
        self._instrument = {d._name: instruments.get(d._name) for d in self.datas}
        self._revalued = {name: revalued(i) for name, i in self._instrument.items()}
        # each feed's `tradable` line (0 at a suspect print), where the feed carries one
        self._clean = {d._name: d.lines.tradable for d in self.datas
                       if "tradable" in d.lines.getlinealiases()}
        # the lines `next` reads for each open position, kept so a read is one index
        self._marking = {d._name: tuple(getattr(d.lines, name) for name in (
            "low", "high", "close", "usd_per_local", "roll_offset", "margin"))
            for d in self.datas}

    # ----------------------------------------------------------------- helpers for decide()
    def trading_allowed(self) -> bool:
        """False during the warm-up (decide() is not called while an order waits)."""
        return self.data.datetime[0] >= self.p.trade_from

    def regime_allows(self, data) -> bool:
        wanted = self.p.regime_filter
        if not wanted:
            return True
        return data.regime[0] == REGIMES.index(wanted)

    def record_skip(self, data, reason: str) -> None:
        self.skips.append({"time": from_number(data.datetime[0]), "symbol": data._name,
                           "reason": reason})

    def record_cap(self, data, wanted: int, contracts: int, by: str) -> None:
        """An order the sizer cut below its risk budget (`by`: "max_leverage" or "margin")."""
        self.capped.append({"time": from_number(data.datetime[0]), "symbol": data._name,
                            "wanted": wanted, "contracts": contracts, "by": by})

    # --------------------------------------------------------------------- backtrader hooks
    def start(self):
        """With `tradable` lines, the broker fills nothing at a suspect bar's open: its volume
        filler (backtrader's hook for how much of an order a bar fills) fills none there, and
        the market order stays live for the next bar's open. Kept for `next`, so a read each
        bar is one index, not backtrader's attribute lookups: this strategy's clock line, the
        broker's positions, its queue of orders not yet filled (get_orders_open's source) and each
        instrument's commission scheme."""
        if self._clean:
            self.broker.set_filler(self._fillable)
        self._clock = self.lines.datetime
        self._positions = self.broker.positions
        self._commissions = {name: self.broker.getcommissioninfo(data)
                             for name, data in self._data.items()}
        self._pending = self.broker.pending

    def _fillable(self, order, price, ago) -> float:
        line = self._clean.get(order.data._name)
        if line is not None and line[ago] == 0.0:
            return 0
        return abs(order.executed.remsize)

    def _rate_at(self, name: str, price: float, bar_rate: float) -> float:
        """USD per local unit of `name` when its price is `price` (booking.conversion_rate
        for a revalued instrument, the bar's rate for a future)."""
        if self._revalued[name]:
            return conversion_rate(self._instrument[name], price, bar_rate)
        return bar_rate

    def _carry(self, name: str) -> None:
        """Spread the carrying costs the broker charged on a position over its lots."""
        charged = self._commissions[name].take_pending()
        if not charged:
            return   # nothing charged: adding zeros would leave every lot's books as they are
        lots = self._open[name]
        held = sum(lot.contracts for lot in lots)
        for lot in lots:
            lot.carry(charged, lot.contracts / held)

    def next(self):
        open_lots = self._open
        for name in open_lots:
            self._carry(name)
        equity = self.broker.getvalue()
        self.equity_times.append(self._clock[0])
        self.equity_values.append(equity)
        notional = margin = maintenance = 0.0
        for name, lots in open_lots.items():
            instrument = self._instrument[name]
            low, high, close, rate, roll_offset, margin_per_contract = (
                line[0] for line in self._marking[name])
            for position in lots:
                per_point = position.side * position.contracts * instrument.multiplier
                adverse, favourable = (low, high) if position.side > 0 else (high, low)
                if self._revalued[name]:
                    for price in (adverse, favourable, close):
                        position.mark(price, per_point, conversion_rate(instrument, price, rate))
                else:
                    for price in (adverse, favourable, close):
                        position.mark(price, per_point, rate)
                notional += abs(per_point * rate) * (close + roll_offset)
                posted = position.contracts * margin_per_contract * rate
                margin += posted
                maintenance += posted * instrument.maintenance_ratio
        self.gross_notionals.append(notional)
        self.margin_values.append(margin)
        self.position_flags.append(bool(open_lots))
        if self._clean and self._pending:
            return   # an order waits for a clean bar: its decision stands
        if open_lots and equity < maintenance:
            self._margin_call(equity, maintenance)
            return
        self.decide()

    def _margin_call(self, equity: float, maintenance: float) -> None:
        """Equity below the maintenance margin at this close: every position is closed at the
        next open (exit reason `margin`) and the playbook decides nothing on this bar."""
        self.margin_calls.append({"time": from_number(self.datetime[0]),
                                  "equity_usd": equity, "maintenance_usd": maintenance})
        for name in list(self._open):
            target_size(self, self._data[name], 0, reason="margin")

    def decide(self) -> None:  # pragma: no cover - every playbook overrides it
        raise NotImplementedError

    def notify_order(self, order):
        if order.status in (order.Margin, order.Rejected):
            self.record_skip(order.data, "the account cannot carry the margin for "
                                         f"{abs(order.created.size):g} contracts")
            return
        if order.status != order.Completed:
            return
        self._record_fill(order)

    def _record_fill(self, order) -> None:
        """Book a fill: close (part of) an opposite position, open or add to one. Positions are
        marked on the roll-adjusted series; trade records show the contract's printed prices."""
        data = order.data
        name = data._name
        instrument = self._instrument[name]
        size = int(order.executed.size)
        side = 1 if size > 0 else -1
        comminfo = self.broker.getcommissioninfo(data)
        adjusted = dealt_price(order.executed.price, side, comminfo.slippage_ticks(),
                               instrument.tick_size)
        price = round(adjusted + data.roll_offset[0], 10)
        usd_per_local = comminfo.usd_per_local()
        fill_rate = self._rate_at(name, adjusted, usd_per_local)
        fee_local = comminfo.fee_local()
        remaining = abs(size)
        lots = self._open.get(name, [])
        if lots:
            self._carry(name)
        closes = bool(lots) and lots[0].side != side
        reason = self.exit_reasons.pop(name, "signal") if closes else ""
        note = self._delay(order, "exit" if closes else "entry")
        while remaining and lots and lots[0].side != side:
            closing = min(remaining, lots[0].contracts)
            closed = lots[0].split(closing) if closing < lots[0].contracts else lots.pop(0)
            closed.fees_local += fee_local * closing
            closed.fees_usd += fee_local * closing * usd_per_local
            closed.mark(adjusted, closed.side * closing * instrument.multiplier, fill_rate)
            self._close_trade(name, closed, from_number(data.open_time[0]), price, adjusted,
                              usd_per_local, len(data) - closed.entry_bar, reason, note)
            remaining -= closing
        if not lots:
            self._open.pop(name, None)
        if not remaining:
            return
        fees_local = fee_local * remaining
        self._open.setdefault(name, []).append(OpenLot(
            from_number(data.open_time[0]), len(data), side, remaining, price, fees_local,
            fees_local * usd_per_local, 0.0, adjusted, 0.0, 0.0, entry_adjusted=adjusted,
            revalued=self._revalued[name],
            entry_note=self._delay(order, "entry") if closes else note))

    def _delay(self, order, leg: str) -> str:
        """`fill_note` of `order`'s fill when it waited past suspect bars: the bars between the
        one it was created on and this one ('' when it filled at the first open after)."""
        data = order.data
        if data._name not in self._clean:
            return ""
        skipped = 0
        while data.datetime[-(skipped + 1)] > order.created.dt:
            skipped += 1
        if not skipped:
            return ""
        return moved_fill(leg, data.datetime[-skipped], data.datetime[0], skipped)

    def _close_trade(self, name: str, position: OpenLot, when: str, price: float,
                     adjusted: float, usd_per_local: float, bars_held: int, reason: str,
                     exit_note: str = "") -> None:
        """One trades.csv row. Gross P&L is the move of the roll-adjusted series (the printed
        prices' move minus `roll_gap`, the continuous series' jumps at contract switches while
        held); fees include the rolls' costs (`roll_cost_usd` of them); net P&L = gross - fees
        + financing."""
        instrument = self._instrument[name]
        gross_local = position.side * (adjusted - position.entry_adjusted) * \
            position.contracts * instrument.multiplier
        fees_local = position.fees_local + position.roll_cost_local
        fees_usd = position.fees_usd + position.roll_cost_usd
        pnl_local = gross_local - fees_local + position.financing_local
        pnl_usd = position.gross_usd - fees_usd + position.financing_usd
        self.trade_records.append({
            "entry_time": position.entry_time, "exit_time": when, "symbol": name,
            "side": "long" if position.side > 0 else "short", "contracts": position.contracts,
            "entry_price": position.entry_price, "exit_price": price,
            "currency": instrument.currency, "gross_pnl_local": gross_local,
            "fees_local": fees_local, "pnl_local": pnl_local,
            "fx_rate": pnl_local / pnl_usd if pnl_usd else 1.0 / usd_per_local,
            "pnl_usd": pnl_usd, "fees_usd": fees_usd, "exit_reason": reason,
            "bars_held": bars_held, "mae_usd": position.worst_usd, "mfe_usd": position.best_usd,
            "status": "open at end" if reason == "end_of_window" else "closed",
            "rolls": position.rolls,
            "roll_gap": round((price - position.entry_price) -
                              (adjusted - position.entry_adjusted), 10),
            "roll_cost_usd": position.roll_cost_usd, "financing_local": position.financing_local,
            "financing_usd": position.financing_usd,
            "fill_note": "; ".join(n for n in (position.entry_note, exit_note) if n)})

    def stop(self):
        """Lots still open at the end are marked to the last close (no exit cost)."""
        for data in self.datas:
            comminfo = self.broker.getcommissioninfo(data)
            for position in self._open.pop(data._name, []):
                self._close_trade(data._name, position, from_number(data.close_time[0]),
                                  round(position.mark_price + data.roll_offset[0], 10),
                                  position.mark_price, comminfo.usd_per_local(),
                                  len(data) - position.entry_bar + 1, "end_of_window")


def target_size(strategy: bt.Strategy, data, side: int, budget_share: float = 1.0,
                reason: str = "signal") -> None:
    """Go to `side` (+1 long, -1 short, 0 flat) in `data`, sized by the run's sizer from the
    risk budget (times `budget_share`); a position closed on the way out is booked with
    `reason` (one of EXIT_REASONS)."""
    held = strategy.getposition(data).size
    if held and held * side <= 0:
        strategy.exit_reasons[data._name] = reason
    if side == 0:
        if held:
            strategy.close(data=data)
        return
    if held * side > 0:
        return
    if held:
        strategy.close(data=data)
    contracts = strategy.getsizer().contracts(data, budget_share)
    if contracts >= 1:
        (strategy.buy if side > 0 else strategy.sell)(data=data, size=contracts)


def target_contracts(strategy: bt.Strategy, data, contracts: int,
                     reason: str = "rebalance") -> None:
    """Hold exactly `contracts` (signed) of `data`; contracts closed on the way are booked with
    `reason`."""
    held = strategy.getposition(data).size
    if contracts == held:
        return
    if held and (held * contracts <= 0 or abs(contracts) < abs(held)):
        strategy.exit_reasons[data._name] = reason
    strategy.order_target_size(data=data, target=contracts)
