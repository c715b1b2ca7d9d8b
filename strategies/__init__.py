"""The playbooks, one module per playbook (named by its id), and the signals they share.

`get(id)` imports a playbook module; `ids()` lists them. Each module has: ID, SEED, TRADED, BAR,
SIGNALS, WARMUP_DAYS, BENCHMARK (its name) and BENCHMARK_KIND ('hold': risk-budgeted buy
and hold of the first traded instrument, 'flat', or a dict of parameters to rerun with),
PLAIN_TWIN (the parameter overrides that drop the one filter the thesis is about, or None),
CALIBRATED_ON (the window its data-derived defaults were measured on, or None when every
default is an article's number or a stated convention), a frozen `Parameters` dataclass,
`prepare()` and
`Strategy`; optionally `traded(parameters)` and `signals_for(parameters)` when the instruments
depend on a parameter, and `panels(parameters)`: the decision lines the tear sheet draws, with
their thresholds (strategies.base.Panel).
"""

from __future__ import annotations

import importlib
from types import ModuleType

PLAYBOOK_IDS = ("gold_asia_dip", "gold_dip_any_session", "hsi_short_yen_vol", "hsi_bottom_long",
                "bond_hedge", "gold_haven_turn", "ust_selloff_long_gold", "jgb_shock_short_nq",
                "jgb_shock_short_zn", "spread_unwind_long_yen", "boj_hike_long_yen")


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


def twin_parameters(playbook_id: str, parameters: tuple = ()) -> tuple | None:
    """The run parameters of `playbook_id`'s plain twin: the same rule with one change, its
    PLAIN_TWIN overrides on top of `parameters`; None when it has no twin."""
    twin = get(playbook_id).PLAIN_TWIN
    if not twin:
        return None
    return tuple((dict(parameters) | twin).items())


def panels(playbook: ModuleType, parameters: dict) -> tuple:
    """The tear sheet's signal panels of `playbook` at `parameters` (its `panels()`, if any)."""
    if not hasattr(playbook, "panels"):
        return ()
    return playbook.panels(playbook.Parameters(**parameters))


def series_of(playbook: ModuleType, parameters) -> tuple[tuple[str, ...], tuple]:
    """(traded instruments, signal series) the playbook reads at `parameters`: its traded() and
    signals_for() where a parameter chooses them, else TRADED and SIGNALS."""
    traded = playbook.traded(parameters) if hasattr(playbook, "traded") else playbook.TRADED
    signal_series = playbook.signals_for(parameters) if hasattr(playbook, "signals_for") \
        else playbook.SIGNALS
    return tuple(traded), tuple(signal_series)


def series_read(playbook_ids: tuple[str, ...]) -> set[tuple[str, str]]:
    """(series, bar) pairs the playbooks read at their defaults: traded and signal series."""
    needed = set()
    for playbook_id in playbook_ids:
        playbook = get(playbook_id)
        traded, signal_series = series_of(playbook, playbook.Parameters())
        needed |= {(symbol, playbook.BAR) for symbol in traded} | set(signal_series)
    return needed
