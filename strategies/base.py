"""What every playbook shares: parameters from a frozen dataclass, trade records, skips.

A playbook module defines `Parameters` (a frozen dataclass, the single source of its backtrader
params), `prepare()` (vectorised signals, run once before the backtest) and a `Strategy` whose
`decide()` runs on each bar and only reads lines. Orders are market orders filled at the next
bar's open; exits by target or stop are judged on bar closes (no intrabar fills).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

import backtrader as bt

from feeds import instruments

REGIMES = ("", "deleveraging", "fiscal_risk")


@dataclass(frozen=True)
class CommonParameters:
    """Parameters every playbook has."""

    # One typical daily move of the position should cost about 1% of the 1M USD default account.
    risk_budget_usd: float = 10_000.0
    # Trade only on days the regime read (strategies/regime.py) says this; '' = no filter.
    regime_filter: str = ""

    def __post_init__(self):
        if self.regime_filter not in REGIMES:
            raise ValueError(f"regime_filter must be one of {REGIMES}")
        if not self.risk_budget_usd > 0:
            raise ValueError("risk_budget_usd must be positive")


def backtrader_params(parameters_class: type) -> tuple:
    """(name, default) pairs for a bt.Strategy `params` from a parameters dataclass."""
    return tuple((f.name, f.default) for f in dataclasses.fields(parameters_class))


def from_number(number: float) -> str:
    """A backtrader date number -> UTC ISO 8601 string."""
    return bt.num2date(number).replace(tzinfo=dt.timezone.utc).isoformat()


@dataclass
class _OpenPosition:
    entry_time: str
    side: int
    contracts: int
    entry_price: float
    fees_usd: float


class Playbook(bt.Strategy):
    """Base strategy: bookkeeping around a subclass's `decide()`."""

    params = (("trade_from", 0.0), ("slippage_ticks", 1.0))

    def __init__(self):
        self.trade_records: list[dict] = []
        self.skips: list[dict] = []
        self.equity_times: list[float] = []
        self.equity_values: list[float] = []
        self.position_flags: list[bool] = []
        self._open: dict[str, _OpenPosition] = {}
        self._instrument = {d._name: instruments.get(d._name) for d in self.datas}

    # ----------------------------------------------------------------- helpers for decide()
    def trading_allowed(self) -> bool:
        """False during the warm-up and while an order is pending."""
        return self.data.datetime[0] >= self.p.trade_from

    def regime_allows(self, data) -> bool:
        wanted = self.p.regime_filter
        if not wanted:
            return True
        return data.regime[0] == REGIMES.index(wanted)

    def record_skip(self, data, reason: str) -> None:
        self.skips.append({"time": from_number(data.datetime[0]), "symbol": data._name,
                           "reason": reason})

    # --------------------------------------------------------------------- backtrader hooks
    def next(self):
        self.equity_times.append(self.datetime[0])
        self.equity_values.append(self.broker.getvalue())
        self.position_flags.append(any(self.getposition(d).size for d in self.datas))
        self.decide()

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
        data = order.data
        name = data._name
        size = order.executed.size
        side = 1 if size > 0 else -1
        tick = self._instrument[name].tick_size
        price = order.executed.price + side * self.p.slippage_ticks * tick
        comminfo = self.broker.getcommissioninfo(data)
        fees = comminfo.fees_usd(size)
        when = from_number(order.executed.dt)
        position = self._open.get(name)
        remaining = abs(int(size))
        if position is not None and position.side != side:
            closing = min(remaining, position.contracts)
            share = closing / position.contracts
            self._close_trade(name, position, closing, when, price, comminfo.usd_per_local(),
                              position.fees_usd * share + fees * closing / remaining)
            position.contracts -= closing
            position.fees_usd *= 1 - share
            fees *= 1 - closing / remaining
            remaining -= closing
            if position.contracts == 0:
                del self._open[name]
        if remaining:
            if name in self._open:
                held = self._open[name]
                total = held.contracts + remaining
                held.entry_price = (held.entry_price * held.contracts + price * remaining) / total
                held.contracts, held.fees_usd = total, held.fees_usd + fees
            else:
                self._open[name] = _OpenPosition(when, side, remaining, price, fees)

    def _close_trade(self, name: str, position: _OpenPosition, contracts: int, when: str,
                     price: float, usd_per_local: float, fees_usd: float) -> None:
        instrument = self._instrument[name]
        pnl_local = position.side * (price - position.entry_price) * contracts * \
            instrument.multiplier
        self.trade_records.append({
            "entry_time": position.entry_time, "exit_time": when, "symbol": name,
            "side": "long" if position.side > 0 else "short", "contracts": contracts,
            "entry_price": position.entry_price, "exit_price": price,
            "currency": instrument.currency, "pnl_local": pnl_local,
            "fx_rate": 1.0 / usd_per_local, "pnl_usd": pnl_local * usd_per_local - fees_usd,
            "fees_usd": fees_usd, "status": "closed"})

    def stop(self):
        """Positions still open at the end are marked to the last close (no exit cost)."""
        for data in self.datas:
            position = self._open.pop(data._name, None)
            if position is not None:
                comminfo = self.broker.getcommissioninfo(data)
                self._close_trade(data._name, position, position.contracts,
                                  from_number(data.datetime[0]), data.close[0],
                                  comminfo.usd_per_local(), position.fees_usd)
                self.trade_records[-1]["status"] = "open at end"


def target_size(strategy: bt.Strategy, data, side: int, budget_share: float = 1.0) -> None:
    """Go to `side` (+1 long, -1 short, 0 flat) in `data`, sized by the run's sizer from the
    risk budget (times `budget_share`)."""
    held = strategy.getposition(data).size
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
