"""The store: atomic writes, no-op re-imports, refused overwrites, the public `feeds.load`."""

import os
import time
from pathlib import Path

import pandas as pd
import pytest

import feeds
from feeds.errors import BrokenSeries, DataError
from feeds.importer import ImportOptions, import_files
from feeds.store import Store
from tests.conftest import tree_digest

CSV = "Date,Close,High,Low,Open,Volume\n2024-08-01,10,11,9,10,5\n2024-08-02,10.5,11,9.5,10,5\n"


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_import_then_load_gives_the_canonical_frame(tmp_path):
    store = Store(tmp_path / "store")
    import_files([write(tmp_path, "gc.csv", CSV)], ImportOptions(symbol="gc"), store)
    frame = feeds.load("GC", store=store)
    assert list(frame.columns) == ["open", "high", "low", "close", "volume"]
    assert str(frame.index.tz) == "UTC" and frame.index.name == "time"
    assert frame.index.is_monotonic_increasing and frame.index.is_unique
    assert (frame.dtypes == "float64").all()
    assert frame.index[0] == pd.Timestamp("2024-08-01", tz="UTC")
    assert frame.attrs["sources"][0]["format"] == "yahoo"
    assert len(feeds.load("GC", "2024-08-02", "2024-08-02", store=store)) == 1


def test_a_window_holds_the_bars_from_its_start_to_the_end_of_its_last_day(tmp_path):
    """Bars on 1, 2 and 5 August: a window's rows are those from its first instant to the end of
    its last day (an end with a time ends there), counted here by hand (the gate is not asked:
    two of three bars open at their close)."""
    store = Store(tmp_path / "store")
    text = CSV + "2024-08-05,11,12,10,11,5\n"
    import_files([write(tmp_path, "gc.csv", text)], ImportOptions(symbol="GC"), store)

    def days(start, end):
        frame = feeds.load("GC", start, end, store=store, check_quality=False)
        return [stamp.day for stamp in frame.index]

    assert days(None, None) == [1, 2, 5]
    assert days("2024-08-02", None) == [2, 5]
    assert days(None, "2024-08-02") == [1, 2]
    assert days("2024-08-01 00:00:01", "2024-08-05") == [2, 5]
    assert days("2024-08-02", "2024-08-04 23:59") == [2]
    assert days(pd.Timestamp("2024-08-01", tz="UTC"), pd.Timestamp("2024-08-02", tz="UTC")) == \
        [1, 2]
    with pytest.raises(DataError, match="no bars between 2024-08-03 and 2024-08-04"):
        feeds.load("GC", "2024-08-03", "2024-08-04", store=store, check_quality=False)


def test_reimport_is_a_no_op_and_other_data_needs_replace(tmp_path):
    store = Store(tmp_path / "store")
    path = write(tmp_path, "gc.csv", CSV)
    assert import_files([path], ImportOptions(symbol="GC"), store)[0].status == "imported"
    before = tree_digest(store.root)
    assert import_files([path], ImportOptions(symbol="GC"), store)[0].status == "unchanged"
    assert tree_digest(store.root) == before
    changed = write(tmp_path, "gc2.csv", CSV.replace("10.5", "10.6"))
    with pytest.raises(DataError, match="already holds other data.*--replace"):
        import_files([changed], ImportOptions(symbol="GC"), store)
    assert tree_digest(store.root) == before
    outcome = import_files([changed], ImportOptions(symbol="GC", replace=True), store)[0]
    assert outcome.status == "replaced"
    assert feeds.load("GC", store=store)["close"].iloc[-1] == 10.6
    assert len(list((store.root / "GC").glob("*.parquet"))) == 1


def test_a_write_killed_before_the_manifest_leaves_the_old_series(tmp_path, monkeypatch):
    store = Store(tmp_path / "store")
    import_files([write(tmp_path, "gc.csv", CSV)], ImportOptions(symbol="GC"), store)
    real_replace = os.replace

    def dies_on_manifest(source, target):
        if str(target).endswith(".json"):
            raise KeyboardInterrupt("killed")
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", dies_on_manifest)
    with pytest.raises(KeyboardInterrupt):
        import_files([write(tmp_path, "gc2.csv", CSV.replace("10.5,11", "12,12.5"))],
                     ImportOptions(symbol="GC", replace=True), store)
    monkeypatch.setattr(os, "replace", real_replace)
    assert feeds.load("GC", store=store)["close"].iloc[-1] == 10.5
    assert not list((store.root / "GC").glob(".*tmp"))


def test_files_for_one_symbol_are_joined_and_must_agree(tmp_path):
    store = Store(tmp_path / "store")
    first = write(tmp_path, "a.csv", CSV)
    second = write(tmp_path, "b.csv", "Date,Close,High,Low,Open,Volume\n"
                   "2024-08-02,10.5,11,9.5,10,5\n2024-08-05,11,12,10,10.5,5\n")
    outcome = import_files([first, second], ImportOptions(symbol="GC"), store)[0]
    assert outcome.rows == 3
    clash = write(tmp_path, "c.csv", CSV.replace("10.5,11,9.5", "10.7,11,9.5"))
    with pytest.raises(DataError, match="differs from the one in"):
        import_files([first, clash], ImportOptions(symbol="GC@two"), store)


