"""The scorecard page: playbooks x episodes, each cell linking to its tear sheet.

Columns are episodes by short label (the full name and window on hover and in the legend). A
cell shows the total return large and, small below, trades, Sharpe, maximum drawdown, the excess
over the benchmark and over the plain twin; "no signal" (the playbook never traded) is kept
apart from a traded 0.0%, and "n/a" (no data) carries its reason. At the top, each playbook's
badge and sentence (unwind.evidence.verdict), the reasoning folded beneath; a summary per playbook counts
the traded episodes it beat its benchmark in, and the ones it stood aside in apart.
"""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np
import pandas as pd

from unwind.evidence import coverage, metrics, verdict
from unwind.pages.layout import page, read_equities

_CELL_STYLE = """
.warn{border:1px solid #d97706;background:#fff7ed;padding:6px 10px;margin:8px 0}
.gridbox{overflow-x:auto;max-width:100%}
.grid th:first-child{position:sticky;left:0;background:#fff;z-index:1}
.grid td.cell{min-width:92px;text-align:right;vertical-align:top;padding:4px 6px}
.grid td.cell a{color:inherit;text-decoration:none;display:block}
.grid .big{font-size:15px;font-weight:600;font-variant-numeric:tabular-nums}
.grid .small{font-size:10.5px;color:#39404f;line-height:1.35;white-space:nowrap}
.grid td.nosignal{background:#f6f7f9;color:#5a6275;text-align:center}
.grid td.na{background:#eceef2;color:#7a8091;text-align:center}
.badge{display:inline-block;min-width:104px;padding:1px 8px;border-radius:9px;font-size:12px;
font-weight:600;text-align:center;margin-right:6px}
.verdicts li{margin:4px 0}.verdicts details{margin:2px 0 0 118px;font-size:12px;color:#39404f}
"""


def _colour(value: float | None, scale: float) -> str:
    """Red for losses, green for gains, white at zero; intensity relative to `scale`."""
    if value is None or scale <= 0:
        return "#ffffff"
    strength = min(abs(value) / scale, 1.0) * 0.7
    target = np.array([26, 127, 55]) if value > 0 else np.array([179, 38, 30])
    mixed = (np.array([255, 255, 255]) * (1 - strength) + target * strength).astype(int)
    return "#%02x%02x%02x" % tuple(mixed)


def _page_of(row: dict) -> str:
    """Where a cell links: its tear sheet, or its run directory when the scorecard was run
    without tear sheets (`unwind report DIR` writes one)."""
    return row["run_dir"] + ("/tear_sheet.html" if row.get("tear_sheet", True) else "/")


def _cell(row: dict, scale: float, has_twin: bool) -> str:
    if row["status"] != "ok":
        return f"<td class='na' title='{html.escape(row['reason'])}'>n/a</td>"
    link = html.escape(_page_of(row))
    if not row["trades"]:
        return (f"<td class='cell nosignal' data-trades='0'><a href='{link}'>no signal"
                "<div class=small>benchmark "
                f"{metrics.display('total_return', row['benchmark_total_return'])}</div></a></td>")
    details = [f"{metrics.trades_text(row['trades'])} · "
               f"Sharpe {metrics.display('sharpe_ratio', row['sharpe_ratio'])}",
               f"max DD {metrics.display('max_drawdown', row['max_drawdown'])}",
               f"vs benchmark {metrics.display('total_return', row['excess_total_return'])}"]
    if has_twin:
        details.append("vs twin "
                       + metrics.display('total_return', row['twin_excess_total_return']))
    details.append(f"{row.get('sample', '')} · p_random "
                   + ("n/a" if row.get("p_random") is None else f"{row['p_random']:.2f}"))
    hover = " | ".join([f"{metric.title}: {metric.display(row.get(metric.key))}"
                        for metric in metrics.METRICS] + [_interval_text(row)])
    return (f"<td class='cell' data-trades='{row['trades']}' title='{html.escape(hover)}' "
            f"style='background:{_colour(row['total_return'], scale)}'><a href='{link}'>"
            f"<span class=big>{metrics.display('total_return', row['total_return'])}</span>"
            f"<div class=small>{'<br>'.join(html.escape(d) for d in details)}</div></a></td>")


