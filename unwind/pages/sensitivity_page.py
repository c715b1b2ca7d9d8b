"""sensitivity.html: where a playbook's default sits in the grid a sweep ran, in words and charts.

The read. A neighbour of the default is the trial one grid step away on one numeric axis (the
value just below or just above the default's), every other parameter at its default; values of
a text or yes/no parameter are other rules, not neighbours, and are listed apart. The default
sits on a plateau when every neighbour's Sharpe ratio lies inside the default's own 90%
bootstrap interval of its Sharpe ratio (`unwind.evidence.bootstrap`: stationary bootstrap of the
default's daily returns, seed 0, the interval the scorecard shows), on an edge when one does
not.

Why this rule: it is scale-free. It asks whether a neighbour's result is one the default itself
could have shown with other luck in the same window, so it neither depends on the size of the
default's return nor on the account's risk budget. The rule it replaces (a band of the larger of
1 percentage point and a quarter of the default's total return) called anything within
+/-64 pp of bond_hedge's 257% return a plateau over full history, and judged a short episode
by a fixed 1 pp. A Sharpe ratio (the sweep's ranking metric) rather than total return, because
a 20-year total return compounds: its interval spans hundreds of percent. A default without a
Sharpe ratio (no trades) sits on a plateau of no trades when no neighbour trades either, else
on an edge; one with too few daily returns for an interval is not read (n/a, with the reason).

Values are printed in their units: a spec playbook's declared units (`strategies.spec.UNITS`,
`format_value`), yes/no parameters as on/off, metrics as the metric registry displays them.

The page: the sentence, the multiple-testing numbers (deflated Sharpe of the best trial, PBO),
a heat map of the Sharpe ratio for each pair of swept parameters and a line for each one (the
other parameters at their defaults, the default and its interval marked), the neighbours and
the ten best trials.
"""

from __future__ import annotations

import html
import itertools
from pathlib import Path

import numpy as np

from unwind.evidence import metrics
from unwind.evidence.metrics import trades_text

METRIC = "sharpe_ratio"
CONFIDENCE = 0.90      # the interval's coverage (bootstrap.DEFAULT_CONFIDENCE, as the scorecard)
SEED = 0


def _numeric(values: tuple) -> bool:
    return all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)


def _units(playbook_id: str) -> dict[str, str]:
    """Parameter name -> unit where the playbook is a spec that declares them (else empty)."""
    import strategies
    from feeds.errors import DataError

    try:
        spec = getattr(strategies.get(playbook_id), "SPEC", None)
    except DataError:   # a playbook no longer registered (a sweep read back): no units known
        return {}
    return {parameter.name: parameter.unit for parameter in spec.parameters} if spec else {}


def _shown(value, unit: str | None = None) -> str:
    """A parameter value in its unit; yes/no as on/off; otherwise as short as it is exact."""
    from strategies.spec import format_value

    if isinstance(value, bool):
        return "on" if value else "off"
    if unit and isinstance(value, (int, float, str)):
        return format_value(value, unit)
    return f"{value:g}" if isinstance(value, float) else str(value)


def _slice(result, fixed_axes: dict) -> dict:
    """Trials whose values equal the default on every axis not in `fixed_axes` (name -> None
    marks an axis left free)."""
    default = result.trials[result.default].values
    chosen = {}
    for trial in result.trials:
        if all(trial.values[name] == default[name] for name in default if name not in fixed_axes):
            chosen[tuple(trial.values[name] for name in fixed_axes)] = trial
    return chosen


def _value(trial) -> float | None:
    return trial.metrics.get(METRIC) if trial.status == "ok" else None


def band(trial) -> tuple[tuple[float, float] | None, str]:
    """The default's CONFIDENCE bootstrap interval of its Sharpe ratio, or None and why."""
    from unwind.evidence import bootstrap

    if trial.returns is None or not len(trial.returns):
        return None, "no daily returns were kept for it"
    found = bootstrap.intervals(trial.returns.to_numpy(dtype=float), (METRIC,),
                                confidence=CONFIDENCE, seed=SEED)
    interval = found.by_metric[METRIC]
    if interval is None:
        return None, found.reasons[METRIC]
    return (interval.ci_low, interval.ci_high), ""


