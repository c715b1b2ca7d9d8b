"""`unwind data ...`: get bars into the store, look at them, check them."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import click

from unwind.cli.options import (check_window, echo_json, echo_store, echo_table, json_option,
                                open_store, store_option, window_day)

BAR_CHOICES = ["1m", "5m", "15m", "30m", "1h", "4h", "1d", "1w"]
FORMAT_CHOICES = ["auto", "yahoo", "mt5", "fred", "wsj", "mof", "investing", "nbp", "ohlc",
                  "tradingview", "ninjatrader", "dates", "generic"]
window_options = [
    click.option("--start", default=None, callback=window_day,
                 help="First day (YYYY-MM-DD), inclusive."),
    click.option("--end", default=None, callback=window_day, help="Last day (YYYY-MM-DD), inclusive."),
]


def with_window(function):
    for option in reversed(window_options):
        function = option(function)
    return function


@click.group("data")
def group() -> None:
    """Import, fetch, list, show and validate stored market data."""


@group.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--symbol", help="Store the file as this symbol (SYM, or SYM@tag to keep sources "
              "apart). Needed unless the file names its instrument.")
@click.option("--bar", type=click.Choice(BAR_CHOICES), help="Bar size (default: from the rows).")
@click.option("--format", "file_format", type=click.Choice(FORMAT_CHOICES), default="auto",
              show_default=True, help="File format; auto detects it from the header.")
@click.option("--clock", help="Clock of naive intraday times: ny-close (MT5 default: US DST "
              "dates), Europe/Athens (EU DST dates), utc, +02:00, or another IANA zone.")
@click.option("--map", "column_map", help="Generic CSV columns: time=COL,close=COL[,open=..,"
              "high=..,low=..,volume=..,date=..] (date= and time= join a date and a time "
              "column; #N is column N of a file without a header).")
@click.option("--columns", help="A file without a header: its columns in order, from time (or "
              "date), open, high, low, close, volume, skip; e.g. time,open,high,low,close,volume.")
@click.option("--date-format", help="strftime format of the time column (ohlc and generic CSV), "
              "or epoch-s / epoch-ms for Unix times (both detected, as are yyyyMMdd and dd.MM.yyyy).")
@click.option("--replace", is_flag=True, help="Overwrite a stored series holding other data, or "
              "rebuild a broken one.")
@click.option("--repair-ohlc", type=click.Choice(["widen"]),   # feeds.sanity.REPAIR_OHLC
              help="A file with rows whose open or close lies outside high..low is refused; "
              "widen imports it with those rows' high = max(open, high, close) and low = "
              "min(open, low, close), the conventional repair that keeps every printed price. "
              "The manifest records the rows repaired; the quality gate still counts them.")
@store_option
@json_option
def import_command(paths, symbol, bar, file_format, clock, column_map, columns, date_format,
                   replace, repair_ohlc, store_path, as_json) -> None:
    """Import CSV exports into the store.

    Formats: Yahoo, MetaTrader 5, FRED, WSJ, MOF, Investing.com, NBP, TradingView, NinjaTrader,
    plain OHLC (comma, semicolon, tab or | separated, decimal commas, epoch or day-first times,
    date and time columns), or generic with --map. Intraday times are converted to UTC; each
    line says which clock was assumed.
    """
    from feeds.errors import DataError
    from feeds.importer import ImportOptions, import_files
    from feeds.sources.layouts import columns_map

    if columns:
        if column_map:
            raise DataError("--columns names a file's columns by position, --map by header: "
                            "give one")
        column_map = columns_map(columns)

    options = ImportOptions(symbol=symbol, bar=bar, format=file_format, clock=clock,
                            map=column_map, date_format=date_format, replace=replace,
                            repair_ohlc=repair_ohlc)
    outcomes = import_files(list(paths), options, open_store(store_path))
    if as_json:
        echo_json([o.to_json() for o in outcomes])
        return
    for outcome in outcomes:
        click.echo(f"{outcome.status:9s} {outcome.series} {outcome.bar}: "
                   f"{_count(outcome.rows, 'bar')} "
                   f"{outcome.first[:16]} .. {outcome.last[:16]} UTC  [{outcome.format}; "
                   f"{outcome.conversion}]")
        for note in outcome.notes:
            click.echo(f"          note: {note}")
        for warning in outcome.warnings:
            click.echo(f"warning: {warning}", err=True)


@group.command("fetch")
@click.argument("symbols", nargs=-1)
@click.option("--update", is_flag=True, help="Refresh every Yahoo series the playbooks read, "
              "from its last stored day to today, in one call.")
@with_window
@click.option("--bar", type=click.Choice(["1m", "5m", "15m", "30m", "1h", "1d", "1w"]),
              default="1d", show_default=True, help="Bar size (Yahoo serves no 4h bars).")
@click.option("--deadline", type=click.FloatRange(min=1), default=60.0, show_default=True,
              help="Give up on one download after this many seconds.")
@store_option
@json_option
def fetch_command(symbols, update, start, end, bar, deadline, store_path, as_json) -> None:
    """Download bars from Yahoo Finance into the store.

    Downloads are cached in the store: a rerun over a range already fetched needs no network.
    `--update` refreshes every Yahoo series the playbooks read (offline: one line naming what
    it could not refresh; nothing is changed).
    """
    from feeds.sources.yahoo import fetch

    store = open_store(store_path)
    if update:
        _update(store, symbols, deadline, as_json)
        return
    if not symbols:
        raise click.UsageError("name the SYMBOLS to fetch, or --update")
    outcomes = [fetch(symbol, store, start=start, end=end, bar=bar, deadline=deadline)
                for symbol in symbols]
    if as_json:
        echo_json([o.to_json() for o in outcomes])
        return
    for outcome in outcomes:
        click.echo(f"{outcome.status:8s} {outcome.series} {outcome.bar}: "
                   f"{_count(outcome.rows, 'bar')} "
                   f"{outcome.first[:16]} .. {outcome.last[:16]} UTC")


def _update(store, symbols: tuple[str, ...], deadline: float, as_json: bool) -> None:
    """`fetch --update`: the playbooks' Yahoo series, refreshed in one call."""
    import strategies
    from feeds import refresh

    if symbols:
        raise click.UsageError("--update refreshes the playbooks' series; name no SYMBOLS")
    read = strategies.series_read(strategies.ids())
    done = refresh.refresh(store, refresh.yahoo_series(read), deadline=deadline)
    if as_json:
        echo_json({"refreshed": [o.to_json() for o in done.fetched], "offline": done.offline,
                   "not_refreshed": [{"series": s, "bar": b, "reason": why}
                                     for s, b, why in done.skipped]})
        return
    for outcome in done.fetched:
        click.echo(f"{outcome.status:8s} {outcome.series} {outcome.bar}: "
                   f"{_count(outcome.rows, 'bar')} {outcome.first[:16]} .. {outcome.last[:16]} UTC")
    for series, bar, why in ([] if done.offline else done.skipped):
        click.echo(f"skipped  {series} {bar}: {why}")
    if done.summary():
        click.echo(done.summary(), err=True)


