"""Writing a run directory: manifest.json, metrics.json, equity.csv, trades.csv, prices.csv,
signals.csv, the benchmark's metrics and equity, and (through unwind.pages.tear_sheet) tear_sheet.html.

A new directory per run under `runs/out/` (or --out), never overwriting. metrics.json depends only
on the configuration and the data, so a rerun writes it byte for byte the same; manifest.json adds
what differs between reruns (wall-clock times) and what explains a result (versions, git commit,
data hashes).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import shutil
import subprocess
from importlib import metadata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from feeds.filesystem import Refused, describe, read_regular
from feeds.errors import DataError, excerpt
from unwind.sim.engine import RunResult
from unwind.studies.run_csv import iso_times, write_csv
from unwind.studies.writer_lock import hold_writer_lock, release_writer_lock

DEFAULT_OUT = Path("runs") / "out"
_PACKAGES = ("backtrader", "pandas", "numpy", "empyrical-reloaded", "yfinance", "pyarrow",
             "exchange_calendars", "click", "carry-unwind")


@lru_cache(maxsize=1)
def _git_commit() -> str | None:
    """The commit of this code, asked of git once per process (the code a process runs is what
    it imported when it started; a scorecard wrote 154 folders, each starting git)."""
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True,
                             cwd=Path(__file__).resolve().parent, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() or None


@lru_cache(maxsize=1)
def _versions() -> dict[str, str]:
    """Installed versions of the packages a run depends on (read once per process: the
    metadata scan cost about 3 s over a scorecard's 300 run folders)."""
    versions = {}
    for package in _PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return versions


# A directory being written carries this suffix; it is renamed without it once complete, so a
# directory named without it is whole, and one with it was interrupted (or is still running).
PARTIAL = ".partial"
# Parents of a directory being written that new_run_dir created, so discard() removes them too.
_CREATED: dict[Path, list[Path]] = {}
def new_run_dir(out: Path | str | None, name: str) -> Path:
    """A fresh directory `<out>/<UTC time>-<name>[-n].partial`, neither it nor its final name
    existing before; `finish` renames it when everything is written, `discard` removes it. An
    output folder that cannot be made (a file in its path, no permission, read-only, a name too
    long) is one DataError, raised before any work is done."""
    base = Path(out) if out else DEFAULT_OUT
    created = []
    try:
        for folder in (base, *base.parents):
            if folder.exists():
                break
            created.append(folder)
        base.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        _remove_if_empty(created)
        raise DataError(f"cannot create the output folder {excerpt_path(base)}: "
                        f"{describe(error)}") from None
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    for attempt in range(1000):
        final = base / (f"{stamp}-{name}" if attempt == 0 else f"{stamp}-{name}-{attempt}")
        partial = final.with_name(final.name + PARTIAL)
        try:
            if final.exists():
                continue
            partial.mkdir()
        except FileExistsError:
            continue
        except OSError as error:
            _remove_if_empty(created)
            raise DataError(f"cannot write in the output folder {excerpt_path(base)}: "
                            f"{describe(error)}") from None
        try:
            hold_writer_lock(partial)
        except OSError as error:
            shutil.rmtree(partial, ignore_errors=True)
            _remove_if_empty(created)
            raise DataError(f"cannot lock {excerpt_path(partial)}: {describe(error)}") from None
        _CREATED[partial] = created
        return partial
    raise DataError(f"could not find a new run directory name under {excerpt_path(base)}")


def final_name(partial: Path) -> Path:
    """Where a directory being written ends up."""
    return partial.with_name(partial.name.removesuffix(PARTIAL))


def finish(partial: Path) -> Path:
    """Rename a completely written directory to its final name; returns that name."""
    final = final_name(partial)
    if final.exists():  # another writer took the name after new_run_dir checked it
        raise DataError(f"{final} appeared while this run was written; the run is kept in "
                        f"{partial}")
    os.rename(partial, final)
    release_writer_lock(partial, final)
    _CREATED.pop(partial, None)
    return final


def discard(partial: Path) -> None:
    """Remove a directory being written (after a failure), and the parents new_run_dir made."""
    shutil.rmtree(partial, ignore_errors=True)
    release_writer_lock(partial)
    _remove_if_empty(_CREATED.pop(partial, []))


def _remove_if_empty(folders: list[Path]) -> None:
    for folder in folders:  # deepest first
        try:
            folder.rmdir()
        except OSError:
            return


def excerpt_path(path: Path) -> str:
    """A path as an error shows it: at most 120 characters (a name too long is cut)."""
    text = str(path)
    return text if len(text) <= 120 else f"{text[:100]}... ({len(text):,} characters)"


def writing_error(error: OSError, partial: Path) -> DataError:
    """The one line for an OS error while writing `partial` (already discarded)."""
    return DataError(f"cannot write {excerpt_path(final_name(partial))}: {describe(error)}; "
                     "nothing was kept")


@dataclass(frozen=True)
class Written:
    """A finished run folder and what was run to write it."""

    directory: Path
    tear_sheet: Path
    result: RunResult
    benchmark: object   # benchmark.BenchmarkResult


def check_finite(metrics: dict, whose: str) -> None:
    """Refuse a run whose metrics hold NaN or infinity (an undefined ratio is None, never
    NaN): a number no market prints reached the books, and `nan USD` with exit 0 would pass
    for a result."""
    broken = [key for key, value in metrics.items()
              if isinstance(value, float) and not math.isfinite(value)]
    if broken:
        raise DataError(f"the run of {whose} came out {metrics[broken[0]]} for "
                        f"{', '.join(broken)}: a price in the window is not usable; "
                        "`unwind data validate` names it; nothing was written")


def run_and_write(config, out: Path | str | None = None) -> Written:
    """Back-test `config` (a RunConfig) and its benchmark and write the run folder with its
    tear sheet: what `unwind run` and `unwind.run` do after reading their options. The folder
    is made first (an unusable `out` fails before the backtest), written as `<name>.partial`
    and renamed when complete, removed on any failure."""
    import strategies
    from unwind.sim import engine
    from unwind.sim.benchmark import run_benchmark
    from unwind.pages import tear_sheet

    started = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    staged = new_run_dir(out, config.playbook)
    try:
        ready = engine.prepare(config)
        result = engine.run(config, ready)
        benchmark = run_benchmark(config, ready)
        check_finite(result.metrics, config.playbook)
        check_finite(benchmark.metrics,
                     f"its benchmark ({strategies.get(config.playbook).BENCHMARK})")
        try:
            write(result, staged, started,
                  dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), benchmark)
            sheet = tear_sheet.write(staged)
            directory = finish(staged)
        except OSError as error:
            raise writing_error(error, staged) from None
    except BaseException:
        discard(staged)
        raise
    return Written(directory, directory / sheet.name, result, benchmark)


