"""The scorecard: coverage, n/a with reasons, identical files for any --jobs, run specs."""

import json
from pathlib import Path

import pandas as pd
import pytest

import strategies
from unwind.evidence import episodes
from unwind.studies import scorecard


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
    from unwind.studies.runspec import score_config

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


def test_jobs_and_sheets_do_not_change_the_scorecard(real_store, tmp_path, run_cli):
    """--jobs 1 with tear sheets and --jobs 2 with --sheets none write the same results; the
    second has no tear sheets, its page links the run folders, and `unwind report` writes a
    cell's sheet afterwards."""
    subset = ["--playbook", "gold_asia_dip", "--playbook", "gold_dip_any_session",
              "--playbook", "hsi_short_yen_vol", "--episode", "aug-2024-carry-unwind",
              "--episode", "mar-2011-tohoku-yen-spike", "--episode", "calm-2017q4-control"]
    outputs = []
    for jobs, sheets in (("1", "all"), ("2", "none")):
        result = score(run_cli, real_store, tmp_path / jobs, *subset, "--jobs", jobs,
                       "--sheets", sheets)
        outputs.append(next((tmp_path / jobs).glob("*scorecard")))
    assert "[  9/9 runs,   0 tear sheets]" in result.err
    for name in ("scorecard.csv", "scorecard.json"):
        assert (outputs[0] / name).read_bytes() == (outputs[1] / name).read_bytes()
    for metrics_file in (outputs[0] / "cells").rglob("metrics.json"):
        twin = outputs[1] / metrics_file.relative_to(outputs[0])
        assert metrics_file.read_bytes() == twin.read_bytes()
    rows = json.loads((outputs[0] / "scorecard.json").read_text())
    assert len(list((outputs[0] / "cells").rglob("tear_sheet.html"))) == \
        sum(row["status"] == "ok" for row in rows) > 0
    assert not list((outputs[1] / "cells").rglob("tear_sheet.html"))
    page = (outputs[1] / "scorecard.html").read_text()
    assert "href='cells/hsi_short_yen_vol/aug-2024-carry-unwind/'" in page
    assert "incomplete" not in page
    cell = outputs[1] / "cells" / "hsi_short_yen_vol" / "aug-2024-carry-unwind"
    assert run_cli("report", str(cell)).code == 0
    assert (cell / "tear_sheet.html").is_file()


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


# Every file a cell writes whose bytes depend only on the configuration and the data.
GOLDEN_FILES = ("metrics.json", "trades.csv", "equity.csv", "prices.csv", "signals.csv",
                "benchmark_metrics.json", "benchmark_equity.csv", "twin_metrics.json")
GOLDEN = Path(__file__).parent / "golden" / "scorecard_cells.sha256"


def test_cell_files_are_byte_identical_to_the_golden_hashes(full_card):
    """The files of 44 real cells (hourly and daily, one and two instruments, hold, flat and
    hedge-less benchmarks, twins) as the code wrote them before the speed work of issue 12
    (commit dc1bb27): an optimisation must not move a byte. A change that means to move
    results rewrites the file: UNWIND_WRITE_GOLDEN=1 pytest -k golden, and says why."""
    import hashlib
    import os

    out, _ = full_card
    found = {str(path.relative_to(out)): hashlib.sha256(path.read_bytes()).hexdigest()
             for path in sorted(out.rglob("*"))
             if path.name in GOLDEN_FILES or path.name == "scorecard.csv"}
    if os.environ.get("UNWIND_WRITE_GOLDEN"):
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text("".join(f"{digest}  {name}\n" for name, digest in found.items()))
    expected = dict(line.split("  ")[::-1] for line in GOLDEN.read_text().splitlines())
    assert len(expected) > 200
    assert found == expected
