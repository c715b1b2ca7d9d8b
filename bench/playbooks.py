"""Benchmark: each playbook against backtrader with an empty strategy over the same bars.

    .venv/bin/python bench/playbooks.py [--store DIR] [--repeat 3]

The baseline is backtrader at its lightest: stdstats off, no analyzers, its stock PandasData
feed with only OHLCV, a Strategy whose next() does nothing. The playbook run is ours in full
(array feed with signal lines, futures accounting, sizer, trade records), timed after the
signals are prepared (that vectorised step is reported separately). Needs the real data in the
store (see tests/raw_files.py); playbooks whose data is missing are skipped with the reason.
"""

from __future__ import annotations

import argparse
import sys

from timing import best_of

WINDOWS = {"1h": ("2016-06-01", "2026-03-19"), "1d": ("2010-01-01", "2024-12-31")}




def empty_backtrader(frames) -> None:
    import backtrader as bt

    cerebro = bt.Cerebro(stdstats=False)
    for name, frame in frames.items():
        plain = frame[["open", "high", "low", "close", "volume"]].tz_convert(None)
        cerebro.adddata(bt.feeds.PandasData(dataname=plain, openinterest=None), name=name)
    cerebro.addstrategy(bt.Strategy)
    cerebro.run()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", default=None)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    import strategies
    from feeds.errors import DataError
    from unwind import compat
    from unwind.sim import engine
    from unwind.sim.config import RunConfig

    compat.install()
    print(f"{'playbook':24s} {'bars':>7s} {'prepare s':>9s} {'playbook bars/s':>16s} "
          f"{'empty bt bars/s':>16s} {'ratio':>6s}")
    for playbook_id in strategies.ids():
        start, end = WINDOWS[strategies.get(playbook_id).BAR]
        config = RunConfig(playbook=playbook_id, start=start, end=end, store=args.store,
                           allow_defects=True)
        try:
            prepare_seconds = best_of(1, lambda: engine.prepare(config))
            ready = engine.prepare(config)
        except DataError as error:
            print(f"{playbook_id:24s} skipped: {error}")
            continue
        bars = sum(len(frame) for frame in ready.frames.values())
        ours = best_of(args.repeat, lambda: engine.execute(ready, config))
        baseline = best_of(args.repeat, lambda: empty_backtrader(ready.frames))
        print(f"{playbook_id:24s} {bars:7d} {prepare_seconds:9.2f} {bars / ours:16,.0f} "
              f"{bars / baseline:16,.0f} {baseline / ours:6.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
