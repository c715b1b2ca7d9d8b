"""The stationary bootstrap's index walk, numba-compiled (unwind.evidence.bootstrap draws the
random numbers and explains the rule). One pass per resample replaces numpy's five whole-array
passes (where, a running maximum, a gather, an add, a wrap) that took most of a ten-year
interval's time; the indices are the same numbers. Compiled once per machine and cached on
disk; imported only when a bootstrap runs, so commands that never resample do not load numba."""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True)
def stationary_indices(starts: np.ndarray, uniforms: np.ndarray,
                       probability: float) -> np.ndarray:
    """(resamples, length) indices: day 0 and each day whose uniform is below `probability`
    take that day's start; any other day takes the previous index plus one, wrapping from the
    last day to the first."""
    resamples, length = starts.shape
    indices = np.empty((resamples, length), dtype=np.int32)
    for row in range(resamples):
        index = starts[row, 0]
        indices[row, 0] = index
        for day in range(1, length):
            if uniforms[row, day] < probability:
                index = starts[row, day]
            else:
                index += 1
                if index == length:
                    index = 0
            indices[row, day] = index
    return indices
