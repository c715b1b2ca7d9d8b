"""A playbook as one TOML file: read, validated, and turned into a playbook the engine runs.

The file says what a trader says about an idea: the thesis and its article, what it trades,
what it reads, its benchmark and plain twin, the window its defaults were measured on, each
parameter as a typed record (default, unit, bounds, search range, the reason for the default),
its lines in the expression language (strategies/expressions.py), its entry and exit rule, and
the exits the thesis names (a stop, a target, a holding period, a stop or target at a line's
value captured at the entry decision). strategies/examples/ holds specs to start from; the
README's "Write a playbook" walks through one.

Every problem is one line naming the file, the line and key, and what is expected
(`SpecError`, a DataError: the command line prints it as `error: ...`).
"""

from __future__ import annotations

import keyword
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from feeds.errors import DataError, nearest
from strategies import expressions
from strategies import spec_records as records
from strategies.spec_records import UNITS, Parameter, Reader, SpecError, fill  # re-exported


def format_value(value: Any, unit: str) -> str:
    """`value` as a page shows it in `unit` (one of UNITS)."""
    if isinstance(value, bool) or unit in ("flag", "choice"):
        return str(value).lower() if isinstance(value, bool) else str(value)
    if unit in ("fraction", "annualised fraction"):
        return f"{value:.2%}" + (" a year" if unit == "annualised fraction" else "")
    if unit == "percent":
        return f"{value:.2f}%"
    if unit == "percentage points":
        return f"{value:.2f} pp"
    if unit == "z-score":
        return f"{value:+.2f} sigma"
    if unit == "usd":
        return f"{value:,.0f} USD"
    if unit in ("bars", "days", "hours"):
        return f"{value:g} {unit}"
    return f"{value:g}"


TOP_KEYS = {"id": True, "thesis": True, "article": True, "section": True, "benchmark": True,
            "plain_twin": True, "calibrated_on": True, "warmup_days": True, "trades": True,
            "reads": True, "rule": True, "parameters": False, "lines": False, "exits": False,
            "panels": False, "constraints": False, "columns": False, "prepare": False,
            "rule_notes": False, "variants": False}
CONSTRAINT_KEYS = ("check", "says")
TRADES_KEYS = ("symbol", "bar", "side")
RULE_KEYS = ("entry", "exit")
# Exits the thesis names: the parameter each becomes (the name backtrader and the screen read)
# and the units it may be in; `stop_below` / `target_at` name a line captured at the entry.
EXIT_PARAMETERS = {"stop": ("stop_loss", ("fraction",)), "target": ("take_profit", ("fraction",)),
                   "hold": ("hold_days", ("bars", "days"))}
EXIT_LINES = ("stop_below", "target_at")
PANEL_KEYS = ("title", "lines", "unit", "thresholds", "when")
PREPARE_KEYS = ("function", "lines")
VARIANT_KEYS = ("parameters", "calibrated_on", "reason")
COMMON_PARAMETERS = ("risk_budget_usd", "regime_filter")   # strategies.base.CommonParameters
RESERVED_LINES = ("entry", "exit", *expressions.FIELDS)


@dataclass(frozen=True)
class Spec:
    """A validated spec: everything the playbook built from it needs (spec_playbook.build)."""

    path: Path
    id: str
    thesis: str
    seed: str
    symbol: str
    bar: str
    side: int
    reads: dict[str, tuple[str, str]]
    benchmark: str
    plain_twin: dict | None
    calibrated_on: tuple[str, str] | None
    warmup_days: int
    parameters: tuple[Parameter, ...]
    lines: dict[str, Any]           # name -> parsed expression, in order
    entry: Any
    exit: Any
    exits: tuple[str, ...]          # the screen's exit names, in the order both engines read
    hold_unit: str | None
    constraints: tuple[tuple[str, Any], ...]
    panels: tuple[dict, ...]
    # signals.csv's columns in order: (column, line); the lines left out are working lines
    columns: tuple[tuple[str, str], ...] = ()
    # the escape hatch: ("module:function", the lines it computes on the traded bars)
    prepare: tuple[str, tuple[str, ...]] | None = None
    rule_notes: str | None = None         # "module:function" saying what a window's rule did
    variants: dict | None = None          # readings chosen after seeing data, with windows

    @property
    def templated(self) -> bool:
        """Whether a parameter chooses what it trades or reads ({...} in a name)."""
        return any("{" in name for name in (self.symbol, *(s for s, _ in self.reads.values())))

    def traded_at(self, parameter: Callable[[str], Any]) -> tuple[str, str]:
        """(symbol, bar) traded at the parameters `parameter(name)` reads."""
        return fill(self.symbol, parameter), self.bar

    def reads_at(self, parameter: Callable[[str], Any]) -> dict[str, tuple[str, str]]:
        """Each read's (series, bar) at the parameters `parameter(name)` reads."""
        return {name: (fill(series, parameter), bar) for name, (series, bar) in
                self.reads.items()}