def _interval_text(row: dict, returns: int | None = None) -> str:
    """A row's intervals, labelled by the coverage they have (unwind.evidence.coverage) for a window of
    `returns` daily returns (None: an episode window)."""
    label = coverage.label(returns)
    if row.get("ci_low_total_return") is None:
        return f"intervals ({label}): n/a ({row.get('evidence_note') or 'not computed'})"
    return (f"intervals ({label}): total return [{row['ci_low_total_return']:+.2%}, "
            f"{row['ci_high_total_return']:+.2%}], Sharpe "
            + ("n/a" if row.get("ci_low_sharpe_ratio") is None else
               f"[{row['ci_low_sharpe_ratio']:.2f}, {row['ci_high_sharpe_ratio']:.2f}]"))


BADGE_COLOURS = {"edge": ("#1a7f37", "#ffffff"), "negative": ("#b3261e", "#ffffff"),
                 "no evidence": ("#d6d9e0", "#2b3140"), "too few trades": ("#f2c14e", "#2b3140"),
                 "never traded": ("#eceef2", "#5a6275")}   # (background, text) per badge


def badge_html(badge: str) -> str:
    background, text = BADGE_COLOURS[badge]
    return (f"<span class=badge data-badge='{html.escape(badge)}' "
            f"style='background:{background};color:{text}'>{html.escape(badge)}</span>")


def _verdicts(summary: dict[str, dict]) -> str:
    """A badge and one sentence per playbook; the reasoning in a <details> beneath."""
    if not summary:
        return ""
    items = "".join(
        f"<li>{badge_html(s['badge'])}<b>{html.escape(p)}</b>{_sharpe_beside(s)}: "
        f"{html.escape(s['sentence'])}<details><summary>why</summary><ul>"
        + "".join(f"<li>{html.escape(reason)}</li>" for reason in s["reasons"])
        + "</ul></details></li>" for p, s in summary.items())
    return (f"<h2>Verdicts</h2><ul class=verdicts>{items}</ul><p class=sub>"
            "<b>edge</b> needs all four, over the playbook's full history: a Sharpe interval "
            f"above zero; p_random below {verdict.P_RANDOM_LEVEL} (the share of 1000 random "
            "books with the same trades that did at least as well); a positive excess total "
            "return over its benchmark with the interval of the mean paired daily difference "
            f"above zero; and at least {verdict.MIN_TRADES} trades (the reasons are in "
            "unwind/evidence/verdict.py). Intervals are stationary block bootstrap ones, "
            f"{coverage.label(None)} on episode windows (unwind/evidence/coverage.py).</p>")


def _sharpe_beside(item: dict) -> str:
    """The one number beside a badge: the full-history Sharpe with its interval."""
    history = item.get("full_history") or {}
    sharpe = history.get("sharpe_ratio")
    if history.get("status") != "ok" or sharpe is None or not history.get("trades"):
        return ""
    low, high = history.get("ci_low_sharpe_ratio"), history.get("ci_high_sharpe_ratio")
    interval = f" [{low:+.2f}, {high:+.2f}]" if low is not None and high is not None else ""
    return f" <span class=num title='full-history Sharpe ratio, interval'>Sharpe {sharpe:+.2f}" \
        f"{interval}</span>"


