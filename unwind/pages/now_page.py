"""now.html: a card per playbook from `unwind now` (unwind/studies/now.py): its status, the last 120
bars of each decision line with its thresholds and the calendar's events among them, the
position the rule would hold, every input with the stale ones in red; and the next scheduled
BOJ and FOMC decisions. Drawn with unwind.pages.charts on the tear sheet's unit axes."""

from __future__ import annotations

import os
from html import escape
from pathlib import Path

import numpy as np

from unwind.pages import event_marks
from unwind.pages.charts import render
from unwind.pages.layout import page, trading_time_ticks
from unwind.pages.unit_axes import LINE_TINTS, draw_thresholds, unit_panel

STATUS_COLOURS = {"fires": "#1a7f37", "in_position": "#1f4e9c", "quiet": "#7a8091",
                  "stale": "#b3261e", "error": "#b3261e"}
STALE = "#b3261e"
STYLE = ("<style>.card{border:1px solid #d5d9e2;padding:8px 12px;margin:14px 0}"
         ".badge{color:#fff;padding:1px 8px;border-radius:3px;font-size:12px;margin-left:8px}"
         ".stale{color:#b3261e;font-weight:700}</style>")


def _panels(playbook) -> str:
    """Each declared panel over the card's last bars, thresholds and events on it."""
    history = playbook.history
    if history is None or not len(history):
        return ""
    x_range = (-0.5, len(history) - 0.5)
    ticks = trading_time_ticks(history.index, most=8)
    found = event_marks.inside(history.index)
    positions = np.interp([e.instant.value for e in found], history.index.asi8,
                          np.arange(len(history), dtype=float)) if found else []
    charts = []
    for declared in playbook.panels:
        shown = [name for name in declared.lines if name in history]
        if not shown:
            continue
        panel = unit_panel(declared.unit, f"{declared.title} ({declared.unit})", 90, x_range)
        panel.width = 760
        x = np.arange(len(history), dtype=float)
        for number, name in enumerate(shown):
            y = history[name].to_numpy(dtype=float)
            tint = LINE_TINTS[number % len(LINE_TINTS)]
            known = np.isfinite(y)
            if known.sum() < 0.5 * len(y):   # a value only at some bars: the dots
                panel.dots(x[known], y[known], tint, label=name if len(shown) > 1 else None)
            else:
                panel.line(x, y, tint, 1.0, label=name if len(shown) > 1 else None,
                           step=declared.unit == "flag")
        draw_thresholds(panel, declared.thresholds, declared.unit)
        if found:
            top = float(np.nanmax(history[shown].to_numpy(dtype=float)))
            event_marks.draw(panel, found, positions, top)
        charts.append(render(panel, x_ticks=ticks, alt=declared.title))
    return "".join(charts)


def _card(playbook) -> str:
    colour = STATUS_COLOURS[playbook.status]
    head = (f"<h2>{escape(playbook.id)}<span class=badge style='background:{colour}'>"
            f"{escape(playbook.status)}</span></h2>")
    if playbook.error:
        return f"<div class=card>{head}<p class=stale>{escape(playbook.error)}</p></div>"
    parts = [f"<p class=sub>decision bar {escape(playbook.bar_time[:16])} UTC; entry "
             f"{'fires' if playbook.entry else 'does not fire'}</p>"]
    parts += [f"<p class=stale>stale input: {escape(line)}</p>" for line in playbook.stale_inputs]
    position = playbook.position
    if position:
        exits = "; ".join(f"{escape(e['exit'])} {e['distance']:+,.4g} away"
                          for e in position["exits"])
        parts.append(f"<p>position: {escape(position['side'])} since "
                     f"{escape(position['since'][:16])}, unrealised "
                     f"{position['unrealised_usd']:+,.0f} USD" + (f"; exits: {exits}" if exits
                                                                   else "") + "</p>")
    rows = "".join(
        f"<tr{' class=stale' if age.stale else ''}><td>{escape(age.series)} {age.bar}</td>"
        f"<td>{escape(age.last[:16])}</td><td class=num>{age.age_sessions}</td>"
        f"<td>{'stale' if age.stale else ''}</td></tr>" for age in playbook.inputs)
    parts.append("<table><tr><th>input</th><th>last bar</th><th>age (sessions)</th><th></th>"
                 f"</tr>{rows}</table>")
    parts.append(_panels(playbook))
    return f"<div class=card>{head}{''.join(parts)}</div>"


def write(report, path: Path) -> Path:
    """Write the page for `report` (unwind.studies.now.Now) to `path`; returns it."""
    path = Path(path)
    upcoming = "".join(f"<li>{escape(event['date'])} {escape(event['kind'].upper())}: "
                       f"{escape(event['what'])}</li>" for event in report.next_events)
    ends = ", ".join(f"{kind.upper()} {day}" for kind, day in report.calendar_ends.items())
    body = (STYLE + f"<h1>unwind now</h1><p class=sub>as of {escape(report.as_of)}; the event "
            f"calendar ends {escape(ends)}</p><h2>Next scheduled decisions</h2>"
            f"<ul class=caption>{upcoming or '<li>none in the calendar</li>'}</ul>"
            "<p class=caption>Dotted verticals: BOJ (purple), FOMC (blue) and MOF (brown) "
            "decisions; hover the dot for the decision.</p>"
            + "".join(_card(playbook) for playbook in report.playbooks))
    staged = path.with_name(f".{path.name}.partial")
    try:
        staged.write_text(page("unwind now", False, body))
        os.replace(staged, path)
    finally:
        staged.unlink(missing_ok=True)
    return path