def _name(reader: Reader, keys: tuple, name: str, taken: dict) -> str:
    if not name.isidentifier() or keyword.iskeyword(name) or name in expressions.FUNCTIONS:
        raise reader.fail(keys, "expected a name of letters, digits and _ that is not a "
                                "keyword or a library function")
    if name in RESERVED_LINES or name in COMMON_PARAMETERS:
        raise reader.fail(keys, f"{name} is reserved (entry, exit, the bar fields and every "
                                "playbook's risk_budget_usd and regime_filter)")
    if name in taken:
        raise reader.fail(keys, f"{name} is already the name of a {taken[name]}")
    return name


def read(path: str | Path) -> Spec:
    """The spec at `path`, validated, or SpecError naming what to fix."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as error:
        raise SpecError(f"{path}: cannot read the spec ({error.strerror})") from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise SpecError(f"{path}: not TOML: {error}") from None
    reader = Reader(path, text)
    for key in raw:
        if key not in TOP_KEYS:
            raise reader.fail((key,), f"unknown key{nearest(key, TOP_KEYS)}; expected one of "
                                      f"{', '.join(TOP_KEYS)}")
    for key, required in TOP_KEYS.items():
        if required and key not in raw:
            raise SpecError(f"{path}: missing {key}")
    return _assemble(reader, raw, path)


def _expression(reader: Reader, keys: tuple, text: Any, scope: expressions.Scope,
                wanted: str, series: bool = True):
    """`text` parsed and checked in `scope`: (tree, Kind); `wanted` NUMBER or CONDITION, a
    series unless `series` is false (then parameters only)."""
    try:
        tree = expressions.parse(text)
        kind = expressions.check(tree, scope)
    except expressions.ExpressionError as error:
        raise reader.fail(keys, f"{error} in {text!r}") from None
    if wanted and kind.kind != wanted:
        raise reader.fail(keys, f"expected {'a condition' if wanted == 'condition' else 'a number'}"
                                f", got a {kind.kind}: {text!r}")
    if series and kind.calendar is None:
        raise reader.fail(keys, f"expected a line that depends on a series read: {text!r}")
    return tree, kind


def _assemble(reader: Reader, raw: dict, path: Path) -> Spec:
    from feeds.bars import BARS
    from feeds.store import check_series_name

    playbook_id = records.text(reader, ("id",), raw["id"])
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,63}", playbook_id):
        raise reader.fail(("id",), "expected lower-case letters, digits and _ (a name for the "
                                   "command line), at most 64 characters")
    trades = records.table(reader, ("trades",), raw["trades"], TRADES_KEYS, TRADES_KEYS)
    try:
        symbol = str(trades["symbol"]) if "{" in str(trades["symbol"]) else \
            check_series_name(str(trades["symbol"]))
    except DataError as error:
        raise reader.fail(("trades", "symbol"), str(error)) from None
    if trades["bar"] not in BARS:
        raise reader.fail(("trades", "bar"), f"expected one of {', '.join(BARS)}")
    if trades["side"] not in ("long", "short"):
        raise reader.fail(("trades", "side"), "expected long or short")
    traded = (symbol, trades["bar"])
    taken: dict[str, str] = {}
    reads = {}
    for name, value in records.mapping(reader, ("reads",), raw["reads"]).items():
        _name(reader, ("reads", name), name, taken)
        parts = value.rsplit(None, 1) if isinstance(value, str) else []
        if len(parts) != 2 or parts[1] not in BARS:
            raise reader.fail(("reads", name), f"expected \"SERIES BAR\" (a bar of "
                                               f"{', '.join(BARS)}), e.g. \"USDJPY 1d\"")
        try:
            reads[name] = (parts[0] if "{" in parts[0] else check_series_name(parts[0]),
                           parts[1])
        except DataError as error:
            raise reader.fail(("reads", name), str(error)) from None
        taken[name] = "series read"
    parameters = []
    for name, record in records.mapping(reader, ("parameters",), raw.get("parameters", {})).items():
        _name(reader, ("parameters", name), name, taken)
        if name in {p for p, _ in EXIT_PARAMETERS.values()}:
            raise reader.fail(("parameters", name), f"{name} is an exit's parameter: declare "
                                                    "it under [exits]")
        parameters.append(records.record(reader, ("parameters", name), name, record))
        taken[name] = "parameter"
    exits_raw = records.table(reader, ("exits",), raw.get("exits", {}),
                       (*EXIT_PARAMETERS, *EXIT_LINES))
    hold_unit = None
    exit_names = {}
    for key, (name, units) in EXIT_PARAMETERS.items():
        if key in exits_raw:
            parameters.append(records.record(reader, ("exits", key), name, exits_raw[key], units))
            taken[name] = "parameter"
            exit_names[name] = key
            hold_unit = parameters[-1].unit if key == "hold" else hold_unit
    # the Parameters fields in the order the file writes them, exits' records included
    written = {p.name: reader.line_of(("parameters", p.name)) if p.name not in exit_names
               else reader.line_of(("exits", exit_names[p.name])) for p in parameters}
    parameters.sort(key=lambda p: written[p.name] or 0)
    for keys, name in ((("trades", "symbol"), symbol),
                       *((("reads", read), series) for read, (series, _) in reads.items())):
        if "{" in name or "}" in name:
            records.template(reader, keys, name, parameters)
    scope = expressions.Scope(reads, {}, {p.name: (p.type, p.bounds[0] if p.bounds else None)
                                          for p in parameters}, traded)
    prepare = _prepare(reader, raw.get("prepare"), taken)
    for name in prepare[1] if prepare else ():
        scope.lines[name] = expressions.Kind(expressions.NUMBER, traded)
    lines: dict[str, Any] = {}
    for name, text in records.mapping(reader, ("lines",), raw.get("lines", {})).items():
        _name(reader, ("lines", name), name, taken)
        tree, kind = _expression(reader, ("lines", name), text, scope, "")
        lines[name] = tree
        scope.lines[name] = kind
        taken[name] = "line"
    rule = records.table(reader, ("rule",), raw["rule"], RULE_KEYS, ("entry",))
    entry = _expression(reader, ("rule", "entry"), rule["entry"], scope, "condition")[0]
    exit_line = _expression(reader, ("rule", "exit"), rule["exit"], scope, "condition")[0] \
        if "exit" in rule else None
    for key in EXIT_LINES:
        if key in exits_raw and exits_raw[key] not in lines:
            raise reader.fail(("exits", key), f"expected one of the lines"
                                              f"{nearest(str(exits_raw[key]), lines)}: "
                                              f"{', '.join(lines) or 'none defined'}")
    exits = tuple(name for key, name in (("target", "take_profit"), ("stop", "stop_loss"))
                  if key in exits_raw) + \
        tuple(f"{key}:{exits_raw[key]}" for key in EXIT_LINES if key in exits_raw) + \
        (("exit_line",) if exit_line is not None else ()) + (() if hold_unit is None else
                          ("hold_calendar_days",) if hold_unit == "days" else ("hold_bars",))
    constants = expressions.Scope({}, {}, scope.parameters, traded)
    constraints = []
    for item in records.listed(reader, ("constraints",), raw.get("constraints", [])):
        # "CHECK", or { check = "CHECK", says = "the error when it fails" }
        record = records.table(reader, ("constraints",), item, CONSTRAINT_KEYS, CONSTRAINT_KEYS) \
            if isinstance(item, dict) else {"check": item, "says": f"need {item}"}
        tree = _expression(reader, ("constraints",), record["check"], constants, "condition",
                           False)[0]
        constraints.append((records.text(reader, ("constraints",), record["says"]), tree))
    shown = (*(prepare[1] if prepare else ()), *lines)
    panels = tuple(_panel(reader, number, panel, shown, constants)
                   for number, panel in enumerate(records.listed(reader, ("panels",),
                                                        raw.get("panels", []))))
    return Spec(path, playbook_id, records.text(reader, ("thesis",), raw["thesis"]),
                _seed(reader, raw), symbol, trades["bar"],
                1 if trades["side"] == "long" else -1, reads,
                _benchmark(reader, raw["benchmark"]),
                _twin(reader, raw["plain_twin"], parameters),
                _calibrated(reader, raw["calibrated_on"]), _warmup(reader, raw["warmup_days"]),
                tuple(parameters), lines, entry, exit_line, exits, hold_unit,
                tuple(constraints), panels, _columns(reader, raw.get("columns"), shown),
                prepare, _function(reader, ("rule_notes",), raw["rule_notes"])
                if "rule_notes" in raw else None,
                _variants(reader, raw.get("variants"), parameters))


def _seed(reader: Reader, raw: dict) -> str:
    """"ARTICLE (section 6)", "(sections 3, 6)", "(mechanisms 1-2)" as written when it starts
    with a word; the article alone when the section is ""."""
    article = records.text(reader, ("article",), raw["article"])
    section = str(raw["section"]).strip()
    if not section:
        return article
    if section[0].isdigit():
        section = ("sections " if any(c in section for c in ",-") else "section ") + section
    return f"{article} ({section})"


def _function(reader: Reader, keys: tuple, value: Any) -> str:
    """A "module:function" a spec names, checked importable."""
    import importlib

    if not isinstance(value, str) or value.count(":") != 1:
        raise reader.fail(keys, "expected \"module:function\", e.g. "
                                "\"strategies.sessions:metals_session_lines\"")
    module, name = value.split(":")
    try:
        found = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as error:
        raise reader.fail(keys, f"cannot import {value}: {error}") from None
    if not callable(found):
        raise reader.fail(keys, f"{value} is not a function")
    return value


def _prepare(reader: Reader, raw: Any, taken: dict) -> tuple[str, tuple[str, ...]] | None:
    """The escape hatch: a named Python function computing lines the language cannot say
    (called as function(inputs, parameters, traded) -> a frame of those lines on the traded
    bars); the rest of the spec reads them as lines."""
    if raw is None:
        return None
    record = records.table(reader, ("prepare",), raw, PREPARE_KEYS, PREPARE_KEYS)
    function = _function(reader, ("prepare", "function"), record["function"])
    names = records.listed(reader, ("prepare", "lines"), record["lines"])
    if not names:
        raise reader.fail(("prepare", "lines"), "expected the names of the lines it computes")
    for name in names:
        _name(reader, ("prepare", "lines"), str(name), taken)
        taken[name] = "line"
    return function, tuple(names)


def _columns(reader: Reader, raw: Any, lines: tuple) -> tuple[tuple[str, str], ...]:
    """signals.csv's columns: by default every line, then entry and exit; else the list
    written, each a line's name or { COLUMN = "line" } (a column named as a parameter)."""
    known = (*lines, "entry", "exit")
    if raw is None:
        return tuple((name, name) for name in known)
    columns = []
    for item in records.listed(reader, ("columns",), raw):
        pair = next(iter(item.items())) if isinstance(item, dict) and len(item) == 1 else \
            (item, item)
        if not all(isinstance(part, str) for part in pair) or pair[1] not in known:
            raise reader.fail(("columns",), f"{item!r}: expected one of the lines "
                                            f"({', '.join(known)}) or {{ COLUMN = \"line\" }}")
        columns.append(pair)
    named = [column for column, _ in columns]
    if len(set(named)) < len(named) or not {"entry", "exit"} <= set(named):
        raise reader.fail(("columns",), "expected each column once, entry and exit among them")
    return tuple(columns)


