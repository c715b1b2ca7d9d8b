"""Hostile input, round two (issue 23), for the data layer through the real CLI: store files that
are not files (a FIFO, a device, a link, a sparse giant), store roots that cannot be read, and
numbers no market prints, refused at import and blocked by the quality gate on read.

Every failing case asserts one `error:` line naming the file and row (or series), the exit code,
and the store: byte-identical, or damaged by the case and then repaired by the command named.
"""

from __future__ import annotations

import json
import os
import re
import shlex

import numpy as np
import pandas as pd
import pytest

from feeds import instruments, quality, sanity
from tests.conftest import tree_digest
from tests.feeds.test_hostile_input import Env, env, hourly, no_default_store, one_error_line  # noqa: F401


def _daily(closes: list[float], start: str = "2024-07-01", volume: float = 5.0) -> str:
    days = pd.bdate_range(start, periods=len(closes))
    rows = [f"{day.date()},{close},{close * 1.01},{close * 0.99},{close},{volume}"
            for day, close in zip(days, closes)]
    return "Date,Open,High,Low,Close,Volume\n" + "\n".join(rows) + "\n"


def _replace_row(text: str, row: int, line: str) -> str:
    """`text` with its data row number `row` (the header is row 1) replaced by `line`."""
    lines = text.splitlines()
    lines[row - 1] = line
    return "\n".join(lines) + "\n"


GOLD = [2400.0 + day for day in range(30)]
SWAPPED = "\n".join(",".join([fields[0], fields[1], fields[3], fields[2], *fields[4:]])
                    for fields in (line.split(",") for line in _daily(GOLD).splitlines()[1:]))

# (name, file text, import flags, text of the error line): `unwind data import FILE --symbol GC`
GARBAGE_CASES = [
    ("one close of 1e308", _replace_row(_daily(GOLD), 5, "2024-07-04,2403,2430,2380,1e308,5"),
     [], "row 5 (2024-07-04T00:00:00+00:00): close 1e+308 is above 1e+07"),
    ("every price 1e300", _daily([1e300] * 30), [], "row 2 (2024-07-01T00:00:00+00:00): open "
                                                    "1e+300 is above 1e+07"),
    ("one bar at 1e-300", _replace_row(_daily(GOLD), 7, "2024-07-08,1e-300,1e-300,1e-300,"
                                                         "1e-300,5"), [],
     "row 7 (2024-07-08T00:00:00+00:00): open 1e-300 is below 1e-06"),
    ("one bar x1000", _replace_row(_daily(GOLD), 9, "2024-07-10,2407000,2431070,2382930,"
                                                     "2407000,5"), [],
     "row 9 (2024-07-10T00:00:00+00:00): open 2.407e+06 is 999 times the median close 2409.5"),
    ("high and low swapped in every row", "Date,Open,High,Low,Close,Volume\n" + SWAPPED + "\n",
     [], "row 2 (2024-07-01T00:00:00+00:00): high 2376 is below low 2424"),
    ("one high 100 below its low", _replace_row(_daily(GOLD), 4, "2024-07-03,2402,2352,2452,"
                                                                  "2402,5"), [],
     "row 4 (2024-07-03T00:00:00+00:00): high 2352 is below low 2452"),
    ("negative volume", _daily(GOLD, volume=-5), [], "row 2 (2024-07-01T00:00:00+00:00): "
                                                     "volume -5 is below zero"),
    ("volume 1e300", _daily(GOLD, volume=1e300), [], "volume 1e+300 is above 1e+12"),
    ("daily bars imported as --bar 1w", _daily(GOLD), ["--bar", "1w"],
     "row 3 (2024-07-02T00:00:00+00:00): follows the bar before it by 1 day, less than the "
     "bar size 1w"),
    ("an hourly file with a :30 row", hourly(2400, 6).replace("T03:00", "T03:30"), [],
     "row 5 (2024-08-01T03:30:00+00:00): is off the file's 1h grid (its other bars open at :00"),
    ("three 15-minute rows in an hourly file",
     hourly(2400, 6).replace("T04:00", "T03:15").replace("T05:00", "T03:45"), ["--bar", "1h"],
     "row 6 (2024-08-01T03:15:00+00:00): follows the bar before it by 15 minutes, less than "
     "the bar size 1h"),
]


