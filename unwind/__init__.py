"""carry-unwind: backtests of yen carry-trade unwind playbooks for futures traders.

From Python (README "From Python"): `unwind.run(...)` and `unwind.score(...)` take the CLI's
options as keywords and return the folder they wrote, loaded; `unwind.load_run(dir)`,
`unwind.load_scorecard(dir)` and `unwind.load_sweep(dir)` read folders the CLI wrote, as frozen
objects holding pandas frames (unwind/notebook.py). They are imported on first use, so
`import unwind` (and `unwind --help`) loads neither pandas nor the engine.
"""

__version__ = "0.1.0"

_PYTHON_API = ("run", "score", "load_run", "load_scorecard", "load_sweep")
__all__ = ["__version__", *_PYTHON_API]


def __getattr__(name: str):
    if name in _PYTHON_API:
        from unwind import notebook

        return getattr(notebook, name)
    raise AttributeError(f"module 'unwind' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_PYTHON_API))