def _variants(reader: Reader, raw: Any, parameters: list[Parameter]) -> dict | None:
    """Readings chosen after seeing data: name -> parameters, the window that prompted it
    (calibrated_on) and the reason."""
    if raw is None:
        return None
    found = {}
    for name, record in records.mapping(reader, ("variants",), raw).items():
        keys = ("variants", name)
        record = records.table(reader, keys, record, VARIANT_KEYS, VARIANT_KEYS)
        window = _calibrated(reader, record["calibrated_on"])
        if window is None:
            raise reader.fail(keys + ("calibrated_on",), "a variant names the window of the "
                                                         "data that prompted it")
        found[name] = {"parameters": _twin(reader, record["parameters"], parameters),
                       "calibrated_on": window,
                       "reason": records.text(reader, keys + ("reason",), record["reason"])}
    return found


def _panel(reader: Reader, number: int, raw: Any, lines: tuple, constants) -> dict:
    keys = ("panels",)
    panel = records.table(reader, keys, raw, PANEL_KEYS, ("title", "lines", "unit"))
    shown = panel["lines"]
    if not isinstance(shown, list) or not shown or any(line not in lines for line in shown):
        raise reader.fail(keys, f"panel {number + 1}: lines: expected a list of the spec's "
                                f"lines ({', '.join(lines) or 'none defined'})")
    if panel["unit"] not in UNITS:
        raise reader.fail(keys, f"panel {number + 1}: unit {panel['unit']!r}"
                                f"{nearest(str(panel['unit']), UNITS)}; expected one of "
                                f"{', '.join(UNITS)}")
    thresholds = []
    for label, text in records.mapping(reader, keys, panel.get("thresholds", {})).items():
        thresholds.append((label, _expression(reader, keys, text, constants, "number",
                                              False)[0]))
    when = _expression(reader, keys, panel["when"], constants, "condition", False)[0] \
        if "when" in panel else None
    return {"title": records.text(reader, keys, panel["title"]), "lines": tuple(shown),
            "unit": panel["unit"], "thresholds": tuple(thresholds), "when": when}


