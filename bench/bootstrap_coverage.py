"""Measured coverage of unwind.evidence.bootstrap's nominal 90% intervals (the figures unwind.evidence.coverage
prints beside every interval). Usage: .venv/bin/python bench/bootstrap_coverage.py [SERIES]
(400 series per short-window case, a fifth of that for 2500 days; a few minutes on 2 cores)."""

from __future__ import annotations

import statistics
import sys

from unwind.evidence import coverage


def main(series: int = 400) -> None:
    for length in (25, 40, 2500):
        count = series if length < 100 else max(series // 5, 40)
        found = {"mean_return": [], "sharpe_ratio": []}
        for phi in (0.0, 0.1, 0.2):
            for innovations in ("normal", "t5"):
                shares = coverage.simulate(length, phi, innovations, count,
                                           seed=1000 * length + int(100 * phi))
                for metric, share in shares.items():
                    found[metric].append(share)
                print(f"{length:5d} days  AR {phi:.1f} {innovations:6s} "
                      f"mean {shares['mean_return']:.3f}  Sharpe {shares['sharpe_ratio']:.3f}",
                      flush=True)
        print(f"{length:5d} days  average over the six processes: mean "
              f"{statistics.fmean(found['mean_return']):.3f}  Sharpe "
              f"{statistics.fmean(found['sharpe_ratio']):.3f}  ({count} series each)", flush=True)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 400)
