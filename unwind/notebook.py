"""The Python API: run and score from a notebook, and load what the CLI wrote as pandas frames.

    import unwind
    run = unwind.run("hsi_short_yen_vol", episode="aug-2024-carry-unwind")
    run.metrics.loc["sharpe_ratio", "value"], run.equity["equity_usd"].iloc[-1]
    unwind.load_run("runs/out/20240805T000000Z-hsi_short_yen_vol").trades

`run` and `score` take the CLI's options as keyword arguments and check them with the same code
(RunConfig for a run, unwind.studies.runspec for a score), then write the same folders the commands
write; the loaders read any such folder back. Loading checks a run folder as `unwind report`
does (unwind.studies.rundir.check), so a damaged or half-written folder is one DataError naming it.
The objects are frozen: their frames are the files' contents, not views into the engine.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import pandas as pd

from feeds.errors import DataError

ROLLING_SHARPE_DAYS = 126   # half a year of trading days


# ------------------------------------------------------------------------------------ loading
def _times(values: pd.Series) -> pd.Series:
    """ISO text as UTC timestamps (an empty cell, a trade still open, stays NaT)."""
    return pd.to_datetime(values, utc=True, format="ISO8601")


def _timed_frame(path: Path) -> pd.DataFrame:
    """A CSV whose `time` column becomes its UTC DatetimeIndex."""
    frame = pd.read_csv(path)
    frame.index = pd.DatetimeIndex(_times(frame.pop("time")), name="time")
    return frame


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _metrics_frame(columns: dict[str, dict]) -> pd.DataFrame:
    """The registry's metrics as rows (in its order), one column of values per source (value,
    benchmark, twin), and each metric's title and unit."""
    from unwind.evidence import metrics

    rows = []
    for metric in metrics.METRICS:
        row = {"key": metric.key, **{name: values.get(metric.key)
                                     for name, values in columns.items()},
               "title": metric.title, "unit": metric.unit}
        rows.append(row)
    return pd.DataFrame(rows).set_index("key")


@dataclass(frozen=True)
class Run:
    """A run folder (`unwind run`, or a cell of a scorecard) as frames.

    equity: equity_usd, gross_notional_usd, margin_usd by UTC bar time; trades: one row per
    round trip (trades.csv, times as UTC timestamps); prices and signals: by UTC bar time with a
    symbol column; metrics: one row per registry metric (columns value, benchmark where the
    folder has one, twin where it has one, title, unit); benchmark: the benchmark's equity_usd
    by time, or None; manifest: manifest.json as a dict (config, data hashes, notes...)."""

    path: Path
    manifest: dict
    metrics: pd.DataFrame
    equity: pd.DataFrame
    trades: pd.DataFrame
    prices: pd.DataFrame
    signals: pd.DataFrame | None
    benchmark: pd.DataFrame | None

    @property
    def playbook(self) -> str:
        return self.manifest["config"]["playbook"]

    @property
    def daily_returns(self) -> pd.Series:
        """The returns every ratio of metrics.json is computed from (each UTC day's last
        equity), indexed by day."""
        from unwind.evidence.analytics import daily_returns

        return daily_returns(self.equity["equity_usd"])

    def rolling_sharpe(self, days: int = ROLLING_SHARPE_DAYS) -> pd.Series:
        """The annualised Sharpe ratio of each trailing `days` daily returns (NaN before)."""
        from unwind.evidence.analytics import rolling_sharpe

        return rolling_sharpe(self.daily_returns, days)


def load_run(directory: str | Path) -> Run:
    """A run folder written by `unwind run` or `unwind score` (a cell or a full history)."""
    from unwind.studies import rundir

    path = Path(directory)
    rundir.check(path)
    values = {"value": _json(path / "metrics.json")}
    for name, file in (("benchmark", "benchmark_metrics.json"), ("twin", "twin_metrics.json")):
        if (path / file).is_file():
            values[name] = _json(path / file)
    trades = pd.read_csv(path / "trades.csv")
    for column in ("entry_time", "exit_time"):
        trades[column] = _times(trades[column])
    optional = {name: _timed_frame(path / file) if (path / file).is_file() else None
                for name, file in (("signals", "signals.csv"),
                                   ("benchmark", "benchmark_equity.csv"))}
    return Run(path=path, manifest=_json(path / "manifest.json"),
               metrics=_metrics_frame(values), equity=_timed_frame(path / "equity.csv"),
               trades=trades, prices=_timed_frame(path / "prices.csv"), **optional)


