"""The baseline process of bench/whole_process.py: backtrader at its lightest over stored bars.

    .venv/bin/python bench/bare_backtrader.py SYMBOL BAR START END [--store DIR]

Imports backtrader and the store, loads SYMBOL's bars between START and END (the quality gate
included, as every run pays it), hands them to backtrader's stock PandasData (OHLCV only) and
makes one pass with a Strategy whose next() does nothing. No outputs are written. This is what
a run cannot be faster than without replacing the engine.
"""

from __future__ import annotations

import argparse
import sys


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("symbol")
    parser.add_argument("bar")
    parser.add_argument("start")
    parser.add_argument("end")
    parser.add_argument("--store", default=None)
    args = parser.parse_args()

    import backtrader as bt

    import feeds

    frame = feeds.load(args.symbol, args.start, args.end, args.bar, args.store)
    plain = frame[["open", "high", "low", "close", "volume"]].tz_convert(None)
    cerebro = bt.Cerebro(stdstats=False)
    cerebro.adddata(bt.feeds.PandasData(dataname=plain, openinterest=None), name=args.symbol)
    cerebro.addstrategy(bt.Strategy)
    cerebro.run()
    print(len(plain))
    return 0


if __name__ == "__main__":
    sys.exit(main())
