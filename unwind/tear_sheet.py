"""The tear sheet: one self-contained HTML page per run directory, made from its files only.

For a futures trader reviewing a playbook in an episode (issue 7, section 4). Stacked SVG
panels (`unwind.charts`) on one trading-time axis (bar positions, date labels): equity against
the benchmark, underwater, each traded price with sessions, triggers and trades (hover a marker
for its blotter line), the playbook's signal panels with thresholds, the regime band, gross
leverage and rolling volatility; so a trigger sits at the same x everywhere. Then the metrics,
the trade blotter, returns by day (an episode window) or by month, the worst drawdowns, every
parameter used and the configuration.

Drawdowns: the underwater panel is bar level; the metric and the worst-drawdowns table use
daily closes (the last equity of each UTC day), and the page names both depths.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from html import escape
from pathlib import Path

import numpy as np
import pandas as pd

from unwind import event_marks
from unwind import metrics as metric_registry
from unwind.charts import (WIDTH, Panel, percent_labels, plain_labels, render, usd_labels)
from unwind.pages import colour, page, trading_time_ticks

WIN, LOSS, PLAYBOOK, BENCHMARK = "#1a7f37", "#b3261e", "#1f4e9c", "#8a8f9c"
SUSPECT = "#d97706"   # amber: a price the second source contradicts
REGIME_COLOURS = ("#dfe3ea", "#d9534f", "#e8a33d")  # neutral, deleveraging, fiscal_risk
SHORT_WINDOW = pd.Timedelta(days=183)  # up to ~6 months: returns by day, sessions shaded
ANNUALISATION = metric_registry.ANNUALISATION


@dataclass(frozen=True)
class Run:
    """A run directory's files, read once. Times are tz-aware UTC."""

    directory: Path
    manifest: dict
    metrics: dict
    benchmark_metrics: dict | None
    equity: pd.DataFrame           # equity_usd, gross_notional_usd by bar
    benchmark: pd.Series | None    # benchmark equity_usd by bar
    trades: pd.DataFrame
    prices: pd.DataFrame
    signals: pd.DataFrame
    triggers: tuple

    @property
    def config(self) -> dict:
        return self.manifest["config"]

    @property
    def short(self) -> bool:
        return self.equity.index[-1] - self.equity.index[0] <= SHORT_WINDOW

    @property
    def intraday(self) -> bool:
        return not self.manifest.get("bar", "1d").endswith(("d", "w"))

    @property
    def daily_closes(self) -> pd.Series:
        """USD equity at the last bar of each UTC day: what the metrics are computed from."""
        equity = self.equity["equity_usd"]
        return equity.groupby(equity.index.normalize()).last()

    def position(self, times) -> np.ndarray:
        """Fractional bar positions of instants on the run's trading-time axis."""
        instants = pd.DatetimeIndex(pd.to_datetime(times, utc=True, format="ISO8601"))
        return np.interp(_seconds(instants), _seconds(self.equity.index),
                         np.arange(len(self.equity), dtype=float))


def _seconds(index: pd.DatetimeIndex) -> np.ndarray:
    return index.as_unit("s").asi8.astype(float)


def _frame(path: Path) -> pd.DataFrame:
    frame = pd.read_csv(path)
    frame.index = pd.to_datetime(frame.pop("time"), utc=True, format="ISO8601")
    return frame


def _triggers(manifest: dict) -> tuple:
    """The episode's triggers (a run-spec window has only its own first trigger)."""
    from unwind import episodes
    from unwind.episodes import Trigger

    config = manifest["config"]
    if config.get("episode") in episodes.catalogue():
        return episodes.get(config["episode"]).triggers
    if config.get("first_trigger"):
        return (Trigger(config["first_trigger"], "first trigger"),)
    return ()


