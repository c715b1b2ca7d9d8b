"""The `unwind` command line end to end (in-process, through the real entry point)."""

import json
import subprocess
import sys

import pytest

from tests.conftest import tree_digest


def test_help_lists_the_command_groups(run_cli):
    result = run_cli("--help")
    assert result.code == 0
    for word in ("data", "list", "run", "score", "report"):
        assert word in result.out


HEAVY_MODULES = ["pandas", "numpy", "backtrader", "yfinance", "pyarrow"]


@pytest.mark.parametrize("argv", [
    [], ["--help"], ["list", "--help"], ["list", "instruments"], ["list", "episodes"],
    ["data", "--help"], ["data", "validate", "--help"], ["data", "show", "--help"]],
    ids=lambda argv: " ".join(argv) or "import only")
def test_cli_start_up_does_not_import_heavy_modules(argv):
    """Issue 7: --help within 2x of `import click`; one pandas import made it ~10x (bench/)."""
    run = f"unwind.cli.main({argv!r})" if argv else "None"
    probe = (f"import sys, unwind.cli; code = {run}; "
             f"print(sorted(set({HEAVY_MODULES!r}) & set(sys.modules)), file=sys.stderr)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stderr.strip().splitlines()[-1] == "[]"


def test_score_on_an_empty_store_runs_on_synthetic_data_and_leaves_the_store_empty(
        store_dir, tmp_path, run_cli):
    result = run_cli("score", "--playbook", "gold_asia_dip", "--episode",
                     "aug-2024-carry-unwind", "--out", str(tmp_path / "out"), "--jobs", "1")
    assert result.code == 0, result.err
    assert result.out.startswith("SYNTHETIC demo data")
    page = next((tmp_path / "out").glob("*/scorecard.html")).read_text()
    assert "SYNTHETIC DEMO DATA" in page
    sheet = next((tmp_path / "out").glob("*/cells/gold_asia_dip/*/tear_sheet.html")).read_text()
    assert "SYNTHETIC DEMO DATA" in sheet
    assert tree_digest(store_dir) == {}


def test_import_list_show_validate_on_real_files(raw, store_dir, run_cli):
    hourly = raw / "mt5_fxtrading_ea/USDJPY_H1.csv"
    result = run_cli("data", "import", str(hourly), "--symbol", "USDJPY")
    assert result.code == 0 and "imported  USDJPY 1h: 62158 bars" in result.out
    assert "UTC+3 during US DST" in result.out
    assert run_cli("data", "import", str(hourly), "--symbol", "USDJPY").out.startswith(
        "unchanged")
    listed = json.loads(run_cli("data", "list", "--json").out)
    assert [(s["series"], s["bar"], s["rows"]) for s in listed] == [("USDJPY", "1h", 62158)]
    table = run_cli("data", "list").out.splitlines()   # names the store from $UNWIND_STORE
    assert table[0] == f"store: {store_dir}" and table[2].split()[:3] == ["USDJPY", "1h", "62158"]
    shown = run_cli("data", "show", "USDJPY", "--start", "2024-08-05", "--end", "2024-08-05",
                    "--rows", "24")
    assert "2024-08-05T06:00  142.630  143.090  141.689  142.754" in shown.out
    assert "asia" in shown.out
    validated = run_cli("data", "validate", "USDJPY", "--start", "2024-06-01", "--end",
                        "2024-09-30")
    assert validated.code == 0 and validated.out.startswith("ok   USDJPY 1h")


def test_validate_compares_two_sources_and_fails_on_blocking_defects(raw, store_dir, run_cli):
    run_cli("data", "import", str(raw / "mt5_pepperstone_daily/USDJPY.csv"))
    run_cli("data", "import", str(raw / "fred_401alert/DEXJPUS.csv"), "--symbol", "USDJPY@fred")
    run_cli("data", "import", str(raw / "yf_storage_data_fy/JPY_X.csv"), "--symbol",
            "USDJPY@yahoo", "--repair-ohlc", "widen")
    compared = run_cli("data", "validate", "USDJPY", "--bar", "1d", "--against", "USDJPY@fred",
                       "--tolerance", "1%", "--start", "2024-01-01", "--end", "2024-12-31",
                       "--json")
    comparison = json.loads(compared.out)["series"][0]["comparison"]
    assert comparison["compared"] > 240 and comparison["fields"] == ["close"]
    assert comparison["agreeing"] / comparison["compared"] > 0.98
    broken = run_cli("data", "validate", "USDJPY@yahoo", "--start", "2024-01-01")
    assert broken.code == 1 and "open_equals_close" in broken.out and "FAIL" in broken.out


def test_clock_scan_reports_weekly_opens(raw, store_dir, run_cli):
    run_cli("data", "import", str(raw / "mt5_pepperstone_daily/USDJPY.csv"))
    run_cli("data", "import", str(raw / "mt5_fxtrading_ea/USDJPY_H1.csv"), "--symbol", "USDJPY")
    result = run_cli("data", "validate", "USDJPY", "--bar", "1h", "--against", "USDJPY",
                     "--against-bar", "1d", "--tolerance", "0.05%", "--clock-scan", "--start",
                     "2023-01-01", "--end", "2024-12-31", "--json")
    scan = json.loads(result.out)["series"][0]["clock_scan"]
    best = {year: max(row, key=row.get) for year, row in scan["agreement"].items()}
    assert set(best.values()) == {"0"} or set(best.values()) == {0}
    assert set(scan["weekly_open"].values()) == {"Sun 17:00"}
