"""Reading an input file as text, refusing what is not a text table before any parsing.

The checks run while the file is read, in 1 MiB chunks: a FIFO or device is refused before it is
read (it could block forever or never end), and a line longer than any CSV row of prices is
refused as soon as it is seen, so a 150 MB field costs one chunk of memory, not gigabytes.
"""

from __future__ import annotations

import codecs
import os
import re
from pathlib import Path

from feeds.filesystem import kind_of
from feeds.errors import DataError, excerpt

# MOF's own downloads are Shift_JIS (cp932); everything else we have seen is UTF-8. UTF-16 (with
# or without a byte-order mark) is what Excel's "Unicode text" export writes.
_ENCODINGS = ("utf-8-sig", "cp932")
# The largest raw file is 3.7 MB (ten years of hourly bars); a 1 GiB CSV is better split into
# parts, which one import joins.
MAX_FILE_BYTES = 1 << 30
# A row of prices is under 200 bytes and the widest header (MOF, 16 columns) about 150; 10,000
# bytes leaves room for any real export and stops a runaway field long before it costs memory.
MAX_LINE_BYTES = 10_000
_CHUNK_BYTES = 1 << 20
_LINE_BREAK = re.compile(rb"(\r\n|\r|\n)")


def read_text(path: Path) -> str:
    """The file's text; one clear DataError for missing, non-regular, empty, oversized, binary or
    undecodable files, and for lines too long to be a CSV row."""
    data = _read_bytes(path)
    if not data.strip():
        raise DataError(f"{path}: the file is empty; expected a CSV with a header row")
    encoding = _utf16(data)
    if encoding:
        try:
            return data.decode(encoding).lstrip("\ufeff")
        except UnicodeDecodeError:
            raise DataError(f"{path}: looks like UTF-16 text but does not decode as {encoding}; "
                            "save it as UTF-8") from None
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        raise DataError(f"{path}: UTF-32 text; save it as UTF-8")
    if b"\x00" in data[:8192]:
        raise DataError(f"{path}: binary file (NUL bytes); expected a text CSV export")
    for encoding in _ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise DataError(f"{path}: not UTF-8, UTF-16 or Shift_JIS text; expected a CSV export")


def _utf16(data: bytes) -> str | None:
    """The UTF-16 codec `data` is written in, from its byte-order mark or (without one) from the
    zero high bytes of mostly-ASCII text; None for anything else."""
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    sample = data[:8192]
    sample = sample[:len(sample) // 2 * 2]
    if len(sample) < 4:
        return None
    even_zeros = sample[0::2].count(0) / (len(sample) / 2)
    odd_zeros = sample[1::2].count(0) / (len(sample) / 2)
    if odd_zeros > 0.7 and even_zeros < 0.1:
        return "utf-16-le"
    if even_zeros > 0.7 and odd_zeros < 0.1:
        return "utf-16-be"
    return None


def check_regular_file(path: Path) -> None:
    """Refuse what is not a regular file, without opening it (a FIFO would block the open)."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except OSError as error:
        raise DataError(f"{path}: cannot read: {error.strerror}") from None
    kind = kind_of(mode)
    if kind == "a directory":
        raise DataError(f"{path}: is a directory; pass CSV files")
    if kind is not None:
        raise DataError(f"{path}: is {kind}, not a regular file; save the data to a CSV file "
                        "and import that")


def _read_bytes(path: Path) -> bytes:
    check_regular_file(path)
    try:
        # O_NONBLOCK: should the path have become a FIFO since the check, the open cannot block
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as error:
        raise DataError(f"{path}: cannot read: {error.strerror}") from None
    with os.fdopen(descriptor, "rb") as handle:
        kind = kind_of(os.fstat(handle.fileno()).st_mode)
        if kind is not None:   # replaced since the check
            raise DataError(f"{path}: is {kind}, not a regular file; pass CSV files")
        lines = _LineLengths(path)
        chunks = []
        total = 0
        while chunk := handle.read(_CHUNK_BYTES):
            total += len(chunk)
            if total > MAX_FILE_BYTES:
                raise DataError(f"{path}: larger than {MAX_FILE_BYTES:,} bytes; split it into "
                                "parts and import them together")
            lines.feed(chunk)
            chunks.append(chunk)
    return b"".join(chunks)


class _LineLengths:
    """Refuses the first line longer than MAX_LINE_BYTES while the file streams past."""

    def __init__(self, path: Path):
        self.path = path
        self.line = 1  # number of the line in progress (a CR LF pair ends one line)
        self.length = 0  # its bytes so far
        self.head = b""  # its first bytes, for the error
        self.after_cr = False  # the previous chunk ended with CR (its LF may start this one)

    def feed(self, chunk: bytes) -> None:
        parts = _LINE_BREAK.split(chunk)
        for position, part in enumerate(parts):
            if position % 2:  # a line break
                if not (position == 1 and parts[0] == b"" and self.after_cr and part == b"\n"):
                    self.line += 1
                self.length, self.head = 0, b""
                continue
            if not self.head:
                self.head = part[:80]
            self.length += len(part)
            if self.length > MAX_LINE_BYTES:
                shown = excerpt(self.head.decode("utf-8", "replace").replace("\x00", ""))
                raise DataError(f"{self.path}: line {self.line} is over {MAX_LINE_BYTES:,} bytes "
                                f"long (starts {shown}); not a CSV row of prices")
        self.after_cr = chunk.endswith(b"\r")
