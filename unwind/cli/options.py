"""Options shared by several commands, and small output helpers."""

from __future__ import annotations

import json
import math

import click

store_option = click.option(
    "--store", "store_path", type=click.Path(file_okay=False), default=None,
    help="Store directory (default: $UNWIND_STORE, else ~/.local/share/carry-unwind/store).")
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")


class FiniteFloat(click.ParamType):
    """A finite number within optional bounds. click's FloatRange lets `nan` through (it fails
    every comparison) and `inf` past an upper-unbounded range; a money amount or a multiple must
    be neither. The value is echoed back as at most a short excerpt."""

    name = "number"

    def __init__(self, minimum: float | None = None, maximum: float | None = None,
                 min_open: bool = False, max_open: bool = False):
        self.minimum, self.maximum = minimum, maximum
        self.min_open, self.max_open = min_open, max_open

    def convert(self, value, parameter, context) -> float:
        from feeds.errors import excerpt

        try:
            number = value if isinstance(value, float) else float(str(value).strip())
        except ValueError:
            number = math.nan
        low_fails = self.minimum is not None and (
            number <= self.minimum if self.min_open else number < self.minimum)
        high_fails = self.maximum is not None and (
            number >= self.maximum if self.max_open else number > self.maximum)
        if not math.isfinite(number) or low_fails or high_fails:
            self.fail(f"{excerpt(value)}: expected a finite number{self._span()}", parameter,
                      context)
        return number

    def _span(self) -> str:
        if self.minimum is not None and self.maximum is not None:
            return (f" in {'(' if self.min_open else '['}{self.minimum:g}, {self.maximum:g}"
                    f"{')' if self.max_open else ']'}")
        if self.minimum is not None:
            return f" {'>' if self.min_open else '>='} {self.minimum:g}"
        if self.maximum is not None:
            return f" {'<' if self.max_open else '<='} {self.maximum:g}"
        return ""


def open_store(path: str | None):
    from feeds.store import Store

    return Store(path)


def echo_store(path: str | None) -> None:
    """Name the store a command reads (`--store`, else $UNWIND_STORE, else the default), as
    `unwind score` does on its first line."""
    click.echo(f"store: {open_store(path).root}")


def echo_json(value) -> None:
    click.echo(json.dumps(value, indent=2, sort_keys=False, default=str))


def echo_metrics(values: dict, benchmark: dict | None = None,
                 benchmark_name: str = "benchmark") -> None:
    """The metric registry as a table: titles, the playbook's values and the benchmark's, each
    formatted by its unit (percent, USD with separators, integers, ratios). Metrics marked off
    the terminal (skew, kurtosis, ...) keep the table short: its last line names them (stderr
    stays for errors), and metrics.json and --json hold every one."""
    from unwind.evidence import metrics

    rows = []
    hidden = [metric.key for metric in metrics.METRICS if not metric.terminal]
    for metric in (metric for metric in metrics.METRICS if metric.terminal):
        row = {"metric": metric.title, "playbook": metric.display(values.get(metric.key))}
        if benchmark is not None:
            row[benchmark_name] = metric.display(benchmark[metric.key]) \
                if metric.key in benchmark else ""
        rows.append(row)
    columns = ["metric", "playbook"] + ([benchmark_name] if benchmark is not None else [])
    widths = [max(len(c), *(len(r[c]) for r in rows)) for c in columns]
    click.echo("  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                         for i, (c, w) in enumerate(zip(columns, widths))))
    for row in rows:
        click.echo("  ".join(row[c].ljust(w) if i == 0 else row[c].rjust(w)
                             for i, (c, w) in enumerate(zip(columns, widths))).rstrip())
    if hidden:
        click.echo(f"also in metrics.json: {', '.join(hidden)}")


def echo_table(rows: list[dict], columns: list[str]) -> None:
    """Left-aligned text table; numbers right-aligned."""
    if not rows:
        return
    decimals = {c: _decimals([row.get(c) for row in rows]) for c in columns}
    cells = [[_cell(row.get(c, ""), decimals[c]) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    numeric = [all(isinstance(row.get(c), (int, float)) for row in rows) for c in columns]
    click.echo("  ".join(c.ljust(w) for c, w in zip(columns, widths)).rstrip())
    for row in cells:
        click.echo("  ".join(v.rjust(w) if n else v.ljust(w)
                             for v, w, n in zip(row, widths, numeric)).rstrip())


def _decimals(values: list) -> int:
    """Decimals that show every finite float of a column exactly (at most 6), so digits line
    up; inf and NaN print as words and have none."""
    floats = [v for v in values if isinstance(v, float) and math.isfinite(v)]
    return max((len(f"{v:.6f}".rstrip("0").split(".")[1]) for v in floats), default=0)


def _cell(value, decimals: int) -> str:
    if isinstance(value, float):
        return f"{value:,.{decimals}f}"
    return str(value)


def parse_pairs(pairs: tuple[str, ...], option: str = "-p") -> tuple[tuple[str, str], ...]:
    """`KEY=VALUE` options (-p, --margin, --fee) as (key, value) text pairs."""
    from feeds.errors import DataError, excerpt

    parsed = []
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise DataError(f"{option} {excerpt(pair)}: expected KEY=VALUE")
        parsed.append((key.strip(), value.strip()))
    return tuple(parsed)


def window_day(context, parameter, value: str | None) -> str | None:
    """A --start/--end callback: the day parsed as a date (not compared as text), inside
    feeds.FIRST_DAY..LAST_DAY."""
    import datetime as dt

    from feeds import FIRST_DAY, LAST_DAY

    if value is None:
        return None
    try:
        day = dt.date.fromisoformat(value.strip())
    except ValueError as error:
        reason = "" if str(error).startswith("Invalid isoformat") else f" ({error})"
        raise click.BadParameter(f"{value[:40]!r} is not a date{reason}; expected YYYY-MM-DD"
                                 ) from None
    if not FIRST_DAY <= day.isoformat() <= LAST_DAY:
        raise click.BadParameter(f"{day} is outside {FIRST_DAY}..{LAST_DAY}; omit "
                                 f"{parameter.opts[0]} for the whole series")
    return day.isoformat()


def check_window(start: str | None, end: str | None) -> None:
    """DataError when --start is after --end."""
    from feeds.errors import DataError

    if start and end and start > end:  # both ISO dates by now, so text order is date order
        raise DataError(f"--start {start} is after --end {end}")