@pytest.mark.parametrize("name, text, flags, message", GARBAGE_CASES,
                         ids=[case[0] for case in GARBAGE_CASES])
def test_numbers_no_market_prints_are_refused_at_import_naming_the_row(name, text, flags, message,
                                                                      env, run_cli):
    path = env.file("garbage.csv", text)
    before = tree_digest(env.store)
    result = run_cli("data", "import", str(path), "--symbol", "GC@x", *flags)
    assert result.code == 1
    line = one_error_line(result)
    assert line.startswith(f"error: {path}: ") and message in line, line
    assert tree_digest(env.store) == before


def test_the_quality_gate_blocks_garbage_in_a_store_imported_before_the_rules(env, run_cli):
    """`unwind data validate GC` said ok on a GC with one close of 1e308 (issue 23)."""
    frame = pd.read_parquet(env.parquet("GC", "1d"))
    frame.iloc[1, frame.columns.get_loc("close")] = 1e308
    env.rewrite_parquet("GC", "1d", frame)
    result = run_cli("data", "validate", "GC")
    assert result.code == 1
    assert "FAIL GC 1d" in result.out and "implausible_price" in result.out, result.out


def test_the_sanity_limits_on_a_hand_made_frame():
    index = pd.date_range("2024-07-01", periods=5, freq="D", tz="UTC")
    frame = pd.DataFrame({"open": 10.0, "high": 11.0, "low": 9.0, "close": 10.5, "volume": 1.0},
                         index=index)
    gold = instruments.get("GC")
    assert sanity.problems(frame, gold, "1d") == []
    frame.iloc[2, 0] = 10.5 * sanity.NEIGHBOUR_MULTIPLE * 1.01   # just past 100x its neighbours
    (problem,) = sanity.problems(frame, gold, "1d")
    assert problem.check == "implausible_price" and problem.position == 2
    frame.iloc[2, 0] = 10.5 * sanity.NEIGHBOUR_MULTIPLE * 0.99   # just inside
    assert sanity.problems(frame, gold, "1d") == []
    frame.iloc[2, 0] = 10.0
    report = quality.check(frame.assign(volume=-1.0), gold, "1d", False)
    assert [f.check for f in report.errors] == ["implausible_volume"]
    assert report.errors[0].count == 5 and "volume -1 is below zero" in report.errors[0].message


def test_a_rare_high_below_low_by_a_hair_passes_as_real_exports_have_it():
    """The real store: GC 2009-11-23 high 1163.0, low 1164.3 (0.11%), 1 row in 6,395."""
    index = pd.date_range("2000-01-03", periods=1500, freq="D", tz="UTC")
    close = np.full(1500, 1164.3)
    frame = pd.DataFrame({"open": close, "high": close + 1, "low": close - 1, "close": close,
                          "volume": 1.0}, index=index)
    frame.iloc[100, 1] = 1163.0
    assert sanity.problems(frame, instruments.get("GC"), "1d") == []
    frame.iloc[200, 1] = 1163.0      # two in 1,500: more than one in 1,000
    (problem,) = sanity.problems(frame, instruments.get("GC"), "1d")
    assert problem.check == "high_below_low" and "on 2 of 1,500 rows" in problem.first


# ------------------------------------------------------------------ store files that are not
def _fifo(env: Env) -> None:
    path = env.parquet("USDJPY", "1h")
    path.unlink()
    os.mkfifo(path)


def _link_to_dev_zero(env: Env) -> None:
    path = env.parquet("USDJPY", "1h")
    path.unlink()
    path.symlink_to("/dev/zero")


def _sparse_4_gib(env: Env) -> None:
    with env.parquet("USDJPY", "1h").open("r+b") as handle:
        handle.truncate(4 << 30)


def _directory_in_the_way(env: Env) -> None:
    path = env.parquet("USDJPY", "1h")
    path.unlink()
    path.mkdir()
    (path / "inside").write_text("x")


