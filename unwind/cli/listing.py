"""`unwind list ...`: what the project knows about."""

from __future__ import annotations

import click

from unwind.cli.options import echo_json, echo_table, json_option


@click.group("list")
def group() -> None:
    """List instruments (and, later, playbooks and episodes)."""


@group.command("instruments")
@click.option("--tradable", is_flag=True, help="Only instruments with contract specs.")
@json_option
def instruments_command(tradable: bool, as_json: bool) -> None:
    """The instrument registry: contract specs of tradables and the signal series."""
    from feeds.instruments import load_registry

    chosen = [i for i in load_registry().values() if i.tradable or not tradable]
    if as_json:
        echo_json([i.to_json() for i in chosen])
        return
    echo_table([{
        "symbol": i.symbol, "kind": i.kind, "tradable": "yes" if i.tradable else "",
        "currency": i.currency if i.tradable else "", "multiplier": i.multiplier if i.tradable
        else "", "tick": i.tick_size if i.tradable else "", "tick_value": i.tick_value if
        i.tradable else "", "yahoo": i.yahoo, "name": i.name} for i in chosen],
        ["symbol", "kind", "tradable", "currency", "multiplier", "tick", "tick_value", "yahoo",
         "name"])
