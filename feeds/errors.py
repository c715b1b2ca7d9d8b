"""User-facing errors of the data layer.

Every problem a user can cause (a bad file, an unknown symbol, an option out of range) raises
`DataError` with one line that names the file, row or option and says what was expected. The CLI
prints that line and exits non-zero; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class DataError(Exception):
    """A problem with input data or options that the user can fix."""


class QualityError(DataError):
    """A series has a blocking defect for the requested window."""


def nearest(name: str, choices: Iterable[str]) -> str:
    """A ' (did you mean X?)' hint for an unknown name, or '' when nothing is close."""
    match = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.5)
    if not match:
        match = [c for c in choices if c.lower() == name.lower()]
    return f" (did you mean {match[0]}?)" if match else ""
