"""The SVG charts on tiny series a person can check: ticks, labels, scales, the per-column
reduction of long lines and what a panel's SVG holds."""

import re
from html.parser import HTMLParser

import numpy as np
import pytest

from unwind.pages import charts
from unwind.pages.charts import Panel


def test_round_ticks_inside_the_range():
    assert list(charts.nice_ticks(0.0, 1.0, most=5)) == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert list(charts.nice_ticks(-0.0887, 0.0, most=8)) == pytest.approx(
        [-0.08, -0.06, -0.04, -0.02, 0.0])
    assert list(charts.nice_ticks(1_000_000, 1_012_000, most=8)) == [
        1_000_000, 1_002_000, 1_004_000, 1_006_000, 1_008_000, 1_010_000, 1_012_000]


def test_labels_carry_the_decimals_the_ticks_need_and_never_an_offset():
    assert charts.usd_labels(np.array([950_000, 975_000, 1_000_000])) == [
        "0.950M", "0.975M", "1.000M"]
    assert charts.usd_labels(np.array([10_000, 20_000])) == ["10k", "20k"]
    assert charts.usd_labels(np.array([-500, 0, 500])) == ["-500", "0", "500"]
    assert charts.percent_labels(np.array([-0.025, 0.0, 0.025])) == ["-2.5%", "0.0%", "2.5%"]
    assert charts.percent_labels(np.array([0.0, 0.1])) == ["0%", "10%"]


def test_a_long_line_keeps_every_columns_extremes_and_its_ends():
    rng = np.random.default_rng(7)
    px = np.linspace(0, 999.99, 60_000)
    py = rng.normal(size=60_000).cumsum()
    xs, ys = charts.envelope(px, py)
    assert len(xs) == 4 * 1000
    assert (xs[0], ys[0], xs[-1], ys[-1]) == (px[0], py[0], px[-1], py[-1])
    column = np.floor(px).astype(int)
    for at in (0, 417, 999):
        kept = ys[4 * at:4 * at + 4]
        assert kept.min() == py[column == at].min() and kept.max() == py[column == at].max()
    few_x, few_y = px[:100], py[:100]
    assert charts.envelope(few_x, few_y) == (few_x, few_y)  # few points: drawn as they are


def test_a_post_step_holds_each_value_until_the_next_x():
    x, y = charts.steps(np.array([0.0, 1.0, 3.0]), np.array([5.0, 6.0, 7.0]))
    assert list(zip(x, y)) == [(0, 5), (1, 5), (1, 6), (3, 6), (3, 7)]


def test_the_y_scale_holds_the_data_the_zero_of_fills_and_every_threshold():
    panel = Panel("p", 100, (0, 10))
    panel.line([0, 10], [2.0, 4.0], "#000")
    assert panel.limits() == pytest.approx((1.9, 4.1))
    panel.threshold(6.0, "cap = 6", "#c05621", above=True)
    panel.fill([0, 10], [1.0, 1.0], "#000", 0.3)
    assert panel.limits() == pytest.approx((-0.3, 6.3))


class Svg(HTMLParser):
    """Tags and text of a rendered panel."""

    def __init__(self, text: str):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        if data.strip():
            self.text.append(data.strip())