def _character_device(env: Env) -> None:
    """/dev/zero's device node at the parquet's path (mknod needs CAP_MKNOD: root here)."""
    import stat

    path = env.parquet("USDJPY", "1h")
    path.unlink()
    try:
        os.mknod(path, stat.S_IFCHR | 0o600, os.makedev(1, 5))
    except PermissionError:
        pytest.skip("making a device node needs CAP_MKNOD")


def _link_loop(env: Env) -> None:
    path = env.parquet("USDJPY", "1h")
    path.unlink()
    path.symlink_to(path.name)


def _flipped_byte(env: Env) -> None:
    path = env.parquet("USDJPY", "1h")
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def _manifest_fifo(env: Env) -> None:
    path = env.manifest("USDJPY", "1h")
    path.unlink()
    os.mkfifo(path)


# (name, damage, text of the error line): `unwind data show USDJPY`, then list and repair
READ_CASES = [
    ("a FIFO at the parquet's path", _fifo, "is a FIFO (named pipe), not a regular file"),
    ("a link to /dev/zero", _link_to_dev_zero, "is a symbolic link to /dev/zero; the store "
                                               "never follows one"),
    ("a 4 GiB sparse parquet", _sparse_4_gib, "is 4,294,967,296 bytes, the manifest says"),
    ("a directory at the parquet's path", _directory_in_the_way, "is a directory, not a "
                                                                  "regular file"),
    ("a device at the parquet's path", _character_device, "is a character device, not a "
                                                          "regular file"),
    ("a link loop at the parquet's path", _link_loop, "is a symbolic link to 1h-"),
    ("a flipped byte", _flipped_byte, "does not match the manifest's sha256"),
    ("a FIFO at the manifest's path", _manifest_fifo, "its manifest 1h.json is a FIFO"),
]


@pytest.mark.parametrize("name, damage, message", READ_CASES, ids=[c[0] for c in READ_CASES])
def test_store_reads_refuse_what_is_not_a_stored_file_and_the_named_repair_works(
        name, damage, message, env, run_cli):
    damage(env)
    result = run_cli("data", "show", "USDJPY")
    assert result.code == 1
    line = one_error_line(result)
    assert line.startswith("error: USDJPY 1h in the store is broken: ") and message in line, line
    listed = run_cli("data", "list")      # the diagnosis lists the others, marks this one
    assert listed.code == 0 and listed.err == ""
    assert re.search(r"^XAUUSD\s+1h\s+6\s", listed.out, re.M)
    assert re.search(r"^USDJPY\s+1h\s+BROKEN", listed.out, re.M)
    assert "BROKEN USDJPY 1h: " in listed.out
    repair = re.search(r"rebuild it with `([^`]+)`", line).group(1)
    words = shlex.split(repair)
    if "FILE" in words:
        words[words.index("FILE")] = str(env.files["USDJPY"])
    repaired = run_cli(*words[1:])
    assert repaired.code == 0, repaired.err
    shown = json.loads(run_cli("data", "show", "USDJPY", "--json").out)
    assert [bar["close"] for bar in shown["bars"]] == [146.5] * 6


def test_a_store_root_that_is_a_link_loop_is_an_error_not_an_empty_store(tmp_path, monkeypatch,
                                                                       run_cli):
    root = tmp_path / "loop"
    root.symlink_to(root.name)
    monkeypatch.setenv("UNWIND_STORE", str(root))
    for command in (["data", "list"], ["run", "gold_asia_dip"]):
        result = run_cli(*command)
        assert result.code == 1, command
        assert "cannot be used: Too many levels of symbolic links (ELOOP)" in \
            one_error_line(result)


