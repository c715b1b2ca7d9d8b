"""Zoom, pan and a cursor read-out for a page's time panels, in the browser and offline.

The same `charts.Panel`s the SVG is drawn from are drawn again by uPlot (vendored once in
`unwind/pages/vendor`, MIT; no network, no CDN): every bar of every line at full resolution, so a
ten-year hourly curve can be zoomed down to one trade.

Where the script lives: a lone run folder's page inlines it (one file a person can mail, about
53 kB of it uPlot and our glue). A scorecard folder holds a hundred and more tear sheets, so it
writes one copy at its root (`write_assets`: `<scorecard>/assets/`) and each page inside it links
that copy by a relative path (`../../../assets/uPlot.iife.min.js`), which a browser opens from
disk as it opens the page. Which one a page gets is decided by the folder alone
(`shared_assets`: an ancestor whose assets/ holds byte-identical copies of this version's
files), so `unwind report DIR` writes the page the scorecard wrote, and a cell folder copied out
of its scorecard and reported again is self-contained. A page whose linked copy is gone still
reads: without the script it shows its SVG charts. The SVG stays in
the page for readers without JavaScript, for screenshots and for tests; a page that runs the
script marks <body class=zoomed> and the SVG of each zoomable panel gives way to its chart.

What the browser gets per panel: its lines, fills and dots on the bar axis (x = bar position
0..n-1, one value per bar, null where none), and its thresholds, verticals, shaded spans,
trade markers and segments, drawn on top; for the hover tooltip, each marker's text (a trade's
blotter line), the exchange's time zone of a price panel and, over a window of weeks, each
bar's open, high and low (a ten-year hourly page keeps its close only: three more series would
add megabytes). Values travel as a text of differences of integers
(`_encode`): an hourly equity curve changes by a few digits a bar, so 59,000 bars cost a few
hundred kB, not megabytes. Eight significant digits: a ZN price in 1/64ths survives.

One gesture language for every panel, synchronised across them: drag across a chart to zoom
to that range, the wheel zooms at the cursor, Shift+wheel (or a sideways swipe) and the
arrow buttons pan, double-click or the reset button shows everything again. The read-out
above the charts names the bar under the cursor (its number and UTC time); each chart's own
legend gives its values at that bar, and a tooltip beside the cursor gives the bar's time (UTC
and the exchange's), its open, high, low and close or each line's value in its unit, and the
trade of a marker under the cursor.
"""

from __future__ import annotations

import json
import os
from functools import cache
from html import escape
from pathlib import Path

import numpy as np
import pandas as pd

from unwind.pages.charts import Panel

VENDOR = Path(__file__).with_name("vendor")
DIGITS = 8              # significant digits kept of each series
SERIES_KINDS = ("line", "fill", "dots")


ASSETS = "assets"    # the folder a scorecard shares its pages' script in
SCRIPT, STYLE, GLUE = "uPlot.iife.min.js", "uPlot.min.css", "unwind-zoom.js"


@cache
def _vendored() -> dict[str, str]:
    """File name -> text: uPlot's script (its banner comment replaced by one without an
    address: nothing in the page looks like a link to fetch), its style sheet and our glue."""
    script = (VENDOR / SCRIPT).read_text()
    first, rest = script.split("\n", 1)
    assert first.startswith("/*!") and "uPlot" in first, "unexpected uPlot build"
    banner = ("/* uPlot 1.6.32, (c) 2022 Leon Sorokin, MIT license: "
              "unwind/pages/vendor/uPlot.LICENSE */")
    return {SCRIPT: banner + "\n" + rest, STYLE: (VENDOR / STYLE).read_text(),
            GLUE: (VENDOR / GLUE).read_text()}


def write_assets(root: Path) -> Path:
    """Write the pages' shared script, style and glue into `root`/assets (a scorecard folder,
    before its cells: a page written in any worker finds them there); returns the folder."""
    folder = Path(root) / ASSETS
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in _vendored().items():
        target = folder / name
        if not target.exists() or target.read_text() != text:
            target.write_text(text)
    return folder


def _holds_ours(folder: Path) -> bool:
    """Whether `folder` holds this version's three files byte for byte (a copy left by another
    version could not draw this page's data)."""
    try:
        return all((folder / name).read_text() == text for name, text in _vendored().items())
    except (OSError, UnicodeDecodeError):
        return False


def shared_assets(directory: Path) -> str | None:
    """The relative URL (from `directory`) of the nearest ancestor's assets/ holding this
    version's files, e.g. '../../../assets/'; None: the page inlines them."""
    directory = Path(os.path.abspath(directory))   # '..' folded as a browser folds it in a URL
    for depth, ancestor in enumerate(directory.parents, start=1):
        if _holds_ours(ancestor / ASSETS):
            return "../" * depth + ASSETS + "/"
    return None


