"""Suspect prints: a traded price checked against the store's other sources of the same exposure.

The quality gate checks each series alone and cannot see an open of 765.25 in spot gold on a day
COMEX gold opened 0.7% up. Here each bar of a traded series is compared with its references
(REFERENCES), field by field, only with prints struck at about the same instant:
- the same price from another source ("same": spot gold from two brokers, the Globex and MT5
  evening reopens): the log ratio of the two prints against its median of the LEVEL_DAYS bars
  before (the basis moves slowly and jumps at a roll);
- a related market settled at the same instant ("related": the note and the bond, NQ and ES; or
  a "yield" change): the open's gap and the close's move from the previous close against beta
  times the reference's (beta: trailing regression slope, about 0.5 for the note on the bond).
A print is suspect when its disagreement is beyond K typical disagreements (the median absolute
one of the trailing WINDOW bars, scaled to a standard deviation, floored at FLOOR typical moves
of the series) with every independent reference that has a bar (one printing the series' own
closes is a copy, not a source), the series is the one whose move was out of its habit (two
sources that part do not say which is wrong), *and* it reverts: a roll or a change of basis
moves the level and stays; a bad print is gone at the next comparison.

Where no reference has a bar that day the open (the fill price) is checked alone: an open
outside its own bar's low..high is suspect (a close outside it is the quality gate's `ohlc`
finding). Neighbour spikes are not flagged alone: the store's crises hold real one-bar V moves
(USDJPY 1h at the MOF interventions of 2022-10-21 and 2024-04-29, HSI on 1997-10-28) that no
rule on one series can tell from a bad print.

K = 8, FLOOR = 0.25, WINDOW = 250 and LEVEL_DAYS = 5 bars, measured on the real store (`make
import-raw`; `bench/suspect_prints.py`): the four bad opens of issue 19 (XAUUSD 2008-10-13 and
2008-10-27, GC 2013-04-18, ZN 2020-03-17) lie 9 to 23 typical disagreements out; K = 10 misses
GC's, K = 8 finds all four and flags against a reference 3 of 5,209 XAUUSD daily bars, 10 of
6,395 GC, 7 of 6,385 ZN, 0 of 6,423 NQ, 3 of 5,436 USDJPY and 28 of 58,958 hourly XAUUSD bars
(mostly brokers' Sunday reopens; 402 before the MT5 clocks were corrected, which is how a
one-hour clock error shows).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

K = 8.0
FLOOR = 0.25
WINDOW = 250
COPY_SHARE = 0.5
LEVEL_DAYS = 5
MIN_HISTORY = 60
# Median absolute deviation -> standard deviation for normal residuals.
_MAD_TO_SIGMA = 1.4826

# Other sources of each traded series' exposure: (series, fields they can be compared on). A
# field is compared only with one struck at about the same instant: COMEX gold settles at 13:30
# New York, before the FOMC statement a 17:00 spot close already holds (2013-09-18: 4% apart,
# both right); FRED's noon rates and Yahoo's FX snapshots are hours from a 17:00 New York close
# (2011-03-16, Tohoku, the yen moved 3% in between); ETFs open at 09:30. Globex and MT5 opens
# are both the evening reopen. Where no reference is left (HSI, hourly USDJPY) the series is
# checked alone.
REFERENCES: dict[tuple[str, str], tuple[tuple[str, str, str], ...]] = {
    ("XAUUSD", "1d"): (("XAUUSD@fxtrading", "open close", "same"),
                       ("XAUUSD@simom1", "open close", "same"), ("GC", "open", "same")),
    ("GC", "1d"): (("XAUUSD", "open", "same"), ("XAUUSD@fxtrading", "open", "same"),
                   ("XAUUSD@simom1", "open", "same")),
    ("XAUUSD", "1h"): (("XAUUSD@simom1", "open close", "same"),
                       ("XAUUSD@budimanlai", "open close", "same")),
    ("ZN", "1d"): (("ZB", "open close", "related"), ("ZF", "open close", "related"),
                   ("UST10Y", "close", "yield")),
    ("ZB", "1d"): (("ZN", "open close", "related"), ("UST30Y", "close", "yield")),
    ("NQ", "1d"): (("ES", "open close", "related"), ("NDX", "close", "related"),
                   ("QQQ", "close", "related")),
    ("USDJPY", "1d"): (("USDJPY@fxtrading", "open close", "same"),
                       ("USDJPY@simom1", "open close", "same")),
    ("USDJPY", "1h"): (),
    ("HSI", "1d"): (),
}


@dataclass(frozen=True)
class SuspectPrint:
    """One price the references contradict (or, with none, an open outside its bar's range)."""

    series: str
    bar: str
    time: str          # the bar's label (UTC ISO)
    field: str         # "open" or "close"
    value: float
    expected: float    # the price the reference implies (the nearer bound, for an open alone)
    reference: str     # the reference series that contradicts it, or "its own high/low"
    residual_sigmas: float | None   # in typical disagreements (None when checked alone)

    def to_json(self) -> dict:
        return {"series": self.series, "bar": self.bar, "time": self.time, "field": self.field,
                "value": self.value, "expected": round(self.expected, 6),
                "reference": self.reference,
                "residual_sigmas": None if self.residual_sigmas is None
                else round(self.residual_sigmas, 1)}

    def message(self) -> str:
        size = "" if self.residual_sigmas is None else \
            f" ({self.residual_sigmas:.0f} typical disagreements)"
        return (f"{self.time[:16]} {self.field} {self.value:g}: {self.reference} implies "
                f"{self.expected:.6g}{size}")


def _gaps(frame: pd.DataFrame) -> pd.DataFrame:
    """Open and close as moves from the previous close (for a related market settled at the
    same instant: the 10-year note and the bond)."""
    previous = frame["close"].shift(1)
    return pd.DataFrame({"open": frame["open"] / previous - 1,
                         "close": frame["close"] / previous - 1}, index=frame.index)


def _yield_gaps(frame: pd.DataFrame) -> pd.DataFrame:
    """A yield's change in percentage points (it has no open worth comparing)."""
    return pd.DataFrame({"open": np.nan, "close": frame["close"].diff()}, index=frame.index)


def _trailing_scale(values: pd.Series) -> pd.Series:
    """The typical size of `values` over the WINDOW bars before each bar, as a standard
    deviation (robust: a bad print does not widen its own band)."""
    clean = values.dropna()
    scale = clean.abs().rolling(WINDOW, min_periods=MIN_HISTORY).median().shift(1)
    return (scale * _MAD_TO_SIGMA).reindex(values.index).ffill()


def _trailing_beta(series: pd.Series, reference: pd.Series) -> pd.Series:
    both = pd.concat([series, reference], axis=1).dropna()
    covariance = both.iloc[:, 0].rolling(WINDOW, min_periods=MIN_HISTORY).cov(both.iloc[:, 1])
    beta = (covariance / both.iloc[:, 1].rolling(WINDOW, min_periods=MIN_HISTORY).var()).shift(1)
    return beta.reindex(series.index)


@dataclass
class _Comparison:
    """One field of the series against one reference, on the series' index."""

    residual: pd.Series    # signed disagreement
    scale: pd.Series       # typical absolute disagreement before each bar
    expected: pd.Series    # the price the reference implies
    usable: pd.Series      # the reference had a bar and there is enough history
    reverts: pd.Series     # the disagreement is gone by the next comparison
    # which side of a disagreement moved unusually: each move in its own typical moves
    series_unusual: pd.Series
    reference_unusual: pd.Series
    k: float = K

    @property
    def sigmas(self) -> pd.Series:
        return self.residual.abs() / self.scale

    @property
    def disagrees(self) -> pd.Series:
        """The two disagree and the series is the one that moved unusually (two sources that
        part say nothing about which is wrong; the one whose own move is out of its habit is)."""
        return self.usable & (self.sigmas > self.k) & \
            (self.series_unusual >= self.reference_unusual.fillna(0.0))

    @property
    def agrees(self) -> pd.Series:
        return self.usable & (self.sigmas <= self.k)


def _unusual(price: pd.Series) -> pd.Series:
    """A price's move from the one before it, in typical moves of that price."""
    move = price / price.shift(1) - 1
    return move.abs() / _trailing_scale(move)


def _same_price(frame: pd.DataFrame, reference: pd.DataFrame, field: str, k: float
                ) -> _Comparison:
    """Two sources of one price at one instant (spot gold from two brokers; a Globex and an MT5
    evening reopen): the log ratio of the prints against its median of the LEVEL_DAYS bars
    before (the basis moves slowly and jumps at a roll, then stays); it reverts unless the
    next bar's ratio is still beyond K typical disagreements on the same side (a roll)."""
    ratio = np.log(frame[field] / reference[field])
    basis = ratio.rolling(LEVEL_DAYS, min_periods=1).median().shift(1)
    residual = ratio - basis
    scale = np.maximum(_trailing_scale(residual),
                       FLOOR * _trailing_scale(frame["close"].pct_change()))
    usable = residual.notna() & scale.notna() & (scale > 0) & ~_copied(frame, reference)
    following = residual.shift(-1)
    persists = (following.abs() > k * scale) & (np.sign(following) == np.sign(residual))
    reverts = following.notna() & ~persists
    return _Comparison(residual, scale, reference[field] * np.exp(basis), usable, reverts,
                       _unusual(frame[field]), _unusual(reference[field]), k)


def _related(frame: pd.DataFrame, reference: pd.DataFrame, fields: str, is_yield: bool,
             k: float) -> dict[str, _Comparison]:
    """A related market settled at the same instant (the note and the bond, NQ and ES, a yield):
    the series' open gap and close move against beta times the reference's; an open reverts
    when the same bar's close agrees, a close when the next close undoes it."""
    gaps = _gaps(frame)
    other = _yield_gaps(reference) if is_yield else _gaps(reference)
    beta = _trailing_beta(gaps["close"], other["close"])
    out = {}
    for field in ("open", "close"):
        implied = beta * other[field] if field in fields.split() else \
            pd.Series(np.nan, index=frame.index)
        residual = gaps[field] - implied
        scale = np.maximum(_trailing_scale(gaps["close"] - beta * other["close"]),
                           FLOOR * _trailing_scale(gaps["close"]))
        usable = residual.notna() & scale.notna() & (scale > 0)
        out[field] = _Comparison(residual, scale, frame["close"].shift(1) * (1 + implied),
                                 usable, pd.Series(False, index=frame.index),
                                 gaps[field].abs() / _trailing_scale(gaps[field]),
                                 other[field].abs() / _trailing_scale(other[field]), k)
    close = out["close"]
    out["open"].reverts = close.usable & (close.sigmas <= k)
    following = close.residual.shift(-1)
    close.reverts = (close.usable.shift(-1, fill_value=False)
                     & (np.sign(following) == -np.sign(close.residual))
                     & ((close.residual + following).abs() <= k * close.scale))
    return out


def _copied(frame: pd.DataFrame, reference: pd.DataFrame) -> pd.Series:
    """Bars where the reference is the same feed under another name: it printed the series'
    exact close on more than COPY_SHARE of the trailing WINDOW common bars (XAUUSD@simom1's
    daily bars are Pepperstone's in 2007-2011, bad opens included): no second source there."""
    same = pd.Series(np.isclose(frame["close"], reference["close"], rtol=1e-9, atol=0.0),
                     index=frame.index).where(reference["close"].notna())
    return same.rolling(WINDOW, min_periods=1).mean().fillna(0.0) > COPY_SHARE


def _contradicted(comparisons: list[_Comparison], index: pd.DatetimeIndex) -> pd.Series:
    """Every reference with a usable bar disagrees and blames the series, and there is one."""
    disagree = pd.Series(False, index=index)
    agree = pd.Series(False, index=index)
    for comparison in comparisons:
        disagree |= comparison.disagrees & comparison.reverts
        agree |= comparison.agrees
    return disagree & ~agree


def find(frame: pd.DataFrame, series: str, bar: str,
         references: dict[str, tuple[pd.DataFrame, str, str]], k: float = K
         ) -> list[SuspectPrint]:
    """Suspect prints of `frame` (series, bar) given its references' frames:
    {name: (frame, fields compared, kind: "same", "related" or "yield")}; `k` typical
    disagreements make one."""
    if len(frame) < MIN_HISTORY + 2:
        return []
    compared: dict[str, dict[str, _Comparison]] = {}
    for name, (reference, fields, kind) in references.items():
        on_index = reference.reindex(frame.index)
        if kind == "same":
            compared[name] = {field: _same_price(frame, on_index, field, k)
                              for field in fields.split()}
        else:
            compared[name] = _related(frame, on_index, fields, kind == "yield", k)
    found: list[SuspectPrint] = []
    for field in ("open", "close"):
        comparisons = {name: by_field[field] for name, by_field in compared.items()
                       if field in by_field}
        contradicted = _contradicted(list(comparisons.values()), frame.index)
        for position in np.flatnonzero(contradicted.to_numpy()):
            found.append(_describe(frame, series, bar, field, position, comparisons))
        if field == "open":   # a close outside the range is the quality gate's `ohlc` finding
            checked = pd.Series(False, index=frame.index)
            for comparison in comparisons.values():
                checked |= comparison.usable
            for position in np.flatnonzero((_outside_range(frame) & ~checked).to_numpy()):
                found.append(_outside_finding(frame, series, bar, position))
    return sorted(found, key=lambda suspect: (suspect.time, suspect.field))


def _describe(frame: pd.DataFrame, series: str, bar: str, field: str, position: int,
              comparisons: dict[str, _Comparison]) -> SuspectPrint:
    """The finding, naming the reference with the largest disagreement."""
    name, comparison = max(comparisons.items(), key=lambda item: np.nan_to_num(
        item[1].sigmas.where(item[1].usable).iloc[position]))
    return SuspectPrint(series, bar, frame.index[position].isoformat(), field,
                        float(frame[field].iloc[position]),
                        float(comparison.expected.iloc[position]), name,
                        float(comparison.sigmas.iloc[position]))


def _outside_range(frame: pd.DataFrame) -> pd.Series:
    """Alone: an open outside its own bar's low..high (a fill no one could have had)."""
    return (frame["open"] > frame["high"]) | (frame["open"] < frame["low"])


def _outside_finding(frame: pd.DataFrame, series: str, bar: str, position: int
                     ) -> SuspectPrint:
    row = frame.iloc[position]
    value = float(row["open"])
    bound = float(row["high"] if value > row["high"] else row["low"])
    return SuspectPrint(series, bar, frame.index[position].isoformat(), "open", value, bound,
                        "its own high/low", None)


def suspect_prints(store, series: str, bar: str) -> list[SuspectPrint]:
    """The suspect prints of a stored series over its whole history: computed once per content
    of the series and its references, then reused within the process and, between processes,
    from the cache folder (the scan reads every reference's full history: 1-2 s that `unwind
    now` would otherwise pay on every call)."""
    from feeds.store import Store

    store = store if isinstance(store, Store) else Store(store)
    wanted = REFERENCES.get((series, bar))
    if wanted is None:
        return []
    names = tuple(name for name, _, _ in wanted if store.info(name, bar) is not None)
    key = _content_key(store, bar, (series,) + names)
    return list(_cached(str(store.root), series, bar, names, key))


# What the findings depend on besides the stored bytes: this scan's code and the loading code
# that turns the bytes into frames, and the numpy and pandas that compute it.
_CODE_FILES = ("crosscheck.py", "__init__.py", "store.py")


def _content_key(store, bar: str, series: tuple[str, ...]) -> str:
    """A hash of everything the findings depend on: each series' manifest (its content hashes)
    and its parquet file's size and modification time (a file changed under an unchanged
    manifest is read again, and refused as `read` refuses it), the code and library versions."""
    import hashlib
    import json
    import os
    from pathlib import Path

    digest = hashlib.sha256()
    for name in series:
        info = store.info(name, bar)
        try:
            status = os.stat(store.root / info.series / info.file)
            stamp = [status.st_size, status.st_mtime_ns, status.st_ino]
        except OSError:
            stamp = None
        digest.update(json.dumps([info.to_json(), stamp], sort_keys=True).encode())
    folder = Path(__file__).parent
    for name in _CODE_FILES:
        digest.update((folder / name).read_bytes())
    digest.update(f"numpy {np.__version__} pandas {pd.__version__}".encode())
    return digest.hexdigest()


def _cache_file(key: str):
    """The findings of one content key in the user's cache folder (beside the calendars')."""
    from feeds import calendars

    return calendars.cache_folder().parent / "suspect-prints" / f"{key}.json"


def _read_cache(key: str) -> tuple[SuspectPrint, ...] | None:
    """The findings stored under `key`, None when there are none or they cannot be read back
    whole (then they are computed again)."""
    import json

    try:
        data = json.loads(_cache_file(key).read_text(encoding="utf-8"))
        if data.get("key") != key:
            return None
        return tuple(SuspectPrint(**item) for item in data["findings"])
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None


def _write_cache(key: str, found: tuple[SuspectPrint, ...]) -> None:
    """Store the findings atomically (a reader sees the old file or the whole new one); a folder
    that cannot be written only costs the scan next time."""
    import json
    import os
    from dataclasses import asdict

    path = _cache_file(key)
    staged = path.with_name(f"{path.name}.{os.getpid()}.partial")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        staged.write_text(json.dumps({"key": key, "findings": [asdict(s) for s in found]}),
                          encoding="utf-8")
        os.replace(staged, path)
    except OSError:
        with contextlib.suppress(OSError):
            staged.unlink(missing_ok=True)


@lru_cache(maxsize=64)
def _cached(root: str, series: str, bar: str, names: tuple[str, ...], key: str
            ) -> tuple[SuspectPrint, ...]:
    import feeds

    stored = _read_cache(key)
    if stored is not None:
        return stored
    frame = feeds.load(series, None, None, bar, root, check_quality=False)
    wanted = {name: (fields, kind) for name, fields, kind in REFERENCES[(series, bar)]}
    references = {name: (feeds.load(name, None, None, bar, root, check_quality=False),
                         *wanted[name]) for name in names}
    found = tuple(find(frame, series, bar, references))
    _write_cache(key, found)
    return found