def write(result: RunResult, directory: Path, started: str, finished: str,
          benchmark: RunResult | None = None) -> None:
    """Write the run's files (and its benchmark's equity and metrics when given)."""
    import strategies

    config = result.config
    playbook = strategies.get(config.playbook)
    manifest = {
        "synthetic": result.synthetic,
        "config": config.to_json(), "config_sha256": config.sha256(),
        "parameters": result.parameters,
        "parameter_defaults": strategies.defaults(playbook),
        "signal_panels": [panel.to_json() for panel in strategies.panels(playbook,
                                                                          result.parameters)],
        "bar": playbook.BAR, "benchmark": playbook.BENCHMARK,
        "data": result.series, "package_versions": dict(_versions()), "git_commit": _git_commit(),
        "seed": None, "started": started, "finished": finished,
        "regime_shares": result.regime_shares, "skipped_trades": result.skips,
        "notes": result.notes, "execution": result.execution,
        "stale_inputs": result.execution.get("stale_inputs", []),
        "suspect_bars": result.execution.get("suspect_bars", []),
        "defects_allowed": result.execution.get("defects_allowed", []),
    }
    (directory / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str) + "\n")
    (directory / "metrics.json").write_text(json.dumps(result.metrics, indent=2, sort_keys=True)
                                            + "\n")
    prices, signal_lines = result.prices, result.signals
    times = iso_times(result.equity.index, prices.index, signal_lines.index,
                 *([] if benchmark is None else [benchmark.equity.index]))
    write_csv(directory / "equity.csv", {
        "time": times[0], "equity_usd": result.equity.to_numpy(),
        "gross_notional_usd": result.gross_notional.to_numpy(),
        "margin_usd": result.margin.to_numpy()}, "%.6f")
    if result.trades.empty and len(result.trades.columns):   # most cells: the header alone
        write_csv(directory / "trades.csv", dict.fromkeys(result.trades.columns, []), "%.12g")
    else:
        result.trades.to_csv(directory / "trades.csv", index=False, float_format="%.12g")
    write_csv(directory / "prices.csv", {
        "time": times[1], **{column: prices[column].to_numpy() for column in (
            "symbol", "open", "high", "low", "close", "session", "regime")}}, "%.10g")
    write_csv(directory / "signals.csv", {
        "time": times[2], "symbol": signal_lines["symbol"].to_numpy(),
        **{column: signal_lines[column].to_numpy() for column in signal_lines.columns
           if column != "symbol"}}, "%.10g")
    if benchmark is not None:
        (directory / "benchmark_metrics.json").write_text(
            json.dumps(benchmark.metrics, indent=2, sort_keys=True) + "\n")
        write_csv(directory / "benchmark_equity.csv", {
            "time": times[3], "equity_usd": benchmark.equity.to_numpy()}, "%.6f")


