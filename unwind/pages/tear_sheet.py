"""The tear sheet: one HTML page per run directory, made from its files only; it opens offline.
A lone run's page is self-contained; inside a scorecard folder it links the folder's one copy of
the zoom script (`unwind.pages.zoom.shared_assets`).

For a futures trader reviewing a playbook in an episode (issue 7, section 4; issue 22). In the
order a reader asks: the headline, equity (against the benchmark when one was run) and
underwater, returns by day (an episode window) or by month and the worst drawdowns, the
metrics; then the details: each traded price with sessions, the episode's triggers (lettered
A, B, ...), the event calendar (diamonds) and trades (triangles in, circles out, numbered as
in the blotter), the playbook's signal panels with thresholds, the regime band, gross
leverage, rolling volatility and rolling Sharpe; the return and trade distributions, the
blotter, every parameter used and the configuration. All time panels share one trading-time
axis (bar positions, date labels), so a trigger sits at the same x everywhere, and zoom,
pan and read out together in a browser (`unwind.pages.zoom`); the SVG stays for readers without
JavaScript.

Drawdowns: the metric (and the worst-drawdowns table) uses daily closes, the last equity of
each UTC day; the underwater panel draws every bar, so its deepest point can be lower. The
headline and the panel name the metric first and the bar-level depth as the second number.

A price panel reads on a log axis when its highest close is more than LOG_RATIO times its
lowest: a 10% move at the top of NQ's 1,500 to 25,000 would otherwise be drawn 16 times
taller than one at the bottom.
"""

from __future__ import annotations

import os
from html import escape
from pathlib import Path

import numpy as np
import pandas as pd

from unwind.pages import event_marks, zoom
from unwind.evidence import metrics
from unwind.evidence.analytics import (ANNUALISATION, drawdowns, rolling_sharpe,
                                       rolling_volatility, underwater)
from unwind.pages.chart_scales import price_text
from unwind.pages.charts import (WIDTH, Panel, count_ticks, percent_labels, plain_labels, render,
                           times_labels, usd_labels)
from unwind.pages.layout import page, trading_time_ticks
from unwind.pages.run_folder import Run, read
from unwind.pages.tear_sheet_tables import (blotter, configuration, drawdown_table,
                                            metrics_table, parameters_table, returns_by_day,
                                            returns_by_month, trade_titles, unit_text,
                                            when_text)
from unwind.pages.unit_axes import LINE_TINTS, draw_thresholds, unit_panel

WIN, LOSS, PLAYBOOK, BENCHMARK = "#1a7f37", "#b3261e", "#1f4e9c", "#8a8f9c"
SUSPECT = "#d97706"   # amber: a price the second source contradicts
REGIME_COLOURS = ("#dfe3ea", "#d9534f", "#e8a33d")  # neutral, deleveraging, fiscal_risk
LOG_RATIO = 3.0   # a price panel reads on a log axis above this ratio of highest to lowest
__all__ = ["Run", "read", "write", "drawdowns"]


# ----------------------------------------------------------------------------- the charts
def _equity_panel(run: Run, x_range: tuple) -> Panel:
    against = "playbook against its benchmark" if run.benchmark is not None else \
        "playbook (no benchmark was run with it)"
    panel = Panel(f"Equity (USD), {against}", 200, x_range, usd_labels, value_format="usd")
    total = metrics.display("total_return", run.metrics.get("total_return"))
    panel.line(np.arange(len(run.equity)), run.equity["equity_usd"].to_numpy(), PLAYBOOK, 1.3,
               label=f"playbook ({total})")
    if run.benchmark is not None:
        other = metrics.display("total_return", (run.benchmark_metrics or {}).get("total_return"))
        panel.line(run.position(run.benchmark.index), run.benchmark.to_numpy(), BENCHMARK, 1.0,
                   label=f"benchmark: {run.manifest.get('benchmark', '')} ({other})")
    return panel


def _underwater_panel(run: Run, x_range: tuple) -> Panel:
    drawdown = run.drawdown_by_bar.to_numpy()
    deepest = int(np.argmin(drawdown))
    daily = run.metrics.get("max_drawdown")
    panel = Panel(f"Underwater: max drawdown {metrics.display('max_drawdown', daily)} on daily "
                  f"closes (the metric, dashed); drawn per bar, deepest bar "
                  f"{drawdown[deepest]:.2%}",
                  100, x_range, percent_labels, value_format="percent")
    panel.fill(np.arange(len(drawdown)), drawdown, LOSS, 0.35, label="playbook")
    if run.benchmark is not None:
        panel.line(run.position(run.benchmark.index), underwater(run.benchmark).to_numpy(),
                   BENCHMARK, 0.8, label="benchmark")
    if daily:
        panel.threshold(daily, f"max drawdown (metric) {metrics.display('max_drawdown', daily)}",
                        "#1d2330", above=False)
    if drawdown[deepest] < 0:
        when = run.equity.index[deepest].strftime("%Y-%m-%d %H:%M")
        panel.markers([deepest], [drawdown[deepest]], "o", [LOSS],
                      [f"deepest: {drawdown[deepest]:.2%} at {when} UTC"], size=3.0)
    return panel


