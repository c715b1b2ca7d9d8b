"""`unwind report RUN_DIR`: (re)write a run directory's tear sheet."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("report")
@click.argument("run_dir", type=click.Path(file_okay=False, path_type=Path))
def command(run_dir: Path) -> None:
    """Write RUN_DIR/tear_sheet.html from the run's files (opens offline).

    A directory whose run was interrupted (its name ends in .partial) or whose files are damaged
    is refused, naming what is wrong.
    """
    from feeds.filesystem import describe
    from feeds.errors import DataError
    from unwind.studies import rundir
    from unwind.pages import tear_sheet

    rundir.check(run_dir)
    try:
        sheet = tear_sheet.write(run_dir)
    except OSError as error:
        raise DataError(f"cannot write {rundir.excerpt_path(run_dir / 'tear_sheet.html')}: "
                        f"{describe(error)}; the previous tear sheet is unchanged") from None
    click.echo(f"tear sheet: {sheet}")
