"""Tear sheets, the scorecard and their charts as a person sees them: one headless Chromium
(tests/unwind/browser.py) for the module, the network cut for every page.

What is checked in the browser: every chart is laid out (`data-charts-loaded`) and a screenshot
is far from blank; no two chart labels overlap and none is cut at a panel's edge (their boxes,
as laid out, without JavaScript: the SVG a reader without it sees); dragging zooms every time
panel to the same range, the wheel zooms and pans, the read-out names the bar under the cursor;
a long blotter opens with one click; the scorecard fits 1400 px; no page asks for anything but
its own file. `.ci/run` installs Debian's chromium.
"""

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.unwind.browser import Browser

LABEL_BOXES = """(function () {
  var found = [];
  document.querySelectorAll('svg.chart').forEach(function (chart, number) {
    var outer = chart.getBoundingClientRect();
    var plot = chart.querySelector('svg').getBoundingClientRect();
    chart.querySelectorAll('text').forEach(function (element) {
      if (!element.textContent) { return; }
      var before = element.previousElementSibling;   // a trigger's letter: its red box
      var boxed = before && before.tagName === 'rect' && before.getAttribute('fill') === '#b3261e';
      var r = (boxed ? before : element).getBoundingClientRect();
      found.push({chart: number, text: element.textContent, mark: element.classList.contains('mark'),
                  box: [r.left, r.top, r.right, r.bottom],
                  outer: [outer.left, outer.top, outer.right, outer.bottom],
                  plot: [plot.left, plot.top, plot.right, plot.bottom]});
    });
  });
  return found;
})()"""


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    opened = Browser(tmp_path_factory.mktemp("chromium"))
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def scorecard(real_store, tmp_path_factory) -> Path:
    from unwind.cli import main

    out = tmp_path_factory.mktemp("score")
    assert main(["score", "--store", str(real_store.root), "--out", str(out),
                 "--no-full-history", "--playbook", "gold_asia_dip", "--playbook",
                 "hsi_short_yen_vol", "--episode", "aug-2024-carry-unwind", "--episode",
                 "calm-2017q4-control", "--jobs", "1"]) == 0
    return next(out.glob("*scorecard"))


@pytest.fixture(scope="module")
def long_run(real_store, tmp_path_factory) -> Path:
    """Thirteen years of hsi_short_yen_vol: more trades than the blotter shows at first."""
    from unwind.cli import main

    out = tmp_path_factory.mktemp("long")
    assert main(["run", "hsi_short_yen_vol", "--start", "2012-01-01", "--end", "2024-12-31",
                 "--store", str(real_store.root), "--out", str(out)]) == 0
    return next(out.iterdir())


def check_page(page: Path, tmp_path: Path) -> str:
    """`check_in` for another module's test: a browser of its own for one page."""
    browser = Browser(tmp_path / "chromium")
    try:
        return check_in(browser, page, tmp_path / f"{page.stem}.png")
    finally:
        browser.close()


def check_in(browser: Browser, page: Path, shot: Path) -> str:
    """The page's DOM after load: every chart laid out, a screenshot far from blank, nothing
    asked of the network."""
    from PIL import Image

    charts = page.read_text().count('class="chart"')
    assert charts >= 1
    tab = browser.open(page, 1200, 1600)
    try:
        assert tab.evaluate("document.body.getAttribute('data-charts-loaded')") == str(charts)
        histogram = Image.open(tab.screenshot(shot)).convert("L").histogram()
        assert max(histogram) < 0.99 * sum(histogram)  # a blank page is one colour throughout
        assert len([count for count in histogram if count]) > 60  # text, charts, tables
        assert {url.split(":")[0] for url in tab.requests()} == {"file"}
        return tab.evaluate("document.documentElement.outerHTML")
    finally:
        tab.close()


def test_tear_sheets_and_scorecard_render(scorecard, browser, tmp_path):
    for cell in sorted((scorecard / "cells").glob("*/*")):
        if (cell / "tear_sheet.html").exists():
            dom = check_in(browser, cell / "tear_sheet.html", tmp_path / f"{cell.name}.png")
            trades = pd.read_csv(cell / "trades.csv")
            assert len(re.findall(r'<tr class="trade\b', dom)) == len(trades)
            assert ("No trades" in dom) == trades.empty
    check_in(browser, scorecard / "scorecard.html", tmp_path / "scorecard.png")
    assert scorecard.joinpath("scorecard.html").read_text().count('class="chart"') == 2
    sheet = (scorecard / "cells/gold_asia_dip/aug-2024-carry-unwind/tear_sheet.html").read_text()
    assert "the episode's triggers" in sheet and "priced from a proxy" not in sheet
    assert "HSI is priced from a proxy" in (
        scorecard / "cells/hsi_short_yen_vol/aug-2024-carry-unwind/tear_sheet.html").read_text()
    assert "http" not in sheet.split("<body>")[1]


