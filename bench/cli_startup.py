"""Benchmark: start-up of the `unwind` command against importing click alone, as whole processes.

    .venv/bin/python bench/cli_startup.py [--repeat 7]

A user feels the time from pressing enter to the prompt coming back, so each command runs as a
fresh process (interpreter start, imports, output) and the best of N wall-clock times is kept.
The baseline is `python -c "import click"`: the least any click CLI can cost. Issue 7 asks for
`unwind --help` within 2x of it; the `list` commands are shown beside it because they are the
other commands that should need no pandas.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from timing import best_of

BIN = Path(sys.executable).parent
HELP_TARGET_RATIO = 2.0


def commands() -> dict[str, list[str]]:
    """Label -> argv of each process timed; the first one is the baseline."""
    unwind = str(BIN / "unwind")
    return {
        'python -c "import click"': [sys.executable, "-c", "import click"],
        "unwind --help": [unwind, "--help"],
        "unwind list instruments": [unwind, "list", "instruments"],
        "unwind list episodes": [unwind, "list", "episodes"],
    }


def run_once(argv: list[str]) -> None:
    """One whole process; a failing command stops the benchmark rather than timing an error."""
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    timed = {label: best_of(args.repeat, lambda argv=argv: run_once(argv))
             for label, argv in commands().items()}
    baseline = next(iter(timed.values()))
    width = max(len(label) for label in timed)
    for label, seconds in timed.items():
        print(f"{label:{width}s}  {seconds * 1000:6.0f} ms  {seconds / baseline:4.1f}x click")
    help_ratio = timed["unwind --help"] / baseline
    verdict = "within" if help_ratio <= HELP_TARGET_RATIO else "OVER"
    print(f"unwind --help is {help_ratio:.1f}x click alone: {verdict} the "
          f"{HELP_TARGET_RATIO:.0f}x target (best of {args.repeat})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
