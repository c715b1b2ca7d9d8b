"""`unwind sweep`: grids, the files it writes, the same bytes for any --jobs, run specs, bad grids
as one line, and the plateau-or-edge read."""

import json

import pandas as pd
import pytest

from unwind.sim import engine
from unwind.studies import grid, sweep
from unwind.evidence import metrics
from unwind.sim.config import for_episode


def run_sweep(run_cli, real_store, tmp_path, *args, name="out"):
    result = run_cli("sweep", *args, "--store", str(real_store.root), "--out",
                     str(tmp_path / name))
    assert result.code == 0, result.err
    [directory] = (tmp_path / name).iterdir()
    return result, directory


def test_grid_lists_ranges_and_the_added_default():
    axes = grid.parse_grid("gold_asia_dip", ["dip=0.005,0.01", "hold_days=30:90:30",
                                              "session=any"])
    by_name = {axis.name: axis for axis in axes}
    assert by_name["dip"].values == (0.005, 0.0075, 0.01) and by_name["dip"].added_default
    assert by_name["hold_days"].values == (30.0, 60.0, 90.0)
    assert not by_name["hold_days"].added_default
    assert by_name["session"].values == ("any", "asia")
    assert len(grid.grid_points(axes)) == 18
    # a range of whole numbers stays whole; the stop is included
    [lookback] = grid.parse_grid("gold_asia_dip", ["yen_lookback_hours=24:120:48"])
    assert lookback.values == (24, 72, 120)


@pytest.mark.parametrize("spec, message", [
    ("dipp=0.01", "has no parameter 'dipp' (did you mean dip?)"),
    ("dip=abc", "expected float"),
    ("dip=2", "dip must be a fraction between 0 and 1"),
    ("dip=0.02:0.01:0.005", "empty range"),
    ("dip=0.01:0.02:0", "empty range"),
    ("session=a:b:c", "a range needs a number"),
    ("yen_lookback_hours=10:20:2.5", "whole START, STOP and STEP"),
    ("dip", "expected NAME=V1,V2"),
    ("dip=0.01,,0.02", "an empty value"),
])
def test_bad_grids_are_one_line(run_cli, spec, message):
    result = run_cli("sweep", "gold_asia_dip", "--grid", spec)
    assert result.code == 1
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and message in lines[0]


def test_more_trials_than_the_maximum_need_yes(run_cli):
    result = run_cli("sweep", "gold_asia_dip", "--grid", "dip=0.001:0.015:0.0001",
                     "--grid", "hold_days=1:100:1")
    assert result.code == 1 and "more than 5,000" in result.err and "--yes" in result.err
    assert len(result.err.strip().splitlines()) == 1


def test_a_sweep_writes_its_directory_and_the_default_row_is_unwind_run(run_cli, real_store,
                                                                         tmp_path):
    result, directory = run_sweep(
        run_cli, real_store, tmp_path, "hsi_short_yen_vol", "--episode",
        "aug-2024-carry-unwind", "--grid", "entry_slope=0.015,0.03",
        "--grid", "flat_slope=0.005,0.01,0.02", "--jobs", "1", "--json")
    printed = json.loads(result.out)
    assert set(printed) == {"out_dir", "trials", "default_rank", "best", "deflated_sharpe"}
    assert printed["trials"] == 8 and result.err == ""            # no progress bar with --json
    assert {p.name for p in directory.iterdir()} == {"trials.csv", "sweep.json",
                                                      "sensitivity.html"}
    trials = pd.read_csv(directory / "trials.csv")
    keys = [m.key for m in metrics.METRICS]
    assert list(trials.columns) == ["trial", "entry_slope", "flat_slope", "default", *keys,
                                    "status"]
    # flat_slope 0.02 is not below entry_slope 0.015: that trial is invalid, not dropped
    invalid = (trials["flat_slope"] == 0.02) & (trials["entry_slope"] == 0.015)
    assert (trials["status"].str.startswith("invalid") == invalid).all()
    default = trials[trials["default"]].iloc[0]
    reference = engine.run(for_episode("hsi_short_yen_vol", "aug-2024-carry-unwind",
                                       store=str(real_store.root))).metrics
    for key in keys:
        assert (None if pd.isna(default[key]) else default[key]) == \
            pytest.approx(reference[key], rel=1e-12), key
    document = json.loads((directory / "sweep.json").read_text())
    assert document["counts"]["trials"] == 8 and document["counts"]["invalid"] == 1
    assert document["default"]["rank"] == printed["default_rank"]
    assert document["data"] and all(len(s["data_sha256"]) == 64 for s in document["data"])
    assert document["sensitivity"]["verdict"] == "plateau"
    assert document["pbo"]["probability"] is None     # an episode: PBO is full history only
    page = (directory / "sensitivity.html").read_text()
    assert "plateau" in page
    assert page.count("<table class='heat sweep'>") == 1 and "class=default" in page
    assert page.count('<svg class="chart"') == 2        # one line per axis
    one_axis = run_cli("sweep", "hsi_short_yen_vol", "--grid", "flat_slope=0.02")
    assert one_axis.code == 1 and "need 0 <= flat_slope < entry_slope" in one_axis.err


