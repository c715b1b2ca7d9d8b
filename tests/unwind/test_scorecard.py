"""The scorecard: coverage, n/a with reasons, identical files for any --jobs, run specs."""

import json
from pathlib import Path

import pandas as pd
import pytest

import strategies
from unwind import episodes, scorecard


def score(run_cli, real_store, out, *args):
    result = run_cli("score", "--store", str(real_store.root), "--out", str(out),
                     "--no-full-history", *args)
    assert result.code == 0, result.err
    return result


# Every playbook through the episodes that exercise each kind of cell: data before any hourly
# gold (n/a), the quality gate (GC in 2011), the August 2024 unwind and the calm control. The
# main-job test runs every playbook through every episode on the SYNTHETIC demo.
EPISODES = ("oct-2008-gfc-carry-unwind", "mar-2011-tohoku-yen-spike", "aug-2024-carry-unwind",
            "calm-2017q4-control")


@pytest.fixture(scope="module")
def full_card(real_store, tmp_path_factory):
    from unwind.runspec import score_config

    config = score_config("runs/all-episodes.toml", episodes=EPISODES,
                          store=str(real_store.root),
                          out=str(tmp_path_factory.mktemp("full")), jobs=2)
    rows, _ = scorecard.run_scorecard(config, full_history=False)
    scorecard.write(rows, config, "store: test")
    return Path(config.out), rows


def test_the_scorecard_covers_every_playbook_and_episode(full_card):
    out, rows = full_card
    table = pd.read_csv(out / "scorecard.csv", keep_default_na=False, na_values=[""])
    assert len(table) == len(strategies.ids()) * len(EPISODES)
    assert set(table["episode"]) == set(EPISODES) and set(episodes.catalogue()) >= set(EPISODES)
    assert list(table.columns[:5]) == ["playbook", "episode", "status", "reason", "run_dir"]
    assert {"total_return", "benchmark_total_return", "excess_total_return",
            "twin_excess_total_return"} <= set(table.columns)
    august = table[table["episode"] == "aug-2024-carry-unwind"]
    assert (august["status"] == "ok").all()
    missing = table[table["status"] == "n/a"]
    assert (missing["reason"].str.len() > 10).all()
    early_gold = table[(table["playbook"] == "gold_asia_dip") &
                       (table["episode"] == "oct-2008-gfc-carry-unwind")].iloc[0]
    assert early_gold["status"] == "n/a" and "XAUUSD 1h: no bars" in early_gold["reason"]
    json_rows = json.loads((out / "scorecard.json").read_text())
    assert [r["playbook"] for r in json_rows] == table["playbook"].tolist()


def test_cells_hold_benchmark_and_twin_differences(full_card):
    out, rows = full_card
    cell = next(r for r in rows if r["playbook"] == "gold_asia_dip"
                and r["episode"] == "aug-2024-carry-unwind")
    twin = next(r for r in rows if r["playbook"] == "gold_dip_any_session"
                and r["episode"] == "aug-2024-carry-unwind")
    assert cell["excess_total_return"] == pytest.approx(
        cell["total_return"] - cell["benchmark_total_return"])
    assert cell["twin_excess_total_return"] == pytest.approx(
        cell["total_return"] - twin["total_return"])
    assert twin["twin_excess_total_return"] is None
    assert (out / cell["run_dir"] / "tear_sheet.html").is_file()
    assert (out / cell["run_dir"] / "benchmark_equity.csv").is_file()


def test_jobs_do_not_change_the_scorecard(real_store, tmp_path, run_cli):
    subset = ["--playbook", "gold_asia_dip", "--playbook", "gold_dip_any_session",
              "--playbook", "hsi_short_yen_vol", "--episode", "aug-2024-carry-unwind",
              "--episode", "mar-2011-tohoku-yen-spike", "--episode", "calm-2017q4-control"]
    outputs = []
    for jobs in ("1", "2"):
        score(run_cli, real_store, tmp_path / jobs, *subset, "--jobs", jobs)
        outputs.append(next((tmp_path / jobs).glob("*scorecard")))
    for name in ("scorecard.csv", "scorecard.json"):
        assert (outputs[0] / name).read_bytes() == (outputs[1] / name).read_bytes()
    for metrics_file in (outputs[0] / "cells").rglob("metrics.json"):
        twin = outputs[1] / metrics_file.relative_to(outputs[0])
        assert metrics_file.read_bytes() == twin.read_bytes()


def test_a_run_spec_with_an_ad_hoc_window(real_store, tmp_path, run_cli):
    result = score(run_cli, real_store, tmp_path, "runs/summer-2024.toml", "--json")
    rows = json.loads(result.out)["rows"]
    assert {r["episode"] for r in rows} == {"summer-2024"} and len(rows) == 3
    assert all(r["status"] == "ok" for r in rows)


@pytest.mark.parametrize("content, message", [
    ("[score]\nepisodes = ['aug-2024-carry-unwnd']\n",
     "unknown episode 'aug-2024-carry-unwnd' (did you mean aug-2024-carry-unwind?)"),
    ("[score]\nplaybook = 'all'\n", "unknown key 'playbook' (did you mean playbooks?)"),
    ("[scor]\n", "unknown key 'scor' (did you mean score?)"),
    ("[score\nepisodes = 3\n", "malformed TOML"),
    ("[[score.windows]]\nid = 'back'\nstart = '2024-09-30'\nend = '2024-06-01'\n",
     "[[score.windows]] id 'back' is reversed or empty"),
    ("[[score.windows]]\nid = 'a'\nstart = '2024-06-01'\nend = '2024-08-01'\n"
     "[[score.windows]]\nid = 'b'\nstart = '2024-07-15'\nend = '2024-09-01'\n",
     "windows 'a' (2024-06-01..2024-08-01) and 'b' (2024-07-15..2024-09-01) overlap"),
    ("[[score.windows]]\nid = 'x'\nstart = '2024-06-01'\nend = '2024-08-01'\nlabl = 'y'\n",
     "unknown key 'labl' (did you mean label?)"),
])
def test_bad_run_specs_are_one_line(tmp_path, store_dir, run_cli, content, message):
    spec = tmp_path / "spec.toml"
    spec.write_text(content)
    result = run_cli("score", str(spec), "--out", str(tmp_path / "out"))
    assert result.code == 1
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.err
    assert not (tmp_path / "out").exists()


def test_unknown_episode_flag(store_dir, run_cli):
    result = run_cli("run", "gold_asia_dip", "--episode", "nope")
    assert result.code == 1 and "unknown episode 'nope'" in result.err
