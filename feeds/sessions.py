"""Session tags for intraday bars, in UTC and DST-aware.

The FX and metals convention (EPISODE-FACTS.md): Asia is Tokyo 09:00-18:00 (00:00-09:00 UTC, no
DST); London is 08:00-17:00 London time (08-17 UTC in winter, 07-16 UTC in summer); New York is
08:00-17:00 New York time (13-22 UTC in winter, 12-21 UTC in summer). A bar is tagged by its open
time, and overlaps carry both flags, so `tag & ASIA` asks "is this an Asian-session bar?".

The metals day (`metals_blocks`) splits the same clock into two blocks for playbooks that compare
sessions: the Asian block runs from the metals open (18:00 New York: 22:00 UTC in US summer,
23:00 UTC in winter, Sydney's morning) to Tokyo's close at 09:00 UTC, so it holds the Asia tag's
hours (00-09 UTC) plus the Sydney hours before Tokyo opens; the West block (Europe and New York)
runs from 09:00 UTC to the 17:00 New York close. Both definitions end Asia at TOKYO_CLOSE_UTC.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

ASIA, LONDON, NEW_YORK = 1, 2, 4
# Tokyo's session ends at 18:00 Tokyo = 09:00 UTC (Japan keeps no DST).
TOKYO_CLOSE_UTC = 9
# The metals (and FX) day ends at 17:00 New York; the next one opens at 18:00.
METALS_CLOSE_NEW_YORK = 17
_SESSIONS = ((ASIA, "Asia/Tokyo", 9, 18), (LONDON, "Europe/London", 8, 17),
             (NEW_YORK, "America/New_York", 8, 17))
NAMES = {0: "off", ASIA: "asia", LONDON: "london", NEW_YORK: "new_york",
         ASIA | LONDON: "asia+london", LONDON | NEW_YORK: "london+new_york"}


def tag(index: pd.DatetimeIndex) -> np.ndarray:
    """Session flags (int8) for bars opening at each UTC time in `index`."""
    flags = np.zeros(len(index), dtype=np.int8)
    for flag, zone, start, end in _SESSIONS:
        local_hour = index.tz_convert(zone)
        minutes = local_hour.hour * 60 + local_hour.minute
        flags |= np.where((minutes >= start * 60) & (minutes < end * 60), flag, 0).astype(np.int8)
    return flags


def label(flags: np.ndarray) -> list[str]:
    """Readable names for session flags, e.g. 'asia+london'."""
    return [NAMES.get(int(f), "+".join(n for b, n in NAMES.items() if b in (1, 2, 4) and f & b))
            for f in flags]


def metals_blocks(index: pd.DatetimeIndex) -> pd.DataFrame:
    """Per hourly bar of a UTC `index`: its metals trading day, whether it is in the West block
    (else the Asian one), and whether it is its block's last bar by the clock (the 08:00 UTC and
    16:00 New York bars), so a decision at that bar's close uses nothing later.

    A trading day is named by the date it ends on: Monday's Asian block starts at the Sunday open.
    """
    new_york = index.tz_convert("America/New_York")
    shifted = new_york.tz_localize(None) + pd.Timedelta(hours=24 - METALS_CLOSE_NEW_YORK)
    west = (index.hour >= TOKYO_CLOSE_UTC) & (new_york.hour < METALS_CLOSE_NEW_YORK)
    last = (index.hour == TOKYO_CLOSE_UTC - 1) | (new_york.hour == METALS_CLOSE_NEW_YORK - 1)
    return pd.DataFrame({"trading_day": shifted.normalize(), "west": west, "last": last},
                        index=index)