def test_a_run_spec_holds_a_sweep_and_flags_win(run_cli, real_store, tmp_path):
    spec = tmp_path / "sweep.toml"
    spec.write_text('[sweep]\nplaybook = "jgb_shock_short_nq"\nepisode = "aug-2024-carry-unwind"\n'
                    'parameters = { require_us_rising = false }\n'
                    '[sweep.grid]\njump_z = [1.5, 2.0, 2.5]\nhold_days = "5:15:5"\n')
    result, directory = run_sweep(run_cli, real_store, tmp_path, str(spec), "--json")
    document = json.loads((directory / "sweep.json").read_text())
    assert document["fixed_parameters"] == {"require_us_rising": False}
    assert document["grid"]["jump_z"]["values"] == [1.5, 2.0, 2.5]
    assert document["grid"]["hold_days"]["values"] == [5, 10, 15]
    _, narrowed = run_sweep(run_cli, real_store, tmp_path, str(spec), "--grid", "jump_z=2.0",
                            "--json", name="narrowed")
    assert list(json.loads((narrowed / "sweep.json").read_text())["grid"]) == ["jump_z"]
    spec.write_text('[sweep]\nplaybook = "jgb_shock_short_nq"\njobz = 2\n')
    bad = run_cli("sweep", str(spec))
    assert bad.code == 1 and "unknown key 'jobz' (did you mean jobs?)" in bad.err


def test_bond_hedge_sweeps_on_backtrader(run_cli, real_store, tmp_path):
    result = run_cli("sweep", "bond_hedge", "--grid", "max_hedge=0.5", "--episode",
                     "aug-2024-carry-unwind", "--store", str(real_store.root), "--out",
                     str(tmp_path), "--json")
    assert result.code == 0, result.err
    assert "runs on backtrader" in result.err
    [directory] = tmp_path.iterdir()
    document = json.loads((directory / "sweep.json").read_text())
    assert document["engine"] == "backtrader" and document["counts"]["ok"] == 2
    screened = run_cli("sweep", "bond_hedge", "--grid", "max_hedge=0.5", "--engine", "screen")
    assert screened.code == 1 and "bond_hedge runs on backtrader" in screened.err


def test_the_store_is_read_once_and_lines_are_computed_once_per_signal_value(real_store,
                                                                            monkeypatch):
    """3 x 3 x 2 trials over high_volatility (read by prepare()), risk_budget_usd (read by
    the sizer only) and regime_filter (read by the strategy): one load of the store, and
    prepare() once per high_volatility (plus the engine's own call and the one that finds which
    parameters prepare() reads)."""
    import strategies
    from unwind.sim import engine

    loads, lines = [], []
    playbook = strategies.get("hsi_short_yen_vol")
    original_prepare, original_lines = engine.prepare, playbook.prepare
    monkeypatch.setattr(engine, "prepare", lambda *a, **k: loads.append(1) or
                        original_prepare(*a, **k))
    monkeypatch.setattr(playbook, "prepare", lambda inputs, parameters: lines.append(
        parameters.high_volatility) or original_lines(inputs, parameters))
    config, _ = sweep.configure({"playbook": "hsi_short_yen_vol", "jobs": 1,
                                 "episode": "aug-2024-carry-unwind", "store": str(real_store.root),
                                 "grids": ["high_volatility=0.1,0.14",
                                           "risk_budget_usd=5000,20000",
                                           "regime_filter=deleveraging"]})
    result = sweep.run_sweep(config)
    assert len(result.trials) == 18 and all(t.status == "ok" for t in result.trials)
    assert len(loads) == 1
    assert sorted(lines[2:]) == [0.1, 0.12, 0.14]


def test_signal_groups_are_counted_per_payload_with_its_own_parameters(real_store):
    """jgb_shock_short_nq's `trigger` chooses the series prepare() reads (level: JGB40Y; zscore:
    JGB30Y), so trigger=level,zscore x jump_z=2.0,3.0 makes two payloads, and only the z-score
    lines read jump_z. Distinct lines: one for both level trials (jump_z unread there), two for
    the z-score trials: 3 groups. Counting every trial with the last payload's parameters (here
    level's, the default added last) gave 2: the two z-score trials merged."""
    config, _ = sweep.configure({"playbook": "jgb_shock_short_nq", "jobs": 1,
                                 "episode": "aug-2024-carry-unwind", "store": str(real_store.root),
                                 "grids": ["trigger=zscore", "jump_z=3.0"]})
    result = sweep.run_sweep(config)
    assert [t.values for t in result.trials] == [
        {"trigger": "zscore", "jump_z": 2.0}, {"trigger": "zscore", "jump_z": 3.0},
        {"trigger": "level", "jump_z": 2.0}, {"trigger": "level", "jump_z": 3.0}]
    assert all(t.status == "ok" for t in result.trials)
    assert result.signal_sets == 3