def _full_history_table(summary: dict[str, dict]) -> str:
    shown = ("annual_return", "sharpe_ratio", "max_drawdown", "trades", "hit_rate", "exposure",
             "benchmark_sharpe_ratio", "excess_total_return")
    lines = []
    for playbook, item in summary.items():
        history = item.get("full_history") or {}
        if history.get("status") != "ok":
            lines.append(f"<tr><th>{html.escape(playbook)}</th><td colspan=12 class=na>n/a: "
                         f"{html.escape(history.get('reason', 'not run'))}</td></tr>")
            continue
        link = html.escape(_page_of(history))
        lines.append(
            f"<tr><th><a href='{link}'>{html.escape(playbook)}</a></th>"
            f"<td>{history['start']} .. {history['end']}</td>"
            + "".join(f"<td class=num>{metrics.display(_base_key(key), history.get(key))}</td>"
                      for key in shown)
            + f"<td class=num>{html.escape(_excess_interval(history))}</td>"
            + f"<td class=num>{html.escape(verdict.episode_pnl_shown(history))}</td>"
            f"<td>{html.escape(_interval_text(history, history.get('excess_days')))}</td></tr>")
    titles = [metrics.BY_KEY[k].title for k in shown[:-2]] + ["Benchmark Sharpe",
                                                             "Excess total return"]
    return ("<h2>Full history: the base rate</h2><table><tr><th>playbook</th><th>span</th>"
            + "".join(f"<th>{html.escape(title)}</th>" for title in titles)
            + "<th>mean daily excess, a year (interval)</th>"
            "<th>P&amp;L inside episodes (a share only where the total is not zero within its "
            "interval)</th><th>intervals</th></tr>" + "".join(lines) + "</table>")


def _base_key(key: str) -> str:
    """The metric a `benchmark_` or `excess_` column is of (its display rule)."""
    for prefix in ("benchmark_", "excess_"):
        if key.startswith(prefix):
            return key[len(prefix):]
    return key


def _excess_interval(history: dict) -> str:
    """The annualised mean paired daily difference with its interval."""
    mean, low = history.get("excess_daily_mean"), history.get("ci_low_excess_daily_mean")
    if mean is None:
        return "n/a"
    text = f"{mean * 252:+.1%}"
    if low is None:
        return text + " (no interval)"
    return text + f" [{low * 252:+.1%}, {history['ci_high_excess_daily_mean'] * 252:+.1%}]"


def _grid(rows: list[dict], episodes: list, twins: dict[str, str | None]) -> str:
    playbooks = list(dict.fromkeys(r["playbook"] for r in rows))
    cells = {(r["playbook"], r["episode"]): r for r in rows}
    values = [abs(r["total_return"]) for r in rows if r["status"] == "ok" and r["trades"]]
    scale = max(values, default=0.0)
    header = "".join(f"<th title='{html.escape(e.name)} ({e.start} .. {e.end})'>"
                     f"{html.escape(e.label)}</th>" for e in episodes)
    body = []
    for playbook in playbooks:
        twin = twins.get(playbook)
        label = html.escape(playbook) + (f"<div class=small>plain twin: {html.escape(twin)}</div>"
                                         if twin else "")
        tds = "".join(_cell(cells[(playbook, e.id)], scale, twin is not None) for e in episodes)
        body.append(f"<tr><th>{label}</th>{tds}</tr>")
    # 13 episodes of ~95 px do not fit a 1400 px window beside the names: the grid scrolls
    # sideways inside its box and the playbook column stays put, so every row keeps its name
    return (f"<div class=gridbox><table class=grid><tr><th>playbook</th>{header}</tr>"
            f"{''.join(body)}</table></div>")


def summary_of_cells(rows: list[dict]) -> dict[str, dict]:
    """Per playbook, over its cells with data (cells.group_summary): cells, cells traded,
    traded episodes where it beat its benchmark, the median excess of those, cells without a
    trade where the benchmark fell; and the episodes where it beat its plain twin."""
    from unwind.evidence import cells

    result = {}
    for playbook in dict.fromkeys(r["playbook"] for r in rows):
        own = [r for r in rows if r["playbook"] == playbook and r["status"] == "ok"]
        twin = [r["twin_excess_total_return"] for r in own
                if r.get("twin_excess_total_return") is not None]
        result[playbook] = cells.group_summary(own).to_json() | {
            "beat_twin": sum(1 for value in twin if value > 0) if twin else None,
            "twin_cells": len(twin)}
    return result


