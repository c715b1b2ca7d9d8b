"""Multiple testing: what the best of many trials is worth once the search is counted.

The deflated Sharpe ratio (Bailey & Lopez de Prado, "The Deflated Sharpe Ratio: Correcting for
Selection Bias, Backtest Overfitting and Non-Normality", Journal of Portfolio Management 40(5),
2014). Sharpe ratios here are per period (daily, not annualised), as in the paper:

    SR0 = sqrt(V) x ((1 - g) x Z^-1(1 - 1/N) + g x Z^-1(1 - 1/(N e)))
    DSR = Z( (SR - SR0) x sqrt(T - 1) / sqrt(1 - skew x SR + (kurtosis - 1) / 4 x SR^2) )

with N the number of trials, V the variance of their Sharpe ratios, g the Euler-Mascheroni
constant, Z the standard normal distribution, and SR, T, skew and kurtosis (not excess: 3 for a
normal) the Sharpe ratio, the number of returns and their third and fourth standardised moments
of the trial chosen as the best. SR0 is the Sharpe ratio the best of N trials without skill is
expected to show; DSR is the probability that the chosen trial's true Sharpe ratio is above it
(0.95 and more is the paper's bar).

The probability of backtest overfitting (Bailey, Borwein, Lopez de Prado & Zhu, "The
Probability of Backtest Overfitting", Journal of Computational Finance 20(4), 2017) by
combinatorially symmetric cross-validation (CSCV): the T x N matrix of the trials' returns is
cut into S blocks of consecutive rows; for each of the C(S, S/2) ways to choose half the blocks
as in-sample, the trial with the best in-sample Sharpe ratio is found, and its out-of-sample
Sharpe ratio ranked among all N (rank 1 = worst; ties share the average rank):
w = rank / (N + 1), logit = ln(w / (1 - w)). PBO is the share of splits whose logit is at or
below 0: the in-sample winner did no better than the median trial out of sample.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import asdict, dataclass

import numpy as np

EULER_GAMMA = 0.5772156649015329
# The paper's suggestion: 16 blocks (12,870 splits) when there are at least 16 trials.
PBO_BLOCKS = 16
MIN_PBO_TRIALS = 16


def _normal_cdf(x: float) -> float:
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def _normal_quantile(p: float) -> float:
    from scipy.stats import norm

    return float(norm.ppf(p))


def expected_maximum_sharpe(variance: float, trials: int) -> float:
    """SR0: the expected largest per-period Sharpe ratio of `trials` trials without skill
    whose Sharpe ratios vary with `variance` (0 for a single trial)."""
    if trials <= 1:
        return 0.0
    return math.sqrt(variance) * ((1 - EULER_GAMMA) * _normal_quantile(1 - 1 / trials) +
                                  EULER_GAMMA * _normal_quantile(1 - 1 / (trials * math.e)))


def probabilistic_sharpe(sharpe: float, benchmark: float, observations: int, skewness: float,
                         kurtosis: float) -> float | None:
    """PSR: the probability that the true per-period Sharpe ratio exceeds `benchmark`, given
    `observations` returns with `skewness` and `kurtosis` (3 = normal); None when the
    estimate's variance is not positive or there are fewer than 2 returns."""
    spread = 1 - skewness * sharpe + (kurtosis - 1) / 4 * sharpe ** 2
    if observations < 2 or not spread > 0:
        return None
    return _normal_cdf((sharpe - benchmark) * math.sqrt(observations - 1) / math.sqrt(spread))


@dataclass(frozen=True)
class DeflatedSharpe:
    """The deflated Sharpe ratio of the best trial and every number it is built from."""

    deflated_sharpe: float | None
    sharpe: float                  # the best trial's, per period
    expected_maximum: float        # SR0, per period
    sharpe_variance: float         # V, per period squared
    trials: int                    # N
    observations: int              # T
    skewness: float
    kurtosis: float
    note: str = ""

    def to_json(self) -> dict:
        return {key: (None if isinstance(value, float) and not math.isfinite(value) else value)
                for key, value in asdict(self).items()}


def deflated_sharpe(sharpe: float, sharpe_variance: float, trials: int, observations: int,
                    skewness: float, kurtosis: float) -> DeflatedSharpe:
    """DSR of a per-period Sharpe ratio `sharpe` chosen as the best of `trials` trials whose
    per-period Sharpe ratios have variance `sharpe_variance`."""
    benchmark = expected_maximum_sharpe(sharpe_variance, trials)
    value = probabilistic_sharpe(sharpe, benchmark, observations, skewness, kurtosis)
    note = "" if value is not None else \
        "undefined: fewer than 2 returns, or 1 - skew x SR + (kurtosis - 1)/4 x SR^2 <= 0"
    return DeflatedSharpe(value, sharpe, benchmark, sharpe_variance, trials, observations,
                          skewness, kurtosis, note)