@group.command("list")
@store_option
@json_option
def list_command(store_path, as_json) -> None:
    """Every series in the store.

    For each: bar size, rows, first and last bar (UTC), origin (SYNTHETIC for demo data) and the
    format of its source file.
    """
    from feeds.store import Broken

    store = open_store(store_path)
    entries = store.survey()
    if as_json:
        echo_json([entry.to_json() for entry in entries])
        return
    if not entries:
        click.echo(f"the store {store.root} is empty; add data with `unwind data import` or "
                   "`unwind data fetch`")
        return
    broken = [entry for entry in entries if isinstance(entry, Broken)]
    echo_store(store_path)
    echo_table([{"series": s.series, "bar": s.bar, "rows": s.rows, "first": s.first[:16],
                 "last": s.last[:16], "origin": "SYNTHETIC" if s.synthetic else s.origin,
                 "format": s.sources[0].format if s.sources else ""}
                if not isinstance(s, Broken) else
                {"series": s.series, "bar": s.bar, "rows": "", "first": "", "last": "",
                 "origin": "BROKEN", "format": "see below"} for s in entries],
               ["series", "bar", "rows", "first", "last", "origin", "format"])
    for entry in broken:
        click.echo(f"BROKEN {entry.series} {entry.bar}: {entry.reason}; rebuild it with "
                   f"`{entry.repair}`")
    for entry in entries:
        for repair in [] if isinstance(entry, Broken) else entry.repairs:
            click.echo(f"repaired {entry.series} {entry.bar}: {_count(repair.rows, 'row')} with "
                       f"open or close outside high..low widened at import (`{repair.flag}`)")


def _count(number: int, noun: str, plural: str | None = None) -> str:
    """`1 bar`, `2 bars`: a count with its noun agreeing (`plural` for irregular nouns)."""
    return f"{number} {noun if number == 1 else plural or noun + 's'}"


