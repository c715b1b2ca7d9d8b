"""Sweeps: one playbook over a grid of its parameters, on the screen or on backtrader, on this
machine or on a Dask cluster, and what the grid says about the default and the best.

A sweep is the product of its axes (`--grid NAME=V1,V2` or `NAME=START:STOP:STEP`, the stop
included). Each swept parameter's default is added to its axis when the grid lacks it, so the
default is always one of the trials and has neighbours. Parameters not swept keep their
defaults (or the `-p NAME=VALUE` overrides, which then count as the default).

Work is shared, never repeated per trial:
- the store is read once per set of series the trials read (`traded()` and `signals_for()` of
  the playbook at the trial's parameters; usually one set), by `engine.prepare`;
- a playbook's decision lines are computed once per distinct value of the parameters its
  `prepare()` reads (found by recording those reads: exit, sizing and holding parameters do
  not recompute them), by `engine.with_parameters`;
- the prepared data (bars and execution lines) go to each worker process, or each Dask worker
  (scattered), once; a task carries only its trials' parameters.
Trials run in chunks grouped by their signal parameters, and come back in grid order, so
trials.csv has the same bytes for any --jobs and on any cluster.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Callable

import pandas as pd

from feeds.errors import DataError, excerpt, nearest
from feeds.manifest import run_entry
from unwind.studies import cluster, workers
from unwind.studies.grid import (Axis, check_size, check_values, default_index, grid_points,
                                 parse_grid)

ENGINES = ("screen", "backtrader")
RANK_BY = "sharpe_ratio"
CHUNK = 25            # trials per task at most (fewer when there are few, to use every worker)
SIGNAL_CACHE = 8      # decision-line sets a worker keeps


# ------------------------------------------------------------------------------- the sweep
@dataclass(frozen=True)
class SweepConfig:
    playbook: str
    axes: tuple[Axis, ...]
    start: str
    end: str
    window: str                    # "episode ID", "full history" or "START..END"
    engine: str = "screen"
    jobs: int = 1
    scheduler: str | None = None
    store: str | None = None
    fixed: tuple[tuple[str, Any], ...] = ()
    episode: str | None = None
    first_trigger: str | None = None
    full_history: bool = False
    allow_defects: bool = False

    def run_config(self, values: dict):
        from unwind.sim.config import RunConfig

        return RunConfig(playbook=self.playbook, start=self.start, end=self.end,
                         parameters=tuple((dict(self.fixed) | values).items()),
                         episode=self.episode, first_trigger=self.first_trigger,
                         store=self.store, allow_defects=self.allow_defects)


def configure(options: dict) -> tuple[SweepConfig, list[str]]:
    """A SweepConfig from the command line's (or a spec's) options, checked before any work:
    the playbook, one window, the engine, the fixed parameters, the grid and its size."""
    import strategies
    from unwind.evidence import episodes
    from unwind.sim import screen
    from unwind.sim.config import DEFAULT_WINDOW, RunConfig, build_parameters, check_once

    playbook = strategies.get(str(options["playbook"]))
    playbook_id = playbook.ID
    notes = []
    chosen = [name for name, given in (("--episode", options.get("episode")),
                                       ("--full-history", options.get("full_history")),
                                       ("--start/--end", options.get("start") or
                                        options.get("end"))) if given]
    if len(chosen) > 1:
        raise DataError("choose one window: --episode, --full-history or --start/--end")
    episode = first_trigger = None
    if options.get("episode"):
        found = episodes.get(options["episode"])
        start, end, episode, first_trigger = found.start, found.end, found.id, \
            found.first_trigger
        window = f"episode {found.id}"
    elif options.get("full_history"):
        from unwind.evidence.cells import full_history_window

        start, end = full_history_window(playbook_id, options.get("store"))
        window = "full history"
    else:
        start = options.get("start") or DEFAULT_WINDOW[0]
        end = options.get("end") or DEFAULT_WINDOW[1]
        window = f"{start}..{end}"
    RunConfig(playbook=playbook_id, start=start, end=end)   # checks the dates
    supported, reason = screen.supported(playbook_id)
    engine = options.get("engine")
    if engine == "screen" and not supported:
        raise DataError(reason)
    if engine is None:
        engine = "screen" if supported else "backtrader"
        if not supported:
            notes.append(reason)
    if engine not in ENGINES:
        raise DataError(f"--engine {engine!r}{nearest(engine, ENGINES)}; expected one of "
                        f"{', '.join(ENGINES)}")
    check_once(options.get("parameters") or ())
    fixed_parameters = build_parameters(playbook.Parameters, dict(options.get("parameters")
                                                                  or ()))
    fixed = {name: getattr(fixed_parameters, name) for name, _ in options.get("parameters")
             or ()}
    axes = parse_grid(playbook_id, list(options.get("grids") or []), fixed)
    count = math.prod(len(axis.values) for axis in axes)
    jobs = options.get("jobs") or workers.default_jobs()
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise DataError(f"--jobs {excerpt(jobs)}: expected a whole number of processes >= 1")
    scheduler = options.get("scheduler")
    jobs, capped = workers.worker_count(jobs, count)   # a pool never outgrows the work
    if capped and scheduler is None:
        notes.append(capped)
    check_size(count, engine, jobs, bool(options.get("yes")))
    check_values(playbook_id, axes, fixed)
    if scheduler is not None:   # before the store is read: a wrong address fails in seconds
        cluster.check_scheduler(scheduler)
    return SweepConfig(playbook_id, axes, start, end, window, engine, jobs, scheduler,
                       options.get("store"), tuple(fixed.items()), episode, first_trigger,
                       bool(options.get("full_history")), bool(options.get("allow_defects"))
                       ), notes


@dataclass
class Trial:
    """One parameter set's result."""

    index: int
    values: dict
    status: str = "ok"                               # ok, invalid: ..., n/a: ...
    metrics: dict = field(default_factory=dict)
    returns: pd.Series | None = None                 # daily returns, for DSR and PBO