def _benchmark(reader: Reader, value: Any) -> str:
    if value not in ("flat", "hold"):
        raise reader.fail(("benchmark",), "expected \"flat\" (no position) or \"hold\" "
                                          "(risk-budgeted buy and hold of what it trades)")
    return value


def _twin(reader: Reader, value: Any, parameters: list[Parameter]) -> dict | None:
    if value == "none":
        return None
    known = {p.name: p for p in parameters}
    if not isinstance(value, dict) or not value:
        raise reader.fail(("plain_twin",), "expected the parameter values that drop the thesis'"
                                           " filter, e.g. { require_rising = false }, or \"none\"")
    for name, override in value.items():
        if name not in known:
            raise reader.fail(("plain_twin",), f"unknown parameter {name!r}"
                                               f"{nearest(name, known)}")
        kind = records.type_of(override)
        if not (kind == known[name].type or kind == "int" and known[name].type == "float"):
            raise reader.fail(("plain_twin",), f"{name} is a {known[name].type}")
    return dict(value)


def _calibrated(reader: Reader, value: Any) -> tuple[str, str] | None:
    import datetime as dt

    if value == "none":
        return None
    try:
        first, last = (dt.date.fromisoformat(day) for day in value)
        if first > last:
            raise ValueError
    except (TypeError, ValueError):
        raise reader.fail(("calibrated_on",), "expected [\"YYYY-MM-DD\", \"YYYY-MM-DD\"], "
                                              "the window the data-derived defaults were measured"
                                              " on, or \"none\" (every default is an article's "
                                              "number or a stated convention)") from None
    return first.isoformat(), last.isoformat()


def _warmup(reader: Reader, value: Any) -> int:
    if records.type_of(value) != "int" or not 0 <= value <= 36_525:
        raise reader.fail(("warmup_days",), "expected whole calendar days of data loaded "
                                            "before the window (0 to 36525)")
    return value
