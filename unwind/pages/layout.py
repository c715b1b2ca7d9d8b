"""What every page shares: one self-contained HTML shell, inline styles, charts as inline SVG.

Charts are drawn by `unwind.pages.charts` as inline SVG; styles are inline, there are no external
scripts, fonts or images, so a page opens offline (a tear sheet's zoomable charts inline their
script too, or, inside a scorecard folder, link the folder's one copy by a relative path:
`unwind.pages.zoom`). A short inline script counts the charts the browser laid out, as
SVG or as a zoomable chart in its place (`data-charts-loaded` on <body>), for the rendering test.
Everything made from demo data carries a SYNTHETIC banner.

Time axes are in trading time: charts plot against bar position (0..n-1) and label positions
with dates (`trading_time_ticks`), so nights and weekends without bars take no width.
"""

from __future__ import annotations

import html
import io
from pathlib import Path

import numpy as np
import pandas as pd


STYLE = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:24px;color:#1d2330;
max-width:1180px}
h1{font-size:22px;margin:0 0 4px} h2{font-size:16px;margin:28px 0 8px}
p.sub{color:#5a6275;margin:0}
p.lead{margin:10px 0 4px;font-size:14px} .caption{color:#5a6275;font-size:12px;margin:2px 0 6px}
p.proxy{background:#fff4d6;border-left:4px solid #e0a800;padding:6px 10px;font-size:13px;
margin:6px 0}
.banner{background:#b3261e;color:#fff;font-weight:700;padding:10px 14px;margin-bottom:16px;
letter-spacing:.05em}
table{border-collapse:collapse;font-size:13px} td,th{border:1px solid #d5d9e2;padding:4px 8px}
th{background:#f1f3f7;text-align:left} td.num{text-align:right;font-variant-numeric:tabular-nums}
td.muted,span.muted{color:#7a8091} td.pos{color:#1a7f37} td.neg{color:#b3261e}
tr.total td,tr.total th{font-weight:700;border-top:2px solid #8a8f9c}
tr.changed td,tr.changed th{background:#fff4d6} td.marker{font-weight:700;color:#8a5a00}
table.heat td{text-align:right;font-variant-numeric:tabular-nums;min-width:58px}
table.heat td.zero{color:#9aa0ae}
table.blotter{font-size:12px} table.blotter td{white-space:nowrap}
.grid{font-size:12px} .grid td{min-width:52px;text-align:center} .na{background:#eceef2;color:#7a8091}
.pair{display:flex;gap:28px;flex-wrap:wrap;align-items:flex-start} .pair .panel{flex:1}
.panel{margin:8px 0 0} svg.chart{display:block;max-width:100%;height:auto}
.panel .head{display:flex;justify-content:space-between;flex-wrap:wrap;gap:2px 14px;
font-size:12px;padding-right:17px} .legend{font-size:11px;color:#3a4152}
.multiples{display:flex;flex-wrap:wrap;gap:4px 12px} .multiples .head{font-size:11px}
table.heat td.default{outline:2.5px solid #1d2330;outline-offset:-2px} table.sweep{margin-bottom:16px}
.legend span{margin-left:10px;white-space:nowrap}
details>summary{cursor:pointer;font-size:13px;margin:6px 0}
.zoombar{position:sticky;top:0;z-index:5;background:#fff;padding:4px 0;font-size:12px;
border-bottom:1px solid #d5d9e2} .zoombar .readout{font-variant-numeric:tabular-nums;margin-left:12px}
.zoombar button{font-size:12px;margin-right:4px} .zoombar .caption{margin:2px 0 0}
body.zoomed .panel[data-zoom] svg.chart{display:none} .zoomchart .u-legend{font-size:11px;text-align:left}
.zoomtip{position:absolute;z-index:20;pointer-events:none;display:none;white-space:nowrap;
background:rgba(29,35,48,.92);color:#fff;font-size:11px;line-height:1.35;padding:4px 7px;
border-radius:3px;font-variant-numeric:tabular-nums} .zoomtip b{color:#ffd479}
"""
COUNT_SCRIPT = ("<script>window.addEventListener('load',function(){var n=0;"
                 "document.querySelectorAll('svg.chart').forEach(function(s){"
                 "var c=s.closest('.panel').querySelector('.uplot')||s;"
                 "var r=c.getBoundingClientRect();if(r.width>0&&r.height>0){n++;}});"
                 "document.body.setAttribute('data-charts-loaded',n);});</script>")


def page(title: str, synthetic: bool, body: str) -> str:
    banner = ('<div class="banner">SYNTHETIC DEMO DATA - generated scenario, not market history'
              '</div>') if synthetic else ""
    return (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>"
            f"{html.escape(title)}</title><style>{STYLE}</style></head><body>{banner}{body}"
            f"{COUNT_SCRIPT}</body></html>\n")


def read_equities(paths: list[Path]) -> list[pd.Series]:
    """Each run's equity_usd by its UTC time, the run folders' equity.csv files read as one CSV:
    rundir writes them with one header and one time format, and pandas converts each field on
    its own, so every value and instant is the one a read of its file alone gives; one parse
    instead of one a file (a scorecard's 135 files: 0.14 -> 0.015 s, serial time after the
    workers). Files with another header, whose lines the parser did not count as rows (a blank
    line) or with a value that is not a number (it would type every file's column) are read one
    at a time."""
    texts = [Path(path).read_bytes() for path in paths]
    if not texts:
        return []
    header = texts[0].partition(b"\n")[0] + b"\n"
    if len(texts) > 1 and not all(text.startswith(header) for text in texts):
        return [read_equities([path])[0] for path in paths]
    bodies = [text[len(header):] for text in texts]
    bodies = [body if body.endswith(b"\n") or not body else body + b"\n" for body in bodies]
    frame = pd.read_csv(io.BytesIO(header + b"".join(bodies)), low_memory=False)
    counts = [len(frame)] if len(texts) == 1 else [body.count(b"\n") for body in bodies]
    if len(texts) > 1 and (sum(counts) != len(frame) or frame["equity_usd"].dtype != np.float64):
        return [read_equities([path])[0] for path in paths]   # a stray line or token: apart
    times = pd.DatetimeIndex(pd.to_datetime(frame["time"], utc=True, format="ISO8601"))
    values = frame["equity_usd"].to_numpy()
    ends = np.cumsum(counts)
    return [pd.Series(values[end - count:end], index=times[end - count:end], name=Path(path).stem)
            for path, count, end in zip(paths, counts, ends)]


def colour(value: float | None, scale: float) -> str:
    """Background for a signed number: red for losses, green for gains, white at zero, grey
    when unknown; intensity relative to `scale` (the largest magnitude shown beside it)."""
    if value is None or not np.isfinite(value) or scale <= 0:
        return "#eceef2"
    strength = min(abs(value) / scale, 1.0)
    target = np.array([26, 127, 55]) if value > 0 else np.array([179, 38, 30])
    white = np.array([255, 255, 255])
    mixed = (white * (1 - strength * 0.85) + target * strength * 0.85).astype(int)
    return "#%02x%02x%02x" % tuple(mixed)


def trading_time_ticks(times: pd.DatetimeIndex, most: int = 12) -> tuple[list[int], list[str]]:
    """Tick positions (bar numbers) and date labels for an axis in trading time: the first bar
    of each day, week, month or year, whichever gives at most `most` ticks."""
    if len(times) == 0:
        return [], []
    span = times[-1] - times[0]
    days = times.floor("D") if times.tz is None else times.tz_convert("UTC").floor("D")
    if span <= pd.Timedelta(days=14):
        keys, label = days.asi8, "%a %d %b"
    elif span <= pd.Timedelta(days=200):
        keys, label = (days - pd.to_timedelta(days.day_of_week, unit="D")).asi8, "%d %b"
    elif span <= pd.Timedelta(days=3 * 366):
        keys, label = days.year * 12 + days.month, "%b %Y"
    else:
        keys, label = np.asarray(days.year), "%Y"
    keys = np.asarray(keys)
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    if len(starts) > 1 and starts[1] - starts[0] < 0.4 * np.median(np.diff(starts)):
        starts = starts[1:]  # a partial first period would crowd its neighbour's label
    step = int(np.ceil(len(starts) / most))
    starts = starts[::step]
    return starts.tolist(), [times[i].strftime(label) for i in starts]


