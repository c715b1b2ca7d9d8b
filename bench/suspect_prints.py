"""The basis of feeds/crosscheck.py's K: suspect prints per traded series of the real store at
several K, and whether the four bad opens named in issue 19 are among them.

    .venv/bin/python bench/suspect_prints.py
"""

from __future__ import annotations

import feeds
from feeds import crosscheck
from feeds.store import Store

KNOWN = {("XAUUSD", "2008-10-13"), ("XAUUSD", "2008-10-27"), ("GC", "2013-04-18"),
         ("ZN", "2020-03-17")}
SERIES = [("XAUUSD", "1d"), ("GC", "1d"), ("ZN", "1d"), ("NQ", "1d"), ("USDJPY", "1d"),
          ("HSI", "1d"), ("XAUUSD", "1h")]


def main() -> None:
    store = Store(None)
    loaded = {}
    for series, bar in SERIES:
        frame = feeds.load(series, None, None, bar, store, check_quality=False)
        references = {name: (feeds.load(name, None, None, bar, store, check_quality=False),
                             fields, kind)
                      for name, fields, kind in crosscheck.REFERENCES[(series, bar)]
                      if store.info(name, bar) is not None}
        loaded[(series, bar)] = (frame, references)
    for k in (6.0, 8.0, 10.0, 12.0):
        line, known_found = [], 0
        for (series, bar), (frame, references) in loaded.items():
            found = crosscheck.find(frame, series, bar, references, k)
            against = [s for s in found if s.reference != "its own high/low"]
            known_found += sum((series, s.time[:10]) in KNOWN and s.field == "open"
                               for s in found)
            line.append(f"{series} {bar} {len(against)}/{len(frame)}")
        print(f"K={k:g}: known bad opens found {known_found}/4; against a reference: "
              + ", ".join(line))


if __name__ == "__main__":
    main()
