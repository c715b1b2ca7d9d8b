"""`unwind episodes find`: every window of history that meets a stated rule."""

from __future__ import annotations

import click

from unwind.cli.options import echo_json, json_option, store_option


@click.group("episodes")
def group() -> None:
    """Episodes found by rule, next to the catalogue (`unwind list episodes`)."""


@group.command("find")
@click.option("--rule", default="carry-unwind", show_default=True,
              help="The rule (unwind/evidence/episode_finder.py RULES).")
@click.option("--series", default=None,
              help="Daily USDJPY series to read (default: USDJPY@fred, else USDJPY).")
@store_option
@json_option
def find_command(rule, series, store_path, as_json) -> None:
    """List every window the rule finds in the stored USDJPY history, marking those the
    catalogue already names."""
    from unwind.evidence import episode_finder

    used, found = episode_finder.find_in_store(rule, store_path, series)
    parameters = episode_finder.RULES[rule].to_json()
    if as_json:
        echo_json({"rule": rule, "parameters": parameters, "series": used,
                   "episodes": [episode.to_json() for episode in found]})
        return
    click.echo(f"rule {rule} on {used}: {len(found)} window{'s' if len(found) != 1 else ''}")
    for episode in found:
        click.echo(f"  {episode.start} .. {episode.end}  trigger {episode.trigger}  "
                   f"{episode.catalogued_as or '(not in the catalogue)'}")
