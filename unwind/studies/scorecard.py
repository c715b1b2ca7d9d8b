"""The scorecard: every playbook through every episode, against its benchmark and plain twin.

Each cell is one run over the episode's window (warm-up before it) plus the playbook's benchmark
over the same window, written as a run directory with its tear sheet under
`<out>/cells/<playbook>/<episode>/`; the tear sheets share one copy of their zoom script in
`<out>/assets/`. A cell whose data is missing or fails the quality gate is
`n/a` with the reason; nothing is dropped. Cells run in a process pool; rows come back in the
catalogue's order whatever the number of jobs, so the files are identical for any --jobs.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from feeds.errors import DataError
from unwind.evidence import metrics
from unwind.studies import workers

BASE_COLUMNS = ["playbook", "episode", "status", "reason", "run_dir"]


@dataclass(frozen=True)
class ScoreConfig:
    playbooks: tuple[str, ...]
    episodes: tuple[str, ...]
    store: str | None
    out: str
    jobs: int = 1
    allow_defects: bool = False
    windows: tuple = ()   # ad-hoc episodes from a run spec
    scheduler: str | None = None   # a dask.distributed scheduler to run the cells on
    tear_sheets: bool = True   # write each run's tear sheet (else `unwind report DIR` later)


def columns() -> list[str]:
    from unwind.evidence.cells import EVIDENCE_COLUMNS

    keys = [m.key for m in metrics.METRICS]
    shared = [m.key for m in metrics.METRICS if not m.playbook_only]
    return BASE_COLUMNS + EVIDENCE_COLUMNS + keys + [f"benchmark_{k}" for k in shared] + \
        [f"excess_{k}" for k in shared] + [f"twin_excess_{k}" for k in keys]


def _difference(first, second):
    if first is None or second is None:
        return None
    if isinstance(first, int) and isinstance(second, int):
        return first - second
    return float(f"{first - second:.12g}")


def score_cell(playbook: str, episode, store: str | None, out: str,
               allow_defects: bool, tear_sheets: bool = True) -> dict:
    """Run one cell (an Episode) and write its run directory (with its tear sheet unless
    `tear_sheets` is false); a DataError makes an n/a row."""
    import strategies
    from unwind.sim import engine
    from unwind.sim.benchmark import run_benchmark
    from unwind.evidence import cells
    from unwind.studies import rundir
    from unwind.pages import tear_sheet
    from unwind.sim.config import RunConfig

    row = {"playbook": playbook, "episode": episode.id, "status": "ok", "reason": "",
           "run_dir": f"cells/{playbook}/{episode.id}"}
    try:
        config = RunConfig(playbook=playbook, start=episode.start, end=episode.end,
                           episode=episode.id, first_trigger=episode.first_trigger,
                           store=store, allow_defects=allow_defects)
        ready = engine.prepare(config)
        result = engine.run(config, ready)
        benchmark = run_benchmark(config, ready)
        twin_parameters = strategies.twin_parameters(playbook, config.parameters)
        twin = None if twin_parameters is None else \
            run_twin(dataclasses.replace(config, parameters=twin_parameters), ready)
    except DataError as error:
        return row | {"status": "n/a", "reason": str(error), "run_dir": ""}
    directory = _staged(Path(out) / row["run_dir"])
    stamp = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    rundir.write(result, directory, stamp, stamp, benchmark)
    if twin is not None:
        (directory / "twin_metrics.json").write_text(
            json.dumps({"parameters": dict(twin_parameters), "metrics": twin.metrics},
                       indent=2, sort_keys=True) + "\n")
    if tear_sheets:
        tear_sheet.write(directory)
    _publish(directory)
    row.update(cells.cell_evidence(result, result.frames,
                                      strategies.get(playbook).CALIBRATED_ON))
    row.update(result.metrics)
    for key, value in benchmark.metrics.items():
        row[f"benchmark_{key}"] = value
        row[f"excess_{key}"] = _difference(result.metrics[key], value)
    for key, value in result.metrics.items():
        row[f"twin_excess_{key}"] = None if twin is None else \
            _difference(value, twin.metrics[key])
    row["synthetic"] = result.synthetic
    row["defects_allowed"] = result.execution.get("defects_allowed", [])
    return row


def run_twin(config, ready):
    """The plain twin's run (what has `.metrics`) from the playbook's prepared run `ready`: on
    the screen when it runs the playbook's rule on one instrument (its metrics equal
    backtrader's exactly: tests/unwind/test_speed_equivalence.py), else on backtrader."""
    from unwind.sim import engine, screen

    prepared = engine.prepare_like(ready, config)
    if len(prepared.engine_frames) == 1 and screen.supported(config.playbook)[0]:
        return screen.run(prepared, config, records=False)
    return engine.run(config, prepared)