def _summary_table(rows: list[dict], summary: dict[str, dict]) -> str:
    lines = []
    for playbook, item in summary_of_cells(rows).items():
        twin = "" if item["beat_twin"] is None else f"{item['beat_twin']}/{item['twin_cells']}"
        groups = summary.get(playbook, {})
        split = "".join(
            f"<td class=num>{g['beat_benchmark']}/{g['traded']}</td>" if g.get("traded") else
            "<td class=num>-</td>"
            for g in (groups.get("holdout", {}), groups.get("in_sample", {})))
        aside = item["cells"] - item["traded"]
        lines.append(
            f"<tr><th>{html.escape(playbook)}</th><td class=num>{item['traded']}/{item['cells']}"
            f"</td><td class=num>{item['beat_benchmark']}/{item['traded']}</td>{split}"
            "<td class=num>"
            f"{metrics.display('total_return', item['median_excess_total_return'])}</td>"
            f"<td class=num>{aside} ({item['stood_aside_benchmark_fell']})</td>"
            f"<td class=num>{twin}</td></tr>")
    return ("<table><tr><th>playbook</th><th>episodes traded</th>"
            "<th>beat its benchmark (of those traded)</th><th>of them holdout</th>"
            "<th>of them in-sample</th><th>median excess over the benchmark (traded)</th>"
            "<th>stood aside (benchmark fell)</th><th>beat its plain twin</th></tr>"
            f"{''.join(lines)}</table><p class=sub>Benchmark counts are over the episodes the "
            "playbook traded in; an episode without a trade is counted apart, with how many "
            "of those the benchmark fell in (standing aside is not beating it). Holdout: the "
            "episode does not overlap the window the playbook's defaults were calibrated on.</p>")


PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf", "#393b79", "#b5651d")  # a colour per playbook


def _small_multiples(rows: list[dict], episodes: list, out: Path) -> str:
    """Equity of every playbook in each episode with data, on the episode's calendar (dates on
    x, so an hourly and a daily playbook line up by date); a colour per playbook from a
    12-colour qualitative palette. Episodes where no cell has data are left out."""
    from unwind.pages.charts import Panel, legend_html, percent_labels, render

    shown = [e for e in episodes
             if any(r["episode"] == e.id and r["status"] == "ok" for r in rows)]
    if not shown:
        return ""
    playbooks = list(dict.fromkeys(r["playbook"] for r in rows))
    colours = {playbook: PALETTE[n % len(PALETTE)] for n, playbook in enumerate(playbooks)}
    drawn = {}   # an episode's cells with data, in the playbooks' order
    for episode in shown:
        cells = (next(r for r in rows if r["playbook"] == playbook and r["episode"] == episode.id)
                 for playbook in playbooks)
        drawn[episode.id] = [row for row in cells if row["status"] == "ok"]
    equities = iter(read_equities([out / row["run_dir"] / "equity.csv"
                                   for episode in shown for row in drawn[episode.id]]))
    panels = []
    for episode in shown:
        first = pd.Timestamp(episode.start, tz="UTC")
        last = pd.Timestamp(episode.end, tz="UTC") + pd.Timedelta(days=1)
        days = (last - first) / pd.Timedelta(days=1)
        panel = Panel(f"{episode.label} ({episode.start} .. {episode.end})", 140, (0.0, days),
                      percent_labels, width=270, left=44)
        for row in drawn[episode.id]:
            equity = next(equities)
            values = equity.to_numpy()
            panel.line((equity.index - first) / pd.Timedelta(days=1), values / values[0] - 1,
                       colours[row["playbook"]], 0.9)
        ticks = np.floor(days * np.array([1, 3, 5]) / 6)  # whole days, clear of the edges
        labels = [(first + pd.Timedelta(days=t)).strftime("%d %b %y") for t in ticks]
        panels.append(render(panel, x_ticks=(ticks, labels), alt=f"equity in {episode.label}"))
    legend = legend_html([(playbook, colour, "line") for playbook, colour in colours.items()])
    return ("<h2>Equity in each episode (% from the window's start; x: calendar dates, 00:00 "
            f"UTC)</h2><p class=legend>{legend}</p><div class=multiples>{''.join(panels)}</div>")


