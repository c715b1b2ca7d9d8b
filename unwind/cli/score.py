"""`unwind score`: every playbook through every episode."""

from __future__ import annotations

import click

from unwind.cli.options import echo_json, json_option, store_option


@click.command("score")
@click.argument("spec", required=False, type=click.Path(dir_okay=False))
@click.option("--playbook", "playbooks", multiple=True, help="Only these playbooks (repeatable).")
@click.option("--episode", "--episodes", "episodes", multiple=True,
              help="Only these episodes (repeatable); `found` or `found:RULE` scores every "
                   "window the rule finds (`unwind episodes find`).")
@click.option("--jobs", type=click.IntRange(min=1), default=None,
              help="Worker processes (default: the cores, at most 4); capped at the number of "
                   "runs and at twice the cores, with a note.")
@click.option("--scheduler", metavar="tcp://HOST:PORT",
              help="Run the cells on this dask.distributed cluster (its workers must read the "
                   "same store path) instead of local processes.")
@click.option("--allow-defects", is_flag=True, help="Trade on series that fail the quality gate.")
@click.option("--sheets", type=click.Choice(["all", "none"]), default="all", show_default=True,
              help="Write every run's tear sheet, in the same worker as its run; none leaves "
                   "them to `unwind report RUN_DIR` (the page then links the run folders).")
@click.option("--full-history/--no-full-history", default=True, show_default=True,
              help="Also run each playbook over all its data for the base rate and verdict.")
@click.option("--out", type=click.Path(file_okay=False), help="Parent of the scorecard directory "
              "(default runs/out).")
@store_option
@json_option
def command(spec, playbooks, episodes, jobs, scheduler, allow_defects, sheets, full_history,
            out, store_path, as_json) -> None:
    """Score playbooks x episodes; SPEC is an optional run spec (TOML) in place of the flags.

    Reads the store every verb reads (--store, else $UNWIND_STORE, else
    ~/.local/share/carry-unwind/store) and says which on its first line; only when that store
    holds none of the series the playbooks read does it score the SYNTHETIC demo scenario.
    """
    from unwind.studies import scorecard
    from unwind.studies.runspec import score_config

    if scheduler is not None:   # before the spec, the store and the output folder are read
        from unwind.studies.cluster import check_scheduler

        check_scheduler(scheduler)
    config = score_config(spec, playbooks=playbooks, episodes=episodes, jobs=jobs,
                          allow_defects=allow_defects, out=out, store=store_path)
    scored = scorecard.score_into_folder(
        config, scheduler=scheduler, tear_sheets=sheets == "all", full_history=full_history,
        progress=None if as_json else _progress(sheets == "all"),
        starting=_starting(full_history, as_json))
    config, rows, summary = scored.config, scored.rows, scored.summary
    if as_json:
        echo_json({"out_dir": str(config.out), "store": scored.choice.root,
                   "synthetic": scored.choice.synthetic,
                   "rows": [{c: r.get(c) for c in scorecard.columns()} for r in rows],
                   "summary": summary})
        return
    _print_matrix(rows, config)
    total = len(config.playbooks) * len(config.episodes)
    _print_verdicts(summary, f"{total} cells; scorecard: {scored.paths['html']}")


def _print_verdicts(summary: dict[str, dict], scorecard_line: str) -> None:
    """The reasoning per playbook, the scorecard's path, then the badges and sentences last."""
    from unwind.evidence import coverage, verdict

    if summary:
        click.echo("reasoning (intervals: stationary block bootstrap, "
                   f"{coverage.label(None)} on episode windows):")
        for playbook, item in summary.items():
            click.echo(f"  {playbook}: " + "; ".join(item["reasons"]))
    click.echo(scorecard_line)
    if not summary:
        return
    click.echo(f"verdicts (edge: Sharpe interval above zero, p_random below "
               f"{verdict.P_RANDOM_LEVEL}, excess over the benchmark beyond chance, at least "
               f"{verdict.MIN_TRADES} trades, all over full history):")
    width = max(len(playbook) for playbook in summary)
    badge_width = max(len(badge) for badge in verdict.BADGES)
    for playbook, item in summary.items():
        click.echo(f"  {item['badge'].ljust(badge_width)}  {playbook.ljust(width)}  "
                   f"{item['sentence']}")


def _starting(full_history: bool, as_json: bool):
    """What the terminal shows once the store is chosen: which store and the quality-gate
    policy (not with --json), and on stderr a note when --jobs is capped."""
    def starting(config, choice) -> None:
        from unwind.studies import scorecard, workers

        if not as_json:
            click.echo(choice.describe())
            cells = len(config.playbooks) * len(config.episodes)
            histories = len(config.playbooks) if full_history else 0
            def count(number: int, noun: str) -> str:
                return f"{number} {noun}{'' if number == 1 else 's'}"

            click.echo(f"{count(cells, 'cell')} ({count(len(config.playbooks), 'playbook')} x "
                       f"{count(len(config.episodes), 'episode')})"
                       + (f" and {count(histories, 'full-history run')}: "
                          f"{count(cells + histories, 'run')}" if histories else ""))
        if config.allow_defects and not as_json:
            click.echo("quality gate: --allow-defects: series failing it are traded anyway; every "
                       "row, page and verdict that ran on a defect names it")
        _, note = workers.worker_count(config.jobs, scorecard.task_count(config, full_history))
        if note and not config.scheduler:
            click.echo(f"note: {note}", err=True)
    return starting


def _progress(tear_sheets: bool):
    """A progress line on stderr per run, counting runs and tear sheets."""
    sheets = 0

    def progress(done: int, count: int, row: dict) -> None:
        from unwind.studies import scorecard

        nonlocal sheets
        sheets += tear_sheets and row["status"] == "ok"
        where = row.get("episode", "full history")
        click.echo(f"[{done:3d}/{count} runs, {sheets:3d} tear sheets] "
                   f"{row['playbook']:24s} {where:34s} {scorecard.cell_text(row)}", err=True)
    return progress


def _print_matrix(rows: list[dict], config) -> None:
    """Total return per playbook (rows) and episode (columns, by short label). Columns where
    every cell is n/a are left out and counted; what still passes the terminal's width is
    printed in blocks of columns, each with the playbook names."""
    import shutil

    from unwind.studies import scorecard

    by_cell = {(r["playbook"], r["episode"]): r for r in rows}
    episodes = [e for e in config.episodes
                if any(by_cell[(p, e)]["status"] == "ok" for p in config.playbooks)]
    dropped = len(config.episodes) - len(episodes)
    labels = {e: scorecard.episode(config, e).label for e in episodes}
    width = max(9, *(len(label) for label in labels.values())) if labels else 9
    name_width = max(len(p) for p in config.playbooks) + 2
    click.echo("total return by episode; 'no signal' = no trade in the window, 'n/a' = no data "
               "(reason in scorecard.csv)"
               + (f"; {dropped} episode(s) with no data for any playbook left out" if dropped
                  else "")
               + ("; * a window found by the episode rule (`unwind episodes find`)"
                  if any(label.endswith("*") for label in labels.values()) else ""))
    per_block = max(1, (shutil.get_terminal_size((120, 24)).columns - name_width) // (width + 1))
    for first in range(0, len(episodes), per_block):
        block = episodes[first:first + per_block]
        if first:
            click.echo("")
        click.echo("playbook".ljust(name_width) + " ".join(labels[e].rjust(width) for e in block))
        for playbook in config.playbooks:
            cells = [scorecard.cell_text(by_cell[(playbook, e)]).rjust(width) for e in block]
            click.echo(playbook.ljust(name_width) + " ".join(cells))


