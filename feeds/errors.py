"""User-facing errors of the data layer.

Every problem a user can cause (a bad file, an unknown symbol, an option out of range, a damaged
store, a full disk) raises `DataError` with one line that names the file, row, series or option
and says what was expected. The CLI prints that line and exits non-zero; anything else is a bug
and keeps its traceback.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

# Errors quote at most this many characters of an offending value, so a 150 MB cell is not echoed.
EXCERPT_CHARACTERS = 40


class DataError(Exception):
    """A problem with input data or options that the user can fix."""


class QualityError(DataError):
    """A series has a blocking defect for the requested window."""


class BrokenSeries(DataError):
    """A stored series cannot be served as it is; `repair` is the command that rebuilds it."""

    def __init__(self, series: str, bar: str, reason: str, repair: str, info: object = None):
        self.series, self.bar, self.reason, self.repair = series, bar, reason, repair
        self.info = info  # the series' manifest (feeds.store.SeriesInfo) when it is readable
        super().__init__(f"{series} {bar} in the store is broken: {reason}; rebuild it with "
                         f"`{repair}`")


def excerpt(value: object, limit: int = EXCERPT_CHARACTERS) -> str:
    """`repr` of at most `limit` characters of `value`, marking what was cut."""
    text = str(value)
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit]!r}... ({len(text):,} characters)"


def nearest(name: str, choices: Iterable[str]) -> str:
    """A ' (did you mean X?)' hint for an unknown name, or '' when nothing is close."""
    match = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.5)
    if not match:
        match = [c for c in choices if c.lower() == name.lower()]
    return f" (did you mean {match[0]}?)" if match else ""
