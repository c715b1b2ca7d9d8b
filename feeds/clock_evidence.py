"""Which clock an MT5 export used, told from its own bars.

MT5 brokers run their servers at UTC+2 in winter and UTC+3 in summer, but switch on different
dates: US DST dates (`ny-close`) or EU ones (`Europe/Athens`). The two readings differ by one
hour only in the mismatch weeks (about three weeks from the second Sunday of March, one week
from the last Sunday of October), so that is where the data can tell them apart. A scheduled
release moves prices at a known UTC instant: the FOMC statement at 14:00 New York
(feeds/calendar_events.toml). Under the right clock the hour after each statement is the one
with the wide range; under the wrong one the move lands an hour off. Each statement where the
candidate clocks pick different bars votes for the clock whose release hour moved most.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from feeds import clock as clocks

# A clock is "supported" when it wins at least this share of the statements that can tell.
MAJORITY = 2 / 3
_HOUR = pd.Timedelta(hours=1)


def fomc_statements() -> pd.DatetimeIndex:
    """The UTC instants of the scheduled FOMC statements 2016-2025, oldest first (the event
    calendar's, feeds/events.py)."""
    from feeds import events

    return events.fomc_statements()


@dataclass(frozen=True)
class ClockEvidence:
    named: str
    votes: tuple[tuple[str, int], ...]  # (clock, statements whose move it puts at release)
    telling: int                        # statements where the candidate clocks pick different bars

    @property
    def supported(self) -> str | None:
        """The clock most statements favour, if it wins at least MAJORITY of them."""
        if not self.telling:
            return None
        best, wins = max(self.votes, key=lambda vote: vote[1])
        return best if wins >= MAJORITY * self.telling else None

    def _wins(self, clock: str) -> int:
        return dict(self.votes).get(clock, 0)

    def summary(self) -> str:
        """One line for the manifest: what the release check found."""
        if not self.telling:
            return "clock check: no FOMC statement where the MT5 clocks differ"
        supported = self.supported
        if supported is None:
            shares = ", ".join(f"{c} {w}" for c, w in self.votes)
            return f"clock check: undecided ({shares} of {self.telling} FOMC statements)"
        return (f"clock check: {self._wins(supported)} of {self.telling} FOMC statements in the "
                f"US/EU DST mismatch weeks move in their release hour under {supported}")

    def warning(self) -> str | None:
        """One line when the data contradict the named clock, naming the clock they support."""
        supported = self.supported
        if supported is None or supported == self.named:
            return None
        return (f"clock {self.named} contradicts the data: {self._wins(supported)} of "
                f"{self.telling} FOMC statements in the US/EU DST mismatch weeks move in their "
                f"release hour under {supported} ({self._wins(self.named)} under {self.named}); "
                f"import with --clock {supported}")


def check(local: pd.DatetimeIndex, high: np.ndarray, low: np.ndarray, bar: pd.Timedelta,
          named: str, releases: pd.DatetimeIndex | None = None) -> ClockEvidence:
    """Weigh `named` against the MT5 clocks on naive server-time bars (labelled by their open).

    The release hour of a statement at T is every bar overlapping [T, T + 1 h); its range is the
    highest high minus the lowest low of those bars.
    """
    releases = fomc_statements() if releases is None else releases
    candidates = list(dict.fromkeys((named, *clocks.MT5_CLOCKS)))
    ranges = np.full((len(candidates), len(releases)), np.nan)
    for row, candidate in enumerate(candidates):
        utc = clocks.to_utc(local, candidate)
        valid = np.flatnonzero(~np.asarray(utc.isna()))
        valid = valid[np.argsort(utc.asi8[valid], kind="stable")]
        stamps = utc.asi8[valid]
        highs, lows = np.asarray(high)[valid], np.asarray(low)[valid]
        first = np.searchsorted(stamps, (releases - bar).asi8, side="right")
        last = np.searchsorted(stamps, (releases + _HOUR).asi8, side="left")
        for column in np.flatnonzero(last > first):
            window = slice(first[column], last[column])
            ranges[row, column] = highs[window].max() - lows[window].min()
    complete = ~np.isnan(ranges).any(axis=0)
    ranges = ranges[:, complete]
    best = ranges.max(axis=0) if ranges.size else np.array([])
    unique = (ranges == best).sum(axis=0) == 1
    winners = ranges[:, unique].argmax(axis=0)
    votes = tuple((candidate, int((winners == row).sum()))
                  for row, candidate in enumerate(candidates))
    return ClockEvidence(named, votes, int(unique.sum()))
