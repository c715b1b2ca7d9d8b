"""A sweep's grid: parameters to sweep and their values, checked against the playbook's own
bounds before any work, and the declared ranges random draws come from (parity tests, random
searches).

`--grid NAME=V1,V2` or `NAME=START:STOP:STEP` (the stop included) is one axis; each value is
converted to its parameter's type; the default is added when the axis lacks it, so the default
is always a trial with neighbours.
"""

from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np

from feeds.errors import DataError, nearest

# Trials a sweep runs without --yes: about a minute of the screen on two cores over ten years
# of hourly gold (10-40 ms a trial), or about ten minutes of backtrader (3-9 s a trial).
MAX_TRIALS = {"screen": 5000, "backtrader": 200}


@dataclass(frozen=True)
class Axis:
    """One swept parameter: its values in grid order, and whether the default was added."""

    name: str
    values: tuple
    added_default: bool = False

    def to_json(self) -> dict:
        return {"values": list(self.values), "added_default": self.added_default}


def _fields(playbook_id: str) -> dict[str, dataclasses.Field]:
    import strategies

    return {f.name: f for f in dataclasses.fields(strategies.get(playbook_id).Parameters)}


def _kind(field_: dataclasses.Field) -> str:
    annotation = field_.type if isinstance(field_.type, str) else field_.type.__name__
    return {"float": "float", "int": "int", "bool": "bool"}.get(annotation, "str")


def _converted(name: str, raw, field_: dataclasses.Field) -> Any:
    """`raw` (text from the command line, or a TOML value) as parameter `name`'s type."""
    from unwind.sim.config import convert

    try:
        return convert(name, raw, field_.type)
    except DataError as error:
        raise DataError(f"--grid {name}={raw}: {error}") from None


def _range(name: str, kind: str, text: str) -> list:
    parts = text.split(":")
    try:
        start, stop, step = (Decimal(part.strip()) for part in parts)
    except Exception:
        raise DataError(f"--grid {name}={text}: a range is START:STOP:STEP, three numbers"
                        ) from None
    if not all(value.is_finite() for value in (start, stop, step)):
        raise DataError(f"--grid {name}={text}: a range needs finite numbers")
    if step <= 0 or stop < start:
        raise DataError(f"--grid {name}={text}: empty range (needs STEP > 0 and START <= STOP)")
    if kind == "int" and any(value != value.to_integral_value() for value in (start, stop, step)):
        raise DataError(f"--grid {name}={text}: {name} is a whole number; the range needs "
                        "whole START, STOP and STEP")
    count = int((stop - start) / step) + 1
    if count > 100_000:
        raise DataError(f"--grid {name}={text}: {count:,} values on one axis")
    values = [start + step * index for index in range(count)]
    return [int(value) if kind == "int" else float(value) for value in values]


def parse_grid(playbook_id: str, specs: list[str], fixed: dict | None = None
               ) -> tuple[Axis, ...]:
    """The axes of `--grid` options (`NAME=V1,V2,...` or `NAME=START:STOP:STEP`), each value
    converted to its parameter's type, the default added (`check_values` checks the bounds)."""
    fields = _fields(playbook_id)
    base = base_values(playbook_id, fixed or {})
    if not specs:
        raise DataError("nothing to sweep: give at least one --grid NAME=V1,V2,... or "
                        f"NAME=START:STOP:STEP ({playbook_id}'s parameters: {', '.join(fields)})")
    axes, seen = [], set()
    for spec in specs:
        name, sep, text = str(spec).partition("=")
        name = name.strip()
        if not sep or not text.strip():
            raise DataError(f"--grid {spec!r}: expected NAME=V1,V2,... or NAME=START:STOP:STEP")
        if name not in fields:
            raise DataError(f"--grid {name}: {playbook_id} has no parameter {name!r}"
                            f"{nearest(name, fields)}; its parameters: {', '.join(fields)}")
        if name in seen:
            raise DataError(f"--grid {name} is given twice")
        if name in (fixed or {}):
            raise DataError(f"{name} is both swept (--grid) and fixed (-p)")
        seen.add(name)
        kind = _kind(fields[name])
        if ":" in text and "," not in text:
            if kind not in ("int", "float"):
                raise DataError(f"--grid {name}={text}: a range needs a number; {name} is a "
                                f"{kind}: list its values, e.g. {name}=V1,V2")
            raw_values = _range(name, kind, text)
        else:
            raw_values = [value.strip() for value in text.split(",")]
            if any(not value for value in raw_values):
                raise DataError(f"--grid {name}={text}: an empty value in the list")
        values = list(dict.fromkeys(_converted(name, raw, fields[name]) for raw in raw_values))
        default = base[name]
        added = default not in values
        if added:
            values.append(default)
        if kind in ("int", "float"):
            values.sort()
        axes.append(Axis(name, tuple(values), added))
    return tuple(axes)


