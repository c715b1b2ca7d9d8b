"""The two known backtrader 1.9.78 problems on a modern stack, handled in one place.

1. `LineIterator.bindlines` tests `isinstance(x, collections.Iterable)`; that alias was removed
   from `collections` in Python 3.10, so any indicator that binds lines raises AttributeError.
   `install()` restores the alias to `collections.abc.Iterable` (the same class it always was).
2. Importing `backtrader.plot` calls `matplotlib.use("TkAgg")`, which a headless machine cannot
   honour. We never plot through backtrader, and our pages never go through pyplot or the
   backend setting: `unwind.pages.figure` draws each figure on its own Agg canvas, so that call
   cannot reach them (tests/unwind/test_compat.py draws a page after importing backtrader.plot
   on a machine without a display). Nothing to install for it.
Call `install()` before building a Cerebro; it is idempotent.
"""

from __future__ import annotations

import collections
import collections.abc


def install() -> None:
    if not hasattr(collections, "Iterable"):
        collections.Iterable = collections.abc.Iterable  # type: ignore[attr-defined]
