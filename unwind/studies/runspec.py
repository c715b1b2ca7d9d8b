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

Unknown keys are refused naming the nearest valid one, and every value is checked with the
limits its flag has (ids with a did-you-mean, `jobs` a whole number >= 1, booleans only as
true/false). Windows must run forwards inside 1900..2261, hold their trigger, not overlap each
other, and have ids of their own (not a catalogue episode's). Flags given on the command line win
over the spec.
"""

from __future__ import annotations

import codecs
import datetime as dt
import os
import re
import tomllib
from pathlib import Path

from feeds.errors import DataError, excerpt, nearest
from unwind.evidence import episodes as catalogue
from unwind.sim.config import check_id
from unwind.evidence.episodes import Episode, Trigger

_SECTIONS = {"score", "sweep"}
_SCORE_KEYS = {"playbooks", "episodes", "windows", "jobs", "allow_defects", "store", "out"}
_WINDOW_KEYS = {"id", "start", "end", "trigger", "label"}
# A window id names a cell's folder (cells/<playbook>/<id>): letters, digits, '.', '_', '-'.
_WINDOW_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def _refuse_unknown(where: str, given, allowed: set[str]) -> None:
    unknown = sorted(set(given) - allowed)
    if unknown:
        raise DataError(f"{where}: unknown key {unknown[0]!r}{nearest(unknown[0], allowed)}; "
                        f"valid keys: {', '.join(sorted(allowed))}")


def _read_toml(path: Path) -> dict:
    """A run spec's TOML, or one line saying why it cannot be read. A UTF-8 byte-order mark
    (what Windows editors put first) is read as the start of the text; a FIFO or device is
    refused without being opened (reading it could block or never end)."""
    from feeds.filesystem import describe, kind_of

    try:
        kind = kind_of(os.stat(path).st_mode)
        if kind is not None:
            raise DataError(f"{path}: is {kind}; expected a TOML run spec")
        data = path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"{path}: no such run spec") from None
    except OSError as error:
        raise DataError(f"{path}: cannot read the run spec: {describe(error)}") from None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise DataError(f"{path}: UTF-16 text; save the run spec as UTF-8")
    try:
        return tomllib.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise DataError(f"{path}: not a text file; expected a TOML run spec") from None
    except tomllib.TOMLDecodeError as error:
        raise DataError(f"{path}: malformed TOML: {error}") from None


def _table(path: Path, verb: str, keys) -> dict:
    """The spec's [VERB] table with only `keys` in it; a spec without it is refused, naming the
    tables it has (a [sweep] spec given to `score` ran the whole scorecard)."""
    raw = _read_toml(path)
    _refuse_unknown(str(path), raw, _SECTIONS)
    if verb not in raw:
        other = [name for name in sorted(_SECTIONS) if name in raw]
        held = (f"it holds [{other[0]}], for `unwind {other[0]} {path}`" if other
                else "it holds no table")
        raise DataError(f"{path}: no [{verb}] table, which `unwind {verb}` reads; {held}")
    table = raw[verb]
    if not isinstance(table, dict):
        raise DataError(f"{path}: {verb} = {_shown(table)}: expected a [{verb}] table")
    _refuse_unknown(f"{path} [{verb}]", table, keys)
    return table


def load(path: str | Path) -> dict:
    """The spec's [score] table, checked."""
    path = Path(path)
    spec = _table(path, "score", _SCORE_KEYS)
    _check_score(path, spec)
    return spec | {"windows": _windows(path, spec.get("windows", []))}


def _shown(value) -> str:
    """A TOML value as an error quotes it: text in quotes, anything else as written; short."""
    return excerpt(value) if isinstance(value, str) else excerpt(repr(value))[1:-1]


def _wrong(path: Path, key: str, value, expected: str) -> DataError:
    """The one line for a [score] value of the wrong type or out of range."""
    return DataError(f"{path}: [score] {key} = {_shown(value)}: expected {expected}")


def _check_score(path: Path, spec: dict) -> None:
    """Each [score] field with the type and range its flag has; ids checked with a did-you-mean."""
    import strategies

    for key, ids, check in (("playbooks", strategies.ids(), strategies.get),
                            ("episodes", tuple(catalogue.catalogue()), catalogue.get)):
        values = spec.get(key, "all")
        if values == "all":
            continue
        listed = [values] if isinstance(values, str) else values
        if not isinstance(listed, list) or not all(isinstance(v, str) for v in listed):
            raise _wrong(path, key, values, f'"all" or a list of ids such as '
                                            f'["{ids[0]}"]')
        for value in listed:
            if key == "episodes" and (value == "found" or value.startswith("found:")):
                continue
            try:
                check_id(key[:-1], value)
                check(value)
            except DataError as error:
                raise DataError(f"{path}: [score] {key}: {error}") from None
    jobs = spec.get("jobs", 1)
    if not isinstance(jobs, int) or isinstance(jobs, bool) or jobs < 1:
        raise _wrong(path, "jobs", jobs, "a whole number of worker processes >= 1, as --jobs "
                                         "(capped at the tasks and at twice the cores)")
    if not isinstance(spec.get("allow_defects", False), bool):
        raise _wrong(path, "allow_defects", spec["allow_defects"], "true or false")
    for key in ("store", "out"):
        if key in spec and not (isinstance(spec[key], str) and spec[key].strip()):
            raise _wrong(path, key, spec[key], "a folder path in quotes")
    if not isinstance(spec.get("windows", []), list):
        raise _wrong(path, "windows", spec["windows"], "[[score.windows]] tables")


def _day(path: Path, window: dict, key: str) -> dt.date:
    """A window's date: a TOML date or "YYYY-MM-DD", inside feeds.FIRST_DAY..LAST_DAY."""
    from feeds import FIRST_DAY, LAST_DAY

    where = f"{path}: [[score.windows]] {_window_name(window)}"
    value = window.get(key)
    try:
        if isinstance(value, dt.datetime) or not isinstance(value, (str, dt.date)):
            raise ValueError
        day = value if isinstance(value, dt.date) else dt.date.fromisoformat(value)
    except ValueError:
        got = "is missing" if value is None else f"= {excerpt(value)} is not a date"
        raise DataError(f"{where} {key} {got}; expected {key} = YYYY-MM-DD") from None
    if not FIRST_DAY <= day.isoformat() <= LAST_DAY:
        raise DataError(f"{where} {key} = {day} is outside {FIRST_DAY}..{LAST_DAY}")
    return day


def _window_name(window: dict) -> str:
    given = window.get("id")
    return f"id {excerpt(given)}" if isinstance(given, str) else "without an id"


def _windows(path: Path, raw_windows: list) -> tuple[Episode, ...]:
    windows = []
    for number, window in enumerate(raw_windows, start=1):
        if not isinstance(window, dict):
            raise DataError(f"{path}: [score] windows item {number} = {_shown(window)}: "
                            "expected a [[score.windows]] table")
        _refuse_unknown(f"{path} [[score.windows]]", window, _WINDOW_KEYS)
        start, end = _day(path, window, "start"), _day(path, window, "end")
        where = f"{path}: [[score.windows]] {_window_name(window)}"
        if start >= end:
            raise DataError(f"{where} is reversed or empty ({start} .. {end}); start must be "
                            "before end")
        trigger = _day(path, window, "trigger") if "trigger" in window else start
        if not start <= trigger <= end:
            raise DataError(f"{where} trigger = {trigger} is outside its window {start} .. "
                            f"{end}")
        window_id = window.get("id", f"window-{start}")
        if not isinstance(window_id, str) or not _WINDOW_ID.fullmatch(window_id):
            raise DataError(f"{where}: expected id = a name of letters, digits, '.', '_' or "
                            "'-' (at most 64), e.g. \"summer-2024\"")
        if window_id in catalogue.catalogue() or window_id.startswith("found"):
            raise DataError(f"{where} would shadow "
                            + ("the catalogue episode of that id" if window_id in
                               catalogue.catalogue() else "the windows `found` names")
                            + "; give the window another id")
        if window_id in (w.id for w in windows):
            raise DataError(f"{where}: two windows have this id; give each its own")
        label = window.get("label", "trigger")
        if not isinstance(label, str) or not label.strip() or len(label) > 40:
            raise DataError(f"{where} label = {_shown(label)}: expected text of "
                            "at most 40 characters")
        windows.append(Episode(window_id, window_id, window_id, str(start), str(end),
                               (Trigger(str(trigger), label),),
                               ("custom",), "ad-hoc window from a run spec", (str(path),)))
    ordered = sorted(windows, key=lambda e: e.start)
    for first, second in zip(ordered, ordered[1:]):
        if second.start <= first.end:
            raise DataError(f"{path}: windows {first.id!r} ({first.start}..{first.end}) and "
                            f"{second.id!r} ({second.start}..{second.end}) overlap")
    return tuple(windows)


def _choose(values, everything: tuple[str, ...], check, kind: str) -> tuple[str, ...]:
    """None or "all" -> everything; a list (possibly empty) -> those, each checked."""
    if values is None or values == "all":
        return everything
    if isinstance(values, str):
        values = [values]
    for value in values:
        check_id(kind, value)
        check(value)
    return tuple(values)


def _found_windows(requests: list[str], store) -> tuple[Episode, ...]:
    """`found` or `found:RULE` -> the windows the rule finds in the store's USDJPY history."""
    from unwind.evidence import episode_finder

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
    from unwind.studies import scorecard, workers
    from unwind.studies.rundir import new_run_dir

    spec = load(spec_path) if spec_path else {"windows": ()}
    chosen_playbooks = _choose(list(playbooks) or spec.get("playbooks"), strategies.ids(),
                               strategies.get, "playbook")
    windows = spec["windows"]
    requested = list(episodes) or spec.get("episodes")
    if isinstance(requested, str) and requested != "all":
        requested = [requested]
    if isinstance(requested, list) and any(str(e).startswith("found") for e in requested):
        windows = windows + _found_windows([e for e in requested if e.startswith("found")],
                                           store or spec.get("store"))
        requested = [e for e in requested if not str(e).startswith("found")]
    windows = tuple({window.id: window for window in windows}.values())  # found twice: once
    default_episodes = None if not windows else []
    chosen_episodes = _choose(requested if requested is not None else default_episodes,
                              tuple(catalogue.catalogue()), catalogue.get, "episode")
    chosen_playbooks, chosen_episodes = (tuple(dict.fromkeys(chosen))
                                         for chosen in (chosen_playbooks, chosen_episodes))
    if not chosen_playbooks or not chosen_episodes + tuple(w.id for w in windows):
        raise DataError("nothing to score: no playbooks or no episodes selected")
    # made before any cell runs, so an unusable --out fails now; written as <name>.partial and
    # renamed by `unwind score` when complete (unwind.studies.rundir)
    directory = new_run_dir(out or spec.get("out"), "scorecard")
    return scorecard.ScoreConfig(
        playbooks=chosen_playbooks, episodes=chosen_episodes + tuple(w.id for w in windows),
        windows=windows, store=store or spec.get("store"), out=str(directory),
        jobs=jobs or spec.get("jobs", workers.default_jobs()),
        allow_defects=allow_defects or spec.get("allow_defects", False))


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
    spec = _table(path, "sweep", _SWEEP_KEYS)
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
