"""A trader's own playbook: `unwind new playbook` writes a commented spec into a folder, and
that folder (`--playbooks DIR`, as $UNWIND_PLAYBOOKS) puts it beside the package's playbooks
(list, sweep here; check, run and score in the README walk-through, tests/test_readme.py)."""

import json

import pytest

import strategies
from strategies import starter

EPISODE = "aug-2024-carry-unwind"


@pytest.fixture
def folder(tmp_path, monkeypatch):
    """An empty playbooks folder. `--playbooks` sets the variable in this process: setting it
    here first makes monkeypatch restore its state before the test at teardown."""
    monkeypatch.setenv(strategies.FOLDER_VARIABLE, "")
    monkeypatch.delenv(strategies.FOLDER_VARIABLE)
    return tmp_path / "playbooks"


def test_a_new_playbook_is_listed_and_swept(run_cli, folder, real_store, tmp_path):
    store = ("--store", str(real_store.root))
    made = run_cli("new", "playbook", "yen_rally_gold", "--folder", str(folder))
    assert made.code == 0 and f"wrote {folder / 'yen_rally_gold.toml'}" in made.out
    spec = (folder / "yen_rally_gold.toml").read_text()
    assert spec.startswith("# A playbook spec to start from") and 'id = "yen_rally_gold"' in spec
    assert "PLAYBOOK_ID" not in spec and "FOLDER" not in spec

    playbooks = ("--playbooks", str(folder))
    listed = run_cli(*playbooks, "list", "playbooks")
    assert listed.code == 0 and "yen_rally_gold" in listed.out

    swept = run_cli(*playbooks, "sweep", "yen_rally_gold", "--episode", EPISODE,
                    "--grid", "rally=0.01,0.02", *store, "--out", str(tmp_path / "sweeps"),
                    "--jobs", "1", "--json")
    assert swept.code == 0, swept.err
    summary = json.loads(swept.out)
    assert summary["trials"] == 2 and summary["best"]["metrics"]["trades"] >= 1


def test_new_refuses_a_bad_or_taken_id_and_never_overwrites(run_cli, folder):
    assert run_cli("new", "playbook", "Yen-Rally", "--folder", str(folder)).err.startswith(
        "error: playbook id 'Yen-Rally': expected a lower-case name")
    taken = run_cli("new", "playbook", "hsi_short_yen_vol", "--folder", str(folder))
    assert taken.code == 1 and "is taken" in taken.err
    first = run_cli("new", "playbook", "my_idea", "--folder", str(folder))
    (folder / "my_idea.toml").write_text("# the trader's edits\n")
    again = run_cli("new", "playbook", "my_idea", "--folder", str(folder))
    assert (first.code, again.code) == (0, 1) and "exists; edit it" in again.err
    assert (folder / "my_idea.toml").read_text() == "# the trader's edits\n"


def test_the_folder_is_the_option_then_the_variable_then_playbooks(monkeypatch, tmp_path):
    monkeypatch.delenv(strategies.FOLDER_VARIABLE, raising=False)
    assert str(starter.folder(None)) == "playbooks"
    monkeypatch.setenv(strategies.FOLDER_VARIABLE, str(tmp_path))
    assert starter.folder(None) == tmp_path and str(starter.folder("mine")) == "mine"
