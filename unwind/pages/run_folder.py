"""A run folder's files read once, as the tear sheet and its tables use them: manifest,
metrics, equity, benchmark, trades, prices, signals and the episode's triggers. Times are
tz-aware UTC."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from unwind.evidence.analytics import by_day, underwater

SHORT_WINDOW = pd.Timedelta(days=183)  # up to ~6 months: returns by day, sessions shaded


@dataclass(frozen=True, eq=False)   # holds Series: compared by identity
class DailyCurve:
    """An equity curve of the run by UTC day: what the daily panels and tables draw."""

    label: str             # "playbook" or "benchmark"
    closes: pd.Series      # the equity at each day's last bar, indexed by the day
    positions: np.ndarray  # where each day's last bar sits on the run's trading-time axis
    returns: pd.Series     # closes.pct_change(): the rolling panels and the histogram's


@dataclass(frozen=True)
class Run:
    """A run directory's files, read once. Times are tz-aware UTC."""

    directory: Path
    manifest: dict
    metrics: dict
    benchmark_metrics: dict | None
    equity: pd.DataFrame           # equity_usd, gross_notional_usd by bar
    benchmark: pd.Series | None    # benchmark equity_usd by bar
    trades: pd.DataFrame
    prices: pd.DataFrame
    signals: pd.DataFrame
    triggers: tuple

    @property
    def config(self) -> dict:
        return self.manifest["config"]

    @cached_property
    def short(self) -> bool:
        return self.equity.index[-1] - self.equity.index[0] <= SHORT_WINDOW

    @property
    def intraday(self) -> bool:
        return not self.manifest.get("bar", "1d").endswith(("d", "w"))

    @property
    def daily_closes(self) -> pd.Series:
        """USD equity at the last bar of each UTC day: what the metrics are computed from."""
        return self.daily_curves[0].closes

    @cached_property
    def daily_curves(self) -> tuple[DailyCurve, ...]:
        """The playbook's curve by day, then the benchmark's when there is one: computed once
        for the several panels and tables that read them."""
        curves = [("playbook", self.equity["equity_usd"])]
        if self.benchmark is not None:
            curves.append(("benchmark", self.benchmark))
        made = []
        for label, equity in curves:
            closes, instants = by_day(equity)
            made.append(DailyCurve(label, closes, self.position(instants), closes.pct_change()))
        return tuple(made)

    @cached_property
    def drawdown_by_bar(self) -> pd.Series:
        """The playbook's `analytics.underwater` (each bar's fall from its high): the
        underwater panel, the headline and the drawdown table each read it."""
        return underwater(self.equity["equity_usd"])

    @cached_property
    def _axis_seconds(self) -> np.ndarray:
        """The bars' instants in seconds: what `position` interpolates on, on every call."""
        return _seconds(self.equity.index)

    def position(self, times) -> np.ndarray:
        """Fractional bar positions of instants on the run's trading-time axis."""
        if isinstance(times, pd.DatetimeIndex):   # already instants: their seconds are UTC's
            instants = times
        else:
            instants = pd.DatetimeIndex(pd.to_datetime(times, utc=True, format="ISO8601"))
        return np.interp(_seconds(instants), self._axis_seconds,
                         np.arange(len(self.equity), dtype=float))


def _seconds(index: pd.DatetimeIndex) -> np.ndarray:
    return index.as_unit("s").asi8.astype(float)


def _csv(path: Path, **options) -> pd.DataFrame:
    """pd.read_csv in one piece (low_memory=False): the same parser and the same values, but
    a file is not cut into chunks whose columns are typed apart and joined again (a run's
    files are written by rundir, one type to a column)."""
    return pd.read_csv(path, low_memory=False, **options)


class _TimedFrames:
    """A run's CSV files indexed by their `time` column as UTC instants. The files mostly share
    one clock (equity, benchmark, one symbol's prices and signals): a time column equal to one
    already parsed takes its instants (58,000 hourly times cost 10 ms to parse, 0.2 to
    compare)."""

    def __init__(self):
        self._parsed: list[tuple[pd.Index, pd.DatetimeIndex]] = []

    def read(self, path: Path) -> pd.DataFrame:
        frame = _csv(path, index_col="time")
        text = frame.index
        instants = next((parsed for seen, parsed in self._parsed if text.equals(seen)), None)
        if instants is None:
            instants = pd.to_datetime(text, utc=True, format="ISO8601")
            self._parsed.append((text, instants))
        frame.index = instants
        return frame


def _triggers(manifest: dict) -> tuple:
    """The episode's triggers (a run-spec window has only its own first trigger)."""
    from unwind.evidence import episodes
    from unwind.evidence.episodes import Trigger

    config = manifest["config"]
    if config.get("episode") in episodes.catalogue():
        return episodes.get(config["episode"]).triggers
    if config.get("first_trigger"):
        return (Trigger(config["first_trigger"], "first trigger"),)
    return ()


def read(directory: Path) -> Run:
    """The run directory's files (benchmark and signal files may be absent)."""
    directory = Path(directory)
    manifest = json.loads((directory / "manifest.json").read_text())
    benchmark_metrics = directory / "benchmark_metrics.json"
    benchmark = directory / "benchmark_equity.csv"
    signals = directory / "signals.csv"
    timed = _TimedFrames()
    return Run(
        directory, manifest, json.loads((directory / "metrics.json").read_text()),
        json.loads(benchmark_metrics.read_text()) if benchmark_metrics.exists() else None,
        timed.read(directory / "equity.csv"),
        timed.read(benchmark)["equity_usd"] if benchmark.exists() else None,
        _csv(directory / "trades.csv"), timed.read(directory / "prices.csv"),
        timed.read(signals) if signals.exists() else pd.DataFrame(columns=["symbol"]),
        tuple(_triggers(manifest)))