ASSETS = sorted(["uPlot.iife.min.js", "uPlot.min.css", "unwind-zoom.js"])


def _zoomed_and_asked(browser: Browser, page: Path) -> tuple[bool, int, list[str]]:
    """(the zoom view ran, the charts laid out, the files the page asked for besides itself)."""
    tab = browser.open(page, 1400, 1000)
    try:
        asked = [url for url in tab.requests() if not url.endswith("/tear_sheet.html")]
        return (tab.evaluate("document.body.classList.contains('zoomed')"),
                int(tab.evaluate("document.body.getAttribute('data-charts-loaded')")), asked)
    finally:
        tab.close()


def test_a_scorecards_sheets_share_one_script_and_report_writes_the_same_page(
        scorecard, browser, tmp_path):
    """One copy of uPlot and the glue at the scorecard's root, linked by a relative path that
    opens from disk; `unwind report` writes the same page; a cell copied out of the folder is
    made self-contained again by `unwind report`."""
    import shutil

    from unwind.cli import main

    assert sorted(p.name for p in (scorecard / "assets").iterdir()) == ASSETS
    cell = scorecard / "cells/hsi_short_yen_vol/aug-2024-carry-unwind"
    linked = (cell / "tear_sheet.html").read_text()
    assert "<script src='../../../assets/uPlot.iife.min.js'></script>" in linked
    assert "var uPlot=" not in linked
    zoomed, charts, asked = _zoomed_and_asked(browser, cell / "tear_sheet.html")
    assert zoomed and charts == linked.count('class="chart"')
    assert sorted(url.rsplit("/", 1)[1] for url in asked) == ASSETS
    assert all(url.startswith((scorecard / "assets").as_uri()) for url in asked)
    assert main(["report", str(cell)]) == 0
    assert (cell / "tear_sheet.html").read_text() == linked

    alone = shutil.copytree(cell, tmp_path / "alone")
    zoomed, charts, _ = _zoomed_and_asked(browser, alone / "tear_sheet.html")
    assert not zoomed and charts == linked.count('class="chart"')   # no script: the SVG reads
    assert main(["report", str(alone)]) == 0
    inlined = (alone / "tear_sheet.html").read_text()
    assert "<script src" not in inlined and inlined.count("var uPlot=") == 1
    assert len(inlined) - len(linked) > 50_000
    zoomed, _, asked = _zoomed_and_asked(browser, alone / "tear_sheet.html")
    assert zoomed and asked == []


def _overlapping(boxes: list[dict]) -> list[tuple[str, str]]:
    found = []
    for number, first in enumerate(boxes):
        for second in boxes[number + 1:]:
            a, b = first["box"], second["box"]
            if first["chart"] == second["chart"] and min(a[2], b[2]) - max(a[0], b[0]) > 0.5 \
                    and min(a[3], b[3]) - max(a[1], b[1]) > 0.5:
                found.append((first["text"], second["text"]))
    return found


@pytest.mark.parametrize("page", ["cells/hsi_short_yen_vol/aug-2024-carry-unwind/tear_sheet.html",
                                  "cells/gold_asia_dip/aug-2024-carry-unwind/tear_sheet.html",
                                  "scorecard.html"])
def test_no_two_chart_labels_overlap_and_none_is_cut(scorecard, browser, page):
    tab = browser.open(scorecard / page, 1400, 1000, javascript=False)
    try:
        boxes = tab.evaluate(LABEL_BOXES)
    finally:
        tab.close()
    assert len(boxes) > 10
    assert _overlapping(boxes) == [], _overlapping(boxes)
    for label in boxes:
        box, outer = label["box"], label["outer"]
        assert outer[0] - 0.5 <= box[0] and box[2] <= outer[2] + 0.5, label
        assert outer[1] - 0.5 <= box[1] and box[3] <= outer[3] + 0.5, label
        if label["mark"]:       # a trade's number stays inside the plot area it marks
            plot = label["plot"]
            assert plot[0] <= box[0] and box[2] <= plot[2] and plot[1] <= box[1] <= box[3] \
                <= plot[3], label
    if page.startswith("cells/hsi"):
        assert any(label["mark"] for label in boxes)            # trade numbers were drawn
        assert {"A", "B"} <= {label["text"] for label in boxes}  # triggers are lettered


