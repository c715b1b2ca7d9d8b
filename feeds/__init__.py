"""Data in: the instrument registry, sources, the store, sessions and the quality gate.

`load` is the one call the engine makes: a canonical frame for one series and window.

pandas is imported only when `load` runs, not here: `unwind --help` and the `list` commands import
`feeds.errors` and `feeds.instruments`, and Python runs this file first for any submodule, so a
module-level pandas import would cost every command half a second it does not need.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from feeds.errors import DataError, QualityError, excerpt

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["load", "DataError", "QualityError", "FIRST_DAY", "LAST_DAY"]

# Days a window may name: bars start in 1900 (feeds.bars.EARLIEST_BAR), and pandas' nanosecond
# timestamps, which the stored series use, end in 2262.
FIRST_DAY, LAST_DAY = "1900-01-01", "2261-12-31"
# The quality gate's report of a stored window, by the series' content hash and the window's
# bounds: the same bytes cut the same way give the same report, so a scorecard's cells that read
# one series over one window check it once per process.
_GATE: dict = {}


def load(symbol: str, start=None, end=None, bar: str = "1d", store=None,
         check_quality: bool = True) -> pd.DataFrame:
    """Bars of `symbol` (or `SYM@tag`) from `store` between `start` and `end` inclusive.

    Returns the canonical frame: tz-aware UTC index labelled by bar open, float64
    `open high low close volume`. With `check_quality`, a blocking defect inside the window raises
    QualityError naming it. `frame.attrs` carries the series manifest (source, hashes, synthetic).
    """
    from feeds import instruments, quality
    from feeds.store import Store

    store = store if isinstance(store, Store) else Store(store)
    frame, info = store.read(symbol, bar, copy=False)   # shared: only the window's copy is ours
    since, until = _timestamp(start, "start"), _timestamp(end, "end", inclusive_day=True)
    # the store serves times sorted and unique, so the window's rows are found by two binary
    # searches on the nanoseconds: the rows frame.loc[since:until] gives, without pandas'
    # label slicing (0.1 ms a load)
    stamps = frame.index.as_unit("ns").asi8
    begin = 0 if since is None else int(stamps.searchsorted(since.value, side="left"))
    stop = len(stamps) if until is None else int(stamps.searchsorted(until.value, side="right"))
    window = frame.iloc[begin:stop].copy()
    if window.empty:
        raise DataError(f"{symbol} {bar}: no bars between {start or info.first} and "
                        f"{end or info.last} (the store holds {info.first[:10]}..{info.last[:10]})")
    if check_quality:
        key = (symbol, bar, info.data_sha256, window.index[0], window.index[-1], len(window))
        report = _GATE.get(key)
        if report is None:
            report = quality.check(window, instruments.get(symbol), bar, info.close_only, symbol,
                                   info.repairs)
            if len(_GATE) >= 512:
                _GATE.clear()
            _GATE[key] = report
        if report.errors:
            first = report.errors[0]
            raise QualityError(f"{symbol} {bar} fails the quality gate in "
                               f"{window.index[0].date()}..{window.index[-1].date()}: "
                               f"{first.message}; `unwind data validate {symbol} --bar {bar}` "
                               "shows every finding")
    window.attrs = {"series": symbol, "bar": bar, **info.to_json()}
    if info.repairs:   # what and how many; the rows' runs stay in the manifest (attrs are copied)
        window.attrs["repairs"] = [{"flag": repair.flag, "rows": repair.rows}
                                   for repair in info.repairs]
    return window


def _timestamp(value, name: str, inclusive_day: bool = False) -> pd.Timestamp | None:
    import pandas as pd

    if value is None:
        return None
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError, OverflowError):
        raise DataError(f"--{name} {excerpt(value)} is not a date; expected YYYY-MM-DD"
                        ) from None
    if stamp is pd.NaT:
        raise DataError(f"--{name} {excerpt(value)} is not a date; expected YYYY-MM-DD")
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize("UTC")
    # no bar lies outside FIRST_DAY..LAST_DAY, so a bound beyond them bounds nothing (a warm-up
    # reaching before 1900); clamping also keeps the stamp in the store's nanosecond unit
    first, last = pd.Timestamp(FIRST_DAY, tz="UTC"), pd.Timestamp(LAST_DAY, tz="UTC")
    stamp = min(max(stamp, first), last + pd.Timedelta(days=1)).as_unit("ns")
    if inclusive_day and stamp == stamp.normalize() and len(str(value)) <= 10:
        stamp = stamp + pd.Timedelta(days=1) - pd.Timedelta(1, "ns")
    return stamp
