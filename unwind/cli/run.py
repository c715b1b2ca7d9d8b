"""`unwind run PLAYBOOK`: one backtest, one run directory."""

from __future__ import annotations

import math

import click

from unwind.cli.options import (FiniteFloat, echo_json, echo_metrics, echo_store, json_option,
                                parse_pairs, store_option)
from unwind.sim.config import DEFAULT_WINDOW, MAX_CASH_USD, MAX_WARMUP_DAYS, MIN_CASH_USD


def _parse_amounts(pairs: tuple[str, ...], option: str) -> tuple[tuple[str, float], ...]:
    from feeds.errors import DataError, excerpt
    from feeds.store import check_series_name

    amounts = []
    for symbol, value in parse_pairs(pairs, option):
        try:
            amount = float(value)
        except ValueError:
            amount = math.nan
        if not math.isfinite(amount) or amount < 0:
            raise DataError(f"{option} {excerpt(f'{symbol}={value}')}: expected a finite "
                            "amount >= 0")
        amounts.append((check_series_name(symbol), amount))
    return tuple(amounts)


@click.command("run")
@click.argument("playbook")
@click.option("--episode", help="Run over an episode's window (`unwind list episodes`).")
@click.option("--full-history", is_flag=True,
              help="Run over all the data the playbook's series share (warm-up excluded).")
@click.option("--start", help=f"First day of the window (default {DEFAULT_WINDOW[0]}).")
@click.option("--end", help=f"Last day of the window (default {DEFAULT_WINDOW[1]}).")
@click.option("-p", "--parameter", "parameters", multiple=True, metavar="KEY=VALUE",
              help="Playbook parameter (repeatable); `unwind list playbooks` shows them.")
@click.option("--warmup-days", type=click.IntRange(min=0, max=MAX_WARMUP_DAYS), default=None,
              help="Calendar days of data before --start (default: the playbook's own).")
@click.option("--cash", type=FiniteFloat(MIN_CASH_USD, MAX_CASH_USD), default=1_000_000.0,
              show_default=True, help="Starting cash in USD.")
@click.option("--slippage-model", type=click.Choice(["fixed", "volatility"]),
              default="volatility", show_default=True,
              help="fixed: the same ticks on every fill; volatility: the ticks widen with recent "
                   "volatility against its one-year median, up to 5x.")
@click.option("--slippage-ticks", type=FiniteFloat(0), default=None,
              help="Ticks lost per contract per side on every fill of every instrument, on top "
                   "of the fee (default: each instrument's registry value; whole ticks keep "
                   "fill prices on the contract's grid).")
@click.option("--max-leverage", type=FiniteFloat(0, min_open=True), default=3.0,
              show_default=True, help="Gross notional of all positions at most this multiple "
                                      "of equity; the sizer cuts orders to fit.")
@click.option("--financing-markup", type=FiniteFloat(0, 1, max_open=True),
              default=0.005, show_default=True,
              help="Broker markup on the financing of spot FX and gold, a fraction a year "
                   "(0.005 = 0.5%).")
@click.option("--margin", "margins", multiple=True, metavar="SYM=USD",
              help="Initial margin per contract in USD, overriding the registry (repeatable).")
@click.option("--fee", "fees", multiple=True, metavar="SYM=AMOUNT",
              help="Fee per contract per side in the contract currency (repeatable).")
@click.option("--allow-defects", is_flag=True, help="Trade on series that fail the quality gate.")
@click.option("--out", type=click.Path(file_okay=False), help="Parent of the run directory "
              "(default runs/out).")
@store_option
@json_option
def command(playbook, episode, full_history, start, end, parameters, warmup_days, cash, slippage_model,
            slippage_ticks, max_leverage, financing_markup, margins, fees, allow_defects, out,
            store_path, as_json) -> None:
    """Backtest PLAYBOOK over a window and write its run directory."""
    import strategies
    from unwind.studies import rundir
    from unwind.sim.config import for_window
    from unwind.evidence.metrics import trades_text
    from unwind.sim.staleness import StaleInput

    config = for_window(playbook, store_path, lambda: dict(
        parameters=parse_pairs(parameters), warmup_days=warmup_days, cash_usd=cash,
        slippage_ticks=slippage_ticks, slippage_model=slippage_model, max_leverage=max_leverage,
        financing_markup=financing_markup, allow_defects=allow_defects,
        margins=_parse_amounts(margins, "--margin"), fees=_parse_amounts(fees, "--fee")),
        episode=episode, full_history=full_history, start=start, end=end)
    defaulted = [name for name, given in (("--start", start), ("--end", end))
                 if not episode and not given]
    chosen = f"episode {episode}" if episode else "full history" if full_history else \
        f"default for {' and '.join(defaulted)}" if defaulted else ""
    written = rundir.run_and_write(config, out)
    directory, sheet, result, benchmark = (written.directory, written.tear_sheet,
                                           written.result, written.benchmark)
    if as_json:
        echo_json({"run_dir": str(directory), "metrics": result.metrics,
                   "benchmark_metrics": benchmark.metrics, "tear_sheet": str(sheet),
                   "synthetic": result.synthetic})
        return
    if result.synthetic:
        click.echo("SYNTHETIC demo data in this run: not market history.")
    window = f"{config.start}..{config.end}" + (f" ({chosen})" if chosen else "")
    click.echo(f"{playbook} over {window}: {trades_text(len(result.trades))} -> {directory}")
    echo_store(store_path)
    echo_metrics(result.metrics, benchmark.metrics, strategies.get(playbook).BENCHMARK)
    click.echo(f"tear sheet: {sheet}")
    for defect in result.execution.get("defects_allowed", []):
        click.echo(f"quality gate defect allowed (--allow-defects): {defect}")
    for stale in result.execution.get("stale_inputs", []):
        click.echo(f"stale input: {StaleInput(**stale).line()}")
    for skip in result.skips[:5]:
        click.echo(f"skipped {skip['time'][:16]} {skip['symbol']}: {skip['reason']}")
    capped = result.execution.get("leverage_caps", [])
    if capped:
        click.echo(f"{len(capped)} order(s) cut to fit --max-leverage {config.max_leverage:g} or "
                   "the margin (manifest.json execution.leverage_caps)")
    for call in result.execution.get("margin_calls", []):
        click.echo(f"margin call {call['time'][:16]}: equity {call['equity_usd']:,.0f} USD below "
                   f"maintenance {call['maintenance_usd']:,.0f} USD; positions cut at the next open")
