"""Futures accounting through backtrader's own hooks: a CommInfoBase per instrument, a Sizer.

The account is in USD. A contract quoted in another currency (HSI in HKD; spot USDJPY, whose
P&L is in JPY) has every cash flow converted at the rate of the bar it happens on, read from the
feed's `usd_per_local` line (USD per one unit of the contract currency). Backtrader moves futures
P&L through `cashadjust` (mark to market every bar and at each fill) and charges costs through
`_getcommission`, so those are the two places the conversion lives.

Costs per contract per side: the registry's fee, plus slippage of `slippage_ticks` ticks. The
broker fills at the bar's open; slippage is charged as its money value (ticks x tick value), and
trade records show the slipped price, so P&L is the same either way and each instrument can have
its own tick. Initial margin (a fixed amount per futures contract, or a rate of notional for spot
instruments) is converted to USD at a fixed rate per run, since margin is collateral, not P&L.
"""

from __future__ import annotations

import math

import backtrader as bt

from feeds.instruments import Instrument

# The HKD peg band is 7.75-7.85 since 2005; its middle is used when no USDHKD series is stored.
HKD_PER_USD_PEG = 7.80


class ContractCommission(bt.CommInfoBase):
    """Commission, slippage, margin and currency conversion for one instrument."""

    params = (
        ("stocklike", False),
        ("commtype", bt.CommInfoBase.COMM_FIXED),
        ("percabs", True),
        ("instrument", None),
        ("slippage_ticks", 1.0),
        ("fee_per_contract", None),
        ("margin_usd", None),
    )

    def __init__(self):
        super().__init__()
        instrument: Instrument = self.p.instrument
        self.p.mult = instrument.multiplier
        self.fee_local = instrument.fee_per_contract if self.p.fee_per_contract is None \
            else self.p.fee_per_contract
        self.slippage_local = self.p.slippage_ticks * instrument.tick_value
        self.rate_line = None  # set by the engine to the feed's usd_per_local line

    def usd_per_local(self) -> float:
        return 1.0 if self.rate_line is None else self.rate_line[0]

    def get_margin(self, price: float) -> float:
        return self.p.margin_usd

    def getvalue(self, position, price):
        return abs(position.size) * self.p.margin_usd

    def _getcommission(self, size, price, pseudoexec):
        return abs(size) * (self.fee_local + self.slippage_local) * self.usd_per_local()

    def cashadjust(self, size, price, newprice):
        return size * (newprice - price) * self.p.mult * self.usd_per_local()

    def profitandloss(self, size, price, newprice):
        return size * (newprice - price) * self.p.mult * self.usd_per_local()

    def fees_usd(self, size: float) -> float:
        return abs(size) * self.fee_local * self.usd_per_local()

    def slippage_usd(self, size: float) -> float:
        return abs(size) * self.slippage_local * self.usd_per_local()


def margin_usd(instrument: Instrument, reference_price: float, usd_per_local: float,
               override: float | None = None) -> float:
    """Initial margin per contract in USD: the registry's amount (or a run's override), or for
    spot instruments a rate of one lot's notional at `reference_price`."""
    if override is not None:
        return override
    if instrument.initial_margin:
        return instrument.initial_margin * usd_per_local
    return instrument.margin_rate * instrument.multiplier * reference_price * usd_per_local


def contracts_for(strategy, data, comminfo: ContractCommission, budget_usd: float) -> int:
    """Whole contracts such that one typical daily move costs about `budget_usd`.

    contracts = floor(budget / (daily volatility in price units x point value in USD)), with the
    daily volatility known at the bar from the feed's `volatility` line. Below one contract the
    trade is skipped and the strategy records why.
    """
    volatility = data.volatility[0]
    point_value_usd = comminfo.p.mult * comminfo.usd_per_local()
    if math.isnan(volatility) or not volatility > 0:
        strategy.record_skip(data, "no volatility estimate yet")
        return 0
    contracts = math.floor(budget_usd / (volatility * point_value_usd))
    if contracts < 1:
        strategy.record_skip(
            data, f"risk budget {budget_usd:,.0f} USD is below one contract's daily risk "
                  f"{volatility * point_value_usd:,.0f} USD")
    return contracts


class RiskBudgetSizer(bt.Sizer):
    """Sizes every order with `contracts_for` and the run's risk budget; playbooks call
    `contracts(data, share)` for a leg sized by a share of the budget (a hedge)."""

    params = (("risk_budget_usd", 10_000.0),)

    def _getsizing(self, comminfo, cash, data, isbuy):
        return contracts_for(self.strategy, data, comminfo, self.p.risk_budget_usd)

    def contracts(self, data, budget_share: float = 1.0) -> int:
        comminfo = self.broker.getcommissioninfo(data)
        return contracts_for(self.strategy, data, comminfo,
                             self.p.risk_budget_usd * budget_share)
