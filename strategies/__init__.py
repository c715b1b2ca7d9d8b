"""The playbooks, one spec or module per playbook (named by its id), and the signals they share.

`get(id)` gives a playbook module; `ids()` lists them, the package's first in the order of their
ids (the scorecard's row order). A package playbook is found, not listed: a spec,
strategies/specs/ID.toml (built by strategies/spec_playbook.py), or, where the spec language
cannot say its rule, a module strategies/ID.py that assigns `ID = "ID"`. Each has: ID, SEED, TRADED, BAR,
SIGNALS, WARMUP_DAYS, BENCHMARK (its name) and BENCHMARK_KIND ('hold': risk-budgeted buy
and hold of the first traded instrument, 'flat', or a dict of parameters to rerun with),
PLAIN_TWIN (the parameter overrides that drop the one filter the thesis is about, or None),
CALIBRATED_ON (the window its data-derived defaults were measured on, or None when every
default is an article's number or a stated convention), a frozen `Parameters` dataclass,
`prepare()` and
`Strategy`; optionally `traded(parameters)` and `signals_for(parameters)` when the instruments
depend on a parameter, and `panels(parameters)`: the decision lines the tear sheet draws, with
their thresholds (strategies.panel.Panel).

Playbooks written as specs (one TOML file each, strategies/spec.py) join them: every `*.toml` in
the folder `$UNWIND_PLAYBOOKS`, and any spec `register(path)` was given (`unwind check SPEC`).
`get()` returns the module strategies/spec_playbook.py builds from a spec, with the same names.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from types import ModuleType

# The package's playbooks written as specs.
SPECS = Path(__file__).parent / "specs"


def _package_ids() -> tuple[str, ...]:
    """The package's playbooks, sorted: each spec in SPECS, and each module of this package
    with a line `ID = "its file name"` (read as text, so listing them imports nothing)."""
    here = Path(__file__).parent
    found = {path.stem for path in SPECS.glob("*.toml")}
    for path in here.glob("*.py"):
        if f'\nID = "{path.stem}"\n' in path.read_text():
            found.add(path.stem)
    return tuple(sorted(found))


PLAYBOOK_IDS = _package_ids()
# The folder of a user's playbook specs.
FOLDER_VARIABLE = "UNWIND_PLAYBOOKS"
# Specs built in this process: resolved path -> (file's mtime and size, module).
_BUILT: dict[Path, tuple[tuple[int, int], ModuleType]] = {}
# Specs registered by path (`unwind check SPEC`), in order.
_REGISTERED: list[Path] = []


def _spec(path: Path) -> ModuleType:
    """The playbook built from the spec at `path` (rebuilt when the file changed)."""
    from strategies import spec, spec_playbook

    status = path.stat()
    stamp = (status.st_mtime_ns, status.st_size)
    built = _BUILT.get(path)
    if built is None or built[0] != stamp:
        built = (stamp, spec_playbook.build(spec.read(path)))
        _BUILT[path] = built
    return built[1]


def _specs() -> dict[str, ModuleType]:
    """The spec playbooks by id: the folder's, then the registered ones; an id used twice
    (or a package playbook's id) is an error naming both."""
    from feeds.errors import DataError

    folder = os.environ.get(FOLDER_VARIABLE)
    paths = []
    if folder:
        if not Path(folder).is_dir():
            raise DataError(f"${FOLDER_VARIABLE}={folder}: not a folder of playbook specs")
        paths = sorted(Path(folder).resolve().glob("*.toml"))
    paths += [p for p in _REGISTERED if p not in paths]
    found: dict[str, ModuleType] = {}
    for path in paths:
        module = _spec(path)
        clash = module.ID in PLAYBOOK_IDS and f"the package's playbook {module.ID}" or \
            module.ID in found and found[module.ID].__file__
        if clash:
            raise DataError(f"{path}: id {module.ID!r} is already {clash}'s; give one of them "
                            "another id")
        found[module.ID] = module
    return found


def register(path: str | Path) -> str:
    """Add the spec at `path` to this process's playbooks; its id."""
    resolved = Path(path).resolve()
    module = _spec(resolved)
    if resolved.parent == SPECS.resolve() and module.ID in PLAYBOOK_IDS:
        return module.ID            # a package spec (a pickled sweep payload's parameters)
    if resolved not in _REGISTERED:
        _REGISTERED.append(resolved)
    try:
        _specs()
    except Exception:
        _REGISTERED.remove(resolved)
        raise
    return module.ID


def registered() -> tuple[Path, ...]:
    """The spec files registered in this process (`register`), in order."""
    return tuple(_REGISTERED)


def ids() -> tuple[str, ...]:
    """The package's playbooks, then the specs' ($UNWIND_PLAYBOOKS, registered)."""
    return PLAYBOOK_IDS + tuple(_specs())


def get(playbook_id: str) -> ModuleType:
    from feeds.errors import DataError, nearest

    if playbook_id in PLAYBOOK_IDS:
        spec_path = SPECS / f"{playbook_id}.toml"
        if spec_path.is_file():
            return _spec(spec_path.resolve())
        return importlib.import_module(f"strategies.{playbook_id}")
    specs = _specs()
    if playbook_id not in specs:
        known = PLAYBOOK_IDS + tuple(specs)
        raise DataError(f"unknown playbook {playbook_id!r}{nearest(playbook_id, known)}; "
                        "`unwind list playbooks` shows them")
    return specs[playbook_id]


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
