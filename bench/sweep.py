"""Benchmark: the screen against backtrader and a numpy baseline, workers, a 1,000-trial sweep.

    .venv/bin/python bench/sweep.py [--store DIR] [--repeat 3] [--skip-large]

Measured side by side in one run, on the store's real data (gold_asia_dip over its full hourly
history, about 59,000 bars; hsi_short_yen_vol over its daily history):

1. trials per second on the same trial: the screen as a sweep runs it (kernel, the trade
   columns the metrics read, every metric; its market arrays built once; its memo of fill
   instants emptied before each timed trial, so repeating the trial finds nothing) and backtrader
   (engine.execute, its trade records and the same metrics), both on the same prepared
   lines; and with the decision lines recomputed per trial (engine.with_parameters), as when a
   swept parameter changes them;
2. bars per second of the screen's kernel (numba) against a vectorbt-like numpy baseline of the
   gold hourly rule (entries from the same line where the risk budget buys a contract, the
   90-calendar-day exit, fills at the next open, one contract's marks; checked to give the same
   trades), and against the same kernel run by the interpreter; the first screened trial of a
   fresh process (numba's cache loaded, not compiled);
3. and 4. a 1,000-trial sweep of gold_asia_dip over full history (10 x 10 x 10: dip, yen_move,
   hold_days; 100 distinct sets of decision lines), wall time on 1 and on 2 local workers.
"""

from __future__ import annotations

import argparse
import dataclasses
import subprocess
import sys

import numpy as np

from timing import best_of

# The full history of each playbook in the store `make import-raw` fills (what
# unwind.evidence.cells.full_history_window gives there), fixed so runs compare across changes.
WINDOWS = {"gold_asia_dip": ("2016-04-19", "2026-03-20"),
           "hsi_short_yen_vol": ("2006-08-15", "2026-06-15")}


def numpy_baseline(entry: np.ndarray, open_: np.ndarray, close_time: np.ndarray,
                   hold_days: float, multiplier: float) -> tuple[np.ndarray, np.ndarray]:
    """vectorbt-style from_signals for a long-only rule with a calendar-day holding limit: the
    next entry after each exit, the exit where close_time has run hold_days past the entry
    decision (searchsorted), fills at the next open; returns the fill bars and the per-bar
    equity change of one contract (marks at each bar's open-to-open move)."""
    signals = np.flatnonzero(entry[:-1])
    fills, position = [], np.zeros(len(open_))
    decided = -1
    last = len(open_) - 1
    while True:
        after = np.searchsorted(signals, decided + 1)
        if after >= len(signals):
            break
        decided = int(signals[after])
        leave = int(np.searchsorted(close_time, close_time[decided] + hold_days, side="left"))
        exit_fill = min(leave + 1, last + 1)
        fills.append((decided + 1, exit_fill))
        position[decided + 1:exit_fill] = 1.0
        decided = exit_fill - 1
    moves = np.diff(open_, append=open_[-1]) * multiplier
    return np.asarray(fills, dtype=np.int64).reshape(-1, 2), np.cumsum(position * moves)


def kernel_arguments(ready, config):
    from unwind.sim import screen

    market = screen.Market.of(ready)
    frame = ready.frames[market.symbol]
    columns = market.columns
    nan = np.full(len(frame), np.nan)
    rules, _, _ = screen._rules(screen.exits_of(ready.playbook))
    parameters = ready.parameters
    return (columns["open"], columns["close"], columns["roll_offset"], columns["usd_per_local"],
            columns["volatility"], columns["margin"], columns["fee_local"],
            columns["slippage_ticks"], columns["financing_long"], columns["financing_short"],
            columns["roll_cost"], columns["rolls"], columns["close_time"],
            (frame["entry"].to_numpy() > 0) & market.tradable, frame["exit"].to_numpy(), nan,
            nan, rules, int(ready.playbook.Strategy.SIDE), market.multiplier, market.tick_value,
            market.maintenance_ratio, float(config.cash_usd), parameters.risk_budget_usd,
            float(config.max_leverage), parameters.stop_loss, parameters.take_profit,
            float(parameters.hold_days), market.clean, market.revalued, *market.fill_rates)


def per_trial(label: str, ready, config, repeat: int) -> None:
    from unwind.sim import engine, screen

    market, exits = screen.Market.of(ready), screen.exits_of(ready.playbook)  # once a sweep

    def cold(ready):
        """A screened trial that shares no fill with an earlier one: the Market's memo of fill
        instants is emptied first (repeating one trial would find them all)."""
        market.fill_times.clear()
        return screen.run(ready, config, market, exits, records=False)

    screened = best_of(repeat, lambda: cold(ready))
    traded = best_of(max(1, repeat - 1),
                     lambda: engine.run(config, ready))
    changed = dataclasses.replace(ready.parameters, dip=0.006) \
        if hasattr(ready.parameters, "dip") else \
        dataclasses.replace(ready.parameters, flat_slope=0.005)
    screened_lines = best_of(repeat, lambda: cold(engine.with_parameters(ready, changed)))
    traded_lines = best_of(1, lambda: engine.run(config, engine.with_parameters(ready, changed)))
    bars = len(next(iter(ready.frames.values())))
    print(f"  {label} ({bars:,} bars), decision lines shared: screen {1 / screened:,.0f} "
          f"trials/s, backtrader {1 / traded:,.2f} trials/s, ratio {traded / screened:,.0f}x")
    print(f"  {label}, decision lines recomputed: screen {1 / screened_lines:,.1f} trials/s, "
          f"backtrader {1 / traded_lines:,.2f} trials/s, ratio "
          f"{traded_lines / screened_lines:,.0f}x")


