"""The playbooks, one module per playbook (named by its id), and the signals they share.

`get(id)` imports a playbook module; `ids()` lists them. Each module has: ID, SEED, TRADED, BAR,
SIGNALS, WARMUP_DAYS, BENCHMARK (its name) and BENCHMARK_KIND ('hold': risk-budgeted buy
and hold of the first traded instrument, 'flat', or a dict of parameters to rerun with), PLAIN_TWIN, a frozen `Parameters` dataclass, `prepare()` and
`Strategy`; optionally `traded(parameters)` and `signals_for(parameters)` when the instruments
depend on a parameter, and `panels(parameters)`: the decision lines the tear sheet draws, with
their thresholds (strategies.base.Panel).
"""

from __future__ import annotations

import importlib
from types import ModuleType

PLAYBOOK_IDS = ("gold_asia_dip", "gold_dip_any_session", "hsi_short_yen_vol", "bond_hedge",
                "gold_haven_turn", "jgb_shock_short_nq", "spread_unwind_long_yen")


def ids() -> tuple[str, ...]:
    return PLAYBOOK_IDS


def get(playbook_id: str) -> ModuleType:
    from feeds.errors import DataError, nearest

    if playbook_id not in PLAYBOOK_IDS:
        raise DataError(f"unknown playbook {playbook_id!r}{nearest(playbook_id, PLAYBOOK_IDS)}; "
                        "`unwind list playbooks` shows them")
    return importlib.import_module(f"strategies.{playbook_id}")


def defaults(playbook: ModuleType) -> dict:
    """Every parameter of `playbook` with its default value."""
    import dataclasses

    return {f.name: f.default for f in dataclasses.fields(playbook.Parameters)}


def panels(playbook: ModuleType, parameters: dict) -> tuple:
    """The tear sheet's signal panels of `playbook` at `parameters` (its `panels()`, if any)."""
    if not hasattr(playbook, "panels"):
        return ()
    return playbook.panels(playbook.Parameters(**parameters))
