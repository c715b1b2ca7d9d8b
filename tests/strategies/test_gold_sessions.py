"""The gold playbooks' session comparison on tiny hourly series checked by hand: a block is
compared only with the block immediately before it, which is of the other kind."""

import numpy as np
import pandas as pd
import pytest

from strategies.gold_sessions import session_moves

FRIDAY_ASIA = pd.date_range("2024-11-28 23:00", "2024-11-29 08:00", freq="h", tz="UTC")
FRIDAY_WEST_EARLY_CLOSE = pd.date_range("2024-11-29 09:00", "2024-11-29 18:00", freq="h", tz="UTC")
FRIDAY_WEST_REST = pd.date_range("2024-11-29 19:00", "2024-11-29 21:00", freq="h", tz="UTC")
MONDAY_ASIA = pd.date_range("2024-12-01 23:00", "2024-12-02 08:00", freq="h", tz="UTC")


def flat_bars(index: pd.DatetimeIndex, moves: dict[str, float]) -> pd.DataFrame:
    """Bars at 100 whose close is set at those of the given UTC times that are in `index` (the
    next bar opens there)."""
    close = pd.Series(np.nan, index=index)
    for stamp, price in moves.items():
        if pd.Timestamp(stamp, tz="UTC") in index:
            close[pd.Timestamp(stamp, tz="UTC")] = price
    close = close.ffill().fillna(100.0)
    open_ = close.shift(1).fillna(100.0)
    return pd.DataFrame({"open": open_, "high": np.maximum(open_, close),
                         "low": np.minimum(open_, close), "close": close})


# Friday's Asia +1% (100 -> 101); Friday's West 101 -> 99.99 (-1%) when it runs to its 16:00 New
# York bar (21:00 UTC); Monday's Asia 99.99 -> 97.99 (-2.0002%).
MOVES = {"2024-11-29 08:00": 101.0, "2024-11-29 21:00": 99.99, "2024-12-02 08:00": 97.99}
MONDAY = pd.Timestamp("2024-12-02 08:00", tz="UTC")


def test_asia_is_compared_with_the_west_session_just_before_it():
    index = FRIDAY_ASIA.append([FRIDAY_WEST_EARLY_CLOSE, FRIDAY_WEST_REST, MONDAY_ASIA])
    moves = session_moves(flat_bars(index, MOVES))
    assert moves.at[MONDAY, "session_move"] == pytest.approx(97.99 / 99.99 - 1)
    assert moves.at[MONDAY, "previous_session_move"] == pytest.approx(99.99 / 101 - 1)
    # and the West with Friday's Asia (the any-session twin's comparison)
    west = pd.Timestamp("2024-11-29 21:00", tz="UTC")
    assert moves.at[west, "previous_session_move"] == pytest.approx(0.01)


def test_an_early_close_west_session_is_no_comparison_not_the_asian_one_before_it():
    # Friday after Thanksgiving: the West stops at 18:00 UTC, before its 16:00 New York bar, so it
    # decides nothing; Monday's Asia must not fall back to Friday's Asia (+1%).
    index = FRIDAY_ASIA.append([FRIDAY_WEST_EARLY_CLOSE, MONDAY_ASIA])
    moves = session_moves(flat_bars(index, MOVES))
    assert moves.at[MONDAY, "session_move"] == pytest.approx(97.99 / 101 - 1)
    assert np.isnan(moves.at[MONDAY, "previous_session_move"])
    assert moves["previous_session_move"].notna().sum() == 0     # Friday's Asia had none before


def test_a_missing_west_session_is_no_comparison():
    # No West bars at all between Friday's Asia and Monday's (a holiday): no comparison either.
    index = FRIDAY_ASIA.append(MONDAY_ASIA)
    moves = session_moves(flat_bars(index, MOVES))
    assert moves.at[MONDAY, "session_move"] == pytest.approx(97.99 / 101 - 1)
    assert np.isnan(moves.at[MONDAY, "previous_session_move"])
