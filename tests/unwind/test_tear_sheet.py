"""The tear sheet read as a trader reads it: blotter, parameters, drawdowns, proxy note, no-trade
runs; its numbers checked against the run directory's files by hand."""

import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from unwind.evidence import metrics
from unwind.pages import layout, tear_sheet

EPISODE = ("--episode", "aug-2024-carry-unwind")
RUNS = {
    "hsi": ("hsi_short_yen_vol", *EPISODE, "-p", "flat_slope=0.004"),
    "gold": ("gold_dip_any_session", *EPISODE),
    "two_instruments": ("bond_hedge", *EPISODE),
    "no_trades": ("gold_asia_dip", *EPISODE, "-p", "dip=0.5"),
    "months": ("hsi_short_yen_vol", "--start", "2022-01-01", "--end", "2024-06-30"),
}


@pytest.fixture(scope="module")
def runs(real_store, tmp_path_factory) -> dict[str, Path]:
    """One run directory per case, made through the real CLI entry point."""
    from unwind.cli import main

    made = {}
    for name, args in RUNS.items():
        out = tmp_path_factory.mktemp(name)
        assert main(["run", *args, "--store", str(real_store.root), "--out", str(out)]) == 0
        made[name] = next(out.iterdir())
    return made


class Rows(HTMLParser):
    """Every table row as (its class attribute, its cells' text, its cells' attributes)."""

    def __init__(self, text: str):
        super().__init__()
        self.rows: list[tuple[str, list[str], list[dict]]] = []
        self._cell: list[str] | None = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append((dict(attrs).get("class") or "", [], []))
        elif tag in ("td", "th") and self.rows:
            self._cell = []
            self.rows[-1][2].append(dict(attrs))

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1][1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)

    def having(self, css: str) -> list[tuple[str, list[str], list[dict]]]:
        return [row for row in self.rows if css in row[0].split()]


def sheet(directory: Path) -> str:
    return (directory / "tear_sheet.html").read_text()


def daily_closes(directory: Path) -> np.ndarray:
    equity = pd.read_csv(directory / "equity.csv")
    days = equity["time"].str[:10].to_numpy()
    return equity["equity_usd"].to_numpy()[np.r_[days[1:] != days[:-1], True]]


@pytest.mark.parametrize("name", ["hsi", "gold", "two_instruments", "no_trades"])
def test_the_blotter_has_one_row_per_trade_with_its_net_pnl(runs, name):
    trades = pd.read_csv(runs[name] / "trades.csv")
    rows = Rows(sheet(runs[name])).having("trade")
    assert len(rows) == len(trades)
    for (_, cells, _), trade in zip(rows, trades.itertuples()):
        assert cells[1] == trade.symbol and cells[2] == trade.side
        assert cells[9] == f"{trade.pnl_usd:+,.0f}"
        assert cells[8].split()[0] == trade.exit_reason


def test_two_instruments_each_have_their_trades_and_an_open_position_says_so(runs):
    trades = pd.read_csv(runs["two_instruments"] / "trades.csv")
    assert set(trades["symbol"]) == {"NQ", "ZN"}
    rows = Rows(sheet(runs["two_instruments"])).having("trade")
    assert {cells[1] for _, cells, _ in rows} == {"NQ", "ZN"}
    still_open = trades["exit_reason"] == "end_of_window"
    assert still_open.any()
    assert all("open at end" in rows[i][1][8] for i in np.flatnonzero(still_open))


def test_every_parameter_is_listed_with_its_default_and_the_override_is_marked(runs):
    import json

    manifest = json.loads((runs["hsi"] / "manifest.json").read_text())
    rows = Rows(sheet(runs["hsi"])).having("parameter")
    assert [cells[0] for _, cells, _ in rows] == list(manifest["parameters"])
    assert set(manifest["parameters"]) == set(manifest["parameter_defaults"])
    changed = {cells[0]: cells for css, cells, _ in rows if "changed" in css.split()}
    assert list(changed) == ["flat_slope"]
    assert changed["flat_slope"][1:] == ["0.004", "0.0075", "changed"]
    assert all(cells[3] == "" for css, cells, _ in rows if "changed" not in css)


