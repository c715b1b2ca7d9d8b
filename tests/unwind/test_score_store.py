"""`unwind score` reads the store every verb reads: --store, else $UNWIND_STORE, else the default
location; it falls back to the SYNTHETIC demo only when that store holds none of the series the
playbooks read, and its cells equal `unwind run PLAYBOOK --episode ID` on the same store."""

import json
from pathlib import Path

import pytest

from unwind.evidence import metrics
from unwind.studies import scorecard

AUGUST = "aug-2024-carry-unwind"


def score_json(run_cli, out: Path, *args: str) -> dict:
    result = run_cli("score", "runs/aug-2024.toml", "--out", str(out), "--json",
                     "--no-full-history", *args)
    assert result.code == 0, result.err
    return json.loads(result.out)


def run_metrics(run_cli, out: Path, playbook: str) -> dict:
    result = run_cli("run", playbook, "--episode", AUGUST, "--out", str(out), "--json")
    assert result.code == 0, result.err
    return json.loads(result.out)["metrics"]


def test_score_reads_the_store_named_by_unwind_store(real_store, tmp_path, monkeypatch,
                                                     run_cli):
    monkeypatch.setenv("UNWIND_STORE", str(real_store.root))
    # an hourly, a daily and a two-instrument playbook
    card = score_json(run_cli, tmp_path / "card", "--jobs", "2", "--playbook", "gold_asia_dip",
                      "--playbook", "hsi_short_yen_vol", "--playbook", "bond_hedge")
    assert card["synthetic"] is False and card["store"] == str(real_store.root)
    assert "SYNTHETIC" not in json.dumps(card)
    keys = [metric.key for metric in metrics.METRICS]
    for row in card["rows"]:
        assert row["episode"] == AUGUST and row["status"] == "ok", row["reason"]
        alone = run_metrics(run_cli, tmp_path / "runs", row["playbook"])
        assert {k: row[k] for k in keys} == {k: alone[k] for k in keys}, row["playbook"]


def test_score_reads_the_default_store_under_home(real_store, tmp_path, monkeypatch, run_cli):
    home = tmp_path / "home"
    default = home / ".local" / "share" / "carry-unwind" / "store"
    default.parent.mkdir(parents=True)
    default.symlink_to(real_store.root, target_is_directory=True)
    monkeypatch.delenv("UNWIND_STORE", raising=False)
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.setenv("HOME", str(home))
    result = run_cli("score", "runs/aug-2024.toml", "--no-full-history", "--playbook",
                     "gold_asia_dip", "--out",
                     str(tmp_path / "card"))
    assert result.code == 0, result.err
    first = result.out.splitlines()[0]
    assert first == f"store: {default} (2 of the 2 series the playbooks read)"
    card = next((tmp_path / "card").glob("*scorecard"))
    row = json.loads((card / "scorecard.json").read_text())[0]
    alone = run_metrics(run_cli, tmp_path / "runs", "gold_asia_dip")
    assert row["total_return"] == alone["total_return"] and row["trades"] == alone["trades"]


def test_score_falls_back_to_the_demo_only_when_no_needed_series_is_stored(
        tmp_path, monkeypatch, run_cli, raw):
    from feeds.importer import ImportOptions, import_files
    from feeds.store import Store

    store = Store(tmp_path / "store")
    monkeypatch.setenv("UNWIND_STORE", str(store.root))
    import_files([raw / "datahub_vix/vix-daily.csv"],
                 ImportOptions(symbol="VIX", repair_ohlc="widen"), store)
    config = scorecard.ScoreConfig(playbooks=("gold_asia_dip",), episodes=(AUGUST,),
                                   store=None, out=str(tmp_path / "out"))
    choice = scorecard.choose_store(config)
    assert choice.synthetic and choice.user_root == str(store.root)
    assert choice.describe().startswith("SYNTHETIC demo data: the store ")
    import_files([raw / "mt5_fxtrading_ea/USDJPY_H1.csv"], ImportOptions(symbol="USDJPY"),
                 store)
    choice = scorecard.choose_store(config)
    assert not choice.synthetic and (choice.found, choice.needed) == (1, 2)
    assert choice.describe() == f"store: {store.root} (1 of the 2 series the playbooks read)"


@pytest.mark.parametrize("row, text", [
    ({"status": "n/a", "trades": None, "total_return": None}, "n/a"),
    ({"status": "ok", "trades": 0, "total_return": 0.0}, "no signal"),
    ({"status": "ok", "trades": 2, "total_return": 0.0}, "+0.0%"),
    ({"status": "ok", "trades": 1, "total_return": -0.0064}, "-0.6%"),
])
def test_a_cell_without_a_trade_reads_no_signal_not_zero(row, text):
    assert scorecard.cell_text(row) == text
