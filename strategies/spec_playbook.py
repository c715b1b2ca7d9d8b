"""A validated spec (strategies/spec.py) as a playbook the engine and the screen run unchanged.

`build(spec)` gives a module with what a Python playbook module defines (strategies/__init__):
ID, SEED, TRADED, BAR, SIGNALS, WARMUP_DAYS, BENCHMARK, BENCHMARK_KIND, PLAIN_TWIN,
CALIBRATED_ON, a frozen `Parameters` dataclass generated from the records (bounds and
constraints checked on construction), `prepare(inputs, parameters)`, `panels(parameters)`,
`Strategy` (a LineRule with the spec's SIDE) and, when its exits are not LineRule's own,
SCREEN_EXITS in the order its Strategy reads them; plus SEARCH_SPACE (each parameter's search
range) and SPEC (the Spec it came from).
"""

from __future__ import annotations

import dataclasses
import types

import pandas as pd

from strategies import expressions
from strategies.base import CommonParameters, LineRule, Panel, backtrader_params, require
from strategies.inputs import Inputs
from strategies.spec import Spec


class SpecRule(LineRule):
    """A LineRule whose exits are the spec's, read in EXITS order (the names of
    unwind/screen.py's EXIT_RULES, as SCREEN_EXITS states them): take_profit and stop_loss
    (fractions of the entry decision's close), stop_below:LINE / target_at:LINE (the close
    against LINE's value captured at the entry decision), exit_line, and the holding limit in
    bars (hold_bars) or calendar days (hold_calendar_days)."""

    EXITS: tuple[str, ...] = ()

    def decide(self):
        entering = not self.position
        super().decide()
        if entering and self.entry_bar == len(self):
            self.levels = {rule: getattr(self.data.lines, rule.partition(":")[2])[0]
                           for rule in self.EXITS if ":" in rule}

    def exit_reason(self, data) -> str | None:
        close = data.close[0]
        move = self.SIDE * (close / self.entry_close - 1)
        for rule in self.EXITS:
            name = rule.partition(":")[0]
            if name == "take_profit" and self.p.take_profit and move >= self.p.take_profit:
                return "target"
            if name == "stop_loss" and self.p.stop_loss and move <= -self.p.stop_loss:
                return "stop"
            if name == "stop_below" and close < self.levels[rule]:
                return "stop"
            if name == "target_at" and close >= self.levels[rule]:
                return "target"
            if name == "exit_line" and data.exit[0] > 0:
                return "signal"
            if name.startswith("hold") and self.holding_limit_reached(data):
                return "time"
        return None

    def holding_limit_reached(self, data) -> bool:
        if "hold_calendar_days" in self.EXITS:
            return data.close_time[0] - self.entry_time >= self.p.hold_days
        return super().holding_limit_reached(data)


# LineRule's own exits (unwind/screen.py LINE_RULE_EXITS): a spec reading only these runs on
# LineRule itself, with no SCREEN_EXITS.
_LINE_RULE_ORDER = ("take_profit", "stop_loss", "exit_line", "hold_bars")


def _parameters_class(spec: Spec, module_name: str) -> type:
    def post_init(self):
        CommonParameters.__post_init__(self)
        for parameter in spec.parameters:
            value = getattr(self, parameter.name)
            if parameter.bounds is not None:
                low, high = parameter.bounds
                require(low <= value <= high, f"{parameter.name} must be in [{low:g}, "
                                              f"{high:g}] ({parameter.unit}), got {value}")
            elif parameter.unit == "choice":
                require(value in parameter.choices,
                        f"{parameter.name} must be one of {', '.join(parameter.choices)}")
        for text, tree in spec.constraints:
            require(bool(expressions.scalar(tree, lambda name: getattr(self, name))),
                    f"need {text}")

    def reduce(self):
        return _rebuilt, (str(spec.path), dataclasses.asdict(self))

    fields = [(p.name, p.type, dataclasses.field(default=p.default)) for p in spec.parameters]
    return dataclasses.make_dataclass(
        "Parameters", fields, bases=(CommonParameters,), frozen=True,
        namespace={"__post_init__": post_init, "__reduce__": reduce,
                   "__module__": __name__,
                   "__doc__": f"The parameters of {spec.id} (from {spec.path.name})."})


def _rebuilt(path: str, values: dict):
    """A spec's Parameters in another process (a pickled sweep payload): the spec registered
    there by its path, then the same values."""
    import strategies

    return strategies.get(strategies.register(path)).Parameters(**values)


