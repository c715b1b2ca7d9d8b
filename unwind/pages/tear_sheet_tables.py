"""The tear sheet's tables: metrics, blotter, returns by day or month, worst drawdowns,
parameters and the run's configuration; and the formatting every part of the page shares.

A blotter of more than BLOTTER_SHOWN trades shows the BLOTTER_SHOWN largest by net P&L (in trade
order) and keeps every trade one click away in a <details> (bond_hedge's 587 trades made a page
18,000 px tall before the returns and drawdowns). Metric units are named as the value is
printed: a fraction shown in percent says "%", not "fraction".
"""

from __future__ import annotations

import json
import re
from html import escape

import numpy as np
import pandas as pd

from unwind.evidence import metrics
from unwind.evidence.analytics import drawdowns, monthly_closes, period_returns
from unwind.pages.chart_scales import price_text
from unwind.pages.layout import colour
from unwind.pages.run_folder import Run

BLOTTER_SHOWN = 20


# ----------------------------------------------------------------------------- formatting
def when_text(value: str) -> str:
    """An instant as the pages write it: its UTC date and minute (`when_texts` of one)."""
    return when_texts(pd.Series([value]))[0]


# An instant written in UTC ('2024-08-05T13:00:00+00:00', as trades.csv holds them): its
# date and minute are the text's own digits.
_UTC_TEXT = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?\+00:00")


def when_texts(values: pd.Series) -> list[str]:
    """`when_text` of a column of instants, at once (a blotter's hundreds of trades): cut from
    the text when every one is written in UTC, else parsed and formatted."""
    texts = values.tolist()
    if all(isinstance(text, str) and _UTC_TEXT.fullmatch(text) for text in texts):
        return [f"{text[:10]} {text[11:16]}" for text in texts]
    return pd.to_datetime(values, utc=True, format="ISO8601").dt.strftime(
        "%Y-%m-%d %H:%M").tolist()


def trade_titles(trades: pd.DataFrame, numbers: list[int]) -> list[str]:
    """Each trade's tooltip, numbered as in the blotter: its blotter line in words."""
    return [f"trade {number}: {side} {int(contracts):,d} {symbol}, entry {entered} at "
            f"{price_text(entry_price)}, exit {exited} at {price_text(exit_price)} ({reason}), "
            f"net {pnl:+,.0f} USD"
            for number, side, contracts, symbol, entered, entry_price, exited, exit_price, reason,
            pnl in zip(numbers, trades["side"].tolist(), trades["contracts"].tolist(),
                       trades["symbol"].tolist(), when_texts(trades["entry_time"]),
                       trades["entry_price"].tolist(), when_texts(trades["exit_time"]),
                       trades["exit_price"].tolist(), trades["exit_reason"].tolist(),
                       trades["pnl_usd"].tolist())]


def _signed(value: float, kind: str) -> str:
    css = "pos" if value > 0 else "neg" if value < 0 else ""
    return f"<td class='num {css}'>{value:+,.0f}</td>" if kind == "usd" else \
        f"<td class='num {css}'>{value:+.2%}</td>"


def unit_text(unit: str) -> str:
    """A registry unit as its value is printed: fractions are shown in percent."""
    return unit.replace("fraction", "%")


# ----------------------------------------------------------------------------- the tables
def metrics_table(run: Run) -> str:
    """Every registered metric in the registry's format; the benchmark's columns only when a
    benchmark was run with the playbook (a scorecard's full-history run has none)."""
    with_benchmark = run.benchmark_metrics is not None
    rows = []
    for metric in metrics.METRICS:
        mine = run.metrics.get(metric.key)
        cells = ""
        if with_benchmark and metric.playbook_only:
            cells = "<td class='num muted'>-</td>" * 2
        elif with_benchmark:
            theirs = run.benchmark_metrics.get(metric.key)
            excess = mine - theirs if mine is not None and theirs is not None else None
            cells = (f"<td class=num>{escape(metric.display(theirs))}</td>"
                     f"<td class=num>{escape(metric.display(excess))}</td>")
        rows.append(f"<tr class=metric data-key='{metric.key}'><th>{escape(metric.title)} "
                    f"<span class=muted>({escape(unit_text(metric.unit))})</span></th>"
                    f"<td class=num>{escape(metric.display(mine))}</td>{cells}</tr>")
    heads = "<th>benchmark</th><th>playbook - benchmark</th>" if with_benchmark else ""
    return f"<table><tr><th>metric</th><th>playbook</th>{heads}</tr>{''.join(rows)}</table>"