# A run's field by (missing, repeated): its integer, with '*count' when repeated.
_FIELDS = np.array(["%d", "%d*%d", "", "*%d"], dtype=object)


def _runs(whole: np.ndarray, missing: np.ndarray | None = None) -> str:
    """Integers as decimal fields joined by commas (an empty field where `missing`), a run of
    one field written once as 'field*count' (an hourly clock's 3600s, a flat equity's 0s).
    Runs are found on the arrays, and every field is written by one % over them all (a Python
    call a field took a ten-year hourly page's time)."""
    whole = np.asarray(whole, dtype=np.int64)
    if not len(whole):
        return ""
    if missing is None:
        missing = np.zeros(len(whole), dtype=bool)
    else:
        whole = np.where(missing, 0, whole)   # every missing field the same, for the runs
    same = (whole[1:] == whole[:-1]) & (missing[1:] == missing[:-1])
    starts = np.flatnonzero(np.r_[True, ~same])
    counts = np.diff(np.r_[starts, len(whole)])
    empty, repeated = missing[starts], counts > 1
    written = np.column_stack([whole[starts], counts])[np.column_stack([~empty, repeated])]
    return ",".join(_FIELDS[2 * empty + repeated].tolist()) % tuple(written.tolist())


def _encode(values: np.ndarray, digits: int = DIGITS) -> tuple[str, float]:
    """Values as (text, scale): integers value/scale written as differences from the previous
    finite one, an empty field for a missing value, runs collapsed (`_runs`). `scale` keeps
    `digits` significant digits of the largest magnitude."""
    values = np.asarray(values, dtype=float)
    finite = np.isfinite(values)
    if not finite.any():
        return _runs(np.zeros(len(values), dtype=np.int64), ~finite), 1.0
    largest = float(np.abs(values[finite]).max()) or 1.0
    scale = float(f"{10.0 ** (np.floor(np.log10(largest)) + 1 - digits):.0e}")
    whole = np.rint(values[finite] / scale).astype(np.int64)
    differences = np.zeros(len(values), dtype=np.int64)
    differences[finite] = np.diff(whole, prepend=0)
    return _runs(differences, ~finite), scale


def _on_bars(x: np.ndarray, y: np.ndarray, bars: int) -> np.ndarray:
    """A mark's values on the bar grid (the nearest bar; NaN where it has none)."""
    values = np.full(bars, np.nan)
    index = np.rint(np.asarray(x, dtype=float)).astype(np.int64)
    keep = (index >= 0) & (index < bars)
    values[index[keep]] = np.asarray(y, dtype=float)[keep]
    return values


def _overlays(panel: Panel, tips: list[str]) -> list[dict]:
    """What is drawn over the series, in data coordinates. A marker's tooltip (a trade's
    blotter line) is a number into `tips`, which this appends to: a trade's entry and exit
    markers share one text."""
    drawn = []
    known: dict[str, int] = {}

    def tip(text: str) -> int:
        if text not in known:
            known[text] = len(tips)
            tips.append(text)
        return known[text]

    for mark in panel.marks:
        style = mark.style
        if mark.kind == "threshold":
            drawn.append({"kind": "threshold", "y": float(mark.y[0]), "text": style["text"],
                          "colour": style["colour"], "above": bool(style["above"])})
        elif mark.kind == "verticals":
            drawn.append({"kind": "verticals", "x": np.round(mark.x, 3).tolist(),
                          "colour": style["colour"], "dash": style["dash"]})
        elif mark.kind == "spans":
            drawn.append({"kind": "spans", "x": np.round(mark.x, 3).tolist(),
                          "colour": style["colour"], "opacity": style["opacity"]})
        elif mark.kind == "markers":
            drawn.append({"kind": "markers", "x": np.round(mark.x, 3).tolist(),
                          "y": [float(f"{v:.{DIGITS}g}") for v in mark.y.tolist()],
                          "shape": style["shape"], "colours": style["colours"],
                          "hollow": bool(style["hollow"]), "size": float(style["size"]),
                          "tips": [tip(text) for text in style["titles"]]})
        elif mark.kind == "band":   # one colour per bar: runs of a code as spans
            codes = mark.y
            changes = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
            stops = np.r_[changes[1:], len(codes)]
            for code, colour in enumerate(style["colours"]):
                chosen = codes[changes] == code
                drawn.append({"kind": "spans", "colour": colour, "opacity": 1,
                              "x": np.c_[changes[chosen] - 0.5, stops[chosen] - 0.5].tolist()})
        elif mark.kind == "segments":
            drawn.append({"kind": "segments", "x": np.round(mark.x, 3).tolist(),
                          "y": [[float(f"{v:.{DIGITS}g}") for v in pair]
                                for pair in mark.y.tolist()], "colours": style["colours"]})
    return drawn