def _staged(directory: Path) -> Path:
    """The folder a cell is written in: `directory` with rundir.PARTIAL appended, renamed to
    `directory` once the cell is complete, so the cells of an interrupted scorecard that did
    not finish keep the suffix."""
    from unwind.studies import rundir, writer_lock

    staged = directory.with_name(directory.name + rundir.PARTIAL)
    shutil.rmtree(staged, ignore_errors=True)  # a dead writer's, when `out` is scored again
    staged.mkdir(parents=True)
    writer_lock.hold_writer_lock(staged)   # released by _publish, or by this process's death
    return staged


def _publish(staged: Path) -> None:
    """Give a complete cell its final name, replacing the cell an earlier scoring of the same
    `out` left there (a fresh scorecard directory has none)."""
    from unwind.studies import rundir, writer_lock

    final = rundir.final_name(staged)
    if final.exists():
        shutil.rmtree(final)
    staged.rename(final)
    writer_lock.release_writer_lock(staged, final)


def episode(config: ScoreConfig, episode_id: str):
    """The Episode behind a scorecard column: a run-spec window, else the catalogue's."""
    from unwind.evidence import episodes as catalogue

    custom = {window.id: window for window in config.windows}
    return custom.get(episode_id) or catalogue.get(episode_id)


def cell_text(row: dict) -> str:
    """A cell as the terminal and page show it: its total return, 'no signal' when the
    playbook did not trade, 'n/a' when the cell has no data."""
    if row["status"] != "ok":
        return "n/a"
    if not row.get("trades"):
        return "no signal"
    return f"{row['total_return']:+.1%}"


def score_full_history(playbook: str, store: str | None, out: str,
                       allow_defects: bool, tear_sheets: bool = True, ready=None,
                       result=None) -> dict:
    """The playbook and its benchmark over all the data its series share (warm-up excluded),
    written under `<out>/full-history/<playbook>/`: its metrics, evidence, the benchmark's
    metrics and the excess over them (with the interval of the paired daily differences), and
    the P&L earned inside catalogue episodes. The quality gate is `unwind run`'s: a series
    failing it somewhere in that span makes the row n/a with the reason, unless the scorecard
    runs with --allow-defects (then the row lists the defects it ran on). `ready` and
    `result`, when given, are this run already prepared (engine.prepare) and run (engine.run)
    over the same full-history window and options (`unwind check` has them)."""
    import strategies
    from unwind.sim import engine
    from unwind.sim.benchmark import run_benchmark
    from unwind.evidence import cells
    from unwind.studies import rundir
    from unwind.pages import tear_sheet
    from unwind.sim.config import RunConfig

    row = {"playbook": playbook, "status": "ok", "reason": "",
           "run_dir": f"full-history/{playbook}"}
    try:
        start, end = cells.full_history_window(playbook, store)
        config = RunConfig(playbook=playbook, start=start, end=end, store=store,
                           allow_defects=allow_defects)
        ready = ready or engine.prepare(config)
        result = result or engine.run(config, ready)
        benchmark = run_benchmark(config, ready)
    except DataError as error:
        return row | {"status": "n/a", "reason": str(error), "run_dir": ""}
    row["defects_allowed"] = result.execution.get("defects_allowed", [])
    row["rule_notes"] = result.execution.get("rule_notes", [])
    directory = _staged(Path(out) / row["run_dir"])
    stamp = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    rundir.write(result, directory, stamp, stamp, benchmark)
    if tear_sheets:
        tear_sheet.write(directory)
    _publish(directory)
    row |= {"start": start, "end": end, **result.metrics,
            **cells.cell_evidence(result, result.frames,
                                     strategies.get(playbook).CALIBRATED_ON),
            "benchmark": strategies.get(playbook).BENCHMARK,
            **{f"benchmark_{key}": value for key, value in benchmark.metrics.items()},
            **{f"excess_{key}": _difference(result.metrics[key], value)
               for key, value in benchmark.metrics.items()},
            **cells.paired_excess(result.equity, benchmark.equity),
            **cells.episode_pnl_columns(result.equity),
            **cells.false_alarm_columns(result.trades, store)}
    return row


