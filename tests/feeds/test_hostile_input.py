"""Hostile input and faults for the data layer, through the real CLI.

Every failing case asserts exactly one `error:` line on stderr, the exit code, and the store:
byte-identical (a refused input, a failed write) or, where the case damages the store, the damage
reported without changing anything and then repaired by the very command the error names.
Processes that must die (SIGKILL while holding the writer lock or in the middle of a write) and
imports that must race run as real subprocesses.
"""

from __future__ import annotations

import codecs
import contextlib
import errno
import hashlib
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from feeds import filesystem
from feeds.store import Store
from tests.conftest import Processes, tree_digest

ROOT = Path(__file__).resolve().parents[2]
UNWIND = [sys.executable, "-c", "import sys\nfrom unwind.cli import main\nsys.exit(main())"]
DAILY = "Date,Close,High,Low,Open,Volume\n2024-08-01,10,11,9,10,5\n2024-08-02,10.5,11,9.5,10,5\n"


def hourly(price: float, hours: int = 6) -> str:
    rows = [f"2024-08-01T{h:02d}:00:00+00:00,{price},{price + 1},{price - 1},{price + 0.5},7"
            for h in range(hours)]
    return "time,open,high,low,close,volume\n" + "\n".join(rows) + "\n"


def one_error_line(result) -> str:
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.err
    assert "Traceback" not in result.err + result.out
    return lines[0]


@dataclass
class Env:
    """A store seeded with GC 1d, USDJPY 1h and XAUUSD 1h from tiny files, and a scratch dir."""

    tmp: Path
    store: Path
    files: dict[str, Path]

    def file(self, name: str, content: str | bytes) -> Path:
        path = self.tmp / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
        return path

    def manifest(self, series: str, bar: str) -> Path:
        return self.store / series / f"{bar}.json"

    def parquet(self, series: str, bar: str) -> Path:
        return self.store / series / json.loads(self.manifest(series, bar).read_text())["file"]

    def edit_manifest(self, series: str, bar: str, change: Callable[[dict], None]) -> None:
        data = json.loads(self.manifest(series, bar).read_text())
        change(data)
        self.manifest(series, bar).write_text(json.dumps(data))

    def rewrite_parquet(self, series: str, bar: str, frame: pd.DataFrame, index: bool = True,
                        legacy: bool = False) -> None:
        """Replace the parquet and update the manifest's hash (so only the content is wrong), or
        drop the hash (`legacy`: a manifest written before hashes were recorded)."""
        path = self.parquet(series, bar)
        frame.to_parquet(path, index=index)
        data = path.read_bytes()

        def update(manifest: dict) -> None:
            if legacy:
                del manifest["file_sha256"], manifest["file_bytes"]
            else:
                manifest["file_sha256"] = hashlib.sha256(data).hexdigest()
                manifest["file_bytes"] = len(data)

        self.edit_manifest(series, bar, update)