@dataclass
class Payload:
    """What a worker needs for the trials of one set of series: the prepared run (without its
    playbook module, which the worker imports) and the sweep's engine."""

    token: str
    playbook: str
    engine: str
    config: Any
    ready: dict


class _Reads:
    """Parameters that remember which of their fields were read."""

    def __init__(self, parameters):
        object.__setattr__(self, "_parameters", parameters)
        object.__setattr__(self, "names", set())

    def __getattr__(self, name):
        self.names.add(name)
        return getattr(self._parameters, name)


class _Worker:
    """A worker's state for one payload: the prepared run, the screen's market arrays and the
    decision lines already computed, keyed by the values of the fields `prepare()` read."""

    def __init__(self, payload: Payload):
        import strategies
        from unwind.sim import engine, screen

        self.payload = payload
        self.playbook = strategies.get(payload.playbook)
        self.ready = engine.Prepared(playbook=self.playbook, **payload.ready)
        self.market = self.exits = None
        if payload.engine == "screen":
            self.exits = screen.exits_of(self.playbook)
            self.market = screen.Market.of(self.ready)
        self.lines: OrderedDict = OrderedDict()
        self.lock = threading.Lock()    # a Dask worker may run several tasks in threads

    def prepared(self, parameters):
        with self.lock:
            return self._prepared(parameters)

    def _prepared(self, parameters):
        from unwind.sim import engine

        for (names, values), ready in self.lines.items():
            if tuple(getattr(parameters, name) for name in names) == values:
                self.lines.move_to_end((names, values))
                return dataclasses.replace(ready, parameters=parameters)
        recorder = _Reads(parameters)
        ready = engine.with_parameters(self.ready, parameters, recorder)
        names = tuple(sorted(recorder.names))
        self.lines[(names, tuple(getattr(parameters, name) for name in names))] = ready
        while len(self.lines) > SIGNAL_CACHE:
            self.lines.popitem(last=False)
        return ready

    def run(self, index: int, values: dict, fixed: dict) -> Trial:
        from unwind.sim import engine, screen
        from unwind.evidence import analytics
        from unwind.sim.config import build_parameters

        config = dataclasses.replace(self.payload.config,
                                     parameters=tuple((fixed | values).items()))
        try:
            parameters = build_parameters(self.playbook.Parameters, fixed | values)
            ready = self.prepared(parameters)
            if self.payload.engine == "screen":
                result = screen.run(ready, config, self.market, self.exits,
                                    records=False)
                returns = result.daily_returns
            else:
                result = engine.run(config, ready)
                returns = analytics.daily_returns(result.equity)
        except DataError as error:
            return Trial(index, values, f"n/a: {error}")
        return Trial(index, values, "ok", result.metrics, returns)


# A process's prepared runs by payload token, the most recent last; a long-lived Dask worker
# serving sweep after sweep keeps only the last few.
_WORKERS: OrderedDict[str, _Worker] = OrderedDict()
_KEPT_WORKERS = 3
_PAYLOADS: dict[str, Payload] = {}


def _install(payloads: dict[str, Payload]) -> None:
    """A pool worker's initializer: the payloads arrive once per process."""
    _PAYLOADS.update(payloads)


_WORKERS_LOCK = threading.Lock()


def _worker(payload: Payload) -> _Worker:
    with _WORKERS_LOCK:
        worker = _WORKERS.get(payload.token)
        if worker is None:
            worker = _WORKERS[payload.token] = _Worker(payload)
            while len(_WORKERS) > _KEPT_WORKERS:
                _WORKERS.popitem(last=False)
        _WORKERS.move_to_end(payload.token)
        return worker


def run_chunk(payload: Payload | str, chunk: list[tuple[int, dict]], fixed: dict) -> list[Trial]:
    """Run `chunk` ((index, swept values) pairs) on `payload` (or its token, in a pool
    worker that received it at start)."""
    if isinstance(payload, str):
        payload = _PAYLOADS[payload]
    worker = _worker(payload)
    return [worker.run(index, values, fixed) for index, values in chunk]


@dataclass
class SweepResult:
    config: SweepConfig
    trials: list[Trial]
    series: list[dict]
    signal_sets: int
    default: int                   # the default point's trial (grid.default_index)
    notes: list[str] = field(default_factory=list)


