"""The `unwind` command line: a thin layer that builds options and calls the library.

Heavy modules (pandas, backtrader, yfinance) are imported inside the commands that need them, so
`unwind --help` and `unwind list instruments` start fast. A user error is one line on stderr
starting with `error:` and a non-zero exit; only bugs show a traceback. Library warnings never
reach the terminal (what they would warn of is checked: non-finite results are errors).
"""

from __future__ import annotations

import sys
import warnings

import click

from unwind.cli import (check, clean, data, episodes, listing, new, now, report, run, score,
                        sweep)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="carry-unwind", prog_name="unwind")
@click.option("--playbooks", "playbooks", type=click.Path(exists=True, file_okay=False),
              metavar="DIR", help="Add the playbook specs (*.toml) in DIR to every command "
              "(as $UNWIND_PLAYBOOKS does).")
def cli(playbooks: str | None) -> None:
    """Backtest yen carry-trade unwind playbooks on futures, from real history."""
    if playbooks:   # the environment, so that worker processes see the same playbooks
        import os

        import strategies

        os.environ[strategies.FOLDER_VARIABLE] = playbooks


cli.add_command(data.group)
cli.add_command(episodes.group)
cli.add_command(listing.group)
cli.add_command(new.group)
cli.add_command(now.command)
cli.add_command(check.command)
cli.add_command(run.command)
cli.add_command(score.command)
cli.add_command(report.command)
cli.add_command(sweep.command)
cli.add_command(clean.command)


# Exit codes besides 0, 1 (a refused input) and click's 2 (a usage error): a closed pipe as a
# shell reports a process ended by SIGPIPE, any other failed write of standard output as
# sysexits' EX_IOERR, and an interrupt as one ended by SIGINT.
EXIT_PIPE_CLOSED = 141
EXIT_OUTPUT_FAILED = 74
EXIT_INTERRUPTED = 130


class _OutputLost(Exception):
    """A write to standard output failed (a full disk, a closed pipe). Not an OSError, so that
    click passes it through (it would end the process on a closed pipe without a word)."""

    def __init__(self, error: OSError):
        super().__init__(error)
        self.error = error


class _Output:
    """Standard output for the command's lifetime: tells its failures from any other OS error."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text):
        try:
            return self._stream.write(text)
        except OSError as error:
            raise _OutputLost(error) from None

    def flush(self) -> None:
        try:
            self._stream.flush()
        except OSError as error:
            raise _OutputLost(error) from None

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI, turning user errors into one line and an exit code."""
    from feeds.errors import DataError

    stream = sys.stdout
    if stream is not None:
        sys.stdout = _Output(stream)
    try:
        with warnings.catch_warnings():
            if not sys.warnoptions:   # `python -W default` (or PYTHONWARNINGS) shows them again
                warnings.simplefilter("ignore")   # a library's warning is not a user's error
            code = cli.main(args=argv, prog_name="unwind", standalone_mode=False)
        if stream is not None:
            sys.stdout.flush()   # a full disk under a redirect shows here, not at exit
    except _OutputLost as lost:
        return _output_lost(lost.error, stream)
    except click.exceptions.Abort:
        click.echo("error: interrupted", err=True)
        return EXIT_INTERRUPTED
    except click.ClickException as error:
        hint = ""
        if isinstance(error, click.UsageError) and error.ctx is not None:
            hint = f" (see `{error.ctx.command_path} --help`)"
        click.echo(f"error: {error.format_message()}{hint}", err=True)
        return error.exit_code
    except DataError as error:
        click.echo(f"error: {error}", err=True)
        return 1
    except MemoryError:
        click.echo(f"error: out of memory while running `{_command_line(argv)}` (peak "
                   f"{_peak_megabytes()} MB); try a shorter window or a smaller file, fewer "
                   "--jobs, or more memory", err=True)
        return 1
    finally:
        if isinstance(sys.stdout, _Output):
            sys.stdout = stream
    return code if isinstance(code, int) else 0


def _output_lost(error: OSError, stream) -> int:
    """One line on stderr for a failed write of standard output; its buffered rest is sent to
    /dev/null so that Python's own flush at exit cannot print a second message."""
    import errno
    import os

    from feeds.filesystem import describe

    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), stream.fileno())
    except (AttributeError, OSError, ValueError):   # not a real file (a test's capture)
        pass
    if error.errno == errno.EPIPE:
        click.echo("error: standard output was closed before everything was written (broken "
                   "pipe); the rest of the output is lost", err=True)
        return EXIT_PIPE_CLOSED
    click.echo(f"error: cannot write standard output: {describe(error)}; the rest of the "
               "output is lost", err=True)
    return EXIT_OUTPUT_FAILED


def _command_line(argv: list[str] | None) -> str:
    """`unwind data import` for `unwind data import FILE --symbol GC`: the command's name."""
    words, command = ["unwind"], cli
    for word in sys.argv[1:] if argv is None else argv:
        if not isinstance(command, click.Group) or word not in command.commands:
            break
        words.append(word)
        command = command.commands[word]
    return " ".join(words)


def _peak_megabytes() -> int:
    """The process's peak resident memory in MB (ru_maxrss is in KB on Linux)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


if __name__ == "__main__":
    sys.exit(main())
