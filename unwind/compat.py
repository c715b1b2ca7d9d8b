"""Third-party quirks and conventions, handled in one place: a known backtrader 1.9.78 problem
on a modern stack, what importing empyrical costs, and backtrader's date numbers. (backtrader's plotting, which breaks with a modern
matplotlib, is never used: pages draw their own SVG charts, `unwind.pages.charts`.)

1. `LineIterator.bindlines` tests `isinstance(x, collections.Iterable)`; that alias was removed
   from `collections` in Python 3.10, so any indicator that binds lines raises AttributeError.
   `install()` restores the alias to `collections.abc.Iterable` (the same class it always was).
2. `empyrical.utils` imports yfinance when it is installed, for its Yahoo download helpers,
   which we never call (feeds/ fetches through yfinance itself): about 0.3 s of every process
   that computes a metric. `empyrical()` imports it with yfinance hidden, unless yfinance is
   already loaded, and leaves `import yfinance` working afterwards.
3. backtrader stamps bars and fills with date numbers (days since year 1, as `bt.date2num`
   gives); `date_numbers` and `times_of` convert both ways, so every module that reads a fill
   time (the engine, the screen, the null model, `now`) converts the same way.
Call `install()` before building a Cerebro; it is idempotent.
"""

from __future__ import annotations

import collections
import collections.abc
import sys

import numpy as np
import pandas as pd

# $UNWIND_KERNEL=python: the screen's kernel (unwind/sim/screen_kernel.py) runs in the
# interpreter and numba is never imported (`unwind now` sets it around its own import: a year
# per playbook costs less to interpret than numba's import and machine-code load, about 1 s).
KERNEL_VARIABLE = "UNWIND_KERNEL"
# backtrader's date number of 1970-01-01 00:00 (proleptic Gregorian ordinal)
EPOCH_ORDINAL = 719163.0


def install() -> None:
    if not hasattr(collections, "Iterable"):
        collections.Iterable = collections.abc.Iterable  # type: ignore[attr-defined]


def empyrical():
    """The empyrical module, imported without its optional yfinance import (item 2)."""
    module = sys.modules.get("empyrical")
    if module is not None:
        return module
    hidden = "yfinance" not in sys.modules
    if hidden:
        sys.modules["yfinance"] = None   # `import yfinance` raises ImportError meanwhile
    try:
        import empyrical as module
    finally:
        if hidden:
            del sys.modules["yfinance"]
    return module


def date_numbers(index: pd.DatetimeIndex) -> np.ndarray:
    """UTC timestamps -> backtrader date numbers (days since year 1, as bt.date2num gives)."""
    nanoseconds = index.tz_convert("UTC").as_unit("ns").asi8.astype("float64")
    return EPOCH_ORDINAL + nanoseconds / 86_400e9


def times_of(numbers) -> pd.DatetimeIndex:
    """backtrader date numbers -> UTC timestamps, to the second (a float day keeps about a
    microsecond, so rounding gives back the exact bar and fill times)."""
    nanoseconds = (np.asarray(numbers, dtype="float64") - EPOCH_ORDINAL) * 86_400e9
    return pd.to_datetime(nanoseconds, utc=True).as_unit("ns").round("s")
