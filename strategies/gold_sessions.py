"""The gold playbooks' escape hatch: the metals day's two session blocks, which the spec
language cannot say (strategies/specs/gold_asia_dip.toml names `metals_session_lines`).

Only the sessions are Python; the thresholds, the yen test, the entry and the exits are the
specs'. tests/strategies/test_gold_sessions.py checks the block rules on hand-made bars.
"""

from __future__ import annotations

import pandas as pd

from feeds import sessions
from strategies.inputs import Inputs


def session_moves(bars: pd.DataFrame) -> pd.DataFrame:
    """Per hourly bar: whether it is in the Asian block, the block's move from its first open to
    this bar's close on the block's last bar, and there the move of the block just before it.

    The blocks are the metals day's (`feeds.sessions.metals_blocks`): Asia from the 18:00 New York
    open to Tokyo's 09:00 UTC close, the West (Europe and New York) from 09:00 UTC to the 17:00
    New York close. So Monday's Asia starts at the Sunday open and is compared with Friday's West.
    A block missing its last bar by the clock makes no decision. The block before is the one
    immediately preceding in the data and must be of the other kind: when it made no decision (an
    early close after Thanksgiving) or there is none (a holiday with no West session), there is no
    comparison, never one with an older block of the same kind.
    """
    blocks = sessions.metals_blocks(bars.index)
    block = pd.Series(blocks["trading_day"].to_numpy().astype("int64") * 2 + blocks["west"],
                      index=bars.index)
    first_open = bars["open"].groupby(block).transform("first")
    move = bars["close"] / first_open - 1
    block_move = move.where(blocks["last"])
    per_block = pd.DataFrame({"west": blocks["west"], "move": block_move}).groupby(block).agg(
        west=("west", "first"), move=("move", "last"))
    other_kind = per_block["west"].shift(1) != per_block["west"]
    before = per_block["move"].shift(1).where(other_kind)
    previous = block.map(before).where(blocks["last"])
    return pd.DataFrame({"in_asia": (~blocks["west"]).astype(float), "session_move": block_move,
                         "previous_session_move": previous})


def metals_session_lines(inputs: Inputs, parameters, traded: tuple[str, str]) -> pd.DataFrame:
    """`in_asia`, `session_move` and `previous_session_move` on the traded gold bars."""
    return session_moves(inputs.frame(*traded))
