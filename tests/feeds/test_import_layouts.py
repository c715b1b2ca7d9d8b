"""The export layouts traders have (issue 22): each file is written by the test from a real
series of ../shared/data/raw, as imported the usual way, and must import to the same bars.

Hourly: 300 bars of spot gold (fxtrading's MT5 export, server clock Europe/Athens) around the
August 2024 unwind. Daily: 300 Hang Seng closes (WSJ). The reference is the store's canonical
frame (UTC bar opens, float64 prices); each layout writes those values in its own way."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import pandas as pd
import pytest

import feeds
from feeds.importer import ImportOptions, import_files
from feeds.store import Store



def _slice(raw_file: Path, target: Path, start: str, rows: int) -> Path:
    """The raw file's header and `rows` data lines from the first containing `start`."""
    lines = raw_file.read_text().splitlines()
    first = next(n for n, line in enumerate(lines) if start in line)
    target.write_text("\n".join([lines[0], *lines[first:first + rows]]) + "\n")
    return target


@pytest.fixture(scope="module")
def reference(raw, tmp_path_factory) -> dict[str, pd.DataFrame]:
    """The real series as the usual import stores them."""
    folder = tmp_path_factory.mktemp("layouts")
    store = Store(folder / "store")
    hourly = _slice(raw / "mt5_fxtrading_ea/XAUUSD_H1.csv", folder / "xau.csv", "2024.07.22", 300)
    daily = _slice(raw / "wsj_clamx4_stockdata/HSI.csv", folder / "hsi.csv", "08/30/24", 300)
    import_files([hourly], ImportOptions(symbol="XAUUSD", clock="Europe/Athens"), store)
    import_files([daily], ImportOptions(symbol="HSI"), store)
    return {"1h": feeds.load("XAUUSD", None, None, "1h", store, check_quality=False),
            "1d": feeds.load("HSI", None, None, "1d", store, check_quality=False)}


def _number(value: float, decimal_comma: bool = False) -> str:
    """A price as the file writes it: Python's shortest round-trip text, or with a decimal
    comma and thousands dots (2.401,35)."""
    if not decimal_comma:
        return repr(float(value))
    return f"{float(value):,}".replace(",", "_").replace(".", ",").replace("_", ".")


def _rows(frame: pd.DataFrame, times: list[str], sep: str, decimal_comma: bool = False,
          volume: bool = True) -> list[str]:
    columns = ["open", "high", "low", "close"] + (["volume"] if volume else [])
    return [sep.join([time, *(_number(bar[c], decimal_comma) for c in columns)])
            for time, (_, bar) in zip(times, frame.iterrows())]


