"""Session tags for intraday bars, in UTC and DST-aware.

The FX and metals convention (EPISODE-FACTS.md): Asia is Tokyo 09:00-18:00 (00:00-09:00 UTC, no
DST); London is 08:00-17:00 London time (08-17 UTC in winter, 07-16 UTC in summer); New York is
08:00-17:00 New York time (13-22 UTC in winter, 12-21 UTC in summer). A bar is tagged by its open
time, and overlaps carry both flags, so `tag & ASIA` asks "is this an Asian-session bar?".
"""

from __future__ import annotations

import numpy as np
import pandas as pd

ASIA, LONDON, NEW_YORK = 1, 2, 4
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