def _blotter_rows(trades: pd.DataFrame, css: str) -> str:
    from strategies.book import EXIT_REASONS

    rows = []
    columns = {name: trades[name].tolist() for name in (
        "symbol", "side", "contracts", "entry_price", "exit_price", "exit_reason", "status",
        "pnl_usd", "fees_usd", "mae_usd", "mfe_usd", "bars_held")}
    columns["entered"], columns["exited"] = (when_texts(trades["entry_time"]),
                                             when_texts(trades["exit_time"]))
    for number, trade in zip((trades.index + 1).tolist(),
                             (dict(zip(columns, row)) for row in zip(*columns.values()))):
        reason = str(trade["exit_reason"])
        status = "" if trade["status"] == "closed" else \
            f" <span class=muted>({escape(trade['status'])})</span>"
        outcome = "win" if trade["pnl_usd"] > 0 else "loss"
        rows.append(
            f"<tr class='{css} {outcome}'><td class=num>{number}</td>"
            f"<td>{escape(trade['symbol'])}</td><td>{escape(trade['side'])}</td>"
            f"<td class=num>{int(trade['contracts']):,d}</td><td>{trade['entered']}</td>"
            f"<td>{trade['exited']}</td>"
            f"<td class=num>{price_text(trade['entry_price'])}</td>"
            f"<td class=num>{price_text(trade['exit_price'])}</td>"
            f"<td title='{escape(EXIT_REASONS.get(reason, ''))}'>{escape(reason)}{status}</td>"
            f"{_signed(trade['pnl_usd'], 'usd')}<td class=num>{trade['fees_usd']:,.0f}</td>"
            f"{_signed(trade['mae_usd'], 'usd')}{_signed(trade['mfe_usd'], 'usd')}"
            f"<td class=num>{int(trade['bars_held']):,d}</td></tr>")
    return "".join(rows)


BLOTTER_HEADER = ("#", "symbol", "side", "contracts", "entry (UTC)", "exit (UTC)", "entry price",
                  "exit price", "exit reason", "net P&L USD", "fees USD", "MAE USD", "MFE USD",
                  "bars held")


def blotter(run: Run) -> str:
    """One row per trade (class 'trade'), numbered as on the price panels; more than
    BLOTTER_SHOWN trades: the largest by |net P&L| first (class 'largest'), all behind a
    <details>."""
    trades = run.trades.reset_index(drop=True)
    if trades.empty:
        skipped = len(run.manifest.get("skipped_trades") or [])
        more = f" {skipped} entries were skipped; see the configuration below." if skipped else ""
        return (f"<p class=lead><b>No trades</b>: the playbook took no position in this window; "
                f"its P&amp;L is 0 USD.{more}</p>")
    header = f"<tr>{''.join(f'<th>{escape(h)}</th>' for h in BLOTTER_HEADER)}</tr>"
    total = (f"<tr class=total><td colspan=9>{metrics.trades_text(len(trades))}, "
             f"{(trades['pnl_usd'] > 0).sum()} winning</td>"
             f"{_signed(trades['pnl_usd'].sum(), 'usd')}"
             f"<td class=num>{trades['fees_usd'].sum():,.0f}</td><td colspan=3></td></tr>")
    every = f"<table class=blotter>{header}{_blotter_rows(trades, 'trade')}{total}</table>"
    if len(trades) > BLOTTER_SHOWN:
        largest = trades["pnl_usd"].abs().sort_values(ascending=False, kind="stable")
        chosen = trades.loc[sorted(largest.index[:BLOTTER_SHOWN])]
        every = (f"<p class=caption>The {BLOTTER_SHOWN} largest of {len(trades):,d} trades by "
                 "net P&amp;L (win or loss), in trade order:</p><table class=blotter>"
                 f"{header}{_blotter_rows(chosen, 'largest')}{total}</table>"
                 f"<details class=blotter><summary>All {len(trades):,d} trades</summary>"
                 f"{every}</details>")
    currencies = sorted(set(trades["currency"]) - {"USD"})
    converted = (f"<p class=caption>P&amp;L in {', '.join(currencies)} converted to USD at each "
                 "trade's rate (fx_rate in trades.csv).</p>") if currencies else ""
    return (every + "<p class=caption>MAE/MFE: worst and best open P&amp;L while held (USD). "
            "Hover an exit reason for its meaning.</p>" + converted)


def _heat_cell(value: float | None, scale: float, title: str = "") -> str:
    if value is None or not np.isfinite(value):
        return "<td class=na></td>"
    if value == 0:
        return f"<td class=zero title='{escape(title)}'>0.00%</td>"
    return (f"<td style='background:{colour(value, scale)}' title='{escape(title)}'>"
            f"{value:+.2%}</td>")


