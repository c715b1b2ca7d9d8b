"""The reading part of `unwind now`'s budget: import pandas and the store, read each tail.

    .venv/bin/python bench/read_tails.py [--store DIR] SERIES:BAR:START:END ...

bench/whole_process.py passes the series `unwind now` reads (every playbook's traded and signal
series, the optional USD/HKD and regime series) with the window each is read over (its last
year and the playbook's warm-up), so this process does what `now` cannot avoid: start Python,
import pandas, open each stored series and cut its tail. No quality gate, no playbook.
"""

from __future__ import annotations

import argparse
import sys


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tails", nargs="+", help="SERIES:BAR:START:END")
    parser.add_argument("--store", default=None)
    args = parser.parse_args()

    import pandas as pd

    from feeds.store import Store

    store = Store(args.store)
    rows = 0
    for tail in args.tails:
        series, bar, start, end = tail.split(":")
        frame, _ = store.read(series, bar)
        rows += len(frame.loc[pd.Timestamp(start, tz="UTC"):pd.Timestamp(end, tz="UTC")])
    print(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