def test_load_errors_name_what_is_missing(tmp_path):
    store = Store(tmp_path / "store")
    with pytest.raises(DataError, match="no GC 1d series in the store.*unwind data import"):
        feeds.load("GC", store=store)
    import_files([write(tmp_path, "gc.csv", CSV)], ImportOptions(symbol="GC"), store)
    with pytest.raises(DataError, match="no bars between 2020-01-01 and 2020-02-01"):
        feeds.load("GC", "2020-01-01", "2020-02-01", store=store)


def test_a_missing_bar_size_names_the_stored_ones_without_surveying_the_store(tmp_path,
                                                                              monkeypatch):
    store = Store(tmp_path / "store")
    import_files([write(tmp_path, "gc.csv", CSV)], ImportOptions(symbol="GC"), store)
    monkeypatch.setattr(Store, "survey", lambda *a, **k: pytest.fail("surveyed the store"))
    with pytest.raises(DataError, match="no GC 1h series in the store .*; stored bar sizes: 1d$"):
        feeds.load("GC", bar="1h", store=store)


def test_the_quality_gate_checks_a_stored_window_once_and_still_blocks_on_a_rerun(tmp_path,
                                                                                 monkeypatch):
    from feeds import quality

    store = Store(tmp_path / "store")
    flat = "Date,Close,High,Low,Open,Volume\n" + "".join(
        f"2024-08-0{day},10,10,10,10,5\n" for day in (1, 2, 5, 6))
    import_files([write(tmp_path, "gc.csv", flat)], ImportOptions(symbol="GC"), store)
    checked = []
    original = quality.check
    monkeypatch.setattr(quality, "check", lambda *a, **k: checked.append(a[0].index[0]) or
                        original(*a, **k))
    for _ in range(2):   # every bar flat: the gate blocks, from the cache the second time
        with pytest.raises(feeds.QualityError, match="fails the quality gate"):
            feeds.load("GC", store=store)
    with pytest.raises(feeds.QualityError, match="in 2024-08-02..2024-08-02"):
        feeds.load("GC", "2024-08-02", "2024-08-02", store=store)   # another window: checked
    assert checked == [pd.Timestamp("2024-08-01", tz="UTC"), pd.Timestamp("2024-08-02", tz="UTC")]


def _hashes_counted(monkeypatch) -> list:
    """Reads of a parquet's bytes (each is hashed against the manifest), counted."""
    from feeds import filesystem

    reads, original = [], filesystem.read_regular_status

    def read(path, *arguments):
        if Path(path).suffix == ".parquet":
            reads.append(Path(path).name)
        return original(path, *arguments)

    monkeypatch.setattr(filesystem, "read_regular_status", read)
    return reads


def _rewrite_in_place(path, data: bytes) -> None:
    """Write `data` over the file at `path` and put its modification time back, until its
    change time moves (it is as coarse as the kernel's clock tick)."""
    before = os.stat(path)
    while True:
        with open(path, "r+b") as handle:
            handle.write(data)
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
        if os.stat(path).st_ctime_ns != before.st_ctime_ns:
            return
        time.sleep(0.005)


def test_a_file_read_before_is_served_without_hashing_until_it_is_rewritten(tmp_path,
                                                                            monkeypatch):
    from feeds import store as store_module

    monkeypatch.setattr(store_module, "_SETTLED_NS", 0)   # the test's fresh file counts as old
    store = Store(tmp_path / "store")
    import_files([write(tmp_path, "gc.csv", CSV)], ImportOptions(symbol="GC"), store)
    reads = _hashes_counted(monkeypatch)
    frame, info = store.read("GC", "1d")
    frame.loc[:, "close"] = -1.0   # a caller's change to its frame reaches no later read
    again, _ = store.read("GC", "1d")
    assert reads == [info.file] and again["close"].tolist() == [10.0, 10.5]
    parquet = store.root / "GC" / info.file
    data = parquet.read_bytes()
    middle = len(data) // 2
    _rewrite_in_place(parquet, data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1:])
    assert os.stat(parquet).st_size == len(data)
    with pytest.raises(BrokenSeries, match="does not match the manifest's sha256"):
        store.read("GC", "1d")   # same size and modification time: read and hashed again
    _rewrite_in_place(parquet, data)
    assert store.read("GC", "1d")[0]["close"].tolist() == [10.0, 10.5]
    assert reads == [info.file] * 3


def test_a_file_changed_just_before_its_read_is_hashed_on_every_read(tmp_path, monkeypatch):
    from feeds import store as store_module

    # "a moment" made a day long: a slow machine taking 2 s between the import and the reads
    # must not turn the file settled under the test
    monkeypatch.setattr(store_module, "_SETTLED_NS", 86_400 * 10 ** 9)
    store = Store(tmp_path / "store")
    import_files([write(tmp_path, "gc.csv", CSV)], ImportOptions(symbol="GC"), store)
    reads = _hashes_counted(monkeypatch)
    for _ in range(2):   # written a moment ago: a rewrite in the same clock tick could hide
        store.read("GC", "1d")
    assert len(reads) == 2


def test_store_location_comes_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("UNWIND_STORE", str(tmp_path / "elsewhere"))
    assert Store().root == tmp_path / "elsewhere"
