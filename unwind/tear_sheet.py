"""The tear sheet: one self-contained HTML page per run directory, made from its files only.

For a futures trader reviewing a playbook in an episode (issue 7, section 4). One figure of
stacked panels on one trading-time axis (bar positions, date labels): equity against the
benchmark, underwater, each traded price with sessions, triggers and trades, the playbook's
signal panels with thresholds, the regime band, gross leverage and rolling volatility; so a
trigger sits at the same x everywhere. Then the metrics, the trade blotter, returns by day (an
episode window) or by month, the worst drawdowns, every parameter used and the configuration.

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

from unwind import metrics as metric_registry
from unwind import pages
from unwind.pages import (colour, page, percent_axis, png, trading_time_ticks,
                          usd_axis)

WIN, LOSS, PLAYBOOK, BENCHMARK, TRIGGER = "#1a7f37", "#b3261e", "#1f4e9c", "#8a8f9c", "#b3261e"
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


# ----------------------------------------------------------------------------- the figure
def _number_axis(axis, unit: str) -> None:
    from matplotlib.ticker import FuncFormatter

    if unit in ("fraction", "annualised fraction"):
        percent_axis(axis)
    elif unit == "percentage points":
        axis.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.2f} pp"))
    elif unit == "flag":
        axis.set_yticks([0, 1])
        axis.set_ylim(-0.15, 1.25)
    elif unit == "z-score":
        axis.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:+.1f}"))
    else:
        axis.yaxis.set_major_formatter(FuncFormatter(lambda v, _: _price(v)))


def _threshold_text(value: float, unit: str) -> str:
    if value == 0:
        return "0"
    if unit in ("fraction", "annualised fraction"):
        return f"{value:.2%}"
    if unit == "percentage points":
        return f"{value:.2f} pp"
    return f"{value:g}"


def _heading(axis, text: str) -> None:
    """A panel's title, left on its top edge (an Axes title would re-measure every axis sharing
    x for its position: quadratic in the number of panels)."""
    axis.annotate(text, (0.0, 1.0), xycoords="axes fraction", xytext=(0, 3),
                  textcoords="offset points", ha="left", va="bottom", fontsize=9)


def _legend(axis, **keywords) -> None:
    """The panel's legend on its title line, right-aligned, off the data."""
    axis.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), fontsize=7, frameon=False,
                borderaxespad=0.1, handlelength=1.6, ncol=keywords.pop("ncol", 5), **keywords)


def _equity_panel(axis, run: Run, x: np.ndarray) -> None:
    usd_axis(axis)
    total = _display("total_return", run.metrics.get("total_return"))
    axis.plot(x, run.equity["equity_usd"].to_numpy(), color=PLAYBOOK, linewidth=1.3,
              label=f"playbook ({total})")
    if run.benchmark is not None:
        other = _display("total_return", (run.benchmark_metrics or {}).get("total_return"))
        axis.plot(run.position(run.benchmark.index), run.benchmark.to_numpy(), color=BENCHMARK,
                  linewidth=1.0, label=f"benchmark: {run.manifest.get('benchmark', '')} ({other})")
    _legend(axis)
    _heading(axis, "Equity (USD), playbook against its benchmark")


def _underwater(equity: pd.Series) -> pd.Series:
    return equity / equity.cummax() - 1


def _underwater_panel(axis, run: Run, x: np.ndarray) -> None:
    percent_axis(axis)
    drawdown = _underwater(run.equity["equity_usd"]).to_numpy()
    axis.fill_between(x, drawdown, 0, color=LOSS, alpha=0.35, linewidth=0, label="playbook")
    if run.benchmark is not None:
        axis.plot(run.position(run.benchmark.index), _underwater(run.benchmark).to_numpy(),
                  color=BENCHMARK, linewidth=0.8, label="benchmark")
    daily = run.metrics.get("max_drawdown")
    if daily:
        axis.axhline(daily, color="#1d2330", linewidth=0.8, linestyle=":")
    deepest = int(np.argmin(drawdown))
    if drawdown[deepest] < 0:
        axis.plot([x[deepest]], [drawdown[deepest]], marker="o", color=LOSS, markersize=4)
    _legend(axis)
    _heading(axis, f"Underwater (bar level): deepest {drawdown[deepest]:.2%}; dotted: "
             f"daily-close max drawdown {_display('max_drawdown', daily)} (the metric)")


