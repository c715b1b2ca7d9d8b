"""Writing a run directory: manifest.json, metrics.json, equity.csv, trades.csv, prices.csv,
signals.csv, the benchmark's metrics and equity, and (through unwind.tear_sheet) tear_sheet.html.

A new directory per run under `runs/out/` (or --out), never overwriting. metrics.json depends only
on the configuration and the data, so a rerun writes it byte for byte the same; manifest.json adds
what differs between reruns (wall-clock times) and what explains a result (versions, git commit,
data hashes).
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from importlib import metadata
from pathlib import Path

import pandas as pd

from unwind.engine import RunResult

DEFAULT_OUT = Path("runs") / "out"
_PACKAGES = ("backtrader", "pandas", "numpy", "empyrical-reloaded", "yfinance", "pyarrow",
             "exchange_calendars", "click", "carry-unwind")


def _git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True,
                             cwd=Path(__file__).resolve().parent, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() or None


def _versions() -> dict[str, str]:
    versions = {}
    for package in _PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return versions


def new_run_dir(out: Path | None, playbook: str) -> Path:
    """A fresh directory `<out>/<UTC time>-<playbook>[-n]` that did not exist before."""
    base = Path(out) if out else DEFAULT_OUT
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    for attempt in range(1000):
        candidate = base / f"{stamp}-{playbook}" if attempt == 0 else \
            base / f"{stamp}-{playbook}-{attempt}"
        try:
            candidate.mkdir(parents=True, exist_ok=False)
            return candidate
        except FileExistsError:
            continue
    raise RuntimeError(f"could not create a new run directory under {base}")


def _iso(index: pd.DatetimeIndex) -> list[str]:
    return [t.isoformat() for t in index]


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
        "data": result.series, "package_versions": _versions(), "git_commit": _git_commit(),
        "seed": None, "started": started, "finished": finished,
        "regime_shares": result.regime_shares, "skipped_trades": result.skips,
        "notes": result.notes, "execution": result.execution,
    }
    (directory / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str) + "\n")
    (directory / "metrics.json").write_text(json.dumps(result.metrics, indent=2, sort_keys=True)
                                            + "\n")
    equity = pd.DataFrame({"time": _iso(result.equity.index),
                           "equity_usd": result.equity.to_numpy(),
                           "gross_notional_usd": result.gross_notional.to_numpy(),
                           "margin_usd": result.margin.to_numpy()})
    equity.to_csv(directory / "equity.csv", index=False, float_format="%.6f")
    result.trades.to_csv(directory / "trades.csv", index=False, float_format="%.12g")
    prices = result.prices.assign(time=_iso(result.prices.index))
    prices[["time", "symbol", "open", "high", "low", "close", "session", "regime"]].to_csv(
        directory / "prices.csv", index=False, float_format="%.10g")
    signal_lines = result.signals.assign(time=_iso(result.signals.index))
    signal_lines[["time", "symbol"] + [c for c in result.signals.columns if c != "symbol"]
                 ].to_csv(directory / "signals.csv", index=False, float_format="%.10g")
    if benchmark is not None:
        (directory / "benchmark_metrics.json").write_text(
            json.dumps(benchmark.metrics, indent=2, sort_keys=True) + "\n")
        pd.DataFrame({"time": _iso(benchmark.equity.index),
                      "equity_usd": benchmark.equity.to_numpy()}).to_csv(
            directory / "benchmark_equity.csv", index=False, float_format="%.6f")
