"""How a broker books a fill and a position: the price an order deals at, and which USD rate
a position's P&L converts at (spot in another currency is revalued at the current rate and
realised at the exit's; a pair quoting the account currency is its own rate).

The playbooks' lot bookkeeping (strategies/book.py) and the executors and the null model in
unwind/ all read these, so they live here, below both: nothing imports upward.
"""

from __future__ import annotations

from feeds.instruments import Instrument

ACCOUNT_CURRENCY = "USD"


def revalued(instrument: Instrument) -> bool:
    """Whether open P&L is valued at the current rate and realised at the exit's (spot in a
    currency other than the account's), rather than settled bar by bar (futures)."""
    return instrument.kind in ("fx", "spot") and instrument.currency != ACCOUNT_CURRENCY


def dealt_price(price: float, side: int, ticks: float, tick_size: float) -> float:
    """The price an order of `side` (+1 buy, -1 sell) deals at: the bar's `price` moved
    `ticks` ticks against it, rounded to 10 decimals (the tick grid's floats)."""
    return round(price + side * ticks * tick_size, 10)


def is_own_rate(instrument: Instrument) -> bool:
    """A pair quoting the account currency in its own (USDJPY: yen per dollar) is its own
    conversion rate: 1 / its price is USD per unit of its currency."""
    return instrument.symbol == ACCOUNT_CURRENCY + instrument.currency


def conversion_rate(instrument: Instrument, price: float, bar_rate: float) -> float:
    """USD per unit of `instrument`'s currency at an instant its price is `price`: a pair quoted
    against USD is its own rate (USDJPY at 109.21: 1 / 109.21 USD per JPY); any other currency
    converts at the bar's rate line."""
    if is_own_rate(instrument):
        return 1.0 / price
    return bar_rate
