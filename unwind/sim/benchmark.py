"""A run's benchmark over the same window and data: flat (cash), hold (risk-budgeted buy and
hold of the first traded instrument), or the playbook rerun with parameters (bond_hedge's
unhedged book); named by each playbook's BENCHMARK_KIND (strategies/__init__.py)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from strategies.base import CommonParameters, LineRule, backtrader_params
from unwind.compat import date_numbers
from unwind.evidence import metrics
from unwind.sim import engine
from unwind.sim.config import RunConfig
from unwind.sim.engine import Prepared


@dataclass
class BenchmarkResult:
    """What a run reports of its benchmark: equity over the window, trades and metrics (the
    playbook-only ones left out)."""

    equity: pd.Series
    trades: pd.DataFrame
    metrics: dict[str, float]


def run_benchmark(config: RunConfig, ready: Prepared | None = None) -> BenchmarkResult:
    """The playbook's named benchmark over the same window and data (see strategies/__init__),
    from the playbook's prepared run `ready` when given. A flat benchmark is cash at every bar,
    booked without a simulation; the hold of one instrument runs on the screen (the same
    LineRule, held to backtrader by tests/unwind/test_engine.py), several on backtrader."""
    import dataclasses

    import strategies

    kind = strategies.get(config.playbook).BENCHMARK_KIND
    ready = ready or engine.prepare(config)
    if isinstance(kind, dict):
        merged = dataclasses.replace(config, parameters=tuple(
            (dict(config.parameters) | kind).items()))
        result = engine.run(merged, engine.prepare_like(ready, merged))
    elif kind == "hold" and len(ready.engine_frames) == 1:
        from unwind.sim import screen

        result = screen.run(hold_prepared(ready), config)
    elif kind == "hold":
        held = hold_prepared(ready)
        result = engine.result_of(config, held, engine.execute(held, config))
    else:
        plain = dataclasses.replace(ready, frames=engine.with_signals(ready.engine_frames, {},
                                                                ready.union, {}))
        result = engine.result_of(config, plain, FlatBook(plain, config))
    return BenchmarkResult(result.equity, result.trades, {
        key: value for key, value in result.metrics.items()
        if not metrics.BY_KEY[key].playbook_only})


class HoldFirst(LineRule):
    """Benchmark: long the first traded instrument from the window's start, sized by the same
    risk budget, held to the end. A LineRule whose entry line is 1 at every bar and that has no
    exit (no target, stop, exit line or holding limit, no regime filter), so the screen and
    backtrader run one definition."""

    SIDE = +1
    params = backtrader_params(CommonParameters)


@dataclass(frozen=True)
class BookRule:
    """What the executors read of a playbook to run it (engine.execute: its Strategy; the
    screen: its id and Strategy's exits) for a book that is not a playbook."""

    ID: str
    Strategy: type


HOLD = BookRule("hold", HoldFirst)


def hold_prepared(ready: Prepared) -> Prepared:
    """`ready` for the hold benchmark: the playbook's prices and execution lines with the
    hold's entry line (1) and exit line (0), at the playbook's risk budget."""
    import dataclasses

    lines = {symbol: pd.DataFrame({"entry": 1.0, "exit": 0.0}, index=frame.index)
             for symbol, frame in ready.engine_frames.items()}
    return dataclasses.replace(
        ready, playbook=HOLD,
        parameters=CommonParameters(risk_budget_usd=ready.parameters.risk_budget_usd),
        frames=engine.with_signals(ready.engine_frames, lines, ready.union, {}))


class FlatBook:
    """Benchmark: no position (cash). What a backtrader run of a strategy that never trades
    records (the account's cash at every bar of the traded calendar, nothing held), booked
    without the run."""

    def __init__(self, ready: Prepared, config: RunConfig):
        times = date_numbers(next(iter(ready.frames.values())).index)
        self.equity_times = times.tolist()
        self.equity_values = [float(config.cash_usd)] * len(times)
        self.gross_notionals = self.margin_values = [0.0] * len(times)
        self.position_flags = [False] * len(times)
        self.trade_records, self.skips, self.capped, self.margin_calls = [], [], [], []
