"""Benchmark: the whole `unwind now` process against `python -c "import pandas"`.

    .venv/bin/python bench/now.py [--repeat 3] [--store DIR] [--as-of DATE] [PLAYBOOK ...]

Each command runs as a fresh process (interpreter start, imports, reading the tails, running
each rule over its last year, the page) and the best of N wall-clock times is kept. Issue 21
asks for a budget near 1.5x the pandas import plus reading the tails; the script prints both
times, their ratio, and `now` for one playbook (the per-playbook cost) beside all of them.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from timing import best_of

BIN = Path(sys.executable).parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("playbooks", nargs="*")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--store", default=None)
    parser.add_argument("--as-of", default=None)
    args = parser.parse_args()
    page = Path(tempfile.mkdtemp()) / "now.html"
    options = (["--store", args.store] if args.store else []) + \
        (["--as-of", args.as_of] if args.as_of else []) + ["--html", str(page), "--json"]
    commands = {
        'python -c "import pandas"': [sys.executable, "-c", "import pandas"],
        "unwind now hsi_short_yen_vol": [str(BIN / "unwind"), "now", "hsi_short_yen_vol",
                                         *options],
        "unwind now " + (" ".join(args.playbooks) or "(every playbook)"):
            [str(BIN / "unwind"), "now", *args.playbooks, *options],
    }
    times = {}
    for label, argv in commands.items():
        times[label] = best_of(args.repeat, lambda: subprocess.run(
            argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    baseline = next(iter(times.values()))
    for label, seconds in times.items():
        print(f"{label:45s} {seconds:6.2f} s  {seconds / baseline:5.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
