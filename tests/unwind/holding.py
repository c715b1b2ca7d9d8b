"""A minimal playbook for execution tests: go `side` in one instrument at the first bar of the
window and hold it to the end. The execution tests use it instead of a real playbook so they
check the execution model (rolls, costs, financing, margin), not a playbook's rule."""

from __future__ import annotations

import types

import pandas as pd

import strategies
from strategies.base import CommonParameters, backtrader_params
from strategies.book import Playbook, target_size
from unwind.sim.config import RunConfig


class HoldStrategy(Playbook):
    params = backtrader_params(CommonParameters) + (("side", 1),)

    def decide(self):
        if not self.position and self.trading_allowed():
            target_size(self, self.data, self.p.side)


def playbook(symbol: str, bar: str, side: int = 1) -> types.SimpleNamespace:
    """A playbook module holding `symbol` (`bar` bars) on `side`, no signals."""
    strategy = type(f"Hold{symbol}", (HoldStrategy,), {
        "params": backtrader_params(CommonParameters) + (("side", side),)})
    return types.SimpleNamespace(
        ID=f"hold_{symbol}", TRADED=(symbol,), BAR=bar, SIGNALS=(), WARMUP_DAYS=30,
        BENCHMARK="flat", BENCHMARK_KIND="flat", PLAIN_TWIN=None, Parameters=CommonParameters,
        prepare=lambda inputs, parameters: {symbol: pd.DataFrame(
            index=inputs.frame(symbol, bar).index)},
        Strategy=strategy)


def hold(monkeypatch, store, symbol: str, bar: str, start: str, end: str, side: int = 1,
         **options) -> RunConfig:
    """A RunConfig for the hold playbook (registered under `hold_<symbol>` for this test)."""
    module = playbook(symbol, bar, side)
    real_get = strategies.get
    monkeypatch.setattr(strategies, "get", lambda playbook_id: module
                        if playbook_id == module.ID else real_get(playbook_id))
    return RunConfig(playbook=module.ID, start=start, end=end, store=str(store.root), **options)


def run_hold(monkeypatch, store, symbol, bar, start, end, side=1, **options):
    """(RunResult, Prepared) of holding `symbol` over start..end."""
    from unwind.sim import engine

    config = hold(monkeypatch, store, symbol, bar, start, end, side, **options)
    ready = engine.prepare(config)
    return engine.run(config, ready), ready


def import_into(tmp_path_factory, raw, files: list[tuple[str, str | None]]):
    """A new store holding `files` (path under ../shared/data/raw, symbol)."""
    from feeds.importer import ImportOptions, import_files
    from feeds.store import Store
    from tests.raw_files import repairs_for

    store = Store(tmp_path_factory.mktemp("execution") / "store")
    for relative, symbol in files:
        import_files([raw / relative], ImportOptions(symbol=symbol, **repairs_for(relative)),
                     store)
    return store
