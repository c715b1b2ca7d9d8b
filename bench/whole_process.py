"""Benchmark: what a user waits for, against a bare backtrader process over the same bars.

    .venv/bin/python bench/whole_process.py [--store DIR] [--repeat 3] [--no-score]
                                            [--phases-only]

Three whole processes, each the best of N wall-clock times, side by side in one run:
- baseline: bench/bare_backtrader.py, which loads gold_asia_dip's hourly XAUUSD bars (its full
  history window and warm-up) from the store, quality gate included, and makes one pass with
  backtrader's stock PandasData and an empty strategy;
- `unwind run gold_asia_dip --full-history` (playbook and benchmark simulations, the run
  directory, the tear sheet);
- `unwind score runs/all-episodes.toml --jobs 2` (every cell with its benchmark, twin, null
  model and tear sheet, every playbook over full history, the scorecard page), and the same
  with `--sheets none` (the tear sheets left to `unwind report`).
It prints each as a ratio to the baseline (issue 12's targets: run <= 1.2x, score <= 5x), then
where the time of one run and of the scorecard (in one process, --jobs 1) goes: timers around
the library's phases, exclusive of nested ones, the remainder being start-up, imports and the
CLI. The last line is the old per-loop figure of bench/playbooks.py (backtrader's loop alone,
playbook against an empty strategy on the same prepared feed), labelled for what it is.
Needs the real data in the store (`make import-raw`).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from timing import best_of

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parent.parent
PLAYBOOK = "gold_asia_dip"
RUN_TARGET, SCORE_TARGET = 1.2, 5.0
# (module, function, label): the phases a run and a scorecard are made of
PHASES = [
    ("unwind.engine", "prepare", "prepare: store reads, quality gate, lines"),
    ("unwind.engine", "execute", "backtrader simulations"),
    ("unwind.screen", "run", "screen simulations (hold benchmarks)"),
    ("unwind.engine", "_result", "metrics and result frames"),
    ("unwind.evidence", "cell_evidence", "evidence: null model, bootstrap"),
    ("unwind.evidence", "false_alarm_columns", "evidence: false alarms"),
    ("unwind.rundir", "write", "writing run directories"),
    ("unwind.tear_sheet", "write", "tear sheets"),
    ("unwind.scorecard", "write", "scorecard files and page"),
]


def baseline_argv(store: str | None) -> list[str]:
    import strategies
    from unwind.evidence import full_history_window

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
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                   cwd=ROOT)


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
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
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

    from unwind import compat, engine
    from unwind.config import RunConfig
    from unwind.evidence import full_history_window

    compat.install()
    start, end = full_history_window(PLAYBOOK, store)
    config = RunConfig(playbook=PLAYBOOK, start=start, end=end, store=store)
    ready = engine.prepare(config)
    ours = best_of(repeat, lambda: engine.execute(ready, config))
    empty = best_of(repeat, lambda: empty_backtrader(ready.frames))
    return (f"backtrader loop only (not a whole process): playbook {ours:.2f} s, empty "
            f"strategy on PandasData {empty:.2f} s, {ours / empty:.2f}x")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", default=None)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-score", action="store_true", help="leave out the scorecard")
    parser.add_argument("--phases-only", action="store_true",
                        help="only the phase breakdowns, no whole-process timing")
    parser.add_argument("--_phases", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args._phases is not None:
        return _phases_child(args._phases)

    with tempfile.TemporaryDirectory() as scratch:
        run_args = ("run", PLAYBOOK, "--full-history")
        score_args = ("score", "runs/all-episodes.toml")
        if not args.phases_only:
            timed = {"bare backtrader (same bars, PandasData, empty strategy)":
                     best_of(args.repeat, lambda: run_once(baseline_argv(args.store)))}
            timed[f"unwind run {PLAYBOOK} --full-history"] = best_of(
                args.repeat, lambda: run_once([str(BIN / "unwind"), *unwind_args(
                    args.store, f"{scratch}/run", *run_args)]))
            if not args.no_score:
                timed["unwind score runs/all-episodes.toml --jobs 2"] = best_of(
                    args.repeat, lambda: run_once([str(BIN / "unwind"), *unwind_args(
                        args.store, f"{scratch}/score", *score_args, "--jobs", "2")]))
                timed["  the same with --sheets none"] = best_of(
                    args.repeat, lambda: run_once([str(BIN / "unwind"), *unwind_args(
                        args.store, f"{scratch}/score", *score_args, "--jobs", "2",
                        "--sheets", "none")]))
            baseline = next(iter(timed.values()))
            targets = [None, RUN_TARGET, SCORE_TARGET, SCORE_TARGET]
            print(f"whole processes, best of {args.repeat} (wall seconds, ratio to the "
                  "baseline):")
            for (label, seconds), target in zip(timed.items(), targets):
                goal = f"  (target <= {target:g}x)" if target else ""
                print(f"  {label:58s} {seconds:7.2f} s {seconds / baseline:6.2f}x{goal}")
        print(f"\nwhere `unwind run {PLAYBOOK} --full-history` spends its time (one process):")
        phase_breakdown(unwind_args(args.store, f"{scratch}/phases-run", *run_args))
        if not args.no_score:
            print("\nwhere `unwind score runs/all-episodes.toml --jobs 1` spends its time:")
            phase_breakdown(unwind_args(args.store, f"{scratch}/phases-score", *score_args,
                                        "--jobs", "1"))
        print(f"\n{per_loop_line(args.store, args.repeat)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
