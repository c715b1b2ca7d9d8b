"""A spec's records and the checks every part of it is read with: the closed vocabulary of
units, a parameter record (type, unit, bounds, search range, reason), names a parameter
chooses (`{future}`: `template`, `fill`), and `Reader`, which
names the line of the file where a key is written in every error. strategies/spec.py reads a
whole spec with these; they live apart so the spec's own assembly stays readable.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from feeds.errors import DataError, nearest
from strategies import expressions

# The closed vocabulary of units: name -> (the Python types a value may have, what 1 means).
# Parameters and panels name one; pages format a value from it (strategies.spec.format_value).
UNITS: dict[str, tuple[tuple[str, ...], str]] = {
    "fraction": (("float",), "1.0 = 100% (0.015 = 1.5%)"),
    "annualised fraction": (("float",), "a fraction a year (0.12 = 12% a year)"),
    "percent": (("float",), "1.0 = 1% (a yield in percent)"),
    "percentage points": (("float",), "a difference of percents (0.25 = 25 bp)"),
    "z-score": (("float",), "standard deviations from a rolling mean"),
    "ratio": (("float",), "one quantity over another of the same unit"),
    "price": (("float",), "the instrument's quote"),
    "usd": (("float",), "US dollars"),
    "bars": (("int",), "bars of the series it applies to (sessions, for daily bars)"),
    "days": (("int", "float"), "calendar days"),
    "hours": (("int", "float"), "hours"),
    "count": (("int",), "a number of events"),
    "flag": (("bool",), "true or false"),
    "choice": (("str",), "one of the record's `choices`"),
}


RECORD_KEYS = ("default", "unit", "bounds", "search", "reason", "choices", "says")


class SpecError(DataError):
    """A spec problem: one line naming the file, line and key, and what is expected."""


@dataclass(frozen=True)
class Parameter:
    name: str
    type: str               # "int", "float", "bool", "str"
    default: Any
    unit: str
    bounds: tuple | None    # (low, high), inclusive; None for a flag or a choice
    search: tuple           # (low, high) for numbers, the values otherwise
    reason: str
    choices: tuple = ()     # the values a choice may take
    says: str = ""          # the error a value outside the bounds gets ("" = a generic one)


class Reader:
    """Errors located in the file: `fail(keys, message)` names the line where the key path
    `keys` is written (its table's header when the key is inline)."""

    def __init__(self, path: Path, text: str):
        self.path, self.lines = path, text.splitlines()

    def _header(self, keys: tuple) -> int | None:
        pattern = re.compile(r"\s*\[\[?\s*" + r"\s*\.\s*".join(re.escape(str(k)) for k in keys)
                             + r"\s*\]\]?\s*(#.*)?$")
        return next((n for n, line in enumerate(self.lines) if pattern.match(line)), None)

    def line_of(self, keys: tuple) -> int | None:
        depth, start = 0, -1
        for size in range(len(keys), 0, -1):
            found = self._header(keys[:size])
            if found is not None:
                depth, start = size, found
                break
        if depth == len(keys):
            return start + 1
        pattern = re.compile(r"\s*[\"']?" + re.escape(str(keys[depth])) + r"[\"']?\s*[=.]")
        for number in range(start + 1, len(self.lines)):
            if self.lines[number].lstrip().startswith("["):
                break
            if pattern.match(self.lines[number]):
                return number + 1
        return start + 1 if start >= 0 else None

    def fail(self, keys: tuple, message: str) -> SpecError:
        number = self.line_of(keys)
        where = f" line {number}" if number else ""
        return SpecError(f"{self.path}{where}: {'.'.join(map(str, keys))}: {message}")


def type_of(value: Any) -> str | None:
    return {bool: "bool", int: "int", float: "float", str: "str"}.get(type(value))


def table(reader: Reader, keys: tuple, value: Any, allowed: tuple, required: tuple = ()
           ) -> dict:
    if not isinstance(value, dict):
        raise reader.fail(keys, f"expected a table with {', '.join(allowed)}")
    for key in value:
        if key not in allowed:
            raise reader.fail(keys + (key,), f"unknown key{nearest(key, allowed)}; expected "
                                             f"{', '.join(allowed)}")
    for key in required:
        if key not in value:
            raise reader.fail(keys, f"missing {key}")
    return value


def text(reader: Reader, keys: tuple, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise reader.fail(keys, "expected text")
    return value.strip()


def record(reader: Reader, keys: tuple, name: str, raw: Any, units: tuple = tuple(UNITS)
            ) -> Parameter:
    """One parameter record, checked: its type from the default, a unit of `units` that type
    may have, bounds holding the default, a search range inside the bounds, a reason."""
    record = table(reader, keys, raw, RECORD_KEYS, ("default", "unit", "reason"))
    default, unit = record["default"], record["unit"]
    kind = type_of(default)
    if kind is None:
        raise reader.fail(keys + ("default",), "expected a number, true/false or text")
    if unit not in units:
        raise reader.fail(keys + ("unit",), f"{unit!r} is not a unit here"
                          f"{nearest(str(unit), units)}; expected one of {', '.join(units)}")
    types = UNITS[unit][0]
    if kind == "int" and "float" in types and "int" not in types:
        kind, default = "float", float(default)
    if kind not in types:
        raise reader.fail(keys + ("default",), f"{default!r} is a {kind}; a {unit} is a "
                                               f"{' or '.join(types)}")
    reason = text(reader, keys + ("reason",), record["reason"])
    if kind in ("bool", "str"):
        for key in ("bounds",):
            if key in record:
                raise reader.fail(keys + (key,), f"a {unit} has no bounds")
        choices = (False, True) if kind == "bool" else tuple(record.get("choices", ()))
        if kind == "str" and (not choices or default not in choices
                              or not all(isinstance(c, str) for c in choices)):
            raise reader.fail(keys + ("choices",), "expected the list of texts the choice may "
                                                   "take, the default among them")
        search = tuple(record.get("search", choices))
        if not set(search) <= set(choices):
            raise reader.fail(keys + ("search",), f"expected values among {list(choices)}")
        return Parameter(name, kind, default, unit, None, search, reason,
                         choices if kind == "str" else (), _says(reader, keys, record))
    if "choices" in record:
        raise reader.fail(keys + ("choices",), "only a choice has choices")
    for key in ("bounds", "search"):
        if key not in record:
            raise reader.fail(keys, f"missing {key} ([low, high], both included)")
    bounds, search = (pair(reader, keys + (key,), record[key], kind)
                      for key in ("bounds", "search"))
    if not bounds[0] <= default <= bounds[1]:
        raise reader.fail(keys + ("default",), f"{default} is outside the bounds "
                                               f"[{bounds[0]}, {bounds[1]}]")
    if not (bounds[0] <= search[0] and search[1] <= bounds[1]):
        raise reader.fail(keys + ("search",), f"the search range [{search[0]}, {search[1]}] "
                          f"goes outside the bounds [{bounds[0]}, {bounds[1]}]")
    return Parameter(name, kind, default, unit, bounds, search, reason, (),
                     _says(reader, keys, record))


def _says(reader: Reader, keys: tuple, record: dict) -> str:
    return text(reader, keys + ("says",), record["says"]) if "says" in record else ""


def pair(reader: Reader, keys: tuple, value: Any, kind: str) -> tuple:
    numbers = isinstance(value, list) and len(value) == 2 and all(
        type_of(v) in ("int", "float") for v in value)
    if not numbers or math.isnan(value[0]) or math.isnan(value[1]) or value[0] > value[1]:
        raise reader.fail(keys, "expected [low, high], two numbers with low <= high")
    if kind == "int" and not all(type_of(v) == "int" or math.isinf(v) for v in value):
        raise reader.fail(keys, "a whole-number parameter takes whole-number bounds")
    return tuple(value)


def mapping(reader: Reader, keys: tuple, value: Any) -> dict:
    if not isinstance(value, dict):
        raise reader.fail(keys, "expected a table of names")
    return value


def listed(reader: Reader, keys: tuple, value: Any) -> list:
    if not isinstance(value, list):
        raise reader.fail(keys, "expected a list")
    return value


# A name a parameter chooses: "{future}", "{level_series if trigger == 'level' else jgb_series}"
TEMPLATE = re.compile(r"\{([^{}]*)\}")


@functools.lru_cache(maxsize=None)
def _template_part(text: str):
    return expressions.parse(text)


def fill(name: str, parameter: Callable[[str], Any]) -> str:
    """A traded symbol or read series as written, its {EXPRESSION} parts replaced by their
    values at the parameters `parameter(name)` reads (a name without braces as it is)."""
    from feeds.store import check_series_name

    if "{" not in name:
        return name
    return check_series_name(TEMPLATE.sub(
        lambda part: str(expressions.scalar(_template_part(part.group(1)), parameter)), name))


def template(reader: Reader, keys: tuple, name: str, parameters: list[Parameter]) -> None:
    """A name a parameter chooses: each {EXPRESSION} reads choice parameters only and yields
    text, and every combination of their choices names a series of the instrument registry
    (so no value a run can be given names a series that does not exist)."""
    import ast

    if TEMPLATE.sub("", name).count("{") + TEMPLATE.sub("", name).count("}") or \
            not TEMPLATE.search(name):
        raise reader.fail(keys, f"{name!r}: expected {{PARAMETER}} parts, e.g. \"{{future}}\"")
    known = {p.name: p for p in parameters}
    scope = expressions.Scope({}, {}, {p.name: (p.type, None) for p in parameters}, ("", ""))
    named: dict[str, Parameter] = {}
    for part in TEMPLATE.findall(name):
        try:
            tree = _template_part(part)
            kind = expressions.check(tree, scope)
        except expressions.ExpressionError as error:
            raise reader.fail(keys, f"{error} in {{{part}}}") from None
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and known[node.id].unit != "choice":
                raise reader.fail(keys, f"{{{part}}}: {node.id} is a {known[node.id].unit} "
                                        "parameter; a name is chosen by choice parameters only "
                                        "(a closed list checked against the registry)")
            if isinstance(node, ast.Name):
                named[node.id] = known[node.id]
        if kind.kind != expressions.TEXT:
            raise reader.fail(keys, f"{{{part}}}: expected text (a choice parameter), got a "
                                    f"{kind.kind}")
    for values in itertools.product(*(p.choices for p in named.values())):
        chosen = dict(zip(named, values))
        try:
            fill(name, chosen.get)
        except DataError as error:
            at = ", ".join(f"{key}={value}" for key, value in chosen.items())
            raise reader.fail(keys, f"{name!r} at {at}: {error}") from None
