"""Metrics recomputed by hand from a real run's equity.csv, and the defined edge cases."""

import json

import numpy as np
import pandas as pd
import pytest

from unwind.evidence import metrics


def test_metrics_json_matches_numpy_on_equity_csv(real_store, tmp_path, run_cli):
    result = run_cli("run", "hsi_short_yen_vol", "--episode", "aug-2024-carry-unwind", "--store",
                     str(real_store.root), "--out", str(tmp_path), "--json")
    assert result.code == 0, result.err
    directory = json.loads(result.out)["run_dir"]
    reported = json.loads(open(f"{directory}/metrics.json").read())
    equity = pd.read_csv(f"{directory}/equity.csv")
    values = equity["equity_usd"].to_numpy()
    days = equity["time"].str[:10].to_numpy()
    last_of_day = values[np.r_[days[1:] != days[:-1], True]]     # last value of each UTC day
    returns = last_of_day[1:] / last_of_day[:-1] - 1
    total_return = values[-1] / values[0] - 1
    wealth = np.cumprod(1 + returns)
    max_drawdown = np.min(wealth / np.maximum.accumulate(np.r_[1.0, wealth])[1:] - 1)
    sharpe = returns.mean() / returns.std(ddof=1) * np.sqrt(252)
    assert reported["total_return"] == pytest.approx(total_return, rel=1e-9)
    assert reported["max_drawdown"] == pytest.approx(max_drawdown, rel=1e-9)
    assert reported["sharpe_ratio"] == pytest.approx(sharpe, rel=1e-9)
    assert reported["trades"] == len(pd.read_csv(f"{directory}/trades.csv"))


def test_every_metric_has_a_title_and_a_unit_and_no_unit_in_its_key():
    for metric in metrics.METRICS:
        assert metric.title and metric.unit
        assert "percent" not in metric.key and "%" not in metric.key


def test_a_window_without_trades_is_defined():
    index = pd.date_range("2024-08-01", periods=48, freq="h", tz="UTC")
    flat = metrics.RunData(pd.Series(1_000_000.0, index=index),
                           pd.DataFrame(columns=["entry_time", "pnl_usd", "fees_usd"]), 0.0,
                           "2024-08-01")
    values = metrics.compute(flat)
    undefined = {"sharpe_ratio", "sortino_ratio", "calmar_ratio", "tail_ratio", "hit_rate",
                 "avg_win_usd", "avg_loss_usd", "days_to_first_entry", "skew", "kurtosis",
                 "profit_factor", "expectancy_usd", "sqn"}
    assert {key for key, value in values.items() if value is None} == undefined
    assert all(value == 0 for key, value in values.items() if key not in undefined)
    assert values["trades"] == 0 and isinstance(values["trades"], int)


def test_the_readme_defines_a_window_without_trades_as_the_registry_does():
    from pathlib import Path

    readme = " ".join((Path(__file__).resolve().parents[2] / "README.md").read_text().split())
    nulls = [m.key for m in metrics.METRICS if m.without_trades is None]
    zeros = [m.key for m in metrics.METRICS if m.without_trades == 0]
    assert ("A window without trades (\"no signal\"): " + ", ".join(zeros) + " are 0; "
            + ", ".join(nulls) + " are null") in readme


def test_no_losing_day_makes_sortino_undefined_not_infinite():
    index = pd.date_range("2024-08-01", periods=5, freq="D", tz="UTC")
    rising = pd.Series([100.0, 101.0, 102.0, 103.0, 104.0], index=index)
    trades = pd.DataFrame({"entry_time": ["2024-08-01T00:00:00+00:00"], "pnl_usd": [4.0],
                           "fees_usd": [0.0]})
    values = metrics.compute(metrics.RunData(rising, trades, 1.0, "2024-07-30"))
    assert values["sortino_ratio"] is None and values["calmar_ratio"] is None
    assert values["days_to_first_entry"] == 2 and values["hit_rate"] == 1.0
    assert values["trades"] == 1 and isinstance(values["days_to_first_entry"], int)
    assert values["avg_loss_usd"] is None   # no losing trade: the average of nothing


def test_trade_counts_read_as_words():
    from unwind.evidence.metrics import trades_text

    assert [trades_text(n) for n in (0, 1, 2, None)] == ["0 trades", "1 trade", "2 trades",
                                                          "0 trades"]