# ------------------------------------------------------------------- leap seconds, changing files
LEAP_CASES = [
    ("MT5 dotted times (rolled into the next day and imported)",
     "DateTime,Open,High,Low,Close,TickVolume,Spread\n2016.12.30 22:00:00,117,118,116,117,5,0\n"
     "2016.12.30 23:00:00,117,118,116,117,5,0\n2016.12.31 23:59:60,117,118,116,117,5,0\n"
     "2017.01.02 00:00:00,117,118,116,117,5,0\n", "row 4: 23:59:60 is a leap second"),
    ("ISO times", "time,open,high,low,close,volume\n2016-12-31T22:00:00Z,117,118,116,117,5\n"
                  "2016-12-31T23:59:60Z,117,118,116,117,5\n", "row 3: 23:59:60 is a leap second"),
    ("a date and a time column", "Date,Time,Open,High,Low,Close,Volume\n"
                                 "2016-12-31,22:00,117,118,116,117,5\n"
                                 "2016-12-31,23:59:60,117,118,116,117,5\n",
     "row 3: 23:59:60 is a leap second"),
]


@pytest.mark.parametrize("name, text, message", LEAP_CASES, ids=[c[0] for c in LEAP_CASES])
def test_a_leap_second_is_refused_naming_its_row(name, text, message, env, run_cli):
    """`23:59:60` rolled to the next midnight and was then reported as out of order (or, in an
    MT5 file, imported a day late). Command: `unwind data import leap.csv --symbol USDJPY@x`."""
    path = env.file("leap.csv", text)
    before = tree_digest(env.store)
    result = run_cli("data", "import", str(path), "--symbol", "USDJPY@x")
    assert result.code == 1
    line = one_error_line(result)
    assert line.startswith(f"error: {path}: {message}; bars have no 60th second"), line
    assert tree_digest(env.store) == before


def _append(path) -> None:
    with path.open("a") as handle:
        handle.write("2024-08-01T06:00:00+00:00,2400,2401,2399,2400.5,7\n")


def _same_size(path) -> None:
    text = path.read_text()
    path.write_text(text.replace("2400,", "2500,", 1))
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000))


def _replaced(path) -> None:
    staged = path.with_name("staged.csv")
    staged.write_text(path.read_text())
    staged.replace(path)


@pytest.mark.parametrize("change", [_append, _same_size, _replaced],
                         ids=["rows appended", "rewritten at the same size", "replaced by rename"])
def test_a_file_that_changes_while_it_is_read_is_refused(change, env, run_cli, monkeypatch):
    """A file rewritten during its import was stored as a mix (its hash matched the bytes read).
    Command: `unwind data import xauusd.csv --symbol XAUUSD@x` while a writer changes the file;
    the change is made right after the read, where the race lands."""
    from feeds import importer

    path = env.file("moving.csv", hourly(2400))
    real_read = importer.read_text

    def read_then_change(target):
        text = real_read(target)
        change(target)
        return text

    monkeypatch.setattr(importer, "read_text", read_then_change)
    before = tree_digest(env.store)
    result = run_cli("data", "import", str(path), "--symbol", "XAUUSD@x")
    assert result.code == 1
    assert one_error_line(result) == (
        f"error: {path}: changed while it was read (its size or modification time differs "
        "before and after); import it once whatever writes it is done")
    assert tree_digest(env.store) == before


# ------------------------------------------------------------------- warnings, odd file kinds
def test_format_dates_on_a_yahoo_file_is_one_line_and_no_library_warning(env, run_cli):
    """`--format dates` on a Yahoo file leaked a pandas warning. Command: `unwind data import
    AUDUSD_X.csv --symbol AUDUSD --format dates`."""
    path = env.file("AUDUSD_X.csv", "Date,Close,High,Low,Open,Volume\n"
                                    "2006-05-16,0.767,0.769,0.760,0.762,0\n"
                                    "2006-05-17,0.759,0.772,0.757,0.766,0\n")
    before = tree_digest(env.store)
    result = run_cli("data", "import", str(path), "--symbol", "AUDUSD", "--format", "dates")
    assert result.code == 1
    assert one_error_line(result).startswith(f"error: {path}: ")
    assert "Warning" not in result.err
    assert tree_digest(env.store) == before


_WARNING_LOAD = """
import sys, warnings
import feeds
real_load = feeds.load
def warning_load(*args, **kwargs):
    warnings.warn("Series.values returning an array is deprecated", FutureWarning)
    return real_load(*args, **kwargs)
feeds.load = warning_load
from unwind.cli import main
sys.exit(main())
"""


