"""Benchmark: cost per bar on the real hourly gold and on a series ten times as long.

    .venv/bin/python bench/linearity.py [--store DIR] [--times 10] [--repeat 2] [--keep DIR]

Builds a scratch store holding the two series gold_asia_dip reads (XAUUSD 1h traded, USDJPY 1h
for its yen line) made `--times` times longer from the real ones: copies laid end to end before
the real history, every other one backwards in time (its bars in reverse order, open and close
swapped, high and low kept), so each copy starts at the price the next one begins with (no
jump, prices in the real range); each copy's timestamps are the real grid moved back by whole
weeks (the same weekdays and hours); one store `--times` long and one half as long. Then, for
the real store and the two long ones, each in fresh
processes (best of N wall times; peak memory from the kernel's rusage of that child):
- `unwind run gold_asia_dip --full-history` (the run with its benchmark, files and tear sheet);
- one screen sweep trial: a process that prepares the full history once (engine.prepare) and
  times `screen.run(..., records=False)` on its market arrays (the trial a sweep repeats).
It prints time and peak memory per bar of each. Whole-process figures include the interpreter's
start-up and imports (~2-3 s, ~300 MB) that do not grow with bars, so linear growth is judged
on what each added bar costs: from the half-length store to the full one against from the real
one to the half-length one (issue 24: within 20%).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(1, str(ROOT))
BIN = Path(sys.executable).parent
PLAYBOOK = "gold_asia_dip"
SERIES = (("XAUUSD", "1h"), ("USDJPY", "1h"))


def longer(frame, times: int):
    """`frame` made `times` times longer before its start (see the module's docstring)."""
    import numpy as np
    import pandas as pd

    week = pd.Timedelta(days=7)
    span = ((frame.index[-1] - frame.index[0]) // week + 2) * week
    pieces = [frame]
    for copy in range(1, times):
        shifted = frame.index - span * copy
        values = frame if copy % 2 == 0 else frame.iloc[::-1].rename(
            columns={"open": "close", "close": "open"})[frame.columns]
        pieces.append(pd.DataFrame(np.asarray(values.to_numpy()), index=shifted,
                                   columns=frame.columns))
    return pd.concat(pieces[::-1])


def build_long_store(source: str | None, target: Path, times: int) -> None:
    from feeds.store import SourceFile, Store

    real, long = Store(source), Store(target)
    for series, bar in SERIES:
        frame, info = real.read(series, bar)
        made = longer(frame, times)
        long.write(series, bar, made, origin="bench", close_only=info.close_only,
                   conversion=f"bench/linearity.py: {times}x the stored {series} {bar}",
                   sources=(SourceFile(f"bench:{series}-{bar}-x{times}", "", "bench",
                                       len(made)),))


def _child(argv: list[str]) -> str:
    """The stdout of one child process (this tree's packages first on its path)."""
    child = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT,
                           env=os.environ | {"PYTHONPATH": str(ROOT)}, text=True)
    if child.returncode:
        sys.exit(f"{' '.join(argv)} failed:\n{child.stderr[-2000:]}")
    return child.stdout


def timed_run(store: str | None, out: str) -> tuple[float, int]:
    """`unwind run` wall time and peak resident kB (GNU time's %M) of one call."""
    argv = [str(BIN / "unwind"), "run", PLAYBOOK, "--full-history", "--out", out] + \
        (["--store", store] if store else [])
    report = Path(out) / "time.txt"
    Path(out).mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    child = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", str(report), *argv],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT,
                           env=os.environ | {"PYTHONPATH": str(ROOT)}, text=True)
    elapsed = time.perf_counter() - started
    if child.returncode:
        sys.exit(f"{' '.join(argv)} failed:\n{child.stderr[-2000:]}")
    return elapsed, int(report.read_text().split()[-1])


# A trial takes 2-20 ms: timed this many times in its process (best kept), since on a shared
# machine three timings of a few milliseconds moved the added-bar ratio from 1.05 to 1.76.
TRIAL_REPEAT = 30