def write(rows: list[dict], out: Path, episodes: list, store_line: str,
          summary: dict[str, dict] | None = None, tear_sheets: bool = True) -> Path:
    """Write `scorecard.html` in `out` from the rows, the Episodes of its columns and the
    per-playbook summary (verdicts, full history); `tear_sheets` false when the runs were
    written without them (the cells then link their run folders). A row whose run directory
    is incomplete comes with status "incomplete" and its reason (unwind.studies.scorecard flags them)."""
    import strategies

    out = Path(out)
    summary = summary or {}
    synthetic = any(r.get("synthetic") for r in rows)
    twins = {p: ", ".join(f"{k}={v}" for k, v in (strategies.get(p).PLAIN_TWIN or {}).items())
             or None for p in dict.fromkeys(r["playbook"] for r in rows)}
    legend = "".join(f"<tr><th>{html.escape(e.label)}</th><td>{html.escape(e.id)}</td>"
                     f"<td>{e.start} .. {e.end}</td><td>{html.escape(e.description)}</td></tr>"
                     for e in episodes)
    na = [r for r in rows if r["status"] != "ok"]
    histories = [item["full_history"] for item in (summary or {}).values()
                 if item.get("full_history")]
    defects = "".join(
        f"<li>{html.escape(r['playbook'])} {html.escape(r.get('episode', 'full history'))}: "
        f"{html.escape(defect)}</li>"
        for r in rows + histories for defect in r.get("defects_allowed") or ())
    reasons = "".join(f"<tr><td>{html.escape(r['playbook'])}</td><td>{html.escape(r['episode'])}"
                      f"</td><td>{html.escape(r['reason'])}</td></tr>" for r in na)
    body = (f"<style>{_CELL_STYLE}</style>"
            "<h1>Scorecard: playbooks through the episode catalogue</h1>"
            f"<p class=sub>{html.escape(store_line)}</p>"
            "<p class=sub>Each cell: total return over the episode window (warm-up excluded); "
            "below it trades, Sharpe, maximum drawdown, and the excess over the playbook's "
            "benchmark and over its plain twin (the same rule without its filter). Hover for "
            "every metric; click for the tear sheet. 'no signal': the playbook did not trade; "
            "'n/a': no data (reason below). A column label with * is a window found by the "
            "episode rule (`unwind episodes find`), not a catalogue episode.</p>"
            + ("" if tear_sheets else "<p class=sub>Scored with --sheets none: each cell links "
               "its run folder; <code>unwind report RUN_DIR</code> writes its tear sheet.</p>")
            + (f"<div class=warn><b>Run on quality-gate defects (--allow-defects)</b>: these "
               f"results trade series the gate refuses<ul>{defects}</ul></div>"
               if defects else "")
            + _verdicts(summary or {})
            + _grid(rows, episodes, twins)
            + "<h2>Summary per playbook</h2>" + _summary_table(rows, summary or {})
            + (_full_history_table(summary) if summary else "")
            + _small_multiples(rows, episodes, out)
            + "<h2>Episodes</h2><table><tr><th>column</th><th>id</th><th>window</th>"
            f"<th>what happened</th></tr>{legend}</table>"
            + (f"<h2>Cells without a result</h2><table><tr><th>playbook</th><th>episode</th>"
               f"<th>reason</th></tr>{reasons}</table>" if na else ""))
    path = out / "scorecard.html"
    path.write_text(page("carry-unwind scorecard", synthetic, body))
    return path
