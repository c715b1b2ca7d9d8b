"""Futures rolls: when a trader rolls each contract, when a stored continuous series changes
contract, and how far it jumped when it did.

Two dates per contract cycle, both computed from the registry's `roll` rule on the exchange
calendar (never typed in):

- the **roll date**: the trader's roll, by the exchange convention the rule names (GC, ZN, ZB
  two exchange sessions before first notice, so a long never enters the delivery window; NQ, ES
  and YM eight calendar days before expiry, CME's equity-index roll date, so a closure such as
  2004-06-11 does not move it; HSI the session before expiry). A position held
  across it pays both legs' fee and slippage.
- the **switch**: where Yahoo's continuous series (`GC=F`, `NQ=F`, `ZN=F`) moves to the next
  contract. Measured on 2009-2026 data it is the session after the expiring contract's last
  trading day, and the last trading day's own close is often stale (the expiring NQ stops at the
  9:30 ET special opening quotation, ZN at 12:01 CT), so the jump is spread over two sessions:
  the **switch span** runs from the close of the session before expiry to the close of the
  session after it.

Gap estimate. Over the switch span, the futures' move that its reference does not explain:
  price reference (NQ vs NDX, GC vs spot XAUUSD):   gap = F1 - F0 x R1 / R0
  yield reference (ZN vs UST10Y, ZB vs UST30Y):     gap = (F1 - F0) - beta x (y1 - y0)
with F0, R0, y0 the closes before the span and F1, R1, y1 at its end; beta (points per
percentage point, about minus price x duration) is the least-squares slope of daily futures
moves on daily yield changes over the 250 sessions before the span, outside switch spans. The
method's error is the same two-session residual on those sessions, days without a switch:
`noise` = 1.4826 x their median absolute value (as a fraction of price), a robust standard
deviation (fat tails would inflate a plain one). Measured on 2009-2026: NQ against the NDX
0.05-0.3% (the NDX closes at 16:00 New York, NQ settles at 15:00 Chicago, the same instant),
GC against spot gold sampled at the 13:30 New York settlement 0.1-0.2% (0.3% against the daily
17:00 close), ZN against the 10-year yield about 0.1%, ZB against the 30-year about 0.2%. A gap is **applied** only
when |gap / F0| >= `GAP_Z` x noise; below that it cannot be told from the reference's own
noise and the series is treated as continuous there (the manifest lists every estimate, its z,
and whether it was applied). Applied gaps are rounded to the contract tick.

Back-adjustment without look-ahead: P&L and decisions read `raw - offset`, where `offset` is the
sum of the gaps applied at switches up to and including the bar (anchored at the first loaded
bar, so a value at bar t uses nothing after t). Differences of that series are the market's
move; its level differs from the printed price by `offset`, which the engine adds back when it
reports fills.

That level depends on where the loaded history starts, so a percentage of it (a return, a
volatility) would too: two runs over windows with different starts would disagree about one
decision. Percentages read the contract's own return instead, the adjusted move over the
printed close before it, through `ratio_adjusted`: closes whose bar-to-bar ratios are those
returns. A later start only rescales that series by a constant, which no ratio sees; each
ratio uses only the gap at its own bar (no look-ahead).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from feeds import calendars
from feeds.bars import DAY_NS
from feeds.errors import DataError
from feeds.instruments import Instrument, RollRule

# Apply a gap estimate at or beyond this many noise standard deviations (2: a switch without a
# real gap is adjusted by mistake about 5% of the time under normal noise).
GAP_Z = 2.0
# Sessions of history behind each noise and beta estimate, and the fewest usable.
HISTORY_SESSIONS = 250
MIN_SESSIONS = 60
MONTH_CODES = "FGHJKMNQUVXZ"


def _sessions(rule_calendar: str, first: pd.Timestamp, last: pd.Timestamp) -> pd.DatetimeIndex:
    """Session dates (naive) on the calendar; weekdays before the calendar's first session."""
    sessions = calendars.sessions(rule_calendar, first, last)
    begins = sessions[0] if len(sessions) else last + pd.Timedelta(days=1)
    early = pd.bdate_range(first.normalize(), min(last, begins - pd.Timedelta(days=1)))
    return early.append(sessions) if len(early) else sessions


def _month_sessions(sessions: pd.DatetimeIndex, year: int, month: int) -> pd.DatetimeIndex:
    return sessions[(sessions.year == year) & (sessions.month == month)]


def _on_or_before(sessions: pd.DatetimeIndex, day: pd.Timestamp) -> pd.Timestamp:
    return sessions[sessions <= day][-1]


