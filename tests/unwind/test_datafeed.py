"""The array feed's per-bar shortcuts give what backtrader's own DataBase methods give."""

from __future__ import annotations

import backtrader as bt
import numpy as np
import pandas as pd

from feeds import instruments
from unwind import compat
from unwind.sim.accounting import ContractCommission
from unwind.sim.datafeed import make_feed

PRICES = ("open", "high", "low", "close")


def tiny_frame() -> pd.DataFrame:
    """Four hourly bars with distinct values in every line (and a NaN signal)."""
    index = pd.date_range("2024-08-05 01:00", periods=4, freq="h", tz="UTC")
    return pd.DataFrame({"open": [10.0, 11.0, 12.0, 13.0], "high": [10.5, 11.5, 12.5, 13.5],
                         "low": [9.5, 10.5, 11.5, 12.5], "close": [10.2, 11.2, 12.2, 13.2],
                         "volume": [1.0, 2.0, 3.0, 4.0], "entry": [0.0, 1.0, np.nan, 1.0]},
                        index=index)


def walk(feed, advance, peek) -> list:
    """Per step: the next bar's date number as peeked, then after advancing the bar count,
    every line's value and the prices the broker reads (bbroker._try_exec: the tick when set,
    else the line's value)."""
    compat.install()
    feed.start()
    feed.preload()
    steps = []
    while True:
        upcoming = peek(feed)
        if upcoming == float("inf"):
            return steps
        advance(feed)
        tick_or_line = [getattr(feed, f"tick_{name}", None) for name in PRICES]
        steps.append((upcoming, len(feed), [line[0] for line in feed.lines],
                      [line[0] if tick is None else tick
                       for tick, line in zip(tick_or_line, (feed.lines.open, feed.lines.high,
                                                            feed.lines.low, feed.lines.close))]))


def test_the_feed_steps_as_backtrader_s_own_advance():
    frame = tiny_frame()
    own = walk(make_feed(frame, "XAUUSD"), lambda feed: feed.advance(),
               lambda feed: feed.advance_peek())
    backtrader_s = walk(make_feed(frame, "XAUUSD"), lambda feed: bt.feed.DataBase.advance(feed),
                        lambda feed: bt.feed.DataBase.advance_peek(feed))
    assert len(own) == len(frame)
    # NaN != NaN: compare the representations, which tell every float apart
    assert repr(own) == repr(backtrader_s)
    assert [step[3][0] for step in own] == [10.0, 11.0, 12.0, 13.0]


def test_a_line_read_as_a_feed_attribute_is_the_line_itself():
    feed = make_feed(tiny_frame(), "XAUUSD")
    feed.start()
    for name in feed.lines.getlinealiases():
        assert getattr(feed, name) is getattr(feed.lines, name), name


def test_nothing_charged_is_nothing_to_book():
    commission = ContractCommission(instrument=instruments.get("XAUUSD"))
    assert commission.take_pending() == {}
    commission.pending["financing_usd"] = -3.5
    assert commission.take_pending()["financing_usd"] == -3.5
    assert commission.take_pending() == {}