@pytest.mark.parametrize("name", ["hsi", "gold", "two_instruments", "months"])
def test_the_deepest_drawdown_in_the_table_is_the_hand_computed_one_and_the_metric(runs, name):
    import json

    closes = daily_closes(runs[name])
    by_hand = float(np.min(closes / np.maximum.accumulate(closes) - 1))
    rows = Rows(sheet(runs[name])).having("drawdown")
    assert 1 <= len(rows) <= 5
    depths = [float(attrs[4]["data-depth"]) for _, _, attrs in rows]
    assert depths == sorted(depths)
    assert depths[0] == pytest.approx(by_hand, abs=1e-12)
    reported = json.loads((runs[name] / "metrics.json").read_text())["max_drawdown"]
    assert reported == pytest.approx(by_hand, rel=1e-9)
    shown = metrics.BY_KEY["max_drawdown"].display(reported)
    text = sheet(runs[name])
    assert f"deepest {shown} (max drawdown in metrics.json)" in text
    metric_row = next(cells for _, cells, _ in Rows(text).rows
                      if cells and cells[0].startswith("Maximum drawdown (daily closes)"))
    assert metric_row[1] == shown
    bar_level = pd.read_csv(runs[name] / "equity.csv")["equity_usd"]
    assert f"bar level: deepest {(bar_level / bar_level.cummax() - 1).min():.2%}" in text


def test_drawdowns_on_a_series_computed_by_hand():
    days = pd.date_range("2024-01-01", periods=8, freq="D", tz="UTC")
    closes = pd.Series([100.0, 110, 99, 105, 110, 120, 90, 95], index=days)
    deepest, second = tear_sheet.drawdowns(closes)
    assert deepest == {"peak": days[5], "trough": days[6], "recovery": None, "depth": -0.25,
                       "days": 2}
    assert second == {"peak": days[1], "trough": days[2], "recovery": days[4],
                      "depth": pytest.approx(-0.1), "days": 3}


def test_the_headline_names_the_benchmark_only_when_one_was_run(runs, tmp_path):
    import shutil

    assert "against buy and hold XAUUSD " in sheet(runs["gold"])
    alone = shutil.copytree(runs["gold"], tmp_path / "alone")
    (alone / "benchmark_metrics.json").unlink()
    (alone / "benchmark_equity.csv").unlink()
    tear_sheet.write(alone)
    assert "; no benchmark was run with it;" in sheet(alone) and " against " not in \
        sheet(alone).split("<p class=lead>")[1].split("</p>")[0]
    # nor anywhere else: no "against its benchmark", no benchmark columns of dashes
    assert "against its benchmark" in sheet(runs["gold"])
    assert "against its benchmark" not in sheet(alone) and "no benchmark was run" in sheet(alone)
    metric_rows = Rows(sheet(alone)).having("metric")
    assert len(metric_rows) == len(metrics.METRICS)
    assert {len(cells) for _, cells, _ in metric_rows} == {2}
    assert "<th>playbook - benchmark</th>" not in sheet(alone)


def test_hsi_carries_the_proxy_caption_and_gold_does_not(runs):
    assert "HSI is priced from a proxy" in sheet(runs["hsi"])
    assert "night session are not in these prices" in sheet(runs["hsi"])
    assert "priced from a proxy" not in sheet(runs["gold"])


def test_a_run_without_trades_renders_and_says_so(runs):
    text = sheet(runs["no_trades"])
    assert pd.read_csv(runs["no_trades"] / "trades.csv").empty
    assert "<b>No trades</b>" in text
    assert text.count('class="chart"') >= 2
    assert "Returns by day" in text


def test_a_window_longer_than_six_months_shows_months_that_compound_to_the_total(runs):
    import json

    text = sheet(runs["months"])
    assert "Returns by month" in text and "Returns by day" not in text
    years = [cells for _, cells, _ in Rows(text).rows if cells and cells[0] in
             ("2022", "2023", "2024")]
    assert [cells[0] for cells in years] == ["2022", "2023", "2024"]
    compounded = np.prod([1 + float(cells[-1].rstrip("%")) / 100 for cells in years]) - 1
    total = json.loads((runs["months"] / "metrics.json").read_text())["total_return"]
    assert compounded == pytest.approx(total, abs=3e-4)  # each year is shown to 0.01%