@pytest.fixture(autouse=True)
def no_default_store(tmp_path, monkeypatch):
    """Should a case lose $UNWIND_STORE, the default store is a scratch one, not the user's."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data-home"))
    yield
    assert not (tmp_path / "data-home").exists(), "a case wrote to the default store"


@pytest.fixture
def env(tmp_path, store_dir, run_cli) -> Env:
    files = {"GC": (tmp_path / "gc.csv", DAILY), "USDJPY": (tmp_path / "usdjpy.csv", hourly(146)),
             "XAUUSD": (tmp_path / "xauusd.csv", hourly(2400))}
    for symbol, (path, text) in files.items():
        path.write_text(text)
        assert run_cli("data", "import", str(path), "--symbol", symbol).code == 0
    return Env(tmp_path, store_dir, {symbol: path for symbol, (path, _) in files.items()})


# ------------------------------------------------------------------------------ hostile files
def _long_line(env: Env, size: int, commas: bool) -> Path:
    """A file whose header (no commas) or second row (a huge field) is `size` bytes."""
    path = env.tmp / "huge.csv"
    with path.open("wb") as handle:
        if commas:
            handle.write(b"Date,Close,High,Low,Open,Volume\n2024-08-01,")
        block = b"x" * (1 << 20)
        for _ in range(size >> 20):
            handle.write(block)
        handle.write(b",1,1,1,1\n")
    return path


def _fifo(env: Env) -> Path:
    path = env.tmp / "pipe.csv"
    os.mkfifo(path)
    return path


def _utf(encoding: str, bom: bytes = b"") -> Callable[[Env], Path]:
    return lambda env: env.file("wide.csv", bom + DAILY.replace("10.5", "10.25").encode(encoding))


MIXED = ("time,open,high,low,close\n2024-08-01T00:00:00,1,2,0.5,1\n"
         "2024-08-01T01:00:00+02:00,1,2,0.5,1\n")
AWARE_THEN_NAIVE = ("time,open,high,low,close\n2024-08-01T00:00:00Z,1,2,0.5,1\n"
                    "2024-08-01T01:00:00,1,2,0.5,1\n")

# (name, input file: text or a function making it, CLI args after the path, exit code,
#  text of the error line, or None for a clean import)
IMPORT_CASES = [
    ("50 MB line without commas", lambda env: _long_line(env, 50 << 20, commas=False),
     ["--symbol", "GC@x"], 1, "line 1 is over 10,000 bytes long (starts 'xxxx"),
    ("150 MB field", lambda env: _long_line(env, 150 << 20, commas=True),
     ["--symbol", "GC@x"], 1, "line 2 is over 10,000 bytes long (starts '2024-08-01,xxx"),
    ("date 9999-12-31", DAILY.replace("2024-08-02", "9999-12-31"), ["--symbol", "GC@x"], 1,
     "row 3: '9999-12-31' is after"),
    ("date in 2300", DAILY.replace("2024-08-02", "2300-01-02"), ["--symbol", "GC@x"], 1,
     "row 3: '2300-01-02' is after"),
    ("date in 1600", DAILY.replace("2024-08-01", "1600-08-01"), ["--symbol", "GC@x"], 1,
     "row 2: '1600-08-01' is before 1900-01-01"),
    ("bar after today", DAILY.replace("2024-08-01", "2200-01-01").replace("2024-08-02",
                                                                          "2200-01-02"),
     ["--symbol", "GC@x"], 1, "row 2: '2200-01-01' is after"),
    ("naive then aware times", MIXED, ["--symbol", "GC@x"], 1,
     "row 3: '2024-08-01T01:00:00+02:00' carries a UTC offset, unlike row 2"),
    ("aware then naive times", AWARE_THEN_NAIVE, ["--symbol", "GC@x"], 1,
     "row 3: '2024-08-01T01:00:00' has no UTC offset, unlike row 2"),
    ("--date-format %Q", DAILY.replace("Date", "date"),
     ["--symbol", "GC@x", "--format", "generic", "--map", "time=date,close=Close",
      "--date-format", "%Q"], 1, "--date-format '%Q' is not a usable strftime format"),
    ("--date-format on a fixed format", DAILY, ["--symbol", "GC@x", "--date-format", "%Y"], 1,
     "--date-format applies to the ohlc and generic formats"),
    ("inf price", DAILY.replace("10.5,11", "inf,11"), ["--symbol", "GC@x"], 1,
     "row 3: close inf is not a finite price"),
    ("1e400 price", DAILY.replace("10.5,11", "1e400,11"), ["--symbol", "GC@x"], 1,
     "row 3: close inf is not a finite price"),
    ("-inf on a yield", "observation_date,DGS10\n2024-08-01,3.9\n2024-08-02,-inf\n", [], 1,
     "row 3: open -inf is not a finite price"),
    ("inf volume", DAILY.replace(",5\n2024-08-02", ",1e999\n2024-08-02"), ["--symbol", "GC@x"],
     1, "row 2: volume inf is not a finite volume"),
    ("zero price", DAILY.replace("10.5,11,9.5", "0,11,9.5"), ["--symbol", "GC@x"], 1,
     "row 3: close 0 is not a positive price"),
    ("NaN price", DAILY.replace("10.5,11", "NaN,11"), ["--symbol", "GC@x"], 1,
     "row 3 column 'Close': 'NaN' is not a number"),
    ("long text in a price", DAILY.replace("10.5,11", "y" * 5000 + ",11"), ["--symbol", "GC@x"],
     1, "'yyyy"),
    ("FIFO", _fifo, ["--symbol", "GC@x"], 1, "is a FIFO (named pipe), not a regular file"),
    ("character device", lambda env: Path("/dev/zero"), ["--symbol", "GC@x"], 1,
     "/dev/zero: is a character device, not a regular file"),
    ("UTF-32", lambda env: env.file("wide.csv", codecs.BOM_UTF32_LE + DAILY.encode("utf-32-le")),
     ["--symbol", "GC@x"], 1, "UTF-32 text; save it as UTF-8"),
    ("UTF-16 with a byte-order mark", _utf("utf-16-le", codecs.BOM_UTF16_LE),
     ["--symbol", "GC@u16"], 0, None),
    ("UTF-16 big-endian with a byte-order mark", _utf("utf-16-be", codecs.BOM_UTF16_BE),
     ["--symbol", "GC@u16be"], 0, None),
    ("UTF-16 without a byte-order mark", _utf("utf-16-le"), ["--symbol", "GC@u16"], 0, None),
]


@pytest.mark.parametrize("name, content, args, code, message", IMPORT_CASES,
                         ids=[case[0] for case in IMPORT_CASES])
def test_hostile_files_give_one_line_and_leave_the_store_alone(name, content, args, code, message,
                                                               env, run_cli):
    before = tree_digest(env.store)
    path = content(env) if callable(content) else env.file("input.csv", content)
    result = run_cli("data", "import", str(path), *args)
    assert result.code == code, result.err
    if message is None:
        assert result.err == "" and result.out.startswith("imported")
        symbol = args[args.index("--symbol") + 1]
        shown = run_cli("data", "show", symbol, "--json")
        assert [bar["close"] for bar in json.loads(shown.out)["bars"]] == [10.0, 10.25]
        return
    line = one_error_line(result)
    assert message in line, line
    assert message.startswith("--") or str(path) in line, line
    assert len(line) < 400, "the error echoes the whole offending value"
    assert tree_digest(env.store) == before


def test_a_150_mb_field_is_refused_without_reading_it_into_memory(tmp_path, processes):
    if not Path("/proc/self/status").exists():
        pytest.skip("peak memory is read from /proc")
    path = tmp_path / "huge.csv"
    with path.open("wb") as handle:
        handle.write(b"Date,Close,High,Low,Open,Volume\n2024-08-01,")
        handle.write(b"9" * (150 << 20))
        handle.write(b",1,1,1,1\n")
    store = tmp_path / "store"
    # VmHWM is the peak of this process's own memory (ru_maxrss would include the forking
    # pytest's, which Linux carries across exec)
    script = ("import re, sys\nfrom pathlib import Path\nfrom unwind.cli import main\n"
              "code = main(sys.argv[1:])\nstatus = Path('/proc/self/status').read_text()\n"
              "print(re.search(r'VmHWM:\\s+(\\d+) kB', status).group(1))\nsys.exit(code)\n")
    result = processes.run([sys.executable, "-c", script, "data", "import", str(path),
                            "--symbol", "GC", "--store", str(store)], cwd=ROOT,
                           capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr.count("error:") == 1 and "line 2 is over 10,000 bytes" in result.stderr
    peak_megabytes = int(result.stdout.strip()) / 1024
    assert peak_megabytes < 400, f"peak RSS {peak_megabytes:.0f} MB for a 150 MB field"
    assert not store.exists()


def test_a_file_over_the_size_limit_is_refused(env, run_cli, monkeypatch):
    from feeds.sources import text

    monkeypatch.setattr(text, "MAX_FILE_BYTES", 40)
    before = tree_digest(env.store)
    result = run_cli("data", "import", str(env.file("input.csv", DAILY)), "--symbol", "GC@x")
    assert result.code == 1
    assert "larger than 40 bytes; split it into parts" in one_error_line(result)
    assert tree_digest(env.store) == before


# (data command, exit code, text of the error line): windows are dates inside a stated span
OPTION_CASES = [
    (["show", "GC", "--start", "0001-01-01"], 2, "0001-01-01 is outside 1900-01-01..2261-12-31"),
    (["validate", "GC", "--end", "99999-01-01"], 2, "'99999-01-01' is not a date"),
    (["show", "GC", "--start", "2024-08-02", "--end", "2024-08-01"], 1,
     "--start 2024-08-02 is after --end 2024-08-01"),
    (["show", "GC", "--start", "20240802", "--end", "2024-08-02"], 0, None),
]


@pytest.mark.parametrize("args, code, message", OPTION_CASES,
                         ids=[" ".join(case[0]) for case in OPTION_CASES])
def test_window_options_are_dates_inside_a_stated_span(args, code, message, env, run_cli):
    before = tree_digest(env.store)
    result = run_cli("data", *args)
    assert result.code == code, result.err
    if message is None:
        assert "1 bar in window" in result.out and result.err == ""
    else:
        assert message in one_error_line(result)
    assert tree_digest(env.store) == before


# ---------------------------------------------------------------------- a damaged store
def _xauusd_parquet_over_usdjpy(env: Env) -> None:
    env.parquet("USDJPY", "1h").write_bytes(env.parquet("XAUUSD", "1h").read_bytes())


def _legacy_xauusd_over_usdjpy(env: Env) -> None:
    """The same with a manifest from before file hashes (only the data hash can tell)."""
    env.edit_manifest("USDJPY", "1h", lambda m: [m.pop("file_sha256"), m.pop("file_bytes")])
    _xauusd_parquet_over_usdjpy(env)


def _truncate(env: Env) -> None:
    path = env.parquet("USDJPY", "1h")
    path.write_bytes(path.read_bytes()[:200])


def _frame(env: Env) -> pd.DataFrame:
    return pd.read_parquet(env.parquet("USDJPY", "1h"))


# (name, damage, command, text of the error line)
STORE_CASES = [
    ("XAUUSD parquet copied over USDJPY", _xauusd_parquet_over_usdjpy, ["show", "USDJPY"],
     "does not match the manifest's sha256"),
    ("the same on a manifest without file hashes", _legacy_xauusd_over_usdjpy,
     ["show", "USDJPY"], "does not match the manifest's data_sha256"),
    ("manifest points outside its folder", lambda env: env.edit_manifest(
        "USDJPY", "1h", lambda m: m.update(file="../XAUUSD/" + m["file"])), ["show", "USDJPY"],
     "names the file '../XAUUSD/1h-"),
    ("manifest with \"first\": 5", lambda env: env.edit_manifest(
        "USDJPY", "1h", lambda m: m.update(first=5)), ["show", "USDJPY"],
     "field 'first' is 5, expected text"),
    ("manifest of another series", lambda env: env.manifest("USDJPY", "1h").write_bytes(
        env.manifest("XAUUSD", "1h").read_bytes()), ["show", "USDJPY"],
     "describes 'XAUUSD' '1h', not the USDJPY 1h of its folder"),
    ("garbage manifest", lambda env: env.manifest("USDJPY", "1h").write_bytes(b"\x00{garbage"),
     ["show", "USDJPY"], "its manifest 1h.json is not valid JSON"),
    ("manifest that is a list", lambda env: env.manifest("USDJPY", "1h").write_text("[1, 2]"),
     ["validate", "USDJPY"], "its manifest 1h.json holds list, not an object"),
    ("parquet without close", lambda env: env.rewrite_parquet(
        "USDJPY", "1h", _frame(env).drop(columns="close")), ["show", "USDJPY"],
     "has no close column"),
    ("parquet without its time index", lambda env: env.rewrite_parquet(
        "USDJPY", "1h", _frame(env), index=False), ["show", "USDJPY"], "has no UTC time index"),
    ("series holding inf", lambda env: env.rewrite_parquet(
        "USDJPY", "1h", _frame(env).assign(close=float("inf")), legacy=True), ["show", "USDJPY"],
     "holds inf as close at 2024-08-01T00:00:00+00:00"),
    ("truncated parquet", _truncate, ["show", "USDJPY"], "is 200 bytes, the manifest says"),
    ("deleted parquet", lambda env: env.parquet("USDJPY", "1h").unlink(), ["show", "USDJPY"],
     "its parquet 1h-"),
]


@pytest.mark.parametrize("name, damage, command, message", STORE_CASES,
                         ids=[case[0] for case in STORE_CASES])
def test_a_damaged_series_is_reported_in_one_line_and_the_named_command_repairs_it(
        name, damage, command, message, env, run_cli):
    damage(env)
    before = tree_digest(env.store)
    result = run_cli("data", *command)
    assert result.code == 1
    line = one_error_line(result)
    assert line.startswith("error: USDJPY 1h in the store is broken: ") and message in line, line
    assert tree_digest(env.store) == before
    # every other series still lists and reads; the broken one is marked with its reason
    listed = run_cli("data", "list")
    assert listed.code == 0 and listed.err == ""
    assert re.search(r"^XAUUSD\s+1h\s+6\s", listed.out, re.M)
    assert re.search(r"^USDJPY\s+1h\s+BROKEN", listed.out, re.M)
    assert "BROKEN USDJPY 1h: " in listed.out and message.split(" at ")[0] in listed.out
    validated = run_cli("data", "validate")
    assert validated.code == 1 and "FAIL USDJPY 1h" in validated.out
    assert tree_digest(env.store) == before
    # the command the error names rebuilds the series
    repair = re.search(r"rebuild it with `([^`]+)`", line).group(1)
    words = shlex.split(repair)
    assert words[0] == "unwind"
    if "FILE" in words:
        words[words.index("FILE")] = str(env.files["USDJPY"])
    if "inf" in name:  # the file was fine; the bad values came from elsewhere
        words = [w for w in words if w != "--replace"]
    repaired = run_cli(*words[1:])
    assert repaired.code == 0 and repaired.out.startswith("repaired  USDJPY 1h"), repaired.err
    shown = json.loads(run_cli("data", "show", "USDJPY", "--json").out)
    assert [bar["close"] for bar in shown["bars"]] == [146.5] * 6
    assert sorted(p.name for p in (env.store / "USDJPY").iterdir()) == \
        sorted(["1h.json", env.parquet("USDJPY", "1h").name])


def test_a_broken_series_is_not_replaced_by_other_data_without_replace(env, run_cli):
    env.manifest("USDJPY", "1h").write_text("{")
    before = tree_digest(env.store)
    other = env.file("other.csv", hourly(150))
    result = run_cli("data", "import", str(other), "--symbol", "USDJPY")
    assert result.code == 1
    assert "USDJPY 1h in the store is broken (its manifest 1h.json is not valid JSON); pass " \
           "--replace to rebuild it from" in one_error_line(result)
    assert tree_digest(env.store) == before
    assert run_cli("data", "import", str(other), "--symbol", "USDJPY", "--replace").code == 0


def test_store_named_by_the_environment_is_a_regular_file(tmp_path, monkeypatch, run_cli):
    path = tmp_path / "not-a-folder"
    path.write_text("x")
    monkeypatch.setenv("UNWIND_STORE", str(path))
    for command in (["data", "list"], ["data", "show", "GC"],
                    ["data", "import", str(path), "--symbol", "GC"]):
        result = run_cli(*command)
        assert result.code == 1, command
        assert f"the store {path} (from $UNWIND_STORE) is a file, not a directory" in \
            one_error_line(result)
    assert path.read_text() == "x"


@pytest.mark.parametrize("where, message", [
    ("a" * 300, "cannot be used: File name too long (ENAMETOOLONG)"),
    ("not-a-folder/store", "cannot create"),
], ids=["name too long", "a file in the path"])
def test_a_store_path_that_cannot_exist_is_one_line(where, message, tmp_path, monkeypatch,
                                                    run_cli):
    (tmp_path / "not-a-folder").write_text("x")
    monkeypatch.setenv("UNWIND_STORE", str(tmp_path / where))
    daily = tmp_path / "gc.csv"
    daily.write_text(DAILY)
    result = run_cli("data", "import", str(daily), "--symbol", "GC")
    assert result.code == 1 and message in one_error_line(result)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gc.csv", "not-a-folder"]


# ------------------------------------------------------------------------------ a full disk
class _FullDisk:
    """`os` for feeds.filesystem with a disk that fills after `budget` bytes."""

    def __init__(self, budget: int):
        self.budget = budget

    def __getattr__(self, name):
        return getattr(os, name)

    def write(self, descriptor: int, data) -> int:
        if len(data) > self.budget:
            written = os.write(descriptor, bytes(data[:self.budget]))
            self.budget -= written
            if not written:
                raise OSError(errno.ENOSPC, "No space left on device")
            return written
        self.budget -= len(data)
        return os.write(descriptor, data)


# (name, bytes the disk takes before it is full, series imported, --replace)
FULL_DISK_CASES = [
    ("full before anything is written, new series", 0, "GC@new", False),
    ("full inside the parquet, new series", 500, "GC@new", False),
    ("full inside the manifest, new series", 4000, "GC@new", False),
    ("full before anything, replacing a series", 0, "GC", True),
    ("full inside the manifest, replacing a series", 4000, "GC", True),
]


@pytest.mark.parametrize("name, budget, series, replace", FULL_DISK_CASES,
                         ids=[case[0] for case in FULL_DISK_CASES])
def test_a_full_disk_during_import_leaves_the_store_byte_identical(
        name, budget, series, replace, env, run_cli, monkeypatch):
    (env.store / "GC" / ".1d.json.leftover.tmp").write_text("a dead writer's temporary file")
    before = tree_digest(env.store)
    folders = sorted(p.name for p in env.store.iterdir())
    path = env.file("input.csv", DAILY.replace("10.5,11", "12,12.5"))
    with monkeypatch.context() as patch:  # not monkeypatch.undo(): that also drops $UNWIND_STORE
        patch.setattr(filesystem, "os", _FullDisk(budget))
        result = run_cli("data", "import", str(path), "--symbol", series,
                         *(["--replace"] if replace else []))
    assert result.code == 1
    line = one_error_line(result)
    assert f"cannot write {series} 1d to the store {env.store}: No space left on device " \
           "(ENOSPC); nothing was written, the store is unchanged" in line
    assert tree_digest(env.store) == before
    assert sorted(p.name for p in env.store.iterdir()) == folders  # no empty series folder
    assert run_cli("data", "import", str(path), "--symbol", series,
                   *(["--replace"] if replace else [])).code == 0
    swept = not (env.store / "GC" / ".1d.json.leftover.tmp").exists()
    assert swept == (series == "GC"), "the next write of a series sweeps its dead temporary files"


def test_a_full_disk_in_the_second_series_of_a_file_writes_none_of_them(env, run_cli,
                                                                         monkeypatch):
    before = tree_digest(env.store)
    maturities = env.file("jgb.csv", "date,1Y,2Y\n2024-08-01,0.1,0.2\n2024-08-02,0.11,0.21\n")
    with monkeypatch.context() as patch:  # room for JGB1Y's two files (about 5 kB), not JGB2Y's
        patch.setattr(filesystem, "os", _FullDisk(7000))
        result = run_cli("data", "import", str(maturities))
    assert result.code == 1
    assert "cannot write JGB1Y 1d, JGB2Y 1d to the store" in one_error_line(result)
    assert tree_digest(env.store) == before
    assert not (env.store / "JGB1Y").exists() and not (env.store / "JGB2Y").exists()


def test_a_full_tmpfs_leaves_the_store_byte_identical(tmp_path, run_cli, processes):
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    disk = tmp_path / "disk"
    disk.mkdir()
    if processes.run(["mount", "-t", "tmpfs", "-o", "size=200k", "tmpfs", str(disk)],
                     capture_output=True, timeout=30).returncode:
        pytest.skip("cannot mount a tmpfs here")
    try:
        store = disk / "store"
        small = tmp_path / "gc.csv"
        small.write_text(DAILY)
        assert run_cli("data", "import", str(small), "--symbol", "GC", "--store",
                       str(store)).code == 0
        with contextlib.suppress(OSError), (disk / "filler").open("wb", buffering=0) as filler:
            while True:
                filler.write(b"\0" * 4096)
        before = tree_digest(store)
        bigger = tmp_path / "bigger.csv"
        days = pd.bdate_range("2010-01-01", periods=2000)
        bigger.write_text("Date,Close,High,Low,Open,Volume\n" + "".join(
            f"{day.date()},{10 + i % 7},{12 + i % 7},{9 + i % 7},{11 + i % 7},5\n"
            for i, day in enumerate(days)))
        for args in (["--symbol", "GC", "--replace"], ["--symbol", "GC@new"]):
            result = run_cli("data", "import", str(bigger), *args, "--store", str(store))
            assert result.code == 1
            assert "No space left on device (ENOSPC); nothing was written" in \
                one_error_line(result)
            assert tree_digest(store) == before
            assert sorted(p.name for p in store.iterdir()) == ["GC"]
        (disk / "filler").unlink()
        assert run_cli("data", "import", str(bigger), "--symbol", "GC@new", "--store",
                       str(store)).code == 0
    finally:
        processes.run(["umount", str(disk)], timeout=30)


@pytest.mark.parametrize("failing", [".parquet", ".json"], ids=["parquet", "manifest"])
def test_an_os_error_renaming_into_place_is_one_line_and_changes_nothing(failing, env, run_cli,
                                                                         monkeypatch):
    real_replace = os.replace

    def read_only(source, target):
        if str(target).endswith(failing):
            raise OSError(errno.EROFS, "Read-only file system")
        real_replace(source, target)

    before = tree_digest(env.store)
    with monkeypatch.context() as patch:
        patch.setattr(os, "replace", read_only)
        result = run_cli("data", "import", str(env.file("input.csv",
                                                        DAILY.replace("10.5,11", "12,12.5"))),
                         "--symbol", "GC", "--replace")
    assert result.code == 1
    assert "Read-only file system (EROFS); nothing was written" in one_error_line(result)
    assert tree_digest(env.store) == before


# ------------------------------------------------------------- dead writers and racing writers
def test_the_processes_a_fault_test_starts_are_bounded(processes, tmp_path, own_cache):
    """tests.conftest.Processes: address space capped, HOME and the store in the test's folder,
    the session's cache folder inherited, a process group of its own (killed at the end)."""
    from tests.conftest import CHILD_ADDRESS_SPACE

    script = ("import json, os, resource\nprint(json.dumps([resource.getrlimit("
              "resource.RLIMIT_AS)[0], os.environ['HOME'], os.environ['UNWIND_STORE'], "
              "os.environ['XDG_CACHE_HOME'], os.getpgid(0) == os.getpid()]))")
    result = processes.run([sys.executable, "-c", script], capture_output=True, text=True,
                           timeout=30)
    assert result.returncode == 0, result.stderr
    cap, home, store, cache, own_group = json.loads(result.stdout)
    assert 0 < cap <= CHILD_ADDRESS_SPACE
    assert Path(home).is_relative_to(tmp_path) and Path(store).is_relative_to(tmp_path)
    assert cache == str(own_cache) and own_group


