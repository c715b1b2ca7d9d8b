"""`unwind check SPEC`: validate a playbook and run its look-ahead, parity and verdict checks."""

from __future__ import annotations

import click

from unwind.cli.options import echo_store, store_option


@click.command("check")
@click.argument("spec")
@click.option("--allow-defects", is_flag=True,
              help="Run on series that fail the quality gate (each defect is printed).")
@store_option
def command(spec: str, allow_defects: bool, store_path: str | None) -> None:
    """Check SPEC (a playbook spec file, or a playbook id) over its full history.

    One line per check: the spec validates; its decision lines computed on data cut at three
    instants equal the full computation's (no look-ahead); the screen and backtrader make the
    same trades; then its verdict. Exit 1 when a check fails.
    """
    from unwind.studies import check

    echo_store(store_path)

    def echo(status: str, name: str, text: str) -> None:
        click.echo(f"{status:<4} {name}: {text}")

    outcome, seconds = check.timed(spec, store_path, allow_defects, echo)
    failed = sum(1 for status, _, _ in outcome.lines if status == "FAIL")
    click.echo(f"check: {'FAILED' if failed else 'passed'} "
               f"({failed} failing) in {seconds:.1f} s")
    if failed:
        raise click.exceptions.Exit(1)
