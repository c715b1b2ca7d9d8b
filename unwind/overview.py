"""A first look at the August 2024 unwind through whatever data the store holds.

This is the main job until the episode scorecard exists: it proves the data path end to end
(store -> canonical frames -> session tags) on real data, or on the SYNTHETIC demo when the store
is empty.
"""

from __future__ import annotations

import pandas as pd

import feeds
from feeds import sessions
from feeds.demo import write_demo_store
from feeds.errors import DataError
from feeds.store import Store

BEFORE, CRASH = "2024-07-31", "2024-08-05"
_SERIES = (("USDJPY", "yen stronger when this falls"), ("NIKKEI225", "Tokyo cash close"),
           ("HSI", "cash index, proxy for HSI futures"), ("NQ", "Nasdaq-100 futures"),
           ("GC", "COMEX gold futures"), ("ZN", "10-year note futures"), ("VIX", "close"),
           ("UST10Y", "yield, percent"), ("JGB10Y", "yield, percent"))


def demo_store_for(store: Store) -> Store:
    """The SYNTHETIC store beside `store`, created on first use."""
    demo = Store(store.root.parent / f"{store.root.name}-demo")
    if demo.is_empty():
        write_demo_store(demo)
    return demo


def august_2024_overview(store: Store) -> dict:
    synthetic = store.is_empty()
    source = demo_store_for(store) if synthetic else store
    moves, missing = [], []
    for symbol, note in _SERIES:
        try:
            frame = feeds.load(symbol, "2024-07-01", "2024-08-31", "1d", source,
                               check_quality=False)
            before = frame.loc[:BEFORE, "close"].iloc[-1]
            after = frame.loc[:CRASH, "close"].iloc[-1]
        except (DataError, IndexError) as error:
            missing.append({"series": symbol, "reason": str(error).split(";")[0]})
            continue
        moves.append({"series": symbol, "from_close": float(before), "to_close": float(after),
                      "change": float(after / before - 1), "note": note})
    return {"synthetic": synthetic, "store": str(source.root), "from": BEFORE, "to": CRASH,
            "moves": moves, "missing": missing, "gold_asian_session": _gold_asia(source)}


def _gold_asia(store: Store) -> dict | None:
    """Spot gold from the Tokyo open to London noon on 2024-08-05, from hourly bars."""
    try:
        bars = feeds.load("XAUUSD", "2024-08-05", "2024-08-05", "1h", store, check_quality=False)
    except DataError:
        return None
    asia = bars[(sessions.tag(bars.index) & sessions.ASIA) > 0]
    later = bars.loc[:pd.Timestamp(f"{CRASH} 11:00", tz="UTC")]
    if asia.empty or later.empty:
        return None
    opening = float(asia["open"].iloc[0])
    return {"series": "XAUUSD 1h", "open": opening, "low": float(asia["low"].min()),
            "drawdown": float(asia["low"].min() / opening - 1),
            "later": float(later["close"].iloc[-1])}
