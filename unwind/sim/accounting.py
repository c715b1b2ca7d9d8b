"""Futures and spot accounting through backtrader's own hooks: a CommInfoBase per instrument, a Sizer.

The account is in USD. Two instruments are booked in another currency, each as its counterparty
books it:

- A future quoted in another currency (HSI and MHI in HKD) settles variation margin every day in
  that currency, and the account converts each day's settlement at that day's rate: every bar's
  move is converted at the bar's rate from the feed's `usd_per_local` line (USD per one unit of
  the contract currency). The futures bars are daily, so bar by bar is the daily settlement.
  Backtrader moves futures P&L through `cashadjust` (mark to market every bar and at each fill).
- A spot position whose P&L is in its quote currency (USDJPY: P&L in JPY) is valued as an FX
  broker (MT5, a prime broker) values it: equity = cash + the open P&L in the quote currency
  converted at the *current* rate, and a close realises its quote-currency P&L at the exit's
  rate. The open P&L includes the entry's slippage (it is in the fill price), so that slippage is
  realised at the exit's rate too. A pair quoted against USD is its own rate: USDJPY's fill at
  109.21 converts at 1 / 109.21 (`conversion_rate`), its close at 1 / close. `revalued` names
  these instruments; spot in USD (XAUUSD) has nothing to convert.

Fees and carrying costs are converted at the rate of the bar they are charged on: USDJPY's fee
is a USD commission (fee_currency), stored in JPY at the bar's rate and converted back at it;
financing is computed in USD at each rollover (unwind/sim/financing.py).

Costs per contract per side, from the feed's execution lines (unwind/sim/execution.py): the fee
(`fee_local`) plus `slippage_ticks` ticks. The broker fills at the bar's open; slippage is
charged as its money value (ticks x tick value), and trade records show the slipped price, so
P&L is the same either way and each instrument can have its own tick. Carrying costs per
contract: financing of spot positions (`financing_long`/`financing_short`, USD) and the roll of
a future held across a roll date (`roll_cost`, both legs' fee and slippage).

Margin is not blocked in backtrader's cash (a margin that moves with volatility every bar would
make its cash accounting drift): equity is cash plus marks, and the sizer and the playbook's
bookkeeping enforce the margin model (unwind/sim/margin.py) themselves.
"""

from __future__ import annotations

import math

import backtrader as bt

from feeds.instruments import Instrument
# how a fill deals and a position converts to USD: shared with the playbooks' bookkeeping
from strategies.booking import conversion_rate, dealt_price, revalued

# The HKD peg band is 7.75-7.85 since 2005; its middle is used when no USDHKD series is stored.
HKD_PER_USD_PEG = 7.80


