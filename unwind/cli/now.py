"""`unwind now`: which playbooks fire on the latest data, and how far each condition is."""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

import click

from unwind.cli.options import echo_json, echo_store, json_option, store_option, window_day

FIRES_EXIT_CODE = 3


@contextlib.contextmanager
def _interpreted_kernel():
    """Within the block, the screen's kernel is imported to run in the interpreter (a year per
    playbook: cheaper than importing numba and loading its machine code; the same answers,
    unwind/sim/screen_kernel.py) unless $UNWIND_KERNEL says otherwise or it is already
    imported; the variable is restored after, so no child process or later command inherits
    it."""
    from unwind.compat import KERNEL_VARIABLE   # compat imports pandas: not at start-up

    previous = os.environ.get(KERNEL_VARIABLE)
    if previous is None and "unwind.sim.screen_kernel" not in sys.modules:
        os.environ[KERNEL_VARIABLE] = "python"
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(KERNEL_VARIABLE, None)


def _shown(value: float | None, unit: str) -> str:
    """A line's value in its unit, as the tear sheet's axes write it."""
    if value is None:
        return "n/a"
    if unit in ("fraction", "annualised fraction"):
        return f"{value:+.2%}" if value < 0 else f"{value:.2%}"
    if unit == "percentage points":
        return f"{value:+.2f} pp"
    return f"{value:,.4g}"


def _echo(report) -> None:
    for playbook in report.playbooks:
        click.echo(f"{playbook.id}: {playbook.status.upper()}"
                   + (f" (bar {playbook.bar_time[:16].replace('T', ' ')} UTC)"
                      if playbook.bar_time else ""))
        if playbook.error:
            click.echo(f"    error: {playbook.error}")
            continue
        for line in playbook.stale_inputs:
            click.echo(f"    stale input: {line}")
        for line in playbook.lines:
            if line.threshold is None:
                click.echo(f"    {line.name} = {_shown(line.value, line.unit)}")
                continue
            sd = f", {line.distance_sd:+.2f} sd" if line.distance_sd is not None else ""
            click.echo(f"    {line.name} = {_shown(line.value, line.unit)} vs {line.label} "
                       f"{_shown(line.threshold, line.unit)}: "
                       f"{_shown(line.distance, line.unit)}{sd}")
        position = playbook.position
        if position:
            exits = "; ".join(f"{e['exit']} {e['distance']:+,.4g} away" for e in
                              position["exits"])
            click.echo(f"    position: {position['side']} since {position['since'][:16]}, "
                       f"unrealised {position['unrealised_usd']:+,.0f} USD at "
                       f"{position['last_close']:,.6g}" + (f"; exits: {exits}" if exits else ""))
        click.echo("    inputs: " + ", ".join(
            f"{age.series} {age.bar} {age.last[:16]} ({age.age_sessions} sessions"
            f"{', STALE' if age.stale else ''})" for age in playbook.inputs))
    if report.next_events:
        click.echo("next scheduled: " + "; ".join(
            f"{event['date']} {event['kind'].upper()}" for event in report.next_events))
    click.echo("event calendar ends: " + ", ".join(
        f"{kind.upper()} {day}" for kind, day in report.calendar_ends.items()))


@click.command("now")
@click.argument("playbooks", nargs=-1)
@click.option("--as-of", "as_of", callback=window_day, default=None,
              help="Answer as of the end of this UTC day (YYYY-MM-DD), from data known then.")
@click.option("--fail-on", type=click.Choice(["entry"]), default=None,
              help=f"Exit {FIRES_EXIT_CODE} when an entry fires (for cron).")
@click.option("--html", "html_path", type=click.Path(path_type=Path), default=Path("now.html"),
              show_default=True, help="Write the page here (a card per playbook).")
@store_option
@json_option
def command(playbooks, as_of, fail_on, html_path, store_path, as_json) -> None:
    """Which playbooks fire on the latest bar, how far each condition is from its threshold.

    For every playbook (or those named): each decision line beside its threshold (distance in
    the line's unit and in standard deviations of its last year), whether the entry fires,
    the position the rule would hold, and every input's last bar and age; an input past its
    staleness allowance makes the playbook `stale`. Then the next BOJ and FOMC decisions.
    """
    import strategies
    from unwind.pages import now_page
    from unwind.studies import now

    known = strategies.ids()
    chosen = tuple(playbooks) or known
    unknown = [playbook_id for playbook_id in chosen if playbook_id not in known]
    if unknown:
        strategies.get(unknown[0])   # raises: the one error line, with the nearest id
    if not as_json:
        echo_store(store_path)
    with _interpreted_kernel():   # a playbook computed (not read back) imports the kernel here
        report = now.evaluate_all(chosen, store_path, as_of)
    now_page.write(report, html_path)
    if as_json:
        echo_json(report.to_json())
    else:
        _echo(report)
        click.echo(f"page: {html_path}")
    if fail_on == "entry" and report.fires:
        if not as_json:
            click.echo(f"entry fires: {', '.join(report.fires)}", err=True)
        raise click.exceptions.Exit(FIRES_EXIT_CODE)
