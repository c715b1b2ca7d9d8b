"""Charts as inline SVG, drawn straight from numpy arrays: every page's charts (tear sheets,
the scorecard's equity panels, a sweep's lines).

Why not matplotlib: a tear sheet has ten to fifteen panels, and matplotlib spent most of a
page's time building and laying out axes, ticks and text, while a scorecard writes one page
per cell (measured over the 146 pages of the full scorecard, one process: median 1.15 s a page
with matplotlib, 0.07 s with this module). SVG is also sharp when zoomed and carries a
tooltip on each trade. The browser lays out text: a panel's heading and
legend are HTML above its SVG; the SVG holds the plot area, grid, ticks and marks.

A panel collects marks in data coordinates, then scales y to the marks (5% margins, thresholds
and the zero of fills and bars included, as matplotlib would) and picks round ticks. A line of
more points than pixels is reduced per pixel column to its first, lowest, highest and last
point: the same picture from a few thousand points instead of 59,000. A price panel may read
on a log axis (`Panel.log`): equal percentage moves take equal heights.

The static SVG is what a reader without JavaScript, a test and a screenshot see; `unwind.pages.zoom`
draws the same panels again in the browser, at full resolution, with zoom, pan and a cursor
read-out, and hides the SVG when it does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape
from typing import Callable, Sequence

import numpy as np

# the scales live in unwind/pages/chart_scales.py; pages import them from here as before
from unwind.pages.chart_scales import (count_ticks, log_ticks, nice_ticks, percent_labels,
                                       plain_labels, tenths_texts, times_labels, usd_labels)

WIDTH = 1104            # px: the page's chart width
LEFT, RIGHT = 84, 17    # px: room for y tick labels (a panel may take less); the right margin
FONT = 10               # px: tick labels; text among the marks is one smaller
GRID, TRIGGER = "#b0b0b0", "#b3261e"
Labels = Callable[[np.ndarray], list[str]]
__all__ = ["Canvas", "Mark", "Panel", "count_ticks", "envelope", "legend_html", "log_ticks",
           "nice_ticks", "percent_labels", "plain_labels", "render", "steps", "times_labels",
           "usd_labels"]


def _path(points_x: np.ndarray, points_y: np.ndarray) -> str:
    """'Mx,y x,y ...' to 0.1 px: one format of every number at once (a page writes a few
    hundred thousand of them); a long path's numbers as `tenths_texts` gives them."""
    if len(points_x) < 400:
        flat = np.empty(2 * len(points_x))
        flat[0::2], flat[1::2] = points_x, points_y
        return "M" + ("%.1f,%.1f " * len(points_x) % tuple(flat.tolist()))[:-1]
    parts = np.empty(4 * len(points_x), dtype=object)
    parts[0::4], parts[1::4] = tenths_texts(points_x), ","
    parts[2::4], parts[3::4] = tenths_texts(points_y), " "
    return "M" + "".join(parts[:-1].tolist())


def _runs(values: np.ndarray) -> list[tuple[int, int]]:
    """[start, stop) of each stretch of finite values."""
    finite = np.isfinite(values)
    starts = np.flatnonzero(finite & ~np.r_[False, finite[:-1]])
    stops = np.flatnonzero(finite & ~np.r_[finite[1:], False]) + 1
    return list(zip(starts.tolist(), stops.tolist()))