def test_no_library_warning_reaches_the_terminal(env, processes):
    """Whatever a library warns of inside a command stays off stderr; `python -W default`
    shows it again (the control: the warning is really raised). A subprocess, because pytest
    records warnings itself. Command: `unwind data show GC`, pandas warning on the way."""
    import subprocess
    import sys

    def show(*flags: str) -> subprocess.CompletedProcess:
        return processes.run([sys.executable, *flags, "-c", _WARNING_LOAD, "data", "show", "GC"],
                             capture_output=True, text=True, timeout=60,
                             env={"UNWIND_STORE": str(env.store)})

    quiet = show()
    assert quiet.returncode == 0 and quiet.stderr == "", quiet.stderr
    assert "FutureWarning: Series.values" in show("-W", "default").stderr


def test_a_socket_given_as_a_file_is_refused_by_kind(env, run_cli):
    """The file-type check is feeds.filesystem.kind_of, one definition for store and input.
    Command: `unwind data import SOCKET --symbol GC@x`."""
    import socket

    path = env.tmp / "feed.sock"
    with socket.socket(socket.AF_UNIX) as listener:
        listener.bind(str(path))
        result = run_cli("data", "import", str(path), "--symbol", "GC@x")
    assert result.code == 1
    assert one_error_line(result) == (f"error: {path}: is a socket, not a regular file; save "
                                      "the data to a CSV file and import that")


# ------------------------------------------------- open or close outside high..low at import
def _outside(closes: list[float], rows: dict[int, str]) -> str:
    """`_daily(closes)` with the data rows numbered in `rows` (the header is row 1) replaced."""
    text = _daily(closes)
    for row, line in rows.items():
        text = _replace_row(text, row, line)
    return text


# Rows 4 and 9 of 30: an open above the high (as Yahoo futures print it), a close below the low.
OUTSIDE = _outside(GOLD, {4: "2024-07-03,2440.5,2426.2,2378.2,2402,5",
                          9: "2024-07-10,2407,2431.1,2383,2380.25,5"})


def test_open_or_close_outside_high_low_is_refused_naming_row_count_and_flag(env, run_cli):
    """`unwind data import outside.csv --symbol GC@x`: issue 23 asks that such rows be refused
    or repaired under a stated flag; the store is untouched."""
    path = env.file("outside.csv", OUTSIDE)
    before = tree_digest(env.store)
    result = run_cli("data", "import", str(path), "--symbol", "GC@x")
    assert result.code == 1
    assert one_error_line(result) == (
        f"error: {path}: row 4 (2024-07-03T00:00:00+00:00): open 2440.5, high 2426.2, low 2378.2, "
        "close 2402: open or close outside high..low, on 2 of 30 rows; pass --repair-ohlc widen "
        "to widen high and low to take them in (high = max(open, high, close), low = min(open, "
        "low, close)), or fix the file")
    assert tree_digest(env.store) == before