def _sessions(axis, mine: pd.DataFrame, x: np.ndarray) -> None:
    """Shade the Asian session (flag 1) of intraday bars, one collection per panel."""
    asia = (mine["session"].fillna(0).astype(int).to_numpy() & 1) > 0
    starts = np.flatnonzero(asia & ~np.r_[False, asia[:-1]])
    ends = np.flatnonzero(asia & ~np.r_[asia[1:], False])
    spans = [(x[a] - 0.5, x[b] - x[a] + 1.0) for a, b in zip(starts, ends)]
    axis.broken_barh(spans, (0, 1), transform=axis.get_xaxis_transform(), color="#f2c14e",
                     alpha=0.2, linewidth=0)


def _price_panel(axis, run: Run, symbol: str, numbers: dict) -> None:
    from matplotlib.collections import LineCollection
    from matplotlib.lines import Line2D

    mine = run.prices[run.prices["symbol"] == symbol]
    x = run.position(mine.index)
    axis.plot(x, mine["close"].to_numpy(), color="#1d2330", linewidth=0.9)
    _number_axis(axis, "price")
    shaded = run.intraday and run.short
    if shaded:
        _sessions(axis, mine, x)
    own = run.trades[run.trades["symbol"] == symbol]
    if len(own):
        entry, exit_ = run.position(own["entry_time"]), run.position(own["exit_time"])
        colours = np.where(own["pnl_usd"].to_numpy() > 0, WIN, LOSS)
        segments = np.stack([np.c_[entry, own["entry_price"]], np.c_[exit_, own["exit_price"]]],
                            axis=1)
        axis.add_collection(LineCollection(segments, colors=colours, linewidths=2.0, zorder=3))
        for side, marker in (("long", "^"), ("short", "v")):
            chosen = (own["side"] == side).to_numpy()
            axis.scatter(entry[chosen], own["entry_price"].to_numpy()[chosen], marker=marker,
                         s=46, c=colours[chosen], edgecolors="#1d2330", linewidths=0.6, zorder=4)
        axis.scatter(exit_, own["exit_price"], marker="o", s=22, facecolors="white",
                     edgecolors=colours, linewidths=1.2, zorder=4)
        if run.short and len(run.trades) <= 60:
            for row, where in zip(own.index, entry):
                axis.annotate(str(numbers[row]), (where, own.at[row, "entry_price"]),
                              xytext=(0, 7 if own.at[row, "side"] == "long" else -12),
                              textcoords="offset points", fontsize=7, ha="center", zorder=5)
    handles = [Line2D([], [], marker="^", linestyle="", color="#5a6275", label="long entry"),
               Line2D([], [], marker="v", linestyle="", color="#5a6275", label="short entry"),
               Line2D([], [], marker="o", linestyle="", markerfacecolor="white",
                      color="#5a6275", label="exit"),
               Line2D([], [], color=WIN, linewidth=2, label="win (net)"),
               Line2D([], [], color=LOSS, linewidth=2, label="loss (net)")]
    _legend(axis, handles=handles)
    shading = "; shaded: Asian session (00-09 UTC)" if shaded else ""
    numbered = "; trades numbered as in the blotter" if run.short else ""
    _heading(axis, f"{symbol} close{shading}{numbered}")


def _signal_line(run: Run, column: str) -> pd.Series | None:
    if column not in run.signals:
        return None
    for _symbol, rows in run.signals.groupby("symbol", sort=False):
        values = rows[column]
        if values.notna().any():
            return values
    return None


def _signal_panel(axis, run: Run, panel: dict) -> None:
    unit = panel.get("unit", "")
    for number, column in enumerate(panel.get("lines", [])):
        values = _signal_line(run, column)
        if values is None:
            continue
        x = run.position(values.index)
        if unit == "flag":
            axis.fill_between(x, values.to_numpy(dtype=float), 0, step="post", color="#6a4c93",
                              alpha=0.35, linewidth=0)
            axis.step(x, values.to_numpy(dtype=float), where="post", color="#6a4c93",
                      linewidth=0.9, label=column)
        else:
            y = values.to_numpy(dtype=float)
            known = np.isfinite(y)
            inside = known[np.argmax(known):len(known) - np.argmax(known[::-1])]
            style = {}
            if not inside.all():   # a value only at some bars (each session's end): the dots
                x, y, style = x[known], y[known], {"marker": "o", "markersize": 2.5}
            axis.plot(x, y, linewidth=0.9, label=column,
                      color=("#6a4c93", "#2a9d8f", "#c05621")[number % 3], **style)
    ordered = sorted(panel.get("thresholds", []), key=lambda t: -t["value"])
    for number, threshold in enumerate(ordered):
        above = number % 2 == 0  # alternate sides so neighbouring labels do not overlap
        axis.axhline(threshold["value"], color="#c05621", linewidth=0.8, linestyle="--")
        axis.annotate(f"{threshold['label']} = {_threshold_text(threshold['value'], unit)}",
                      (1.0, threshold["value"]), xycoords=("axes fraction", "data"),
                      xytext=(-4, 2 if above else -2), textcoords="offset points", ha="right",
                      va="bottom" if above else "top", fontsize=7, color="#c05621", zorder=6,
                      bbox=dict(facecolor="white", alpha=0.85, linewidth=0, pad=0.5))
    _number_axis(axis, unit)
    if len(panel.get("lines", [])) > 1:
        _legend(axis)
    _heading(axis, f"{panel.get('title', '')} ({unit})")


