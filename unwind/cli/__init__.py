"""The `unwind` command line: a thin layer that builds options and calls the library.

Heavy modules (pandas, backtrader, yfinance) are imported inside the commands that need them, so
`unwind --help` and `unwind list instruments` start fast. A user error is one line on stderr
starting with `error:` and a non-zero exit; only bugs show a traceback.
"""

from __future__ import annotations

import sys

import click

from unwind.cli import check, data, episodes, listing, now, report, run, score, sweep


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="carry-unwind", prog_name="unwind")
def cli() -> None:
    """Backtest yen carry-trade unwind playbooks on futures, from real history."""


cli.add_command(data.group)
cli.add_command(episodes.group)
cli.add_command(listing.group)
cli.add_command(now.command)
cli.add_command(check.command)
cli.add_command(run.command)
cli.add_command(score.command)
cli.add_command(report.command)
cli.add_command(sweep.command)


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI, turning user errors into one line and an exit code."""
    from feeds.errors import DataError

    try:
        code = cli.main(args=argv, prog_name="unwind", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("error: interrupted", err=True)
        return 130
    except click.ClickException as error:
        hint = ""
        if isinstance(error, click.UsageError) and error.ctx is not None:
            hint = f" (see `{error.ctx.command_path} --help`)"
        click.echo(f"error: {error.format_message()}{hint}", err=True)
        return error.exit_code
    except DataError as error:
        click.echo(f"error: {error}", err=True)
        return 1
    return code if isinstance(code, int) else 0


if __name__ == "__main__":
    sys.exit(main())