def _cli(processes: Processes, store: Path, *args: str) -> subprocess.Popen:
    return processes.start([*UNWIND, *args, "--store", str(store)], cwd=ROOT,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_racing_imports_of_different_data_wait_for_a_lock_whose_holder_is_killed(tmp_path,
                                                                                 processes):
    store = tmp_path / "store"
    holder = processes.start(
        [sys.executable, "-c", "import sys, time\nfrom pathlib import Path\n"
         "from feeds.filesystem import series_lock\n"
         "held = series_lock(Path(sys.argv[1]), 'XAUUSD')\nheld.__enter__()\n"
         "print('locked', flush=True)\ntime.sleep(120)\n", str(store / "XAUUSD")],
        cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline() == "locked\n"
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_text(hourly(2400))
    second.write_text(hourly(2500))
    racers = [_cli(processes, store, "data", "import", str(path), "--symbol", "XAUUSD")
              for path in (first, second)]
    time.sleep(2.5)  # both have parsed their file by now and wait for the lock
    assert [racer.poll() for racer in racers] == [None, None]
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    outcomes = [racer.communicate(timeout=60) + (racer.returncode,) for racer in racers]
    codes = sorted(code for _, _, code in outcomes)
    assert codes == [0, 1], outcomes
    winner = next(out for out, _, code in outcomes if code == 0)
    loser = next(err for _, err, code in outcomes if code == 1)
    assert winner.startswith("imported  XAUUSD 1h")
    assert loser.count("error:") == 1 and "XAUUSD 1h already holds other data" in loser
    assert Store(store).read("XAUUSD", "1h")[0]["open"].iloc[0] in (2400, 2500)


def test_a_writer_killed_between_parquet_and_manifest_leaves_the_old_series(env, run_cli,
                                                                           processes):
    old = run_cli("data", "show", "GC", "--json").out
    script = ("import os, signal, sys\nreal = os.replace\n"
              "def dies(source, target):\n"
              "    if str(target).endswith('.json'):\n"
              "        os.kill(os.getpid(), signal.SIGKILL)\n"
              "    real(source, target)\n"
              "os.replace = dies\nfrom unwind.cli import main\nsys.exit(main(sys.argv[1:]))\n")
    changed = env.file("changed.csv", DAILY.replace("10.5,11", "12,12.5"))
    killed = processes.run([sys.executable, "-c", script, "data", "import", str(changed),
                            "--symbol", "GC", "--replace"], cwd=ROOT, capture_output=True,
                           timeout=60, env={"UNWIND_STORE": str(env.store)})
    assert killed.returncode == -signal.SIGKILL
    left = sorted(p.name for p in (env.store / "GC").iterdir())
    assert len([n for n in left if n.endswith(".parquet")]) == 2  # the new one, unnamed
    assert any(n.endswith(".tmp") for n in left)  # the manifest it never renamed
    assert run_cli("data", "show", "GC", "--json").out == old
    listed = run_cli("data", "list")
    assert listed.code == 0 and "BROKEN" not in listed.out
    result = run_cli("data", "import", str(changed), "--symbol", "GC", "--replace")
    assert result.code == 0 and result.out.startswith("replaced")
    assert sorted(p.name for p in (env.store / "GC").iterdir()) == \
        sorted(["1d.json", env.parquet("GC", "1d").name])