def _session_spans(session: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """[start, stop) positions of the Asian session (flag 1) of intraday bars."""
    asia = (np.where(np.isnan(session), 0, session).astype(int) & 1) > 0
    starts = np.flatnonzero(asia & ~np.r_[False, asia[:-1]])
    ends = np.flatnonzero(asia & ~np.r_[asia[1:], False])
    return x[starts] - 0.5, x[ends] + 0.5


def _price_panel(run: Run, symbol: str, numbers: dict, x_range: tuple,
                 events: tuple[list, np.ndarray]) -> Panel:
    """`events`: the event calendar inside the window and their bar positions."""
    shaded = run.intraday and run.short
    shading = "; shaded: Asian session (00-09 UTC)" if shaded else ""
    numbered = "; trades numbered as in the blotter" if run.short else ""
    rows = np.flatnonzero(run.prices["symbol"].to_numpy() == symbol)
    closes = run.prices["close"].to_numpy(dtype=float)[rows]
    positive = closes[np.isfinite(closes) & (closes > 0)]
    log = bool(len(positive) and positive.max() > LOG_RATIO * positive.min())
    scale = f"; log scale (highest close over {LOG_RATIO:g}x the lowest)" if log else ""
    panel = unit_panel("price", f"{symbol} close{scale}{shading}{numbered}", 210, x_range)
    panel.log = log
    panel.timezone = _exchange_zone(symbol)
    x = run.position(run.prices.index[rows])
    if run.short:   # a window of weeks: the tooltip gives each bar's open, high and low too
        panel.candles = np.full((len(run.equity), 3), np.nan)
        at = np.rint(x).astype(int)
        prices = run.prices
        panel.candles[at] = np.column_stack([prices[column].to_numpy(dtype=float)[rows]
                                             for column in ("open", "high", "low")])
    if shaded:
        panel.spans(*_session_spans(run.prices["session"].to_numpy(dtype=float)[rows], x),
                    "#f2c14e", 0.2)
    panel.line(x, closes, "#1d2330", 0.9)
    chosen = run.trades["symbol"].to_numpy() == symbol
    if chosen.any():
        own = run.trades[chosen]
        entry, exit_ = run.position(own["entry_time"]), run.position(own["exit_time"])
        pnl = own["pnl_usd"].to_numpy()
        colours = np.where(pnl > 0, WIN, LOSS)
        numbered_as = [numbers[row] for row in own.index]
        titles = trade_titles(own, numbered_as)
        entry_prices, exit_prices = own["entry_price"].to_numpy(), own["exit_price"].to_numpy()
        sides = own["side"].to_numpy()
        panel.segments(entry, entry_prices, exit_, exit_prices, colours)
        for side, shape in (("long", "^"), ("short", "v")):
            chosen_side = sides == side
            panel.markers(entry[chosen_side], entry_prices[chosen_side], shape,
                          colours[chosen_side], np.array(titles)[chosen_side])
        panel.markers(exit_, exit_prices, "o", colours, titles, size=3.5, hollow=True)
        if run.short and len(run.trades) <= 60:
            panel.labels(entry, entry_prices, [str(number) for number in numbered_as],
                         np.where(sides == "long", 13.0, -13.0))
    suspects = [s for s in run.manifest.get("suspect_bars", []) if s["series"] == symbol]
    if suspects:
        panel.markers(run.position([s["time"] for s in suspects]),
                      np.array([s["value"] for s in suspects]), "o", [SUSPECT] * len(suspects),
                      [_suspect_title(s) for s in suspects], size=5.0, hollow=True)
        panel.mark_legend("suspect print (no fill)", SUSPECT, "o")
    found, positions = events
    if found:
        event_marks.draw(panel, found, positions, float(np.nanmax(closes)))
    for label, tint, shape in (("long entry", "#5a6275", "^"), ("short entry", "#5a6275", "v"),
                               ("exit", "#5a6275", "o"), ("win (net)", WIN, "line"),
                               ("loss (net)", LOSS, "line")):
        panel.mark_legend(label, tint, shape)
    return panel


def _exchange_zone(symbol: str) -> str:
    """The instrument's exchange time zone from the registry ('' for one it does not know)."""
    from feeds import instruments
    from feeds.errors import DataError

    try:
        return instruments.get(symbol).timezone
    except DataError:
        return ""


def _suspect_title(suspect: dict) -> str:
    return (f"suspect print {when_text(suspect['time'])}: {suspect['field']} "
            f"{price_text(suspect['value'])}, {suspect['reference']} implies "
            f"{price_text(suspect['expected'])}" + ("; no fill at it" if suspect["field"] == "open"
                                                  else ""))


def _signal_line(run: Run, column: str) -> pd.Series | None:
    """The column's rows of the first symbol (in file order) that has a value in it."""
    if column not in run.signals:
        return None
    values = run.signals[column]
    known = values.notna().to_numpy()
    symbols = run.signals["symbol"].to_numpy()
    for symbol in pd.unique(symbols[pd.notna(symbols)]):
        chosen = symbols == symbol
        if known[chosen].any():
            return values[chosen]
    return None


def _signal_panel(run: Run, declared: dict, x_range: tuple) -> Panel:
    unit = declared.get("unit", "")
    panel = unit_panel(unit, f"{declared.get('title', '')} ({unit_text(unit)})", 100, x_range)
    named = len(declared.get("lines", [])) > 1
    for number, column in enumerate(declared.get("lines", [])):
        values = _signal_line(run, column)
        if values is None:
            continue
        x, y = run.position(values.index), values.to_numpy(dtype=float)
        label = column if named else None
        if unit == "flag":
            panel.fill(x, y, "#6a4c93", 0.35, step=True)
            panel.line(x, y, "#6a4c93", 0.9, label=label, step=True)
            continue
        tint = LINE_TINTS[number % len(LINE_TINTS)]
        known = np.isfinite(y)
        inside = known[np.argmax(known):len(known) - np.argmax(known[::-1])]
        if inside.all():
            panel.line(x, y, tint, 0.9, label=label)
        else:   # a value only at some bars (each session's end): the dots
            panel.dots(x[known], y[known], tint, label=label)
    draw_thresholds(panel, [(threshold["label"], threshold["value"])
                            for threshold in declared.get("thresholds", [])], unit)
    return panel


def _regime_panel(run: Run, x_range: tuple) -> Panel:
    shares = run.manifest.get("regime_shares") or {}
    told = ", ".join(f"{name.replace('_', ' ')} {share:.0%}" for name, share in shares.items())
    panel = Panel("Regime: grey neutral, red deleveraging, amber fiscal risk, white unknown "
                  f"({told} of days)", 18, x_range, lambda ticks: [], y_limits=(0, 1),
                  y_ticks=())
    regime = run.prices["regime"]
    if not (regime.index.is_unique and regime.index.is_monotonic_increasing):
        regime = regime.groupby(level=0).first()   # several symbols: the first known each bar
    panel.band(regime.reindex(run.equity.index).to_numpy(dtype=float), REGIME_COLOURS)
    return panel


def _leverage_panel(run: Run, x_range: tuple) -> Panel:
    leverage = (run.equity["gross_notional_usd"] / run.equity["equity_usd"]).to_numpy()
    panel = Panel("Gross leverage (notional of open contracts / equity); exposure "
                  f"{metrics.display('exposure', run.metrics.get('exposure'))} of bars", 80,
                  x_range, times_labels,
                  y_limits=(0.0, max(float(np.nanmax(leverage)) * 1.15, 0.5)),
                  value_format="times")
    x = np.arange(len(leverage), dtype=float)
    panel.fill(x, leverage, "#2a9d8f", 0.35, step=True)
    panel.line(x, leverage, "#2a9d8f", 0.8, step=True)
    return panel


def _rolling_days(run: Run) -> int:
    return 10 if run.short else 63


def _sharpe_days(run: Run) -> int:
    """Six months of days over a long window (analytics.rolling_sharpe's default); a month in
    an episode of weeks."""
    return 21 if run.short else 126


TINTS = {"playbook": PLAYBOOK, "benchmark": BENCHMARK}


def _rolling_sharpe_panel(run: Run, x_range: tuple) -> Panel:
    days = _sharpe_days(run)
    panel = Panel(f"Sharpe ratio of the last {days} daily returns, annualised (x sqrt "
                  f"{ANNUALISATION}); gaps: not enough days yet, or no variance", 80, x_range,
                  plain_labels)
    for curve in run.daily_curves:
        sharpe = rolling_sharpe(curve.returns, days)
        panel.line(curve.positions, sharpe.to_numpy(), TINTS[curve.label], 1.0,
                   label=curve.label)
    return panel


def _rolling_panel(run: Run, x_range: tuple) -> Panel:
    days = _rolling_days(run)
    panel = Panel(f"Volatility of daily returns over the last {days} days, annualised "
                  f"(x{ANNUALISATION})", 80, x_range, percent_labels)
    panel.value_format = "percent"
    for curve in run.daily_curves:
        volatility = rolling_volatility(curve.returns, days)
        panel.line(curve.positions, volatility.to_numpy(), TINTS[curve.label], 1.0,
                   label=curve.label)
    return panel


TRIGGER_NAMES = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"   # letters: the numbers are the trades'


def _timelines(run: Run, numbers: dict) -> tuple[str, str, str]:
    """(equity and underwater, the detail panels, the zoom script): two stacks on one
    trading-time axis, each with its dates under its last panel and the episode's triggers
    through every panel, lettered on the first of each."""
    x_range = (-0.5, len(run.equity) - 0.5)
    found = event_marks.inside(run.equity.index)   # the event calendar in the window
    events = (found, run.position(pd.DatetimeIndex([event.instant for event in found]))
              if found else np.array([]))
    stacks = ([_equity_panel(run, x_range), _underwater_panel(run, x_range)],
              [_price_panel(run, symbol, numbers, x_range, events)
               for symbol in run.prices["symbol"].unique()]
              + [_signal_panel(run, p, x_range) for p in run.manifest.get("signal_panels") or []]
              + [_regime_panel(run, x_range), _leverage_panel(run, x_range),
                 _rolling_panel(run, x_range), _rolling_sharpe_panel(run, x_range)])
    ticks = trading_time_ticks(run.equity.index)
    triggers = run.position([f"{t.date}T00:00:00+00:00" for t in run.triggers]) \
        if run.triggers else np.array([])
    names = TRIGGER_NAMES[:len(triggers)]
    drawn, every = [], []
    for stack in stacks:
        drawn.append("".join(
            render(panel, x_ticks=ticks if panel is stack[-1] else None, grid_x=ticks[0],
                   triggers=triggers, trigger_names=names if panel is stack[0] else (),
                   alt=panel.heading, zoom=len(every) + number)
            for number, panel in enumerate(stack)))
        every += stack
    return drawn[0], drawn[1], zoom.timeline(every, run.equity.index, triggers, names,
                                             lettered=(0, len(stacks[0])),
                                             assets=zoom.shared_assets(run.directory))


def _distribution(run: Run) -> str:
    """Daily-return histogram (playbook and benchmark) and, with trades, each trade's net P&L
    with its adverse and favourable excursions."""
    trades = run.trades
    series = []
    for curve in run.daily_curves:
        returns = curve.returns.to_numpy()
        series.append((curve.label, returns[~np.isnan(returns)], TINTS[curve.label]))
    values = np.concatenate([returns[returns != 0] for _, returns, _ in series])
    values = values if values.size else np.zeros(1)
    edges = np.linspace(min(values.min(), 0) - 1e-4, max(values.max(), 0) + 1e-4, 41)
    width = WIDTH if trades.empty else WIDTH // 2 - 8
    margin = (edges[-1] - edges[0]) * 0.05
    worst = metrics.display("worst_day", run.metrics.get("worst_day"))
    counted = [np.histogram(returns[returns != 0], bins=edges)[0].astype(float)
               for _, returns, _ in series]
    most = max(float(c.max()) for c in counted) if counted else 1.0
    histogram = Panel(f"Daily returns (worst day {worst}); y: days", 190,
                      (edges[0] - margin, edges[-1] + margin), plain_labels, width=width,
                      y_limits=(0.0, max(most, 1.0) * 1.08), y_ticks=count_ticks(most))
    for (label, returns, tint), counts in zip(series, counted):
        moved = returns[returns != 0]
        flat = f"; {len(returns) - len(moved):,d} flat days not drawn" if len(moved) < len(
            returns) else ""
        said = f"{label} ({len(moved):,d} days{flat})"
        outline = (np.r_[edges[0], edges, edges[-1]], np.r_[0.0, counts, 0.0, 0.0])
        if label == "playbook":
            histogram.fill(*outline, tint, 0.6, step=True, label=said)
        else:
            histogram.line(*outline, tint, 1.0, step=True, label=said)
    histogram.verticals([0.0], "#1d2330", 0.6)
    charts = [render(histogram, x_labels=percent_labels, alt="daily return distribution")]
    if len(trades):
        number = np.arange(1, len(trades) + 1, dtype=float)
        pnl = trades["pnl_usd"].to_numpy()
        outcomes = Panel("Net P&L per trade (USD); whisker: worst to best open P&L (MAE..MFE)",
                         190, (0.4 - 0.05 * len(trades), len(trades) + 0.6 + 0.05 * len(trades)),
                         usd_labels, width=width)
        outcomes.whiskers(number, trades["mae_usd"], trades["mfe_usd"], "#8a8f9c")
        outcomes.bars(number, pnl, np.where(pnl > 0, WIN, LOSS), 0.6)
        ticks = (number, [f"{n:.0f}" for n in number]) if len(trades) <= 40 else None
        charts.append(render(outcomes, x_ticks=ticks,
                             x_labels=None if ticks else plain_labels, alt="P&L per trade"))
    return f"<div class=pair>{''.join(charts)}</div>"


def _proxies(run: Run) -> str:
    """A caption for each traded price that is a stand-in (the registry's `proxy`)."""
    from feeds import instruments
    from feeds.errors import DataError

    said = []
    for symbol in run.prices["symbol"].unique():
        try:
            proxy = instruments.get(symbol).proxy
        except DataError:
            continue
        if proxy:
            said.append(f"<p class=proxy><b>{escape(symbol)} is priced from a proxy</b>: "
                        f"{escape(proxy)}. The basis to the future and the night session are "
                        "not in these prices or fills.</p>")
    return "".join(said)


def _headline(run: Run) -> str:
    def mine(key: str) -> str:
        return escape(metrics.display(key, run.metrics.get(key)))

    if run.benchmark_metrics is None:   # a scorecard's full-history run has none
        against = "; no benchmark was run with it"
    else:
        name = run.manifest.get("benchmark") or "benchmark"
        theirs = metrics.display("total_return",
                                 run.benchmark_metrics.get("total_return"))
        against = f" against {escape(name)} {escape(theirs)}"
    bar_level = float(run.drawdown_by_bar.min())
    return (f"<p class=lead>Net P&amp;L <b>{mine('pnl_usd')}</b> ({mine('total_return')})"
            f"{against}; max drawdown <b>{mine('max_drawdown')}</b> (daily closes, the metric; "
            f"the deepest bar {bar_level:.2%}); "
            f"{metrics.trades_text(run.metrics.get('trades'))}, hit "
            f"rate {mine('hit_rate')}; fees {mine('fees_usd')}.</p>")


def _title(run: Run) -> str:
    from unwind.evidence import episodes

    config = run.config
    episode = config.get("episode")
    named = episodes.catalogue()[episode].name if episode in episodes.catalogue() else episode
    where = f"{escape(named)} ({escape(episode)}), " if episode else ""
    return (f"<h1>{escape(config['playbook'])}</h1><p class=sub>{where}window "
            f"{escape(config['start'])} .. {escape(config['end'])} (UTC dates, warm-up excluded); "
            f"{len(run.equity):,d} bars of {escape(run.manifest.get('bar', ''))} on a trading-time "
            "axis (hours without bars take no width)</p>")


def write(directory: Path) -> Path:
    """Write `tear_sheet.html` for the run in `directory` from its files; returns its path."""
    run = read(directory)
    numbers = {row: n for n, row in enumerate(run.trades.index, start=1)}
    triggers = "".join(f"<li><b>{name}</b>. {escape(t.date)}: {escape(t.label)}</li>"
                       for name, t in zip(TRIGGER_NAMES, run.triggers))
    overview, details, script = _timelines(run, numbers)
    body = (_title(run) + _headline(run) + _proxies(run) + zoom.toolbar() + overview
            + (f"<p class=caption>Dashed red lines: the episode's triggers (00:00 UTC of the "
               f"day), lettered; numbers are trades.</p><ol class=caption "
               f"style='list-style:none;padding:0;margin:0'>{triggers}</ol>" if triggers else "")
            + (returns_by_day(run) if run.short else returns_by_month(run))
            + drawdown_table(run) + f"<h2>Metrics</h2>{metrics_table(run)}"
            + "<h2>Prices, decisions and exposure</h2>" + details
            + "<h2>Daily returns and trade outcomes</h2>" + _distribution(run)
            + f"<h2>Trades</h2>{blotter(run)}" + parameters_table(run) + configuration(run)
            + script)
    path = run.directory / "tear_sheet.html"
    staged = path.with_name(f".{path.name}.partial")  # a rewrite never leaves half a page
    try:
        staged.write_text(page(f"{run.config['playbook']} tear sheet", run.manifest["synthetic"],
                               body))
        os.replace(staged, path)
    finally:
        staged.unlink(missing_ok=True)
    return path