def run_scorecard(config: ScoreConfig, progress: Callable[[int, int, dict], None] | None = None,
                  full_history: bool = True) -> tuple[list[dict], dict[str, dict]]:
    """Score every cell, and each playbook over full history; rows ordered by playbook, then
    episode, as given; the second value maps each playbook to its full-history row. The
    folder's shared page script (`assets/`) is written first, whether or not sheets are: every
    tear sheet in the folder, written now or later by `unwind report`, links that one copy."""
    from unwind.pages import zoom

    zoom.write_assets(Path(config.out))
    cells = [(p, e) for p in config.playbooks for e in config.episodes]
    tasks = [(score_cell, (p, episode(config, e), config.store, config.out,
                           config.allow_defects, config.tear_sheets)) for p, e in cells]
    if full_history:
        tasks += [(score_full_history, (p, config.store, config.out, config.allow_defects,
                                        config.tear_sheets))
                  for p in config.playbooks]
    results: dict[tuple[str, str], dict] = {}

    def done(number: int, row: dict) -> None:
        results[(row["playbook"], row.get("episode", "full-history"))] = row
        if progress:
            progress(number, len(tasks), row)

    if config.scheduler:   # on a Dask cluster, whose workers read the store at config.store
        from unwind.studies.cluster import dask_map

        for number, row in enumerate(dask_map(config.scheduler, tasks), start=1):
            done(number, row)
        tasks = []
    jobs, _ = workers.worker_count(config.jobs, len(tasks))
    if jobs <= 1:
        for number, (function, args) in enumerate(tasks, start=1):
            done(number, function(*args))
    else:
        workers.run_in_pool(longest_first(tasks), jobs, done)
    rows = [results[cell] for cell in cells]
    histories = {p: results[(p, "full-history")] for p in config.playbooks if full_history}
    return rows, histories


def longest_first(tasks: list) -> list:
    """`tasks` with the full-history runs first, intraday playbooks' before daily ones: they
    are the longest tasks, and a pool that starts them last leaves its other workers idle
    while one finishes them (rows are put back in order, so the files do not change)."""
    import strategies
    from feeds.bars import is_intraday

    def weight(task) -> int:
        function, args = task
        if function is not score_full_history:
            return 2
        return 0 if is_intraday(strategies.get(args[0]).BAR) else 1

    return sorted(tasks, key=weight)


def task_count(config: ScoreConfig, full_history: bool = True) -> int:
    """Cells, plus one full-history run per playbook."""
    playbooks = len(config.playbooks)
    return playbooks * len(config.episodes) + (playbooks if full_history else 0)


def summarise(rows: list[dict], histories: dict[str, dict]) -> dict[str, dict]:
    """Per playbook: its full-history row, the holdout and in-sample groups of its cells, and
    its verdict (unwind.evidence.verdict: `badge`, `sentence`, `reasons`, and `verdict`, all in one
    line)."""
    from unwind.evidence import cells, verdict

    summary = {}
    for playbook in dict.fromkeys(r["playbook"] for r in rows):
        own = [r for r in rows if r["playbook"] == playbook]
        holdout = cells.group_summary([r for r in own if r.get("sample") == "holdout"])
        in_sample = cells.group_summary([r for r in own if r.get("sample") == "in-sample"])
        history = histories.get(playbook)
        summary[playbook] = {"full_history": history, "holdout": holdout.to_json(),
                             "in_sample": in_sample.to_json(),
                             **verdict.summarise(holdout.to_json(), in_sample.to_json(),
                                                 history)}
    return summary


def flag_incomplete(row: dict, out: Path, tear_sheets: bool) -> dict:
    """A cell whose run directory is missing or was not completely written shows n/a with that
    reason: never numbers without the files behind them. Rows for the page say whether their
    tear sheet was written."""
    from unwind.studies import rundir

    row = row | {"tear_sheet": tear_sheets}
    if row["status"] != "ok" or rundir.is_complete(out / row["run_dir"], tear_sheets):
        return row
    return row | {"status": "incomplete",
                  "reason": f"its run directory {row['run_dir']} is missing or incomplete"}


