"""Run specs: TOML files in runs/ that the CLI accepts in place of flags.

    [score]
    playbooks = "all"                      # or a list of ids
    episodes = ["aug-2024-carry-unwind"]   # or "all"
    jobs = 2
    allow_defects = false
    [[score.windows]]                      # optional ad-hoc windows, scored like episodes
    id = "summer-2024"
    start = "2024-06-01"
    end = "2024-09-30"
    trigger = "2024-08-05"

Unknown keys are refused naming the nearest valid one; windows must run forwards and must not
overlap each other. Flags given on the command line win over the spec.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path

from feeds.errors import DataError, nearest
from unwind import episodes as catalogue
from unwind.episodes import Episode, Trigger

_SECTIONS = {"score", "sweep"}
_SCORE_KEYS = {"playbooks", "episodes", "windows", "jobs", "allow_defects", "store", "out"}
_WINDOW_KEYS = {"id", "start", "end", "trigger", "label"}


def _refuse_unknown(where: str, given, allowed: set[str]) -> None:
    unknown = sorted(set(given) - allowed)
    if unknown:
        raise DataError(f"{where}: unknown key {unknown[0]!r}{nearest(unknown[0], allowed)}; "
                        f"valid keys: {', '.join(sorted(allowed))}")


def load(path: str | Path) -> dict:
    """The spec's [score] table, checked."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(f"{path}: no such run spec") from None
    except UnicodeDecodeError:
        raise DataError(f"{path}: not a text file; expected a TOML run spec") from None
    except tomllib.TOMLDecodeError as error:
        raise DataError(f"{path}: malformed TOML: {error}") from None
    _refuse_unknown(str(path), raw, _SECTIONS)
    spec = raw.get("score", {})
    _refuse_unknown(f"{path} [score]", spec, _SCORE_KEYS)
    return spec | {"windows": _windows(path, spec.get("windows", []))}


def _day(path: Path, window: dict, key: str) -> dt.date:
    try:
        return dt.date.fromisoformat(str(window[key]))
    except (KeyError, ValueError):
        raise DataError(f"{path}: window {window.get('id', '?')!r} needs {key} = YYYY-MM-DD"
                        ) from None


def _windows(path: Path, raw_windows: list) -> tuple[Episode, ...]:
    windows = []
    for window in raw_windows:
        _refuse_unknown(f"{path} [[score.windows]]", window, _WINDOW_KEYS)
        start, end = _day(path, window, "start"), _day(path, window, "end")
        if start >= end:
            raise DataError(f"{path}: window {window.get('id')!r} is reversed or empty "
                            f"({start} .. {end}); start must be before end")
        trigger = _day(path, window, "trigger") if "trigger" in window else start
        window_id = str(window.get("id") or f"window-{start}")
        windows.append(Episode(window_id, window_id, window_id, str(start), str(end),
                               (Trigger(str(trigger), window.get("label", "trigger")),),
                               ("custom",), "ad-hoc window from a run spec", (str(path),)))
    ordered = sorted(windows, key=lambda e: e.start)
    for first, second in zip(ordered, ordered[1:]):
        if second.start <= first.end:
            raise DataError(f"{path}: windows {first.id!r} ({first.start}..{first.end}) and "
                            f"{second.id!r} ({second.start}..{second.end}) overlap")
    return tuple(windows)


def _choose(values, everything: tuple[str, ...], check) -> tuple[str, ...]:
    """None or "all" -> everything; a list (possibly empty) -> those, each checked."""
    if values is None or values == "all":
        return everything
    if isinstance(values, str):
        values = [values]
    for value in values:
        check(value)
    return tuple(values)


def _found_windows(requests: list[str], store) -> tuple[Episode, ...]:
    """`found` or `found:RULE` -> the windows the rule finds in the store's USDJPY history."""
    from unwind import episode_finder

    windows = []
    for request in dict.fromkeys(requests):
        _, _, rule = request.partition(":")
        _, found = episode_finder.find_in_store(rule or "carry-unwind", store)
        windows += [episode_finder.to_episode(window, rule or "carry-unwind")
                    for window in found]
    return tuple(windows)


def score_config(spec_path: str | None, *, playbooks=(), episodes=(), jobs=None,
                 allow_defects=False, out=None, store=None):
    """A ScoreConfig from a spec file and flags (flags win)."""
    import strategies
    from unwind import scorecard
    from unwind.rundir import new_run_dir

    spec = load(spec_path) if spec_path else {"windows": ()}
    chosen_playbooks = _choose(list(playbooks) or spec.get("playbooks"), strategies.ids(),
                               strategies.get)
    windows = spec["windows"]
    requested = list(episodes) or spec.get("episodes")
    if isinstance(requested, list) and any(str(e).startswith("found") for e in requested):
        windows = windows + _found_windows([e for e in requested if e.startswith("found")],
                                           store or spec.get("store"))
        requested = [e for e in requested if not str(e).startswith("found")]
    default_episodes = None if not windows else []
    chosen_episodes = _choose(requested if requested is not None else default_episodes,
                              tuple(catalogue.catalogue()), catalogue.get)
    if not chosen_playbooks or not chosen_episodes + tuple(w.id for w in windows):
        raise DataError("nothing to score: no playbooks or no episodes selected")
    directory = new_run_dir(out or spec.get("out"), "scorecard")
    return scorecard.ScoreConfig(
        playbooks=chosen_playbooks, episodes=chosen_episodes + tuple(w.id for w in windows),
        windows=windows, store=store or spec.get("store"), out=str(directory),
        jobs=jobs or int(spec.get("jobs", scorecard.default_jobs())),
        allow_defects=allow_defects or bool(spec.get("allow_defects", False)))