class ContractCommission(bt.CommInfoBase):
    """Commission, slippage, carrying costs and currency conversion for one instrument.

    A `revalued` instrument keeps its open P&L's books here: the contracts held, the open P&L
    in the quote currency and the USD value of it already in the broker's cash. Every
    `cashadjust` (each bar's close, and a fill that closes or adds to the position) books the
    change of that USD value, at the bar's rate at a close and at the fill's rate at a fill; a
    close takes its share out of the books. Backtrader 1.9.78's broker computes a fill's
    commission (`_getcommission`) just before that fill's `cashadjust` and confirms the fill
    (`confirmexec`) after it; the commission marks the fill's side so `cashadjust` knows it is
    dealing, and `confirmexec` and the bar's carrying costs clear that mark.
    """

    params = (
        ("stocklike", False),
        ("commtype", bt.CommInfoBase.COMM_FIXED),
        ("percabs", True),
        ("instrument", None),
    )

    def __init__(self):
        super().__init__()
        instrument: Instrument = self.p.instrument
        self.p.mult = instrument.multiplier
        self._feed = None   # set by the engine (`feed`): the data feed whose lines this reads
        # carrying costs charged by the broker and not yet booked by the playbook (USD, local)
        self.pending = {"financing_usd": 0.0, "financing_local": 0.0, "roll_cost_usd": 0.0,
                        "roll_cost_local": 0.0, "rolls": 0}
        self.revalued = revalued(instrument)
        # a revalued position's books: contracts held, open P&L (local), its USD in the cash,
        # and the side of the fill being dealt (0 when none)
        self._held = 0
        self._open_local = 0.0
        self._open_usd = 0.0
        self._dealing = 0

    @property
    def feed(self):
        return self._feed

    @feed.setter
    def feed(self, feed) -> None:
        """The feed whose lines this reads; its line buffers are kept, so a read each bar is
        one index, not backtrader's attribute lookup by name."""
        self._feed = feed
        lines = feed.lines
        self._lines = {name: getattr(lines, name) for name in (
            "usd_per_local", "fee_local", "slippage_ticks", "margin", "financing_long",
            "financing_short", "roll_cost", "rolls")}

    def usd_per_local(self) -> float:
        return self._lines["usd_per_local"][0]

    def fee_local(self) -> float:
        return self._lines["fee_local"][0]

    def slippage_ticks(self) -> float:
        return self._lines["slippage_ticks"][0]

    def slippage_local(self) -> float:
        return self.slippage_ticks() * self.p.instrument.tick_value

    def margin_usd(self) -> float:
        """Initial margin per contract in USD at this bar."""
        return self._lines["margin"][0] * self.usd_per_local()

    def get_margin(self, price: float) -> float:
        return 0.0

    def getvalue(self, position, price):
        return 0.0

    def fill_rate(self, price: float, side: int) -> float:
        """USD per local unit at a fill of `side` at the bar's `price` (its dealt price)."""
        dealt = dealt_price(price, side, self.slippage_ticks(), self.p.instrument.tick_size)
        return conversion_rate(self.p.instrument, dealt, self.usd_per_local())

    def _getcommission(self, size, price, pseudoexec):
        if not self.revalued:
            return abs(size) * (self.fee_local() + self.slippage_local()) * self.usd_per_local()
        side = 1 if size > 0 else -1
        self._dealing = side
        return abs(size) * self.fee_local() * self.usd_per_local() + \
            abs(size) * self.slippage_local() * self.fill_rate(price, side)

    def cashadjust(self, size, price, newprice):
        if not self.revalued:
            return size * (newprice - price) * self.p.mult * self.usd_per_local()
        side, self._dealing = self._dealing, 0
        rate = self.fill_rate(newprice, side) if side else self.usd_per_local()
        share = size / self._held
        moved = self._open_local * share + size * (newprice - price) * self.p.mult
        value = moved * rate
        change = value - self._open_usd * share
        if share == 1:
            self._open_local, self._open_usd = moved, value
        else:   # a partial close: its share is realised and leaves the books
            self._open_local -= self._open_local * share
            self._open_usd -= self._open_usd * share
        return change

    def confirmexec(self, size, price):
        """A fill of `size` at `price` happened: a revalued position's books follow it (the
        opened contracts' slippage is open P&L, already taken from the cash at the fill's
        rate)."""
        if not self.revalued:
            return 0.0
        self._dealing = 0
        before, after = self._held, self._held + size
        closing = min(abs(size), abs(before)) if before * size < 0 else 0
        opened = abs(size) - closing
        if after == 0 or before * after < 0:
            self._open_local = self._open_usd = 0.0
        if opened:
            cost = opened * self.slippage_local()
            self._open_local -= cost
            self._open_usd -= cost * self.fill_rate(price, 1 if size > 0 else -1)
        self._held = after
        return 0.0

    def profitandloss(self, size, price, newprice):
        return size * (newprice - price) * self.p.mult * self.usd_per_local()

    def get_credit_interest(self, data, pos, dt):
        """Carrying costs of `pos` (held from the previous bar's fill instant into this bar's):
        financing and roll costs, in USD, charged as backtrader's credit interest."""
        self._dealing = 0
        contracts = abs(pos.size)
        rate = self.usd_per_local()
        lines = self._lines   # the lines of `data`, this instrument's feed
        financed = contracts * (lines["financing_long"][0] if pos.size > 0 else
                                lines["financing_short"][0])
        roll_local = contracts * lines["roll_cost"][0]
        if financed:
            self.pending["financing_usd"] += financed
            self.pending["financing_local"] += financed / rate
        if roll_local:
            self.pending["roll_cost_usd"] += roll_local * rate
            self.pending["roll_cost_local"] += roll_local
            self.pending["rolls"] += int(lines["rolls"][0])
        return roll_local * rate - financed

    def take_pending(self) -> dict:
        """The carrying costs charged since the last call (and reset them); {} when every
        figure is 0 (most bars of a position: nothing for the lots' books to add)."""
        if not any(self.pending.values()):
            return {}
        taken = dict(self.pending)
        for key in self.pending:
            self.pending[key] = 0
        return taken


