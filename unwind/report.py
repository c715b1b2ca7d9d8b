"""Tear sheets: one self-contained HTML file per run directory, and the scorecard page.

Charts are drawn with matplotlib's Agg backend and embedded as base64 PNG; styles are inline,
there are no external scripts, fonts or images, so a page opens offline. A short inline script
counts the charts that decoded (`data-charts-loaded` on <body>) for the rendering test.
Everything made from demo data carries a SYNTHETIC banner.
"""

from __future__ import annotations

import base64
import html
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd

from unwind import metrics as metric_registry

_STYLE = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:24px;color:#1d2330}
h1{font-size:22px;margin:0 0 4px} h2{font-size:16px;margin:24px 0 8px} p.sub{color:#5a6275;margin:0}
.banner{background:#b3261e;color:#fff;font-weight:700;padding:10px 14px;margin-bottom:16px;
letter-spacing:.05em}
table{border-collapse:collapse;font-size:13px} td,th{border:1px solid #d5d9e2;padding:4px 8px}
th{background:#f1f3f7;text-align:left} td.num{text-align:right;font-variant-numeric:tabular-nums}
img.chart{max-width:100%;display:block;margin:8px 0 4px}
.grid{font-size:12px} .grid td{min-width:52px;text-align:center} .na{background:#eceef2;color:#7a8091}
"""
_COUNT_SCRIPT = ("<script>window.addEventListener('load',function(){var n=0;"
                 "document.querySelectorAll('img.chart').forEach(function(i){"
                 "if(i.complete&&i.naturalWidth>0){n++;}});"
                 "document.body.setAttribute('data-charts-loaded',n);});</script>")


def _png(figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=96, bbox_inches="tight",
                   metadata={"Software": None})
    import matplotlib.pyplot as plt

    plt.close(figure)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img class="chart" alt="chart" src="data:image/png;base64,{data}">'


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _page(title: str, synthetic: bool, body: str) -> str:
    banner = ('<div class="banner">SYNTHETIC DEMO DATA - generated scenario, not market history'
              '</div>') if synthetic else ""
    return (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>"
            f"{html.escape(title)}</title><style>{_STYLE}</style></head><body>{banner}{body}"
            f"{_COUNT_SCRIPT}</body></html>\n")


def _read_series(path: Path) -> pd.Series:
    frame = pd.read_csv(path)
    return pd.Series(frame["equity_usd"].to_numpy(),
                     index=pd.to_datetime(frame["time"], utc=True), name=path.stem)


def _format(value, unit: str = "") -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "n/a"
    if unit in ("fraction", "fraction (negative)"):
        return f"{value:+.2%}"
    if "fraction" in unit:
        return f"{value:.2%}"
    if unit.startswith("USD"):
        return f"{value:,.0f}"
    if unit in ("count", "calendar days"):
        return f"{value:.0f}"
    return f"{value:.2f}"


def _triggers(manifest: dict) -> list:
    """The episode's triggers (a run-spec window has only its own first trigger)."""
    from unwind import episodes
    from unwind.episodes import Trigger

    config = manifest["config"]
    if config.get("episode") in episodes.catalogue():
        return list(episodes.get(config["episode"]).triggers)
    if config.get("first_trigger"):
        return [Trigger(config["first_trigger"], "trigger")]
    return []


def _mark_triggers(axis, triggers) -> None:
    for number, trigger in enumerate(triggers, start=1):
        when = pd.Timestamp(trigger.date, tz="UTC")
        axis.axvline(when, color="#b3261e", linewidth=0.8, linestyle="--")
        axis.annotate(f"{number}", (when, 1.0), xycoords=("data", "axes fraction"),
                      fontsize=8, color="#b3261e", ha="left", va="top")


def _equity_chart(plt, equity: pd.Series, benchmark: pd.Series | None, triggers) -> str:
    figure, axis = plt.subplots(figsize=(10, 3.2))
    axis.plot(equity.index, equity.to_numpy(), color="#1f4e9c", linewidth=1.4, label="playbook")
    if benchmark is not None:
        axis.plot(benchmark.index, benchmark.to_numpy(), color="#8a8f9c", linewidth=1.0,
                  label="benchmark")
    _mark_triggers(axis, triggers)
    axis.set_title("Equity (USD) against the benchmark", fontsize=10, loc="left")
    axis.legend(fontsize=8, loc="best")
    axis.grid(alpha=0.3)
    return _png(figure)


def _underwater_chart(plt, equity: pd.Series, triggers) -> str:
    drawdown = equity / equity.cummax() - 1
    figure, axis = plt.subplots(figsize=(10, 2.2))
    axis.fill_between(drawdown.index, drawdown.to_numpy(), 0, color="#b3261e", alpha=0.35,
                      linewidth=0)
    _mark_triggers(axis, triggers)
    axis.set_title("Underwater: drawdown from the running high (fraction)", fontsize=10,
                   loc="left")
    axis.grid(alpha=0.3)
    return _png(figure)


def _price_chart(plt, prices: pd.DataFrame, trades: pd.DataFrame, symbol: str, triggers) -> str:
    mine = prices[prices["symbol"] == symbol]
    figure, axis = plt.subplots(figsize=(10, 3.2))
    axis.plot(mine.index, mine["close"].to_numpy(), color="#1d2330", linewidth=0.9)
    intraday = len(mine) > 1 and (mine.index[1:] - mine.index[:-1]).min() < pd.Timedelta(days=1)
    if intraday and (mine.index[-1] - mine.index[0]) <= pd.Timedelta(days=200):
        asia = (mine["session"].to_numpy() & 1) > 0
        starts = mine.index[asia & ~np.r_[False, asia[:-1]]]
        ends = mine.index[asia & ~np.r_[asia[1:], False]]
        for first, last in zip(starts, ends):
            axis.axvspan(first, last + pd.Timedelta(hours=1), color="#f2c14e", alpha=0.18,
                         linewidth=0)
    own = trades[trades["symbol"] == symbol]
    for side, marker, colour in (("long", "^", "#1a7f37"), ("short", "v", "#b3261e")):
        chosen = own[own["side"] == side]
        axis.scatter(pd.to_datetime(chosen["entry_time"], utc=True), chosen["entry_price"],
                     marker=marker, color=colour, s=40, zorder=3, label=f"{side} entry")
    axis.scatter(pd.to_datetime(own["exit_time"], utc=True), own["exit_price"], marker="x",
                 color="#5a6275", s=30, zorder=3, label="exit")
    _mark_triggers(axis, triggers)
    shading = "; Asian session shaded" if intraday else ""
    axis.set_title(f"{symbol}: price, entries and exits{shading}; dashed lines = episode "
                   "triggers", fontsize=10, loc="left")
    axis.legend(fontsize=8, loc="best")
    axis.grid(alpha=0.3)
    caption = ("<p class=sub>Shaded: the Asian session (00:00-09:00 UTC). ^ long entry, v short "
               "entry, x exit; dashed: episode triggers.</p>") if intraday else \
        "<p class=sub>^ long entry, v short entry, x exit; dashed: episode triggers.</p>"
    return _png(figure) + caption


def _metrics_table(values: dict, benchmark: dict | None) -> str:
    rows = []
    for metric in metric_registry.METRICS:
        mine = values.get(metric.key)
        theirs = benchmark.get(metric.key) if benchmark else None
        excess = mine - theirs if mine is not None and theirs is not None else None
        rows.append(f"<tr><th>{html.escape(metric.title)}</th><td>{html.escape(metric.unit)}</td>"
                    f"<td class=num>{_format(mine, metric.unit)}</td>"
                    f"<td class=num>{_format(theirs, metric.unit)}</td>"
                    f"<td class=num>{_format(excess, metric.unit)}</td></tr>")
    return ("<table><tr><th>metric</th><th>unit</th><th>playbook</th><th>benchmark</th>"
            f"<th>difference</th></tr>{''.join(rows)}</table>")


def tear_sheet(directory: Path) -> Path:
    """Write `tear_sheet.html` for the run in `directory` from its files; returns its path."""
    directory = Path(directory)
    manifest = json.loads((directory / "manifest.json").read_text())
    values = json.loads((directory / "metrics.json").read_text())
    equity = _read_series(directory / "equity.csv")
    trades = pd.read_csv(directory / "trades.csv")
    prices = pd.read_csv(directory / "prices.csv")
    prices.index = pd.to_datetime(prices.pop("time"), utc=True)
    benchmark_path = directory / "benchmark_equity.csv"
    benchmark = _read_series(benchmark_path) if benchmark_path.exists() else None
    benchmark_metrics = json.loads((directory / "benchmark_metrics.json").read_text()) \
        if (directory / "benchmark_metrics.json").exists() else None
    triggers = _triggers(manifest)
    plt = _pyplot()
    config = manifest["config"]
    charts = [_equity_chart(plt, equity, benchmark, triggers),
              _underwater_chart(plt, equity, triggers)]
    charts += [_price_chart(plt, prices, trades, symbol, triggers)
               for symbol in dict.fromkeys(prices["symbol"])]
    trigger_list = "".join(f"<li>{n}. {html.escape(t.date)}: {html.escape(t.label)}</li>"
                           for n, t in enumerate(triggers, start=1))
    body = (f"<h1>{html.escape(config['playbook'])}</h1><p class=sub>"
            f"{html.escape(config.get('episode') or '')} window {config['start']} .. "
            f"{config['end']} (UTC dates; warm-up excluded) - {len(trades)} trades</p>"
            + "".join(charts)
            + (f"<h2>Episode triggers</h2><ol style='list-style:none;padding:0'>{trigger_list}"
               "</ol>" if triggers else "")
            + f"<h2>Metrics</h2>{_metrics_table(values, benchmark_metrics)}"
            + "<h2>Run configuration</h2><table>"
            + "".join(f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(json.dumps(v))}</td>"
                      "</tr>" for k, v in {**config, "config_sha256": manifest["config_sha256"],
                                           "git_commit": manifest["git_commit"]}.items())
            + "</table>")
    path = directory / "tear_sheet.html"
    path.write_text(_page(f"{config['playbook']} tear sheet", manifest["synthetic"], body))
    return path


def _colour(value: float | None, scale: float) -> str:
    """Red for losses, green for gains, white at zero; intensity relative to `scale`."""
    if value is None or scale <= 0:
        return "#eceef2"
    strength = min(abs(value) / scale, 1.0)
    low, high = (np.array([179, 38, 30]), np.array([26, 127, 55]))
    target = high if value > 0 else low
    mixed = (np.array([255, 255, 255]) * (1 - strength) + target * strength * 0.85
             + np.array([255, 255, 255]) * strength * 0.15).astype(int)
    return "#%02x%02x%02x" % tuple(mixed)


def _grid(rows: list[dict], key: str, title: str) -> str:
    playbooks = list(dict.fromkeys(r["playbook"] for r in rows))
    episodes = list(dict.fromkeys(r["episode"] for r in rows))
    cells = {(r["playbook"], r["episode"]): r for r in rows}
    values = [r.get(key) for r in rows if r["status"] == "ok" and r.get(key) is not None]
    scale = max((abs(v) for v in values), default=0.0)
    header = "".join(f"<th title='{html.escape(e)}'>{n}</th>"
                     for n, e in enumerate(episodes, start=1))
    body = []
    for playbook in playbooks:
        tds = []
        for episode in episodes:
            row = cells[(playbook, episode)]
            if row["status"] != "ok":
                tds.append(f"<td class=na title='{html.escape(row['reason'])}'>n/a</td>")
                continue
            value = row.get(key)
            link = html.escape(row["run_dir"] + "/tear_sheet.html")
            tds.append(f"<td style='background:{_colour(value, scale)}'><a href='{link}'>"
                       f"{_format(value, 'fraction')}</a></td>")
        body.append(f"<tr><th>{html.escape(playbook)}</th>{''.join(tds)}</tr>")
    return (f"<h2>{html.escape(title)}</h2><table class=grid><tr><th>playbook</th>{header}"
            f"</tr>{''.join(body)}</table>")


def _small_multiples(rows: list[dict], out: Path) -> str:
    plt = _pyplot()
    episodes = list(dict.fromkeys(r["episode"] for r in rows))
    playbooks = list(dict.fromkeys(r["playbook"] for r in rows))
    columns = 4
    lines = (len(episodes) + columns - 1) // columns
    figure, axes = plt.subplots(lines, columns, figsize=(12, 2.4 * lines), squeeze=False)
    colours = plt.get_cmap("tab10")
    for number, episode in enumerate(episodes):
        axis = axes[number // columns][number % columns]
        for index, playbook in enumerate(playbooks):
            row = next(r for r in rows if r["playbook"] == playbook and r["episode"] == episode)
            if row["status"] != "ok":
                continue
            equity = _read_series(out / row["run_dir"] / "equity.csv")
            axis.plot(equity.index, (equity / equity.iloc[0]).to_numpy(), linewidth=0.9,
                      color=colours(index % 10), label=playbook)
        axis.set_title(f"{number + 1}. {episode}", fontsize=8, loc="left")
        axis.tick_params(labelsize=6)
        axis.tick_params(axis="x", labelrotation=30)
        axis.grid(alpha=0.3)
    for number in range(len(episodes), lines * columns):
        axes[number // columns][number % columns].axis("off")
    handles, labels = [], []
    for axis in axes.flat:
        for handle, label in zip(*axis.get_legend_handles_labels()):
            if label not in labels:
                handles.append(handle)
                labels.append(label)
    figure.legend(handles, labels, loc="lower center", ncol=4, fontsize=8)
    figure.tight_layout(rect=(0, 0.06, 1, 1))
    return _png(figure)


def scorecard_page(rows: list[dict], out: Path) -> Path:
    """Write `scorecard.html` in `out`: colour-scaled grids and each episode's equity curves."""
    from unwind import episodes as catalogue

    out = Path(out)
    synthetic = any(r.get("synthetic") for r in rows)
    names = list(dict.fromkeys(r["episode"] for r in rows))
    known = catalogue.catalogue()
    legend = "".join(f"<li>{n}. <b>{html.escape(e)}</b>: "
                     f"{html.escape(known[e].description if e in known else 'run-spec window')}"
                     "</li>" for n, e in enumerate(names, start=1))
    na = [r for r in rows if r["status"] != "ok"]
    reasons = "".join(f"<tr><td>{html.escape(r['playbook'])}</td><td>{html.escape(r['episode'])}"
                      f"</td><td>{html.escape(r['reason'])}</td></tr>" for r in na)
    body = ("<h1>Scorecard: playbooks through the episode catalogue</h1><p class=sub>"
            "Total return over each episode window (warm-up excluded); click a cell for its "
            "tear sheet. Excess = playbook minus its benchmark.</p>"
            + _grid(rows, "total_return", "Total return")
            + _grid(rows, "excess_total_return", "Excess total return over the benchmark")
            + "<h2>Equity in each episode (normalised to 1 at the window's start)</h2>"
            + _small_multiples(rows, out)
            + f"<h2>Episodes</h2><ol style='list-style:none;padding:0'>{legend}</ol>"
            + (f"<h2>Cells without a result</h2><table><tr><th>playbook</th><th>episode</th>"
               f"<th>reason</th></tr>{reasons}</table>" if na else ""))
    path = out / "scorecard.html"
    path.write_text(_page("carry-unwind scorecard", synthetic, body))
    return path
