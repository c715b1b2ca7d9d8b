"""`unwind run PLAYBOOK`: one backtest, one run directory."""

from __future__ import annotations

import click

from unwind.cli.options import echo_json, echo_table, json_option, store_option


def _parse_pairs(pairs: tuple[str, ...], option: str = "-p") -> tuple[tuple[str, str], ...]:
    from feeds.errors import DataError

    parsed = []
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise DataError(f"{option} {pair!r}: expected KEY=VALUE")
        parsed.append((key.strip(), value.strip()))
    return tuple(parsed)


def _parse_amounts(pairs: tuple[str, ...], option: str) -> tuple[tuple[str, float], ...]:
    from feeds.errors import DataError
    from feeds.store import check_series_name

    amounts = []
    for symbol, value in _parse_pairs(pairs, option):
        try:
            amounts.append((check_series_name(symbol), float(value)))
        except ValueError:
            raise DataError(f"{option} {symbol}={value!r}: expected a number") from None
    return tuple(amounts)


@click.command("run")
@click.argument("playbook")
@click.option("--start", default="2024-06-01", show_default=True, help="First day of the window.")
@click.option("--end", default="2024-09-30", show_default=True, help="Last day of the window.")
@click.option("-p", "--parameter", "parameters", multiple=True, metavar="KEY=VALUE",
              help="Playbook parameter (repeatable); `unwind list playbooks` shows them.")
@click.option("--warmup-days", type=click.IntRange(min=0), default=None,
              help="Calendar days of data before --start (default: the playbook's own).")
@click.option("--cash", type=click.FloatRange(min=1), default=1_000_000.0, show_default=True,
              help="Starting cash in USD.")
@click.option("--slippage-ticks", type=click.FloatRange(min=0), default=1.0, show_default=True)
@click.option("--margin", "margins", multiple=True, metavar="SYM=USD",
              help="Initial margin per contract in USD, overriding the registry (repeatable).")
@click.option("--fee", "fees", multiple=True, metavar="SYM=AMOUNT",
              help="Fee per contract per side in the contract currency (repeatable).")
@click.option("--allow-defects", is_flag=True, help="Trade on series that fail the quality gate.")
@click.option("--out", type=click.Path(file_okay=False), help="Parent of the run directory "
              "(default runs/out).")
@store_option
@json_option
def command(playbook, start, end, parameters, warmup_days, cash, slippage_ticks, margins, fees,
            allow_defects, out, store_path, as_json) -> None:
    """Backtest PLAYBOOK over a window and write its run directory."""
    import datetime as dt

    from unwind import engine, rundir
    from unwind.config import RunConfig

    config = RunConfig(playbook=playbook, start=start, end=end,
                       parameters=_parse_pairs(parameters), warmup_days=warmup_days,
                       cash_usd=cash, slippage_ticks=slippage_ticks, allow_defects=allow_defects,
                       margins=_parse_amounts(margins, "--margin"),
                       fees=_parse_amounts(fees, "--fee"),
                       store=store_path)
    started = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    result = engine.run(config)
    directory = rundir.new_run_dir(out, playbook)
    rundir.write(result, directory,
                 started, dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"))
    if as_json:
        echo_json({"run_dir": str(directory), "metrics": result.metrics,
                   "synthetic": result.synthetic})
        return
    if result.synthetic:
        click.echo("SYNTHETIC demo data in this run: not market history.")
    click.echo(f"{playbook} {start}..{end}: {len(result.trades)} trades -> {directory}")
    echo_table([{"metric": k, "value": v} for k, v in result.metrics.items()], ["metric", "value"])
    for skip in result.skips[:5]:
        click.echo(f"skipped {skip['time'][:16]} {skip['symbol']}: {skip['reason']}")