def test_overlap_check_finds_overlapping_boxes():
    """The check above can fail: two boxes sharing a corner area are reported."""
    boxes = [{"chart": 0, "text": "1", "box": [0, 0, 10, 10]},
             {"chart": 0, "text": "2", "box": [9, 9, 20, 20]},
             {"chart": 1, "text": "3", "box": [0, 0, 10, 10]}]
    assert _overlapping(boxes) == [("1", "2")]


def test_zoom_pan_and_the_read_out_of_the_bar_under_the_cursor(long_run, browser):
    times = pd.read_csv(long_run / "equity.csv")["time"]
    tab = browser.open(long_run / "tear_sheet.html", 1400, 1000)
    try:
        assert tab.evaluate("document.body.classList.contains('zoomed')")
        count = tab.evaluate("window.unwindCharts.length")
        assert count == tab.evaluate("document.querySelectorAll('.panel[data-zoom]').length") > 5

        def ranges() -> set:
            return {tuple(round(v, 6) for v in pair) for pair in tab.evaluate(
                "window.unwindCharts.map(function(u){return [u.scales.x.min, u.scales.x.max]})")}

        assert ranges() == {(0, len(times) - 1)}
        tab.evaluate("window.scrollTo(0, document.querySelector('.panel[data-zoom] .u-over')"
                     ".getBoundingClientRect().top + window.scrollY - 150)")
        left, top, width, height = tab.evaluate(
            "(function(){var r=document.querySelector('.panel[data-zoom] .u-over')"
            ".getBoundingClientRect();return [r.left, r.top, r.width, r.height]})()")
        middle = top + height / 2
        tab.drag((left + 0.25 * width, middle), (left + 0.5 * width, middle))
        [(low, high)] = ranges()                            # every chart follows
        assert 0.2 * len(times) < low < 0.3 * len(times) and high - low < 0.3 * len(times)
        for share in (0.1, 0.77):
            tab.mouse("mouseMoved", left + share * width, middle)
            bar = round(low + share * (high - low))
            readout = tab.evaluate("document.querySelector('.readout').textContent")
            assert f"bar {bar + 1:,d} of {len(times):,d}" in readout
            assert pd.Timestamp(times[bar]).strftime("%Y-%m-%d %H:%M") in readout
        tab.mouse("mouseWheel", left + 0.5 * width, middle, deltaX=0, deltaY=-120)
        [(wheeled_low, wheeled_high)] = ranges()
        assert wheeled_high - wheeled_low == pytest.approx(0.8 * (high - low), rel=1e-6)
        tab.mouse("mouseWheel", left + 0.5 * width, middle, deltaX=0, deltaY=100, modifiers=8)
        [(panned_low, panned_high)] = ranges()                # Shift+wheel: the same width, later
        assert panned_low > wheeled_low
        assert panned_high - panned_low == pytest.approx(wheeled_high - wheeled_low, rel=1e-6)
        tab.evaluate("document.querySelector('[data-reset]').click()")
        assert ranges() == {(0, len(times) - 1)}
        assert {url.split(":")[0] for url in tab.requests()} == {"file"}
    finally:
        tab.close()


def _price_text(value: float) -> str:
    """A price as the tooltip writes it (toLocaleString, grouped, up to 6 decimals)."""
    return f"{value:,.6f}".rstrip("0").rstrip(".")


