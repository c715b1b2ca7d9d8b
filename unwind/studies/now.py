"""`unwind now`: every playbook on its latest bar (or as of a past date, from data known then).

Nothing here decides: each playbook's lines, thresholds and staleness come from the engine
(`engine.prepare` with `known_by`, the playbook's `panels()`, unwind/sim/staleness.py), and the
position the rule would hold comes from running it over the last year (on the screen where it
runs the rule, held fill for fill to backtrader by tests; on backtrader otherwise). So `now`
and a backtest cannot disagree about a rule.

Reads only the tail each line needs: the window is the year before the decision bar (the
standard deviation each distance is scaled by, the 120 bars the page draws, and the position
the rule would hold) plus the playbook's WARMUP_DAYS, not the full histories. A position opened
more than a year before the decision bar is not seen.

Distances are `value - threshold` in the line's unit, and in standard deviations of the line's
values over that year.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from feeds import calendars, instruments
from feeds.bars import is_intraday
from feeds.errors import DataError

YEAR = pd.Timedelta(days=365)
CHART_BARS = 120
STATUSES = ("fires", "in_position", "quiet", "stale", "error")
NEXT_EVENTS = 6


@dataclass(frozen=True)
class Line:
    """One decision line beside one of its thresholds (threshold None: a line without one)."""

    name: str
    value: float | None
    threshold: float | None
    label: str
    distance: float | None
    distance_sd: float | None
    unit: str
    bar: str            # the bar the value is from (UTC, ISO)

    def to_json(self) -> dict:
        return {name: _finite(getattr(self, name)) for name in self.__dataclass_fields__}


@dataclass(frozen=True)
class InputAge:
    """A series the playbook reads: its last bar known at the decision and how old it is."""

    series: str
    bar: str
    last: str
    age_sessions: int    # sessions of its exchange calendar closed since that bar
    stale: bool          # past its allowance (unwind/sim/staleness.py)

    def to_json(self) -> dict:
        return dict(self.__dict__)


@dataclass
class PlaybookNow:
    id: str
    status: str
    bar_time: str = ""                  # the decision bar evaluated (UTC, ISO)
    lines: list[Line] = field(default_factory=list)
    entry: bool = False
    position: dict | None = None
    inputs: list[InputAge] = field(default_factory=list)
    stale_inputs: list[str] = field(default_factory=list)   # staleness.StaleInput.line()
    error: str = ""
    history: pd.DataFrame | None = field(default=None, repr=False)   # last CHART_BARS rows
    panels: tuple = field(default=(), repr=False)

    def to_json(self) -> dict:
        return {"id": self.id, "status": self.status, "bar_time": self.bar_time,
                "entry": self.entry, "lines": [line.to_json() for line in self.lines],
                "position": self.position, "inputs": [age.to_json() for age in self.inputs],
                "stale_inputs": self.stale_inputs, **({"error": self.error} if self.error
                                                      else {})}


def _finite(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _as_float(value) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def known_by(as_of: str) -> pd.Timestamp:
    """The last instant of the UTC day `as_of`: what was known by the end of that day."""
    return pd.Timestamp(as_of, tz="UTC") + pd.Timedelta(days=1) - pd.Timedelta(1, "ns")


def _last_day(store, playbook, traded: tuple[str, ...]) -> str:
    """The date of the newest bar among the traded series (the default decision day)."""
    days = []
    for symbol in traded:
        info = store.info(symbol, playbook.BAR)
        if info is None:
            raise DataError(f"{symbol} {playbook.BAR} is not in the store")
        days.append(info.last[:10])
    return max(days)


def _sessions_between(symbol: str, after: pd.Timestamp, until: pd.Timestamp) -> int:
    """Sessions of `symbol`'s exchange calendar whose daily close fell in (after, until]."""
    instrument = instruments.get(symbol)
    if until <= after:
        return 0
    days = calendars.sessions(instrument.calendar, after.tz_convert(None).normalize(),
                              until.tz_convert(None).normalize() + pd.Timedelta(days=1))
    closes = calendars.known_at(days, instrument)
    return int(((closes > after) & (closes <= until)).sum())


def _inputs(ready, reads: list[tuple[str, str]], onto: tuple[str, str], decision: int,
            at: pd.Timestamp) -> list[InputAge]:
    """Each input's last bar known at the decision and its age in sessions then, and whether
    the engine's staleness rule finds it past its allowance there. The traded series itself
    is aged at `at` (the end of the --as-of day): a market that stopped printing is stale."""
    from strategies.inputs import Inputs, availability
    from unwind.sim import staleness

    inputs, found = Inputs(ready.bars), []
    decided_at = inputs.decision_times(*onto)[decision]
    for series, bar in reads:
        symbol = series.split("@")[0]
        frame = ready.bars[(series, bar)]
        if instruments.get(symbol).kind == "event" or frame.empty:
            continue
        known = availability(frame, symbol, bar)
        upto = int(known.searchsorted(decided_at, side="right")) - 1
        if upto < 0:
            found.append(InputAge(series, bar, "", 0, True))
            continue
        stamp = frame.index[upto]
        age = _sessions_between(symbol, known[upto], at if (series, bar) == onto
                                else decided_at)
        if (series, bar) == onto:
            stale = age > staleness.DAILY_ALLOWANCE_SESSIONS
        else:
            missed, _ = staleness.missed(inputs, (series, bar), onto)
            stale = bool(missed[decision] > staleness.allowance(bar))
        found.append(InputAge(series, bar, stamp.isoformat() if is_intraday(bar)
                              else stamp.date().isoformat(), age, stale))
    return found