def _prepare(spec: Spec):
    traded = (spec.symbol, spec.bar)

    def prepare(inputs: Inputs, parameters) -> dict[str, pd.DataFrame]:
        """The spec's lines, each computed on its own series' calendar and aligned onto the
        traded bars as known there; entry and exit 0 where they cannot be decided."""
        evaluator = expressions.Evaluator(
            spec.reads, traded, lambda key: inputs.frame(*key),
            lambda series, key: inputs.aligned(series, *key, traded).iloc[:, 0],
            lambda name: getattr(parameters, name))
        index = inputs.frame(*traded).index
        columns = {}
        for name, tree in spec.lines.items():
            value = evaluator.evaluate(tree)
            evaluator.lines[name] = value
            columns[name] = _on_traded(evaluator, value, index)
        for name, tree in (("entry", spec.entry), ("exit", spec.exit)):
            columns[name] = 0.0 if tree is None else \
                _on_traded(evaluator, evaluator.evaluate(tree), index).fillna(0.0)
        return {spec.symbol: pd.DataFrame(columns, index=index)}

    return prepare


def _on_traded(evaluator: expressions.Evaluator, value: expressions.Value,
               index: pd.DatetimeIndex) -> pd.Series:
    """A line as a float column of the traded frame (a condition as 1/0, NaN where a series
    of another calendar was not known yet)."""
    data = value.data
    if value.calendar not in (None, evaluator.traded) and data.dtype == bool:
        return evaluator.onto_traded(data.astype(float), value.calendar).set_axis(index)
    return pd.Series(evaluator.traded_values(value), index=index).astype(float)


def _panels(spec: Spec):
    def panels(parameters) -> tuple[Panel, ...]:
        values = {p.name: getattr(parameters, p.name) for p in spec.parameters}
        return tuple(Panel(panel["title"].format(**values), panel["lines"], panel["unit"],
                           tuple((label, float(expressions.scalar(tree, values.get)))
                                 for label, tree in panel["thresholds"]))
                     for panel in spec.panels)

    return panels


def _strategy(spec: Spec, parameters: type) -> tuple[type, tuple[str, ...] | None]:
    """The Strategy class, and SCREEN_EXITS (None when LineRule's own exits serve)."""
    own = all(name in _LINE_RULE_ORDER for name in spec.exits)
    base = LineRule if own else SpecRule
    namespace = {"params": backtrader_params(parameters), "SIDE": spec.side,
                 "__module__": parameters.__module__,
                 "__doc__": f"{spec.id}: {'long' if spec.side > 0 else 'short'} "
                            f"{spec.symbol} on the spec's entry line."}
    if not own:
        namespace["EXITS"] = spec.exits
    strategy = types.new_class("Strategy", (base,), exec_body=lambda body: body.update(namespace))
    return strategy, None if own else spec.exits


def build(spec: Spec) -> types.ModuleType:
    """The playbook module of `spec` (see the module docstring)."""
    name = f"strategies.specs.{spec.id}"
    summary = spec.thesis.split("\n\n")[0].replace("\n", " ")
    module = types.ModuleType(name, f"{spec.id}: {summary}\n\n{spec.thesis}\n")
    parameters = _parameters_class(spec, name)
    strategy, screen_exits = _strategy(spec, parameters)
    twin = spec.plain_twin
    module.__dict__.update(
        ID=spec.id, SEED=spec.seed, TRADED=(spec.symbol,), BAR=spec.bar,
        SIGNALS=tuple(dict.fromkeys(k for k in spec.reads.values()
                                    if k != (spec.symbol, spec.bar))),
        WARMUP_DAYS=spec.warmup_days, BENCHMARK_KIND=spec.benchmark,
        BENCHMARK="flat" if spec.benchmark == "flat" else f"buy and hold {spec.symbol}",
        PLAIN_TWIN=twin, CALIBRATED_ON=spec.calibrated_on, Parameters=parameters,
        prepare=_prepare(spec), panels=_panels(spec), Strategy=strategy, SPEC=spec,
        SEARCH_SPACE={p.name: p.search for p in spec.parameters}, __file__=str(spec.path))
    if screen_exits is not None:
        module.SCREEN_EXITS = screen_exits
    if twin:
        try:
            parameters(**twin)
        except ValueError as error:
            from strategies.spec import SpecError

            raise SpecError(f"{spec.path}: plain_twin: {error}") from None
    try:
        parameters()
    except ValueError as error:
        from strategies.spec import SpecError

        raise SpecError(f"{spec.path}: the defaults break a rule: {error}") from None
    return module
