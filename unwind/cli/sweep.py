"""`unwind sweep PLAYBOOK --grid NAME=...`: one playbook over a grid of its parameters."""

from __future__ import annotations

import sys

import click

from unwind.cli.options import echo_json, echo_store, json_option, parse_pairs, store_option


@click.command("sweep")
@click.argument("target", metavar="PLAYBOOK|SPEC.toml")
@click.option("--grid", "grids", multiple=True, metavar="NAME=V1,V2,...|NAME=START:STOP:STEP",
              help="A swept parameter (repeatable): a list of values, or a range whose STOP "
                   "is included. The default is added to each axis when missing.")
@click.option("-p", "--parameter", "parameters", multiple=True, metavar="KEY=VALUE",
              help="A parameter held fixed at another value than its default (repeatable).")
@click.option("--episode", help="Sweep over an episode's window (`unwind list episodes`).")
@click.option("--start", help="First day of the window.")
@click.option("--end", help="Last day of the window.")
@click.option("--full-history", is_flag=True,
              help="Sweep over all the data the playbook's series share (adds PBO with at "
                   "least 16 trials).")
@click.option("--engine", type=click.Choice(["screen", "backtrader"]), default=None,
              help="screen (the numba kernel, default) or backtrader (the reference engine; "
                   "playbooks the screen cannot express run there anyway).")
@click.option("--jobs", type=click.IntRange(min=1), default=None,
              help="Local worker processes (default: the cores, at most 4).")
@click.option("--scheduler", metavar="tcp://HOST:PORT",
              help="Run the trials on this dask.distributed cluster instead of local processes.")
@click.option("--allow-defects", is_flag=True, help="Trade on series that fail the quality gate.")
@click.option("--out", type=click.Path(file_okay=False),
              help="Parent of the sweep directory (default runs/out).")
@click.option("--yes", is_flag=True, help="Run a grid larger than the stated maximum.")
@store_option
@json_option
def command(target, grids, parameters, episode, start, end, full_history, engine, jobs,
            scheduler, allow_defects, out, yes, store_path, as_json) -> None:
    """Sweep a playbook over a grid; write trials.csv, sweep.json and sensitivity.html.

    The argument is a playbook id, or a run spec (TOML) whose [sweep] table gives the same
    options (flags given here win). Without --episode, --start/--end or --full-history the window is
    2024-06-01..2024-09-30, as for `unwind run`.
    """
    from unwind.studies import grid, rundir, sweep, sweep_report
    from unwind.sim.config import check_once
    from unwind.studies.runspec import sweep_options

    check_once(parse_pairs(parameters))   # a spec's table merges them; a repeat is lost there
    options = sweep_options(target, grids=list(grids), parameters=parse_pairs(parameters),
                            episode=episode, start=start, end=end, full_history=full_history,
                            engine=engine, jobs=jobs, scheduler=scheduler, store=store_path,
                            out=out, yes=yes, allow_defects=allow_defects)
    config, notes = sweep.configure(options)
    for note in notes:
        click.echo(f"note: {note}", err=True)
    directory = rundir.new_run_dir(options["out"], f"sweep-{config.playbook}")
    count = len(grid.grid_points(config.axes))
    show = not as_json and sys.stderr.isatty()
    if not as_json:
        click.echo(f"{config.playbook} over {config.window} ({config.start}..{config.end}): "
                   f"{count} trials on {config.engine}, "
                   f"{'dask ' + config.scheduler if config.scheduler else f'{config.jobs} job(s)'}")
        echo_store(store_path)
        if config.allow_defects:
            click.echo("quality gate: --allow-defects: series failing it are traded anyway "
                       "(sweep.json notes name the defects)")
    bar = click.progressbar(length=count, label="trials", file=sys.stderr) if show else None
    seen = [0]

    def progress(done: int, total: int) -> None:
        if bar is not None:
            bar.update(done - seen[0])
            seen[0] = done

    try:
        try:
            if bar is not None:
                bar.__enter__()
            result = sweep.run_sweep(config, progress)
        finally:
            if bar is not None:
                bar.__exit__(None, None, None)
        document = sweep_report.write(result, directory)
    except OSError as error:      # a full disk while writing: one line, nothing kept
        rundir.discard(directory)
        raise rundir.writing_error(error, directory) from None
    except BaseException:
        rundir.discard(directory)   # nothing half-written is left behind
        raise
    directory = rundir.finish(directory)
    best = document["best"]
    dsr = document["deflated_sharpe"].get("deflated_sharpe")
    if as_json:
        echo_json({"out_dir": str(directory), "trials": count,
                   "default_rank": document["default"]["rank"], "best": best,
                   "deflated_sharpe": dsr})
        return
    click.echo(document["sensitivity"]["sentence"])
    rank = document["default"]["rank"]
    click.echo(f"default rank: {rank} of {document['counts']['ranked']}" if rank else
               f"default: {document['default']['rank_note']}")
    if best:
        where = ", ".join(f"{k}={v}" for k, v in best["parameters"].items())
        click.echo(f"best: trial {best['trial']} ({where}), Sharpe "
                   f"{best['metrics']['sharpe_ratio']:.2f}, total return "
                   f"{best['metrics']['total_return']:+.2%}; deflated Sharpe "
                   f"{'n/a' if dsr is None else f'{dsr:.3f}'}")
    pbo = document["pbo"].get("probability")
    if pbo is not None:
        click.echo(f"probability of backtest overfitting: {pbo:.2f}")
    click.echo(f"sweep: {directory}/sensitivity.html")
