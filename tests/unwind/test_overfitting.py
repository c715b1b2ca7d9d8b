"""The deflated Sharpe ratio and the probability of backtest overfitting, checked by hand."""

import math

import numpy as np
import pytest

from unwind.evidence import overfitting


def test_deflated_sharpe_reproduces_the_papers_numerical_example():
    # Bailey & Lopez de Prado (2014), "The Deflated Sharpe Ratio", JPM 40(5), the numerical
    # example: an annualised Sharpe ratio of 2.5 over five years of daily returns (T = 1250,
    # 250 a year), the best of N = 100 trials whose annualised Sharpe ratios vary with
    # V = 1/2, returns with skewness -3 and kurtosis 10. The paper reports SR0 = 0.1132 (per
    # day) and DSR = 0.9004. By hand: sqrt(0.5/250) = 0.044721; Z^-1(0.99) = 2.326348,
    # Z^-1(1 - 1/(100 e)) = 2.679851; SR0 = 0.044721 x (0.422784 x 2.326348 + 0.577216 x
    # 2.679851) = 0.113168; SR = 2.5/sqrt(250) = 0.158114; z = (0.158114 - 0.113168) x
    # sqrt(1249) / sqrt(1 + 3 x 0.158114 + 9/4 x 0.025) = 1.28387; Z(1.28387) = 0.90040.
    result = overfitting.deflated_sharpe(2.5 / math.sqrt(250), 0.5 / 250, 100, 1250, -3.0, 10.0)
    assert round(result.expected_maximum, 4) == 0.1132
    assert round(result.deflated_sharpe, 4) == 0.9004


def test_one_trial_is_not_deflated():
    # with a single trial SR0 = 0: DSR is the probabilistic Sharpe ratio against zero
    single = overfitting.deflated_sharpe(0.1, 0.0, 1, 101, 0.0, 3.0)
    assert single.expected_maximum == 0.0
    # normal returns: z = 0.1 x sqrt(100) / sqrt(1 + 0.5 x 0.01) = 0.997509
    assert single.deflated_sharpe == pytest.approx(0.5 * math.erfc(-0.997509 / math.sqrt(2)),
                                                   abs=1e-6)


def test_more_trials_deflate_more_and_an_impossible_spread_is_undefined():
    few = overfitting.deflated_sharpe(0.1, 0.001, 10, 500, 0.0, 3.0).deflated_sharpe
    many = overfitting.deflated_sharpe(0.1, 0.001, 1000, 500, 0.0, 3.0).deflated_sharpe
    assert many < few
    # 1 - skew x SR + (kurtosis - 1)/4 x SR^2 <= 0 has no standard error
    assert overfitting.deflated_sharpe(1.0, 0.0, 1, 100, 3.0, 1.0).deflated_sharpe is None


def test_moments_by_hand():
    sharpe, skewness, kurtosis = overfitting.moments(np.array([1.0, 2.0, 3.0, 6.0]))
    # deviations -2, -1, 0, 3: sample deviation sqrt(14/3); m2 = 14/4, m3 = 18/4, m4 = 98/4
    assert sharpe == pytest.approx(3 / math.sqrt(14 / 3))
    assert skewness == pytest.approx(4.5 / 3.5 ** 1.5)
    assert kurtosis == pytest.approx(2.0)


def _blocks(*blocks):
    """A T x N matrix from blocks given as lists of rows."""
    return np.array([row for block in blocks for row in block], dtype=float)


def test_pbo_on_four_blocks_by_hand():
    # CSCV as in Bailey, Borwein, Lopez de Prado & Zhu (2017), with S = 4 blocks: C(4, 2) = 6
    # splits. Three trials, two rows a block:
    #   steady: 1, 3 in every block (Sharpe of any four rows: 2 / sqrt(4/3) = 1.732)
    #   early:  3, 5 in blocks 0-1, then -5, -3;   late: the mirror image.
    # In-sample {0,1}: early is best (4 / 1.155 = 3.46); out of sample it is the worst of
    # three: rank 1, w = 1/4, logit ln(1/3) < 0. {2,3}: late, the same. The four mixed
    # splits: early and late have mean 0, steady is best in and out of sample: rank 3,
    # w = 3/4, logit ln 3 > 0. PBO = 2/6.
    steady, early, late = [1, 3], [3, 5], [-5, -3]
    rows = lambda s, e, l: [[s[0], e[0], l[0]], [s[1], e[1], l[1]]]  # noqa: E731
    matrix = _blocks(rows(steady, early, late), rows(steady, early, late),
                     rows(steady, late, early), rows(steady, late, early))
    result = overfitting.probability_of_overfitting(matrix, blocks=4)
    assert result.splits == 6 and result.trials == 3 and result.rows_per_block == 2
    assert result.probability == pytest.approx(2 / 6)
    assert result.median_logit == pytest.approx(math.log(3))


def test_pbo_drops_the_oldest_rows_that_do_not_fill_a_block_and_a_dominant_trial_is_not_overfit():
    rng = np.random.default_rng(5)
    noise = rng.normal(0, 0.01, size=(67, 5))
    noise[:, 2] += 0.05          # trial 2 is best in every half
    result = overfitting.probability_of_overfitting(noise, blocks=4)
    assert result.rows_dropped == 3 and result.rows_per_block == 16
    assert result.probability == 0.0
    # rank 5 of 5: w = 5/6, logit ln 5
    assert result.median_logit == pytest.approx(math.log(5))


def test_pbo_refuses_too_little_data():
    with pytest.raises(ValueError):
        overfitting.probability_of_overfitting(np.zeros((10, 3)), blocks=16)
    with pytest.raises(ValueError):
        overfitting.probability_of_overfitting(np.zeros((64, 3)), blocks=5)
