"""`unwind now`'s answers kept between processes (unwind/studies/now_cache.py): read back equal
to computed, recomputed when anything they depend on moves, never served torn or foreign."""

import os
import pickle
import subprocess
import sys

import pandas as pd
import pytest

import strategies
from unwind.studies import now, now_cache

AS_OF = "2024-08-02"


def test_an_answer_read_back_is_the_computed_one(real_store, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    store, chosen = str(real_store.root), ("hsi_short_yen_vol", "bond_hedge")
    computed = now.evaluate_all(chosen, store, AS_OF)
    assert len(list(now_cache.folder().glob("*.pickle"))) == 2

    def computing(*args):
        raise AssertionError("computed again")

    monkeypatch.setattr(now, "evaluate", computing)
    again = now.evaluate_all(chosen, store, AS_OF)
    assert again.to_json() == computed.to_json()
    for mine, theirs in zip(again.playbooks, computed.playbooks):
        pd.testing.assert_frame_equal(mine.history, theirs.history, check_exact=True)
        assert mine.panels == theirs.panels
    with pytest.raises(AssertionError, match="computed again"):   # another day: computed
        now.evaluate_all(chosen[:1], store, "2024-08-01")


def test_a_torn_or_foreign_entry_is_computed_again(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    (tmp_path / "store").mkdir()
    answers = now_cache.Answers(tmp_path / "store")
    path = now_cache.folder() / f"{answers.key('gold', None)}.pickle"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"\x80\x05 torn")
    assert answers.get("gold", None, lambda: "computed") == "computed"
    path.write_bytes(pickle.dumps(("another key", "foreign")))
    assert answers.get("gold", None, lambda: "computed again") == "computed again"
    assert answers.get("gold", None, lambda: "not asked") == "computed again"   # kept whole
    assert not list(path.parent.glob("*.partial"))
    # an answer `keep` refuses (now: an error) is returned, not kept
    assert answers.get("silver", None, lambda: "failed", keep=lambda answer: False) == "failed"
    assert answers.get("silver", None, lambda: "computed") == "computed"


def test_the_key_moves_with_the_store_and_the_users_playbooks(tmp_path, monkeypatch):
    store = tmp_path / "store"
    (store / "GC").mkdir(parents=True)
    manifest, parquet = store / "GC" / "1d.json", store / "GC" / "1d-abc.parquet"
    manifest.write_text('{"rows": 2}')
    parquet.write_bytes(b"1234")
    first = now_cache.store_fingerprint(store)
    assert now_cache.store_fingerprint(store) == first
    stamp = parquet.stat()
    parquet.write_bytes(b"4321")          # rewritten under an unchanged manifest
    os.utime(parquet, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))   # its old time put back
    second = now_cache.store_fingerprint(store)
    assert second != first
    manifest.write_text('{"rows": 3}')
    assert now_cache.store_fingerprint(store) not in (first, second)

    folder = tmp_path / "playbooks"
    folder.mkdir()
    monkeypatch.setenv(strategies.FOLDER_VARIABLE, str(folder))
    (folder / "mine.toml").write_text("# one version\n")
    code = now_cache.code_fingerprint()
    (folder / "mine.toml").write_text("# another\n")
    assert now_cache.code_fingerprint() != code


def test_a_now_read_back_imports_no_engine(real_store, tmp_path):
    # The second `now` on unchanged data reads its answers back: no backtrader (0.2 s), no
    # playbook built; the first computed them (and imported the engine).
    script = ("import sys\nfrom unwind.cli import main\n"
              f"code = main(['now', 'hsi_short_yen_vol', '--as-of', '{AS_OF}', '--json', "
              f"'--store', {str(real_store.root)!r}, '--html', {str(tmp_path / 'now.html')!r}])\n"
              "print(sorted(m for m in ('backtrader', 'strategies.book', 'unwind.sim.engine')"
              " if m in sys.modules), code)")
    environment = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    runs = [subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                           timeout=120, env=os.environ | environment) for _ in range(2)]
    assert all(run.returncode == 0 for run in runs), runs[-1].stderr
    outputs = [run.stdout.splitlines() for run in runs]
    assert outputs[0][-1] == "['backtrader', 'strategies.book', 'unwind.sim.engine'] 0"
    assert outputs[1][-1] == "[] 0"
    assert outputs[0][:-1] == outputs[1][:-1]   # the same JSON


def test_the_oldest_entries_go_beyond_the_ones_kept(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    (tmp_path / "store").mkdir()
    answers = now_cache.Answers(tmp_path / "store")
    monkeypatch.setattr(now_cache, "KEEP", 3)
    names = []
    for number in range(5):
        names.append(f"{answers.key(f'playbook{number}', None)}.pickle")
        for older, name in enumerate(names[:-1]):   # written one second apart, long ago
            if (now_cache.folder() / name).exists():
                os.utime(now_cache.folder() / name, ns=(older * 10**9, older * 10**9))
        answers.get(f"playbook{number}", None, lambda: number)
    assert sorted(p.name for p in now_cache.folder().glob("*.pickle")) == sorted(names[2:])


def test_a_folder_another_user_could_write_is_not_used(tmp_path, monkeypatch):
    # an entry is a pickle: reading one runs what it names, so only the user's own folder
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    (tmp_path / "store").mkdir()
    answers = now_cache.Answers(tmp_path / "store")
    assert answers.get("gold", None, lambda: "kept") == "kept"
    now_cache.folder().chmod(0o777)
    assert answers.get("gold", None, lambda: "computed") == "computed"   # not read back
    now_cache.folder().chmod(0o700)
    assert answers.get("gold", None, lambda: "not asked") == "kept"


def test_the_key_follows_linked_series_folders_and_registered_specs(tmp_path, monkeypatch):
    real = tmp_path / "elsewhere" / "GC"
    real.mkdir(parents=True)
    (real / "1d.json").write_text('{"rows": 2}')
    store = tmp_path / "store"
    store.mkdir()
    (store / "GC").symlink_to(real, target_is_directory=True)
    (store / "loop").symlink_to(store, target_is_directory=True)   # walked once
    first = now_cache.store_fingerprint(store)
    (real / "1d.json").write_text('{"rows": 3}')
    assert now_cache.store_fingerprint(store) != first

    spec = tmp_path / "mine.toml"
    spec.write_text("# one version\n")
    monkeypatch.setattr(strategies, "registered", lambda: (spec,))
    code = now_cache.code_fingerprint()
    spec.write_text("# another\n")
    assert now_cache.code_fingerprint() != code