def first_call_seconds(store: str | None) -> tuple[float, float]:
    """A fresh process: prepare a gold_asia_dip run (not timed), then the first screened trial
    (numba loads the kernel's cached machine code: nothing is compiled when the cache is warm)
    and a second one. Returns (first, second) seconds."""
    code = ("import time; from unwind.sim import engine; from unwind.sim.config import for_episode; "
            f"config = for_episode('gold_asia_dip', 'aug-2024-carry-unwind', store={store!r}); "
            "ready = engine.prepare(config); started = time.perf_counter(); "
            "from unwind.sim import screen; screen.run(ready, config); "
            "first = time.perf_counter() - started; started = time.perf_counter(); "
            "screen.run(ready, config); print(first, time.perf_counter() - started)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    first, second = out.stdout.split()
    return float(first), float(second)


def sweep_seconds(options: dict, repeat: int = 2) -> tuple[float, int]:
    """The best of `repeat` wall times of a whole sweep (the store's load included; a machine
    shared with other work disturbs two workers more than one), and its trial count."""
    from unwind.studies import sweep

    config, _ = sweep.configure(options)
    counts = []
    seconds = best_of(repeat, lambda: counts.append(len(sweep.run_sweep(config).trials)))
    return seconds, counts[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", default=None)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-large", action="store_true",
                        help="a 20-trial grid in place of the 1,000-trial sweep")
    args = parser.parse_args()

    from unwind.sim import engine, screen, screen_kernel
    from unwind.sim.config import RunConfig

    configs = {playbook: RunConfig(playbook=playbook, start=start, end=end, store=args.store,
                                   allow_defects=True)
               for playbook, (start, end) in WINDOWS.items()}
    gold = engine.prepare(configs["gold_asia_dip"])
    hsi = engine.prepare(configs["hsi_short_yen_vol"])
    screen.run(gold, configs["gold_asia_dip"])      # the first call (cache load) not timed

    print("1. trials per second, the same trial on the same prepared lines")
    per_trial("gold_asia_dip full history", gold, configs["gold_asia_dip"], args.repeat)
    per_trial("hsi_short_yen_vol full history", hsi, configs["hsi_short_yen_vol"], args.repeat)

    print("2. bars per second on the gold hourly rule")
    arguments = kernel_arguments(gold, configs["gold_asia_dip"])
    bars = len(arguments[0])
    kernel = best_of(max(args.repeat, 5), lambda: screen_kernel.position_path(*arguments))
    market = screen.Market.of(gold)
    # the rule's entries where the risk budget buys at least one contract (the sizing step of a
    # vectorbt-style size array; the screen also applies the leverage and margin caps)
    columns = market.columns
    with np.errstate(invalid="ignore", divide="ignore"):
        sized = np.floor(gold.parameters.risk_budget_usd / (
            columns["volatility"] * (market.multiplier * columns["usd_per_local"]))) >= 1
    entry = arguments[13] & sized
    baseline = best_of(max(args.repeat, 5), lambda: numpy_baseline(
        entry, market.columns["open"], market.columns["close_time"],
        gold.parameters.hold_days, market.multiplier))
    interpreted = best_of(1, lambda: screen_kernel.position_path.py_func(*arguments))
    _, _, path = screen_kernel.position_path(*arguments)
    fills, _ = numpy_baseline(entry, market.columns["open"], market.columns["close_time"],
                              gold.parameters.hold_days, market.multiplier)
    ends = np.where(path[:, 1] < 0, bars, path[:, 1]).astype(np.int64)
    same = np.array_equal(np.c_[path[:, 0].astype(np.int64), ends], fills)
    print(f"  screen kernel (numba) {bars / kernel:,.0f} bars/s; numpy baseline "
          f"{bars / baseline:,.0f} bars/s ({'identical' if same else 'DIFFERENT'} trades: "
          f"{len(fills)}); ratio {baseline / kernel:,.1f}x")
    print(f"  the same kernel in the interpreter {bars / interpreted:,.0f} bars/s: numba is "
          f"{interpreted / kernel:,.0f}x faster")
    gold_market, gold_exits = screen.Market.of(gold), screen.exits_of(gold.playbook)
    full = best_of(args.repeat, lambda: screen.run(gold, configs["gold_asia_dip"], gold_market,
                                                   gold_exits))
    print(f"  a whole screened trial (kernel, trade records, every metric) {bars / full:,.0f} "
          "bars/s")
    first, second = first_call_seconds(args.store)
    print(f"  a fresh process: first screened trial {first:.2f} s (imports and numba's cache "
          f"loaded), second {second * 1000:.0f} ms")

    start, end = WINDOWS["gold_asia_dip"]
    large = {"playbook": "gold_asia_dip", "start": start, "end": end, "store": args.store,
             "allow_defects": True, "grids": [
                 "dip=0.003,0.004,0.005,0.006,0.0075,0.009,0.01,0.011,0.012,0.015",
                 "yen_move=0,0.005,0.01,0.015,0.02,0.025,0.03,0.035,0.04,0.045",
                 "hold_days=1,2,5,10,20,30,60,90,120,180"]}
    if args.skip_large:
        large["grids"] = large["grids"][:1] + ["yen_move=0.015,0.025", "hold_days=30,90"]
    print(f"3. and 4. gold_asia_dip over full history, {'a small grid' if args.skip_large else '1,000 trials'} "
          "(dip x yen_move x hold_days; the store read once, one set of decision lines per dip "
          "and yen_move), wall time including the load")
    one, count = sweep_seconds(large | {"jobs": 1})
    two, _ = sweep_seconds(large | {"jobs": 2})
    print(f"  {count} trials: 1 worker {one:.1f} s ({count / one:,.0f} trials/s), 2 workers "
          f"{two:.1f} s ({count / two:,.0f} trials/s), speed-up {one / two:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