def trial_child(store: str | None, repeat: int) -> int:
    """In a child: prepare the full history, time one screen trial; print JSON."""
    import resource

    from unwind.sim import engine, screen
    from unwind.sim.config import RunConfig
    from unwind.evidence.cells import full_history_window

    start, end = full_history_window(PLAYBOOK, store)
    config = RunConfig(playbook=PLAYBOOK, start=start, end=end, store=store)
    ready = engine.prepare(config)
    market = screen.Market.of(ready)
    exits = screen.exits_of(ready.playbook)
    screen.run(ready, config, market, exits, records=False)   # numba loaded, arrays built
    best = float("inf")
    for _ in range(max(repeat, TRIAL_REPEAT)):   # milliseconds: a few calls are all noise
        began = time.perf_counter()
        screen.run(ready, config, market, exits, records=False)
        best = min(best, time.perf_counter() - began)
    bars = len(next(iter(ready.frames.values())))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"bars": bars, "trial_seconds": best, "peak_kb": peak}))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", default=None)
    parser.add_argument("--times", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--keep", default=None,
                        help="build (or reuse) the long stores in this folder")
    parser.add_argument("--_trial", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args._trial:
        store = None if args._trial[0] == "-" else args._trial[0]
        return trial_child(store, int(args._trial[1]))

    half = max(2, args.times // 2)
    with tempfile.TemporaryDirectory() as scratch:
        kept = Path(args.keep) if args.keep else Path(scratch)
        stores = {"real": args.store}
        for times in (half, args.times):
            long_store = kept / f"long-store-{times}x"
            if not (long_store / SERIES[0][0]).exists():
                began = time.perf_counter()
                build_long_store(args.store, long_store, times)
                print(f"built {long_store} in {time.perf_counter() - began:.1f} s")
            stores[f"{times}x"] = str(long_store)
        figures = {}
        for label, store in stores.items():
            runs = [timed_run(store, f"{scratch}/run-{label}-{n}") for n in range(args.repeat)]
            trial = min((json.loads(_child([sys.executable, __file__, "--_trial",
                                            store or "-", "3"]))
                         for _ in range(args.repeat)), key=lambda t: t["trial_seconds"])
            figures[label] = {"bars": trial["bars"], "run_seconds": min(r[0] for r in runs),
                              "run_kb": min(r[1] for r in runs),
                              "trial_seconds": trial["trial_seconds"],
                              "trial_kb": trial["peak_kb"]}
        print(f"{'':6s} {'bars':>9s} {'run s':>8s} {'us/bar':>7s} {'run MB':>7s} {'kB/bar':>7s}"
              f" {'trial s':>8s} {'us/bar':>7s} {'trial MB':>8s} {'kB/bar':>7s}")
        for label, f in figures.items():
            print(f"{label:6s} {f['bars']:9,d} {f['run_seconds']:8.2f} "
                  f"{f['run_seconds'] / f['bars'] * 1e6:7.1f} {f['run_kb'] / 1024:7.0f} "
                  f"{f['run_kb'] / f['bars']:7.2f} {f['trial_seconds']:8.4f} "
                  f"{f['trial_seconds'] / f['bars'] * 1e6:7.3f} {f['trial_kb'] / 1024:8.0f} "
                  f"{f['trial_kb'] / f['bars']:7.2f}")
        real, middle, long = figures.values()
        print(f"cost of each added bar, {half}x -> {args.times}x against real -> {half}x "
              "(linear growth: 1.00; issue 24: within 20%), and the plain per-bar ratio "
              f"{args.times}x / real (start-up and imports weigh on the real run's):")
        for key, name in (("run_seconds", "run time"), ("run_kb", "run peak memory"),
                          ("trial_seconds", "trial time"), ("trial_kb", "trial peak memory")):
            first = (middle[key] - real[key]) / (middle["bars"] - real["bars"])
            second = (long[key] - middle[key]) / (long["bars"] - middle["bars"])
            ratio = second / first if first else float("nan")
            verdict = "within 20%" if abs(ratio - 1) <= 0.2 else "NOT within 20%"
            plain = (long[key] / long["bars"]) / (real[key] / real["bars"])
            print(f"  {name:18s} {ratio:5.2f} ({verdict}); per bar {plain:5.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
