"""Import every usable file of ../shared/data/raw into the store (the table in tests/raw_files.py).

    .venv/bin/python scripts/import_raw.py [--store DIR]

Afterwards `unwind score` runs on real history instead of the SYNTHETIC demo. The table is the
truth: a stored series whose file or options (a clock) changed there is replaced, and each line
says so. An import whose data contradict the clock the table names prints a warning; a file the
table imports with `--repair-ohlc widen` says how many rows it widened.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from feeds.errors import DataError  # noqa: E402
from feeds.importer import ImportOptions, import_files  # noqa: E402
from feeds.store import Store  # noqa: E402
from tests.raw_files import IMPORTS, RAW  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", default=None)
    args = parser.parse_args()
    if not RAW.is_dir():
        print(f"error: no real data at {RAW}", file=sys.stderr)
        return 1
    store = Store(args.store)
    for relative, symbol, options in IMPORTS:
        try:
            for outcome in import_files([RAW / relative],
                                        ImportOptions(symbol=symbol, replace=True, **options),
                                        store):
                clock = f"  [{options['clock']}]" if "clock" in options else ""
                widened = f"  [{outcome.repaired} row{'s' if outcome.repaired != 1 else ''} " \
                          f"widened: --repair-ohlc {options['repair_ohlc']}]" \
                    if outcome.repaired else ""
                print(f"{outcome.status:9s} {outcome.series:20s} {outcome.bar:3s} "
                      f"{outcome.rows:6d} bars  {relative}{clock}{widened}")
                for warning in outcome.warnings:
                    print(f"warning: {warning}", file=sys.stderr)
        except DataError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
    print(f"store: {store.root}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
