"""Third-party quirks, handled in one place: a known backtrader 1.9.78 problem on a modern
stack, and what importing empyrical costs. (backtrader's plotting, which breaks with a modern
matplotlib, is never used: pages draw their own SVG charts, `unwind.charts`.)

1. `LineIterator.bindlines` tests `isinstance(x, collections.Iterable)`; that alias was removed
   from `collections` in Python 3.10, so any indicator that binds lines raises AttributeError.
   `install()` restores the alias to `collections.abc.Iterable` (the same class it always was).
2. `empyrical.utils` imports yfinance when it is installed, for its Yahoo download helpers,
   which we never call (feeds/ fetches through yfinance itself): about 0.3 s of every process
   that computes a metric. `empyrical()` imports it with yfinance hidden, unless yfinance is
   already loaded, and leaves `import yfinance` working afterwards.
Call `install()` before building a Cerebro; it is idempotent.
"""

from __future__ import annotations

import collections
import collections.abc
import sys


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
