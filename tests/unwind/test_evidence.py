"""Evidence beside every scorecard number: holdout vs in-sample, the random-entry null and
bootstrap intervals per cell, the full-history base rate, found episodes, and the verdict."""

import contextlib
import io
import json
from pathlib import Path

import pandas as pd
import pytest

import strategies
from unwind.evidence import cells, verdict
from unwind.studies import scorecard
from unwind.studies.runspec import score_config


def test_sample_is_in_sample_only_when_the_windows_overlap():
    calibration = ("1990-01-01", "2007-12-31")
    assert cells.sample(calibration, "2008-09-01", "2008-11-28") == "holdout"
    assert cells.sample(calibration, "2007-12-31", "2008-02-01") == "in-sample"
    assert cells.sample(("2016-03-20", "2019-12-31"), "2017-10-01", "2017-12-29") == \
        "in-sample"
    assert cells.sample(None, "2017-10-01", "2017-12-29") == "holdout"


def test_the_episode_pnl_share_counts_days_inside_catalogue_windows():
    # +100 on 2024-07-31 (inside aug-2024-carry-unwind), +300 on 2024-09-03 (outside): 25%.
    index = pd.DatetimeIndex(["2024-07-30 20:00", "2024-07-31 20:00", "2024-09-02 20:00",
                              "2024-09-03 20:00"], tz="UTC")
    equity = pd.Series([1000.0, 1100.0, 1100.0, 1400.0], index=index)
    assert cells.episode_pnl_share(equity) == pytest.approx(0.25)
    assert cells.episode_pnl_share(pd.Series([5.0, 5.0], index=index[:2])) is None


def test_the_paired_excess_is_the_mean_daily_difference_on_common_days():
    # playbook +1%, +2%, -1%, +1%, +2%, +1% a day; the benchmark +1% a day but missing its last
    # day: five common daily returns, differences 0, +1%, -2%, 0, +1% -> mean 0
    days = pd.date_range("2024-01-01 21:00", periods=7, freq="D", tz="UTC")
    playbook = pd.Series(100.0 * pd.Series([1, 1.01, 1.02, 0.99, 1.01, 1.02, 1.01]).cumprod()
                         .to_numpy(), index=days)
    benchmark = pd.Series(100.0 * 1.01 ** pd.Series(range(6)).to_numpy(), index=days[:6])
    row = cells.paired_excess(playbook, benchmark)
    assert row["excess_days"] == 5 and row["excess_note"] == ""
    assert row["excess_daily_mean"] == pytest.approx(0.0, abs=1e-12)
    assert row["ci_low_excess_daily_mean"] < 0 < row["ci_high_excess_daily_mean"]
    flat = cells.paired_excess(benchmark, benchmark)
    assert flat["ci_low_excess_daily_mean"] is None and "every daily return is zero" in \
        flat["excess_note"]


@pytest.fixture(scope="module")
def card(real_store, tmp_path_factory):
    from unwind.cli import main

    arguments = ["score", "--store", str(real_store.root), "--jobs", "2", "--json",
                 "--playbook", "hsi_short_yen_vol", "--playbook", "jgb_shock_short_nq",
                 "--playbook", "bond_hedge", "--playbook", "gold_dip_any_session",
                 "--episode", "aug-2024-carry-unwind", "--episode", "oct-2008-gfc-carry-unwind",
                 "--out", str(tmp_path_factory.mktemp("evidence"))]
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert main(arguments) == 0
    return json.loads(printed.getvalue())


def test_score_json_has_rows_with_evidence_and_a_summary_per_playbook(card):
    assert {"out_dir", "rows", "summary"} <= set(card)
    by_cell = {(r["playbook"], r["episode"]): r for r in card["rows"]}
    traded = by_cell[("hsi_short_yen_vol", "aug-2024-carry-unwind")]
    assert traded["sample"] == "holdout" and traded["trades"] > 0
    # 803 of the 1,000 random books (seeded) did at least as well: p = (1 + 803) / 1001
    assert traded["p_random"] == pytest.approx(804 / 1001, abs=1e-12)
    assert traded["ci_low_total_return"] <= traded["total_return"] <= \
        traded["ci_high_total_return"]
    silent = by_cell[("jgb_shock_short_nq", "aug-2024-carry-unwind")]
    assert silent["trades"] == 0 and silent["p_random"] is None
    assert silent["ci_low_sharpe_ratio"] is None and "no trades" in silent["evidence_note"]
    for playbook in ("hsi_short_yen_vol", "jgb_shock_short_nq"):
        item = card["summary"][playbook]
        assert set(item) == {"full_history", "holdout", "in_sample", "badge", "sentence",
                             "reasons", "verdict"}
        assert item["badge"] in verdict.BADGES
        assert item["verdict"] == \
            f"{item['badge']}: {item['sentence']} " + "; ".join(item["reasons"]) + "."
    history = card["summary"]["hsi_short_yen_vol"]["full_history"]
    assert history["status"] == "ok" and history["trades"] >= 10
    assert {"annual_return", "sharpe_ratio", "max_drawdown", "hit_rate", "exposure",
            "episode_pnl_share", "episode_pnl_usd", "false_alarm_rate", "ci_low_sharpe_ratio",
            "benchmark_sharpe_ratio", "excess_total_return", "excess_daily_mean",
            "ci_low_excess_daily_mean", "ci_high_excess_daily_mean"} <= set(history)
    run = Path(card["out_dir"]) / history["run_dir"]
    assert (run / "tear_sheet.html").is_file() and (run / "benchmark_equity.csv").is_file()
    page = (Path(card["out_dir"]) / "scorecard.html").read_text()
    assert page.index("<h2>Verdicts</h2>") < page.index("<table class=grid>")
    assert "data-badge=" in page and "<details><summary>why</summary>" in page


