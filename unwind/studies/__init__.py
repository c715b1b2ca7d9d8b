"""Studies built from runs: scorecards, sweeps and their grids, run specs and run folders, `check` and `now`."""
