"""A chart's scales as people read them: round ticks (linear, log, whole counts) and their
labels (USD without an offset, percent, multiples), each with the decimals its step needs.
Kept apart from `unwind.pages.charts`, which draws; the browser's zoom view (vendor/unwind-zoom.js)
writes its tick labels by the same rules."""

from __future__ import annotations

from functools import cache

import numpy as np


def _decimals(ticks: np.ndarray, scale: float = 1.0) -> int:
    """The fewest decimals (0 to 4) that write every tick exactly: 0.025 steps need three."""
    scaled = np.asarray(ticks, dtype=float) / scale
    for decimals in range(4):
        shifted = scaled * 10.0 ** decimals
        error = np.abs(shifted - np.round(shifted))   # np.allclose(rtol=0), without its cost
        if np.all((error <= 1e-6) | np.isinf(shifted)):
            return decimals
    return 4


def usd_labels(ticks: np.ndarray) -> list[str]:
    """USD as '1.02M', '980k' or '12,500', never with an offset such as 1e6."""
    largest = max((abs(v) for v in ticks), default=0.0)
    scale, suffix = (1e6, "M") if largest >= 1e6 else (1e3, "k") if largest >= 1e4 else (1.0, "")
    decimals = _decimals(ticks, scale)
    return [f"{v / scale:,.{decimals}f}{suffix}" for v in ticks]


def percent_labels(ticks: np.ndarray) -> list[str]:
    """A fraction shown as percent, with the decimals its tick spacing needs."""
    decimals = _decimals(ticks, 0.01)
    return [f"{v * 100:.{decimals}f}%" for v in ticks]


def plain_labels(ticks: np.ndarray) -> list[str]:
    decimals = _decimals(ticks)
    return [f"{v:,.{decimals}f}" for v in ticks]


def times_labels(ticks: np.ndarray) -> list[str]:
    """A multiple such as leverage: '0.25x', '0.5x', '1x' (the decimals each tick needs)."""
    return [f"{v:,.{_decimals(np.array([v]))}f}x" for v in ticks]


def price_text(value: float) -> str:
    """A price as quoted: thousands separators, no trailing zeros (ZN's 1/64ths survive)."""
    if not np.isfinite(value):
        return "n/a"
    return format(value, ",.5f").rstrip("0").rstrip(".")


def count_ticks(high: float, most: int = 6) -> np.ndarray:
    """Whole-number ticks from 0 for a count (days, trades): never 0.5 of one."""
    ticks = nice_ticks(0.0, max(float(high), 1.0), most)
    return ticks[np.isclose(ticks, np.round(ticks))]


def log_ticks(low: float, high: float, most: int) -> np.ndarray:
    """Ticks of a log axis over [low, high] (both > 0): 1, 2 and 5 times powers of ten, or
    powers of ten alone when those are too many; linear round ticks inside one decade."""
    powers = np.arange(np.floor(np.log10(low)), np.ceil(np.log10(high)) + 1)
    for multiples in ((1, 2, 5), (1,)):
        ticks = np.array([m * 10.0 ** k for k in powers for m in multiples])
        ticks = ticks[(ticks >= low * (1 - 1e-9)) & (ticks <= high * (1 + 1e-9))]
        if 2 <= len(ticks) <= most:
            return ticks
    return nice_ticks(low, high, most)


def nice_ticks(low: float, high: float, most: int) -> np.ndarray:
    """Round tick values inside [low, high]: steps of 1, 2, 2.5 or 5 times a power of ten, at
    most `most` of them."""
    if not (np.isfinite(low) and np.isfinite(high)) or high <= low:
        return np.array([low]) if np.isfinite(low) else np.array([])
    raw = (high - low) / max(most - 1, 1)
    power = 10.0 ** np.floor(np.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw * (1 - 1e-9))
    first = np.ceil(low / step - 1e-9) * step
    ticks = first + step * np.arange(int(np.floor((high - first) / step + 1e-9)) + 1)
    return np.where(np.abs(ticks) < step * 1e-9, 0.0, ticks)


# Pixel coordinates in tenths, -_TENTHS..+_TENTHS: the texts of the integers a path's points
# round to, made once (a ten-year page writes about a million numbers).
_TENTHS = 20_000


@cache
def _tenths_table() -> np.ndarray:
    return np.array([f"{'-' if n < 0 else ''}{abs(n) // 10}.{abs(n) % 10}"
                     for n in range(-_TENTHS, _TENTHS + 1)], dtype=object)


def tenths_texts(values: np.ndarray) -> np.ndarray:
    """`'%.1f' % value` of each value (an object array of str). A value ten times over is
    rounded in numpy and its text looked up; one whose tenfold lies within 1e-6 of a half (where
    the float product could round the other way from the exact value Python rounds), is out of
    the table or is not finite is formatted by Python."""
    values = np.asarray(values, dtype=float)
    tenfold = values * 10.0
    nearest = np.rint(tenfold)
    with np.errstate(invalid="ignore"):
        clear = (np.abs(tenfold - np.floor(tenfold) - 0.5) > 1e-6) & \
            (np.abs(nearest) <= _TENTHS)
    texts = _tenths_table()[np.where(clear, nearest, 0.0).astype(np.int64) + _TENTHS]
    texts[clear & (nearest == 0) & np.signbit(values)] = "-0.0"   # as Python writes -0.04
    unclear = np.flatnonzero(~clear)
    if len(unclear):
        texts[unclear] = ["%.1f" % value for value in values[unclear].tolist()]
    return texts
