"""The basis of unwind/sim/staleness.py's allowances: the longest run of sessions (daily inputs) or
traded bars (intraday inputs) each signal series misses inside its own span, on the real store.

    .venv/bin/python bench/staleness_allowance.py
"""

from __future__ import annotations

import feeds
from feeds.store import Store
from strategies.inputs import Inputs, availability
from unwind.sim import staleness

PAIRS = [(("USDJPY", "1d"), ("HSI", "1d")), (("USDJPY", "1d"), ("GC", "1d")),
         (("USDJPY", "1d"), ("NQ", "1d")), (("USDJPY", "1d"), ("ZN", "1d")),
         (("UST10Y", "1d"), ("XAUUSD", "1d")), (("UST10Y", "1d"), ("USDJPY", "1d")),
         (("JGB10Y", "1d"), ("USDJPY", "1d")), (("JGB30Y", "1d"), ("NQ", "1d")),
         (("UST30Y", "1d"), ("NQ", "1d")), (("EFFR", "1d"), ("USDJPY", "1d")),
         (("USDJPY", "1h"), ("XAUUSD", "1h"))]


def main() -> None:
    store = Store(None)
    for source, onto in PAIRS:
        bars = {key: feeds.load(key[0], None, None, key[1], store, check_quality=False)
                for key in (source, onto)}
        inputs = Inputs(bars)
        decisions = inputs.decision_times(*onto).as_unit("ns").asi8
        known = availability(bars[source], source[0], source[1]).as_unit("ns").asi8
        inside = (decisions > known[0]) & (decisions <= known[-1])
        counts, _ = staleness.missed(inputs, source, onto)
        inside_counts = counts[inside]
        over = int((inside_counts > (staleness.INTRADAY_ALLOWANCE_BARS if source[1] != "1d"
                                      else staleness.DAILY_ALLOWANCE_SESSIONS)).sum())
        print(f"{source[0]} {source[1]} onto {onto[0]} {onto[1]}: longest miss inside its span "
              f"{inside_counts.max()}, decisions past the allowance {over}")


if __name__ == "__main__":
    main()