def read(result) -> dict:
    """The plateau-or-edge read of the default (see the module docstring)."""
    config = result.config
    units = _units(config.playbook)
    default = result.trials[result.default]
    values = default.values
    by_values = {tuple(t.values[a.name] for a in config.axes): t for t in result.trials}
    if default.status != "ok":
        return {"verdict": "n/a", "band": None, "neighbours": [], "metric": METRIC,
                "sentence": f"The default could not be scored ({default.status})."}
    base = _value(default)
    interval, why = band(default) if base is not None else (None, "")

    def label(name: str, value) -> str:
        return f"{name}={_shown(value, units.get(name))}"

    neighbours, others = [], []
    for axis in config.axes:
        position = axis.values.index(values[axis.name])
        steps = (position - 1, position + 1) if _numeric(axis.values) else \
            [p for p in range(len(axis.values)) if p != position]
        for step in steps:
            if not 0 <= step < len(axis.values):
                continue
            point = dict(values, **{axis.name: axis.values[step]})
            trial = by_values[tuple(point[a.name] for a in config.axes)]
            value = _value(trial)
            item = {"parameter": axis.name, "value": axis.values[step], "trial": trial.index,
                    METRIC: value, "total_return": trial.metrics.get("total_return"),
                    "trades": trial.metrics.get("trades"), "status": trial.status,
                    "within_band": (value is not None and interval is not None
                                    and interval[0] <= value <= interval[1])}
            (neighbours if _numeric(axis.values) else others).append(item)
    where = ", ".join(label(a.name, values[a.name]) for a in config.axes)
    trades = default.metrics.get("trades") or 0
    said = (f"{metrics.display('total_return', default.metrics.get('total_return'))} total "
            f"return, {trades_text(trades)}")
    # a neighbour that could not be scored (its values break a bound of the playbook together,
    # or its data is missing) is no evidence either way: listed, not judged
    unscored = [n for n in neighbours if n["status"] != "ok"]
    neighbours = [n for n in neighbours if n["status"] == "ok"]

    def detail(items: list[dict]) -> str:
        return "; ".join(f"{label(n['parameter'], n['value'])} has "
                         f"{metrics.display(METRIC, n[METRIC])} "
                         f"({metrics.display('total_return', n['total_return'])}, "
                         f"{trades_text(n['trades'])})" for n in items)

    if not neighbours:
        verdict = "no neighbours"
        sentence = (f"The default ({where}) makes {said}; no numeric axis has a scored value "
                    "beside the default, so there is no neighbourhood to read.")
    elif base is None:
        traded = [n for n in neighbours if n["trades"]]
        verdict = "edge" if traded else "plateau"
        sentence = (f"The default ({where}) sits on an edge: it makes no trade in the window, "
                    f"and {len(traded)} of its {len(neighbours)} neighbours trade: "
                    f"{detail(traded)}.") if traded else (
            f"The default ({where}) sits on a plateau of no trades: neither it nor any of its "
            f"{len(neighbours)} neighbours traded in the window.")
    elif interval is None:
        verdict = "n/a"
        sentence = (f"The default ({where}) has a Sharpe ratio of "
                    f"{metrics.display(METRIC, base)} ({said}) but no interval to judge its "
                    f"neighbours by: {why}.")
    else:
        outside = [n for n in neighbours if not n["within_band"]]
        verdict = "edge" if outside else "plateau"
        own = (f"its Sharpe ratio is {metrics.display(METRIC, base)} ({CONFIDENCE:.0%} "
               f"bootstrap interval {metrics.display(METRIC, interval[0])} to "
               f"{metrics.display(METRIC, interval[1])}; {said})")
        sentence = (f"The default ({where}) sits on an edge: {own}, and {len(outside)} of its "
                    f"{len(neighbours)} neighbours {'falls' if len(outside) == 1 else 'fall'} "
                    f"outside that interval: {detail(outside)}.") if outside else (
            f"The default ({where}) sits on a plateau: {own}, and all {len(neighbours)} of its "
            "neighbours have a Sharpe ratio inside that interval.")
    if unscored:
        sentence += " Not scored: " + "; ".join(
            f"{label(n['parameter'], n['value'])} ({n['status']})" for n in unscored) + "."
    if others:
        sentence += " Other choices of " + ", ".join(sorted({o["parameter"] for o in others})) \
            + ": " + "; ".join(f"{label(o['parameter'], o['value'])} has "
                               f"{metrics.display(METRIC, o[METRIC])} "
                               f"({metrics.display('total_return', o['total_return'])})"
                               for o in others) + "."
    return {"verdict": verdict, "metric": METRIC, "band": list(interval) if interval else None,
            "band_rule": f"the default's {CONFIDENCE:.0%} bootstrap interval of its Sharpe ratio",
            "default_value": base, "neighbours": neighbours + unscored,
            "other_choices": others, "sentence": sentence}