def read(directory: Path) -> Run:
    """The run directory's files (benchmark and signal files may be absent)."""
    directory = Path(directory)
    manifest = json.loads((directory / "manifest.json").read_text())
    benchmark_metrics = directory / "benchmark_metrics.json"
    benchmark = directory / "benchmark_equity.csv"
    signals = directory / "signals.csv"
    return Run(
        directory, manifest, json.loads((directory / "metrics.json").read_text()),
        json.loads(benchmark_metrics.read_text()) if benchmark_metrics.exists() else None,
        _frame(directory / "equity.csv"),
        _frame(benchmark)["equity_usd"] if benchmark.exists() else None,
        pd.read_csv(directory / "trades.csv"), _frame(directory / "prices.csv"),
        _frame(signals) if signals.exists() else pd.DataFrame(columns=["symbol"]),
        tuple(_triggers(manifest)))


# ----------------------------------------------------------------------------- formatting
def _display(key: str, value) -> str:
    return metric_registry.BY_KEY[key].display(value)


def _price(value: float) -> str:
    """A price as quoted: thousands separators, no trailing zeros (ZN's 1/64ths survive)."""
    if not np.isfinite(value):
        return "n/a"
    return format(value, ",.5f").rstrip("0").rstrip(".")


def _when(value: str) -> str:
    return pd.Timestamp(value).tz_convert("UTC").strftime("%Y-%m-%d %H:%M")


def _signed(value: float, kind: str) -> str:
    css = "pos" if value > 0 else "neg" if value < 0 else ""
    return f"<td class='num {css}'>{value:+,.0f}</td>" if kind == "usd" else \
        f"<td class='num {css}'>{value:+.2%}</td>"


# ----------------------------------------------------------------------------- the charts
def _unit_panel(unit: str, heading: str, height: int, x_range: tuple) -> Panel:
    """A panel whose y axis reads in `unit` (as the playbook's signal panels declare it)."""
    if unit == "flag":
        return Panel(heading, height, x_range, plain_labels, y_limits=(-0.15, 1.25),
                     y_ticks=(0, 1))
    labels = {"fraction": percent_labels, "annualised fraction": percent_labels,
              "percentage points": lambda ticks: [f"{v:.2f} pp" for v in ticks],
              "z-score": lambda ticks: [f"{v:+.1f}" for v in ticks]}
    return Panel(heading, height, x_range, labels.get(unit, lambda ticks: [
        _price(v) for v in ticks]))


def _threshold_text(value: float, unit: str) -> str:
    if value == 0:
        return "0"
    if unit in ("fraction", "annualised fraction"):
        return f"{value:.2%}"
    if unit == "percentage points":
        return f"{value:.2f} pp"
    return f"{value:g}"


def _equity_panel(run: Run, x_range: tuple) -> Panel:
    panel = Panel("Equity (USD), playbook against its benchmark", 200, x_range, usd_labels)
    total = _display("total_return", run.metrics.get("total_return"))
    panel.line(np.arange(len(run.equity)), run.equity["equity_usd"].to_numpy(), PLAYBOOK, 1.3,
               label=f"playbook ({total})")
    if run.benchmark is not None:
        other = _display("total_return", (run.benchmark_metrics or {}).get("total_return"))
        panel.line(run.position(run.benchmark.index), run.benchmark.to_numpy(), BENCHMARK, 1.0,
                   label=f"benchmark: {run.manifest.get('benchmark', '')} ({other})")
    return panel


def _underwater(equity: pd.Series) -> pd.Series:
    return equity / equity.cummax() - 1


def _underwater_panel(run: Run, x_range: tuple) -> Panel:
    drawdown = _underwater(run.equity["equity_usd"]).to_numpy()
    deepest = int(np.argmin(drawdown))
    daily = run.metrics.get("max_drawdown")
    panel = Panel(f"Underwater (bar level): deepest {drawdown[deepest]:.2%}; dotted: daily-close "
                  f"max drawdown {_display('max_drawdown', daily)} (the metric)", 100, x_range,
                  percent_labels)
    panel.fill(np.arange(len(drawdown)), drawdown, LOSS, 0.35, label="playbook")
    if run.benchmark is not None:
        panel.line(run.position(run.benchmark.index), _underwater(run.benchmark).to_numpy(),
                   BENCHMARK, 0.8, label="benchmark")
    if daily:
        panel.line(list(x_range), [daily, daily], "#1d2330", 0.8, dash="1 2")
    if drawdown[deepest] < 0:
        when = run.equity.index[deepest].strftime("%Y-%m-%d %H:%M")
        panel.markers([deepest], [drawdown[deepest]], "o", [LOSS],
                      [f"deepest: {drawdown[deepest]:.2%} at {when} UTC"], size=3.0)
    return panel