def contracts_for(strategy, data, comminfo: ContractCommission, budget_usd: float,
                  max_leverage: float = math.inf, others: tuple[float, float] = (0.0, 0.0)
                  ) -> int:
    """Whole contracts such that one typical daily move costs about `budget_usd`, within the
    leverage cap and the margin the account can post.

    risk: floor(budget / (daily volatility in price units x point value in USD)), with the
    daily volatility known at the bar from the feed's `volatility` line. Then at most
    floor((max_leverage x equity - gross notional of the other positions) / one contract's
    notional), and at most floor((equity - initial margin of the other positions) / one
    contract's initial margin). `others` = (gross notional, initial margin) of the other
    positions and orders, USD. Below one contract the trade is skipped and the strategy
    records why; a size the caps cut is recorded too.
    """
    volatility = data.volatility[0]
    rate = comminfo.usd_per_local()
    point_value_usd = comminfo.p.mult * rate
    if math.isnan(volatility) or not volatility > 0:
        strategy.record_skip(data, "no volatility estimate yet")
        return 0
    wanted = math.floor(budget_usd / (volatility * point_value_usd))
    if wanted < 1:
        strategy.record_skip(
            data, f"risk budget {budget_usd:,.0f} USD is below one contract's daily risk "
                  f"{volatility * point_value_usd:,.0f} USD")
        return 0
    equity = strategy.broker.getvalue()
    notional = abs(data.close[0] + data.roll_offset[0]) * point_value_usd
    by_leverage = math.floor((max_leverage * equity - others[0]) / notional) \
        if math.isfinite(max_leverage) and notional > 0 else wanted
    margin = comminfo.margin_usd()
    by_margin = math.floor((equity - others[1]) / margin) if margin > 0 else wanted
    contracts = max(0, min(wanted, by_leverage, by_margin))
    if contracts < 1:
        reason = f"the account cannot carry the margin for {wanted} contracts" \
            if by_margin < 1 else \
            f"the leverage cap {max_leverage:g}x leaves no room for one contract"
        strategy.record_skip(data, reason)
    elif contracts < wanted:
        strategy.record_cap(data, wanted, contracts,
                            "max_leverage" if by_leverage < min(wanted, by_margin) else "margin")
    return contracts


class RiskBudgetSizer(bt.Sizer):
    """Sizes every order with `contracts_for` and the run's risk budget and leverage cap;
    playbooks call `contracts(data, share)` for a leg sized by a share of the budget (a hedge).
    Orders sized on the same bar count against the caps together."""

    params = (("risk_budget_usd", 10_000.0), ("max_leverage", math.inf))

    def __init__(self):
        self._bar, self._sized = None, {}

    def _getsizing(self, comminfo, cash, data, isbuy):
        return self.contracts(data)

    def contracts(self, data, budget_share: float = 1.0) -> int:
        if self._bar != len(self.strategy):
            self._bar, self._sized = len(self.strategy), {}
        comminfo = self.broker.getcommissioninfo(data)
        contracts = contracts_for(self.strategy, data, comminfo,
                                  self.p.risk_budget_usd * budget_share, self.p.max_leverage,
                                  self._others(data))
        self._sized[data._name] = (data, contracts)
        return contracts

    def _others(self, data) -> tuple[float, float]:
        """Gross notional and initial margin (USD) of the positions in other instruments and
        of the orders sized on this bar for them."""
        held = {d._name: (d, abs(p.size)) for d, p in self.broker.positions.items() if p.size}
        held.update({name: value for name, value in self._sized.items()})
        notional = margin = 0.0
        for name, (other, contracts) in held.items():
            if name == data._name or not contracts:
                continue
            comminfo = self.broker.getcommissioninfo(other)
            rate = comminfo.usd_per_local()
            notional += contracts * abs(other.close[0] + other.roll_offset[0]) * \
                comminfo.p.mult * rate
            margin += contracts * comminfo.margin_usd()
        return notional, margin
