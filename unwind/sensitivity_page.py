"""sensitivity.html: where a playbook's default sits in the grid a sweep ran, in words and charts.

The read. A neighbour of the default is the trial one grid step away on one numeric axis (the
value just below or just above the default's), every other parameter at its default; values of
a text or yes/no parameter are other rules, not neighbours, and are listed apart. The default
sits on a plateau when every neighbour's total return is within the band of the default's, on
an edge when one is not. The band is one risk budget on the account, 1 percentage point of
total return (10,000 USD on the 1M USD default account: one typical day's move of a position
sized by the default risk budget), or a quarter of the default's own total return when that is
larger (a result of +20% is not "moved" by a neighbour's +19%).

The page: the sentence, the multiple-testing numbers (deflated Sharpe of the best trial, PBO),
a heat map of total return for each pair of swept parameters and a line for each one (the other
parameters at their defaults, the default marked), the neighbours and the ten best trials.
"""

from __future__ import annotations

import html
import itertools
from pathlib import Path

import numpy as np

from unwind.metrics import trades_text

METRIC = "total_return"
BAND_FLOOR = 0.01
BAND_SHARE = 0.25


def _numeric(values: tuple) -> bool:
    return all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)


def _shown(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _label(name: str, value) -> str:
    return f"{name}={_shown(value)}"


def _percent(value) -> str:
    return "n/a" if value is None else f"{value:+.2%}"


def _slice(result, fixed_axes: dict) -> dict:
    """Trials whose values equal the default on every axis not in `fixed_axes` (name -> None
    marks an axis left free)."""
    from unwind.grid import default_index

    default = result.trials[default_index(result.config)].values
    chosen = {}
    for trial in result.trials:
        if all(trial.values[name] == default[name] for name in default if name not in fixed_axes):
            chosen[tuple(trial.values[name] for name in fixed_axes)] = trial
    return chosen


def _value(trial) -> float | None:
    return trial.metrics.get(METRIC) if trial.status == "ok" else None


def read(result) -> dict:
    """The plateau-or-edge read of the default (see the module docstring)."""
    from unwind.grid import default_index

    config = result.config
    index = default_index(config)
    default = result.trials[index]
    values = default.values
    by_values = {tuple(t.values[a.name] for a in config.axes): t for t in result.trials}
    base = _value(default)
    if base is None:
        return {"verdict": "n/a", "band": None, "neighbours": [],
                "sentence": f"The default could not be scored ({default.status}).",
                "metric": METRIC}
    band = max(BAND_FLOOR, BAND_SHARE * abs(base))
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
                    METRIC: value, "sharpe_ratio": trial.metrics.get("sharpe_ratio"),
                    "trades": trial.metrics.get("trades"), "status": trial.status,
                    "within_band": value is not None and abs(value - base) <= band}
            (neighbours if _numeric(axis.values) else others).append(item)
    where = ", ".join(_label(a.name, values[a.name]) for a in config.axes)
    trades = default.metrics.get("trades") or 0
    own = f"{_percent(base)} ({trades_text(trades)})"
    # a neighbour that could not be scored (its values break a bound of the playbook together,
    # or its data is missing) is no evidence either way: listed, not judged
    unscored = [n for n in neighbours if n["status"] != "ok"]
    neighbours = [n for n in neighbours if n["status"] == "ok"]
    if not neighbours:
        verdict = "no neighbours"
        sentence = (f"The default ({where}) makes {own}; no numeric axis has a scored value "
                    "beside the default, so there is no neighbourhood to read.")
    else:
        outside = [n for n in neighbours if not n["within_band"]]
        verdict = "edge" if outside else "plateau"
        if outside:
            detail = "; ".join(f"{_label(n['parameter'], n['value'])} makes "
                               f"{_percent(n[METRIC])} ({trades_text(n['trades'])})"
                               for n in outside)
            sentence = (f"The default ({where}) sits on an edge: it makes {own}, and "
                        f"{len(outside)} of its {len(neighbours)} neighbours "
                        f"{'leaves' if len(outside) == 1 else 'leave'} the band of "
                        f"±{band * 100:.2f} percentage points: {detail}.")
        elif not trades and not any(n["trades"] for n in neighbours):
            sentence = (f"The default ({where}) sits on a plateau of no trades: neither it nor "
                        f"any of its {len(neighbours)} neighbours traded in the window.")
        else:
            sentence = (f"The default ({where}) sits on a plateau: it makes {own}, and all "
                        f"{len(neighbours)} of its neighbours are within ±{band * 100:.2f} "
                        "percentage points of it.")
    if unscored:
        sentence += " Not scored: " + "; ".join(
            f"{_label(n['parameter'], n['value'])} ({n['status']})" for n in unscored) + "."
    if others:
        sentence += " Other choices of " + ", ".join(sorted({o["parameter"] for o in others})) \
            + ": " + "; ".join(f"{_label(o['parameter'], o['value'])} makes "
                               f"{_percent(o[METRIC])}" for o in others) + "."
    return {"verdict": verdict, "metric": METRIC, "band": band, "default_value": base,
            "neighbours": neighbours + unscored, "other_choices": others, "sentence": sentence}


