"""`unwind demo`: the main job until the scorecard lands.

It shows the August 2024 carry unwind as the store sees it: how far each market moved between
the BOJ hike and the crash, and what gold did in the Asian session of 5 August. With an empty
store it builds the SYNTHETIC demo scenario first and says so on every line that matters.
"""

from __future__ import annotations

import click

from unwind.cli.options import echo_json, json_option, open_store, store_option


@click.command("demo")
@store_option
@json_option
def command(store_path, as_json) -> None:
    """August 2024 through the store's data (SYNTHETIC demo data when the store is empty)."""
    from unwind.overview import august_2024_overview

    overview = august_2024_overview(open_store(store_path))
    if as_json:
        echo_json(overview)
        return
    if overview["synthetic"]:
        click.echo("SYNTHETIC demo data (the store is empty): shapes, not market history. "
                   f"Demo store: {overview['store']}")
    click.echo(f"August 2024 carry unwind, {overview['from']} close -> {overview['to']} close "
               f"(store {overview['store']}):")
    for row in overview["moves"]:
        click.echo(f"  {row['series']:10s} {row['from_close']:>12,.3f} -> {row['to_close']:>12,.3f}"
                   f"  {row['change']:+8.2%}  {row['note']}")
    for row in overview["missing"]:
        click.echo(f"  {row['series']:10s} n/a: {row['reason']}")
    session = overview.get("gold_asian_session")
    if session:
        click.echo(f"  gold in the Asian session of 2024-08-05 ({session['series']}): "
                   f"{session['open']:,.2f} -> low {session['low']:,.2f} "
                   f"({session['drawdown']:+.2%}) -> close at London noon {session['later']:,.2f}")
    click.echo("Next: `unwind data import FILE --symbol SYM` to add real data, "
               "`unwind data validate` to check it.")
