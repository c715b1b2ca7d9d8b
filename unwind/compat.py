"""The two known backtrader 1.9.78 problems on a modern stack, handled in one place.

1. `LineIterator.bindlines` tests `isinstance(x, collections.Iterable)`; that alias was removed
   from `collections` in Python 3.10, so any indicator that binds lines raises AttributeError.
   `install()` restores the alias to `collections.abc.Iterable` (the same class it always was).
2. Importing `backtrader.plot` calls `matplotlib.use("TkAgg")`, which a headless machine cannot
   honour. We never plot through backtrader (our charts are drawn with matplotlib's Agg backend);
   `install()` selects Agg first so that an accidental import of `backtrader.plot` cannot switch
   the process to Tk.
Call `install()` before building a Cerebro; it is idempotent.
"""

from __future__ import annotations

import collections
import collections.abc


def install() -> None:
    if not hasattr(collections, "Iterable"):
        collections.Iterable = collections.abc.Iterable  # type: ignore[attr-defined]
    import matplotlib

    if matplotlib.get_backend().lower() != "agg":
        matplotlib.use("Agg", force=True)