def _layouts(reference: dict[str, pd.DataFrame]) -> dict[str, tuple[str, str, list[str], str]]:
    """name -> (bar, file text, extra import options, expected format label start)."""
    hourly, daily = reference["1h"], reference["1d"]
    opens = hourly.index
    closes = opens + pd.Timedelta(hours=1)
    epoch = [str(t.value // 10**9) for t in opens]
    return {
        "tradingview epoch seconds": ("1h", "time,open,high,low,close,Volume\n" + "\n".join(
            _rows(hourly, epoch, ",")), [], "tradingview (epoch seconds, UTC)"),
        "epoch milliseconds": ("1h", "timestamp,open,high,low,close,volume\n" + "\n".join(
            _rows(hourly, [str(t.value // 10**6) for t in opens], ",")), [],
            "ohlc (epoch milliseconds, UTC)"),
        "date and time columns": ("1h", "Date,Time,Open,High,Low,Close,Volume\n" + "\n".join(
            _rows(hourly, [t.strftime("%Y-%m-%d,%H:%M") for t in opens], ",")),
            ["--clock", "utc"], "ohlc (date and time columns)"),
        "german semicolons and decimal commas": (
            "1h", "Datum;Zeit;Eröffnung;Hoch;Tief;Schluss;Volumen\n" + "\n".join(
                _rows(hourly, [t.strftime("%d.%m.%Y;%H:%M:%S") for t in opens], ";", True)),
            ["--clock", "utc"],
            "ohlc (';'-separated, decimal commas, date and time columns, dd.MM.yyyy HH:mm:ss)"),
        "headerless with --columns": ("1h", "\n".join(_rows(
            hourly, [t.strftime("%Y-%m-%d %H:%M:%S") for t in opens], ",")),
            ["--columns", "time,open,high,low,close,volume", "--clock", "utc"],
            "generic (no header)"),
        "ninjatrader intraday (bar close times)": ("1h", "\n".join(_rows(
            hourly, [t.strftime("%Y%m%d %H%M%S") for t in closes], ";")), ["--clock", "utc"],
            "ninjatrader (intraday)"),
        "ninjatrader daily, decimal commas": ("1d", "\n".join(_rows(
            daily, [t.strftime("%Y%m%d") for t in daily.index], ";", True)), [],
            "ninjatrader (daily, decimal commas)"),
        "german daily dd.mm.yyyy without volume": ("1d", "Datum;Eröffnung;Hoch;Tief;Schluss\n"
            + "\n".join(_rows(daily, [t.strftime("%d.%m.%Y") for t in daily.index], ";", True,
                              volume=False)), [], "ohlc (';'-separated, decimal commas, "
                                                  "dd.MM.yyyy)"),
    }


LAYOUT_NAMES = ["tradingview epoch seconds", "epoch milliseconds", "date and time columns",
                "german semicolons and decimal commas", "headerless with --columns",
                "ninjatrader intraday (bar close times)", "ninjatrader daily, decimal commas",
                "german daily dd.mm.yyyy without volume"]


@pytest.mark.parametrize("name", LAYOUT_NAMES)
def test_each_layout_imports_the_same_bars(name, reference, tmp_path, run_cli):
    bar, text, options, label = _layouts(reference)[name]
    path = tmp_path / "export.csv"
    path.write_text(text + "\n", encoding="utf-8")
    symbol = "XAUUSD@export" if bar == "1h" else "HSI@export"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = run_cli("data", "import", str(path), "--symbol", symbol, "--store",
                         str(tmp_path / "store"), *options)
    assert result.code == 0, result.err
    assert [str(w.message) for w in caught] == []          # no warning reaches the terminal
    assert f"[{label}" in result.out, result.out
    stored = feeds.load(symbol, None, None, bar, Store(tmp_path / "store"), check_quality=False)
    expected = reference[bar]
    if "volume" not in text.splitlines()[0].lower() and not options and "ninjatrader" not in name:
        expected = expected.assign(volume=0.0)                 # a file without volume: 0
    assert len(stored) == 300
    pd.testing.assert_frame_equal(stored, expected, check_exact=True, check_freq=False)


def test_the_file_says_ninjatrader_stamps_closes(reference, tmp_path, run_cli):
    _, text, options, _ = _layouts(reference)["ninjatrader intraday (bar close times)"]
    path = tmp_path / "nt.txt"
    path.write_text(text + "\n")
    result = run_cli("data", "import", str(path), "--symbol", "XAUUSD@nt", "--store",
                     str(tmp_path / "store"), *options)
    assert "times moved back one bar (1h) to label each bar by its open" in result.out


BAD = [
    ("headerless without --columns", "20240801,1,2,0.5,1.5\n20240802,1,2,0.5,1.5\n", [],
     "no header row (line 1 is data: '20240801,1,2,0.5,1.5'); name the columns in the file's "
     "order with --columns time,open,high,low,close[,volume]"),
    ("unknown --columns name", "2024-08-01,1,2,0.5,1.5\n",
     ["--columns", "time,open,high,low,price"], "'price' is not a column"),
    ("--columns beyond the file", "2024-08-01,1,2,0.5\n",
     ["--columns", "time,open,high,low,close"], "row 1 has 4 columns; --columns (or --map #N) "
                                                "names 5"),
    ("--columns with --map", "2024-08-01,1,2,0.5,1.5\n",
     ["--columns", "time,open,high,low,close", "--map", "time=a,close=b"], "give one"),
    ("decimal point among decimal commas", "Datum;Eröffnung;Hoch;Tief;Schluss\n"
     "01.08.2024;1,5;2;0,5;1,5\n02.08.2024;1.5;2;0,5;1,5\n", [],
     "row 3 column 'Eröffnung': '1.5' is not a number with a decimal comma"),
    ("epoch text cell", "time,open,high,low,close\n1722470400,1,2,0.5,1.5\n17224704x0,1,2,0.5,"
     "1.5\n", [], "row 3: '17224704x0' is not a date/time"),
    ("rows wider than the header", "date;open;high;low;close\n2024-08-01;1;2;0.5;1.5;9;9\n", [],
     "row 2 has more fields than the header's 5"),
]


@pytest.mark.parametrize("name, content, options, message", BAD, ids=[b[0] for b in BAD])
def test_a_bad_layout_is_one_error_line(name, content, options, message, tmp_path, run_cli):
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = run_cli("data", "import", str(path), "--symbol", "GC@bad", "--store",
                         str(tmp_path / "store"), *options)
    assert result.code != 0 and result.out == ""
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], result.err
    assert [str(w.message) for w in caught] == []
    assert not (tmp_path / "store").exists() or not any((tmp_path / "store").rglob("*.parquet"))


def test_the_german_file_prints_nothing_on_stderr_from_the_command_line(reference, tmp_path):
    """Through the installed `unwind`, as a trader runs it: stderr stays empty."""
    _, text, options, _ = _layouts(reference)["german semicolons and decimal commas"]
    path = tmp_path / "dax_export.csv"
    path.write_text(text + "\n", encoding="utf-8")
    unwind = Path(sys.executable).with_name("unwind")
    result = subprocess.run([str(unwind), "data", "import", str(path), "--symbol", "XAUUSD@de",
                             "--store", str(tmp_path / "store"), *options],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and result.stderr == "", result.stderr


def test_columns_skip_a_column_and_the_store_records_the_map(tmp_path, run_cli):
    path = tmp_path / "export.csv"
    path.write_text("XAU,2024-08-01 00:00:00,2400.5,2410.0,2390.0,2405.25\n"
                    "XAU,2024-08-01 01:00:00,2405.25,2412.0,2401.0,2409.0\n")
    result = run_cli("data", "import", str(path), "--symbol", "XAUUSD@x", "--store",
                     str(tmp_path / "store"), "--columns", "skip,time,open,high,low,close",
                     "--clock", "utc")
    assert result.code == 0, result.err
    store = Store(tmp_path / "store")
    stored = feeds.load("XAUUSD@x", None, None, "1h", store, check_quality=False)
    assert stored["close"].tolist() == [2405.25, 2409.0] and stored["volume"].tolist() == [0, 0]
    assert store.info("XAUUSD@x", "1h").import_flags == (
        "--clock", "utc", "--map", "time=#2,open=#3,high=#4,low=#5,close=#6")