def expiry(rule: RollRule, sessions: pd.DatetimeIndex, year: int, month: int) -> pd.Timestamp:
    """Last trading day of the contract for `month` of `year` under `rule.expiry`."""
    days = _month_sessions(sessions, year, month)
    if rule.expiry == "third_friday":
        first = pd.Timestamp(year, month, 1)
        friday = first + pd.Timedelta(days=(4 - first.weekday()) % 7 + 14)
        return _on_or_before(sessions, friday)
    if rule.expiry == "two_business_days_before_third_wednesday":
        first = pd.Timestamp(year, month, 1)
        wednesday = first + pd.Timedelta(days=(2 - first.weekday()) % 7 + 14)
        return sessions[sessions < wednesday][-2]
    offset = {"last_business_day": 1, "business_day_before_last": 2,
              "third_last_business_day": 3, "seventh_business_day_before_last": 8}[rule.expiry]
    return days[-offset]


def first_notice(sessions: pd.DatetimeIndex, year: int, month: int) -> pd.Timestamp:
    """First notice day of a physically delivered contract: the last business day of the month
    before the contract month (CME Group rule for COMEX metals and CBOT Treasuries)."""
    before = pd.Timestamp(year, month, 1) - pd.Timedelta(days=1)
    return _month_sessions(sessions, before.year, before.month)[-1]


def _roll_date(rule: RollRule, sessions: pd.DatetimeIndex, anchor: pd.Timestamp) -> pd.Timestamp:
    """The trader's roll: `roll_days` exchange sessions before `anchor`, or the last session on
    or before `roll_days` calendar days before it (a closure in between does not move it)."""
    if not rule.roll_days:
        return anchor
    if rule.roll_count == "calendar_days":
        return _on_or_before(sessions, anchor - pd.Timedelta(days=rule.roll_days))
    return sessions[sessions < anchor][-rule.roll_days]


@dataclass(frozen=True)
class Cycle:
    """One contract of the roll cycle: its month, last trading day, the trader's roll date and
    the switch span of the continuous series (None when the series is a cash-index proxy)."""

    contract: str           # e.g. "NQZ2025"
    expiry: dt.date
    roll: dt.date
    switch_start: dt.date | None   # the session before expiry: the span's base close
    switch_end: dt.date | None     # the session after expiry: where the gap is applied


# Each contract's Cycle, by its instrument's symbol, calendar and roll rule, its year and month
# code, and the calendar's sessions within 40 days of its month's first day (all its dates
# read): the cells of a scorecard, whose windows overlap, compute each contract once per
# process instead of once per cell.
_CONTRACTS: dict[tuple, tuple[Cycle, list[int]]] = {}


def cycles(instrument: Instrument, first: pd.Timestamp, last: pd.Timestamp) -> list[Cycle]:
    """Every contract of `instrument`'s roll cycle whose roll or switch falls in first..last."""
    rule = instrument.roll
    if rule is None:
        raise DataError(f"{instrument.symbol} has no roll rule in the registry")
    sessions = _sessions(instrument.calendar, first - pd.Timedelta(days=100),
                         last + pd.Timedelta(days=130))
    # the dates compared as naive nanoseconds since the epoch (what pd.Timestamp(...).value
    # gives for a naive midnight): no Timestamp built per contract
    pad = pd.Timedelta(days=40).value  # a contract's roll, expiry and switch lie within 40 days
    days = sessions.asi8
    low, high = pd.Timestamp(first).value, pd.Timestamp(last).value
    out = []
    for year in range(first.year - 1, last.year + 2):
        for code in rule.months:
            month = MONTH_CODES.index(code) + 1
            start = _nanoseconds(dt.date(year, month, 1))
            if start - pad < days[0] or start + pad > days[-1]:
                continue
            near = days[days.searchsorted(start - pad):
                        days.searchsorted(start + pad, side="right")]
            key = (instrument.symbol, instrument.calendar, rule, year, code, near.tobytes())
            found = _CONTRACTS.get(key)
            if found is None:
                cycle = _contract(instrument, sessions, year, code)
                dates = [cycle.roll] + ([cycle.switch_end] if cycle.switch_end is not None
                                        else [])
                found = _CONTRACTS[key] = (cycle, [_nanoseconds(day) for day in dates])
            cycle, instants = found
            if any(low <= instant <= high for instant in instants):
                out.append(cycle)
    return sorted(out, key=lambda c: c.roll)


_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()


def _nanoseconds(day: dt.date) -> int:
    """A date's naive midnight in nanoseconds since the epoch."""
    return (day.toordinal() - _EPOCH_ORDINAL) * DAY_NS