def _whole_folder(path: Path, files: tuple[str, ...], kind: str, command: str) -> None:
    """Refuse a folder still being written or missing the files its command writes."""
    from unwind.studies.rundir import PARTIAL, excerpt_path

    if path.name.endswith(PARTIAL):
        raise DataError(f"{excerpt_path(path)} is an incomplete {kind} directory: it was "
                        "interrupted or failed while writing (or is still running); run it again")
    if not path.is_dir():
        raise DataError(f"{excerpt_path(path)}: no such {kind} directory")
    missing = [name for name in files if not (path / name).is_file()]
    if missing:
        raise DataError(f"{excerpt_path(path)}: not a {kind} directory (missing "
                        f"{', '.join(missing)}); `{command}` writes them")


@dataclass(frozen=True)
class Scorecard:
    """A scorecard folder (`unwind score`) as frames.

    cells: scorecard.csv, one row per playbook and episode (status, evidence, every metric,
    benchmark_/excess_/twin_excess_ columns); verdicts: one row per playbook (badge, sentence,
    reasons, and the whole verdict line); summary: summary.json as a dict.
    `run(playbook, episode)` and `full_history(playbook)` load a cell's run folder."""

    path: Path
    cells: pd.DataFrame
    verdicts: pd.DataFrame
    summary: dict

    def run(self, playbook: str, episode: str) -> Run:
        chosen = self.cells[(self.cells["playbook"] == playbook)
                            & (self.cells["episode"] == episode)]
        if chosen.empty:
            raise DataError(f"{self.path}: no cell {playbook} x {episode}; cells holds "
                            f"{len(self.cells)} rows (columns playbook, episode)")
        folder = chosen["run_dir"].iloc[0]
        if not isinstance(folder, str) or not folder:
            raise DataError(f"{self.path}: the cell {playbook} x {episode} has no run folder "
                            f"(status {chosen['status'].iloc[0]}: {chosen['reason'].iloc[0]})")
        return load_run(self.path / folder)

    def full_history(self, playbook: str) -> Run:
        history = self.summary.get(playbook, {}).get("full_history") or {}
        if not history.get("run_dir"):
            raise DataError(f"{self.path}: no full-history run of {playbook} (scored with "
                            "--no-full-history, or not scored)")
        return load_run(self.path / history["run_dir"])


def load_scorecard(directory: str | Path) -> Scorecard:
    """A scorecard folder written by `unwind score`."""
    path = Path(directory)
    _whole_folder(path, ("scorecard.csv", "summary.json"), "scorecard", "unwind score")
    cells = pd.read_csv(path / "scorecard.csv", keep_default_na=False, na_values=[""])
    summary = _json(path / "summary.json")
    columns = ["badge", "sentence", "reasons", "verdict"]
    verdicts = pd.DataFrame([{"playbook": playbook, **{key: item.get(key) for key in columns}}
                             for playbook, item in summary.items()],
                            columns=["playbook", *columns]).set_index("playbook")
    return Scorecard(path=path, cells=cells, verdicts=verdicts, summary=summary)


@dataclass(frozen=True)
class Sweep:
    """A sweep folder (`unwind sweep`) as frames.

    trials: trials.csv, one row per trial (the swept parameters, default, every metric, status);
    summary: sweep.json as a dict (grid, default, best, deflated Sharpe, PBO, sensitivity)."""

    path: Path
    trials: pd.DataFrame
    summary: dict

    @property
    def default(self) -> pd.Series:
        """The trial run at the playbook's defaults."""
        return self.trials[self.trials["default"]].iloc[0]