def write(rows: list[dict], config: ScoreConfig, store_line: str,
          summary: dict[str, dict] | None = None) -> dict[str, Path]:
    """scorecard.csv, scorecard.json (rows), summary.json and scorecard.html in the config's out
    directory."""
    import pandas as pd

    from unwind.pages import scorecard_page

    out = Path(config.out)
    table = pd.DataFrame([{c: row.get(c) for c in columns()} for row in rows], columns=columns())
    table.to_csv(out / "scorecard.csv", index=False)
    clean = [{c: row.get(c) for c in columns()} for row in rows]
    (out / "scorecard.json").write_text(json.dumps(clean, indent=2) + "\n")
    (out / "summary.json").write_text(json.dumps(summary or {}, indent=2) + "\n")
    episodes = [episode(config, episode_id) for episode_id in config.episodes]
    tear_sheets = config.tear_sheets
    rows = [flag_incomplete(row, out, tear_sheets) for row in rows]
    summary = {playbook: item | {"full_history": flag_incomplete(
        item["full_history"], out, tear_sheets)} if item.get("full_history") else item
        for playbook, item in (summary or {}).items()}
    html_path = scorecard_page.write(rows, out, episodes, store_line, summary, tear_sheets)
    return {"csv": out / "scorecard.csv", "json": out / "scorecard.json", "html": html_path}


@dataclass(frozen=True)
class Scored:
    """A finished scorecard folder and what went into it."""

    directory: Path
    config: "ScoreConfig"
    choice: "StoreChoice"
    rows: list
    histories: dict
    summary: dict
    paths: dict


def score_into_folder(config: "ScoreConfig", *, scheduler: str | None = None,
                      tear_sheets: bool = True, full_history: bool = True,
                      progress: Callable[[int, int, dict], None] | None = None,
                      starting: Callable[["ScoreConfig", "StoreChoice"], None] | None = None
                      ) -> Scored:
    """`unwind score` and `unwind.score` after reading their options: choose the store, run
    every cell (and each full history), write the files into `config.out` (made as
    `<name>.partial`, renamed when complete, removed on any failure). `starting` is called
    once the store is chosen (the CLI prints it there); `progress` after each run."""
    import dataclasses

    from unwind.studies import rundir

    staged = Path(config.out)
    try:
        choice = choose_store(config)
        config = dataclasses.replace(config, store=choice.root, scheduler=scheduler,
                                     tear_sheets=tear_sheets)
        if starting is not None:
            starting(config, choice)
        rows, histories = run_scorecard(config, progress, full_history)
        summary = summarise(rows, histories)
        paths = write(rows, config, choice.describe(), summary)
        final = rundir.finish(staged)
    except OSError as error:
        rundir.discard(staged)
        raise rundir.writing_error(error, staged) from None
    except BaseException:
        rundir.discard(staged)
        raise
    return Scored(final, dataclasses.replace(config, out=str(final)), choice, rows, histories,
                  summary, {name: final / path.name for name, path in paths.items()})


@dataclass(frozen=True)
class StoreChoice:
    """Which store a scorecard reads, and why: the user's store (--store, else $UNWIND_STORE,
    else the default location), or the SYNTHETIC demo store beside it when the user's store
    holds none of the series the playbooks read."""

    root: str
    synthetic: bool
    found: int
    needed: int
    user_root: str

    def describe(self) -> str:
        if self.synthetic:
            return (f"SYNTHETIC demo data: the store {self.user_root} holds none of the "
                    f"{self.needed} series the playbooks read, so the scorecard runs on the "
                    f"generated scenario in {self.root} (not market history); "
                    "`make import-raw` or `unwind data import` fills it")
        return (f"store: {self.root} ({self.found} of the {self.needed} series the playbooks "
                "read)")


def choose_store(config: ScoreConfig) -> StoreChoice:
    """Resolve the scorecard's store (see StoreChoice)."""
    import strategies
    from feeds.demo import demo_store_for
    from feeds.store import Store

    store = Store(config.store)
    needed = strategies.series_read(config.playbooks)
    stored = {(info.series, info.bar) for info in store.list()}
    found = len(needed & stored)
    if found:
        return StoreChoice(str(store.root), False, found, len(needed), str(store.root))
    return StoreChoice(str(demo_store_for(store).root), True, 0, len(needed), str(store.root))
