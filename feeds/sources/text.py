"""Reading an input file as text, refusing what is not a text table before any parsing."""

from __future__ import annotations

from pathlib import Path

from feeds.errors import DataError

# MOF's own downloads are Shift_JIS (cp932); everything else we have seen is UTF-8.
_ENCODINGS = ("utf-8-sig", "cp932")


def read_text(path: Path) -> str:
    """The file's text; one clear DataError for missing, empty, binary or undecodable files."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise DataError(f"{path}: is a directory; pass CSV files") from None
    except OSError as error:
        raise DataError(f"{path}: cannot read: {error.strerror}") from None
    if not data.strip():
        raise DataError(f"{path}: the file is empty; expected a CSV with a header row")
    if b"\x00" in data[:8192]:
        raise DataError(f"{path}: binary file (NUL bytes); expected a text CSV export")
    for encoding in _ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise DataError(f"{path}: not UTF-8 or Shift_JIS text; expected a CSV export")
