"""`unwind list ...`: what the project knows about."""

from __future__ import annotations

import click

from unwind.cli.options import echo_json, echo_table, json_option


@click.group("list")
def group() -> None:
    """List instruments and playbooks."""


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


@group.command("playbooks")
@json_option
def playbooks_command(as_json: bool) -> None:
    """The playbooks: thesis source, instruments, parameters and their defaults."""
    import dataclasses

    import strategies

    rows = []
    for playbook_id in strategies.ids():
        module = strategies.get(playbook_id)
        rows.append({"id": playbook_id, "seed": module.SEED, "traded": list(module.TRADED),
                     "bar": module.BAR, "signals": [f"{s} {b}" for s, b in module.SIGNALS],
                     "benchmark": module.BENCHMARK, "plain_twin": module.PLAIN_TWIN,
                     "summary": module.__doc__.strip().splitlines()[0],
                     "parameters": {f.name: f.default
                                    for f in dataclasses.fields(module.Parameters)}})
    if as_json:
        echo_json(rows)
        return
    for row in rows:
        click.echo(f"{row['id']}: {row['summary'].split(': ', 1)[-1]}")
        click.echo(f"    trades {', '.join(row['traded'])} ({row['bar']}); signals: "
                   f"{', '.join(row['signals']) or 'none'}; benchmark: {row['benchmark']}"
                   f"{'; plain twin: ' + row['plain_twin'] if row['plain_twin'] else ''}")
        click.echo("    parameters: " + ", ".join(f"{k}={v}" for k, v in
                                                  row["parameters"].items()))


@group.command("episodes")
@json_option
def episodes_command(as_json: bool) -> None:
    """The episode catalogue: windows, triggers, tags."""
    from unwind.episodes import catalogue

    episodes = list(catalogue().values())
    if as_json:
        echo_json([e.to_json() for e in episodes])
        return
    for episode in episodes:
        click.echo(f"{episode.id}: {episode.name} ({episode.start} .. {episode.end}) "
                   f"[{', '.join(episode.tags)}]")
        for trigger in episode.triggers:
            click.echo(f"    {trigger.date}  {trigger.label}")
