"""`unwind list ...`: what the project knows about (playbooks, episodes, instruments, events).

None of these needs market data or pandas, so they answer as fast as `unwind --help`, except
`playbooks`, which imports the playbook modules to read their parameters.
"""

from __future__ import annotations

import click

from unwind.cli.options import check_window, echo_json, echo_table, json_option, window_day


@click.group("list")
def group() -> None:
    """List playbooks, episodes and instruments.

    What the project knows about, read from its code and registries: no market data needed.
    """


@group.command("instruments")
@click.option("--tradable", is_flag=True, help="Only instruments with contract specs.")
@json_option
def instruments_command(tradable: bool, as_json: bool) -> None:
    """The instrument registry, with contract specs.

    Tradables (futures, ETFs, spot FX and gold) show currency, multiplier, tick size and tick
    value; signal series (rates, yields, indices, volatility, CFDs) have none. The yahoo column is
    the ticker `unwind data fetch` downloads, blank where Yahoo has none.
    """
    from feeds.instruments import load_registry

    chosen = [i for i in load_registry().values() if i.tradable or not tradable]
    if as_json:
        echo_json([i.to_json() for i in chosen])
        return
    echo_table([{
        "symbol": i.symbol, "kind": i.kind, "tradable": "yes" if i.tradable else "",
        "currency": i.currency if i.tradable else "", "multiplier": i.multiplier if i.tradable
        else "", "tick": _tick(i.tick_size) if i.tradable else "", "tick_value": i.tick_value if
        i.tradable else "", "yahoo": i.yahoo, "name": i.name} for i in chosen],
        ["symbol", "kind", "tradable", "currency", "multiplier", "tick", "tick_value", "yahoo",
         "name"])


def _tick(size: float) -> str:
    """A tick size as written in the contract specs (6J's 0.0000005, ZN's 0.015625): the shortest
    text that reads back as the same number, never rounded to a column's decimals."""
    from decimal import Decimal

    return format(Decimal(repr(size)).normalize(), "f")


@group.command("playbooks")
@json_option
def playbooks_command(as_json: bool) -> None:
    """The playbooks, with their parameters.

    For each: its article, the window its defaults were calibrated on, what it trades and on
    which bars, its signal series, benchmark, plain twin and parameter defaults.
    """
    import dataclasses

    import strategies

    rows = []
    for playbook_id in strategies.ids():
        module = strategies.get(playbook_id)
        rows.append({"id": playbook_id, "seed": module.SEED, "traded": list(module.TRADED),
                     "bar": module.BAR, "signals": [f"{s} {b}" for s, b in module.SIGNALS],
                     "benchmark": module.BENCHMARK,
                     "plain_twin": ", ".join(f"{k}={v}" for k, v in
                                             (module.PLAIN_TWIN or {}).items()) or None,
                     "calibrated_on": "..".join(module.CALIBRATED_ON)
                     if module.CALIBRATED_ON else None,
                     "summary": module.__doc__.strip().splitlines()[0],
                     "parameters": {f.name: f.default
                                    for f in dataclasses.fields(module.Parameters)}})
    if as_json:
        echo_json(rows)
        return
    for row in rows:
        click.echo(f"{row['id']}: {row['summary'].split(': ', 1)[-1]}")
        click.echo(f"    article: {row['seed']}; defaults calibrated on: "
                   f"{row['calibrated_on'] or 'nothing (articles numbers and conventions)'}")
        click.echo(f"    trades {', '.join(row['traded'])} ({row['bar']}); signals: "
                   f"{', '.join(row['signals']) or 'none'}; benchmark: {row['benchmark']}"
                   f"{'; plain twin: ' + row['plain_twin'] if row['plain_twin'] else ''}")
        click.echo("    parameters: " + ", ".join(f"{k}={v}" for k, v in
                                                  row["parameters"].items()))


@group.command("episodes")
@json_option
def episodes_command(as_json: bool) -> None:
    """The episode catalogue of stress windows.

    For each: id, name, first and last day, tags, and the dated triggers inside the window.
    """
    from unwind.evidence.episodes import catalogue

    episodes = list(catalogue().values())
    if as_json:
        echo_json([e.to_json() for e in episodes])
        return
    for episode in episodes:
        click.echo(f"{episode.id}: {episode.name} ({episode.start} .. {episode.end}) "
                   f"[{', '.join(episode.tags)}]")
        for trigger in episode.triggers:
            click.echo(f"    {trigger.date}  {trigger.label}")


@group.command("events")
@click.option("--kind", type=click.Choice(["boj", "fomc", "mof"]), multiple=True,
              help="Only these kinds (repeatable): boj, fomc, mof.")
@click.option("--start", default=None, callback=window_day, help="First day (YYYY-MM-DD), inclusive.")
@click.option("--end", default=None, callback=window_day, help="Last day (YYYY-MM-DD), inclusive.")
@json_option
def events_command(kind: tuple[str, ...], start: str | None, end: str | None,
                   as_json: bool) -> None:
    """BOJ, FOMC and MOF events of the sourced calendar.

    From feeds/calendar_events.toml, the one catalogue playbooks, `unwind now` and every chart
    read. The last line says where each kind ends.
    """
    from feeds import events

    check_window(start, end)
    found = events.events(kind or events.KINDS, start, end)
    if as_json:
        echo_json([event.to_json() for event in found])
        return
    echo_table([{"date": e.date, "kind": e.kind, "decision": e.decision or "(not catalogued)",
                 "source": e.source[:60]} for e in found], ["date", "kind", "decision", "source"])
    click.echo("calendar ends: " + ", ".join(f"{name} {day}" for name, day in
                                              events.ends().items()))
