"""Suspect prints: a traded price checked against the store's other sources of the same exposure.

The quality gate checks each series alone and cannot see an open of 765.25 in spot gold on a day
COMEX gold opened 0.7% up. Here each bar of a traded series is compared with its references
(REFERENCES: spot vs future, a note vs its bond and the yield, an index future vs another and
its cash index, one FX pair from several brokers), bar by bar, on the open's move from the previous close
and on the close's move:

    residual = move of the series - beta x move of the reference

with beta the reference's trailing regression slope (1 for the same price from two sources, about
0.5 for the 10-year note on the bond, a negative duration on a yield change in percentage
points). A print is suspect when its residual is beyond K typical residuals (the median absolute
residual of the trailing WINDOW bars, scaled to a standard deviation) against every independent
reference with a bar that day (a reference printing the series' own closes is a copy, not a
source), the series is the one whose move was out of its habit (two sources that part do not
say which is wrong), *and* it reverts:
- an open reverts when the same bar's close agrees with the references again;
- a close reverts when the next bar's close undoes the disagreement.
A roll of a continuous future or a change of basis moves the level and stays; it is not a print.

Where no reference has a bar that day the open (the fill price) is checked alone: an open
outside its own bar's low..high is suspect (a close outside it is the quality gate's `ohlc`
finding). Neighbour spikes are not flagged alone: the store's crises hold real one-bar V moves
(USDJPY 1h at the MOF interventions of 2022-10-21 and 2024-04-29, HSI on 1997-10-28) that no
rule on one series can tell from a bad print.

K = 8, FLOOR = 0.25 and WINDOW = 250 bars, measured on the real store (`make import-raw`;
`bench/suspect_prints.py`): the four bad opens of issue 19 (XAUUSD 2008-10-13 and 2008-10-27, GC
2013-04-18, ZN 2020-03-17) lie 10 to 23 typical residuals out; K = 12 misses GC's (10.1), K = 8
finds all four and flags against a reference 6 of 5,209 XAUUSD daily bars, 24 of 6,395 GC, 8 of
6,385 ZN, 1 of 6,423 NQ and 4 of 5,436 USDJPY. FLOOR puts the least disagreement at two typical
daily moves of the series (K x FLOOR).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

K = 8.0
FLOOR = 0.25
WINDOW = 250
COPY_SHARE = 0.5
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
REFERENCES: dict[tuple[str, str], tuple[tuple[str, str], ...]] = {
    ("XAUUSD", "1d"): (("XAUUSD@fxtrading", "open close"), ("XAUUSD@simom1", "open close"),
                       ("GC", "open")),
    ("GC", "1d"): (("XAUUSD", "open"), ("XAUUSD@fxtrading", "open"), ("XAUUSD@simom1", "open")),
    ("XAUUSD", "1h"): (("XAUUSD@simom1", "open close"), ("XAUUSD@budimanlai", "open close")),
    ("ZN", "1d"): (("ZB", "open close"), ("ZF", "open close"), ("UST10Y", "close")),
    ("ZB", "1d"): (("ZN", "open close"), ("UST30Y", "close")),
    ("NQ", "1d"): (("ES", "open close"), ("NDX", "close"), ("QQQ", "close")),
    ("USDJPY", "1d"): (("USDJPY@fxtrading", "open close"), ("USDJPY@simom1", "open close")),
    ("USDJPY", "1h"): (),
    ("HSI", "1d"): (),
}


@dataclass(frozen=True)
class SuspectPrint:
    """One price the references contradict (or a lone spike where there are none)."""

    series: str
    bar: str
    time: str          # the bar's label (UTC ISO)
    field: str         # "open" or "close"
    value: float
    expected: float    # the price the reference's move implies (the neighbours', for a spike)
    reference: str     # the reference series that contradicts it, or "own neighbours"
    residual_sigmas: float

    def to_json(self) -> dict:
        return {"series": self.series, "bar": self.bar, "time": self.time, "field": self.field,
                "value": self.value, "expected": round(self.expected, 6),
                "reference": self.reference, "residual_sigmas": round(self.residual_sigmas, 1)}

    def message(self) -> str:
        return (f"{self.time[:16]} {self.field} {self.value:g}: {self.reference} implies "
                f"{self.expected:.6g} ({self.residual_sigmas:.0f} typical residuals)")


def _moves(frame: pd.DataFrame) -> pd.DataFrame:
    """Open move (open / previous close - 1) and close move (close / previous close - 1)."""
    previous = frame["close"].shift(1)
    return pd.DataFrame({"open": frame["open"] / previous - 1,
                         "close": frame["close"] / previous - 1}, index=frame.index)


def _yield_moves(frame: pd.DataFrame) -> pd.DataFrame:
    """A yield's change in percentage points (it has no open worth comparing)."""
    change = frame["close"].diff()
    return pd.DataFrame({"open": np.nan, "close": change}, index=frame.index)