def returns_by_day(run: Run) -> str:
    returns = period_returns(run.equity["equity_usd"], run.daily_closes)
    weekday = returns.index.day_of_week.to_numpy()
    weeks = returns.index - pd.to_timedelta(weekday, unit="D")
    weekdays = sorted(set(weekday.tolist()))
    names = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    scale = float(returns.abs().max())
    values, titles = returns.to_numpy(), returns.index.strftime("%a %d %b %Y").tolist()
    keys = weeks.asi8   # the days are in order: a week is a run of one key
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]]) if len(keys) else keys
    rows = []
    for start, stop in zip(starts.tolist(), [*starts[1:].tolist(), len(keys)]):
        by_day = {day: row for row, day in enumerate(weekday[start:stop].tolist(), start)}
        cells = "".join(_heat_cell(values[by_day[d]], scale, titles[by_day[d]])
                        if d in by_day else "<td></td>" for d in weekdays)
        weekly = float(np.prod(1 + values[start:stop]) - 1)
        rows.append(f"<tr><th>week of {weeks[start]:%d %b}</th>{cells}"
                    f"<td class=num><b>{weekly:+.2%}</b></td></tr>")
    header = "".join(f"<th>{names[d]}</th>" for d in weekdays)
    return ("<h2>Returns by day</h2><p class=caption>Change of the USD equity from one UTC day's "
            "last bar to the next (the first day from the starting cash).</p><table class=heat>"
            f"<tr><th></th>{header}<th>week</th></tr>{''.join(rows)}</table>")


def returns_by_month(run: Run) -> str:
    equity = run.equity["equity_usd"]
    closes = monthly_closes(equity)
    returns = period_returns(equity, closes)
    yearly = period_returns(equity, closes.groupby(closes.index.year).last())
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


def drawdown_table(run: Run) -> str:
    found = drawdowns(run.daily_closes)
    bar_level = float(run.drawdown_by_bar.min())
    said = (f"<p class=caption>On daily closes, as the metric: deepest "
            f"{metrics.display('max_drawdown', run.metrics.get('max_drawdown'))} (max drawdown in "
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


def parameters_table(run: Run) -> str:
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


def _warmup(run: Run) -> str | None:
    """The warm-up the run loaded, as its notes record it (the config says None when the
    playbook's own default was used: 'none' read as no warm-up at all)."""
    for note in run.manifest.get("notes") or []:
        found = re.match(r"warm-up (\d+) calendar days", str(note))
        if found:
            default = " (the playbook's default)" if run.config.get("warmup_days") is None else ""
            return f"{int(found.group(1)):,d} calendar days{default}"
    return None


def configuration(run: Run) -> str:
    config = {k: v for k, v in run.config.items() if k != "parameters"}
    if "warmup_days" in config:
        config["warmup_days"] = _warmup(run) or config["warmup_days"]
    rows = {**config, "bar": run.manifest.get("bar"), "benchmark": run.manifest.get("benchmark"),
            "config_sha256": run.manifest.get("config_sha256"),
            "git_commit": run.manifest.get("git_commit")}
    cells = "".join(f"<tr><th>{escape(str(k))}</th><td>{escape(_value(v))}</td></tr>"
                    for k, v in rows.items())
    data = "".join(f"<tr><td>{escape(d.get('series', ''))}</td><td>{escape(d.get('bar', ''))}</td>"
                   f"<td><code>{escape(str(d.get('data_sha256', ''))[:16])}</code></td></tr>"
                   for d in run.manifest.get("data") or [])
    notes = "".join(f"<li>{escape(str(n))}</li>" for n in run.manifest.get("notes") or [])
    skipped = "".join(f"<tr><td>{escape(when_text(s['time']))}</td><td>{escape(s['symbol'])}</td>"
                      f"<td>{escape(s['reason'])}</td></tr>"
                      for s in run.manifest.get("skipped_trades") or [])
    return ("<h2>Run configuration</h2><div class=pair><table>" + cells + "</table>"
            "<table><tr><th>data series</th><th>bar</th><th>sha256</th></tr>" + data + "</table>"
            "</div>" + (f"<h2>Notes</h2><ul>{notes}</ul>" if notes else "")
            + ("<h2>Skipped entries</h2><table><tr><th>time (UTC)</th><th>symbol</th>"
               f"<th>reason</th></tr>{skipped}</table>" if skipped else ""))