def test_repair_ohlc_widen_imports_records_and_reproduces_the_repair(env, run_cli):
    """`unwind data import outside.csv --symbol GC@x --repair-ohlc widen`, then `data list`,
    `data validate GC@x` and the repair command the store suggests for the series."""
    path = env.file("outside.csv", OUTSIDE)
    result = run_cli("data", "import", str(path), "--symbol", "GC@x", "--repair-ohlc", "widen")
    assert result.code == 0, result.err
    assert "2 rows with open or close outside high..low widened (--repair-ohlc widen)" \
        in result.out
    frame = pd.read_parquet(env.parquet("GC@x", "1d"))
    assert frame.loc["2024-07-03", ["open", "high", "low", "close"]].tolist() == \
        [2440.5, 2440.5, 2378.2, 2402.0]                 # high 2426.2 -> the open
    assert frame.loc["2024-07-10", ["open", "high", "low", "close"]].tolist() == \
        [2407.0, 2431.1, 2380.25, 2380.25]               # low 2383 -> the close
    assert frame.loc["2024-07-05", "high"] == pytest.approx(2404 * 1.01)   # other rows as printed
    manifest = json.loads(env.manifest("GC@x", "1d").read_text())
    assert manifest["import_flags"] == ["--repair-ohlc", "widen"]
    assert manifest["repairs"] == [{"flag": "--repair-ohlc widen", "rows": 2, "runs": [
        ["2024-07-03T00:00:00+00:00", "2024-07-03T00:00:00+00:00"],
        ["2024-07-10T00:00:00+00:00", "2024-07-10T00:00:00+00:00"]]}]
    listed = run_cli("data", "list")
    assert "repaired GC@x 1d: 2 rows with open or close outside high..low widened at import " \
           "(`--repair-ohlc widen`)" in listed.out
    assert json.loads(run_cli("data", "list", "--json").out)[1]["repairs"][0]["rows"] == 2
    # 2 of 30 bars in 2024 is 6.7%, over the gate's 5%: widened bars are consistent, not right
    validated = run_cli("data", "validate", "GC@x", "--json")
    report = json.loads(validated.out)["series"][0]
    assert report["repairs"] == [{"flag": "--repair-ohlc widen", "rows": 2}]
    (finding,) = [f for f in report["findings"] if f["check"] == "ohlc_inconsistent"]
    assert finding["severity"] == "error" and finding["count"] == 2
    assert "2 of them widened at import by `--repair-ohlc widen`" in finding["message"]
    # the same file and flag again: unchanged; without the flag: refused, the store kept
    again = run_cli("data", "import", str(path), "--symbol", "GC@x", "--repair-ohlc", "widen")
    assert again.code == 0 and again.out.startswith("unchanged")
    assert run_cli("data", "import", str(path), "--symbol", "GC@x", "--replace").code == 1
    # break the series; the repair command it names rebuilds it, repair included
    env.parquet("GC@x", "1d").write_bytes(b"damaged")
    damaged = run_cli("data", "list")
    command = re.search(r"rebuild it with `([^`]+)`", damaged.out).group(1)
    assert "--repair-ohlc widen" in command
    repaired = run_cli(*shlex.split(command)[1:])
    assert repaired.code == 0, repaired.err
    assert json.loads(env.manifest("GC@x", "1d").read_text())["repairs"] == manifest["repairs"]


def test_the_gate_counts_unrepaired_and_repaired_rows_alike(env, run_cli):
    """A store imported before the refusal (rows outside high..low as printed) is caught on
    read by the same rule, and the repaired rows count as the same finding: `unwind data
    validate GC@old`, `unwind data validate GC@one`. One bad row in 30 (3.3%) is a warning, as before; 2 (6.7%) an error."""
    assert run_cli("data", "import", str(env.file("gold.csv", _daily(GOLD))), "--symbol",
                   "GC@old").code == 0
    frame = pd.read_parquet(env.parquet("GC@old", "1d"))
    frame.iloc[3, frame.columns.get_loc("open")] = frame["high"].iloc[3] + 5
    env.rewrite_parquet("GC@old", "1d", frame)
    result = run_cli("data", "validate", "GC@old", "--json")
    (finding,) = [f for f in json.loads(result.out)["series"][0]["findings"]
                  if f["check"] == "ohlc_inconsistent"]
    assert finding["severity"] == "warning" and finding["count"] == 1
    assert "widened" not in finding["message"]
    path = env.file("one.csv", _outside(GOLD, {4: "2024-07-03,2440.5,2426.2,2378.2,2402,5"}))
    assert run_cli("data", "import", str(path), "--symbol", "GC@one", "--repair-ohlc",
                   "widen").code == 0
    result = run_cli("data", "validate", "GC@one", "--json")
    (finding,) = [f for f in json.loads(result.out)["series"][0]["findings"]
                  if f["check"] == "ohlc_inconsistent"]
    assert finding["severity"] == "warning" and finding["count"] == 1
    assert "1 of them widened at import" in finding["message"]