# ------------------------------------------------------------------------------------ [sweep]
#     [sweep]
#     playbook = "gold_asia_dip"
#     episode = "aug-2024-carry-unwind"      # or start/end = "YYYY-MM-DD", or full_history = true
#     engine = "screen"                      # or "backtrader"
#     jobs = 2                               # or scheduler = "tcp://HOST:PORT"
#     parameters = { session = "asia" }      # held fixed (like -p)
#     [sweep.grid]
#     dip = [0.005, 0.0075, 0.01]            # a list of values
#     hold_days = "30:120:30"                # or START:STOP:STEP, the stop included
_SWEEP_KEYS = {"playbook", "grid", "parameters", "episode", "start", "end", "full_history",
               "engine", "jobs", "scheduler", "store", "out", "yes", "allow_defects"}
_SWEEP_TYPES = {"playbook": str, "episode": str, "start": str, "end": str, "engine": str,
                "scheduler": str, "store": str, "out": str, "full_history": bool, "yes": bool,
                "allow_defects": bool, "jobs": int, "grid": dict, "parameters": dict}
_SWEEP_KIND_NAMES = {str: "a string", bool: "true or false", int: "a whole number",
                     dict: "a table"}


def sweep_spec(path: str | Path) -> dict:
    """A spec's [sweep] table, checked: known keys of the right types, a grid of lists or
    START:STOP:STEP strings, at most one window."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(f"{path}: no such run spec") from None
    except UnicodeDecodeError:
        raise DataError(f"{path}: not a text file; expected a TOML run spec") from None
    except tomllib.TOMLDecodeError as error:
        raise DataError(f"{path}: malformed TOML: {error}") from None
    _refuse_unknown(str(path), raw, {"score", "sweep"})
    if "sweep" not in raw:
        raise DataError(f"{path}: no [sweep] table")
    spec = raw["sweep"]
    _refuse_unknown(f"{path} [sweep]", spec, _SWEEP_KEYS)
    for key, value in spec.items():
        kind = _SWEEP_TYPES[key]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise DataError(f"{path} [sweep] {key} = {value!r}: expected "
                            f"{_SWEEP_KIND_NAMES[kind]}")
    if spec.get("jobs", 1) < 1:
        raise DataError(f"{path} [sweep] jobs = {spec['jobs']}: expected at least 1")
    for name, values in spec.get("grid", {}).items():
        if isinstance(values, str):
            continue
        if not isinstance(values, list) or not values or \
                any(isinstance(v, (list, dict)) for v in values):
            raise DataError(f"{path} [sweep.grid] {name}: expected a list of values or a "
                            "\"START:STOP:STEP\" string")
    windows = [key for key in ("episode", "full_history") if spec.get(key)] + \
        (["start/end"] if "start" in spec or "end" in spec else [])
    if len(windows) > 1:
        raise DataError(f"{path} [sweep]: choose one window ({' and '.join(windows)} given)")
    return spec


def _grid_text(name: str, values) -> str:
    if isinstance(values, str):
        return f"{name}={values}"
    return f"{name}=" + ",".join(str(v).lower() if isinstance(v, bool) else str(v)
                                 for v in values)


def sweep_options(target: str, **flags) -> dict:
    """The sweep's options from a playbook id or a spec file, and the command line's flags
    (flags given win; --grid given replaces the spec's grid)."""
    spec = {}
    if target.endswith(".toml") or Path(target).is_file():
        spec = sweep_spec(target)
        if "playbook" not in spec:
            raise DataError(f"{target} [sweep]: needs playbook = \"ID\"")
    options = {"playbook": spec.get("playbook", target),
               "grids": [_grid_text(n, v) for n, v in spec.get("grid", {}).items()],
               "parameters": tuple(spec.get("parameters", {}).items())}
    for key in ("episode", "start", "end", "full_history", "engine", "jobs", "scheduler",
                "store", "out", "yes", "allow_defects"):
        options[key] = spec.get(key)
    window_flags = any(flags.get(key) for key in ("episode", "start", "end", "full_history"))
    if window_flags:
        for key in ("episode", "start", "end", "full_history"):
            options[key] = None
    for key, value in flags.items():
        if key == "grids" and value:
            options["grids"] = list(value)
        elif key == "parameters" and value:
            options["parameters"] = tuple((dict(options["parameters"]) | dict(value)).items())
        elif key not in ("grids", "parameters") and value not in (None, False):
            options[key] = value
    return options
