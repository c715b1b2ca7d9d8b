"""The quality gate: what is wrong with a series, and whether it is too wrong to trade on.

Each check returns a `Finding` with a severity. An `error` blocks a backtest over the window that
contains it (unless the user overrides); a `warning` is reported and the run goes on. The reason
for each threshold is next to it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from feeds import calendars, sanity
from feeds.bars import BARS, is_intraday, midnights
from feeds.instruments import Instrument
from feeds.manifest import Repair

ERROR, WARNING = "error", "warning"
# Share checks are judged per calendar year, so a bad stretch is not averaged away by good decades.
# Over 5% of a year's bars inconsistent means open/high/low/close do not describe the same bar
# (Yahoo futures 2003-2008, Yahoo FX snapshots); a few bad prints are only reported.
OHLC_ERROR_SHARE = 0.05
# When most bars of a year are flat the series is close-only there: highs and lows are unknown.
FLAT_ERROR_SHARE = 0.5
# "Open equals Close on most days" (Yahoo FX 2022-2025): fills at the open would be fiction.
# Reported once it covers 10% of moving bars; an error in any year where it passes half.
OPEN_CLOSE_REPORT_SHARE = 0.1
OPEN_CLOSE_ERROR_SHARE = 0.5
# A hole longer than two trading weeks cannot be bridged by any playbook's indicators.
LONGEST_GAP_ERROR_SESSIONS = 10
# Intraday days with less than half their hours are "thin"; more than 20% thin days means the
# file is not really at this bar size (e.g. one row a day in an hourly export).
THIN_DAY_COVERAGE = 0.5
THIN_DAYS_ERROR_SHARE = 0.2
_EXAMPLES = 5


@dataclass(frozen=True)
class Finding:
    check: str
    severity: str
    count: int
    message: str
    examples: tuple[str, ...] = ()

    def to_json(self) -> dict:
        return {**self.__dict__, "examples": list(self.examples)}


@dataclass(frozen=True)
class Report:
    series: str
    bar: str
    rows: int
    first: str
    last: str
    findings: tuple[Finding, ...] = field(default_factory=tuple)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == ERROR]

    def to_json(self) -> dict:
        return {"series": self.series, "bar": self.bar, "rows": self.rows, "first": self.first,
                "last": self.last, "ok": not self.errors,
                "findings": [f.to_json() for f in self.findings]}


def _stamps(index: pd.Index, mask: np.ndarray) -> tuple[str, ...]:
    return tuple(pd.Timestamp(t).isoformat() for t in index[mask][:_EXAMPLES])


def check(frame: pd.DataFrame, instrument: Instrument, bar: str, close_only: bool,
          series: str | None = None, repairs: tuple[Repair, ...] = ()) -> Report:
    """Run every check on `frame` (canonical columns; the index may be unsorted or repeat).
    `repairs` (the manifest's) mark rows an import repaired: they count as they did before."""
    findings: list[Finding] = []
    index = frame.index
    rows = len(frame)
    if rows == 0:
        return Report(series or instrument.symbol, bar, 0, "", "",
                      (Finding("empty", ERROR, 0, "no bars in the window"),))
    duplicated = np.asarray(index.duplicated())
    if duplicated.any():
        findings.append(Finding("duplicates", ERROR, int(duplicated.sum()),
                                f"{duplicated.sum()} repeated timestamps",
                                _stamps(index, duplicated)))
    backwards = np.r_[False, np.diff(index.asi8) < 0]
    if backwards.any():
        findings.append(Finding("unsorted", ERROR, int(backwards.sum()),
                                f"{backwards.sum()} rows earlier than the row before",
                                _stamps(index, backwards)))
    prices = sanity.price_columns(frame)
    non_finite = ~np.isfinite(prices).all(axis=1)
    if non_finite.any():
        findings.append(Finding("non_finite", ERROR, int(non_finite.sum()),
                                f"{non_finite.sum()} bars with an empty or infinite price",
                                _stamps(index, non_finite)))
    if not instrument.allows_non_positive:
        bad = (prices <= 0).any(axis=1)
        if bad.any():
            findings.append(Finding("non_positive", ERROR, int(bad.sum()),
                                    f"{bad.sum()} bars with a zero or negative price",
                                    _stamps(index, bad)))
    if not (duplicated.any() or backwards.any() or non_finite.any()):
        # what import refuses (feeds.sanity), re-checked here: a store imported before those
        # rules, or a download, cannot bring a 1e308 close or a swapped high/low to a run
        findings += [Finding(problem.check, ERROR, int(problem.rows.sum()),
                             f"{_count(int(problem.rows.sum()), 'bar')} that no market prints; "
                             "the first at "
                             f"{index[problem.position].isoformat()}: {problem.first}",
                             _stamps(index, problem.rows))
                     for problem in sanity.problems(frame, instrument, bar)]
    if not close_only:
        repaired = sanity.repaired_rows(index, repairs) if repairs and \
            index.is_monotonic_increasing else np.zeros(rows, dtype=bool)
        findings += _ohlc_checks(frame, prices, repaired, repairs)
    findings += _gap_checks(frame, instrument, bar)
    return Report(series or instrument.symbol, bar, rows, index.min().isoformat(),
                  index.max().isoformat(), tuple(findings))


def _yearly(index: pd.DatetimeIndex, mask: np.ndarray, base: np.ndarray, threshold: float
            ) -> list[tuple[int, float]]:
    """(year, share) for every calendar year where `mask` covers more than `threshold` of `base`."""
    years = pd.Series(index.year, index=range(len(index)))
    share = pd.Series(mask & base).groupby(years).sum() / pd.Series(base).groupby(years).sum()
    return [(int(y), float(v)) for y, v in share.items() if v > threshold]


def _share_finding(check: str, frame: pd.DataFrame, mask: np.ndarray, base: np.ndarray,
                   threshold: float, what: str) -> Finding:
    """A finding that is an error when some year's share of `mask` exceeds `threshold`."""
    bad_years = _yearly(frame.index, mask, base, threshold)
    share = mask.sum() / max(base.sum(), 1)
    message = f"{what} on {mask.sum()} bars ({share:.1%})"
    if bad_years:
        worst = max(bad_years, key=lambda item: item[1])
        message += (f"; over {threshold:.0%} of a year's bars in "
                    f"{', '.join(str(y) for y, _ in bad_years)} (worst {worst[0]}: {worst[1]:.0%})")
    return Finding(check, ERROR if bad_years else WARNING, int(mask.sum()), message,
                   _stamps(frame.index, mask))


def _ohlc_checks(frame: pd.DataFrame, prices: np.ndarray, repaired: np.ndarray,
                 repairs: tuple[Repair, ...]) -> list[Finding]:
    """Widening high and low at import (--repair-ohlc) makes a bar consistent, not right: the
    repaired rows still count here, so a year they dominate stays blocked as before the repair."""
    findings = []
    open_, high, low, close = prices.T
    every = np.ones(len(frame), dtype=bool)
    inconsistent = sanity.outside_high_low(frame)
    if inconsistent.any() or repaired.any():
        finding = _share_finding("ohlc_inconsistent", frame, inconsistent | repaired, every,
                                 OHLC_ERROR_SHARE, "high/low do not bracket open and close")
        if repaired.any():
            flags = ", ".join(sorted({repair.flag for repair in repairs}))
            finding = replace(finding, message=f"{finding.message}; {repaired.sum()} of them "
                              f"widened at import by `{flags}` (consistent now, not right)")
        findings.append(finding)
    flat = (open_ == high) & (high == low) & (low == close)
    if flat.any():
        findings.append(_share_finding("flat_bars", frame, flat, every, FLAT_ERROR_SHARE,
                                       "open = high = low = close (flat bars)"))
    moving = ~flat
    open_is_close = moving & (open_ == close)
    if open_is_close.sum() > OPEN_CLOSE_REPORT_SHARE * max(moving.sum(), 1):
        findings.append(_share_finding(
            "open_equals_close", frame, open_is_close, moving, OPEN_CLOSE_ERROR_SHARE,
            "open equals close (a broken open, as in Yahoo FX 2022-2025)"))
    return findings


def _gap_checks(frame: pd.DataFrame, instrument: Instrument, bar: str) -> list[Finding]:
    index = frame.index.sort_values().unique()
    if len(index) < 2 or BARS[bar] > BARS["1d"] or instrument.kind == "event":
        return []   # events (meeting dates) have no calendar to miss
    dates = calendars.trading_dates(index, instrument) if is_intraday(bar) else _midnights(index)
    expected = calendars.sessions(instrument.calendar, dates[0], dates[-1])
    findings = []
    if len(expected):
        # the sessions are sorted and unique, so the missing ones are those whose midnight no
        # bar has, found on the nanoseconds (Index.difference and get_indexer cost 0.1 ms a window)
        position = np.flatnonzero(~np.isin(expected.as_unit("ns").asi8,
                                           dates.as_unit("ns").asi8))
        missing = expected[position]
        if len(missing):
            runs = np.split(position, np.flatnonzero(np.diff(position) != 1) + 1)
            longest = max(runs, key=len)
            start, end = expected[longest[0]], expected[longest[-1]]
            findings.append(Finding(
                "gaps", ERROR if len(longest) > LONGEST_GAP_ERROR_SESSIONS else WARNING,
                len(missing), f"{_count(len(missing), 'session')} of the {instrument.calendar} "
                f"calendar without a bar; longest run {_count(len(longest), 'session')} "
                f"({start.date()}..{end.date()})",
                tuple(d.date().isoformat() for d in missing[:_EXAMPLES])))
    if is_intraday(bar):
        findings += _thin_days(dates, instrument, bar)
    return findings


def _midnights(index: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """The naive midnight of each bar's UTC date: `index.tz_localize(None).normalize()`, taken
    on the integers for a nanosecond UTC index (pandas' normalize also infers a frequency, which
    cost the gate 0.1 ms a window; the dates are only compared here)."""
    if str(index.tz) not in ("UTC", "None") or index.unit != "ns" or index.hasnans:
        return index.tz_localize(None).normalize()
    return pd.DatetimeIndex(midnights(index.asi8).view("datetime64[ns]"), name=index.name)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _thin_days(dates: pd.DatetimeIndex, instrument: Instrument, bar: str) -> list[Finding]:
    """Trading dates holding less than half the bars a full day should have."""
    per_day = pd.Series(1, index=dates).groupby(level=0).sum()
    full_day = calendars.session_hours(instrument) * pd.Timedelta(hours=1) / BARS[bar]
    inner = per_day.iloc[1:-1]  # the first and last day of a file are often partial
    thin = inner[inner < THIN_DAY_COVERAGE * full_day]
    if thin.empty:
        return []
    share = len(thin) / max(len(inner), 1)
    return [Finding(
        "thin_days", ERROR if share > THIN_DAYS_ERROR_SHARE else WARNING, len(thin),
        f"{_count(len(thin), 'trading day')} ({share:.1%}) with under half of their {full_day:.0f} "
        f"{bar} bars", tuple(d.date().isoformat() for d in thin.index[:_EXAMPLES]))]
