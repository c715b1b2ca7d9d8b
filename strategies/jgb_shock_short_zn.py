"""jgb_shock_short_zn: short US Treasury futures when the long end of the JGB curve jumps.

Thesis (seed 000_2feea30be25d3235.txt, mechanisms 1-2; seed 003_f94b3fee8d973d1d.txt): a jump in
Japan's super-long yields spills into global long-end yields ("global term premium re-priced"),
and higher yields at home weaken Japan's bid for Treasuries, the marginal buyer the US relies
on; Treasury prices fall (yields rise). 003 pushes the same mechanism to a Japanese sale of
Treasuries.
Trigger: jgb_shock_short_nq's, with its defaults and reasons: by default the articles' rule as
written, the 40-year JGB yield closing above 4% for the first time in a quarter (article 000;
on MOF closes it peaked at 3.901% on 2026-01-20, so it never fires on daily data, and
`rule_notes()` says so); the z-score of the 30-year's weekly change is the variant chosen after
seeing that (`-p trigger=zscore`, VARIANTS, calibration window 2025-05-12..2026-02-13). No
confirmation: the Treasury move is the trade itself.
Entry: short `future` (ZN 10-year note, or ZB 30-year bond) at the next session's open.
Exit: the level is lost (or the JGB move is back within `exit_z` sigma), or after `hold_days`.
Sizing: RiskBudgetSizer. Instruments: ZN or ZB daily (Yahoo ZN=F, ZB=F); JGB daily.
Benchmark: flat. Plain twin: none (the rule has no filter beyond its trigger).
Regime read: not used by default, for the reason given in jgb_shock_short_nq.
Calibrated on: nothing (conventions and the articles' levels; CALIBRATED_ON = None). The
z-score variant's window is 2025-05-12..2026-02-13 (VARIANTS).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from strategies.base import LineRule, Panel, backtrader_params, require
from strategies.inputs import Inputs
from strategies import jgb_shock_short_nq
from strategies.jgb_shock_short_nq import JgbShockParameters, jgb_panel, jgb_series_for, jgb_shock

ID = "jgb_shock_short_zn"
SEED = "000_2feea30be25d3235.txt (mechanisms 1-2); 003_f94b3fee8d973d1d.txt"
TRADED = ("ZN",)
BAR = "1d"
SIGNALS = (("JGB40Y", "1d"),)
WARMUP_DAYS = 200
BENCHMARK = "flat"
BENCHMARK_KIND = "flat"
PLAIN_TWIN = None
CALIBRATED_ON = None
# The trigger's variants and notes are jgb_shock_short_nq's (the same trigger).
VARIANTS = jgb_shock_short_nq.VARIANTS
rule_notes = jgb_shock_short_nq.rule_notes


@dataclass(frozen=True)
class Parameters(JgbShockParameters):
    # The 10-year note: the deepest Treasury future; ZB (30-year) carries more of the long end.
    future: str = "ZN"

    def __post_init__(self):
        super().__post_init__()
        require(self.future in ("ZN", "ZB"), "future must be ZN or ZB")


def traded(parameters: Parameters) -> tuple[str, ...]:
    return (parameters.future,)


def signals_for(parameters: Parameters) -> tuple[tuple[str, str], ...]:
    return ((jgb_series_for(parameters), "1d"),)


def prepare(inputs: Inputs, parameters: Parameters) -> dict[str, pd.DataFrame]:
    lines = jgb_shock(inputs, parameters, (parameters.future, BAR))
    lines["entry"], lines["exit"] = lines["jgb_entry"], lines["jgb_exit"]
    return {parameters.future: lines}


def panels(parameters: Parameters) -> tuple[Panel, ...]:
    return (jgb_panel(parameters),)


class Strategy(LineRule):
    params = backtrader_params(Parameters)
    EXITS = ("exit_line", "hold_bars")
    SIDE = -1
