"""`unwind report RUN_DIR`: (re)write a run directory's tear sheet."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("report")
@click.argument("run_dir", type=click.Path(file_okay=False, path_type=Path))
def command(run_dir: Path) -> None:
    """Write RUN_DIR/tear_sheet.html from the run's files (opens offline)."""
    from feeds.errors import DataError
    from unwind import tear_sheet

    missing = [name for name in ("manifest.json", "metrics.json", "equity.csv", "trades.csv",
                                 "prices.csv") if not (run_dir / name).exists()]
    if missing:
        raise DataError(f"{run_dir}: not a run directory (missing {', '.join(missing)}); "
                        "`unwind run` and `unwind score` write them")
    click.echo(f"tear sheet: {tear_sheet.write(run_dir)}")
