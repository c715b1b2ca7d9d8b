"""Benchmark: what a user waits for, against a bare backtrader process over the same bars.

    .venv/bin/python bench/whole_process.py [--store DIR] [--repeat 3] [--no-score] [--phases]
                                            [--phases-only] [--per-loop]

Whole processes, each the best of N wall-clock times, interleaved (round 1 runs every command
once, then round 2, ...) so a slow phase of the machine falls on all of them alike, in one run:
- the unit: bench/bare_backtrader.py, which loads gold_asia_dip's hourly XAUUSD bars (its full
  history window and warm-up) from the store, quality gate included, and makes one pass with
  backtrader's stock PandasData and an empty strategy;
- `unwind run gold_asia_dip --full-history` (playbook and benchmark simulations, the run
  directory, the tear sheet);
- `unwind score runs/all-episodes.toml --jobs 2` (every cell with its benchmark, twin, null
  model and tear sheet, every playbook over full history, the scorecard page), and the same
  with `--sheets none` (the tear sheets left to `unwind report`);
- `unwind now` over every playbook, against `python -c "import pandas"` and against
  bench/read_tails.py (import pandas, read each tail `now` reads: its budget's unit); `now`
  keeps its answers between calls (unwind/studies/now_cache.py), so round 1 computes them
  and the best round reads them back: bench/now.py times both;
- `unwind check` on the example spec of hsi_short_yen_vol, against `unwind run
  hsi_short_yen_vol --full-history` (one full-history run of the same rule).
It prints each goal of issue 24 as a ratio with its target. With --phases, where the time of
one run and of the scorecard (in one process, --jobs 1) goes: timers around the library's
phases, exclusive of nested ones, the remainder being start-up, imports and the CLI. With
--per-loop, the old per-loop figure of bench/playbooks.py (backtrader's loop alone). Children
run this tree's code (PYTHONPATH is its root). Needs the real data in the store (`make
import-raw`). Linear cost is bench/linearity.py.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from timing import best_of, child_environment

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(1, str(ROOT))   # this tree's packages, in this process as in its children
PLAYBOOK = "gold_asia_dip"
SPEC = "strategies/examples/hsi_short_yen_vol_spec.toml"
SPEC_PLAYBOOK = "hsi_short_yen_vol"
# issue 24's goals: (label, command measured, command it is a ratio to, target)
GOALS = [("unwind run, full history", "run", "bare", 1.2),
         ("scorecard, every tear sheet", "score", "bare", 2.5),
         ("scorecard, --sheets none", "score_bare", "bare", 1.5),
         ("unwind now, every playbook / import pandas + tails", "now", "tails", 1.5),
         ("unwind now, every playbook / import pandas", "now", "pandas", None),
         ("unwind check SPEC / one full-history run", "check", "spec_run", 3.0),
         ("unwind check SPEC / bare", "check", "bare", None)]
# (module, function, label): the phases a run and a scorecard are made of
PHASES = [
    ("unwind.sim.engine", "prepare", "prepare: store reads, quality gate, lines"),
    ("unwind.sim.engine", "execute", "backtrader simulations"),
    ("unwind.sim.screen", "run", "screen simulations (hold benchmarks)"),
    ("unwind.sim.engine", "result_of", "metrics and result frames"),
    ("unwind.evidence.cells", "cell_evidence", "evidence: null model, bootstrap"),
    ("unwind.evidence.cells", "false_alarm_columns", "evidence: false alarms"),
    ("unwind.studies.rundir", "write", "writing run directories"),
    ("unwind.pages.tear_sheet", "write", "tear sheets"),
    ("unwind.studies.scorecard", "write", "scorecard files and page"),
]


def baseline_argv(store: str | None) -> list[str]:
    import strategies
    from unwind.evidence.cells import full_history_window

    import pandas as pd

    playbook = strategies.get(PLAYBOOK)
    start, end = full_history_window(PLAYBOOK, store)
    load_start = (pd.Timestamp(start) - pd.Timedelta(days=playbook.WARMUP_DAYS)).date()
    symbol = playbook.TRADED[0]
    return [sys.executable, str(ROOT / "bench" / "bare_backtrader.py"), symbol, playbook.BAR,
            load_start.isoformat(), end] + (["--store", store] if store else [])


def unwind_args(store: str | None, out: str, *args: str) -> list[str]:
    return [*args, "--out", out] + (["--store", store] if store else [])


def run_once(argv: list[str]) -> None:
    """One whole process; a failing command stops the benchmark rather than timing an error."""
    child = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT,
                           env=child_environment(ROOT), text=True)
    if child.returncode:
        sys.exit(f"{' '.join(argv)} failed ({child.returncode}):\n{child.stderr[-2000:]}")


def tails_argv(store: str | None) -> list[str]:
    """bench/read_tails.py over the series and windows `unwind now` reads for every playbook."""
    import strategies
    from feeds.store import Store
    from unwind.sim import loading
    from unwind.studies import now

    import pandas as pd

    found = Store(store)
    tails = {}
    for playbook_id in strategies.ids():
        playbook = strategies.get(playbook_id)
        traded, signal_series = strategies.series_of(playbook, playbook.Parameters())
        end = now._last_day(found, playbook, traded)
        start = (pd.Timestamp(end) - now.YEAR - pd.Timedelta(days=playbook.WARMUP_DAYS))
        keys = [(s, playbook.BAR) for s in traded] + list(signal_series) + \
            [("USDHKD", "1d")] + list(loading.REGIME_SERIES)
        for series, bar in keys:
            if found.info(series, bar) is not None:
                tails[f"{series}:{bar}:{start.date()}:{end}"] = None
    return [sys.executable, str(ROOT / "bench" / "read_tails.py"), *tails] + \
        (["--store", store] if store else [])


def commands(store: str | None, scratch: str, score: bool) -> dict[str, list[str]]:
    """The whole processes timed, by key; each writes into its own fresh folder."""
    unwind = str(BIN / "unwind")
    options = ["--store", store] if store else []
    found = {"bare": baseline_argv(store),
             "run": [unwind, "run", PLAYBOOK, "--full-history", "--out", f"{scratch}/run",
                     *options]}
    if score:
        found["score"] = [unwind, "score", "runs/all-episodes.toml", "--jobs", "2", "--out",
                          f"{scratch}/score", *options]
        found["score_bare"] = [unwind, "score", "runs/all-episodes.toml", "--jobs", "2",
                               "--sheets", "none", "--out", f"{scratch}/score-bare", *options]
    found |= {"pandas": [sys.executable, "-c", "import pandas"],
              "tails": tails_argv(store),
              "now": [unwind, "now", "--json", "--html", f"{scratch}/now.html", *options],
              "check": [unwind, "check", SPEC, *options],
              "spec_run": [unwind, "run", SPEC_PLAYBOOK, "--full-history", "--out",
                           f"{scratch}/spec-run", *options]}
    return found


def interleaved(argvs: dict[str, list[str]], repeat: int, scratch: str) -> dict[str, float]:
    """Best wall time of each command over `repeat` rounds, each round running every command
    once in turn (output folders emptied before each run)."""
    best: dict[str, float] = {}
    for round_number in range(repeat):
        for key, argv in argvs.items():
            for name in os.listdir(scratch):
                path = Path(scratch) / name
                shutil.rmtree(path) if path.is_dir() else path.unlink()
            started = time.perf_counter()
            run_once(argv)
            elapsed = time.perf_counter() - started
            best[key] = min(best.get(key, elapsed), elapsed)
            print(f"  round {round_number + 1}: {key:10s} {elapsed:7.2f} s", file=sys.stderr,
                  flush=True)
    return best


class PhaseTimer:
    """Wraps each PHASES function so its calls are timed, exclusive of nested phases."""

    def __init__(self):
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self._stack: list[list[float]] = []

    def install(self) -> None:
        for module_name, function_name, label in PHASES:
            module = importlib.import_module(module_name)
            original = getattr(module, function_name)   # a renamed phase fails here, loudly
            setattr(module, function_name, self._wrap(original, label))

    def _wrap(self, function, label: str):
        def timed(*args, **keywords):
            frame = [time.perf_counter(), 0.0]   # start, time spent in nested phases
            self._stack.append(frame)
            try:
                return function(*args, **keywords)
            finally:
                self._stack.pop()
                elapsed = time.perf_counter() - frame[0]
                self.seconds[label] += elapsed - frame[1]
                self.calls[label] += 1
                if self._stack:
                    self._stack[-1][1] += elapsed
        return timed


def phase_breakdown(argv: list[str]) -> None:
    """Run `unwind ARGV` in this process with the phases timed, and print the table."""
    started = time.perf_counter()
    child = subprocess.run([sys.executable, __file__, "--_phases", *argv], cwd=ROOT,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           env=child_environment(ROOT))
    if child.returncode:
        sys.exit(f"unwind {' '.join(argv)} failed:\n{child.stderr[-2000:]}")
    print(child.stdout, end="")
    print(f"  (whole process with timers: {time.perf_counter() - started:.2f} s)")


def _phases_child(argv: list[str]) -> int:
    started = time.perf_counter()
    timer = PhaseTimer()
    timer.install()
    from unwind.cli import main

    with contextlib.redirect_stdout(io.StringIO()):
        code = main(argv) or 0
    total = time.perf_counter() - started
    accounted = sum(timer.seconds.values())
    for label, seconds in sorted(timer.seconds.items(), key=lambda item: -item[1]):
        print(f"  {label:45s} {seconds:7.2f} s {seconds / total:5.0%}  ({timer.calls[label]} "
              "calls)")
    print(f"  {'imports, CLI and the rest':45s} {total - accounted:7.2f} s "
          f"{(total - accounted) / total:5.0%}")
    return code


def per_loop_line(store: str | None, repeat: int) -> str:
    """The old figure (bench/playbooks.py): the playbook's backtrader loop against an empty
    strategy on stock PandasData over the same prepared bars, loops only."""
    from playbooks import empty_backtrader

    from unwind import compat
    from unwind.sim import engine
    from unwind.sim.config import RunConfig
    from unwind.evidence.cells import full_history_window

    compat.install()
    start, end = full_history_window(PLAYBOOK, store)
    config = RunConfig(playbook=PLAYBOOK, start=start, end=end, store=store)
    ready = engine.prepare(config)
    ours = best_of(repeat, lambda: engine.execute(ready, config))
    empty = best_of(repeat, lambda: empty_backtrader(ready.frames))
    return (f"backtrader loop only (not a whole process): playbook {ours:.2f} s, empty "
            f"strategy on PandasData {empty:.2f} s, {ours / empty:.2f}x")


LABELS = {"bare": "bare backtrader (the unit: same bars, PandasData, empty strategy)",
          "run": f"unwind run {PLAYBOOK} --full-history",
          "score": "unwind score runs/all-episodes.toml --jobs 2",
          "score_bare": "  the same with --sheets none",
          "pandas": 'python -c "import pandas"',
          "tails": "bench/read_tails.py (import pandas, read now's tails)",
          "now": "unwind now (every playbook) --json",
          "check": f"unwind check {SPEC}",
          "spec_run": f"unwind run {SPEC_PLAYBOOK} --full-history"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", default=None)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-score", action="store_true", help="leave out the scorecard")
    parser.add_argument("--phases", action="store_true", help="add the phase breakdowns")
    parser.add_argument("--phases-only", action="store_true",
                        help="only the phase breakdowns, no whole-process timing")
    parser.add_argument("--per-loop", action="store_true", help="add the per-loop figure")
    parser.add_argument("--_phases", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args._phases is not None:
        return _phases_child(args._phases)

    with tempfile.TemporaryDirectory() as scratch:
        outputs = Path(scratch) / "out"
        outputs.mkdir()
        if not args.phases_only:
            timed = interleaved(commands(args.store, str(outputs), not args.no_score),
                                args.repeat, str(outputs))
            print(f"whole processes, best of {args.repeat}, interleaved (wall seconds):")
            for key, seconds in timed.items():
                print(f"  {LABELS[key]:62s} {seconds:7.2f} s")
            print("goals (issue 24):")
            for label, measured, unit, target in GOALS:
                if measured not in timed:
                    continue
                ratio = timed[measured] / timed[unit]
                verdict = "" if target is None else \
                    f"  target <= {target:g}x: {'met' if ratio <= target else 'NOT met'}"
                print(f"  {label:52s} {ratio:6.2f}x{verdict}")
        run_args = ("run", PLAYBOOK, "--full-history")
        score_args = ("score", "runs/all-episodes.toml")
        if args.phases or args.phases_only:
            print(f"\nwhere `unwind run {PLAYBOOK} --full-history` spends its time (one "
                  "process):")
            phase_breakdown(unwind_args(args.store, f"{scratch}/phases-run", *run_args))
            if not args.no_score:
                print("\nwhere `unwind score runs/all-episodes.toml --jobs 1` spends its time:")
                phase_breakdown(unwind_args(args.store, f"{scratch}/phases-score", *score_args,
                                            "--jobs", "1"))
        if args.per_loop:
            print(f"\n{per_loop_line(args.store, args.repeat)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
