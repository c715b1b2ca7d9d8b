"""The event calendar on a chart: BOJ, FOMC and MOF decisions inside a panel's window, drawn
as thin dotted verticals in the kind's colour with a diamond at the panel's highest close whose
tooltip is the decision; never numbered. Distinct in glyph from an episode's triggers (red
dashed lines, lettered boxes A, B, ...) and from trades (triangles in, hollow circles out, the
only marks with numbers, as in the blotter)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from unwind.pages.charts import Panel

COLOURS = {"boj": "#7b2cbf", "fomc": "#0077b6", "mof": "#8d6e63"}
NAMES = {"boj": "BOJ decision", "fomc": "FOMC statement", "mof": "MOF intervention"}
MOST_LINES = 40


def inside(times: pd.DatetimeIndex) -> list:
    """The calendar's events whose decision was public between the first and last of `times`."""
    from feeds import events

    if not len(times):
        return []
    first, last = times[0], times[-1]
    return [event for event in events.events(start=(first - pd.Timedelta(days=1)).date()
                                             .isoformat(), end=last.date().isoformat())
            if first <= event.instant <= last]


def draw(panel: Panel, found: list, positions: np.ndarray, top: float) -> None:
    """Mark `found` events at x `positions` (bar positions) on `panel`; `top` is the y of the
    diamonds (the panel's highest value). More than MOST_LINES events (a window of years: 25
    years hold about 400) get the diamonds only: their lines would hide the price."""
    positions = np.asarray(positions, dtype=float)
    lines = len(found) <= MOST_LINES
    for kind, colour in COLOURS.items():
        chosen = [i for i, event in enumerate(found) if event.kind == kind]
        if not chosen:
            continue
        x = positions[chosen]
        if lines:
            panel.verticals(x, colour, 0.9, "2 2")
        panel.markers(x, np.full(len(x), top), "d", [colour] * len(x),
                      [found[i].label() for i in chosen], size=3.5)
        panel.mark_legend(NAMES[kind], colour, "d")
