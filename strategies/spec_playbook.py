"""A validated spec (strategies/spec.py) as a playbook the engine and the screen run unchanged.

`build(spec)` gives a module with what a Python playbook module defines (strategies/__init__):
ID, SEED, TRADED, BAR, SIGNALS, WARMUP_DAYS, BENCHMARK, BENCHMARK_KIND, PLAIN_TWIN,
CALIBRATED_ON, a frozen `Parameters` dataclass generated from the records (bounds and
constraints checked on construction), `prepare(inputs, parameters)`, `panels(parameters)`,
`Strategy` (a LineRule with the spec's SIDE reading the exits the spec declares) and EXITS
(the same tuple, strategies/exits.py); plus SEARCH_SPACE (each parameter's search
range) and SPEC (the Spec it came from). Where a parameter chooses what it trades or reads
(`symbol = "{future}"`), TRADED and SIGNALS are the defaults' and `traded(parameters)` and
`signals_for(parameters)` say it for any parameters.
"""

from __future__ import annotations

import dataclasses
import types

import pandas as pd

from strategies import expressions
from strategies.base import CommonParameters, LineRule, backtrader_params, require
from strategies.panel import Panel
from strategies.inputs import Inputs
from strategies.spec import Spec


def _parameters_class(spec: Spec, module_name: str) -> type:
    def post_init(self):
        CommonParameters.__post_init__(self)
        for parameter in spec.parameters:
            value = getattr(self, parameter.name)
            if parameter.bounds is not None:
                low, high = parameter.bounds
                require(low <= value <= high and abs(value) != float("inf"), parameter.says or (
                    f"{parameter.name} must be >= {low:g}" if high == float("inf") else
                    f"{parameter.name} must be in [{low:g}, {high:g}] ({parameter.unit}), "
                    f"got {value}"))
            elif parameter.unit == "choice":
                require(value in parameter.choices, parameter.says or
                        f"{parameter.name} must be one of {', '.join(parameter.choices)}")
        for says, tree in spec.constraints:
            require(bool(expressions.scalar(tree, lambda name: getattr(self, name))), says)

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


def _evaluator(spec: Spec, inputs: Inputs, parameters) -> expressions.Evaluator:
    """An Evaluator of the spec's expressions on `inputs` at `parameters` (the series the
    parameters choose)."""
    def parameter(name):
        return getattr(parameters, name)

    traded = spec.traded_at(parameter)
    return expressions.Evaluator(
        spec.reads_at(parameter), traded, lambda key: inputs.frame(*key),
        lambda series, key: inputs.aligned(series, *key, traded).iloc[:, 0], parameter,
        lambda key: inputs.ratio_close(*key))


def source_line(spec: Spec, name: str, inputs: Inputs, parameters) -> pd.Series:
    """The spec's line `name` on its own series' calendar, not aligned onto the traded bars
    (the source's dates a rule fired on, for a playbook's notes); computes only the lines it
    names."""
    evaluator = _evaluator(spec, inputs, parameters)

    class Needed(dict):
        def __contains__(self, line):
            return line in spec.lines

        def __missing__(self, line):
            self[line] = evaluator.evaluate(spec.lines[line])
            return self[line]

    evaluator.lines = Needed()
    return evaluator.lines[name].data


