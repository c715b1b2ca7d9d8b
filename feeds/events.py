"""Dated events that are not prices: the event calendar (feeds/calendar_events.toml).

One sourced catalogue, one entry per event: Bank of Japan policy meetings and their decisions,
FOMC statements and decisions, and the Ministry of Finance's yen interventions. Everything that
reads events reads it here: boj_hike_long_yen (`boj_decisions`, `boj_hikes`), the MT5 clock check
(`fomc_statements`), `unwind list events`, `unwind now` and the charts (`between`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

import pandas as pd

from feeds.errors import DataError

CALENDAR = Path(__file__).with_name("calendar_events.toml")
KINDS = ("boj", "fomc", "mof")
# The clock check was measured on the scheduled statements of these years (feeds/clock_evidence).
CLOCK_CHECK_YEARS = (2016, 2025)


@dataclass(frozen=True)
class Event:
    """One dated event. `date` is the decision's local date (Tokyo: boj, mof; New York: fomc)."""

    date: str
    kind: str
    what: str
    decision: str
    source: str
    time: str = ""              # fomc: New York wall clock of the statement ("" = 14:00)
    rate: float | None = None   # boj: policy rate decided; fomc: top of the target range (%)
    scheduled: bool = True

    def to_json(self) -> dict:
        return {"date": self.date, "kind": self.kind, "what": self.what,
                "decision": self.decision, "source": self.source}

    def label(self) -> str:
        """One line for a tooltip or a list: date, kind and what was decided."""
        told = self.decision or "decision not catalogued"
        return f"{self.date} {self.kind.upper()}: {self.what}; {told}"

    @cached_property
    def instant(self) -> pd.Timestamp:
        """When the decision was public (UTC): an FOMC statement at its New York time, a BOJ
        decision around midday Tokyo (03:00 UTC), an intervention at the end of its Tokyo day.
        Made once per event (a time-zone conversion; every page asks for its events')."""
        if self.kind == "fomc":
            return pd.Timestamp(f"{self.date} {self.time or '14:00'}",
                                tz="America/New_York").tz_convert("UTC")
        hour = "03:00" if self.kind == "boj" else "23:59"
        return pd.Timestamp(f"{self.date} {hour}", tz="UTC")


@lru_cache(maxsize=2)
def catalogue(path: Path = CALENDAR) -> tuple[Event, ...]:
    """Every event of the calendar, in date order (BOJ before FOMC before MOF on one date)."""
    from feeds.filesystem import read_catalogue

    what = "event calendar"
    try:
        raw = read_catalogue(path, what)["event"]
        found = []
        for row, item in enumerate(raw, start=1):
            if item["kind"] not in KINDS:
                raise ValueError(f"event {row}: kind {item['kind']!r} is not one of {KINDS}")
            pd.Timestamp(item["date"])   # a bad date fails here, named by its row
            found.append(Event(item["date"], item["kind"], item["what"], item["decision"],
                               item["source"], item.get("time", ""), item.get("rate"),
                               bool(item.get("scheduled", True))))
    except (KeyError, TypeError, ValueError) as error:
        raise DataError(f"{path}: cannot read the {what}: {error}") from None
    return tuple(sorted(found, key=lambda event: (event.date, KINDS.index(event.kind))))


def events(kinds: tuple[str, ...] = KINDS, start: str | None = None, end: str | None = None,
           path: Path = CALENDAR) -> list[Event]:
    """The events of `kinds` dated start..end (inclusive ISO dates; None: unbounded)."""
    return [event for event in catalogue(path) if event.kind in kinds
            and (start is None or event.date >= start) and (end is None or event.date <= end)]


def ends(path: Path = CALENDAR) -> dict[str, str]:
    """The last date of each kind in the calendar: where it stops knowing."""
    last: dict[str, str] = {}
    for event in catalogue(path):
        last[event.kind] = max(last.get(event.kind, ""), event.date)
    return last


@lru_cache(maxsize=1)
def boj_decisions(path: Path = CALENDAR) -> pd.Series:
    """The policy rate decided (percent) on each BOJ decision date that carries one (00:00 UTC
    labels, as daily bars of Tokyo dates), oldest first."""
    rates = {pd.Timestamp(event.date, tz="UTC"): float(event.rate)
             for event in catalogue(path) if event.kind == "boj" and event.rate is not None}
    return pd.Series(rates, name="boj_policy_rate", dtype=float).sort_index()


def boj_hikes(path: Path = CALENDAR) -> pd.Series:
    """The decisions that raised the policy rate: date -> the rise in percentage points."""
    rates = boj_decisions(path)
    change = rates.diff()
    return change[change > 0]


@lru_cache(maxsize=2)
def fomc_statements(path: Path = CALENDAR) -> pd.DatetimeIndex:
    """The UTC instants of the scheduled FOMC statements of CLOCK_CHECK_YEARS, oldest first: the
    releases the MT5 clock check counts (feeds/clock_evidence.py)."""
    first, last = CLOCK_CHECK_YEARS
    return pd.DatetimeIndex(sorted(
        event.instant for event in catalogue(path) if event.kind == "fomc" and event.scheduled
        and first <= int(event.date[:4]) <= last))