def moments(returns: np.ndarray) -> tuple[float, float, float]:
    """(Sharpe ratio with the sample deviation, skewness, kurtosis) of per-period returns;
    the moments are the plain (biased) standardised moments."""
    returns = np.asarray(returns, dtype=float)
    deviation = returns.std(ddof=1) if len(returns) > 1 else 0.0
    sharpe = float(returns.mean() / deviation) if deviation > 0 else 0.0
    centred = returns - returns.mean()
    second = float(np.mean(centred ** 2))
    if second <= 0:
        return sharpe, 0.0, 3.0
    return sharpe, float(np.mean(centred ** 3) / second ** 1.5), \
        float(np.mean(centred ** 4) / second ** 2)


def of_trials(best_returns: np.ndarray, trial_sharpes: np.ndarray) -> DeflatedSharpe:
    """The deflated Sharpe ratio of the best trial (its per-period returns) among trials whose
    per-period Sharpe ratios are `trial_sharpes` (sample variance, ddof 1)."""
    sharpes = np.asarray(trial_sharpes, dtype=float)
    sharpe, skewness, kurtosis = moments(best_returns)
    variance = float(sharpes.var(ddof=1)) if len(sharpes) > 1 else 0.0
    return deflated_sharpe(sharpe, variance, len(sharpes), len(best_returns), skewness,
                           kurtosis)


# ----------------------------------------------------------------------------------- CSCV
@dataclass(frozen=True)
class Overfitting:
    """PBO by CSCV and what it rests on."""

    probability: float
    splits: int
    blocks: int
    rows_per_block: int
    rows_dropped: int           # the oldest rows that do not fill a block
    trials: int
    median_logit: float

    def to_json(self) -> dict:
        return asdict(self)


def _ranks(values: np.ndarray, chosen: np.ndarray) -> np.ndarray:
    """Rank (1 = worst, ties averaged) of values[k, chosen[k]] within each row k."""
    picked = values[np.arange(len(values)), chosen][:, None]
    below = (values < picked).sum(axis=1)
    tied = (values == picked).sum(axis=1)
    return below + (tied + 1) / 2.0


def _sharpes(sums: np.ndarray, squares: np.ndarray, count: int) -> np.ndarray:
    mean = sums / count
    variance = (squares - count * mean ** 2) / (count - 1)
    deviation = np.sqrt(np.clip(variance, 0.0, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(deviation > 1e-15, mean / deviation, 0.0)


def probability_of_overfitting(returns: np.ndarray, blocks: int = PBO_BLOCKS,
                               chunk: int = 512) -> Overfitting:
    """PBO of the trials whose per-period returns are the columns of `returns` (T x N), with
    `blocks` blocks (even); the oldest T mod blocks rows are left out so the blocks are
    equal."""
    matrix = np.asarray(returns, dtype=float)
    rows, trials = matrix.shape
    if blocks % 2 or blocks < 2:
        raise ValueError("CSCV needs an even number of blocks")
    size = rows // blocks
    if size < 2 or trials < 2:
        raise ValueError(f"CSCV needs at least 2 trials and {2 * blocks} rows")
    dropped = rows - size * blocks
    cut = matrix[dropped:].reshape(blocks, size, trials)
    sums, squares = cut.sum(axis=1), (cut ** 2).sum(axis=1)
    total_sums, total_squares = sums.sum(axis=0), squares.sum(axis=0)
    half = blocks // 2
    logits = []
    combinations = list(itertools.combinations(range(blocks), half))
    for start in range(0, len(combinations), chunk):
        chosen = np.zeros((len(combinations[start:start + chunk]), blocks))
        for row, combination in enumerate(combinations[start:start + chunk]):
            chosen[row, list(combination)] = 1.0
        in_sums, in_squares = chosen @ sums, chosen @ squares
        in_sample = _sharpes(in_sums, in_squares, half * size)
        out_sample = _sharpes(total_sums - in_sums, total_squares - in_squares, half * size)
        best = np.argmax(in_sample, axis=1)
        relative = _ranks(out_sample, best) / (trials + 1)
        logits.append(np.log(relative / (1 - relative)))
    logit = np.concatenate(logits)
    return Overfitting(float(np.mean(logit <= 0)), len(logit), blocks, size, dropped, trials,
                       float(np.median(logit)))