# What a reader of a run directory (unwind report, the tear sheet) needs from each file: JSON
# objects and their keys, CSV columns, the time column and the columns that must be numbers.
_JSON_KEYS = {"manifest.json": ("config", "synthetic"), "metrics.json": ()}
_OPTIONAL_JSON = ("benchmark_metrics.json", "twin_metrics.json")
# A run's JSON files are a few kB; a larger one is not read (nor a FIFO or device at its name).
_JSON_MAX_BYTES = 1 << 26
_CSV_COLUMNS = {
    "equity.csv": (("time",), ("equity_usd", "gross_notional_usd")),
    "trades.csv": (("entry_time", "exit_time"),
                   ("contracts", "entry_price", "exit_price", "pnl_usd", "fees_usd",
                    "bars_held", "mae_usd", "mfe_usd")),
    "prices.csv": (("time",), ("open", "high", "low", "close", "session", "regime")),
}
_OPTIONAL_CSV = {"benchmark_equity.csv": (("time",), ("equity_usd",)),
                 "signals.csv": (("time",), ())}
_TEXT_COLUMNS = {"trades.csv": ("symbol", "side", "currency", "exit_reason", "status"),
                 "prices.csv": ("symbol",)}


def is_complete(directory: Path, tear_sheet: bool = True) -> bool:
    """A run directory that was completely written: its final name, every file `write` makes
    and, unless `tear_sheet` is false (a scorecard run with --sheets none), the tear sheet
    (contents are `check`'s business)."""
    directory = Path(directory)
    wanted = (*_JSON_KEYS, *_CSV_COLUMNS) + (("tear_sheet.html",) if tear_sheet else ())
    return not directory.name.endswith(PARTIAL) and directory.is_dir() and all(
        (directory / name).is_file() for name in wanted)


def check(directory: Path) -> None:
    """Refuse a run directory a reader cannot trust: still being written or interrupted (its name
    ends in .partial), missing a file, or holding a file that is not what `write` writes. The
    DataError names the directory and the first damaged file."""
    directory = Path(directory)
    if directory.name.endswith(PARTIAL):
        raise DataError(f"{excerpt_path(directory)} is an incomplete run directory: its run was "
                        "interrupted or failed while writing (or is still running); run it again")
    if not directory.is_dir():
        raise DataError(f"{excerpt_path(directory)}: no such run directory")
    missing = [name for name in (*_JSON_KEYS, *_CSV_COLUMNS) if not (directory / name).exists()]
    if missing:
        raise DataError(f"{excerpt_path(directory)}: not a complete run directory (missing "
                        f"{', '.join(missing)}); `unwind run` and `unwind score` write them")
    for name, keys in [*_JSON_KEYS.items(), *((n, ()) for n in _OPTIONAL_JSON)]:
        if (directory / name).exists():
            _check_json(directory, name, keys)
    for name, (times, numbers) in [*_CSV_COLUMNS.items(), *_OPTIONAL_CSV.items()]:
        if (directory / name).exists():
            _check_csv(directory, name, times, numbers)


