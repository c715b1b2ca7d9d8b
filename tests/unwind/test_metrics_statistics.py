"""The distribution and trade statistics of issue 22 (skew, excess kurtosis, historical VaR and
CVaR, profit factor, expectancy, SQN, rolling Sharpe), each recomputed independently: scipy's
estimators and numpy on a real run's files, and small series whose numbers fit on paper."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from unwind.evidence import analytics, metrics


def _run_data(pnl: list[float], equity: list[float]) -> metrics.RunData:
    days = pd.date_range("2024-08-01", periods=len(equity), freq="D", tz="UTC")
    trades = pd.DataFrame({"pnl_usd": pnl, "fees_usd": [0.0] * len(pnl)})
    return metrics.RunData(pd.Series(equity, index=days), trades, 1.0)


def test_trade_statistics_on_paper():
    # four trades: +100, -50, +200, -25 USD
    values = metrics.compute(_run_data([100.0, -50.0, 200.0, -25.0], [100.0, 101.0, 99.0, 102.0]))
    assert values["profit_factor"] == 4.0                  # (100 + 200) / (50 + 25)
    assert values["expectancy_usd"] == 56.25               # 225 / 4
    # deviations 43.75, -106.25, 143.75, -81.25: squares sum 40,468.75, / 3 = 13,489.58;
    # standard deviation 116.1447; SQN = sqrt(4) x 56.25 / 116.1447 = 0.96862
    assert values["sqn"] == pytest.approx(0.96862, abs=5e-6)


def test_undefined_statistics_are_null_not_nan():
    winners_only = metrics.compute(_run_data([10.0, 10.0], [100.0, 100.0, 100.0, 100.0, 100.0]))
    assert winners_only["profit_factor"] is None           # no losing trade: no denominator
    assert winners_only["sqn"] is None                     # no spread between trades
    assert winners_only["skew"] is None and winners_only["kurtosis"] is None   # no variance
    assert winners_only["var_95"] == 0.0 and winners_only["cvar_95"] == 0.0
    one = metrics.compute(_run_data([-5.0], [100.0, 99.0, 98.5]))
    assert one["sqn"] is None and one["expectancy_usd"] == -5.0
    assert one["skew"] is None and one["kurtosis"] is None  # 2 returns: below 3 and 4
    assert one["profit_factor"] == 0.0


def test_value_at_risk_on_paper():
    # 21 daily returns: -5%, -4%, ... , +15% (one a day); the 5th percentile by linear
    # interpolation sits at position 0.05 x 20 = 1: -4%; the days at or below it, -5% and -4%
    returns = np.arange(-5, 16) / 100
    equity = 100 * np.cumprod(np.r_[1.0, 1 + returns])
    values = metrics.compute(_run_data([1.0], list(equity)))
    assert values["var_95"] == pytest.approx(-0.04, abs=1e-12)
    assert values["cvar_95"] == pytest.approx(-0.045, abs=1e-12)


@pytest.fixture(scope="module")
def real_run(real_store, tmp_path_factory):
    """One run of real data (2 trades, 86 daily returns) and its files."""
    from unwind.cli import main

    out = tmp_path_factory.mktemp("statistics")
    code = main(["run", "hsi_short_yen_vol", "--start", "2024-06-01", "--end", "2024-09-30",
                 "--store", str(real_store.root), "--out", str(out), "--json"])
    assert code == 0
    directory = next(out.iterdir())
    equity = pd.read_csv(directory / "equity.csv")
    values = equity["equity_usd"].to_numpy()
    days = equity["time"].str[:10].to_numpy()
    last_of_day = values[np.r_[days[1:] != days[:-1], True]]
    return {"metrics": json.loads((directory / "metrics.json").read_text()),
            "returns": last_of_day[1:] / last_of_day[:-1] - 1,
            "pnl": pd.read_csv(directory / "trades.csv")["pnl_usd"].to_numpy()}


def test_distribution_statistics_match_scipy_on_a_real_run(real_run):
    reported, returns = real_run["metrics"], real_run["returns"]
    assert len(returns) > 60
    assert reported["skew"] == pytest.approx(stats.skew(returns, bias=False), rel=1e-9)
    assert reported["kurtosis"] == pytest.approx(
        stats.kurtosis(returns, fisher=True, bias=False), rel=1e-9)
    ordered = np.sort(returns)                      # the 5th percentile by hand: rank 0.05(n-1)
    rank = 0.05 * (len(ordered) - 1)
    below, weight = int(math.floor(rank)), rank - math.floor(rank)
    var = ordered[below] + weight * (ordered[below + 1] - ordered[below])
    assert reported["var_95"] == pytest.approx(var, rel=1e-9)
    assert reported["cvar_95"] == pytest.approx(returns[returns <= var].mean(), rel=1e-9)
    assert reported["cvar_95"] <= reported["var_95"] < 0


def test_trade_statistics_match_numpy_on_a_real_run(real_run):
    reported, pnl = real_run["metrics"], real_run["pnl"]
    assert len(pnl) >= 2 and (pnl < 0).any()
    assert reported["profit_factor"] == pytest.approx(
        pnl[pnl > 0].sum() / abs(pnl[pnl < 0].sum()), rel=1e-9)
    assert reported["expectancy_usd"] == pytest.approx(pnl.mean(), rel=1e-9)
    assert reported["sqn"] == pytest.approx(
        math.sqrt(len(pnl)) * pnl.mean() / np.std(pnl, ddof=1), rel=1e-9)


def test_rolling_sharpe_is_the_sharpe_of_each_trailing_window(real_run):
    returns = real_run["returns"]
    days = pd.date_range("2024-06-03", periods=len(returns), freq="D", tz="UTC")
    rolling = analytics.rolling_sharpe(pd.Series(returns, index=days), days=20)
    assert rolling.iloc[:19].isna().all()
    checked = 0
    for end in range(20, len(returns) + 1):
        window = returns[end - 20:end]
        if window.std(ddof=1) == 0:              # flat weeks before the first trade: undefined
            assert math.isnan(rolling.iloc[end - 1])
            continue
        checked += 1
        assert rolling.iloc[end - 1] == pytest.approx(
            window.mean() / window.std(ddof=1) * math.sqrt(252), rel=1e-9)
    assert checked > 20


def test_no_trades_leaves_money_statistics_at_zero_and_the_rest_null():
    index = pd.date_range("2024-08-01", periods=48, freq="h", tz="UTC")
    values = metrics.compute(metrics.RunData(
        pd.Series(1_000_000.0, index=index),
        pd.DataFrame(columns=["entry_time", "pnl_usd", "fees_usd"]), 0.0))
    assert values["var_95"] == 0 and values["cvar_95"] == 0
    assert all(values[key] is None for key in ("skew", "kurtosis", "profit_factor",
                                               "expectancy_usd", "sqn"))