def _prepare(spec: Spec, parameters_class: type):
    def prepare(inputs: Inputs, parameters) -> dict[str, pd.DataFrame]:
        """The spec's lines, each computed on its own series' calendar and aligned onto the
        traded bars as known there; entry and exit 0 where they cannot be decided. Once per
        inputs and parameters (a playbook's rule notes read them again); parameters of
        another kind (a sweep's recording stand-in) compute every time."""
        if type(parameters) is not parameters_class:
            return compute(inputs, parameters)
        return inputs.lines_once(("spec", spec.id, str(spec.path), parameters),
                                 lambda: compute(inputs, parameters))

    def compute(inputs: Inputs, parameters) -> dict[str, pd.DataFrame]:
        evaluator = _evaluator(spec, inputs, parameters)
        traded = evaluator.traded
        index = inputs.frame(*traded).index
        computed = {}
        if spec.prepare:
            frame = _named(spec.prepare[0])(inputs, parameters, traded)
            for name in spec.prepare[1]:
                computed[name] = pd.Series(frame[name].to_numpy(dtype=float), index=index)
                evaluator.lines[name] = expressions.Value(computed[name], traded)
        for name, tree in spec.lines.items():
            value = evaluator.evaluate(tree)
            evaluator.lines[name] = value
            computed[name] = _on_traded(evaluator, value, index)
        for name, tree in (("entry", spec.entry), ("exit", spec.exit)):
            computed[name] = 0.0 if tree is None else \
                _on_traded(evaluator, evaluator.evaluate(tree), index).fillna(0.0)
        return {traded[0]: pd.DataFrame({column: computed[line]
                                           for column, line in spec.columns}, index=index)}

    return prepare


def _named(function: str):
    """The Python function a spec names, "module:function"."""
    import importlib

    module, name = function.split(":")
    return getattr(importlib.import_module(module), name)


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
                     for panel in spec.panels
                     if panel["when"] is None or expressions.scalar(panel["when"], values.get))

    return panels


def _strategy(spec: Spec, parameters: type) -> type:
    """The Strategy class: a LineRule with the spec's SIDE reading the spec's EXITS."""
    namespace = {"params": backtrader_params(parameters), "SIDE": spec.side,
                 "EXITS": spec.exits, "__module__": parameters.__module__,
                 "__doc__": f"{spec.id}: {'long' if spec.side > 0 else 'short'} "
                            f"{spec.symbol} on the spec's entry line."}
    return types.new_class("Strategy", (LineRule,), exec_body=lambda body: body.update(namespace))


def build(spec: Spec) -> types.ModuleType:
    """The playbook module of `spec` (see the module docstring)."""
    name = f"strategies.specs.{spec.id}"
    summary = spec.thesis.split("\n\n")[0].replace("\n", " ")
    module = types.ModuleType(name, f"{spec.id}: {summary}\n\n{spec.thesis}\n")
    parameters = _parameters_class(spec, name)
    strategy = _strategy(spec, parameters)
    twin = spec.plain_twin
    defaults = {p.name: p.default for p in spec.parameters}.get

    def series(parameter) -> tuple[tuple[str, str], tuple[tuple[str, str], ...]]:
        """(traded (symbol, bar), the other (series, bar) read) at `parameter(name)`."""
        own = spec.traded_at(parameter)
        return own, tuple(dict.fromkeys(k for k in spec.reads_at(parameter).values()
                                        if k != own))

    def traded(parameters) -> tuple[str, ...]:
        return (series(lambda name: getattr(parameters, name))[0][0],)

    def signals_for(parameters) -> tuple[tuple[str, str], ...]:
        return series(lambda name: getattr(parameters, name))[1]

    (symbol, _), signals = series(defaults)
    module.__dict__.update(
        ID=spec.id, SEED=spec.seed, TRADED=(symbol,), BAR=spec.bar, SIGNALS=signals,
        WARMUP_DAYS=spec.warmup_days, BENCHMARK_KIND=spec.benchmark,
        BENCHMARK="flat" if spec.benchmark == "flat" else f"buy and hold {symbol}",
        PLAIN_TWIN=twin, CALIBRATED_ON=spec.calibrated_on, Parameters=parameters,
        prepare=_prepare(spec, parameters), panels=_panels(spec), Strategy=strategy, EXITS=spec.exits,
        SPEC=spec,
        SEARCH_SPACE={p.name: p.search for p in spec.parameters}, __file__=str(spec.path))
    if spec.templated:
        module.traded, module.signals_for = traded, signals_for
    if spec.rule_notes:
        module.rule_notes = _named(spec.rule_notes)
    if spec.variants is not None:
        module.VARIANTS = spec.variants
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
