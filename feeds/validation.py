"""`unwind data validate`: the quality gate over stored series, and cross-source comparisons."""

from __future__ import annotations

from feeds import compare, crosscheck, instruments, quality
from feeds.errors import BrokenSeries, DataError
from feeds.store import Broken, Store, check_series_name


def run_validation(store: Store, names: list[str], *, start=None, end=None, bar: str | None = None,
                   against: str | None = None, against_bar: str | None = None,
                   tolerance: float = 0.005, clock_scan: bool = False) -> dict:
    """A JSON-safe report for `names` (all stored series when empty); `ok` is False on errors."""
    import feeds

    wanted = {check_series_name(n) for n in names}
    chosen = [s for s in store.survey(check_files=False) if (not wanted or s.series in wanted)
              and (bar is None or s.bar == bar)]
    missing = wanted - {s.series for s in chosen}
    if missing:
        raise DataError(f"nothing stored for {', '.join(sorted(missing))}"
                        f"{' at ' + bar if bar else ''}; `unwind data list` shows the store")
    if not chosen:
        raise DataError(f"the store {store.root} is empty; import data first")
    if against and against != AUTO and bar is None and against_bar is None:
        chosen = _shared_bars(store, chosen, against)
    reports = []
    for info in chosen:
        if isinstance(info, Broken):
            reports.append(_broken_entry(info))
            continue
        try:
            frame = feeds.load(info.series, start, end, info.bar, store, check_quality=False)
        except BrokenSeries as broken:
            reports.append(_broken_entry(Broken(info.series, info.bar, broken.reason,
                                                broken.repair)))
            continue
        instrument = instruments.get(info.series)
        entry = quality.check(frame, instrument, info.bar, info.close_only, info.series,
                              info.repairs).to_json()
        entry["synthetic"] = info.synthetic
        if info.repairs:
            entry["repairs"] = [{"flag": repair.flag, "rows": repair.rows}
                                for repair in info.repairs]
        if against == AUTO:
            checked = _suspects(store, info.series, info.bar, entry["first"], entry["last"])
            finding = checked.pop("finding")
            if finding:
                entry["findings"].append(finding)
            entry.update(checked)
        elif against:
            entry.update(_against(store, frame, info, instrument, against, against_bar, start,
                                  end, tolerance, clock_scan))
        reports.append(entry)
    return {"ok": all(r["ok"] for r in reports), "series": reports}


AUTO = "auto"


def _shared_bars(store: Store, chosen: list, against: str) -> list:
    """With --against and no bar asked for, only the bar sizes both series have: `USDJPY
    --against USDJPY@fred` compares the daily bars, not the hourly ones FRED has none of."""
    other = check_series_name(against)
    other_bars = [s.bar for s in store.survey(check_files=False) if s.series == other]
    shared = [s for s in chosen if s.bar in other_bars]
    if not shared:
        own = sorted({s.bar for s in chosen})
        raise DataError(f"no bar size in common: {', '.join(sorted({s.series for s in chosen}))} "
                        f"has {', '.join(own)}, {other} has {', '.join(sorted(other_bars))}; "
                        f"name them with --bar and --against-bar")
    return shared


def _suspects(store: Store, series: str, bar: str, first, last) -> dict:
    """`--against auto`: the cross-source check of feeds/crosscheck.py inside the window, as
    `suspect` entries and one `suspect_prints` warning (a suspect open is not filled at; the
    series stays usable)."""
    references = crosscheck.REFERENCES.get((series, bar))
    if references is None:
        return {"suspect": None, "references": None, "finding": None}
    found = [s for s in crosscheck.suspect_prints(store, series, bar)
             if first <= s.time[:len(first)] and s.time[:len(last)] <= last]
    compared = [name for name, _, _ in references if store.info(name, bar) is not None]
    finding = quality.Finding(
        "suspect_prints", quality.WARNING, len(found),
        f"{len(found)} price(s) contradicted by "
        f"{', '.join(compared) if compared else 'nothing (no second source: checked alone)'};"
        " no fill at a suspect open", tuple(s.time for s in found[:5])) if found else None
    return {"suspect": [s.to_json() for s in found], "references": compared,
            "finding": finding.to_json() if finding else None}


def _broken_entry(broken: Broken) -> dict:
    """A failing report entry for a series the store cannot serve."""
    finding = quality.Finding("broken", quality.ERROR, 1, f"{broken.reason}; rebuild it with "
                              f"`{broken.repair}`")
    return {"series": broken.series, "bar": broken.bar, "rows": 0, "first": "", "last": "",
            "ok": False, "findings": [finding.to_json()], "synthetic": False}


def _against(store, frame, info, instrument, against, against_bar, start, end, tolerance,
             clock_scan) -> dict:
    import feeds
    from feeds.bars import is_intraday

    other_bar = against_bar or info.bar
    other = feeds.load(against, start, end, other_bar, store, check_quality=False)
    close_only = info.close_only or other.attrs["close_only"]
    result = compare.compare(frame, info.bar, other, other_bar, instrument, tolerance, close_only)
    extra = {"comparison": {"against": f"{check_series_name(against)} {other_bar}",
                            **result.to_json()}}
    if clock_scan:
        if not (is_intraday(info.bar) and not is_intraday(other_bar)):
            raise DataError("--clock-scan needs an intraday series checked against a daily one")
        table = compare.scan_offsets(frame, other, instrument, tolerance)
        extra["clock_scan"] = {
            "agreement": {int(y): {int(s): float(v) for s, v in row.items()}
                          for y, row in table.iterrows()},
            "weekly_open": {int(y): v for y, v in compare.weekly_opens(frame).items()}}
    return extra