def _trailing_scale(values: pd.Series) -> pd.Series:
    """The typical size of `values` over the WINDOW bars before each bar, as a standard
    deviation (robust: a bad print does not widen its own band)."""
    scale = values.abs().rolling(WINDOW, min_periods=MIN_HISTORY).median().shift(1)
    return scale * _MAD_TO_SIGMA


def _trailing_beta(series: pd.Series, reference: pd.Series) -> pd.Series:
    both = pd.concat([series, reference], axis=1).dropna()
    covariance = both.iloc[:, 0].rolling(WINDOW, min_periods=MIN_HISTORY).cov(both.iloc[:, 1])
    beta = (covariance / both.iloc[:, 1].rolling(WINDOW, min_periods=MIN_HISTORY).var()).shift(1)
    return beta.reindex(series.index)


@dataclass
class _Comparison:
    """One field of the series against one reference, on the series' index."""

    residual: pd.Series    # signed: the series' move minus the reference's implied move
    scale: pd.Series       # typical absolute residual before each bar
    implied: pd.Series     # the move the reference implies
    usable: pd.Series      # the reference had a bar and there is enough history
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


def _compare(moves: pd.DataFrame, reference_moves: pd.DataFrame, fields: str,
             independent: pd.Series | None, k: float) -> dict[str, _Comparison]:
    """Both fields against one reference. One scale per pair, from the close residuals, so a
    roll gap (in the open's and the close's move alike) is over or under it in both; floored at
    FLOOR of the series' own typical close move, so two brokers' near-identical quotes do not
    make a tick's difference a finding."""
    aligned = reference_moves.reindex(moves.index)
    beta = _trailing_beta(moves["close"], aligned["close"])
    implied_close = beta * aligned["close"]
    scale = np.maximum(_trailing_scale(moves["close"] - implied_close),
                       FLOOR * _trailing_scale(moves["close"]))
    out = {}
    for field in ("open", "close"):
        trusted = field in fields.split()
        implied = beta * aligned[field] if trusted else pd.Series(np.nan, index=moves.index)
        residual = moves[field] - implied
        usable = residual.notna() & scale.notna() & (scale > 0)
        out[field] = _Comparison(residual, scale, implied,
                                 usable if independent is None else usable & independent,
                                 _unusual(moves[field]), _unusual(aligned[field]), k)
    return out


def _unusual(move: pd.Series) -> pd.Series:
    """A move in typical moves of its own kind (the open's gap, the close-to-close move)."""
    return move.abs() / _trailing_scale(move.dropna()).reindex(move.index)


def _copied(frame: pd.DataFrame, reference: pd.DataFrame) -> pd.Series:
    """Bars where the reference is the same feed under another name: it printed the series'
    exact close on more than COPY_SHARE of the trailing WINDOW common bars (XAUUSD@simom1's
    daily bars are Pepperstone's in 2007-2011, bad opens included): no second source there."""
    closes = reference["close"].reindex(frame.index)
    same = pd.Series(np.isclose(frame["close"], closes, rtol=1e-9, atol=0.0),
                     index=frame.index).where(closes.notna())
    return same.rolling(WINDOW, min_periods=1).mean().fillna(0.0) > COPY_SHARE


