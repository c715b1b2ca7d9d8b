"""boj_hike_long_yen's escape hatch: the BOJ decisions of the event catalogue as lines, and the
notes saying what the rule did at each hike (strategies/specs/boj_hike_long_yen.toml names both).

The catalogue (feeds/calendar_events.toml, known at each statement's release) is a list of
dated events, not a series the spec language reads; the Fed test, the entry and the exit are
the spec's.
"""

from __future__ import annotations

import pandas as pd

from feeds import calendars, events, instruments
from strategies import signals
from strategies.inputs import Inputs


def event_line(dates: pd.DatetimeIndex, inputs: Inputs, onto: tuple[str, str]) -> pd.Series:
    """1 on the first traded bar that knows of each dated BOJ decision (known at the statement's
    release); carried as a running count, differenced, so a decision on a day the traded market
    is shut is still seen at its next bar."""
    count = pd.Series(range(1, len(dates) + 1), index=dates, dtype=float)
    known = calendars.known_at(dates, instruments.get("BOJMPM"))
    aligned = signals.align(count, known, inputs.decision_times(*onto)).iloc[:, 0]
    return (aligned.fillna(0).diff() > 0).astype(float).set_axis(inputs.frame(*onto).index)


def boj_lines(inputs: Inputs, parameters, traded: tuple[str, str]) -> pd.DataFrame:
    """`boj_decision` and `boj_hike`: 1 on the first traded bar that knows of each."""
    return pd.DataFrame({"boj_decision": event_line(events.boj_decisions().index, inputs, traded),
                         "boj_hike": event_line(events.boj_hikes().index, inputs, traded)})


def rule_notes(inputs: Inputs, parameters, start: str, end: str) -> list[str]:
    """One line per BOJ hike in start..end saying whether the rule fired and what the Fed
    change read then, so a page can say why a window has no signal (or what it traded on)."""
    import strategies

    lines = strategies.get("boj_hike_long_yen").prepare(inputs, parameters)["USDJPY"]
    window = lines.loc[pd.Timestamp(start, tz="UTC"):pd.Timestamp(end, tz="UTC") +
                       pd.Timedelta(days=1)]
    effr = inputs.frame("EFFR", "1d").index
    notes = []
    for bar, row in window[window["boj_hike"] > 0].iterrows():
        known = effr[effr < bar]
        through = f" (EFFR to {known[-1].date()})" if len(known) else ""
        outcome = "fired" if row["entry"] > 0 else "did not fire"
        notes.append(f"the rule {outcome} on the BOJ hike known {bar.date()}: Fed funds "
                     f"{row['fed_change']:+.2f} pp over {parameters.fed_days} days{through}; "
                     f"it needs {-parameters.fed_cut:+.2f} or less")
    if not notes:
        notes.append(f"no BOJ hike in {start}..{end}")
    return notes