def _regime_panel(axis, run: Run) -> None:
    from matplotlib.colors import ListedColormap

    regime = run.prices["regime"].groupby(level=0).first()
    codes = regime.reindex(run.equity.index).to_numpy(dtype=float)
    axis.imshow(np.ma.masked_invalid(codes)[np.newaxis, :], aspect="auto", interpolation="nearest",
                cmap=ListedColormap(REGIME_COLOURS), vmin=-0.5, vmax=2.5,
                extent=(-0.5, len(codes) - 0.5, 0, 1))
    axis.set_yticks([])
    shares = run.manifest.get("regime_shares") or {}
    told = ", ".join(f"{name.replace('_', ' ')} {share:.0%}" for name, share in shares.items())
    _heading(axis, "Regime: grey neutral, red deleveraging, amber fiscal risk, white unknown "
             f"({told} of days)")


def _leverage_panel(axis, run: Run, x: np.ndarray) -> None:
    from matplotlib.ticker import FuncFormatter

    leverage = (run.equity["gross_notional_usd"] / run.equity["equity_usd"]).to_numpy()
    axis.fill_between(x, leverage, 0, step="post", color="#2a9d8f", alpha=0.35, linewidth=0)
    axis.step(x, leverage, where="post", color="#2a9d8f", linewidth=0.8)
    axis.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.1f}x"))
    axis.set_ylim(bottom=0, top=max(float(np.nanmax(leverage)) * 1.15, 0.5))
    _heading(axis, "Gross leverage (notional of open contracts / equity); exposure "
             f"{_display('exposure', run.metrics.get('exposure'))} of bars")


def _rolling_days(run: Run) -> int:
    return 10 if run.short else 63


def _rolling_panel(axis, run: Run) -> None:
    days = _rolling_days(run)
    curves = [("playbook", run.equity["equity_usd"], PLAYBOOK)]
    if run.benchmark is not None:
        curves.append(("benchmark", run.benchmark, BENCHMARK))
    for label, equity, tint in curves:
        closes = equity.groupby(equity.index.normalize()).last()
        last_bar = equity.index.to_series().groupby(equity.index.normalize()).last()
        volatility = closes.pct_change().rolling(days).std() * np.sqrt(ANNUALISATION)
        axis.plot(run.position(last_bar.to_numpy()), volatility.to_numpy(), color=tint,
                  linewidth=1.0, label=label)
    percent_axis(axis)
    _legend(axis)
    _heading(axis, f"Volatility of daily returns over the last {days} days, annualised "
             f"(x{ANNUALISATION})")


def _timeline(run: Run, numbers: dict) -> str:
    import matplotlib

    symbols = list(run.prices["symbol"].unique())   # in order of appearance
    panels = run.manifest.get("signal_panels") or []
    rows = ([("equity", 2.3), ("underwater", 1.2)] + [(("price", s), 2.4) for s in symbols]
            + [(("signal", i), 1.1) for i in range(len(panels))]
            + [("regime", 0.22), ("leverage", 0.95), ("rolling", 0.95)])
    heights = [height for _, height in rows]
    gap, top, bottom = 0.34, 0.3, 0.45
    total = sum(heights) + gap * (len(rows) - 1) + top + bottom
    figure = pages.figure(figsize=(11.5, total))
    grid = figure.add_gridspec(len(rows), 1, height_ratios=heights, left=0.075, right=0.985,
                               top=1 - top / total, bottom=bottom / total,
                               hspace=gap / np.mean(heights))
    # not sharex: each shared axis would make its own tick objects for the same positions;
    # panels above the last draw their vertical grid as one collection
    axes = [figure.add_subplot(grid[i]) for i in range(len(rows))]
    x = np.arange(len(run.equity), dtype=float)
    for axis, (kind, _height) in zip(axes, rows):
        if kind == "equity":
            _equity_panel(axis, run, x)
        elif kind == "underwater":
            _underwater_panel(axis, run, x)
        elif kind == "regime":
            _regime_panel(axis, run)
        elif kind == "leverage":
            _leverage_panel(axis, run, x)
        elif kind == "rolling":
            _rolling_panel(axis, run)
        elif kind[0] == "price":
            _price_panel(axis, run, kind[1], numbers)
        else:
            _signal_panel(axis, run, panels[kind[1]])
    ticks, labels = trading_time_ticks(run.equity.index)
    triggers = run.position([f"{t.date}T00:00:00+00:00" for t in run.triggers]) \
        if run.triggers else []
    for axis, (kind, _height) in zip(axes, rows):
        axis.set_xlim(-0.5, len(x) - 0.5)
        axis.tick_params(labelsize=7)
        if axis is axes[-1]:
            axis.set_xticks(ticks, labels)
        else:
            axis.set_xticks([])
        if kind != "regime":
            axis.grid(alpha=0.3, linewidth=0.6)
            if axis is not axes[-1]:
                axis.vlines(ticks, 0, 1, transform=axis.get_xaxis_transform(), alpha=0.3,
                            linewidth=0.6, colors=matplotlib.rcParams["grid.color"], zorder=1.5)
        if len(triggers):
            axis.vlines(triggers, 0, 1, transform=axis.get_xaxis_transform(), colors=TRIGGER,
                        linewidth=0.8, linestyles="--", zorder=5)
    for number, where in enumerate(triggers, start=1):
        axes[0].annotate(str(number), (where, 1.0), xycoords=("data", "axes fraction"),
                         xytext=(0, -2), textcoords="offset points", fontsize=8, color="white",
                         ha="center", va="top", fontweight="bold",
                         bbox=dict(facecolor=TRIGGER, linewidth=0, pad=1.2))
    return png(figure, tight=False, alt="equity, underwater, prices, signals, regime, leverage")