def envelope(px: np.ndarray, py: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A line in pixels reduced to each pixel column's first, lowest, highest and last point
    (in that order): what the column shows, from at most four points."""
    if len(px) <= 4 * WIDTH:
        return px, py
    column = np.floor(px).astype(np.int64)
    starts = np.flatnonzero(np.r_[True, column[1:] != column[:-1]])
    lasts = np.r_[starts[1:], len(px)] - 1
    low, high = np.minimum.reduceat(py, starts), np.maximum.reduceat(py, starts)
    middle = column[starts] + 0.5
    xs = np.column_stack([px[starts], middle, middle, px[lasts]]).ravel()
    ys = np.column_stack([py[starts], low, high, py[lasts]]).ravel()
    return xs, ys


def steps(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A 'post' step line as a polyline: each value holds until the next x."""
    return np.repeat(x, 2)[1:], np.repeat(y, 2)[:-1]


@dataclass
class Mark:
    """One thing drawn: its kind, data-space arrays and style (read back by tests)."""

    kind: str
    x: np.ndarray
    y: np.ndarray
    style: dict = field(default_factory=dict)


@dataclass
class Panel:
    """A plot area of `height` px over `x_range`, with its heading and legend (HTML)."""

    heading: str
    height: int
    x_range: tuple[float, float]
    y_labels: Labels = plain_labels
    width: int = WIDTH
    left: int = LEFT
    y_limits: tuple[float, float] | None = None
    y_ticks: Sequence[float] | None = None
    log: bool = False         # a log y axis (prices spanning more than LOG_RATIO)
    value_format: str = "plain"   # the zoom view's read-out: usd, percent, times, price, pp,
    #                               z, flag, plain
    timezone: str = ""        # the zoom view's tooltip gives local time in it too ('' UTC only)
    candles: np.ndarray | None = None   # the zoom view's tooltip: open, high, low of each bar
    marks: list[Mark] = field(default_factory=list)
    legend: list[tuple[str, str, str]] = field(default_factory=list)  # label, colour, symbol

    # -- marks, in data coordinates
    def line(self, x, y, colour: str, width: float = 1.0, label: str | None = None,
             dash: str = "", step: bool = False) -> None:
        """`dash`: an SVG dash array ('4 3' dashed, '1 2' dotted), empty for a solid line."""
        self._add("line", x, y, colour=colour, width=width, dash=dash, step=step, label=label)
        if label:
            self.legend.append((label, colour, "line"))

    def fill(self, x, y, colour: str, opacity: float, step: bool = False,
             label: str | None = None) -> None:
        """The area between y and zero."""
        self._add("fill", x, y, colour=colour, opacity=opacity, step=step, label=label)
        if label:
            self.legend.append((label, colour, "fill"))

    def dots(self, x, y, colour: str, label: str | None = None) -> None:
        self._add("dots", x, y, colour=colour, label=label)
        if label:
            self.legend.append((label, colour, "dot"))

    def threshold(self, value: float, text: str, colour: str, above: bool) -> None:
        self._add("threshold", [], [value], colour=colour, text=text, above=above)

    def markers(self, x, y, shape: str, colours: Sequence[str], titles: Sequence[str],
                size: float = 5.0, hollow: bool = False) -> None:
        """Markers ('^', 'v', 'o' or 'd' a diamond), each with its tooltip."""
        self._add("markers", x, y, shape=shape, colours=list(colours), titles=list(titles),
                  size=size, hollow=hollow)

    def segments(self, x0, y0, x1, y1, colours: Sequence[str], width: float = 2.0) -> None:
        self._add("segments", np.c_[x0, x1], np.c_[y0, y1], colours=list(colours), width=width)

    def bars(self, x, y, colours: Sequence[str], bar_width: float) -> None:
        self._add("bars", x, y, colours=list(colours), bar_width=bar_width)

    def whiskers(self, x, low, high, colour: str) -> None:
        self._add("whiskers", np.c_[x, x], np.c_[low, high], colour=colour)

    def labels(self, x, y, texts: Sequence[str], offsets: Sequence[float]) -> None:
        """Small text at data points, `offsets` px above (negative: below) where it fits: a
        label that would leave the plot area or cover an earlier one moves (see `_place`)."""
        self._add("labels", x, y, texts=list(texts), offsets=list(offsets))

    def spans(self, starts, stops, colour: str, opacity: float) -> None:
        """Shaded x ranges over the panel's full height (y is not scaled to them)."""
        self._add("spans", np.c_[starts, stops], np.array([]), colour=colour, opacity=opacity)

    def band(self, codes: np.ndarray, colours: Sequence[str]) -> None:
        """One colour per x position from integer codes (NaN: left white)."""
        self._add("band", np.arange(len(codes), dtype=float), np.asarray(codes, dtype=float),
                  colours=list(colours))

    def hspan(self, low: float, high: float, colour: str, opacity: float,
              label: str | None = None) -> None:
        """A shaded y range across the panel's full width."""
        self._add("hspan", np.array([]), [low, high], colour=colour, opacity=opacity)
        if label:
            self.legend.append((label, colour, "fill"))

    def verticals(self, x, colour: str, width: float, dash: str = "") -> None:
        """Lines across the panel's full height at each x (y is not scaled to them)."""
        self._add("verticals", x, np.array([]), colour=colour, width=width, dash=dash)

    def mark_legend(self, label: str, colour: str, symbol: str) -> None:
        self.legend.append((label, colour, symbol))

    def _add(self, kind: str, x, y, **style) -> None:
        self.marks.append(Mark(kind, np.asarray(x, dtype=float), np.asarray(y, dtype=float),
                               style))

    # -- scales
    def limits(self) -> tuple[float, float]:
        if self.y_limits is not None:
            return self.y_limits
        values = [m.y.ravel() for m in self.marks if m.kind not in ("band", "labels")]
        values += [np.zeros(1) for m in self.marks if m.kind in ("fill", "bars")]
        values = np.concatenate(values) if values else np.zeros(0)
        values = values[np.isfinite(values)]
        if self.log:
            values = np.log10(values[values > 0])
        if values.size == 0:
            return -0.055, 0.055
        low, high = float(values.min()), float(values.max())
        margin = (high - low) * 0.05 if high > low else max(abs(high) * 0.05, 0.05)
        return low - margin, high + margin


def _marker_path(shape: str, x: float, y: float, size: float) -> str:
    if shape == "^":
        return f"M{x:.1f},{y - size:.1f}L{x + size:.1f},{y + size * 0.8:.1f}" \
               f"L{x - size:.1f},{y + size * 0.8:.1f}Z"
    if shape == "v":
        return f"M{x:.1f},{y + size:.1f}L{x + size:.1f},{y - size * 0.8:.1f}" \
               f"L{x - size:.1f},{y - size * 0.8:.1f}Z"
    if shape == "d":
        return (f"M{x:.1f},{y - size:.1f}L{x + size:.1f},{y:.1f}L{x:.1f},{y + size:.1f}"
                f"L{x - size:.1f},{y:.1f}Z")
    return (f"M{x - size:.1f},{y:.1f}a{size:.1f},{size:.1f} 0 1,0 {2 * size:.1f},0"
            f"a{size:.1f},{size:.1f} 0 1,0 {-2 * size:.1f},0")


class Canvas:
    """Pixel scales of one panel and the SVG elements drawn on it."""

    def __init__(self, panel: Panel, top: int, bottom_room: int):
        self.panel, self.top = panel, top
        self.left = panel.left
        self.plot_width = panel.width - self.left - RIGHT
        self.height = top + panel.height + bottom_room
        self.low, self.high = panel.limits()
        self.x0, self.x1 = panel.x_range
        self.parts: list[str] = []

    def px(self, x) -> np.ndarray:
        share = (np.asarray(x, dtype=float) - self.x0) / (self.x1 - self.x0)
        return self.left + share * self.plot_width

    def py(self, y) -> np.ndarray:
        """Pixels of data values (on a log panel the limits are log10 of values)."""
        span = self.high - self.low or 1.0
        y = np.asarray(y, dtype=float)
        if self.panel.log:
            with np.errstate(divide="ignore", invalid="ignore"):
                y = np.log10(np.where(y > 0, y, np.nan))
        return self.top + (self.high - y) / span * self.panel.height

    def tick_range(self) -> tuple[float, float]:
        """The y limits as values (undoing the log of a log panel)."""
        if self.panel.log:
            return 10.0 ** self.low, 10.0 ** self.high
        return self.low, self.high

    def add(self, element: str) -> None:
        self.parts.append(element)


def _dash(dash: str) -> str:
    return f" stroke-dasharray='{dash}'" if dash else ""


def _draw(canvas: Canvas, mark: Mark) -> None:
    style, kind = mark.style, mark.kind
    if kind in ("line", "fill"):
        x, y = (steps(mark.x, mark.y) if style.get("step") else (mark.x, mark.y))
        for start, stop in _runs(y):
            px, py = envelope(canvas.px(x[start:stop]), canvas.py(y[start:stop]))
            if kind == "line":
                canvas.add(f"<path d='{_path(px, py)}' fill='none' stroke='{style['colour']}' "
                           f"stroke-width='{style['width']}' stroke-linejoin='round'"
                           f"{_dash(style['dash'])}/>")
            else:
                zero = float(canvas.py(0.0))
                canvas.add(f"<path d='M{px[0]:.1f},{zero:.1f}L{_path(px, py)[1:]}"
                           f"L{px[-1]:.1f},{zero:.1f}Z' fill='{style['colour']}' "
                           f"fill-opacity='{style['opacity']}'/>")
    elif kind == "dots":
        px, py = canvas.px(mark.x), canvas.py(mark.y)
        circles = "".join(map("M{:.1f},{:.1f}a1.6,1.6 0 1,0 3.2,0a1.6,1.6 0 1,0 -3.2,0".format,
                              (px - 1.6).tolist(), py.tolist()))
        canvas.add(f"<path d='{circles}' fill='{style['colour']}'/>")
    elif kind == "threshold":
        y = float(canvas.py(mark.y[0]))
        right = canvas.panel.width - RIGHT
        canvas.add(f"<path d='M{canvas.left},{y:.1f}H{right}' stroke='{style['colour']}' "
                   f"stroke-width='0.8'{_dash('4 3')}/>")
        above = style["above"]          # the asked side, unless the text would leave the plot
        if above and y - 3 - FONT < canvas.top:
            above = False
        elif not above and y + 3 + FONT > canvas.top + canvas.panel.height:
            above = True
        shift, baseline = (-3, "auto") if above else (3, "hanging")
        canvas.add(f"<text x='{right - 4}' y='{y + shift:.1f}' text-anchor='end' "
                   f"dominant-baseline='{baseline}' font-size='{FONT - 1}' "
                   f"fill='{style['colour']}' stroke='white' stroke-width='3' "
                   f"paint-order='stroke'>{escape(style['text'])}</text>")
    elif kind == "markers":
        px, py = canvas.px(mark.x), canvas.py(mark.y)
        for a, b, colour, title in zip(px.tolist(), py.tolist(), style["colours"],
                                       style["titles"]):
            paint = (f"fill='white' stroke='{colour}' stroke-width='1.6'" if style["hollow"]
                     else f"fill='{colour}' stroke='#1d2330' stroke-width='0.7'")
            canvas.add(f"<path d='{_marker_path(style['shape'], a, b, style['size'])}' {paint}>"
                       f"<title>{escape(title)}</title></path>")
    elif kind in ("segments", "whiskers"):
        px, py = canvas.px(mark.x), canvas.py(mark.y)
        colours = style.get("colours") or [style["colour"]] * len(px)
        for colour in dict.fromkeys(colours):
            chosen = np.array([c == colour for c in colours])
            d = "".join(f"M{a:.1f},{b:.1f}L{c:.1f},{e:.1f}" for (a, c), (b, e) in
                        zip(px[chosen].tolist(), py[chosen].tolist()))
            canvas.add(f"<path d='{d}' stroke='{colour}' "
                       f"stroke-width='{style.get('width', 1.0)}' fill='none'/>")
    elif kind == "bars":
        half = style["bar_width"] / 2
        left, right = canvas.px(mark.x - half), canvas.px(mark.x + half)
        zero, tops = float(canvas.py(0.0)), canvas.py(mark.y)
        for colour in dict.fromkeys(style["colours"]):
            chosen = [i for i, c in enumerate(style["colours"]) if c == colour]
            d = "".join(f"M{left[i]:.1f},{zero:.1f}V{tops[i]:.1f}H{right[i]:.1f}V{zero:.1f}Z"
                        for i in chosen)
            canvas.add(f"<path d='{d}' fill='{colour}'/>")
    elif kind == "labels":
        for a, b, text in _place(canvas, mark):
            canvas.add(f"<text class=mark x='{a:.1f}' y='{b:.1f}' text-anchor='middle' "
                       f"dominant-baseline='middle' font-size='{FONT}' font-weight='bold' stroke='white' "
                       f"stroke-width='3' paint-order='stroke'>{escape(text)}</text>")
    elif kind == "verticals":
        d = "".join(f"M{x:.1f},{canvas.top}V{canvas.top + canvas.panel.height}"
                    for x in canvas.px(mark.x).tolist())
        canvas.add(f"<path d='{d}' stroke='{style['colour']}' stroke-width='{style['width']}'"
                   f"{_dash(style['dash'])}/>")
    elif kind == "hspan":
        low, high = canvas.py(mark.y).tolist()
        canvas.add(f"<rect x='{canvas.left}' y='{high:.1f}' width='{canvas.plot_width}' "
                   f"height='{low - high:.1f}' fill='{style['colour']}' "
                   f"fill-opacity='{style['opacity']}'/>")
    elif kind == "spans":
        top, height = canvas.top, canvas.panel.height
        d = "".join(f"M{a:.1f},{top}H{b:.1f}v{height}H{a:.1f}Z"
                    for a, b in canvas.px(mark.x).tolist())
        canvas.add(f"<path d='{d}' fill='{style['colour']}' fill-opacity='{style['opacity']}'/>")
    elif kind == "band":
        codes = mark.y
        changes = np.flatnonzero(np.r_[True, ~((codes[1:] == codes[:-1]) |
                                               (np.isnan(codes[1:]) & np.isnan(codes[:-1])))])
        stops = np.r_[changes[1:], len(codes)]
        left, right = canvas.px(changes - 0.5), canvas.px(stops - 0.5)
        top, height = canvas.top, canvas.panel.height
        for code, colour in enumerate(style["colours"]):
            chosen = np.flatnonzero(codes[changes] == code)
            if len(chosen):
                d = "".join(f"M{left[i]:.1f},{top}H{right[i]:.1f}v{height}H{left[i]:.1f}Z"
                            for i in chosen.tolist())
                canvas.add(f"<path d='{d}' fill='{colour}'/>")


def _spread(centres: list[float], room: float) -> list[float]:
    """Box centres moved right, where needed, so boxes `room` px wide do not overlap (two
    triggers a day apart on a ten-year axis share a pixel)."""
    spread: list[float] = []
    for x in centres:
        spread.append(max(x, spread[-1] + room) if spread else x)
    return spread


def _place(canvas: Canvas, mark: Mark) -> list[tuple[float, float, str]]:
    """Label centres in px: at the asked offset if the box stays inside the plot area and off
    every label placed before it, else the other side, then further out, else the nearest free
    height inside the plot area. Boxes are estimated (0.62 em a character, 1.2 em tall)."""
    size = FONT
    left, right = canvas.left, canvas.left + canvas.plot_width
    top, bottom = canvas.top, canvas.top + canvas.panel.height
    placed: list[tuple[float, float, float, float]] = []
    found = []
    for a, b, text, offset in zip(canvas.px(mark.x).tolist(), canvas.py(mark.y).tolist(),
                                  mark.style["texts"], mark.style["offsets"]):
        half_width, half_height = 0.31 * size * len(text) + 1, 0.6 * size + 1
        a = min(max(a, left + half_width), right - half_width)
        tries = [b - offset, b + offset, b - 2 * offset, b + 2 * offset]
        tries += list(np.arange(top + half_height, bottom - half_height, half_height))
        for y in tries:
            box = (a - half_width, y - half_height, a + half_width, y + half_height)
            inside = box[1] >= top and box[3] <= bottom
            if inside and not any(box[0] < o[2] and o[0] < box[2] and box[1] < o[3]
                                  and o[1] < box[3] for o in placed):
                placed.append(box)
                found.append((a, y, text))
                break
    return found


def legend_html(legend: list[tuple[str, str, str]]) -> str:
    """Legend entries (label, colour, symbol: line, fill, dot, ^, v, o, d) as HTML spans."""
    symbols = {"line": "&#9644;", "fill": "&#9632;", "dot": "&#9679;", "^": "&#9650;",
               "v": "&#9660;", "o": "&#9675;", "d": "&#9670;"}
    return " ".join(f"<span><b style='color:{colour}'>{symbols[symbol]}</b> {escape(label)}</span>"
                    for label, colour, symbol in legend)   # spaces: a long legend wraps


def render(panel: Panel, x_ticks: tuple[Sequence[float], Sequence[str]] | None = None,
           x_labels: Labels | None = None, grid_x: Sequence[float] = (),
           triggers: Sequence[float] = (), trigger_names: Sequence[str] = (),
           alt: str = "chart", zoom: int | None = None) -> str:
    """The panel as HTML: heading and legend, then its SVG. `x_ticks` (positions, labels) or
    `x_labels` (round ticks over the x range) label the x axis; without either, `grid_x` draws
    vertical grid lines only (a panel above the one with the dates). `triggers` are dashed
    vertical lines, named in boxes on this panel by `trigger_names` (letters: trades carry
    the numbers). `zoom`: the panel's number in the page's zoom data (`unwind.pages.zoom`)."""
    if x_labels is not None:
        positions = nice_ticks(*panel.x_range, most=max(4, panel.width // 80))
        x_ticks = (positions, x_labels(positions))
    top = 12 if trigger_names else FONT // 2 + 2     # room for half the top tick's label
    canvas = Canvas(panel, top, 20 if x_ticks else FONT // 2 + 2)
    right, bottom = panel.width - RIGHT, top + panel.height
    most = max(4, min(9, panel.height // 14))
    ticks = panel.y_ticks if panel.y_ticks is not None else (log_ticks if panel.log else
                                                             nice_ticks)(*canvas.tick_range(), most)
    ticks = np.asarray(ticks, dtype=float)
    grid = [f"M{panel.left},{y:.1f}H{right}" for y in canvas.py(ticks).tolist()]
    vertical = x_ticks[0] if x_ticks else grid_x
    grid += [f"M{x:.1f},{top}V{bottom}" for x in canvas.px(vertical).tolist()]
    canvas.add(f"<path d='{''.join(grid)}' stroke='{GRID}' stroke-opacity='0.3' "
               "stroke-width='0.6'/>")
    for mark in [*panel.marks, Mark("verticals", np.asarray(triggers, dtype=float), np.array([]),
                                    {"colour": TRIGGER, "width": 0.8, "dash": "4 3"})]:
        _draw(canvas, mark)
    numbers = [f"<rect x='{x - 6:.1f}' y='0' width='12' height='12' fill='{TRIGGER}'/><text "
               f"x='{x:.1f}' y='10' text-anchor='middle' font-size='9' font-weight='bold' "
               f"fill='white'>{escape(name)}</text>" for name, x in
               zip(trigger_names, _spread(canvas.px(triggers).tolist(), 13.0))]
    labels = panel.y_labels(ticks)
    text = [f"<text x='{panel.left - 5}' y='{y:.1f}' text-anchor='end' dominant-baseline='middle'>"
            f"{escape(label)}</text>" for y, label in zip(canvas.py(ticks).tolist(), labels)]
    if x_ticks:
        text += [f"<text x='{x:.1f}' y='{bottom + 14}' text-anchor='middle'>{escape(label)}"
                 "</text>" for x, label in zip(canvas.px(x_ticks[0]).tolist(), x_ticks[1])]
    frame = (f"<rect x='{panel.left}' y='{top}' width='{canvas.plot_width}' "
             f"height='{panel.height}' fill='none' stroke='#1d2330' stroke-width='0.8'/>")
    plot_area = f"{panel.left} {top} {canvas.plot_width} {panel.height}"  # a nested svg clips
    zoomable = "" if zoom is None else f" data-zoom='{zoom}'"
    return (f"<div class=panel{zoomable} style='max-width:{panel.width}px'><div class=head "
            f"style='padding-left:{panel.left}px'><span>{escape(panel.heading)}</span>"
            f"<span class=legend>{legend_html(panel.legend)}</span></div>"
            f"<svg class=\"chart\" role=img aria-label=\"{escape(alt)}\" width='{panel.width}' "
            f"height='{canvas.height}' viewBox='0 0 {panel.width} {canvas.height}' "
            f"font-size='{FONT}'><svg x='{panel.left}' y='{top}' width='{canvas.plot_width}' "
            f"height='{panel.height}' viewBox='{plot_area}'>{''.join(canvas.parts)}</svg>"
            f"{''.join(numbers)}"
            f"{frame}<g fill='#1d2330'>{''.join(text)}</g></svg></div>")