def _payload(config: SweepConfig, values: dict) -> tuple[Payload, list[dict]]:
    """Prepare the run once for the series the trials at `values` read."""
    from unwind.sim import engine

    run_config = config.run_config(values)
    ready = engine.prepare(run_config)
    fields_ = {f.name: getattr(ready, f.name) for f in dataclasses.fields(ready)
               if f.name not in ("playbook", "frames")}
    fields_["frames"] = {}
    series = [run_entry(key[0], key[1], manifest)
              for key, manifest in ready.manifests.items()]
    token = hashlib.sha256(json.dumps([run_config.to_json(), config.engine, series],
                                      sort_keys=True, default=str).encode()).hexdigest()[:16]
    return Payload(token, config.playbook, config.engine, run_config, fields_), series


def _signal_group(values: dict, fixed: dict, names: tuple[str, ...]) -> tuple:
    merged = fixed | values
    return tuple(repr(merged.get(name)) for name in names)


def _read_by_prepare(payload: Payload) -> tuple[str, ...]:
    """The parameters the playbook's decision lines depend on at the payload's parameters
    (read by recording them): trials equal in these share lines, so they share tasks."""
    import strategies
    from unwind.sim import engine

    ready = engine.Prepared(playbook=strategies.get(payload.playbook), **payload.ready)
    recorder = _Reads(ready.parameters)
    engine.with_parameters(ready, recorder)
    return tuple(sorted(recorder.names))


def run_sweep(config: SweepConfig, progress: Callable[[int, int], None] | None = None
              ) -> SweepResult:
    """Every trial of the grid; trials come back in grid order."""
    import strategies
    from unwind.sim.config import build_parameters

    playbook = strategies.get(config.playbook)
    fixed = dict(config.fixed)
    points = grid_points(config.axes)
    trials: dict[int, Trial] = {}
    groups: dict[tuple, list[tuple[int, dict]]] = {}
    for index, values in enumerate(points):
        try:
            parameters = build_parameters(playbook.Parameters, fixed | values)
        except DataError as error:
            reason = str(error).removeprefix("bad parameter: ")
            trials[index] = Trial(index, values, f"invalid: {reason}")
            continue
        key = strategies.series_of(playbook, parameters)   # trials reading the same series
        groups.setdefault(key, []).append((index, values))
    payloads, series, notes = {}, [], []
    for key, members in groups.items():
        try:   # the quality gate is `unwind run`'s: refused, or --allow-defects and said
            payload, used = _payload(config, members[0][1])
        except DataError as error:
            for index, values in members:
                trials[index] = Trial(index, values, f"n/a: {error}")
            continue
        payloads[payload.token] = (payload, members)
        series += [s for s in used if s not in series]
        notes += [f"run with a quality-gate defect allowed (--allow-defects): {defect}"
                  for defect in payload.ready["execution"].get("defects_allowed", [])
                  if defect not in " ".join(notes)]
    tasks, group_of = [], {}   # group_of: trial index -> (payload, the lines it reads)
    for token, (payload, members) in payloads.items():
        names = _read_by_prepare(payload)    # this payload's own: another reads other series
        group_of |= {index: (token, _signal_group(values, fixed, names))
                     for index, values in members}
        ordered = sorted(members, key=lambda m: (group_of[m[0]], m[0]))
        size = max(1, min(CHUNK, math.ceil(len(ordered) / 8)))
        for start in range(0, len(ordered), size):
            tasks.append((payload, ordered[start:start + size]))
    total = len(points)
    done = len(trials)
    if progress:
        progress(done, total)

    def collect(results: list[Trial]) -> None:
        nonlocal done
        for trial in results:
            trials[trial.index] = trial
        done += len(results)
        if progress:
            progress(done, total)

    if config.scheduler:
        _run_dask(config.scheduler, tasks, fixed, collect)
    elif workers.worker_count(config.jobs, len(tasks))[0] <= 1:
        for payload, chunk in tasks:
            collect(run_chunk(payload, chunk, fixed))
    else:   # capped at the tasks and twice the cores; workers die with this process
        shipped = {token: payload for token, (payload, _) in payloads.items()}
        workers.run_in_pool([(run_chunk, (payload.token, chunk, fixed))
                               for payload, chunk in tasks], config.jobs,
                              lambda number, results: collect(results), _install, shipped)
    signal_sets = len({group_of[t.index] for t in trials.values() if t.status == "ok"})
    return SweepResult(config, [trials[i] for i in range(len(points))], series, signal_sets,
                       default_index(config), notes)


def _run_dask(address: str, tasks: list, fixed: dict, collect) -> None:
    """Send the tasks to the cluster at `address`: each payload is scattered to every worker
    once; a task carries its trials' parameters only."""
    from distributed import as_completed as completed

    with cluster.dask_client(address) as client:
        scattered = {}
        for payload, _ in tasks:
            if payload.token not in scattered:
                scattered[payload.token] = client.scatter(payload, broadcast=True, hash=False)
        futures = [client.submit(run_chunk, scattered[payload.token], chunk, fixed, pure=False)
                   for payload, chunk in tasks]
        for future in completed(futures):
            collect(future.result())