def test_bond_hedge_and_gold_dip_any_session_are_not_an_edge_with_todays_numbers(card):
    # bond_hedge: Sharpe 0.72 with its interval above zero, but its unhedged book (its
    # benchmark) has 0.70: the paired daily differences show no excess. gold_dip_any_session:
    # its Sharpe interval is above zero too, from 5 trades with p_random 0.20.
    hedge = card["summary"]["bond_hedge"]
    history = hedge["full_history"]
    assert history["ci_low_sharpe_ratio"] > 0 and history["trades"] >= verdict.MIN_TRADES
    assert history["benchmark"] == strategies.get("bond_hedge").BENCHMARK
    assert abs(history["sharpe_ratio"] - history["benchmark_sharpe_ratio"]) < 0.1
    assert history["ci_low_excess_daily_mean"] < 0 < history["ci_high_excess_daily_mean"]
    assert hedge["badge"] == "no evidence"
    assert "no excess over its benchmark (the equity leg alone (hedge=false)) beyond chance" \
        in hedge["sentence"]
    gold = card["summary"]["gold_dip_any_session"]
    history = gold["full_history"]
    assert history["ci_low_sharpe_ratio"] > 0
    assert history["trades"] < verdict.MIN_TRADES and history["p_random"] > verdict.P_RANDOM_LEVEL
    assert gold["badge"] == "too few trades"


def test_sample_flips_when_the_calibration_window_changes(real_store, tmp_path, monkeypatch):
    from unwind.evidence.episodes import get

    episode = get("aug-2024-carry-unwind")
    arguments = ("hsi_short_yen_vol", episode, str(real_store.root), str(tmp_path), False)
    assert scorecard.score_cell(*arguments)["sample"] == "holdout"
    module = strategies.get("hsi_short_yen_vol")
    monkeypatch.setattr(module, "CALIBRATED_ON", ("2020-01-01", "2024-12-31"))
    assert scorecard.score_cell(*arguments)["sample"] == "in-sample"


def test_episodes_find_names_the_catalogued_unwinds(real_store, run_cli):
    result = run_cli("episodes", "find", "--store", str(real_store.root), "--json")
    assert result.code == 0, result.err
    found = json.loads(result.out)
    assert found["rule"] == "carry-unwind" and "fall" in found["parameters"]
    catalogued = {e["catalogued_as"] for e in found["episodes"]}
    assert {"oct-2008-gfc-carry-unwind", "aug-2024-carry-unwind"} <= catalogued
    assert set(found["episodes"][0]) == {"start", "end", "trigger", "catalogued_as"}


def test_score_can_take_the_found_windows_as_episodes(real_store, tmp_path):
    config = score_config(None, playbooks=("hsi_short_yen_vol",), episodes=("found",),
                          store=str(real_store.root), out=str(tmp_path))
    assert config.episodes and all(e.startswith("found-") for e in config.episodes)
    window = scorecard.episode(config, next(e for e in config.episodes if e >= "found-2024"))
    assert window.label.endswith("*") and "aug-2024-carry-unwind" in window.description


def test_run_full_history_covers_all_the_data_its_series_share(real_store, tmp_path, run_cli):
    result = run_cli("run", "spread_unwind_long_yen", "--full-history", "--store",
                     str(real_store.root), "--out", str(tmp_path), "--json")
    assert result.code == 0, result.err
    manifest = json.loads((Path(json.loads(result.out)["run_dir"]) / "manifest.json")
                          .read_text())
    start, end = cells.full_history_window("spread_unwind_long_yen", str(real_store.root))
    assert (manifest["config"]["start"], manifest["config"]["end"]) == (start, end)
    infos = [real_store.info(series, bar) for series, bar in
             strategies.series_read(("spread_unwind_long_yen",))]
    assert end == min(info.last[:10] for info in infos)
    assert start > max(info.first[:10] for info in infos)       # the warm-up comes first
    clash = run_cli("run", "spread_unwind_long_yen", "--full-history", "--start", "2020-01-01")
    assert clash.code == 1 and "choose one window" in clash.err