def _require_stored(store, names: list[str], bar: str | None) -> None:
    """Refuse series the store does not hold, naming what it holds of the same symbols instead.

    The store's own error knows only the bar sizes of the exact series asked for, but a user
    asking for `USDJPY 4h` usually has it under a source tag (`USDJPY@fxtrading 4h`). So the
    suggestion is the stored series of the same symbol at the bar asked for, or at any bar when
    none has it (or no bar was asked for). With nothing of the symbol stored, the error says how
    to get it, in the store's own words.
    """
    from feeds.errors import DataError
    from feeds.store import Broken, check_series_name

    entries = store.survey(check_files=False)
    stored = [entry for entry in entries if not isinstance(entry, Broken)]
    wanted = list(dict.fromkeys(check_series_name(name) for name in names))
    for entry in entries:  # a broken series is there: say what is wrong with it, not "missing"
        if isinstance(entry, Broken) and entry.series in wanted and bar in (None, entry.bar) \
                and not any(s.series == entry.series and bar in (None, s.bar) for s in stored):
            raise DataError(f"{entry.series} {entry.bar} in the store is broken: {entry.reason}; "
                            f"rebuild it with `{entry.repair}`")
    missing = [name for name in wanted
               if not any(s.series == name and bar in (None, s.bar) for s in stored)]
    if not missing:
        return
    suggestions = []
    for symbol in dict.fromkeys(name.split("@", 1)[0] for name in missing):
        same_symbol = [s for s in stored if s.symbol == symbol]
        same_bar = [s for s in same_symbol if s.bar == bar]
        suggestions += same_bar or same_symbol
    asked = ", ".join(f"{name} {bar}" if bar else name for name in missing)
    verb = "is" if len(missing) == 1 else "are"
    if suggestions:
        raise DataError(f"{asked} {verb} not in the store; stored: "
                        + ", ".join(f"{s.series} {s.bar}" for s in suggestions))
    raise DataError(f"no {asked} series in the store {store.root}; import it with `unwind data "
                    f"import FILE --symbol {missing[0]}` or fetch it with `unwind data fetch "
                    f"{missing[0]}`")


def _resolve_bar(store, series: str, bar: str | None) -> str:
    """The bar size to use: the one asked for, else the only one stored, else 1d."""
    from feeds.store import check_series_name

    if bar:
        return bar
    name = check_series_name(series)
    stored = [s.bar for s in store.survey(check_files=False) if s.series == name]
    return stored[0] if len(stored) == 1 else "1d"


@group.command("show")
@click.argument("symbol")
@with_window
@click.option("--bar", type=click.Choice(BAR_CHOICES),
              help="Bar size (default: the only stored one, else 1d).")
@click.option("--rows", type=click.IntRange(min=1), default=20, show_default=True,
              help="How many bars to print (the last ones in the window).")
@store_option
@json_option
def show_command(symbol, start, end, bar, rows, store_path, as_json) -> None:
    """The last bars of one series in a window.

    Prints how many bars the window holds and the source files, then the bars (with the trading
    session of each intraday bar). --json adds the full manifest (hashes, conversion, imports).
    """
    import feeds
    from feeds import sessions
    from feeds.bars import is_intraday

    check_window(start, end)
    store = open_store(store_path)
    bar = _resolve_bar(store, symbol, bar)
    _require_stored(store, [symbol], bar)
    frame = feeds.load(symbol, start, end, bar, store, check_quality=False)
    info = frame.attrs
    shown = frame.tail(rows)
    table = [{"time": t.isoformat()[:16], **{c: float(shown.at[t, c]) for c in shown.columns}}
             for t in shown.index]
    if is_intraday(bar):
        for row, name in zip(table, sessions.label(sessions.tag(shown.index))):
            row["session"] = name
    if as_json:
        echo_json({"manifest": info, "bars_in_window": len(frame), "bars": table})
        return
    banner = "SYNTHETIC demo data - not market data. " if info.get("synthetic") else ""
    click.echo(f"{banner}{info['series']} {bar}: {_count(len(frame), 'bar')} in window, "
               f"{info['rows']} stored ({info['first'][:10]}..{info['last'][:10]}), from "
               f"{', '.join(s['path'] for s in info['sources'])}")
    echo_table(table, list(table[0].keys()))


@group.command("validate")
@click.argument("symbols", nargs=-1)
@with_window
@click.option("--bar", type=click.Choice(BAR_CHOICES), help="Only this bar size (default: all; with --against, those both series have).")
@click.option("--against", help="Compare each series with this one (e.g. USDJPY@fred), or "
              "`auto`: check each traded series against the store's other sources of the same "
              "exposure and list its suspect prints.")
@click.option("--against-bar", type=click.Choice(BAR_CHOICES),
              help="Bar size of --against (default: that of each series checked).")
@click.option("--tolerance", default="0.5%", show_default=True,
              help="Relative difference allowed by --against, e.g. 0.5% or 0.005.")