# ------------------------------------------------------------------------------------ charts
def _heat_map(result, first, second) -> str:
    """Total return over two axes as a table of shaded cells (red losses, green gains), the
    default outlined; each cell's tooltip names its parameters."""
    from unwind.pages import colour

    chosen = _slice(result, {first.name: None, second.name: None})
    values = {key: _value(trial) for key, trial in chosen.items()}
    known = [abs(v) for v in values.values() if v is not None and np.isfinite(v)]
    scale = max(known, default=0.0)
    default = result.trials[_default(result)].values
    header = "".join(f"<th>{html.escape(_shown(x))}</th>" for x in first.values)
    rows = []
    for y in second.values:
        cells = []
        for x in first.values:
            value = values.get((x, y))
            css = " class=default" if (x, y) == (default[first.name], default[second.name]) \
                else ""
            title = html.escape(f"{_label(first.name, x)}, {_label(second.name, y)}")
            if value is None or not np.isfinite(value):
                cells.append(f"<td class=na title='{title}'>n/a</td>")
            else:
                cells.append(f"<td{css} style='background:{colour(value, scale)}' "
                             f"title='{title}'>{value:+.1%}</td>")
        rows.append(f"<tr><th>{html.escape(_shown(y))}</th>{''.join(cells)}</tr>")
    return (f"<p class=caption>Total return by {html.escape(first.name)} (across) and "
            f"{html.escape(second.name)} (down), others at default; the default outlined.</p>"
            f"<table class='heat sweep'><tr><th>{html.escape(second.name)} \\ "
            f"{html.escape(first.name)}</th>{header}</tr>{''.join(rows)}</table>")


def _default(result) -> int:
    from unwind.grid import default_index

    return default_index(result.config)


def _line(result, axis_, read_: dict) -> str:
    from unwind.charts import Panel, percent_labels, render

    chosen = _slice(result, {axis_.name: None})
    values = [_value(chosen[(v,)]) if (v,) in chosen else None for v in axis_.values]
    numbers = np.array([np.nan if v is None else v for v in values], dtype=float)
    xs = np.arange(len(numbers), dtype=float)
    panel = Panel(f"Total return by {axis_.name} (others at default)", 190,
                  (-0.5, len(xs) - 0.5), percent_labels, width=720)
    base = read_.get("default_value")
    if base is not None and read_.get("band") is not None:
        panel.hspan(base - read_["band"], base + read_["band"], "#f0c040", 0.25,
                    label="the band around the default")
    panel.line(xs, numbers, "#1f5fa8", 1.4)
    known = np.isfinite(numbers)
    panel.markers(xs[known], numbers[known], "o", ["#1f5fa8"] * int(known.sum()),
                  [f"{_label(axis_.name, axis_.values[i])}: total return {_percent(numbers[i])}"
                   for i in np.flatnonzero(known)], size=3.0)
    position = axis_.values.index(result.trials[_default(result)].values[axis_.name])
    panel.verticals([position], "#b3261e", 0.8, dash="1 2")
    if known[position]:
        panel.markers([position], [numbers[position]], "o", ["#b3261e"],
                      [f"the default: {_percent(numbers[position])}"], size=6.0)
        panel.mark_legend("default", "#b3261e", "dot")
    return render(panel, x_ticks=(xs, [_shown(v) for v in axis_.values]),
                  alt=f"line {axis_.name}")


def _table(rows: list[dict], columns: list[str]) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = ""
    for row in rows:
        cells = []
        for column in columns:
            value = row.get(column)
            if isinstance(value, float) and column in ("total_return", "max_drawdown"):
                text = _percent(value)
            elif isinstance(value, float):
                text = f"{value:.4g}"
            else:
                text = "n/a" if value is None else str(value)
            cells.append(f"<td>{html.escape(text)}</td>")
        body += "<tr>" + "".join(cells) + "</tr>"
    return f"<table><tr>{head}</tr>{body}</table>"


def write(result, document: dict, path: Path, top_trials: list) -> Path:
    """Write sensitivity.html for a sweep and its sweep.json `document`; `top_trials` are the
    best trials, best first, shown in a table."""
    from unwind.pages import page

    config = result.config
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
             "default. Band: ±max(1 percentage point, a quarter of the default's total "
             "return).</p>"]
    rank = document["default"]["rank"]
    parts.append(f"<p>The default ranks {rank} of {document['counts']['ranked']} trials with a "
                 "Sharpe ratio.</p>" if rank else
                 f"<p>{html.escape(document['default']['rank_note'])}.</p>")
    if best:
        where = ", ".join(_label(k, v) for k, v in best["parameters"].items())
        parts.append(f"<p>Best trial #{best['trial']} ({html.escape(where)}): Sharpe "
                     f"{best['metrics']['sharpe_ratio']:.2f}, total return "
                     f"{_percent(best['metrics']['total_return'])}.</p>")
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
        parts += [_heat_map(result, first, second)
                  for first, second in itertools.combinations(axes, 2)]
    parts.append("<h2>One parameter at a time</h2>")
    parts += [_line(result, axis, read_) for axis in axes]
    if read_.get("neighbours") or read_.get("other_choices"):
        parts.append("<h2>Neighbours of the default</h2>")
        parts.append(_table(read_.get("neighbours", []) + read_.get("other_choices", []),
                            ["parameter", "value", "trial", "total_return", "sharpe_ratio",
                             "trades", "within_band", "status"]))
    top = [{"trial": t.index, **t.values, **{k: t.metrics.get(k) for k in
                                              ("sharpe_ratio", "total_return", "max_drawdown",
                                               "trades")}}
           for t in top_trials]
    if top:
        parts.append("<h2>The ten best trials</h2>")
        parts.append(_table(top, ["trial", *[a.name for a in axes], "sharpe_ratio",
                                  "total_return", "max_drawdown", "trades"]))
    synthetic = any(s.get("synthetic") for s in document.get("data", []))
    path.write_text(page(f"Sweep {config.playbook}", synthetic, "".join(parts)))
    return path
