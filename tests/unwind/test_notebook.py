"""The Python API (unwind/notebook.py): a run from Python is the run of the same CLI options,
and the loaders give back exactly what the folders hold, as frames."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import unwind
from feeds.errors import DataError


def test_import_unwind_loads_no_heavy_module():
    code = ("import sys, unwind; unwind.load_run; "
            "print(sorted({'pandas', 'numpy', 'backtrader'} & set(sys.modules)))")
    # touching unwind.load_run imports the notebook module, and so pandas: only on use
    light = subprocess.run([sys.executable, "-c", "import sys, unwind; print(sorted({'pandas', "
                            "'numpy', 'backtrader'} & set(sys.modules)))"],
                           capture_output=True, text=True, check=True)
    used = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert light.stdout.strip() == "[]"
    assert "pandas" in used.stdout


def test_a_run_from_python_is_the_cli_run_of_the_same_options(real_store, tmp_path, run_cli):
    options = dict(start="2024-07-15", end="2024-08-30", parameters={"require_rising": False},
                   cash=500_000)
    run = unwind.run("hsi_short_yen_vol", **options, out=tmp_path / "python",
                     store=real_store.root)
    result = run_cli("run", "hsi_short_yen_vol", "--start", "2024-07-15", "--end", "2024-08-30",
                     "-p", "require_rising=false", "--cash", "500000", "--out",
                     str(tmp_path / "cli"), "--store", str(real_store.root), "--json")
    assert result.code == 0, result.err
    cli_folder = json.loads(result.out)["run_dir"]
    assert (run.path / "metrics.json").read_bytes() == \
        open(f"{cli_folder}/metrics.json", "rb").read()
    cli_manifest = json.loads(open(f"{cli_folder}/manifest.json").read())
    assert run.manifest["config_sha256"] == cli_manifest["config_sha256"]
    assert run.playbook == "hsi_short_yen_vol"


def test_load_run_holds_the_folder_as_frames(real_store, tmp_path):
    run = unwind.run("hsi_short_yen_vol", episode="aug-2024-carry-unwind",
                     out=tmp_path, store=real_store.root)
    reported = json.loads((run.path / "metrics.json").read_text())
    assert run.metrics.loc["sharpe_ratio", "value"] == reported["sharpe_ratio"]
    assert run.metrics.loc["trades", "value"] == len(run.trades) == reported["trades"] > 0
    assert run.metrics.loc["var_95", "unit"] == "fraction per day"
    assert list(run.metrics.columns) == ["value", "benchmark", "twin", "title", "unit"] or \
        list(run.metrics.columns) == ["value", "benchmark", "title", "unit"]
    # equity by UTC time; its first and last values give the run's P&L
    assert isinstance(run.equity.index, pd.DatetimeIndex) and str(run.equity.index.tz) == "UTC"
    assert run.equity["equity_usd"].iloc[-1] - run.equity["equity_usd"].iloc[0] == \
        pytest.approx(reported["pnl_usd"], abs=1e-5)
    assert str(run.trades["entry_time"].dtype).startswith("datetime64")
    assert run.trades["pnl_usd"].sum() == pytest.approx(
        pd.read_csv(run.path / "trades.csv")["pnl_usd"].sum())
    assert set(run.prices["symbol"]) == {"HSI"} and run.signals is not None
    assert run.benchmark is not None and "equity_usd" in run.benchmark
    returns = run.daily_returns
    assert len(returns) > 20 and np.isfinite(returns).all()
    assert run.rolling_sharpe(days=10).notna().any()
    with pytest.raises(dataclasses_frozen()):
        run.trades = None


def dataclasses_frozen():
    import dataclasses

    return dataclasses.FrozenInstanceError


def test_loaders_refuse_what_is_not_their_folder(tmp_path):
    partial = tmp_path / "20240101T000000Z-hsi_short_yen_vol.partial"
    partial.mkdir()
    with pytest.raises(DataError, match="incomplete run directory"):
        unwind.load_run(partial)
    with pytest.raises(DataError, match="no such scorecard directory"):
        unwind.load_scorecard(tmp_path / "missing")
    with pytest.raises(DataError, match=r"not a sweep directory \(missing trials.csv, "
                                        r"sweep.json\)"):
        unwind.load_sweep(tmp_path)


def test_score_and_load_scorecard(real_store, tmp_path):
    card = unwind.score(playbooks=["hsi_short_yen_vol"], episodes=["aug-2024-carry-unwind"],
                        full_history=False, sheets="none", jobs=1, out=tmp_path,
                        store=real_store.root)
    assert card.path.parent == tmp_path and not card.path.name.endswith(".partial")
    assert list(card.cells["episode"]) == ["aug-2024-carry-unwind"]
    assert card.verdicts.loc["hsi_short_yen_vol", "badge"]
    cell = card.run("hsi_short_yen_vol", "aug-2024-carry-unwind")
    assert cell.metrics.loc["total_return", "value"] == pytest.approx(
        card.cells["total_return"].iloc[0], rel=1e-12)
    with pytest.raises(DataError, match="no full-history run of hsi_short_yen_vol"):
        card.full_history("hsi_short_yen_vol")


def test_load_sweep(real_store, tmp_path, run_cli):
    result = run_cli("sweep", "hsi_short_yen_vol", "--grid", "high_volatility=0.10,0.15",
                     "--jobs", "1", "--out", str(tmp_path), "--store", str(real_store.root),
                     "--json")
    assert result.code == 0, result.err
    sweep = unwind.load_sweep(next(tmp_path.iterdir()))
    assert list(sweep.trials["high_volatility"]) == [0.10, 0.12, 0.15]   # default added
    assert sweep.default["high_volatility"] == 0.12
    assert sweep.summary["playbook"] == "hsi_short_yen_vol"
    assert "sqn" in sweep.trials.columns        # every registry metric
