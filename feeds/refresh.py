"""`unwind data fetch --update`: bring every Yahoo series the playbooks read up to today in one
call, from each series' last stored day (feeds/sources/yahoo.py does each download and its
cache). Offline, nothing is touched and one line names what could not be refreshed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from feeds import instruments
from feeds.errors import DataError
from feeds.store import Store

YAHOO_BARS = ("1m", "5m", "15m", "30m", "1h", "1d", "1w")


@dataclass(frozen=True)
class Refresh:
    fetched: list          # yahoo.FetchOutcome of each series refreshed or already current
    skipped: list[tuple[str, str, str]]   # (series, bar, why) not refreshed
    offline: bool = False

    def summary(self) -> str:
        """One line naming what could not be refreshed ('' when everything was)."""
        if not self.skipped:
            return ""
        names = ", ".join(f"{series} {bar}" for series, bar, _ in self.skipped)
        if self.offline:
            return f"offline: could not refresh {names}; the store is unchanged"
        return f"not refreshed: {names}"


def yahoo_series(read: set[tuple[str, str]]) -> list[tuple[str, str]]:
    """Of the (series, bar) pairs `read` (the playbooks', strategies.series_read), those Yahoo
    serves."""
    return sorted((series, bar) for series, bar in read
                  if bar in YAHOO_BARS and instruments.get(series.split("@")[0]).yahoo)


def refresh(store: Store, pairs: list[tuple[str, str]], transport=None,
            today: dt.date | None = None, deadline: float = 60.0) -> Refresh:
    """Fetch each of `pairs` from its last stored day to `today`. A series imported from a
    file is not overwritten (yahoo.fetch refuses it; its reason is kept)."""
    from feeds.sources import yahoo

    transport = transport or yahoo.YfinanceTransport()
    if not transport.reachable():
        return Refresh([], [(s, b, "offline") for s, b in pairs], offline=True)
    fetched, skipped = [], []
    for series, bar in pairs:
        info = store.info(series, bar)
        start = info.last[:10] if info is not None else None
        try:
            fetched.append(yahoo.fetch(series, store, start=start, bar=bar,
                                       transport=transport, today=today, deadline=deadline))
        except DataError as error:
            skipped.append((series, bar, str(error)))
    return Refresh(fetched, skipped)