def test_the_metrics_table_uses_the_registry_display(runs):
    import json

    values = json.loads((runs["gold"] / "metrics.json").read_text())
    benchmark = json.loads((runs["gold"] / "benchmark_metrics.json").read_text())
    rows = {cells[0].split(" (")[0]: cells for _, cells, _ in Rows(sheet(runs["gold"])).rows
            if len(cells) == 4}
    for metric in metrics.METRICS:
        cells = rows[metric.title.split(" (")[0]]
        assert cells[1] == metric.display(values[metric.key])
        if not metric.playbook_only:
            assert cells[2] == metric.display(benchmark[metric.key])


def test_one_display_rule_gives_each_metric_its_unit_by_key():
    """metrics.display(key, value): what every page prints, checked by hand."""
    assert metrics.display("total_return", -0.03125) == "-3.12%"   # signed percent
    assert metrics.display("hit_rate", 0.5) == "50.00%"             # a share: no sign
    assert metrics.display("sharpe_ratio", 0.7251) == "0.73"
    assert metrics.display("trades", 12.0) == "12"
    assert metrics.display("pnl_usd", -12345.6) == "-12,346 USD"
    assert metrics.display("sortino_ratio", None) == "n/a"
    with pytest.raises(KeyError):
        metrics.display("no_such_metric", 1.0)


def test_the_page_is_self_contained_and_a_rewrite_is_identical(runs):
    text = sheet(runs["gold"])
    assert "<script src" not in text and "http" not in text.split("<body>")[1]
    tear_sheet.write(runs["gold"])
    assert sheet(runs["gold"]) == text


def test_trading_time_ticks_label_the_first_bar_of_each_period():
    hours = pd.date_range("2024-08-01 20:00", "2024-08-06 03:00", freq="h", tz="UTC")
    trading = hours[hours.day_of_week < 5]  # no bars at the weekend
    positions, labels = layout.trading_time_ticks(trading)
    assert labels == ["Fri 02 Aug", "Mon 05 Aug", "Tue 06 Aug"]
    assert [trading[p] for p in positions] == [pd.Timestamp(d, tz="UTC") for d in
                                              ("2024-08-02", "2024-08-05", "2024-08-06")]


def test_a_line_known_only_at_some_bars_is_drawn_as_dots():
    """gold_asia_dip's session moves have a value at each session's end and none between:
    drawn as a line they would draw nothing at all."""
    index = pd.date_range("2024-08-01", periods=12, freq="h", tz="UTC")
    sparse = pd.Series([np.nan, 0.01, np.nan, np.nan, -0.02, np.nan, np.nan, 0.005, np.nan,
                        np.nan, np.nan, np.nan], index=index)
    run = type("Run", (), {"signals": pd.DataFrame({"symbol": "XAUUSD", "move": sparse}),
                           "position": lambda self, times: np.arange(len(times), dtype=float)})()
    panel = tear_sheet._signal_panel(run, {"title": "t", "unit": "fraction", "lines": ["move"]},
                                     (-0.5, 11.5))
    [dots] = panel.marks
    assert dots.kind == "dots"
    assert list(dots.x) == [1.0, 4.0, 7.0] and list(dots.y) == [0.01, -0.02, 0.005]


def test_every_trade_marker_carries_its_blotter_line_as_a_tooltip(runs):
    trades = pd.read_csv(runs["hsi"] / "trades.csv")
    text = sheet(runs["hsi"])
    for number, trade in enumerate(trades.itertuples(), start=1):
        said = (f"trade {number}: {trade.side} {trade.contracts:,d} {trade.symbol}, entry "
                f"{trade.entry_time[:16].replace('T', ' ')}")
        assert text.count(f"<title>{said}") == 2  # the entry marker and the exit marker
        assert f"net {trade.pnl_usd:+,.0f} USD</title>" in text


def test_units_are_named_as_the_values_are_printed(runs):
    """'Total return (fraction)' printed +1.23%: the unit now says %; the new statistics are
    rows of the table in their registry format."""
    text = sheet(runs["gold"])
    titles = [cells[0] for _, cells, _ in Rows(text).having("metric")]
    assert not any("fraction" in title for title in titles)
    assert "Total return (%)" in titles and "Annualised return (% per year)" in titles
    assert "Value at risk, daily 95% (% per day)" in titles
    for key in ("skew", "kurtosis", "var_95", "cvar_95", "profit_factor", "expectancy_usd",
                "sqn"):
        assert f"data-key='{key}'" in text


