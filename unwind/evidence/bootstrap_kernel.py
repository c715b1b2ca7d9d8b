"""The stationary bootstrap's index walk and each resample's moments, numba-compiled
(unwind.evidence.bootstrap draws the random numbers and explains the rule).

One pass per resample replaces numpy's whole-array passes: the walk (a `where`, a running
maximum, a gather, an add, a wrap) and, for the intervals, the gather of a (resamples, days)
matrix and a pass over it per statistic. The numbers are the same to the bit: the walk gives the
same indices, and the sums are numpy's own pairwise summation (`_pairwise_sum`), so a moment
equals what `ndarray.sum`, `mean` and `std` return on the gathered row (tests compare them).
Compiled once per machine and cached on disk; imported only when a bootstrap runs, so commands
that never resample do not load numba."""

from __future__ import annotations

import numba
import numpy as np


# numpy's pairwise summation: below 8 values a plain loop, up to 128 eight running sums, above
# that the halves (cut at a multiple of 8) summed apart (numpy/_core/src/umath/loops_utils.h.src)
_UNROLL, _BLOCK = 8, 128


@numba.njit(cache=True)
def _walk(starts: np.ndarray, uniforms: np.ndarray, probability: float,
          out: np.ndarray) -> None:
    """One resample's indices into `out`: day 0 and each day whose uniform is below
    `probability` take that day's start; any other day takes the previous index plus one,
    wrapping from the last day to the first."""
    length = len(out)
    index = starts[0]
    out[0] = index
    for day in range(1, length):
        if uniforms[day] < probability:
            index = starts[day]
        else:
            index += 1
            if index == length:
                index = 0
        out[day] = index


@numba.njit(cache=True)
def stationary_indices(starts: np.ndarray, uniforms: np.ndarray,
                       probability: float) -> np.ndarray:
    """(resamples, length) indices of the walk (`_walk`), one row per resample."""
    resamples, length = starts.shape
    indices = np.empty((resamples, length), dtype=np.int32)
    for row in range(resamples):
        _walk(starts[row], uniforms[row], probability, indices[row])
    return indices


@numba.njit(cache=True)
def _block_sum(values: np.ndarray, start: int, count: int) -> float:
    """numpy's sum of at most _BLOCK values: a plain loop below 8, else 8 running sums."""
    if count < _UNROLL:
        total = 0.0
        for i in range(count):
            total += values[start + i]
        return total
    r0, r1, r2, r3 = values[start], values[start + 1], values[start + 2], values[start + 3]
    r4, r5, r6, r7 = values[start + 4], values[start + 5], values[start + 6], values[start + 7]
    limit = count - count % _UNROLL
    i = _UNROLL
    while i < limit:
        at = start + i
        r0 += values[at]
        r1 += values[at + 1]
        r2 += values[at + 2]
        r3 += values[at + 3]
        r4 += values[at + 4]
        r5 += values[at + 5]
        r6 += values[at + 6]
        r7 += values[at + 7]
        i += _UNROLL
    total = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < count:
        total += values[start + i]
        i += 1
    return total


@numba.njit(cache=True)
def _pairwise_sum(values: np.ndarray, start: int, count: int) -> float:
    """The sum of values[start:start + count] as numpy's add.reduce forms it: over _BLOCK
    values, the first half (cut at a multiple of 8) plus the second, each summed the same way.
    numpy recurses; this walks the same halves with a stack (numba's on-disk cache does not
    hold recursive functions reliably: a cached recursive sum crashed a later process)."""
    if count <= _BLOCK:
        return 0.0 + _block_sum(values, start, count)   # numpy adds to its identity: -0.0 -> 0.0
    starts = np.empty(64, dtype=np.int64)     # 2^64 values would need 64 levels
    counts = np.empty(64, dtype=np.int64)
    lefts = np.empty(64)                      # a level's first half, once summed
    has_left = np.zeros(64, dtype=np.bool_)
    depth, starts[0], counts[0] = 0, start, count
    while True:
        if counts[depth] > _BLOCK:            # descend into the first half
            half = counts[depth] // 2
            half -= half % _UNROLL
            starts[depth + 1], counts[depth + 1] = starts[depth], half
            has_left[depth + 1] = False
            depth += 1
            continue
        value = _block_sum(values, starts[depth], counts[depth])
        depth -= 1
        while depth >= 0 and has_left[depth]:   # second halves done: add them to their firsts
            value = lefts[depth] + value
            depth -= 1
        if depth < 0:
            return 0.0 + value
        lefts[depth], has_left[depth] = value, True   # a first half done: now its second
        half = counts[depth] // 2
        half -= half % _UNROLL
        starts[depth + 1], counts[depth + 1] = starts[depth] + half, counts[depth] - half
        has_left[depth + 1] = False
        depth += 1


@numba.njit(cache=True)
def _moments(row: np.ndarray, scratch: np.ndarray) -> tuple[float, float, float, float]:
    """(sum, sum of squared deviations from the mean, product of 1 + r, largest |r|) of `row`,
    each formed as numpy forms `row.sum()`, `row.var(ddof=d) * (n - d)`, `np.prod(1.0 + row)`
    (a running product) and `max(row.max(), -row.min())`."""
    count = len(row)
    total = _pairwise_sum(row, 0, count)
    mean = total / count
    growth, high, low = 1.0, row[0], row[0]
    for day in range(count):
        value = row[day]
        deviation = value - mean
        scratch[day] = deviation * deviation
        growth *= 1.0 + value
        high = max(high, value)
        low = min(low, value)
    return total, _pairwise_sum(scratch, 0, count), growth, max(high, -low)


@numba.njit(cache=True)
def resampled_moments(returns: np.ndarray, starts: np.ndarray, uniforms: np.ndarray,
                      probability: float, sums_only: bool = False) -> tuple:
    """The moments (`_moments`) of each resample of `returns`, walked as `stationary_indices`
    walks them, without holding the resamples: four arrays (sums, squared deviations, growths,
    largest moves), one value per resample. With `sums_only` (a mean is all that is asked) the
    other three are NaN: they cost as much again as the walk and the sum."""
    resamples, length = starts.shape
    sums, squares = np.empty(resamples), np.full(resamples, np.nan)
    growths, largest = np.full(resamples, np.nan), np.full(resamples, np.nan)
    indices = np.empty(length, dtype=np.int32)
    row, scratch = np.empty(length), np.empty(length)
    for number in range(resamples):
        _walk(starts[number], uniforms[number], probability, indices)
        for day in range(length):
            row[day] = returns[indices[day]]
        if sums_only:
            sums[number] = _pairwise_sum(row, 0, length)
        else:
            sums[number], squares[number], growths[number], largest[number] = \
                _moments(row, scratch)
    return sums, squares, growths, largest


@numba.njit(cache=True)
def row_moments(rows: np.ndarray) -> tuple:
    """The moments (`_moments`) of each row of `rows`, as `resampled_moments` returns them."""
    count = rows.shape[0]
    sums, squares = np.empty(count), np.empty(count)
    growths, largest = np.empty(count), np.empty(count)
    scratch = np.empty(rows.shape[1])
    for number in range(count):
        sums[number], squares[number], growths[number], largest[number] = \
            _moments(np.ascontiguousarray(rows[number]), scratch)
    return sums, squares, growths, largest
