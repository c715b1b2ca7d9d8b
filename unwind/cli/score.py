"""`unwind score`: every playbook through every episode."""

from __future__ import annotations

import click

from unwind.cli.options import echo_json, json_option, store_option


@click.command("score")
@click.argument("spec", required=False, type=click.Path(dir_okay=False))
@click.option("--playbook", "playbooks", multiple=True, help="Only these playbooks (repeatable).")
@click.option("--episode", "episodes", multiple=True, help="Only these episodes (repeatable).")
@click.option("--jobs", type=click.IntRange(min=1), default=None,
              help="Worker processes (default: the cores, at most 4).")
@click.option("--allow-defects", is_flag=True, help="Trade on series that fail the quality gate.")
@click.option("--out", type=click.Path(file_okay=False), help="Parent of the scorecard directory "
              "(default runs/out).")
@store_option
@json_option
def command(spec, playbooks, episodes, jobs, allow_defects, out, store_path, as_json) -> None:
    """Score playbooks x episodes; SPEC is an optional run spec (TOML) in place of the flags."""
    from unwind import scorecard
    from unwind.runspec import score_config

    config = score_config(spec, playbooks=playbooks, episodes=episodes, jobs=jobs,
                          allow_defects=allow_defects, out=out, store=store_path)
    synthetic_store = None
    if config.store is None or _store_is_empty(config.store):
        synthetic_store = _demo_store(config.store)
        config = config.__class__(**{**config.__dict__, "store": str(synthetic_store)})
        if not as_json:
            click.echo("SYNTHETIC demo data: the store is empty, so the scorecard runs on the "
                       "generated scenario (not market history).", err=False)
    total = len(config.playbooks) * len(config.episodes)

    def progress(done: int, count: int, row: dict) -> None:
        if not as_json:
            state = "n/a" if row["status"] != "ok" else f"{row['total_return']:+.2%}"
            click.echo(f"[{done:3d}/{count}] {row['playbook']:24s} {row['episode']:34s} {state}",
                       err=True)

    rows = scorecard.run_scorecard(config, progress)
    paths = scorecard.write(rows, config.out)
    if as_json:
        echo_json({"out_dir": str(config.out), "synthetic": synthetic_store is not None,
                   "rows": [{c: r.get(c) for c in scorecard.columns()} for r in rows]})
        return
    _print_matrix(rows, config)
    click.echo(f"{total} cells; scorecard: {paths['html']}")


def _store_is_empty(path: str) -> bool:
    from feeds.store import Store

    return Store(path).is_empty()


def _demo_store(path: str | None):
    from feeds.demo import demo_store_for
    from feeds.store import Store

    return demo_store_for(Store(path)).root


def _print_matrix(rows: list[dict], config) -> None:
    episodes = list(config.episodes)
    header = "playbook                  " + " ".join(f"{n:>7d}" for n in
                                                     range(1, len(episodes) + 1))
    click.echo("total return by episode (n/a: no data for that cell; see scorecard.csv reason)")
    click.echo(header)
    for playbook in config.playbooks:
        cells = []
        for episode in episodes:
            row = next(r for r in rows if r["playbook"] == playbook and r["episode"] == episode)
            cells.append(f"{row['total_return']:+7.1%}" if row["status"] == "ok" else
                         "    n/a")
        click.echo(f"{playbook:26s}" + " ".join(cells))
    for number, episode in enumerate(episodes, start=1):
        click.echo(f"  {number:2d}. {episode}")