def base_values(playbook_id: str, fixed: dict) -> dict:
    """The default point: every parameter at its default, or at its -p override."""
    import strategies
    from unwind.sim.config import build_parameters

    parameters = build_parameters(strategies.get(playbook_id).Parameters, dict(fixed))
    return {name: getattr(parameters, name) for name in _fields(playbook_id)}


def check_values(playbook_id: str, axes: tuple[Axis, ...], fixed: dict | None = None) -> None:
    """DataError for a swept value that no trial of the grid can use (it breaks a bound of the
    playbook's Parameters whatever the other axes are); values valid only with some of the
    other axes' values stay, and the trials where they break a bound are marked invalid."""
    import strategies
    from unwind.sim.config import build_parameters

    parameters_class = strategies.get(playbook_id).Parameters
    usable = {axis.name: set() for axis in axes}
    for values in grid_points(axes):
        try:
            build_parameters(parameters_class, dict(fixed or {}) | values)
        except DataError:
            continue
        for name, value in values.items():
            usable[name].add(repr(value))
    base = base_values(playbook_id, fixed or {})
    for axis in axes:
        for value in axis.values:
            if repr(value) in usable[axis.name]:
                continue
            try:
                build_parameters(parameters_class, base | {axis.name: value})
                reason = "no combination of the other swept values accepts it"
            except DataError as error:
                reason = str(error).removeprefix("bad parameter: ")
            raise DataError(f"--grid {axis.name}={value}: {reason}")


def grid_points(axes: tuple[Axis, ...]) -> list[dict]:
    """Every combination of the axes' values, in grid order (the last axis fastest)."""
    return [dict(zip([a.name for a in axes], values))
            for values in itertools.product(*(a.values for a in axes))]


def default_index(config) -> int:
    """The default point's position in grid order (a SweepConfig's playbook, axes and fixed
    parameters); parse_grid puts it on every axis, so it is always on the grid."""
    base = base_values(config.playbook, dict(config.fixed))
    for index, values in enumerate(grid_points(config.axes)):
        if all(base[name] == value for name, value in values.items()):
            return index
    raise AssertionError("the default point is always on the grid")


def check_size(count: int, engine: str, jobs: int, yes: bool) -> None:
    if count > MAX_TRIALS[engine] and not yes:
        raise DataError(f"{count:,} trials is more than {MAX_TRIALS[engine]:,}, the most a "
                        f"{engine} sweep runs without --yes; narrow the grid or pass --yes")


# --------------------------------------------------------------- declared ranges, random draws
# Ranges to draw parameters from (parity tests, random searches) live with each playbook: a
# spec's `search` ranges, a Python playbook's SEARCH_SPACE. A parameter without one gets
# `derived_range`; every playbook shares SHARED_SPACE.
SHARED_SPACE = {"risk_budget_usd": (2_000.0, 200_000.0),
                "regime_filter": ("", "deleveraging", "fiscal_risk")}


def derived_range(value):
    """A range around a default the table does not list: half to double a number, both
    values of a flag; a text parameter keeps its default."""
    if isinstance(value, bool):
        return (False, True)
    if isinstance(value, int):
        return (max(1, value // 2), max(2, value * 2))
    if isinstance(value, float):
        return (value / 2, value * 2) if value else (0.0, 1.0)
    return (value,)


def search_space(playbook_id: str) -> dict[str, Any]:
    """Every parameter of `playbook_id` with the range draws come from."""
    import strategies

    playbook = strategies.get(playbook_id)
    defaults = strategies.defaults(playbook)
    # a spec playbook declares each parameter's search range in its TOML (strategies/spec.py)
    own = getattr(playbook, "SEARCH_SPACE", None) or {}
    declared = SHARED_SPACE | {name: tuple(space) for name, space in own.items()
                               if space is not None}
    return {name: declared.get(name, derived_range(value)) for name, value in defaults.items()}


def draw(playbook_id: str, rng: np.random.Generator, tries: int = 200) -> dict:
    """One random valid parameter set from the search space (numbers rounded to 4
    significant digits, so a failing draw reads well)."""
    import strategies
    from unwind.sim.config import build_parameters

    space = search_space(playbook_id)
    defaults = strategies.defaults(strategies.get(playbook_id))
    for _ in range(tries):
        values = {}
        for name, choices in space.items():
            default = defaults[name]
            if isinstance(default, bool) or isinstance(default, str) or \
                    not isinstance(choices[0], (int, float)) or isinstance(choices[0], bool):
                values[name] = choices[int(rng.integers(len(choices)))]
            elif isinstance(default, int):
                values[name] = int(rng.integers(choices[0], choices[1] + 1))
            else:
                values[name] = float(f"{rng.uniform(*choices):.4g}")
        try:
            build_parameters(strategies.get(playbook_id).Parameters, values)
        except DataError:
            continue
        return values
    raise RuntimeError(f"no valid draw for {playbook_id} in {tries} tries")