def _contract(instrument: Instrument, sessions: pd.DatetimeIndex, year: int,
              code: str) -> Cycle:
    """The Cycle of `instrument`'s contract for month `code` of `year` on `sessions`."""
    rule = instrument.roll
    month = MONTH_CODES.index(code) + 1
    last_trade = expiry(rule, sessions, year, month)
    anchor = first_notice(sessions, year, month) if rule.roll == "first_notice" else last_trade
    roll = _roll_date(rule, sessions, anchor)
    switch_start = switch_end = None
    if rule.series == "after_expiry":
        switch_start = sessions[sessions < last_trade][-1]
        switch_end = sessions[sessions > last_trade][0]
    return Cycle(f"{instrument.symbol}{code}{year}", last_trade.date(), roll.date(),
                 switch_start and switch_start.date(), switch_end and switch_end.date())


@dataclass(frozen=True)
class Gap:
    """The estimated jump of a continuous series at one switch, in price points."""

    contract: str
    date: dt.date            # the switch span's last session: the bar the gap is applied on
    start: dt.date           # the close the span is measured from
    reference: str | None    # the series the estimate comes from (None: none covers the span)
    estimate: float | None   # price points (None without a reference or history)
    noise: float | None      # robust std of the two-session residual, fraction of price
    z: float | None
    applied: float           # price points removed from P&L at this switch (0 if not applied)

    def to_json(self) -> dict:
        def number(value):
            return None if value is None else round(float(value), 6)
        return {"contract": self.contract, "date": self.date.isoformat(),
                "from_close_of": self.start.isoformat(), "reference": self.reference,
                "estimate_points": number(self.estimate), "noise_fraction": number(self.noise),
                "z": number(self.z), "applied_points": number(self.applied)}


def reference_values(frame: pd.DataFrame, bar: str, instrument: Instrument) -> pd.Series:
    """A reference series as one value per trading date (naive), the date's own close for a
    daily series; an intraday one sampled at the roll rule's `reference_at` (local time of
    `instrument`): the mean of the closes just before and just after that instant (one close
    when a bar closes exactly then), NaN when either is more than one bar away."""
    from feeds.bars import BARS, is_intraday

    if not is_intraday(bar):
        return pd.Series(frame["close"].to_numpy(), index=frame.index.tz_localize(None))
    at = dt.time.fromisoformat(instrument.roll.reference_at)
    dates = pd.DatetimeIndex(frame.index.tz_convert(instrument.timezone).normalize()
                             .tz_localize(None).unique())
    instants = (dates + pd.Timedelta(hours=at.hour, minutes=at.minute)).tz_localize(
        instrument.timezone, ambiguous=False, nonexistent="shift_forward").tz_convert("UTC")
    closes = pd.Series(frame["close"].to_numpy(), index=frame.index + BARS[bar])
    position = closes.index.searchsorted(instants, side="right")
    before = np.clip(position - 1, 0, len(closes) - 1)
    after = np.clip(position - (closes.index[before] == instants), 0, len(closes) - 1)
    near = (np.abs(closes.index[before] - instants) <= BARS[bar]) & \
        (np.abs(closes.index[after] - instants) <= BARS[bar])
    values = (closes.to_numpy()[before] + closes.to_numpy()[after]) / 2
    return pd.Series(np.where(near, values, np.nan), index=dates).dropna()


def _span_estimate(futures: pd.Series, reference: pd.Series, kind: str, clean: np.ndarray,
                   start: int, end: int) -> tuple[float, float, float]:
    """(gap in points, noise as a fraction of price, beta) for the span from position `start`
    to `end` of `futures` (the reference already on its dates), from the `HISTORY_SESSIONS`
    sessions before `start` that `clean` allows: beta by least squares of daily futures moves
    on yield changes (yield references), the noise from the two-session residuals with that
    beta. NaN when fewer than `MIN_SESSIONS` sessions are usable."""
    window = slice(max(0, start - HISTORY_SESSIONS), start + 1)
    price = futures.to_numpy()[window]
    level = reference.to_numpy()[window]
    usable = clean[window][1:]
    moves = np.diff(price)
    if kind == "price":
        beta = np.nan
        unexplained = moves - price[:-1] * (level[1:] / level[:-1] - 1)
    else:
        changes = np.diff(level)
        ok = usable & ~np.isnan(moves) & ~np.isnan(changes)
        if ok.sum() < MIN_SESSIONS or not np.var(changes[ok]) > 0:
            return np.nan, np.nan, np.nan
        x, y = changes[ok], moves[ok]
        beta = float(np.sum((x - x.mean()) * (y - y.mean())) / np.sum((x - x.mean()) ** 2))
        unexplained = moves - beta * changes
    fraction = unexplained / price[:-1]
    two_sessions = np.abs(fraction[1:] + fraction[:-1])
    two_ok = usable[1:] & usable[:-1] & ~np.isnan(two_sessions)
    if two_ok.sum() < MIN_SESSIONS:
        return np.nan, np.nan, beta
    noise = 1.4826 * float(np.median(two_sessions[two_ok]))
    f0, f1 = futures.iloc[start], futures.iloc[end]
    r0, r1 = reference.iloc[start], reference.iloc[end]
    estimate = f1 - f0 * r1 / r0 if kind == "price" else (f1 - f0) - beta * (r1 - r0)
    return float(estimate), noise, beta