def test_hovering_a_trade_when_zoomed_in_shows_its_bar_and_the_trade(scorecard, browser):
    """Zoomed into the first trade of HSI in Aug 2024: the tooltip over its entry marker gives
    the bar's UTC and Hong Kong time, its open/high/low/close as prices.csv has them,
    and the trade's number, side, entry, exit and net P&L as trades.csv has them; over the
    equity chart at that bar, equity in USD; away from markers no trade; off the chart none."""
    cell = scorecard / "cells/hsi_short_yen_vol/aug-2024-carry-unwind"
    trades = pd.read_csv(cell / "trades.csv")
    times = pd.read_csv(cell / "equity.csv")
    prices = pd.read_csv(cell / "prices.csv").set_index("time")
    first = trades.iloc[0]
    seconds = [pd.Timestamp(t).timestamp() for t in times["time"]]
    entry = float(np.interp(pd.Timestamp(first["entry_time"]).timestamp(), seconds, times.index))
    bar = round(entry)   # fills at 01:15 UTC on daily bars: the marker sits by its bar
    tab = browser.open(cell / "tear_sheet.html", 1400, 1000)
    try:
        def chart_of(heading: str) -> int:
            return tab.evaluate(
                "window.unwindCharts.findIndex(function(u){return u.root.closest('.panel')"
                f".querySelector('.head').textContent.indexOf({heading!r}) >= 0}})")

        price, equity = chart_of("HSI close"), chart_of("Equity (USD)")
        assert price >= 0 and equity >= 0
        tab.evaluate(f"window.unwindCharts[{price}].setScale('x', {{min: {bar - 10}, "
                     f"max: {bar + 10}}})")

        def hover(chart: int, x_value: float, y_value: float | None, shift: float = 0) -> str:
            """Move the mouse to (x, y) in data units on a chart (y None: its middle); the
            text of that chart's tooltip, '' when hidden."""
            tab.evaluate(f"window.unwindCharts[{chart}].over.scrollIntoView({{block: 'center'}})")
            y_pixel = "r.height / 2" if y_value is None else f"u.valToPos({y_value}, 'y')"
            left, top = tab.evaluate(
                f"(function(){{var u = window.unwindCharts[{chart}], r = "
                "u.over.getBoundingClientRect(); return [r.left + u.valToPos("
                f"{x_value}, 'x'), r.top + {y_pixel}]}})()")
            tab.mouse("mouseMoved", left + shift, top)
            return tab.evaluate(
                f"(function(){{var t = window.unwindCharts[{chart}].over.querySelector("
                "'.zoomtip'); return t.style.display === 'none' ? '' : t.innerText})()")

        text = hover(price, entry, first["entry_price"])
        when = pd.Timestamp(times["time"][bar])
        assert when.strftime("%Y-%m-%d %H:%M UTC") in text
        assert when.tz_convert("Asia/Hong_Kong").strftime("%Y-%m-%d %H:%M GMT+8 "
                                                          "(Asia/Hong_Kong)") in text
        row = prices.loc[times["time"][bar]]
        assert (f"open {_price_text(row['open'])} · high {_price_text(row['high'])} · low "
                f"{_price_text(row['low'])} · close {_price_text(row['close'])}") in text
        assert f"trade 1: {first['side']} {int(first['contracts']):,d} " in text
        assert f"net {first['pnl_usd']:+,.0f} USD" in text
        assert pd.Timestamp(first["exit_time"]).strftime("exit %Y-%m-%d %H:%M") in text

        assert "trade 1" not in hover(price, entry, first["entry_price"], shift=-60)
        text = hover(equity, bar, None)
        assert f"{times['equity_usd'][bar]:,.0f} USD" in text and "HSI" not in text
        tab.mouse("mouseMoved", 5, 5)
        assert hover(equity, bar, None, shift=-5000) == ""
    finally:
        tab.close()


def test_a_long_blotter_shows_the_largest_trades_and_the_rest_one_click_away(long_run, browser):
    trades = pd.read_csv(long_run / "trades.csv")
    assert len(trades) > 20
    tab = browser.open(long_run / "tear_sheet.html", 1400, 1000)
    try:
        visible = ("Array.from(document.querySelectorAll('tr.trade, tr.largest')).filter("
                   "function(r){return r.checkVisibility()}).map("
                   "function(r){return [r.className, r.cells[0].textContent, "
                   "r.cells[9].textContent]})")
        shown = tab.evaluate(visible)
        assert len(shown) == 20 and {row[0].split()[0] for row in shown} == {"largest"}
        largest = trades["pnl_usd"].abs().sort_values(ascending=False, kind="stable").index[:20]
        assert [int(row[1]) for row in shown] == sorted(largest + 1)
        assert [row[2] for row in shown] == [f"{trades.pnl_usd[i]:+,.0f}" for i in sorted(largest)]
        tab.evaluate("document.querySelector('details.blotter summary').click()")
        every = [row for row in tab.evaluate(visible) if row[0].startswith("trade")]
        assert [int(row[1]) for row in every] == list(range(1, len(trades) + 1))
    finally:
        tab.close()


def test_the_scorecard_fits_1400_px(scorecard, browser):
    tab = browser.open(scorecard / "scorecard.html", 1400, 900)
    try:
        assert tab.evaluate("document.documentElement.scrollWidth") <= 1400
    finally:
        tab.close()