def _damaged(directory: Path, name: str, what: str) -> DataError:
    return DataError(f"{excerpt_path(directory)} is damaged: {name} {what}; run it again to "
                     "rewrite it")


def _check_json(directory: Path, name: str, keys: tuple[str, ...]) -> None:
    try:
        value = json.loads(read_regular(directory / name, _JSON_MAX_BYTES))
    except Refused as refused:
        raise _damaged(directory, name, str(refused)) from None
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise _damaged(directory, name, f"is not valid JSON ({str(error)[:80]})") from None
    except OSError as error:
        raise _damaged(directory, name, f"cannot be read ({describe(error)})") from None
    if not isinstance(value, dict):
        raise _damaged(directory, name, f"holds {type(value).__name__}, not an object")
    for key in keys:
        if key not in value:
            raise _damaged(directory, name, f"has no {key!r}")
    if name == "manifest.json" and not (isinstance(value["config"], dict)
                                        and isinstance(value["config"].get("playbook"), str)):
        raise _damaged(directory, name, "has no config with a playbook")
    if name in ("metrics.json", "benchmark_metrics.json"):
        _check_metrics(directory, name, value, required=name == "metrics.json")


def _check_metrics(directory: Path, name: str, value: dict, required: bool) -> None:
    """Every metric of the registry present (in metrics.json) and each a finite number or null
    (undefined): a string such as "12%" or a NaN is not a metric a page can show."""
    from unwind.evidence import metrics

    keys = [metric.key for metric in metrics.METRICS]
    if required:
        missing = [key for key in keys if key not in value]
        if missing:
            raise _damaged(directory, name, f"has no {missing[0]!r}"
                           + (f" (nor {len(missing) - 1} other metrics)" if len(missing) > 1
                              else ""))
    for key in keys:
        number = value.get(key)
        if number is None:
            continue
        if isinstance(number, bool) or not isinstance(number, (int, float)) or \
                not math.isfinite(number):
            raise _damaged(directory, name, f"holds {key} = {excerpt(json.dumps(number))}, "
                           "not a finite number or null")


def _check_csv(directory: Path, name: str, times: tuple[str, ...],
               numbers: tuple[str, ...]) -> None:
    try:
        frame = pd.read_csv(directory / name)
    except pd.errors.EmptyDataError:
        raise _damaged(directory, name, "is empty") from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as error:
        raise _damaged(directory, name, f"is not a readable CSV ({str(error)[:80]})"
                       ) from None
    except OSError as error:
        raise _damaged(directory, name, f"cannot be read ({describe(error)})") from None
    columns = (*times, *numbers, *_TEXT_COLUMNS.get(name, ()))
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise _damaged(directory, name, f"has no {', '.join(missing)} column"
                       f"{'s' if len(missing) > 1 else ''}")
    if name == "equity.csv" and frame.empty:
        raise _damaged(directory, name, "has no rows")
    for column in times:
        values = frame[column].dropna() if name == "trades.csv" else frame[column]
        parsed = pd.to_datetime(values, utc=True, format="ISO8601", errors="coerce")
        if parsed.isna().any():
            row = int(np.flatnonzero(parsed.isna().to_numpy())[0])
            raise _damaged(directory, name, f"row {row + 2}: {column} "
                           f"{excerpt(values.iloc[row])} is not a time")
        if name == "equity.csv" and not parsed.is_monotonic_increasing:
            raise _damaged(directory, name, "times are not in order")
    for column in numbers:
        values = pd.to_numeric(frame[column], errors="coerce")
        bad = values.isna() & frame[column].notna()
        if name == "equity.csv":
            bad |= ~np.isfinite(values.fillna(np.nan))
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise _damaged(directory, name, f"row {row + 2}: {column} "
                           f"{excerpt(frame[column].iloc[row])} is not a number")
