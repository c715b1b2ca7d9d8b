"""A panel whose y axis reads in a playbook's declared unit, and a threshold's label in it:
shared by the tear sheet's signal panels and price panels and `unwind now`'s cards, so a
line reads the same on both pages. Compact chart text, not strategies.spec.format_value
(which writes a parameter's value in full: '2.00% a year', '+1.50 sigma')."""

from __future__ import annotations

from unwind.pages.chart_scales import percent_labels, plain_labels, price_text
from unwind.pages.charts import Panel

LINE_TINTS = ("#6a4c93", "#2a9d8f", "#c05621")   # a panel's first, second and third line
THRESHOLD = "#c05621"


def unit_panel(unit: str, heading: str, height: int, x_range: tuple) -> Panel:
    """A panel whose y axis reads in `unit` (as the playbook's signal panels declare it)."""
    if unit == "flag":
        return Panel(heading, height, x_range, plain_labels, y_limits=(-0.15, 1.25),
                     y_ticks=(0, 1), value_format="flag")
    labels = {"fraction": percent_labels, "annualised fraction": percent_labels,
              "percentage points": lambda ticks: [f"{v:.2f} pp" for v in ticks],
              "z-score": lambda ticks: [f"{v:+.1f}" for v in ticks]}
    formats = {"fraction": "percent", "annualised fraction": "percent", "price": "price",
               "percentage points": "pp", "z-score": "z"}
    return Panel(heading, height, x_range, labels.get(unit, lambda ticks: [
        price_text(v) for v in ticks]), value_format=formats.get(unit, "plain"))


def threshold_text(value: float, unit: str) -> str:
    """A threshold's value in its panel's unit, as short as the axis labels."""
    if value == 0:
        return "0"
    if unit in ("fraction", "annualised fraction"):
        return f"{value:.2%}"
    if unit == "percentage points":
        return f"{value:.2f} pp"
    return f"{value:g}"


def draw_thresholds(panel: Panel, thresholds, unit: str) -> None:
    """Each (label, value) threshold as a dashed line, labelled on alternating sides from the
    highest down so that neighbours do not overlap."""
    ordered = sorted(thresholds, key=lambda threshold: -threshold[1])
    for number, (label, value) in enumerate(ordered):
        panel.threshold(value, f"{label} = {threshold_text(value, unit)}", THRESHOLD,
                        above=number % 2 == 0)