def _lines(frames: dict, panels: tuple, row_time: pd.Timestamp) -> list[Line]:
    """Each panel line at `row_time` (its last value at or before it), beside each threshold."""
    found = []
    for panel in panels:
        for name in panel.lines:
            values = next((frame[name] for frame in frames.values()
                           if name in frame and frame[name].notna().any()), None)
            if values is None:
                continue
            known = values.loc[:row_time].dropna()
            value = _as_float(known.iloc[-1]) if len(known) else None
            bar = known.index[-1].isoformat() if len(known) else ""
            year = known.loc[row_time - YEAR:]
            spread = float(year.std()) if len(year) > 1 else float("nan")
            for label, threshold in (panel.thresholds or ((None, None),)):
                distance = None if value is None or threshold is None else value - threshold
                scaled = distance / spread if distance is not None and spread > 0 else None
                found.append(Line(name, value, threshold, label or "", distance, scaled,
                                  panel.unit, bar))
    return found


def _exits(playbook, parameters, frame: pd.DataFrame, decided: int, side: int) -> list[dict]:
    """The exits that would close the open position and how far each is, in the order the
    playbook's Strategy reads them (unwind/sim/screen.py names them)."""
    from unwind.sim import screen

    try:
        rules = screen.exits_of(playbook)
    except DataError:
        return []
    last, entry_close = frame.iloc[-1], float(frame["close"].iloc[decided])
    close = float(last["close"])
    found = []
    for rule in rules:
        kind, _, line = rule.partition(":")
        if kind in ("take_profit", "stop_loss"):
            share = getattr(parameters, kind)
            if not share:
                continue
            level = entry_close * (1 + side * share if kind == "take_profit" else
                                   1 - side * share)
            found.append({"exit": kind, "level": level, "distance": level - close})
        elif kind in ("stop_below", "target_at"):
            level = float(frame[line].iloc[decided])
            found.append({"exit": f"{kind} {line}", "level": level, "distance": level - close})
        elif kind == "exit_line":
            found.append({"exit": "exit line", "level": 1.0, "distance": 1.0 - float(
                last["exit"])})
        elif kind == "hold_bars":
            held = len(frame) - 1 - decided
            found.append({"exit": "hold_days (bars)", "level": float(parameters.hold_days),
                          "distance": float(parameters.hold_days - held)})
        elif kind == "hold_calendar_days":
            days = (frame.index[-1] - frame.index[decided]) / pd.Timedelta(days=1)
            found.append({"exit": "hold_days (calendar days)",
                          "level": float(parameters.hold_days),
                          "distance": float(parameters.hold_days - days)})
    return found


def _position(trades: pd.DataFrame, ready, playbook) -> dict | None:
    """The position the rule holds at the last bar of its one-year run (its trade records),
    or None."""
    from unwind.compat import times_of

    held = trades[trades["status"] == "open at end"] if len(trades) else trades
    if not len(held):
        return None
    first = held.iloc[0]
    side = 1 if first["side"] == "long" else -1
    frame = ready.frames[first["symbol"]]
    fills = times_of(frame["open_time"].to_numpy())
    decided = max(int(fills.searchsorted(pd.Timestamp(first["entry_time"]))) - 1, 0)
    return {"side": " / ".join(f"{row.side} {row.symbol}" for row in held.itertuples()),
            "since": first["entry_time"], "unrealised_usd": round(float(held["pnl_usd"].sum()), 2),
            "contracts": int(held["contracts"].sum()), "entry_price": float(first["entry_price"]),
            "last_close": float(frame["close"].iloc[-1] + frame["roll_offset"].iloc[-1]),
            "exits": _exits(playbook, ready.parameters, frame, decided, side)}


def _year_trades(ready, config) -> pd.DataFrame:
    """The rule's trades over the year (trades.csv rows), no metrics: on the screen when it
    runs the rule on one instrument (the same trades, fill for fill, as backtrader's:
    tests/unwind/test_screen.py), else, or where the screen finds no bar in the window, on
    backtrader."""
    from unwind.sim import engine, screen
    from unwind.evidence import metrics

    if len(ready.engine_frames) == 1 and screen.supported(config.playbook)[0]:
        try:
            return screen.run(ready, config, compute_metrics=False).trades
        except DataError:
            pass
    records = engine.execute(ready, config).trade_records
    return pd.DataFrame(records, columns=metrics.TRADE_COLUMNS)