def test_a_panel_renders_its_heading_legend_ticks_and_breaks_lines_at_gaps():
    panel = Panel("Equity (USD)", 100, (-0.5, 5.5), charts.usd_labels)
    panel.line(np.arange(6), [1e6, 1.01e6, np.nan, 1.02e6, 1.03e6, 1.04e6], "#1f4e9c",
               label="playbook")
    html = charts.render(panel, x_ticks=([0, 3], ["Mon", "Thu"]), triggers=[2.0],
                         trigger_names=["A"], alt="equity")
    svg = Svg(html)
    assert [t for t, a in svg.tags if a.get("class") == "chart"] == ["svg"]
    assert svg.text[:2] == ["Equity (USD)", "▬"] and "playbook" in svg.text
    assert {"Mon", "Thu", "A"} <= set(svg.text)            # x labels, the trigger's letter
    assert "1.00M" in svg.text and "1.04M" in svg.text      # y ticks span the data
    lines = [a["d"] for t, a in svg.tags if t == "path" and a.get("stroke") == "#1f4e9c"]
    assert len(lines) == 2                                   # the NaN splits the line in two
    assert [len(re.findall(r"[\d.]+,[\d.]+", d)) for d in lines] == [2, 3]
    trigger = [a for t, a in svg.tags if t == "path" and a.get("stroke") == charts.TRIGGER]
    assert len(trigger) == 1 and trigger[0]["stroke-dasharray"] == "4 3"


def test_each_marker_carries_its_tooltip_and_is_drawn_where_its_data_is():
    panel = Panel("prices", 100, (0, 10), y_limits=(0, 10))
    panel.markers([5.0], [5.0], "^", ["#1a7f37"], ["trade 1: long"])
    canvas = charts.Canvas(panel, top=4, bottom_room=4)
    assert float(canvas.px(5.0)) == pytest.approx(charts.LEFT + canvas.plot_width / 2)
    assert float(canvas.py(5.0)) == pytest.approx(4 + 50)
    assert "<title>trade 1: long</title>" in charts.render(panel)


def test_multiples_and_counts_tick_as_they_read():
    """Leverage ticks read 0.25x, never '0.2x' for 0.25; a count of days ticks whole days."""
    assert charts.times_labels(np.array([0.0, 0.25, 0.5, 0.75, 1.0])) == [
        "0x", "0.25x", "0.5x", "0.75x", "1x"]
    assert list(charts.count_ticks(3.2)) == [0, 1, 2, 3]
    assert list(charts.count_ticks(1.0)) == [0, 1]
    assert list(charts.count_ticks(40.0)) == [0, 10, 20, 30, 40]


def test_a_log_panel_gives_equal_ratios_equal_heights():
    assert list(charts.log_ticks(1_500, 25_000, 9)) == [2_000, 5_000, 10_000, 20_000]
    # inside one decade: round linear ticks
    assert list(charts.log_ticks(1_500, 2_500, 9)) == [1_600, 1_800, 2_000, 2_200, 2_400]
    panel = Panel("NQ", 100, (0, 2), log=True)
    panel.line([0, 1, 2], [1_500, 6_000, 24_000], "#000")
    canvas = charts.Canvas(panel, 0, 0)
    first, second = np.diff(canvas.py([1_500, 6_000, 24_000]))
    assert first == pytest.approx(second)              # x4 and x4: the same height
    assert canvas.tick_range() == pytest.approx((1_500 / 24_000 ** 0.05 * 1_500 ** 0.05,
                                                 24_000 * (24_000 / 1_500) ** 0.05))


def test_point_labels_stay_inside_the_plot_and_off_each_other():
    panel = Panel("price", 100, (0, 10), y_limits=(0.0, 1.0))
    # two labels on one point at the top edge, one at the right edge
    panel.labels([5, 5, 10], [1.0, 1.0, 0.5], ["12", "13", "14"], [13.0, 13.0, 13.0])
    canvas = charts.Canvas(panel, 7, 7)
    placed = charts._place(canvas, panel.marks[0])
    assert [text for _, _, text in placed] == ["12", "13", "14"]
    half_height = 0.6 * charts.FONT + 1
    boxes = []
    for x, y, text in placed:
        half_width = 0.31 * charts.FONT * len(text) + 1
        assert canvas.top <= y - half_height and y + half_height <= canvas.top + 100
        assert canvas.left <= x - half_width and x + half_width <= canvas.left + canvas.plot_width
        boxes.append((x - half_width, y - half_height, x + half_width, y + half_height))
    first, second = boxes[:2]
    assert first[3] <= second[1] or second[3] <= first[1]   # stacked, not on top of each other