# ------------------------------------------------------------------------------------ charts
def _heat_map(result, first, second, units: dict) -> str:
    """The Sharpe ratio over two axes as a table of shaded cells (red below zero, green above),
    the default outlined; each cell's tooltip names its parameters."""
    from unwind.pages.layout import colour

    chosen = _slice(result, {first.name: None, second.name: None})
    values = {key: _value(trial) for key, trial in chosen.items()}
    known = [abs(v) for v in values.values() if v is not None and np.isfinite(v)]
    scale = max(known, default=0.0)
    default = result.trials[result.default].values
    header = "".join(f"<th>{html.escape(_shown(x, units.get(first.name)))}</th>"
                     for x in first.values)
    rows = []
    for y in second.values:
        cells = []
        for x in first.values:
            value = values.get((x, y))
            css = " class=default" if (x, y) == (default[first.name], default[second.name]) \
                else ""
            title = html.escape(f"{first.name}={_shown(x, units.get(first.name))}, "
                                f"{second.name}={_shown(y, units.get(second.name))}")
            if value is None or not np.isfinite(value):
                cells.append(f"<td class=na title='{title}'>n/a</td>")
            else:
                cells.append(f"<td{css} style='background:{colour(value, scale)}' "
                             f"title='{title}'>{metrics.display(METRIC, value)}</td>")
        rows.append(f"<tr><th>{html.escape(_shown(y, units.get(second.name)))}</th>"
                    f"{''.join(cells)}</tr>")
    return (f"<p class=caption>Sharpe ratio by {html.escape(first.name)} (across) and "
            f"{html.escape(second.name)} (down), others at default; the default outlined; "
            "n/a: no trades or not scored.</p>"
            f"<table class='heat sweep'><tr><th>{html.escape(second.name)} \\ "
            f"{html.escape(first.name)}</th>{header}</tr>{''.join(rows)}</table>")


def _line(result, axis_, read_: dict, units: dict) -> str:
    from unwind.pages.charts import Panel, plain_labels, render

    unit = units.get(axis_.name)
    chosen = _slice(result, {axis_.name: None})
    values = [_value(chosen[(v,)]) if (v,) in chosen else None for v in axis_.values]
    numbers = np.array([np.nan if v is None else v for v in values], dtype=float)
    xs = np.arange(len(numbers), dtype=float)
    panel = Panel(f"Sharpe ratio by {axis_.name} (others at default)", 190,
                  (-0.5, len(xs) - 0.5), plain_labels, width=720)
    if read_.get("band") is not None:
        panel.hspan(*read_["band"], "#f0c040", 0.25,
                    label=f"the default's {CONFIDENCE:.0%} bootstrap interval")
    panel.line(xs, numbers, "#1f5fa8", 1.4)
    known = np.isfinite(numbers)
    panel.markers(xs[known], numbers[known], "o", ["#1f5fa8"] * int(known.sum()),
                  [f"{axis_.name}={_shown(axis_.values[i], unit)}: Sharpe ratio "
                   f"{metrics.display(METRIC, numbers[i])}" for i in np.flatnonzero(known)],
                  size=3.0)
    position = axis_.values.index(result.trials[result.default].values[axis_.name])
    panel.verticals([position], "#b3261e", 0.8, dash="1 2")
    if known[position]:
        panel.markers([position], [numbers[position]], "o", ["#b3261e"],
                      [f"the default: {metrics.display(METRIC, numbers[position])}"], size=6.0)
        panel.mark_legend("default", "#b3261e", "dot")
    return render(panel, x_ticks=(xs, [_shown(v, unit) for v in axis_.values]),
                  alt=f"line {axis_.name}")


def _cell(column: str, value, units: dict) -> str:
    """One table cell's text: a metric as the registry shows it, a parameter in its unit."""
    if value is None:
        return "n/a"
    if column in metrics.BY_KEY:
        return metrics.display(column, value)
    if column == "within_band":
        return "yes" if value else "no"
    return _shown(value, units.get(column))


def _table(rows: list[dict], columns: list[str], units: dict) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = ""
    for row in rows:
        unit_of = dict(units)
        if "parameter" in row:          # a neighbour row: its value is that parameter's
            unit_of["value"] = units.get(row["parameter"])
        body += "<tr>" + "".join(f"<td>{html.escape(_cell(c, row.get(c), unit_of))}</td>"
                                 for c in columns) + "</tr>"
    return f"<table><tr>{head}</tr>{body}</table>"