def evaluate(playbook_id: str, store: str | None = None, as_of: str | None = None
             ) -> PlaybookNow:
    """`playbook_id` at its default parameters on its latest bar, or on the last bar known by
    the end of the UTC day `as_of`."""
    import strategies
    from feeds.store import Store
    from strategies.inputs import Inputs
    from unwind.sim import engine, loading
    from unwind.sim.config import RunConfig

    try:
        playbook = strategies.get(playbook_id)
        parameters = playbook.Parameters()
        traded, signal_series = strategies.series_of(playbook, parameters)
        end = as_of or _last_day(Store(store), playbook, traded)
        start = (pd.Timestamp(end) - YEAR).date().isoformat()
        config = RunConfig(playbook_id, start, end, store=store)
        ready = engine.prepare(config, known_by=known_by(as_of) if as_of else None)
        trades = _year_trades(ready, config)
    except (DataError, ValueError) as error:
        return PlaybookNow(playbook_id, "error", error=str(error).splitlines()[0])
    onto = (traded[0], playbook.BAR)
    frame = ready.frames[traded[0]]
    decision_times = Inputs(ready.bars).decision_times(*onto)
    at = known_by(as_of) if as_of else decision_times[-1]
    reads = [(symbol, playbook.BAR) for symbol in traded] + list(signal_series)
    if parameters.regime_filter:
        reads += list(loading.REGIME_SERIES)
    ages = _inputs(ready, list(dict.fromkeys(reads)), onto, len(decision_times) - 1, at)
    stale_flags = frame.get("inputs_stale", pd.Series(0.0, index=frame.index))
    stale = bool(stale_flags.iloc[-1] > 0) or any(age.stale for age in ages)
    fresh_rows = frame.index[stale_flags.to_numpy() == 0]
    row_time = fresh_rows[-1] if len(fresh_rows) else frame.index[-1]
    panels = strategies.panels(playbook, strategies.defaults(playbook))
    own = [c for c in frame.columns if c not in engine.ENGINE_LINES]
    entry = bool("entry" in frame and frame["entry"].iloc[-1] > 0)
    position = _position(trades, ready, playbook)
    status = "stale" if stale else "in_position" if position else "fires" if entry else "quiet"
    stale_lines = [run.line() for run in ready_runs(ready, frame.index[-1])]
    stale_lines += [f"{age.series} {age.bar}: last bar {age.last}, {age.age_sessions} sessions "
                    f"old by {at.isoformat()[:16]} UTC" for age in ages
                    if age.stale and (age.series, age.bar) == onto]
    return PlaybookNow(playbook_id, status, frame.index[-1].isoformat(),
                       _lines(ready.frames, panels, row_time), entry, position, ages,
                       stale_lines, history=pd.concat(
                           [f[[c for c in own if c in f]] for f in ready.frames.values()],
                           axis=1).loc[:, lambda x: ~x.columns.duplicated()].tail(CHART_BARS),
                       panels=panels)


def ready_runs(ready, last_time: pd.Timestamp) -> list:
    """The staleness runs (unwind/sim/staleness.py) that reach the last decision."""
    from unwind.sim.staleness import StaleInput

    runs = [StaleInput(**item) for item in ready.execution.get("stale_inputs", [])]
    return [run for run in runs if pd.Timestamp(run.last_decision) >= last_time]


def next_events(after: pd.Timestamp, count: int = NEXT_EVENTS) -> list[dict]:
    """The next scheduled BOJ and FOMC decisions after `after` in the event calendar."""
    from feeds import events

    upcoming = [event for event in events.events(("boj", "fomc"))
                if event.instant > after and event.scheduled][:count]
    return [{"date": event.date, "kind": event.kind, "what": event.what} for event in upcoming]


@dataclass
class Now:
    as_of: str
    playbooks: list[PlaybookNow]
    next_events: list[dict]
    calendar_ends: dict[str, str]

    def to_json(self) -> dict:
        return {"as_of": self.as_of, "playbooks": [p.to_json() for p in self.playbooks],
                "next_events": self.next_events, "calendar_ends": self.calendar_ends}

    @property
    def fires(self) -> list[str]:
        return [p.id for p in self.playbooks if p.status == "fires"]


def evaluate_all(playbook_ids: tuple[str, ...], store: str | None = None,
                 as_of: str | None = None, today: pd.Timestamp | None = None) -> Now:
    """Every playbook named; the next events after `as_of` (or after `today`, the wall clock).
    Each answer is computed once per content of the code, the playbooks and the store
    (unwind/studies/now_cache.py), so a `now` every minute between refreshes reads it back."""
    from feeds import events
    from feeds.store import Store
    from unwind.studies.now_cache import Answers

    try:
        answers = Answers(Store(store).root)
    except DataError:   # a store that cannot be read: each playbook says why, as computed
        found = [evaluate(playbook_id, store, as_of) for playbook_id in playbook_ids]
    else:
        found = [answers.get(playbook_id, as_of,
                             lambda playbook_id=playbook_id: evaluate(playbook_id, store, as_of),
                             keep=lambda answer: answer.status != "error")
                 for playbook_id in playbook_ids]
    reference = known_by(as_of) if as_of else (today or pd.Timestamp.now(tz="UTC"))
    shown = as_of or max((p.bar_time[:10] for p in found if p.bar_time), default="")
    return Now(shown, found, next_events(reference), events.ends())
