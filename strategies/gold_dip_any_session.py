"""gold_dip_any_session: gold_asia_dip without its one filter, the Asian session.

The same rule, thresholds and exits as gold_asia_dip (seed 004, sections 3 and 6), applied at
the end of either block of the metals day (`feeds.sessions.metals_blocks`: Asia from the 18:00
New York open to 09:00 UTC, Europe/New York from 09:00 UTC to the 17:00 New York close): buy
after any session's drop of at least `dip` that the session just before it (always the other
block; none that decided, no signal) did not share, while the yen is being bought. It is gold_asia_dip's plain twin: the difference between the two is what "in the
Asian session" is worth.
Regime read: not used by default, as in gold_asia_dip.
Calibrated on the same window as gold_asia_dip (its defaults are gold_asia_dip's).
"""

from __future__ import annotations

from dataclasses import dataclass

from strategies import gold_asia_dip
from strategies.base import backtrader_params
from strategies.gold_asia_dip import BAR, SIGNALS, TRADED, WARMUP_DAYS, panels, prepare  # noqa: F401

ID = "gold_dip_any_session"
SEED = gold_asia_dip.SEED
BENCHMARK = gold_asia_dip.BENCHMARK
BENCHMARK_KIND = gold_asia_dip.BENCHMARK_KIND
PLAIN_TWIN = None
CALIBRATED_ON = gold_asia_dip.CALIBRATED_ON


@dataclass(frozen=True)
class Parameters(gold_asia_dip.Parameters):
    # The one change: either session's drop, not only Asia's.
    session: str = "any"


class Strategy(gold_asia_dip.Strategy):
    params = backtrader_params(Parameters)