def write(result, document: dict, path: Path, top_trials: list) -> Path:
    """Write sensitivity.html for a sweep and its sweep.json `document`; `top_trials` are the
    best trials, best first, shown in a table."""
    from unwind.pages.layout import page

    config = result.config
    units = _units(config.playbook)
    read_ = document["sensitivity"]
    dsr, pbo = document["deflated_sharpe"], document["pbo"]
    best = document["best"]
    parts = [f"<h1>Sweep: {html.escape(config.playbook)} over {html.escape(config.window)}</h1>",
             f"<p class=\"sub\">{config.start}..{config.end}; engine {config.engine}; "
             f"{document['counts']['trials']} trials ({document['counts']['ok']} scored, "
             f"{document['counts']['traded']} traded); ranked by {document['rank_by']}</p>",
             f"<p class=\"lead\"><b>{html.escape(read_['verdict'])}.</b> "
             f"{html.escape(read_['sentence'])}</p>",
             "<p class=\"caption\">Neighbours: one grid step along a numeric axis, the rest at "
             f"default. Plateau: every neighbour's Sharpe ratio inside the default's own "
             f"{CONFIDENCE:.0%} bootstrap interval of its Sharpe ratio (a result the default "
             "could have shown with other luck in this window); edge: one outside it.</p>"]
    rank = document["default"]["rank"]
    parts.append(f"<p>The default ranks {rank} of {document['counts']['ranked']} trials with a "
                 "Sharpe ratio.</p>" if rank else
                 f"<p>{html.escape(document['default']['rank_note'])}.</p>")
    if best:
        where = ", ".join(f"{k}={_shown(v, units.get(k))}" for k, v in best["parameters"].items())
        parts.append(f"<p>Best trial #{best['trial']} ({html.escape(where)}): Sharpe "
                     f"{metrics.display(METRIC, best['metrics']['sharpe_ratio'])}, total return "
                     f"{metrics.display('total_return', best['metrics']['total_return'])}.</p>")
    if dsr.get("deflated_sharpe") is not None:
        parts.append(
            f"<p>Deflated Sharpe ratio of the best: <b>{dsr['deflated_sharpe']:.3f}</b>, the "
            "probability that its true Sharpe ratio beats the "
            f"{dsr['expected_maximum'] * 252 ** 0.5:.2f} (annualised) that the best of "
            f"{dsr['trials']} distinct trials without skill is expected to show (Bailey and "
            "Lopez de Prado 2014; 0.95 is their bar).</p>")
    else:
        parts.append(f"<p>Deflated Sharpe ratio: n/a ({html.escape(str(dsr.get('note')))}).</p>")
    if pbo.get("probability") is not None:
        parts.append(f"<p>Probability of backtest overfitting (CSCV, {pbo['blocks']} blocks, "
                     f"{pbo['splits']:,} splits): <b>{pbo['probability']:.2f}</b>, the share "
                     "of splits where the in-sample best did no better than the median trial "
                     "out of sample.</p>")
    else:
        parts.append(f"<p>Probability of backtest overfitting: n/a "
                     f"({html.escape(str(pbo.get('note')))}).</p>")
    axes = config.axes
    if len(axes) > 1:
        parts.append("<h2>Heat maps</h2>")
        parts += [_heat_map(result, first, second, units)
                  for first, second in itertools.combinations(axes, 2)]
    parts.append("<h2>One parameter at a time</h2>")
    parts += [_line(result, axis, read_, units) for axis in axes]
    if read_.get("neighbours") or read_.get("other_choices"):
        parts.append("<h2>Neighbours of the default</h2>")
        parts.append(_table(read_.get("neighbours", []) + read_.get("other_choices", []),
                            ["parameter", "value", "trial", "total_return", "sharpe_ratio",
                             "trades", "within_band", "status"], units))
    top = [{"trial": t.index, **t.values, **{k: t.metrics.get(k) for k in
                                              ("sharpe_ratio", "total_return", "max_drawdown",
                                               "trades")}}
           for t in top_trials]
    if top:
        parts.append("<h2>The ten best trials</h2>")
        parts.append(_table(top, ["trial", *[a.name for a in axes], "sharpe_ratio",
                                  "total_return", "max_drawdown", "trades"], units))
    synthetic = any(s.get("synthetic") for s in document.get("data", []))
    path.write_text(page(f"Sweep {config.playbook}", synthetic, "".join(parts)))
    return path
