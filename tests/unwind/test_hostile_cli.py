"""Hostile input and faults for the backtest half of the CLI: run specs, run options, output
folders, damaged run directories, full disks, and `unwind score` killed with its workers running.

Every failing case asserts exactly one `error:` line on stderr, the exit code, that no output
directory was left half-written (the output folder holds nothing, or only complete directories,
none named `*.partial`), and that the store it read is byte-identical. Runs read a SYNTHETIC demo
store made once per module; the process killed mid-run is a real subprocess.
"""

from __future__ import annotations

import builtins
import errno
import io
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from feeds.errors import DataError
from tests.conftest import tree_digest
from unwind.studies import rundir, scorecard, workers

ROOT = Path(__file__).resolve().parents[2]
UNWIND = [sys.executable, "-c", "import sys\nfrom unwind.cli import main\nsys.exit(main())"]
EPISODE = ["--episode", "aug-2024-carry-unwind"]


def one_error_line(result) -> str:
    lines = [line for line in result.err.strip().splitlines() if not line.startswith("[")]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.err
    assert result.err.count("error:") == 1
    assert "Traceback" not in result.err + result.out
    return lines[0]


def leftovers(out: Path) -> list[str]:
    """Everything under `out` that is not inside a complete run or scorecard directory."""
    if not out.exists():
        return []
    found = []
    for entry in sorted(out.iterdir()):
        complete = entry.is_dir() and not entry.name.endswith(rundir.PARTIAL) and (
            rundir.is_complete(entry) or (entry / "scorecard.html").is_file())
        if not complete:
            found.append(entry.name)
    return found