def _distribution(run: Run) -> str:
    """Daily-return histogram (playbook and benchmark) and, with trades, each trade's net P&L
    with its adverse and favourable excursions."""
    trades = run.trades
    figure = pages.figure(figsize=(11.5, 2.7))
    axes = figure.subplots(1, 2 if len(trades) else 1, squeeze=False)
    axis = axes[0][0]
    series = [("playbook", run.daily_closes, PLAYBOOK)]
    if run.benchmark is not None:
        series.append(("benchmark", run.benchmark.groupby(run.benchmark.index.normalize()).last(),
                       BENCHMARK))
    series = [(label, closes.pct_change().dropna(), tint) for label, closes, tint in series]
    values = np.concatenate([returns[returns != 0].to_numpy() for _, returns, _ in series])
    values = values if values.size else np.zeros(1)
    edges = np.linspace(min(values.min(), 0) - 1e-4, max(values.max(), 0) + 1e-4, 41)
    for label, returns, tint in series:
        moved = returns[returns != 0]
        flat = f"; {len(returns) - len(moved):,d} flat days not drawn" if len(moved) < len(
            returns) else ""
        axis.hist(moved.to_numpy(), bins=edges, histtype="stepfilled" if label == "playbook"
                  else "step", color=tint, alpha=0.6 if label == "playbook" else 1.0,
                  label=f"{label} ({len(moved):,d} days{flat})")
    axis.axvline(0, color="#1d2330", linewidth=0.6)
    from matplotlib.ticker import PercentFormatter

    axis.xaxis.set_major_formatter(PercentFormatter(1.0))
    axis.set_ylabel("days", fontsize=8)
    axis.tick_params(labelsize=7)
    axis.legend(fontsize=7, frameon=False)
    worst = _display("worst_day", run.metrics.get("worst_day"))
    _heading(axis, f"Daily returns (worst day {worst})")
    if len(trades):
        axis = axes[0][1]
        number = np.arange(1, len(trades) + 1)
        pnl = trades["pnl_usd"].to_numpy()
        axis.vlines(number, trades["mae_usd"], trades["mfe_usd"], color="#8a8f9c", linewidth=1)
        axis.bar(number, pnl, color=np.where(pnl > 0, WIN, LOSS), width=0.6)
        axis.axhline(0, color="#1d2330", linewidth=0.6)
        usd_axis(axis)
        axis.tick_params(labelsize=7)
        if len(trades) <= 40:
            axis.set_xticks(number)
        _heading(axis, "Net P&L per trade (USD); whisker: worst to best open P&L (MAE..MFE)")
    figure.subplots_adjust(left=0.07, right=0.985, bottom=0.13, top=0.88, wspace=0.12)
    return png(figure, tight=False, alt="daily return distribution and P&L per trade")


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
    name = run.manifest.get("benchmark") or "benchmark"
    theirs = run.benchmark_metrics or {}
    def mine(key: str) -> str:
        return escape(_display(key, run.metrics.get(key)))

    return (f"<p class=lead>Net P&amp;L <b>{mine('pnl_usd')}</b> ({mine('total_return')}) "
            f"against {escape(name)} {escape(_display('total_return', theirs.get('total_return')))}"
            f"; max drawdown (daily closes) {mine('max_drawdown')}; "
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
