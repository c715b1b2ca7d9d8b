"""The small expression language a playbook spec writes its lines in, and its causal functions.

An expression is Python syntax restricted to: names (a series the spec reads, a line defined
before it, a parameter), `series.open|high|low|close|volume`, numbers, quoted text (compared with
a choice parameter), calls of the functions in FUNCTIONS, comparisons (chains allowed), `and`,
`or`, `not`, `+ - * /`, and `A if CONDITION else B` where CONDITION reads parameters only (a
reading chosen by a parameter: only the chosen branch is computed). It is parsed with `ast` and checked before anything runs; nothing is
ever passed to `eval`.

No look-ahead, by construction: every function reads only the rows up to each row (windows and
lags are whole numbers of bars >= 1, literal or a parameter whose bounds keep them so); each
series is computed on its own calendar; values from two calendars are combined only after both
are aligned onto the traded bars as known there (strategies.inputs.Inputs.aligned).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import pandas as pd

from strategies.functions import CONDITION, FUNCTIONS, NUMBER, TEXT

FIELDS = ("open", "high", "low", "close", "volume")


class ExpressionError(ValueError):
    """A problem with one expression, said in one line (the spec adds the file and key)."""


@dataclass(frozen=True)
class Kind:
    """What an expression yields: NUMBER, CONDITION, TEXT or SOURCE; `calendar` the (series,
    bar) its values are indexed by, None for a scalar (a parameter or a literal)."""

    kind: str
    calendar: tuple[str, str] | None = None


@dataclass(frozen=True)
class Scope:
    """The names an expression may use: the series read (name -> (series, bar)), the lines
    defined so far (name -> Kind), the parameters (name -> (type, lowest allowed value))."""

    reads: dict[str, tuple[str, str]]
    lines: dict[str, Kind]
    parameters: dict[str, tuple[str, Any]]
    traded: tuple[str, str]


_COMPARE = {ast.Lt: np.less, ast.LtE: np.less_equal, ast.Gt: np.greater,
            ast.GtE: np.greater_equal, ast.Eq: np.equal, ast.NotEq: np.not_equal}
_ARITHMETIC = {ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply,
               ast.Div: np.true_divide}
_CONSTRUCTS = {ast.Subscript: "indexing ([...])", ast.Lambda: "lambda",
               ast.Pow: "**", ast.FloorDiv: "//", ast.Mod: "%", ast.List: "a list",
               ast.Tuple: "a tuple", ast.Dict: "a dict", ast.JoinedStr: "an f-string"}


def parse(text: str) -> ast.expr:
    """`text` as an expression tree, or ExpressionError naming what is not part of the
    language."""
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError("expected an expression (text)")
    try:
        tree = ast.parse(text.strip(), mode="eval").body
    except SyntaxError as error:
        raise ExpressionError(f"not an expression: {error.msg} at column {error.offset}"
                              ) from None
    for node in ast.walk(tree):
        allowed = (ast.BoolOp, ast.And, ast.Or, ast.UnaryOp, ast.Not, ast.USub, ast.UAdd,
                   ast.BinOp, ast.Compare, ast.Call, ast.Name, ast.Load, ast.Attribute,
                   ast.Constant, ast.IfExp, *_COMPARE, *_ARITHMETIC)
        if not isinstance(node, allowed):
            what = _CONSTRUCTS.get(type(node)) or _CONSTRUCTS.get(type(getattr(node, "op", None)))
            raise ExpressionError(f"{what or type(node).__name__} is not part of the language "
                                  "(names, numbers, functions, comparisons, and/or/not, + - * /)")
        if isinstance(node, ast.Call) and (node.keywords or not isinstance(node.func, ast.Name)):
            raise ExpressionError("call a library function by name with positional arguments")
        if isinstance(node, ast.Constant) and not isinstance(node.value, (int, float, str)):
            raise ExpressionError(f"{node.value!r} is not a number or text")
    return tree


def check(tree: ast.expr, scope: Scope) -> Kind:
    """The Kind `tree` yields in `scope`, or ExpressionError: an unknown name or function
    (with did-you-mean), a wrong argument, a window that could look ahead, a kind mismatch."""
    from feeds.errors import nearest

    def combine(kinds: list[Kind], result: str) -> Kind:
        calendars = {k.calendar for k in kinds if k.calendar is not None}
        return Kind(result, calendars.pop() if len(calendars) == 1 else
                    (scope.traded if calendars else None))

    def visit(node: ast.expr) -> Kind:
        if isinstance(node, ast.Constant):
            value = node.value
            return Kind(TEXT if isinstance(value, str) else
                        CONDITION if isinstance(value, bool) else NUMBER)
        if isinstance(node, ast.Name):
            name = node.id
            if name in scope.reads:
                return Kind(NUMBER, scope.reads[name])
            if name in scope.lines:
                return scope.lines[name]
            if name in scope.parameters:
                kind = scope.parameters[name][0]
                return Kind({"bool": CONDITION, "str": TEXT}.get(kind, NUMBER))
            known = [*scope.reads, *scope.lines, *scope.parameters]
            if name in FUNCTIONS:
                raise ExpressionError(f"{name} is a function: call it, {name}(...)")
            raise ExpressionError(f"unknown name {name!r}{nearest(name, known)}; expected a "
                                  "series read, an earlier line or a parameter")
        if isinstance(node, ast.Attribute):
            if not (isinstance(node.value, ast.Name) and node.value.id in scope.reads):
                raise ExpressionError(".FIELD only follows a series the spec reads")
            if node.attr not in FIELDS:
                raise ExpressionError(f"unknown field .{node.attr}{nearest(node.attr, FIELDS)}"
                                      f"; expected one of {', '.join(FIELDS)}")
            return Kind(NUMBER, scope.reads[node.value.id])
        if isinstance(node, ast.BoolOp):
            kinds = [visit(value) for value in node.values]
            _expect(kinds, CONDITION, "and/or")
            return combine(kinds, CONDITION)
        if isinstance(node, ast.UnaryOp):
            kind = visit(node.operand)
            _expect([kind], CONDITION if isinstance(node.op, ast.Not) else NUMBER,
                    "not" if isinstance(node.op, ast.Not) else "a sign")
            return kind
        if isinstance(node, ast.BinOp):
            kinds = [visit(node.left), visit(node.right)]
            _expect(kinds, NUMBER, "+ - * /")
            return combine(kinds, NUMBER)
        if isinstance(node, ast.Compare):
            kinds = [visit(node.left)] + [visit(value) for value in node.comparators]
            texts = [k.kind == TEXT for k in kinds]
            if any(texts):
                if not all(texts) or any(k.calendar for k in kinds) or \
                        not all(isinstance(op, (ast.Eq, ast.NotEq)) for op in node.ops):
                    raise ExpressionError("text is compared only with a choice parameter, "
                                          "by == or !=")
                return Kind(CONDITION)
            _expect(kinds, NUMBER, "a comparison")
            return combine(kinds, CONDITION)
        if isinstance(node, ast.IfExp):
            test = visit(node.test)
            if test.kind != CONDITION or test.calendar is not None:
                raise ExpressionError("A if CONDITION else B: the condition reads parameters "
                                      "only (a reading a parameter chooses)")
            kinds = [visit(node.body), visit(node.orelse)]
            if kinds[0].kind != kinds[1].kind:
                raise ExpressionError(f"A if CONDITION else B: A is a {kinds[0].kind}, B a "
                                      f"{kinds[1].kind}; both must be the same kind")
            return combine(kinds, kinds[0].kind)
        return _check_call(node, visit, scope, combine)

    return visit(tree)


def _expect(kinds: list[Kind], wanted: str, where: str) -> None:
    for kind in kinds:
        if kind.kind != wanted:
            raise ExpressionError(f"{where} needs {'conditions' if wanted == CONDITION else 'numbers'}"
                                  f", got {'a ' + kind.kind}")


def _check_call(node: ast.Call, visit, scope: Scope, combine) -> Kind:
    from feeds.errors import nearest

    name = node.func.id
    function = FUNCTIONS.get(name)
    if function is None:
        raise ExpressionError(f"unknown function {name!r}{nearest(name, FUNCTIONS)}; the "
                              f"library: {', '.join(FUNCTIONS)}")
    count = len(node.args)
    most = len(function.arguments)
    if not most - function.optional <= count <= most:
        raise ExpressionError(f"{name} takes {most - function.optional}"
                              f"{'' if not function.optional else f' or {most}'} arguments "
                              f"({', '.join(function.arguments)}), got {count}")
    kinds = []
    for wanted, argument in zip(function.arguments, node.args):
        shown = f"{name}(...{ast.unparse(argument)}...)"
        if wanted == "bars":
            _check_bars(argument, scope, shown)
            continue
        if wanted == "periods":
            if not (isinstance(argument, ast.Constant) and isinstance(argument.value, (int, float))
                    and argument.value > 0):
                raise ExpressionError(f"{shown}: periods a year is a positive number")
            continue
        if wanted == "source":
            if not (isinstance(argument, ast.Name) and argument.id in scope.reads):
                raise ExpressionError(f"{shown}: expected a series the spec reads "
                                      f"({', '.join(scope.reads) or 'none'})")
            kinds.append(Kind(NUMBER, scope.reads[argument.id]))
            continue
        kind = visit(argument)
        if wanted in ("series", "condition", "any") and kind.calendar is None:
            raise ExpressionError(f"{shown}: expected a series, got a single "
                                  f"{'value' if kind.kind != TEXT else 'text'}")
        if wanted in ("series", "level") and kind.kind != NUMBER or \
                wanted == "condition" and kind.kind != CONDITION:
            raise ExpressionError(f"{shown}: expected {'a condition' if wanted == 'condition' else 'numbers'}"
                                  f", got a {kind.kind}")
        kinds.append(kind)
    result = kinds[0].kind if function.result == "any" else function.result
    if name in ("on_traded", "happened"):
        return Kind(result, scope.traded)
    return combine(kinds, result)


def _check_bars(argument: ast.expr, scope: Scope, shown: str) -> None:
    """A window or lag: a whole number >= 1, literal or an int parameter whose lower bound
    keeps it so (0 would be no window, a negative lag would read the future)."""
    if isinstance(argument, ast.Name) and argument.id in scope.parameters:
        kind, lowest = scope.parameters[argument.id]
        if kind != "int":
            raise ExpressionError(f"{shown}: {argument.id} is a {kind}; bars are a whole number")
        if lowest is None or lowest < 1:
            raise ExpressionError(f"{shown}: the bounds of {argument.id} allow {lowest}; bars "
                                  "must be >= 1 (a negative lag would read the future)")
        return
    value = _literal(argument)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ExpressionError(f"{shown}: bars must be a whole number >= 1, literal or an int "
                              "parameter (a negative lag would read the future)")


def _literal(node: ast.expr):
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _literal(node.operand)
        return -inner if isinstance(inner, (int, float)) else None
    return None


@dataclass
class Value:
    """An evaluated expression: a scalar, or a Series on `calendar`."""

    data: Any
    calendar: tuple[str, str] | None = None


class Evaluator:
    """Evaluates checked expressions on loaded bars: `frame(key)` gives a read's bars,
    `onto_traded(series, key)` aligns a series of calendar `key` onto the traded bars as known
    there, `parameter(name)` reads a parameter (read only when used, so a sweep sees which
    parameters each line depends on), `ratio_close(key)` the closes a percentage of a read is
    taken of (its close, or a future's ratio-adjusted closes; None: the close)."""

    def __init__(self, reads: dict[str, tuple[str, str]], traded: tuple[str, str],
                 frame: Callable, onto_traded: Callable, parameter: Callable,
                 ratio_close: Callable | None = None):
        self.reads, self.traded, self.frame = reads, traded, frame
        self.onto_traded, self.parameter = onto_traded, parameter
        self.ratio_close = ratio_close or (lambda key: frame(key)["close"])
        self.lines: dict[str, Value] = {}

    def traded_values(self, value: Value) -> Any:
        """`value` on the traded bars (aligned as known when it is on another calendar)."""
        if value.calendar is None or value.calendar == self.traded:
            return value.data
        data = value.data
        if data.dtype == bool:
            return self.onto_traded(data.astype(float), value.calendar) > 0
        return self.onto_traded(data, value.calendar)

    def _together(self, values: list[Value]) -> tuple[list, tuple[str, str] | None]:
        calendars = {v.calendar for v in values if v.calendar is not None}
        if len(calendars) <= 1:
            return [v.data for v in values], (calendars.pop() if calendars else None)
        return [self.traded_values(v) for v in values], self.traded

    def evaluate(self, node: ast.expr) -> Value:
        if isinstance(node, ast.Constant):
            return Value(node.value)
        if isinstance(node, ast.Name):
            name = node.id
            if name in self.reads:
                return Value(self.frame(self.reads[name])["close"], self.reads[name])
            if name in self.lines:
                return self.lines[name]
            return Value(self.parameter(name))
        if isinstance(node, ast.Attribute):
            key = self.reads[node.value.id]
            return Value(self.frame(key)[node.attr], key)
        if isinstance(node, ast.BoolOp):
            data, calendar = self._together([self.evaluate(v) for v in node.values])
            operation = np.logical_and if isinstance(node.op, ast.And) else np.logical_or
            result = data[0]
            for other in data[1:]:
                result = operation(result, other)
            return Value(result, calendar)
        if isinstance(node, ast.UnaryOp):
            operand = self.evaluate(node.operand)
            data = operand.data
            if isinstance(node.op, ast.Not):
                data = ~data if isinstance(data, pd.Series) else not data
            elif isinstance(node.op, ast.USub):
                data = -data
            return Value(data, operand.calendar)
        if isinstance(node, ast.BinOp):
            (left, right), calendar = self._together([self.evaluate(node.left),
                                                      self.evaluate(node.right)])
            return Value(_ARITHMETIC[type(node.op)](left, right), calendar)
        if isinstance(node, ast.Compare):
            values = [self.evaluate(node.left)] + [self.evaluate(v) for v in node.comparators]
            data, calendar = self._together(values)
            result = True
            for op, left, right in zip(node.ops, data, data[1:]):
                result = np.logical_and(result, _COMPARE[type(op)](left, right))
            return Value(result, calendar)
        if isinstance(node, ast.IfExp):
            return self.evaluate(node.body if self.evaluate(node.test).data else node.orelse)
        return self._call(node)

    def _call(self, node: ast.Call) -> Value:
        function = FUNCTIONS[node.func.id]
        series, scalars = [], []
        for wanted, argument in zip(function.arguments, node.args):
            if wanted == "source":
                key = self.reads[argument.id]
                series.append(Value(self.frame(key), key))
            elif wanted in ("bars", "periods"):
                scalars.append(self._whole(self.evaluate(argument).data, node.func.id)
                               if wanted == "bars" else self.evaluate(argument).data)
            elif function.percentages and self._bare_close(argument):
                key = self.reads[getattr(argument, "id", None) or argument.value.id]
                series.append(Value(self.ratio_close(key), key))
            else:
                series.append(self.evaluate(argument))
        if node.func.id == "on_traded":
            return Value(self.traded_values(series[0]), self.traded)
        if node.func.id == "happened":
            return Value(self._happened(series[0]), self.traded)
        data, calendar = self._together(series)
        return Value(function.compute(*data, *scalars), calendar)

    def _bare_close(self, node: ast.expr) -> bool:
        """`node` is a read's close as written (`gc` or `gc.close`), nothing computed on it."""
        if isinstance(node, ast.Attribute):
            return node.attr == "close" and isinstance(node.value, ast.Name) and \
                node.value.id in self.reads
        return isinstance(node, ast.Name) and node.id in self.reads

    def _happened(self, condition: Value) -> pd.Series:
        """True at each traded bar by which a new bar holding `condition` became known: a
        running count of its bars, aligned onto the traded bars as known, rising since the
        previous traded bar (aligning the condition itself would keep only the last bar known,
        and lose an event on a day the traded market is shut)."""
        if condition.calendar == self.traded:
            return condition.data
        count = condition.data.astype(float).cumsum()
        return self.onto_traded(count, condition.calendar).diff() > 0

    @staticmethod
    def _whole(value, function: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ExpressionError(f"{function}: bars must be a whole number >= 1, got {value!r}")
        return value


def scalar(tree: ast.expr, parameter: Callable) -> Any:
    """A parameter-only expression (a constraint, a panel threshold) at the parameters
    `parameter(name)` reads."""
    evaluator = Evaluator({}, ("", ""), None, None, parameter)
    return evaluator.evaluate(tree).data