def panel_data(panel: Panel, bars: int, labels: list[str]) -> dict:
    """One panel for the browser: its series on the bar grid and its overlays."""
    series: list[dict] = []
    for mark, label in zip([m for m in panel.marks if m.kind in SERIES_KINDS], labels):
        text, scale = _encode(_on_bars(mark.x, mark.y, bars))
        if series and series[-1]["fill"] and series[-1]["values"] == text:
            series[-1]["width"] = mark.style.get("width", 1.0)   # a fill's outline: one series
            continue
        series.append({"label": label, "colour": mark.style["colour"],
                       "width": mark.style.get("width", 1.0) if mark.kind != "fill" else 0,
                       "dash": mark.style.get("dash", ""),
                       "fill": mark.style.get("opacity", 0) if mark.kind == "fill" else 0,
                       "step": bool(mark.style.get("step")), "dots": mark.kind == "dots",
                       "values": text, "scale": scale})
    tips: list[str] = []
    drawn = {"heading": panel.heading, "height": panel.height, "width": panel.width,
             "left": panel.left, "format": panel.value_format, "log": bool(panel.log),
             "series": series, "overlays": _overlays(panel, tips), "tips": tips,
             "zone": panel.timezone}
    if panel.candles is not None:
        drawn["candles"] = [dict(zip(("values", "scale"), _encode(panel.candles[:, column])))
                            for column in range(3)]
    return drawn


def series_labels(panel: Panel) -> list[str]:
    """A name for each series of a panel: its label, else the heading's first words."""
    return [m.style.get("label") or panel.heading.split(";")[0].split(",")[0][:40]
            for m in panel.marks if m.kind in SERIES_KINDS]


def timeline(panels: list[Panel], times: pd.DatetimeIndex, triggers=(), names: str = "",
             lettered: tuple[int, ...] = (), assets: str | None = None) -> str:
    """The page's zoom data, uPlot and the glue, once: put it at the end of the body. Panel k
    of `panels` is the one rendered with `render(..., zoom=k)`; `triggers` (bar positions)
    are drawn through every panel as on the SVG, named by `names` on the panels `lettered`.
    `assets`: the relative URL of a shared copy of the script (`shared_assets`); None inlines
    it."""
    from unwind.pages.charts import TRIGGER

    bars = len(times)
    seconds = times.as_unit("s").asi8     # whole seconds, as differences
    time_text = _runs(np.diff(seconds, prepend=0))
    data = {"bars": bars, "times": time_text,
            "panels": [panel_data(panel, bars, series_labels(panel)) for panel in panels]}
    if len(triggers):
        for number, drawn in enumerate(data["panels"]):
            drawn["overlays"].append({"kind": "verticals", "colour": TRIGGER, "dash": "4 3",
                                      "x": np.round(np.asarray(triggers, float), 3).tolist(),
                                      "names": names if number in lettered else ""})
    payload = json.dumps(data, separators=(",", ":")).replace("</", "<\\/")
    data_script = f"<script type='application/json' id=zoom-data>{payload}</script>"
    if assets is not None:
        return (f"<link rel=stylesheet href='{assets}{STYLE}'>{data_script}"
                f"<script src='{assets}{SCRIPT}'></script><script src='{assets}{GLUE}'></script>")
    vendored = _vendored()
    return (f"<style>{vendored[STYLE]}</style>{data_script}<script>{vendored[SCRIPT]}</script>"
            f"<script>{vendored[GLUE]}</script>")


def toolbar() -> str:
    """The controls and the read-out above the zoomable charts (hidden without JavaScript)."""
    return ("<div class=zoombar hidden><button type=button data-pan=-1 title='pan left'>&#9664;"
            "</button><button type=button data-pan=1 title='pan right'>&#9654;</button>"
            "<button type=button data-reset title='show everything'>reset</button> "
            "<span class=zoomrange></span> <span class=readout>cursor: -</span>"
            f"<div class=caption>{escape(HELP)}</div></div>")


HELP = ("Zoom: drag across a chart to zoom to that range; the wheel zooms at the cursor; "
        "Shift+wheel or the arrows pan; double-click or reset shows everything. Every chart "
        "follows; its legend gives its values at the bar under the cursor.")