def _contradicted(comparisons: list[_Comparison], index: pd.DatetimeIndex) -> pd.Series:
    """Every reference with a usable bar disagrees, and there is at least one."""
    disagree = pd.Series(False, index=index)
    agree = pd.Series(False, index=index)
    for comparison in comparisons:
        disagree |= comparison.disagrees
        agree |= comparison.agrees
    return disagree & ~agree


def _close_reverts(comparisons: list[_Comparison], index: pd.DatetimeIndex) -> pd.Series:
    """The next close undoes the disagreement: with some reference, the two bars' residuals
    have opposite signs and sum to within K typical residuals."""
    reverts = pd.Series(False, index=index)
    for comparison in comparisons:
        following = comparison.residual.shift(-1)
        reverts |= (comparison.usable & comparison.usable.shift(-1, fill_value=False)
                    & (np.sign(following) == -np.sign(comparison.residual))
                    & ((comparison.residual + following).abs()
                       <= comparison.k * comparison.scale))
    return reverts


def find(frame: pd.DataFrame, series: str, bar: str,
         references: dict[str, tuple[pd.DataFrame, str, bool]], k: float = K
         ) -> list[SuspectPrint]:
    """Suspect prints of `frame` (series, bar) given its references' frames:
    {name: (frame, trusted fields, is_yield)}; `k` typical residuals make a disagreement."""
    if len(frame) < MIN_HISTORY + 2:
        return []
    moves = _moves(frame)
    compared = {name: _compare(moves, _yield_moves(ref) if is_yield else _moves(ref), fields,
                               ~_copied(frame, ref) if not is_yield else None, k)
                for name, (ref, fields, is_yield) in references.items()}
    closes = [by_field["close"] for by_field in compared.values()]
    close_contradicted = _contradicted(closes, frame.index)
    found: list[SuspectPrint] = []
    for field in ("open", "close"):
        comparisons = {name: by_field[field] for name, by_field in compared.items()}
        contradicted = _contradicted(list(comparisons.values()), frame.index)
        reverts = ~close_contradicted if field == "open" else \
            _close_reverts(closes, frame.index)
        for position in np.flatnonzero((contradicted & reverts).to_numpy()):
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
    """The finding, naming the reference with the largest residual."""
    name, comparison = max(comparisons.items(), key=lambda item: np.nan_to_num(
        item[1].sigmas.where(item[1].usable).iloc[position]))
    previous_close = frame["close"].iloc[position - 1]
    return SuspectPrint(series, bar, frame.index[position].isoformat(), field,
                        float(frame[field].iloc[position]),
                        float(previous_close * (1 + comparison.implied.iloc[position])), name,
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
                        "its own high/low", float("nan"))


def suspect_prints(store, series: str, bar: str) -> list[SuspectPrint]:
    """The suspect prints of a stored series over its whole history (cached per process by the
    content of the series and its references)."""
    from feeds.store import Store

    store = store if isinstance(store, Store) else Store(store)
    wanted = REFERENCES.get((series, bar))
    if wanted is None:
        return []
    names = tuple(name for name, _ in wanted if store.info(name, bar) is not None)
    hashes = tuple(store.info(name, bar).data_sha256 for name in (series,) + names)
    return list(_cached(str(store.root), series, bar, names, hashes))


@lru_cache(maxsize=64)
def _cached(root: str, series: str, bar: str, names: tuple[str, ...],
            hashes: tuple[str, ...]) -> tuple[SuspectPrint, ...]:
    import feeds
    from feeds import instruments

    del hashes   # the cache key: the same bytes give the same findings
    frame = feeds.load(series, None, None, bar, root, check_quality=False)
    fields = dict(REFERENCES[(series, bar)])
    references = {}
    for name in names:
        reference = feeds.load(name, None, None, bar, root, check_quality=False)
        is_yield = instruments.get(name.split("@")[0]).kind == "yield"
        references[name] = (reference, fields[name], is_yield)
    return tuple(find(frame, series, bar, references))