def load_sweep(directory: str | Path) -> Sweep:
    """A sweep folder written by `unwind sweep`."""
    path = Path(directory)
    _whole_folder(path, ("trials.csv", "sweep.json"), "sweep", "unwind sweep")
    return Sweep(path=path, trials=pd.read_csv(path / "trials.csv"),
                 summary=_json(path / "sweep.json"))


# ---------------------------------------------------------------------------------- running
def _flag_text(value: Any) -> str:
    """A parameter value as the CLI's -p KEY=VALUE gives it (true/false for booleans), so a run
    from Python has the configuration, and its hash, of the same run from the command line."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def _number(value: Any) -> Any:
    """A whole number as the float the CLI's number options give (500000 -> 500000.0), so the
    configuration hashes alike; anything else is left for RunConfig to check and refuse."""
    return float(value) if isinstance(value, int) and not isinstance(value, bool) else value


def _amounts(values: Mapping[str, float] | None) -> tuple[tuple[str, float], ...]:
    from feeds.store import check_series_name

    return tuple((check_series_name(symbol), _number(value))
                 for symbol, value in (values or {}).items())


def run(playbook: str, *, episode: str | None = None, full_history: bool = False,
        start: str | None = None, end: str | None = None,
        parameters: Mapping[str, Any] | None = None, warmup_days: int | None = None,
        cash: float = 1_000_000.0, slippage_model: str = "volatility",
        slippage_ticks: float | None = None, max_leverage: float = 3.0,
        financing_markup: float = 0.005, margins: Mapping[str, float] | None = None,
        fees: Mapping[str, float] | None = None, allow_defects: bool = False,
        out: str | Path | None = None, store: str | Path | None = None) -> Run:
    """`unwind run PLAYBOOK` from Python: the same options (as keywords: `parameters` for -p,
    `margins`/`fees` as {symbol: amount}), the same run folder, returned loaded."""
    from unwind.studies import rundir
    from unwind.sim.config import for_window

    def options() -> dict:
        return dict(parameters=tuple((key, _flag_text(value))
                                     for key, value in (parameters or {}).items()),
                    warmup_days=warmup_days, cash_usd=_number(cash),
                    slippage_ticks=None if slippage_ticks is None else _number(slippage_ticks),
                    slippage_model=slippage_model, max_leverage=_number(max_leverage),
                    financing_markup=_number(financing_markup), allow_defects=allow_defects,
                    margins=_amounts(margins), fees=_amounts(fees))

    config = for_window(playbook, None if store is None else str(store), options,
                        episode=episode, full_history=full_history, start=start, end=end,
                        window_names="episode, full_history or start/end")
    return load_run(rundir.run_and_write(config, out).directory)


def score(spec: str | Path | None = None, *, playbooks: tuple[str, ...] | list[str] = (),
          episodes: tuple[str, ...] | list[str] = (), jobs: int | None = None,
          scheduler: str | None = None, allow_defects: bool = False, sheets: str = "all",
          full_history: bool = True, out: str | Path | None = None,
          store: str | Path | None = None) -> Scorecard:
    """`unwind score [SPEC]` from Python: the same options as keywords (a run spec's values
    read by unwind.studies.runspec, keywords winning), the same scorecard folder, returned loaded.
    Prints nothing; the CLI's progress lines are its own."""
    from unwind.studies import scorecard
    from unwind.studies.runspec import score_config

    if sheets not in ("all", "none"):
        raise DataError(f"sheets={sheets!r}: expected 'all' or 'none'")
    config = score_config(None if spec is None else str(spec), playbooks=tuple(playbooks),
                          episodes=tuple(episodes), jobs=jobs, allow_defects=allow_defects,
                          out=None if out is None else str(out),
                          store=None if store is None else str(store))
    scored = scorecard.score_into_folder(config, scheduler=scheduler,
                                         tear_sheets=sheets == "all", full_history=full_history)
    return load_scorecard(scored.directory)