def test_repair_ohlc_does_not_repair_what_no_market_prints(env, run_cli):
    """`--repair-ohlc widen` on a file whose high and low are swapped on every row: still the
    sanity refusal (a vendor's format, not a slip); `--repair-ohlc stretch`: click refuses it."""
    path = env.file("swapped.csv", "Date,Open,High,Low,Close,Volume\n" + SWAPPED + "\n")
    result = run_cli("data", "import", str(path), "--symbol", "GC@x", "--repair-ohlc", "widen")
    assert result.code == 1 and "high 2376 is below low 2424" in one_error_line(result)
    result = run_cli("data", "import", str(path), "--symbol", "GC@x", "--repair-ohlc", "stretch")
    assert result.code == 2 and "'--repair-ohlc': 'stretch' is not 'widen'" in result.err


def test_widen_and_the_recorded_runs_on_a_hand_made_frame():
    """high = max(open, high, close), low = min(open, low, close) on the flagged rows only; the
    runs mark rows 1-2 and 4, and any window of the series finds its own rows."""
    index = pd.date_range("2024-07-01", periods=5, freq="D", tz="UTC")
    frame = pd.DataFrame({"open": [10.0, 12.0, 10.0, 10.0, 8.0],
                          "high": [11.0, 11.0, 11.0, 11.0, 11.0],
                          "low": [9.0, 9.0, 10.5, 9.0, 9.0],
                          "close": [10.5, 10.0, 10.2, 10.5, 10.0], "volume": 1.0}, index=index)
    outside = sanity.outside_high_low(frame)
    assert outside.tolist() == [False, True, True, False, True]
    widened = sanity.widen(frame, outside)
    assert widened["high"].tolist() == [11.0, 12.0, 11.0, 11.0, 11.0]
    assert widened["low"].tolist() == [9.0, 9.0, 10.0, 9.0, 8.0]
    assert not sanity.outside_high_low(widened).any()
    record = sanity.repair_record(index, index[outside], "widen")
    assert record.rows == 3 and len(record.runs) == 2
    assert sanity.repaired_rows(index, (record,)).tolist() == outside.tolist()
    assert sanity.repaired_rows(index[2:4], (record,)).tolist() == [True, False]


def test_the_real_gc_file_is_refused_without_the_flag_and_counted_with_it(raw, env, run_cli):
    """`unwind data import ../shared/data/raw/yf_storage_data_fy/GC_F.csv --symbol GC@yahoo`:
    Yahoo's COMEX front month puts the open or close outside high..low on 442 of 6,395 rows
    (PROVENANCE.md); with `--repair-ohlc widen` the manifest counts them."""
    path = raw / "yf_storage_data_fy" / "GC_F.csv"
    result = run_cli("data", "import", str(path), "--symbol", "GC@yahoo")
    assert result.code == 1
    assert one_error_line(result).startswith(
        f"error: {path}: row 115 (2001-02-13T00:00:00+00:00): open 261, high 261, low 261, "
        "close 260.2999878: open or close outside high..low, on 442 of 6,395 rows; pass "
        "--repair-ohlc widen")
    result = run_cli("data", "import", str(path), "--symbol", "GC@yahoo", "--repair-ohlc", "widen")
    assert result.code == 0, result.err
    assert json.loads(env.manifest("GC@yahoo", "1d").read_text())["repairs"][0]["rows"] == 442


def test_a_run_reading_a_repaired_series_records_the_repair_in_its_manifest(env, run_cli):
    """What `unwind run` writes into manifest.json's "data" for each series it read
    (feeds.manifest.run_entry over feeds.load's attrs): the repair and its row count for a
    repaired series, nothing new for the others (their run manifests stay as they were)."""
    import feeds
    from feeds.manifest import run_entry
    from feeds.store import Store

    path = env.file("outside.csv", OUTSIDE)
    assert run_cli("data", "import", str(path), "--symbol", "GC@x", "--repair-ohlc",
                   "widen").code == 0
    repaired = feeds.load("GC@x", bar="1d", store=Store(env.store), check_quality=False)
    entry = run_entry("GC@x", "1d", repaired.attrs)
    assert entry["repairs"] == [{"flag": "--repair-ohlc widen", "rows": 2}]
    plain = feeds.load("GC", bar="1d", store=Store(env.store), check_quality=False)
    assert set(run_entry("GC", "1d", plain.attrs)) == {"series", "bar", "data_sha256",
                                                        "synthetic"}