def estimate_gaps(instrument: Instrument, futures: pd.Series,
                  references: dict[str, pd.Series], first: pd.Timestamp) -> list[Gap]:
    """Gaps of `futures` (daily closes, naive trading dates) at every switch from `first` on,
    each from the first reference in the rule's order that covers the span.

    Each estimate reads the span's closes and the `HISTORY_SESSIONS` sessions before it (the
    engine loads that much history before a run), nothing later; switches with less usable
    history are listed without an estimate.
    """
    rule = instrument.roll
    if rule is None or rule.series != "after_expiry" or futures.empty:
        return []
    index = futures.index
    every = cycles(instrument, index[0], index[-1])
    # the dates compared as naive nanoseconds (the index's own integers when it is a naive
    # nanosecond DatetimeIndex, as the engine passes it; pandas' comparisons otherwise)
    plain = isinstance(index, pd.DatetimeIndex) and index.tz is None and index.unit == "ns"
    stamps = index.asi8 if plain else index
    def at(day: dt.date):
        return _nanoseconds(day) if plain else pd.Timestamp(day)
    in_span = np.zeros(len(index), dtype=bool)
    for cycle in every:
        if cycle.switch_start is not None:
            in_span |= (stamps > at(cycle.switch_start)) & (stamps <= at(cycle.switch_end))
    onto = {name: series.reindex(index.union(series.index)).ffill().reindex(index)
            for name, series in references.items()}
    week = pd.Timedelta(days=7).value if plain else pd.Timedelta(days=7)
    gaps = []
    for cycle in every:
        if cycle.switch_end is None or not first <= pd.Timestamp(cycle.switch_end) <= index[-1]:
            continue
        # the span on the series' own sessions: a holiday of the reference's exchange (Yahoo
        # skips them) moves its ends to the nearest sessions the series has
        last_trade = at(cycle.expiry)
        before, after = np.flatnonzero(stamps < last_trade), np.flatnonzero(stamps > last_trade)
        if not len(before) or not len(after) or stamps[after[0]] > at(cycle.switch_end) + week:
            continue
        start, end = before[-1], after[0]
        gap = Gap(cycle.contract, index[end].date(), index[start].date(), None, None, None,
                  None, 0.0)
        for name, reference in onto.items():
            if np.isnan(reference.iloc[start]) or np.isnan(reference.iloc[end]):
                continue
            estimate, noise, _ = _span_estimate(futures, reference, rule.reference_kind,
                                                ~in_span, start, end)
            if np.isnan(estimate) or not noise > 0:
                continue
            z = estimate / futures.iloc[start] / noise
            applied = round(round(estimate / instrument.tick_size) * instrument.tick_size, 10) \
                if abs(z) >= GAP_Z else 0.0
            gap = Gap(cycle.contract, index[end].date(), index[start].date(), name, estimate,
                      noise, float(z), applied)
            break
        gaps.append(gap)
    return gaps


def offsets(trading_dates: pd.DatetimeIndex, gaps: list[Gap],
            anchor: pd.Timestamp) -> np.ndarray:
    """The amount to subtract from the printed price at each bar (bars labelled by their naive
    trading date) so the series is continuous: the gaps applied at switches up to and including
    the bar's date, counted from `anchor` (zero on the anchor's date; before it, minus the gaps
    between the bar and the anchor)."""
    total = np.zeros(len(trading_dates))
    for gap in gaps:
        if gap.applied:
            switch = pd.Timestamp(gap.date)
            total += np.where(trading_dates >= switch, gap.applied, 0.0) - \
                (gap.applied if anchor >= switch else 0.0)
    return total


def ratio_adjusted(printed_close: pd.Series, offsets: np.ndarray) -> pd.Series:
    """Closes whose bar-to-bar ratios are the contract's own returns: (printed - gap at the bar)
    / the printed close before it, the gap being the step of `offsets` there. The level is the
    printed close up to the first gap, then scaled at each gap, so a series with no gap is
    returned unchanged; percentages of it do not depend on the offsets' anchor."""
    printed = printed_close.to_numpy(dtype=float)
    steps = np.diff(np.asarray(offsets, dtype=float), prepend=offsets[0] if len(offsets) else 0)
    if not steps.any():
        return printed_close.copy()
    factors = np.ones(len(printed))
    at = np.flatnonzero(steps)
    factors[at] = (printed[at] - steps[at]) / printed[at]
    return pd.Series(printed * np.cumprod(factors), index=printed_close.index,
                     name=printed_close.name)
