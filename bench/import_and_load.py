"""Benchmark: import the largest hourly file, then load ten years of hourly bars from the store.

    .venv/bin/python bench/import_and_load.py [--repeat 5]

Prints the best of N wall-clock times for each step (a fresh store per import).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from timing import best_of

RAW = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "raw"




def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    import feeds
    from feeds.importer import ImportOptions, import_files
    from feeds.store import Store

    hourly = [p for p in RAW.rglob("*H1.csv")]
    if not hourly:
        print(f"no hourly files under {RAW}", file=sys.stderr)
        return 1
    largest = max(hourly, key=lambda p: p.stat().st_size)
    with tempfile.TemporaryDirectory() as scratch:
        counter = iter(range(10_000))

        def import_once() -> None:
            import_files([largest], ImportOptions(symbol="USDJPY"),
                         Store(Path(scratch) / f"s{next(counter)}"))

        import_seconds = best_of(args.repeat, import_once)
        store = Store(Path(scratch) / "load")
        import_files([largest], ImportOptions(symbol="USDJPY"), store)
        frame = feeds.load("USDJPY", "2016-03-20", "2026-03-20", "1h", store)
        load_seconds = best_of(args.repeat, lambda: feeds.load(
            "USDJPY", "2016-03-20", "2026-03-20", "1h", store))
        raw_seconds = best_of(args.repeat, lambda: feeds.load(
            "USDJPY", "2016-03-20", "2026-03-20", "1h", store, check_quality=False))
    size = largest.stat().st_size / 1e6
    print(f"import {largest.relative_to(RAW)} ({size:.1f} MB, {len(frame)} bars): "
          f"{import_seconds * 1000:.0f} ms ({len(frame) / import_seconds:,.0f} bars/s)")
    print(f"load ten years of hourly bars ({len(frame)} bars) with the quality gate: "
          f"{load_seconds * 1000:.0f} ms; without it: {raw_seconds * 1000:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
