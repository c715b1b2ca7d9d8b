"""gold_asia_dip: buy gold after an Asian-session drop that Europe and New York did not share.

Thesis (seed 004_e916c81bec55fe39.txt, sections 3 and 6): "watch the difference between gold's
Asian session and its European/US sessions; if the unwind drives an irrational fall in the Asian
session, it is often a long-term buying opportunity, because gold's haven role returns sooner or
later". Funds sell gold first for margin; Asian hours are thin.
Signal, at the close of each Asian session (from the metals open, 18:00 New York, to 09:00
UTC: Sydney and Tokyo): gold's move over the session (first open to last close) is at most
-`dip`, the drop is Asia's own (the session's move minus the preceding European/US session's
move, 09:00 UTC to 17:00 New York, is at most -`dip`), and the yen is being bought (USDJPY down at least `yen_move` over the last
`yen_lookback_hours`): the unwind.
Entry: long at the next bar's open (09:00 UTC, the London morning).
Exit: after `hold_days` calendar days ("long-term"), or earlier at -`stop_loss` / +`take_profit`
(judged on hourly closes; 0 = not used, the article gives neither). The intraday scalp of the
first version is a parameter choice: `-p hold_days=2 -p stop_loss=0.015 -p take_profit=0.015`.
`session = "any"` applies the same test to both sessions (the plain twin, gold_dip_any_session).
Sizing: RiskBudgetSizer. Instruments: XAUUSD hourly (1 lot = 100 oz, the size of one COMEX GC
contract); USDJPY hourly.
Benchmark: buy and hold XAUUSD over the window.
Regime read: not used by default; the yen condition is the article's own unwind test.
Calibrated on 2016-03-20..2019-12-31 (the first hourly gold in the store; no earlier hourly
history exists here), which overlaps only the calm-2017q4-control episode.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from strategies import signals
from strategies.base import CommonParameters, LineRule, Panel, backtrader_params, require
from strategies.inputs import Inputs

ID = "gold_asia_dip"
SEED = "004_e916c81bec55fe39.txt (sections 3, 6)"
TRADED = ("XAUUSD",)
BAR = "1h"
SIGNALS = (("USDJPY", "1h"),)
WARMUP_DAYS = 30
BENCHMARK = "buy and hold XAUUSD"
BENCHMARK_KIND = "hold"
PLAIN_TWIN = {"session": "any"}
CALIBRATED_ON = ("2016-03-20", "2019-12-31")
# Tokyo's session ends at 09:00 UTC (EPISODE-FACTS.md); the metals day ends at 17:00 New York.
ASIA_END_UTC = 9
NEW_YORK_CLOSE = 17


@dataclass(frozen=True)
class Parameters(CommonParameters):
    # "Sharp" = two standard deviations below the mean: the Asian session's open-to-close move
    # has mean +0.03% and sigma 0.39% (976 sessions, 2016-03..2019-12), so -0.75%. The same 0.75%
    # for the Asia-minus-West divergence (about one of its sigmas, 0.73%) asks that Europe and
    # New York did not fall with Asia.
    dip: float = 0.0075
    # "asia": the article's session; "any": either session (the plain twin).
    session: str = "asia"
    # A 2.5% fall of USDJPY in five days is its 5th percentile 1990-2007: the yen is being bought.
    yen_move: float = 0.025
    # Five trading days of hourly bars, the horizon of that percentile.
    yen_lookback_hours: int = 120
    # "A long-term buying opportunity": a quarter (90 calendar days), the shortest horizon a
    # gold allocation is usually called long-term; in an episode window this means held to the end.
    hold_days: float = 90.0
    # The article names no stop or target; 0 = none.
    stop_loss: float = 0.0
    take_profit: float = 0.0

    def __post_init__(self):
        super().__post_init__()
        require(self.session in ("asia", "any"), "session must be 'asia' or 'any'")
        require(0 < self.dip < 1, "dip must be a fraction between 0 and 1")
        require(0 <= self.yen_move < 1, "yen_move must be a fraction between 0 and 1")
        require(self.yen_lookback_hours >= 1, "yen_lookback_hours must be >= 1")
        require(0 < self.hold_days < float("inf"), "hold_days must be positive")
        require(0 <= self.stop_loss < 1 and 0 <= self.take_profit < float("inf"),
                "stop_loss must be in [0, 1) and take_profit >= 0 (0 = none)")


def session_moves(bars: pd.DataFrame) -> pd.DataFrame:
    """Per hourly bar: whether it is in the Asian block, the block's move from its first open to
    this bar's close on the block's last bar, and there the move of the block before it.

    The metals day runs from 17:00 to 17:00 New York. Its Asian block is everything from the
    day's open (18:00 New York, Sydney's morning) to 09:00 UTC; its West block (Europe and New
    York) is 09:00 UTC to the 17:00 New York close. So Monday's Asia starts at the Sunday open and
    is compared with Friday's West. A block's last bar is the one whose close ends the block by
    the clock (the 08:00 UTC and 16:00 New York bars), so a decision at its close uses nothing
    later; a block missing that bar makes no decision.
    """
    new_york = bars.index.tz_convert("America/New_York")
    trading_day = (new_york.tz_localize(None) + pd.Timedelta(hours=24 - NEW_YORK_CLOSE)).normalize()
    west = (bars.index.hour >= ASIA_END_UTC) & (new_york.hour < NEW_YORK_CLOSE)
    block = pd.Series(trading_day.asi8 * 2 + west, index=bars.index)
    first_open = bars["open"].groupby(block).transform("first")
    move = bars["close"] / first_open - 1
    is_last = (bars.index.hour == ASIA_END_UTC - 1) | (new_york.hour == NEW_YORK_CLOSE - 1)
    block_move = move.where(is_last)
    previous = block_move.dropna().shift(1).reindex(bars.index)
    return pd.DataFrame({"in_asia": (~west).astype(float), "session_move": block_move,
                         "previous_session_move": previous})


def yen_move(inputs: Inputs, parameters: Parameters, onto: tuple[str, str]) -> pd.Series:
    """USDJPY's change over the lookback, as known at each gold bar (negative: yen stronger)."""
    yen = inputs.frame("USDJPY", "1h")["close"]
    move = signals.relative_change(yen, parameters.yen_lookback_hours)
    return inputs.aligned(move, "USDJPY", "1h", onto).iloc[:, 0]