@click.option("--clock-scan", is_flag=True, help="With --against a daily series: which clock "
              "shift (hours) best aligns the intraday series, per year; and weekly opens.")
@store_option
@json_option
def validate_command(symbols, start, end, bar, against, against_bar, tolerance, clock_scan,
                     store_path, as_json) -> None:
    """Check series against the quality gate.

    SYMBOLS are stored series (every one when none is given). Checks duplicates, order,
    non-positive prices, high/low bracketing open and close, flat bars, broken opens, gaps
    against the exchange calendar and thin intraday days. Exits 1 when any series has a blocking
    defect (an error) in the window.
    """
    from feeds.validation import run_validation

    check_window(start, end)
    store = open_store(store_path)
    _require_stored(store, list(symbols), bar)
    if against and against != "auto":
        _require_stored(store, [against], against_bar or bar)
    elif clock_scan and against == "auto":
        raise click.UsageError("--clock-scan needs --against a daily series, not auto")
    report = run_validation(store, list(symbols), start=start, end=end, bar=bar,
                            against=against, against_bar=against_bar,
                            tolerance=_parse_tolerance(tolerance), clock_scan=clock_scan)
    if as_json:
        echo_json(report)
    else:
        _print_validation(report)
    if not report["ok"]:
        raise click.exceptions.Exit(1)


def _parse_tolerance(text: str) -> float:
    from feeds.errors import DataError

    try:
        value = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        raise DataError(f"--tolerance {text!r} is not a number; expected e.g. 0.5% or 0.005"
                        ) from None
    if not 0 <= value < 1:
        raise DataError(f"--tolerance {text!r} must be between 0 and 100%")
    return value


def _print_validation(report: dict) -> None:
    for series in report["series"]:
        state = "FAIL" if not series["ok"] else "ok"
        click.echo(f"{state:4s} {series['series']} {series['bar']}: "
                   f"{_count(series['rows'], 'bar')} "
                   f"{series['first'][:10]}..{series['last'][:10]}")
        for finding in series["findings"]:
            examples = f" e.g. {', '.join(e[:16] for e in finding['examples'][:3])}" \
                if finding["examples"] else ""
            click.echo(f"     {finding['severity']:7s} {finding['check']}: {finding['message']}"
                       f"{examples}")
        comparison = series.get("comparison")
        if comparison:
            agree = "agrees" if comparison["agreeing"] == 1 else "agree"
            click.echo(f"     against {comparison['against']}: {comparison['agreeing']} of "
                       f"{_count(comparison['compared'], 'bar')} {agree} within "
                       f"{comparison['tolerance']:.4%} on {'/'.join(comparison['fields'])} "
                       f"(median difference {comparison['median_deviation']:.4%}, 99th "
                       f"percentile {comparison['p99_deviation']:.4%}, "
                       f"{_count(comparison['skipped_partial'], 'partial period')} skipped)")
            for parting in comparison["partings"]:
                click.echo(f"       part {parting['first'][:16]}..{parting['last'][:16]} "
                           f"({_count(parting['bars'], 'bar')}, up to "
                           f"{parting['worst_deviation']:.3%})")
        if series.get("suspect") is not None:
            references = ", ".join(series["references"]) or "no second source stored"
            click.echo(f"     against {references}: {_count(len(series['suspect']), 'suspect print')}")
            for suspect in series["suspect"]:
                click.echo(f"       suspect {suspect['time'][:16]} {suspect['field']} "
                           f"{suspect['value']:g}: {suspect['reference']} implies "
                           f"{suspect['expected']:.6g}")
        scan = series.get("clock_scan")
        if scan:
            click.echo("     clock scan: share of days whose high and low agree, by shift (hours)")
            shifts = list(next(iter(scan["agreement"].values())).keys())
            echo_table([{"year": year, **{f"{s:+d}h": round(v, 3) for s, v in row.items()}}
                        for year, row in scan["agreement"].items()],
                       ["year"] + [f"{int(s):+d}h" for s in shifts])
            click.echo("     weekly open (New York time) by year: " + ", ".join(
                f"{year} {label}" for year, label in scan["weekly_open"].items()))
    _print_summary(report["series"])


def _print_summary(series: list[dict]) -> None:
    """One closing line, so a long report still ends with the verdict and the number of findings."""
    failing = sum(not entry["ok"] for entry in series)
    findings = [finding for entry in series for finding in entry["findings"]]
    severities = Counter(finding["severity"] for finding in findings)
    detail = ", ".join(_count(number, severity) for severity, number in sorted(severities.items()))
    click.echo(f"{_count(len(series), 'series', 'series')} checked, {failing} failing; "
               f"{_count(len(findings), 'finding')}{f' ({detail})' if detail else ''}")
