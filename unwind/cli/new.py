"""`unwind new playbook ID`: a commented playbook spec to start from."""

from __future__ import annotations

import click


@click.group("new")
def group() -> None:
    """Start a playbook from a commented spec."""


@group.command("playbook")
@click.argument("playbook_id", metavar="ID")
@click.option("--folder", "into", type=click.Path(file_okay=False),
              help="Write ID.toml here (default: $UNWIND_PLAYBOOKS, else ./playbooks).")
def playbook(playbook_id: str, into: str | None) -> None:
    """Write ID.toml: a playbook that runs as written (long gold after a fast yen rally), every
    key commented, to change into your idea; then `unwind --playbooks FOLDER check ID`."""
    from strategies import starter

    folder = starter.folder(into)
    path = starter.write(playbook_id, folder)
    click.echo(f"wrote {path}")
    click.echo(f"next: edit it, then `unwind --playbooks {folder} check {playbook_id}`")