@pytest.fixture(autouse=True)
def no_default_store(tmp_path, monkeypatch):
    """Should a case lose its store, the default store is a scratch one, not the user's."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data-home"))
    yield
    assert not (tmp_path / "data-home").exists(), "a case wrote to the default store"


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    """A store holding the SYNTHETIC scenario (every series the playbooks read, 2024)."""
    from feeds.demo import write_demo_store
    from feeds.store import Store

    root = tmp_path_factory.mktemp("demo") / "store"
    write_demo_store(Store(root))
    return root


@pytest.fixture
def store(demo, monkeypatch) -> Path:
    monkeypatch.setenv("UNWIND_STORE", str(demo))
    before = tree_digest(demo)
    yield demo
    assert tree_digest(demo) == before, "a case changed the store it read"


@pytest.fixture(scope="module")
def finished_run(demo, tmp_path_factory) -> Path:
    """One complete run directory, copied by the cases that damage it."""
    from unwind.cli import main

    out = tmp_path_factory.mktemp("finished")
    assert main(["run", "spread_unwind_long_yen", *EPISODE, "--store", str(demo), "--out",
                 str(out), "--json"]) == 0
    (directory,) = out.iterdir()
    return directory


# ------------------------------------------------------------------------------- run specs
WINDOW = '[[score.windows]]\nid = "summer"\nstart = "2024-06-01"\nend = "2024-09-30"\n'

# (name, the spec's text, exit code, text of the error line)
SPEC_CASES = [
    ("playbooks = 5", "[score]\nplaybooks = 5\n", 1,
     '[score] playbooks = 5: expected "all" or a list of ids'),
    ("playbooks = [5]", "[score]\nplaybooks = [5]\n", 1, "[score] playbooks = [5]: expected"),
    ("episodes = 5", "[score]\nepisodes = 5\n", 1, "[score] episodes = 5: expected"),
    ("score = 5", "score = 5\n", 1, "score = 5: expected a [score] table"),
    ("windows = [1]", "[score]\nwindows = [1]\n", 1,
     "[score] windows item 1 = 1: expected a [[score.windows]] table"),
    ("windows = 'x'", '[score]\nwindows = "x"\n', 1,
     "[score] windows = 'x': expected [[score.windows]] tables"),
    ("out = 5", "[score]\nout = 5\n", 1, "[score] out = 5: expected a folder path"),
    ("store = 5", "[score]\nstore = 5\n", 1, "[score] store = 5: expected a folder path"),
    ("allow_defects = 'no'", '[score]\nallow_defects = "no"\n', 1,
     "[score] allow_defects = 'no': expected true or false"),
    ("jobs = 0", "[score]\njobs = 0\n", 1, "[score] jobs = 0: expected a whole number"),
    ("jobs = -1", "[score]\njobs = -1\n", 1, "[score] jobs = -1: expected a whole number"),
    ("jobs = 'two'", '[score]\njobs = "two"\n', 1, "[score] jobs = 'two': expected a whole"),
    ("jobs = 1.5", "[score]\njobs = 1.5\n", 1, "[score] jobs = 1.5: expected a whole number"),
    ("a misspelt playbook", '[score]\nplaybooks = ["gold_asia_dipp"]\n', 1,
     "[score] playbooks: unknown playbook 'gold_asia_dipp' (did you mean gold_asia_dip?)"),
    ("a 5000-character episode id", f'[score]\nepisodes = ["{"e" * 5000}"]\n', 1,
     "[score] episodes: unknown episode 'eeee"),
    ("trigger outside its window", f'[score]\n{WINDOW}trigger = "2024-10-05"\n', 1,
     "id 'summer' trigger = 2024-10-05 is outside its window 2024-06-01 .. 2024-09-30"),
    ("window named as a catalogue episode",
     '[score]\n[[score.windows]]\nid = "aug-2024-carry-unwind"\nstart = "2020-06-01"\n'
     'end = "2020-09-30"\n', 1, "would shadow the catalogue episode of that id"),
    ("two windows with one id",
     f'[score]\n{WINDOW}{WINDOW.replace("2024-06-01", "2023-06-01").replace("2024-09", "2023-09")}',
     1, "id 'summer': two windows have this id"),
    ("window id leaving its folder", f'[score]\n{WINDOW.replace("summer", "../up")}', 1,
     "expected id = a name of letters, digits"),
    ("window from year 1", f'[score]\n{WINDOW.replace("2024-06-01", "0001-06-01")}', 1,
     "start = 0001-06-01 is outside 1900-01-01..2261-12-31"),
    ("window start 20240601", f'[score]\n{WINDOW.replace("2024-06-01", "20240601x")}', 1,
     "start = '20240601x' is not a date; expected start = YYYY-MM-DD"),
    ("window with a time", f'[score]\n{WINDOW.replace("2024-06-01", "2024-06-01T10:00:00")}',
     1, "start = '2024-06-01T10:00:00' is not a date"),
]


@pytest.mark.parametrize("name, text, code, message", SPEC_CASES,
                         ids=[case[0] for case in SPEC_CASES])
def test_run_specs_are_checked_field_by_field(name, text, code, message, store, tmp_path,
                                              run_cli):
    spec = tmp_path / "spec.toml"
    spec.write_text(text)
    result = run_cli("score", str(spec), "--out", str(tmp_path / "out"))
    assert result.code == code, result.err
    line = one_error_line(result)
    assert line.startswith(f"error: {spec}: ") and message in line, line
    assert len(line) < 400, "the error echoes the whole offending value"
    assert not (tmp_path / "out").exists()


# -------------------------------------------------------------------------- run options
# (name, arguments after `unwind run`, exit code, text of the error line or of the first output
#  line of a clean run)
RUN_CASES = [
    ("a misspelt playbook", ["gold_asia_dipp"], 1,
     "unknown playbook 'gold_asia_dipp' (did you mean gold_asia_dip?)"),
    ("a 5000-character playbook", ["p" * 5000], 1,
     "unknown playbook 'pppp"),
    ("a 5000-character episode", ["gold_asia_dip", "--episode", "e" * 5000], 1,
     "'... (5,000 characters); `unwind list episodes` shows them"),
    ("--start 20240701 is a date", ["spread_unwind_long_yen", "--start", "20240701", "--end",
                                    "2024-08-31"], 0,
     "spread_unwind_long_yen over 2024-07-01..2024-08-31"),
    ("--start 0001-01-01", ["gold_asia_dip", "--start", "0001-01-01"], 1,
     "--start 0001-01-01 is outside 1900-01-01..2261-12-31"),
    ("--end 99999-01-01", ["gold_asia_dip", "--end", "99999-01-01"], 1,
     "--end '99999-01-01' is not a date; expected YYYY-MM-DD"),
    ("--warmup-days 99999999", ["gold_asia_dip", "--warmup-days", "99999999"], 2,
     "99999999 is not in the range 0<=x<=36525"),
    ("-p volatility_days=-3", ["hsi_short_yen_vol", "-p", "volatility_days=-3"], 1,
     "bad parameter: volatility_days must be >= 2"),
    ("bond_hedge -p volatility_days=-3", ["bond_hedge", "-p", "volatility_days=-3"], 1,
     "bad parameter: volatility_days must be >= 2"),
    ("-p dip=nan", ["gold_asia_dip", "-p", "dip=nan"], 1,
     "bad parameter: dip must be a fraction between 0 and 1"),
    ("-p take_profit=inf", ["gold_asia_dip", "-p", "take_profit=inf"], 1,
     "take_profit >= 0 (0 = none)"),
    ("-p hold_days=0", ["gold_haven_turn", "-p", "hold_days=0"], 1,
     "hold_days must be >= 1"),
    ("-p high_volatility=inf", ["hsi_bottom_long", "-p", "high_volatility=inf"], 1,
     "high_volatility must be positive"),
    ("-p exit_z=-inf", ["jgb_shock_short_nq", "-p", "exit_z=-inf"], 1,
     "jump_z must be above exit_z (both finite)"),
    ("-p with a 5000-character value", ["gold_asia_dip", "-p", "dip=" + "9x" * 2500], 1,
     "parameter dip='9x9x"),
    ("--fee XAUUSD=nan", ["gold_asia_dip", "--fee", "XAUUSD=nan"], 1,
     "--fee 'XAUUSD=nan': expected a finite amount >= 0"),
    ("--fee XAUUSD=inf", ["gold_asia_dip", "--fee", "XAUUSD=inf"], 1,
     "--fee 'XAUUSD=inf': expected a finite amount >= 0"),
    ("--margin XAUUSD=-5", ["gold_asia_dip", "--margin", "XAUUSD=-5"], 1,
     "--margin 'XAUUSD=-5': expected a finite amount >= 0"),
    ("--cash nan", ["gold_asia_dip", "--cash", "nan"], 2,
     "'nan': expected a finite number in [1000, 1e+10]"),
    ("--cash 1e400", ["gold_asia_dip", "--cash", "1e400"], 2,
     "'1e400': expected a finite number in [1000, 1e+10]"),
    ("--cash 1e300 (float P&L loses its cents)", ["gold_asia_dip", "--cash", "1e300"], 2,
     "'1e300': expected a finite number in [1000, 1e+10]"),
    ("--cash 5", ["gold_asia_dip", "--cash", "5"], 2,
     "'5': expected a finite number in [1000, 1e+10]"),
    ("--max-leverage inf", ["gold_asia_dip", "--max-leverage", "inf"], 2,
     "'inf': expected a finite number > 0"),
    ("--slippage-ticks nan", ["gold_asia_dip", "--slippage-ticks", "nan"], 2,
     "'nan': expected a finite number >= 0"),
    ("--financing-markup 1", ["gold_asia_dip", "--financing-markup", "1"], 2,
     "'1': expected a finite number in [0, 1)"),
]


@pytest.mark.parametrize("name, args, code, message", RUN_CASES,
                         ids=[case[0] for case in RUN_CASES])
def test_run_options_are_range_checked_where_they_enter(name, args, code, message, store,
                                                        tmp_path, run_cli):
    out = tmp_path / "out"
    result = run_cli("run", *args, "--out", str(out))
    assert result.code == code, result.err
    if code == 0:
        assert result.err == "" and result.out.startswith(
            f"SYNTHETIC demo data in this run: not market history.\n{message}")
        (directory,) = out.iterdir()
        assert rundir.is_complete(directory) and leftovers(out) == []
        return
    line = one_error_line(result)
    assert message in line, line
    assert len(line) < 400, "the error echoes the whole offending value"
    assert not out.exists()


# ------------------------------------------------------------------------- output folders
def _a_file_in_the_path(tmp_path: Path) -> Path:
    (tmp_path / "plain-file").write_text("x")
    return tmp_path / "plain-file" / "out"


def _read_only(patch: pytest.MonkeyPatch) -> None:
    """A read-only file system under the output folder (EROFS on every mkdir)."""
    real = Path.mkdir

    def mkdir(self, *args, **kwargs):
        if "read-only" in str(self):
            raise OSError(errno.EROFS, "Read-only file system", str(self))
        return real(self, *args, **kwargs)

    patch.setattr(Path, "mkdir", mkdir)


def _no_permission(patch: pytest.MonkeyPatch) -> None:
    real = Path.mkdir

    def mkdir(self, *args, **kwargs):
        if self.name.endswith(rundir.PARTIAL):
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real(self, *args, **kwargs)

    patch.setattr(Path, "mkdir", mkdir)


# (name, the command (run or score), the output folder, a fault to patch in, error text)
OUTPUT_CASES = [
    ("run: a file in the --out path", "run", _a_file_in_the_path, None,
     "cannot create the output folder", "Not a directory (ENOTDIR)"),
    ("score: a file in the --out path", "score", _a_file_in_the_path, None,
     "cannot create the output folder", "Not a directory (ENOTDIR)"),
    ("run: --out under /proc", "run", lambda tmp: Path("/proc/self/no-such/out"), None,
     "cannot create the output folder /proc/self/no-such/out", "(ENOENT)"),
    ("score: --out name too long", "score", lambda tmp: tmp / ("n" * 300), None,
     "cannot create the output folder", "File name too long (ENAMETOOLONG)"),
    ("run: read-only --out", "run", lambda tmp: tmp / "read-only" / "out", _read_only,
     "cannot create the output folder", "Read-only file system (EROFS)"),
    ("score: no permission in --out", "score", lambda tmp: tmp / "out", _no_permission,
     "cannot write in the output folder", "Permission denied (EACCES)"),
]


@pytest.mark.parametrize("name, command, where, fault, message, reason", OUTPUT_CASES,
                         ids=[case[0] for case in OUTPUT_CASES])
def test_an_unusable_output_folder_fails_before_the_backtest(
        name, command, where, fault, message, reason, store, tmp_path, run_cli, monkeypatch):
    from unwind.sim import engine

    out = where(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    ran = []
    with monkeypatch.context() as patch:
        patch.setattr(engine, "run", lambda *args, **kwargs: ran.append(args))
        if fault:
            fault(patch)
        args = ["run", "gold_asia_dip"] if command == "run" else \
            ["score", "--playbook", "gold_asia_dip", *EPISODE]
        result = run_cli(*args, "--out", str(out))
    assert result.code == 1
    line = one_error_line(result)
    assert message in line and reason in line, line
    assert len(line) < 400
    assert ran == [], "the backtest ran before the output folder was checked"
    assert sorted(p.name for p in tmp_path.iterdir()) == before


# ------------------------------------------------------------------ damaged run directories
def _edit(name: str, change: Callable[[str], str]) -> Callable[[Path], Path]:
    def damage(directory: Path) -> Path:
        path = directory / name
        path.write_text(change(path.read_text()))
        return directory
    return damage


def _remove(name: str) -> Callable[[Path], Path]:
    def damage(directory: Path) -> Path:
        (directory / name).unlink()
        return directory
    return damage


def _interrupted(directory: Path) -> Path:
    partial = directory.with_name(directory.name + rundir.PARTIAL)
    directory.rename(partial)
    return partial


# (name, damage done to a copy of a finished run, exit code, text of the error line or None)
REPORT_CASES = [
    ("a finished run", lambda directory: directory, 0, None),
    ("broken metrics.json", _edit("metrics.json", lambda text: text[:20]), 1,
     "is damaged: metrics.json is not valid JSON"),
    ("metrics.json holding a list", _edit("metrics.json", lambda text: "[1, 2]"), 1,
     "is damaged: metrics.json holds list, not an object"),
    ("manifest.json without its config", _edit("manifest.json", lambda text: '{"a": 1}'), 1,
     "is damaged: manifest.json has no 'config'"),
    ("equity.csv cut in half", _edit("equity.csv", lambda text: text[:len(text) // 2]), 1,
     "is damaged: equity.csv row"),
    ("equity.csv of garbage", _edit("equity.csv", lambda text: "\x00garbage\n" * 3), 1,
     "is damaged: equity.csv has no time, equity_usd, gross_notional_usd columns"),
    ("equity.csv header only", _edit("equity.csv", lambda text: text.splitlines()[0] + "\n"), 1,
     "is damaged: equity.csv has no rows"),
    ("prices.csv without close", _edit("prices.csv", lambda text: text.replace(",close,", ",c,")),
     1, "is damaged: prices.csv has no close column"),
    ("prices.csv with a bad time", _edit("prices.csv", lambda text: text.replace(
        "2024-", "20x4-", 1)), 1, "is damaged: prices.csv row 2: time '20x4-"),
    ("trades.csv missing", _remove("trades.csv"), 1, "not a complete run directory (missing "
                                                      "trades.csv)"),
    ("an interrupted run", _interrupted, 1, "is an incomplete run directory"),
]


@pytest.mark.parametrize("name, damage, code, message", REPORT_CASES,
                         ids=[case[0] for case in REPORT_CASES])
def test_report_says_what_is_damaged(name, damage, code, message, finished_run, tmp_path,
                                     run_cli):
    copy = tmp_path / finished_run.name
    shutil.copytree(finished_run, copy)
    (copy / "tear_sheet.html").unlink()
    directory = damage(copy)
    before = tree_digest(tmp_path)
    result = run_cli("report", str(directory))
    assert result.code == code, result.err
    if code == 0:
        assert result.out == f"tear sheet: {directory / 'tear_sheet.html'}\n"
        assert rundir.is_complete(directory)
        return
    line = one_error_line(result)
    assert str(directory) in line and message in line, line
    assert tree_digest(tmp_path) == before


def test_report_on_a_read_only_directory_keeps_the_old_tear_sheet(finished_run, tmp_path,
                                                                 run_cli, monkeypatch):
    copy = tmp_path / "run"
    shutil.copytree(finished_run, copy)
    before = tree_digest(copy)

    def read_only(source, target):
        raise OSError(errno.EROFS, "Read-only file system")

    with monkeypatch.context() as patch:
        patch.setattr(os, "replace", read_only)
        result = run_cli("report", str(copy))
    assert result.code == 1
    assert "Read-only file system (EROFS); the previous tear sheet is unchanged" in \
        one_error_line(result)
    assert tree_digest(copy) == before


def test_the_scorecard_page_flags_a_cell_whose_directory_is_incomplete(tmp_path):
    from unwind.evidence import episodes
    from unwind.pages import scorecard_page

    cell = tmp_path / "cells" / "gold_asia_dip" / ("aug-2024-carry-unwind" + rundir.PARTIAL)
    cell.mkdir(parents=True)
    row = {c: None for c in scorecard.columns()} | {
        "playbook": "gold_asia_dip", "episode": "aug-2024-carry-unwind", "status": "ok",
        "reason": "", "run_dir": "cells/gold_asia_dip/aug-2024-carry-unwind", "trades": 1,
        "total_return": 0.1}
    row = scorecard.flag_incomplete(row, tmp_path, tear_sheets=True)
    page = scorecard_page.write([row], tmp_path, [episodes.get("aug-2024-carry-unwind")],
                                "store: test").read_text()
    assert "its run directory cells/gold_asia_dip/aug-2024-carry-unwind is missing or " \
           "incomplete" in page
    assert "+10.0%" not in page


# ------------------------------------------------------------------------------ a full disk
class _FullDisk:
    """`open` for files under `root` on a disk that fills after `budget` characters."""

    def __init__(self, root: Path, budget: int):
        self.root, self.budget, self.real = str(root), budget, builtins.open

    def __call__(self, file, mode="r", *args, **kwargs):
        handle = self.real(file, mode, *args, **kwargs)
        if isinstance(file, (str, os.PathLike)) and str(file).startswith(self.root) and \
                any(flag in mode for flag in "wax"):
            return _Filling(handle, self)
        return handle


class _Filling:
    def __init__(self, handle, disk: _FullDisk):
        self._handle, self._disk = handle, disk

    def write(self, data):
        if len(data) > self._disk.budget:
            self._disk.budget = 0
            raise OSError(errno.ENOSPC, "No space left on device")
        self._disk.budget -= len(data)
        return self._handle.write(data)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._handle.close()

    def __iter__(self):
        return iter(self._handle)

    def __getattr__(self, name):
        return getattr(self._handle, name)


# (name, command, characters written before the disk is full)
FULL_DISK_CASES = [  # spread_unwind_long_yen's run: about 15 kB of files, a 35 kB tear sheet
    ("run: full at the first file", ["run", "spread_unwind_long_yen", *EPISODE], 0),
    ("run: full inside the tear sheet", ["run", "spread_unwind_long_yen", *EPISODE], 30_000),
    ("score: full inside a cell", ["score", "--playbook", "spread_unwind_long_yen", *EPISODE,
                                   "--jobs", "1", "--json"], 20_000),
]


@pytest.mark.parametrize("name, args, budget", FULL_DISK_CASES,
                         ids=[case[0] for case in FULL_DISK_CASES])
def test_a_full_disk_leaves_no_output(name, args, budget, store, tmp_path, run_cli,
                                      monkeypatch):
    out = tmp_path / "out"
    disk = _FullDisk(out, budget)
    with monkeypatch.context() as patch:
        patch.setattr(builtins, "open", disk)
        patch.setattr(io, "open", disk)
        result = run_cli(*args, "--out", str(out))
    assert result.code == 1
    line = one_error_line(result)
    assert "No space left on device (ENOSPC); nothing was kept" in line, line
    assert str(out) in line
    assert not out.exists(), sorted(out.rglob("*"))


def test_a_full_tmpfs_leaves_no_output(store, tmp_path, run_cli, processes):
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    disk = tmp_path / "disk"
    disk.mkdir()
    if processes.run(["mount", "-t", "tmpfs", "-o", "size=32k", "tmpfs", str(disk)],
                     capture_output=True, timeout=30).returncode:
        pytest.skip("cannot mount a tmpfs here")
    try:  # the run's files take about 55 kB
        result = run_cli("run", "spread_unwind_long_yen", *EPISODE, "--out", str(disk / "out"))
        assert result.code == 1
        assert "No space left on device (ENOSPC); nothing was kept" in one_error_line(result)
        assert list(disk.iterdir()) == []
    finally:
        processes.run(["umount", str(disk)], timeout=30)


# ----------------------------------------------------------------- workers and interruption
def test_jobs_are_capped_at_the_tasks_and_twice_the_cores():
    cores = os.cpu_count() or 1
    assert workers.worker_count(1000, 2) == (2, "--jobs 1000 capped at 2 (2 tasks)")
    assert workers.worker_count(1000, 10_000) == (
        2 * cores, f"--jobs 1000 capped at {2 * cores} (at most 2 x {cores} cores)")
    assert workers.worker_count(1, 5) == (1, None)


def _children(pid: int) -> list[int]:
    kids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            after_name = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(after_name[1]) == pid:
            kids.append(int(stat.parent.name))
    return kids


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def test_kill_9_of_score_leaves_no_workers_and_marks_the_unfinished_work(demo, tmp_path,
                                                                         processes):
    """Should it fail, `processes` kills the score and its workers (their process group)."""
    if not Path("/proc/self/stat").exists():
        pytest.skip("worker processes are found through /proc")
    out = tmp_path / "out"
    playbooks = ["gold_asia_dip", "gold_dip_any_session", "hsi_short_yen_vol"]
    score = processes.start(
        [*UNWIND, "score", *(f"--playbook={p}" for p in playbooks), *EPISODE, "--jobs", "2",
         "--store", str(demo), "--out", str(out)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = score.stderr.readline()  # the first finished task: the others are running
    assert first.startswith("[  1/6 runs,"), first
    workers = _children(score.pid)
    assert len(workers) == 2
    score.send_signal(signal.SIGKILL)
    score.wait(timeout=10)
    deadline = time.monotonic() + 5
    while any(_running(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_running(pid) for pid in workers), "orphaned pool workers"
    (card,) = out.iterdir()
    assert card.name.endswith("-scorecard" + rundir.PARTIAL), card.name
    assert not (card / "scorecard.csv").exists()
    cells = [p for p in (card / "cells").glob("*/*")] + list((card / "full-history").glob("*"))
    finished = [cell for cell in cells if not cell.name.endswith(rundir.PARTIAL)]
    assert finished and all(rundir.is_complete(cell) for cell in finished)
    assert len(cells) < 6, "workers went on after their parent died"
    with pytest.raises(DataError, match="is an incomplete run directory"):
        rundir.check(card)
    for cell in cells:
        if cell.name.endswith(rundir.PARTIAL):
            with pytest.raises(DataError, match="is an incomplete run directory"):
                rundir.check(cell)


def test_a_clean_score_with_too_many_jobs_notes_the_cap_and_renames_when_complete(
        store, tmp_path, run_cli):
    out = tmp_path / "out"
    result = run_cli("score", "--playbook", "spread_unwind_long_yen", "--episode",
                     "calm-2017q4-control", "--jobs", "1000", "--out", str(out))
    assert result.code == 0, result.err
    assert "note: --jobs 1000 capped at 2 (2 tasks)" in result.err.splitlines()
    assert "error" not in result.err
    (card,) = out.iterdir()
    assert card.name.endswith("-scorecard") and (card / "scorecard.csv").is_file()
    assert f"1 cells; scorecard: {card / 'scorecard.html'}" in result.out.splitlines()
    assert leftovers(out) == [] and not list(card.rglob(f"*{rundir.PARTIAL}"))


# ---------------------------------------------------------------------- where values enter
def test_tables_print_inf_and_nan_as_words(capsys):
    from unwind.cli.options import echo_table

    echo_table([{"close": float("inf")}, {"close": float("nan")}, {"close": 1.25}], ["close"])
    assert capsys.readouterr().out.split() == ["close", "inf", "nan", "1.25"]


def test_load_bounds_outside_the_span_of_bars_bound_nothing(demo):
    import feeds

    everything = feeds.load("XAUUSD", None, None, "1h", str(demo), check_quality=False)
    wide = feeds.load("XAUUSD", "0001-01-01", "9999-12-31", "1h", str(demo), check_quality=False)
    assert wide.index.equals(everything.index)
    with pytest.raises(DataError, match=r"\(5,000 characters\) is not a date"):
        feeds.load("XAUUSD", "x" * 5000, None, "1h", str(demo))