def _session_spans(mine: pd.DataFrame, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """[start, stop) positions of the Asian session (flag 1) of intraday bars."""
    asia = (mine["session"].fillna(0).astype(int).to_numpy() & 1) > 0
    starts = np.flatnonzero(asia & ~np.r_[False, asia[:-1]])
    ends = np.flatnonzero(asia & ~np.r_[asia[1:], False])
    return x[starts] - 0.5, x[ends] + 0.5


def _trade_title(number: int, trade) -> str:
    return (f"trade {number}: {trade.side} {int(trade.contracts):,d} {trade.symbol}, entry "
            f"{_when(trade.entry_time)} at {_price(trade.entry_price)}, exit "
            f"{_when(trade.exit_time)} at {_price(trade.exit_price)} ({trade.exit_reason}), net "
            f"{trade.pnl_usd:+,.0f} USD")


def _price_panel(run: Run, symbol: str, numbers: dict, x_range: tuple) -> Panel:
    shaded = run.intraday and run.short
    shading = "; shaded: Asian session (00-09 UTC)" if shaded else ""
    numbered = "; trades numbered as in the blotter" if run.short else ""
    panel = _unit_panel("price", f"{symbol} close{shading}{numbered}", 210, x_range)
    mine = run.prices[run.prices["symbol"] == symbol]
    x = run.position(mine.index)
    if shaded:
        panel.spans(*_session_spans(mine, x), "#f2c14e", 0.2)
    panel.line(x, mine["close"].to_numpy(), "#1d2330", 0.9)
    own = run.trades[run.trades["symbol"] == symbol]
    if len(own):
        entry, exit_ = run.position(own["entry_time"]), run.position(own["exit_time"])
        colours = np.where(own["pnl_usd"].to_numpy() > 0, WIN, LOSS)
        titles = [_trade_title(numbers[row], trade) for row, trade in
                  zip(own.index, own.itertuples(index=False))]
        panel.segments(entry, own["entry_price"], exit_, own["exit_price"], colours)
        for side, shape in (("long", "^"), ("short", "v")):
            chosen = (own["side"] == side).to_numpy()
            panel.markers(entry[chosen], own["entry_price"].to_numpy()[chosen], shape,
                          colours[chosen], np.array(titles)[chosen])
        panel.markers(exit_, own["exit_price"], "o", colours, titles, size=3.5, hollow=True)
        if run.short and len(run.trades) <= 60:
            panel.labels(entry, own["entry_price"], [str(numbers[row]) for row in own.index],
                         np.where(own["side"] == "long", 13.0, -13.0))
    suspects = [s for s in run.manifest.get("suspect_bars", []) if s["series"] == symbol]
    if suspects:
        panel.markers(run.position([s["time"] for s in suspects]),
                      np.array([s["value"] for s in suspects]), "o", [SUSPECT] * len(suspects),
                      [_suspect_title(s) for s in suspects], size=5.0, hollow=True)
        panel.mark_legend("suspect print (no fill)", SUSPECT, "o")
    found = event_marks.inside(run.equity.index)   # the event calendar in the window
    if found:
        event_marks.draw(panel, found, run.position([e.instant.isoformat() for e in found]),
                         float(np.nanmax(mine["close"].to_numpy())))
    for label, tint, shape in (("long entry", "#5a6275", "^"), ("short entry", "#5a6275", "v"),
                               ("exit", "#5a6275", "o"), ("win (net)", WIN, "line"),
                               ("loss (net)", LOSS, "line")):
        panel.mark_legend(label, tint, shape)
    return panel


def _suspect_title(suspect: dict) -> str:
    return (f"suspect print {_when(suspect['time'])}: {suspect['field']} "
            f"{_price(suspect['value'])}, {suspect['reference']} implies "
            f"{_price(suspect['expected'])}" + ("; no fill at it" if suspect["field"] == "open"
                                                  else ""))


def _signal_line(run: Run, column: str) -> pd.Series | None:
    if column not in run.signals:
        return None
    for _symbol, rows in run.signals.groupby("symbol", sort=False):
        values = rows[column]
        if values.notna().any():
            return values
    return None


def _signal_panel(run: Run, declared: dict, x_range: tuple) -> Panel:
    unit = declared.get("unit", "")
    panel = _unit_panel(unit, f"{declared.get('title', '')} ({unit})", 100, x_range)
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
        tint = ("#6a4c93", "#2a9d8f", "#c05621")[number % 3]
        known = np.isfinite(y)
        inside = known[np.argmax(known):len(known) - np.argmax(known[::-1])]
        if inside.all():
            panel.line(x, y, tint, 0.9, label=label)
        else:   # a value only at some bars (each session's end): the dots
            panel.dots(x[known], y[known], tint, label=label)
    ordered = sorted(declared.get("thresholds", []), key=lambda t: -t["value"])
    for number, threshold in enumerate(ordered):  # alternate sides: neighbours do not overlap
        panel.threshold(threshold["value"], f"{threshold['label']} = "
                        f"{_threshold_text(threshold['value'], unit)}", "#c05621",
                        above=number % 2 == 0)
    return panel


def _regime_panel(run: Run, x_range: tuple) -> Panel:
    shares = run.manifest.get("regime_shares") or {}
    told = ", ".join(f"{name.replace('_', ' ')} {share:.0%}" for name, share in shares.items())
    panel = Panel("Regime: grey neutral, red deleveraging, amber fiscal risk, white unknown "
                  f"({told} of days)", 18, x_range, lambda ticks: [], y_limits=(0, 1),
                  y_ticks=())
    regime = run.prices["regime"].groupby(level=0).first()
    panel.band(regime.reindex(run.equity.index).to_numpy(dtype=float), REGIME_COLOURS)
    return panel


def _leverage_panel(run: Run, x_range: tuple) -> Panel:
    leverage = (run.equity["gross_notional_usd"] / run.equity["equity_usd"]).to_numpy()
    panel = Panel("Gross leverage (notional of open contracts / equity); exposure "
                  f"{_display('exposure', run.metrics.get('exposure'))} of bars", 80, x_range,
                  lambda ticks: [f"{v:.1f}x" for v in ticks],
                  y_limits=(0.0, max(float(np.nanmax(leverage)) * 1.15, 0.5)))
    x = np.arange(len(leverage), dtype=float)
    panel.fill(x, leverage, "#2a9d8f", 0.35, step=True)
    panel.line(x, leverage, "#2a9d8f", 0.8, step=True)
    return panel


def _rolling_days(run: Run) -> int:
    return 10 if run.short else 63


def _rolling_panel(run: Run, x_range: tuple) -> Panel:
    days = _rolling_days(run)
    panel = Panel(f"Volatility of daily returns over the last {days} days, annualised "
                  f"(x{ANNUALISATION})", 80, x_range, percent_labels)
    curves = [("playbook", run.equity["equity_usd"], PLAYBOOK)]
    if run.benchmark is not None:
        curves.append(("benchmark", run.benchmark, BENCHMARK))
    for label, equity, tint in curves:
        closes = equity.groupby(equity.index.normalize()).last()
        last_bar = equity.index.to_series().groupby(equity.index.normalize()).last()
        volatility = closes.pct_change().rolling(days).std() * np.sqrt(ANNUALISATION)
        panel.line(run.position(last_bar.to_numpy()), volatility.to_numpy(), tint, 1.0,
                   label=label)
    return panel


def _timeline(run: Run, numbers: dict) -> str:
    """Every panel on one trading-time axis: the dates under the last, the episode's triggers
    through all of them, numbered on the first."""
    x_range = (-0.5, len(run.equity) - 0.5)
    panels = ([_equity_panel(run, x_range), _underwater_panel(run, x_range)]
              + [_price_panel(run, s, numbers, x_range) for s in run.prices["symbol"].unique()]
              + [_signal_panel(run, p, x_range) for p in run.manifest.get("signal_panels") or []]
              + [_regime_panel(run, x_range), _leverage_panel(run, x_range),
                 _rolling_panel(run, x_range)])
    ticks = trading_time_ticks(run.equity.index)
    triggers = run.position([f"{t.date}T00:00:00+00:00" for t in run.triggers]) \
        if run.triggers else []
    return "".join(render(panel, x_ticks=ticks if panel is panels[-1] else None,
                          grid_x=ticks[0], triggers=triggers,
                          trigger_numbers=panel is panels[0], alt=panel.heading)
                   for panel in panels)


def _distribution(run: Run) -> str:
    """Daily-return histogram (playbook and benchmark) and, with trades, each trade's net P&L
    with its adverse and favourable excursions."""
    trades = run.trades
    series = [("playbook", run.daily_closes, PLAYBOOK)]
    if run.benchmark is not None:
        series.append(("benchmark", run.benchmark.groupby(run.benchmark.index.normalize()).last(),
                       BENCHMARK))
    series = [(label, closes.pct_change().dropna(), tint) for label, closes, tint in series]
    values = np.concatenate([returns[returns != 0].to_numpy() for _, returns, _ in series])
    values = values if values.size else np.zeros(1)
    edges = np.linspace(min(values.min(), 0) - 1e-4, max(values.max(), 0) + 1e-4, 41)
    width = WIDTH if trades.empty else WIDTH // 2 - 8
    margin = (edges[-1] - edges[0]) * 0.05
    worst = _display("worst_day", run.metrics.get("worst_day"))
    histogram = Panel(f"Daily returns (worst day {worst}); y: days", 190,
                      (edges[0] - margin, edges[-1] + margin), plain_labels, width=width)
    for label, returns, tint in series:
        moved = returns[returns != 0]
        counts = np.histogram(moved.to_numpy(), bins=edges)[0].astype(float)
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


# ----------------------------------------------------------------------------- the tables
def _metrics_table(run: Run) -> str:
    rows = []
    for metric in metric_registry.METRICS:
        mine = run.metrics.get(metric.key)
        if metric.playbook_only or run.benchmark_metrics is None:
            theirs_cell = excess_cell = "<td class='num muted'>-</td>"
        else:
            theirs = run.benchmark_metrics.get(metric.key)
            excess = mine - theirs if mine is not None and theirs is not None else None
            theirs_cell = f"<td class=num>{escape(metric.display(theirs))}</td>"
            excess_cell = f"<td class=num>{escape(metric.display(excess))}</td>"
        rows.append(f"<tr><th>{escape(metric.title)} <span class=muted>"
                    f"({escape(metric.unit)})</span></th><td class=num>"
                    f"{escape(metric.display(mine))}</td>{theirs_cell}{excess_cell}</tr>")
    return ("<table><tr><th>metric</th><th>playbook</th><th>benchmark</th>"
            f"<th>playbook - benchmark</th></tr>{''.join(rows)}</table>")


def _blotter(run: Run) -> str:
    from strategies.base import EXIT_REASONS

    trades = run.trades
    if trades.empty:
        skipped = len(run.manifest.get("skipped_trades") or [])
        more = f" {skipped} entries were skipped; see the configuration below." if skipped else ""
        return (f"<p class=lead><b>No trades</b>: the playbook took no position in this window; "
                f"its P&amp;L is 0 USD.{more}</p>")
    header = ("#", "symbol", "side", "contracts", "entry (UTC)", "exit (UTC)", "entry price",
              "exit price", "exit reason", "net P&L USD", "fees USD", "MAE USD", "MFE USD",
              "bars held")
    rows = []
    for number, trade in enumerate(trades.itertuples(index=False), start=1):
        reason = str(trade.exit_reason)
        status = "" if trade.status == "closed" else \
            f" <span class=muted>({escape(trade.status)})</span>"
        outcome = "win" if trade.pnl_usd > 0 else "loss"
        rows.append(
            f"<tr class='trade {outcome}'><td class=num>{number}</td>"
            f"<td>{escape(trade.symbol)}</td><td>{escape(trade.side)}</td>"
            f"<td class=num>{int(trade.contracts):,d}</td><td>{_when(trade.entry_time)}</td>"
            f"<td>{_when(trade.exit_time)}</td><td class=num>{_price(trade.entry_price)}</td>"
            f"<td class=num>{_price(trade.exit_price)}</td>"
            f"<td title='{escape(EXIT_REASONS.get(reason, ''))}'>{escape(reason)}{status}</td>"
            f"{_signed(trade.pnl_usd, 'usd')}<td class=num>{trade.fees_usd:,.0f}</td>"
            f"{_signed(trade.mae_usd, 'usd')}{_signed(trade.mfe_usd, 'usd')}"
            f"<td class=num>{int(trade.bars_held):,d}</td></tr>")
    total = (f"<tr class=total><td colspan=9>{metric_registry.trades_text(len(trades))}, "
             f"{(trades['pnl_usd'] > 0).sum()} winning</td>{_signed(trades['pnl_usd'].sum(), 'usd')}"
             f"<td class=num>{trades['fees_usd'].sum():,.0f}</td><td colspan=3></td></tr>")
    currencies = sorted(set(trades["currency"]) - {"USD"})
    converted = (f"<p class=caption>P&amp;L in {', '.join(currencies)} converted to USD at each "
                 "trade's rate (fx_rate in trades.csv).</p>") if currencies else ""
    return (f"<table class=blotter><tr>{''.join(f'<th>{escape(h)}</th>' for h in header)}</tr>"
            f"{''.join(rows)}{total}</table><p class=caption>MAE/MFE: worst and best open P&amp;L "
            "while held (USD). Hover an exit reason for its meaning.</p>" + converted)


def _heat_cell(value: float | None, scale: float, title: str = "") -> str:
    if value is None or not np.isfinite(value):
        return "<td class=na></td>"
    if value == 0:
        return f"<td class=zero title='{escape(title)}'>0.00%</td>"
    return (f"<td style='background:{colour(value, scale)}' title='{escape(title)}'>"
            f"{value:+.2%}</td>")


def _returns_by_day(run: Run) -> str:
    closes = run.daily_closes
    returns = closes / closes.shift(1, fill_value=run.equity["equity_usd"].iloc[0]) - 1
    weeks = returns.index - pd.to_timedelta(returns.index.day_of_week, unit="D")
    weekdays = sorted(set(returns.index.day_of_week))
    names = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    scale = float(returns.abs().max())
    rows = []
    for week, days in returns.groupby(weeks):
        by_day = dict(zip(days.index.day_of_week, zip(days.index, days.to_numpy())))
        cells = "".join(_heat_cell(by_day[d][1], scale, by_day[d][0].strftime("%a %d %b %Y"))
                        if d in by_day else "<td></td>" for d in weekdays)
        weekly = float(np.prod(1 + days.to_numpy()) - 1)
        rows.append(f"<tr><th>week of {week:%d %b}</th>{cells}"
                    f"<td class=num><b>{weekly:+.2%}</b></td></tr>")
    header = "".join(f"<th>{names[d]}</th>" for d in weekdays)
    return ("<h2>Returns by day</h2><p class=caption>Change of the USD equity from one UTC day's "
            "last bar to the next (the first day from the starting cash).</p><table class=heat>"
            f"<tr><th></th>{header}<th>week</th></tr>{''.join(rows)}</table>")


def _returns_by_month(run: Run) -> str:
    equity = run.equity["equity_usd"]
    closes = equity.groupby(equity.index.tz_convert(None).to_period("M")).last()
    returns = closes / closes.shift(1, fill_value=equity.iloc[0]) - 1
    yearly = closes.groupby(closes.index.year).last()
    yearly = yearly / yearly.shift(1, fill_value=equity.iloc[0]) - 1
    scale = float(returns.abs().max())
    rows = []
    for year in sorted(set(returns.index.year)):
        cells = "".join(_heat_cell(returns.get(pd.Period(year=year, month=m, freq="M")), scale)
                        for m in range(1, 13))
        rows.append(f"<tr><th>{year}</th>{cells}<td class=num><b>{yearly[year]:+.2%}</b></td></tr>")
    header = "".join(f"<th>{pd.Timestamp(2000, m, 1):%b}</th>" for m in range(1, 13))
    return ("<h2>Returns by month</h2><p class=caption>Change of the USD equity between month-end "
            "closes (the first month from the starting cash); blank: outside the window.</p>"
            f"<table class=heat><tr><th></th>{header}<th>year</th></tr>{''.join(rows)}</table>")


def drawdowns(closes: pd.Series, top: int = 5) -> list[dict]:
    """The `top` deepest drawdowns of an equity series: peak, trough, recovery (None when not
    recovered), depth (fraction, negative) and calendar days from peak to recovery or the end."""
    values = closes.to_numpy(dtype=float)
    underwater = values / np.maximum.accumulate(values) - 1
    below = underwater < 0
    starts = np.flatnonzero(below & ~np.r_[False, below[:-1]])
    ends = np.flatnonzero(below & ~np.r_[below[1:], False])
    found = []
    for first, last in zip(starts, ends):
        trough = first + int(np.argmin(underwater[first:last + 1]))
        recovered = last + 1 < len(values)
        peak = closes.index[max(first - 1, 0)]
        finish = closes.index[last + 1] if recovered else closes.index[-1]
        found.append({"peak": peak, "trough": closes.index[trough],
                      "recovery": closes.index[last + 1] if recovered else None,
                      "depth": float(underwater[trough]), "days": (finish - peak).days})
    return sorted(found, key=lambda d: d["depth"])[:top]


def _drawdown_table(run: Run) -> str:
    found = drawdowns(run.daily_closes)
    bar_level = float(_underwater(run.equity["equity_usd"]).min())
    said = (f"<p class=caption>On daily closes, as the metric: deepest "
            f"{_display('max_drawdown', run.metrics.get('max_drawdown'))} (max drawdown in "
            f"metrics.json). The underwater chart is bar level: deepest {bar_level:.2%}.</p>")
    if not found:
        return ("<h2>Worst drawdowns</h2><p class=lead>No drawdown: the equity never closed a day "
                f"below an earlier high.</p>{said}")
    rows = "".join(
        f"<tr class=drawdown><td class=num>{n}</td><td>{d['peak']:%Y-%m-%d}</td>"
        f"<td>{d['trough']:%Y-%m-%d}</td><td>"
        f"{'not recovered' if d['recovery'] is None else format(d['recovery'], '%Y-%m-%d')}</td>"
        f"<td class='num neg' data-depth='{d['depth']:.12g}'>{d['depth']:.2%}</td>"
        f"<td class=num>{d['days']:,d}</td></tr>" for n, d in enumerate(found, start=1))
    return ("<h2>Worst drawdowns (daily closes)</h2><table><tr><th>#</th><th>peak</th>"
            "<th>trough</th><th>recovery</th><th>depth</th><th>calendar days (peak to recovery "
            f"or the window's end)</th></tr>{rows}</table>{said}")


def _value(value) -> str:
    """A configuration or parameter value as a person reads it."""
    if value is None or value == "" or value == {} or value == []:
        return "none"
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer() and abs(value) >= 1000:
        return f"{value:,.0f}"
    return json.dumps(value) if isinstance(value, (dict, list, bool)) else str(value)


def _parameters_table(run: Run) -> str:
    used = run.manifest.get("parameters") or {}
    defaults = run.manifest.get("parameter_defaults") or {}
    rows = []
    for name in dict.fromkeys([*used, *defaults]):
        value, default = used.get(name, defaults.get(name)), defaults.get(name, "(none)")
        changed = name not in defaults or value != default
        rows.append(f"<tr class='parameter{' changed' if changed else ''}'><th>{escape(name)}</th>"
                    f"<td class=num>{escape(_value(value))}</td>"
                    f"<td class=num>{escape(_value(default))}</td>"
                    f"<td class=marker>{'changed' if changed else ''}</td></tr>")
    return ("<h2>Parameters</h2><p class=caption>Every parameter the run used; highlighted and "
            "marked <b>changed</b> where it differs from the playbook's default.</p><table>"
            "<tr><th>parameter</th><th>value used</th><th>default</th><th></th></tr>"
            f"{''.join(rows)}</table>")


def _configuration(run: Run) -> str:
    config = {k: v for k, v in run.config.items() if k != "parameters"}
    rows = {**config, "bar": run.manifest.get("bar"), "benchmark": run.manifest.get("benchmark"),
            "config_sha256": run.manifest.get("config_sha256"),
            "git_commit": run.manifest.get("git_commit")}
    cells = "".join(f"<tr><th>{escape(str(k))}</th><td>{escape(_value(v))}</td></tr>"
                    for k, v in rows.items())
    data = "".join(f"<tr><td>{escape(d.get('series', ''))}</td><td>{escape(d.get('bar', ''))}</td>"
                   f"<td><code>{escape(str(d.get('data_sha256', ''))[:16])}</code></td></tr>"
                   for d in run.manifest.get("data") or [])
    notes = "".join(f"<li>{escape(str(n))}</li>" for n in run.manifest.get("notes") or [])
    skipped = "".join(f"<tr><td>{escape(_when(s['time']))}</td><td>{escape(s['symbol'])}</td>"
                      f"<td>{escape(s['reason'])}</td></tr>"
                      for s in run.manifest.get("skipped_trades") or [])
    return ("<h2>Run configuration</h2><div class=pair><table>" + cells + "</table>"
            "<table><tr><th>data series</th><th>bar</th><th>sha256</th></tr>" + data + "</table>"
            "</div>" + (f"<h2>Notes</h2><ul>{notes}</ul>" if notes else "")
            + ("<h2>Skipped entries</h2><table><tr><th>time (UTC)</th><th>symbol</th>"
               f"<th>reason</th></tr>{skipped}</table>" if skipped else ""))


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
        return escape(_display(key, run.metrics.get(key)))

    if run.benchmark_metrics is None:   # a scorecard's full-history run has none
        against = "; no benchmark was run with it"
    else:
        name = run.manifest.get("benchmark") or "benchmark"
        theirs = _display("total_return", run.benchmark_metrics.get("total_return"))
        against = f" against {escape(name)} {escape(theirs)}"
    return (f"<p class=lead>Net P&amp;L <b>{mine('pnl_usd')}</b> ({mine('total_return')})"
            f"{against}; max drawdown (daily closes) {mine('max_drawdown')}; "
            f"{metric_registry.trades_text(run.metrics.get('trades'))}, hit "
            f"rate {mine('hit_rate')}; fees {mine('fees_usd')}.</p>")


def _title(run: Run) -> str:
    from unwind import episodes

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
    triggers = "".join(f"<li><b>{n}</b>. {escape(t.date)}: {escape(t.label)}</li>"
                       for n, t in enumerate(run.triggers, start=1))
    body = (_title(run) + _headline(run) + _proxies(run) + _timeline(run, numbers)
            + (f"<p class=caption>Dashed red lines: the episode's triggers (00:00 UTC of the "
               f"day).</p><ol class=caption style='list-style:none;padding:0;margin:0'>"
               f"{triggers}</ol>" if triggers else "")
            + f"<h2>Metrics</h2>{_metrics_table(run)}"
            + f"<h2>Trades</h2>{_blotter(run)}"
            + (_returns_by_day(run) if run.short else _returns_by_month(run))
            + "<h2>Daily returns and trade outcomes</h2>" + _distribution(run)
            + _drawdown_table(run) + _parameters_table(run) + _configuration(run))
    path = run.directory / "tear_sheet.html"
    staged = path.with_name(f".{path.name}.partial")  # a rewrite never leaves half a page
    try:
        staged.write_text(page(f"{run.config['playbook']} tear sheet", run.manifest["synthetic"],
                               body))
        os.replace(staged, path)
    finally:
        staged.unlink(missing_ok=True)
    return path
