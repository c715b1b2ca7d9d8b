"""A finished sweep read and written: trials ranked by Sharpe ratio, the best trial's deflated
Sharpe ratio and the grid's probability of backtest overfitting, trials.csv, sweep.json and the
sensitivity page (unwind/studies/sweep.py runs the trials)."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd

from unwind.studies.grid import base_values
from unwind.studies.sweep import RANK_BY, SweepResult, Trial

def ranked(trials: list[Trial]) -> list[Trial]:
    """Trials with a Sharpe ratio, best first (ties: grid order)."""
    scored = [t for t in trials if t.status == "ok" and t.metrics.get(RANK_BY) is not None]
    return sorted(scored, key=lambda t: (-t.metrics[RANK_BY], t.index))


def multiple_testing(result: SweepResult) -> tuple[dict, dict]:
    """(deflated Sharpe of the best trial, PBO) as sweep.json reports them."""
    from unwind.evidence import overfitting

    order = ranked(result.trials)
    if not order:
        return ({"deflated_sharpe": None, "note": "no trial has a Sharpe ratio (no trades)"},
                {"probability": None, "note": "no trial has a Sharpe ratio"})
    distinct, every = {}, {}
    for trial in order:
        distinct.setdefault(trial.returns.to_numpy().tobytes(), trial)
    for trial in result.trials:
        if trial.status == "ok":
            every.setdefault(trial.returns.to_numpy().tobytes(), trial)
    sharpes = [overfitting.moments(t.returns.to_numpy())[0] for t in distinct.values()]
    deflated = overfitting.of_trials(order[0].returns.to_numpy(), np.asarray(sharpes))
    dsr = deflated.to_json() | {
        "trial": order[0].index, "distinct_trials": len(distinct), "ranked_trials": len(order),
        "note": (deflated.note or "per-period (daily) Sharpe ratios; N counts trials with "
                 "distinct daily returns; V their sample variance")}
    if not result.config.full_history:
        pbo = {"probability": None, "note": "computed over full history only (--full-history)"}
    elif len(every) < overfitting.MIN_PBO_TRIALS:
        pbo = {"probability": None,
               "note": f"{len(every)} trials with distinct daily returns; CSCV needs at least "
                       f"{overfitting.MIN_PBO_TRIALS}"}
    else:
        # every scored trial with its own returns (one that never traded is a flat column)
        matrix = pd.concat([t.returns for t in every.values()], axis=1).fillna(0.0)
        try:
            pbo = overfitting.probability_of_overfitting(matrix.to_numpy()).to_json()
        except ValueError as error:
            pbo = {"probability": None, "note": str(error)}
    return dsr, pbo


def trials_frame(result: SweepResult) -> pd.DataFrame:
    """trials.csv: the trial number, the swept parameters, whether it is the default, every
    metric of the registry, and the status."""
    from unwind.evidence import metrics

    keys = [m.key for m in metrics.METRICS]
    names = [axis.name for axis in result.config.axes]
    default = result.default
    rows = [{"trial": t.index, **{n: t.values[n] for n in names}, "default": t.index == default,
             **{k: t.metrics.get(k) for k in keys}, "status": t.status}
            for t in result.trials]
    return pd.DataFrame(rows, columns=["trial", *names, "default", *keys, "status"])


def summary(result: SweepResult) -> dict:
    """sweep.json."""
    from unwind.pages import sensitivity_page

    config = result.config
    order = ranked(result.trials)
    default = result.default
    default_trial = result.trials[default]
    rank = next((position for position, t in enumerate(order, start=1) if t.index == default),
                None)
    dsr, pbo = multiple_testing(result)
    statuses = [t.status.split(":")[0] for t in result.trials]

    def describe(trial: Trial | None) -> dict | None:
        if trial is None:
            return None
        return {"trial": trial.index, "parameters": trial.values, "metrics": trial.metrics}

    return {
        "playbook": config.playbook, "engine": config.engine, "window": config.window,
        "start": config.start, "end": config.end, "episode": config.episode,
        "full_history": config.full_history,
        "grid": {axis.name: axis.to_json() for axis in config.axes},
        "fixed_parameters": dict(config.fixed),
        "default_parameters": base_values(config.playbook, dict(config.fixed)),
        "data": result.series,
        "counts": {"trials": len(result.trials), "ok": statuses.count("ok"),
                   "traded": sum(1 for t in result.trials if t.metrics.get("trades")),
                   "ranked": len(order), "invalid": statuses.count("invalid"),
                   "n/a": statuses.count("n/a"), "signal_groups": result.signal_sets},
        "rank_by": RANK_BY,
        "default": describe(default_trial) | {
            "rank": rank, "status": default_trial.status,
            "rank_note": "" if rank else "the default has no Sharpe ratio (no trades): unranked"},
        "best": describe(order[0] if order else None),
        "deflated_sharpe": dsr, "pbo": pbo,
        "sensitivity": sensitivity_page.read(result),
        "executor": (f"dask {config.scheduler}" if config.scheduler else
                     f"{config.jobs} local process(es)"),
        "notes": result.notes,
    }


def write(result: SweepResult, directory) -> dict:
    """trials.csv, sweep.json and sensitivity.html in `directory`; returns sweep.json."""
    from pathlib import Path

    from unwind.pages import sensitivity_page

    directory = Path(directory)
    trials_frame(result).to_csv(directory / "trials.csv", index=False)
    document = summary(result)
    (directory / "sweep.json").write_text(json.dumps(document, indent=2, default=_json) + "\n")
    sensitivity_page.write(result, document, directory / "sensitivity.html",
                           ranked(result.trials)[:10])
    return document


def _json(value):
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value) if math.isfinite(value) else None
    return str(value)