def test_triggers_are_lettered_trades_numbered_and_events_are_diamonds(runs):
    """Trade 1 and trigger 1 used to share a number on the same panel."""
    text = sheet(runs["hsi"])
    assert "<li><b>A</b>. 2024-07-11: soft US CPI" in text and "<li><b>1</b>." not in text
    boxes = re.findall(r"fill='white'>([^<]+)</text>", text)
    assert boxes and set(boxes) <= set("ABCDE")
    trade_labels = re.findall(r"<text class=mark [^>]*>([^<]+)</text>", text)
    assert trade_labels and all(label.isdigit() for label in trade_labels)
    assert "&#9670;</b> BOJ decision" in text     # events: diamonds, never numbered


def test_the_histogram_counts_whole_days_and_leverage_ticks_read_as_multiples(runs):
    text = sheet(runs["gold"])
    histogram = text.split('aria-label="daily return distribution"')[1].split("</svg></div>")[0]
    counts = re.findall(r"text-anchor='end' dominant-baseline='middle'>([^<]+)</text>", histogram)
    assert counts and all(count.replace(",", "").isdigit() for count in counts)
    leverage = text.split('aria-label="Gross leverage')[1].split("</svg></div>")[0]
    ticks = re.findall(r"text-anchor='end' dominant-baseline='middle'>([^<]+)</text>", leverage)
    assert ticks[0] == "0x" and all(re.fullmatch(r"\d+(\.\d*[1-9])?x", t) for t in ticks)


def test_the_warm_up_is_the_one_the_run_loaded(runs):
    rows = {cells[0]: cells for _, cells, _ in Rows(sheet(runs["gold"])).rows if len(cells) == 2}
    assert rows["warmup_days"][1].endswith("calendar days (the playbook's default)")
    assert rows["warmup_days"][1] != "none"


def test_a_price_spanning_more_than_the_stated_ratio_reads_on_a_log_axis(runs, tmp_path):
    import shutil

    assert "log scale" not in sheet(runs["gold"])         # gold moved far less than 3x
    ramped = shutil.copytree(runs["gold"], tmp_path / "ramped")
    prices = pd.read_csv(ramped / "prices.csv")
    prices["close"] *= np.linspace(1.0, 5.0, len(prices))  # 1x to 5x over the window
    prices.to_csv(ramped / "prices.csv", index=False)
    tear_sheet.write(ramped)
    assert f"XAUUSD close; log scale (highest close over {tear_sheet.LOG_RATIO:g}x the lowest)" \
        in sheet(ramped)


def test_the_page_reads_in_order_headline_equity_underwater_returns_drawdowns_then_details(runs):
    text = sheet(runs["hsi"])
    order = ["<p class=lead>", "Equity (USD)", "Underwater:", "<h2>Returns by day",
             "<h2>Worst drawdowns", "<h2>Metrics", "<h2>Prices, decisions",
             "<h2>Daily returns and trade outcomes", "<h2>Trades", "<h2>Parameters",
             "<h2>Run configuration"]
    positions = [text.index(marker) for marker in order]
    assert positions == sorted(positions)
    assert "<details" not in text      # 20 trades or fewer: one table, nothing hidden


def test_the_zoom_data_holds_every_bar_at_full_resolution(runs):
    """The browser's copy of each line: one value per bar, as equity.csv has it to 8
    significant digits; the uPlot script inlined once, nothing fetched."""
    import json

    text = sheet(runs["gold"])
    data = json.loads(re.search(r"id=zoom-data>(.*?)</script>", text).group(1))
    equity = pd.read_csv(runs["gold"] / "equity.csv")
    times = _decode(data["times"], 1.0)
    assert len(times) == data["bars"] == len(equity)
    assert [pd.Timestamp(t, unit="s", tz="UTC") for t in times] == list(
        pd.to_datetime(equity["time"], utc=True, format="ISO8601"))
    [line] = data["panels"][0]["series"][:1]
    values = np.array(_decode(line["values"], line["scale"]), dtype=float)
    assert values == pytest.approx(equity["equity_usd"].to_numpy(), rel=1e-7)
    assert text.count("var uPlot=") == 1 and text.count("id=zoom-data") == 1


def _decode(text: str, scale: float) -> list:
    """unwind-zoom.js's decode, in Python: differences, '' for none, 'field*count' a run."""
    out, last = [], 0
    for field in text.split(","):
        value, _, count = field.partition("*")
        for _ in range(int(count or 1)):
            if value == "":
                out.append(None)
            else:
                last += int(value)
                out.append(last * scale)
    return out