def prepare(inputs: Inputs, parameters: Parameters) -> dict[str, pd.DataFrame]:
    gold = inputs.frame("XAUUSD", BAR)
    moves = session_moves(gold)
    yen = yen_move(inputs, parameters, ("XAUUSD", BAR))
    divergence = moves["session_move"] - moves["previous_session_move"]
    eligible = (moves["in_asia"] > 0) if parameters.session == "asia" else \
        pd.Series(True, index=gold.index)
    entry = eligible & (moves["session_move"] <= -parameters.dip) & \
        (divergence <= -parameters.dip) & (yen <= -parameters.yen_move)
    return {"XAUUSD": pd.DataFrame({
        "entry": entry.astype(float), "exit": np.zeros(len(gold)),
        "session_move": moves["session_move"], "divergence": divergence,
        "yen_move": yen}, index=gold.index)}


def panels(parameters: Parameters) -> tuple[Panel, ...]:
    which = "Asian" if parameters.session == "asia" else "each"
    return (Panel(f"Gold's {which} session move, open to close (dots at each session's end)",
                  ("session_move",), "fraction", (("-dip", -parameters.dip),)),
            Panel("That move minus the previous session's (negative: a drop of its own)",
                  ("divergence",), "fraction", (("-dip", -parameters.dip),)),
            Panel(f"USDJPY change over {parameters.yen_lookback_hours} hours", ("yen_move",),
                  "fraction", (("-yen_move", -parameters.yen_move),)))


# The exits Strategy reads, in its order, for the screen (unwind/screen.py): LineRule's, with
# the holding limit in calendar days.
SCREEN_EXITS = ("take_profit", "stop_loss", "exit_line", "hold_calendar_days")


class Strategy(LineRule):
    params = backtrader_params(Parameters)

    def holding_limit_reached(self, data) -> bool:
        """`hold_days` calendar days since the entry decision (date numbers count days)."""
        return data.close_time[0] - self.entry_time >= self.p.hold_days
