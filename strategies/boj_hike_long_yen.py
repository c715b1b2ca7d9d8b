"""boj_hike_long_yen: be long yen after a Bank of Japan hike made while the Fed is cutting.

Thesis (seed 002_4e8dedbcd39c4e3c.txt, sections 1-2): the Fed "goes first" (cuts) and the BOJ
"follows" with a hike; the policies point in opposite directions, the spread narrows faster,
and yen carry money is pulled home ("a BOJ hike while the Fed cuts ... accelerates the return
of overseas funds").
Signal: a BOJ meeting raised the policy rate (feeds/calendar_events.toml, known at the
statement's release, about 12:00 Tokyo), while the effective Fed funds rate (FRED DFF, stored
as EFFR) is at least `fed_cut` percentage points below its level `fed_days` days earlier.
The catalogue's dates are checked against the stored meeting dates (the BOJMPM event series,
imported from the raw meeting list, which ends 2024-03-19; tests/strategies/test_playbooks.py).
Entry: short USDJPY (long yen) at the next open after the decision is known.
Exit: after `hold_days` sessions (the article's repatriation is a flow over weeks).
Instruments: USDJPY daily (spot, 100,000 USD lots, P&L in JPY); EFFR daily.
Benchmark: flat. Plain twin: the same trade after every hike, whatever the Fed does.
Data check: the stored EFFR ends 2025-10-02, so the December 2025 hike sees the Fed's
September cut as its latest move (stale, stated in the run's notes as every as-of value is).
Under the article's 25 bp that cut fell short: the effective rate floats a few bp inside the
target range and went 4.33 -> 4.09 (-0.24 pp over 91 days), so the rule as written does not
fire on the 2025-12-19 hike; `rule_notes()` states this for any window.
Regime read: not used by default; the two central banks' directions are the thesis.
Calibrated on: nothing (the article's 25 bp; the quarter and the month of holding are
conventions; CALIBRATED_ON = None).
Variant (VARIANTS, chosen after seeing data): `-p fed_cut=0.125`, half a step, read off the
September 2025 cut's -0.24 pp so that the December 2025 hike trades; its calibration window is
2025-07-03..2025-12-19 (the DFF rows that change reads, through the hike it was chosen to catch),
so the Dec-2025 episode is in-sample for it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from feeds import calendars, events, instruments
from strategies import signals
from strategies.base import CommonParameters, LineRule, Panel, backtrader_params, require
from strategies.inputs import Inputs

ID = "boj_hike_long_yen"
SEED = "002_4e8dedbcd39c4e3c.txt (sections 1-2)"
TRADED = ("USDJPY",)
BAR = "1d"
SIGNALS = (("EFFR", "1d"),)
# The quarter the Fed's direction is read over, plus as much again: the stored DFF ends
# 2025-10-02, a quarter before the December 2025 decision.
WARMUP_DAYS = 200
BENCHMARK = "flat"
BENCHMARK_KIND = "flat"
PLAIN_TWIN = {"require_fed_cutting": False}
CALIBRATED_ON = None
# Readings chosen after seeing data, each with the window of the data that prompted it.
VARIANTS = {
    "half-step": {"parameters": {"fed_cut": 0.125},
                  "calibrated_on": ("2025-07-03", "2025-12-19"),
                  "reason": "half a step, so that the September 2025 cut (DFF -0.24 pp) counts "
                            "and the December 2025 hike trades"},
}


@dataclass(frozen=True)
class Parameters(CommonParameters):
    # The filter the thesis is about: the Fed cutting at the same time.
    require_fed_cutting: bool = True
    # "Cutting": the article's step, "a 25 basis point cut" (section 1), as a fall of the
    # effective rate of at least 0.25 pp over the last quarter (91 rows: FRED's DFF has one for
    # every calendar day, so a quarter of FOMC meetings).
    fed_cut: float = 0.25
    fed_days: int = 91
    # A month of sessions: the flow home the article describes takes weeks, not days.
    hold_days: int = 20

    def __post_init__(self):
        super().__post_init__()
        require(0 <= self.fed_cut < 10, "fed_cut is in percentage points, e.g. 0.25")
        require(self.fed_days >= 1 and self.hold_days >= 1,
                "fed_days and hold_days must be >= 1")


def event_line(dates: pd.DatetimeIndex, inputs: Inputs, onto: tuple[str, str]) -> pd.Series:
    """1 on the first traded bar that knows of each dated BOJ decision (known at the statement's
    release); carried as a running count, differenced, so a decision on a day the traded market
    is shut is still seen at its next bar."""
    count = pd.Series(range(1, len(dates) + 1), index=dates, dtype=float)
    known = calendars.known_at(dates, instruments.get("BOJMPM"))
    aligned = signals.align(count, known, inputs.decision_times(*onto)).iloc[:, 0]
    return (aligned.fillna(0).diff() > 0).astype(float).set_axis(inputs.frame(*onto).index)


def prepare(inputs: Inputs, parameters: Parameters) -> dict[str, pd.DataFrame]:
    onto = ("USDJPY", BAR)
    fed = signals.change(inputs.frame("EFFR", "1d")["close"], parameters.fed_days)
    lines = inputs.aligned(fed.rename("fed_change"), "EFFR", "1d", onto)
    lines["boj_decision"] = event_line(events.boj_decisions().index, inputs, onto).to_numpy()
    lines["boj_hike"] = event_line(events.boj_hikes().index, inputs, onto).to_numpy()
    cutting = (lines["fed_change"] <= -parameters.fed_cut) | \
        (not parameters.require_fed_cutting)
    lines["entry"] = ((lines["boj_hike"] > 0) & cutting).astype(float)
    lines["exit"] = 0.0
    return {"USDJPY": lines}


def rule_notes(inputs: Inputs, parameters: Parameters, start: str, end: str) -> list[str]:
    """One line per BOJ hike in start..end saying whether the rule fired and what the Fed
    change read then, so a page can say why a window has no signal (or what it traded on)."""
    lines = prepare(inputs, parameters)["USDJPY"]
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


def panels(parameters: Parameters) -> tuple[Panel, ...]:
    return (Panel("BOJ decisions in the catalogue and hikes (1 on the first bar after the "
                  "statement)", ("boj_decision", "boj_hike"), "flag"),
            Panel(f"Fed funds change over {parameters.fed_days} days", ("fed_change",),
                  "percentage points", (("-fed_cut", -parameters.fed_cut),)))


class Strategy(LineRule):
    params = backtrader_params(Parameters)
    EXITS = ("exit_line", "hold_bars")
    SIDE = -1
