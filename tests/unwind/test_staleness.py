"""No decision on stale inputs: the allowance by hand on tiny series, and a real run past the
end of the stored USDJPY."""

import json

import numpy as np
import pandas as pd

from strategies.inputs import Inputs
from unwind.sim import staleness


def _daily(dates: list[str], close: float = 100.0) -> pd.DataFrame:
    index = pd.DatetimeIndex(dates, tz="UTC")
    return pd.DataFrame({"open": close, "high": close, "low": close, "close": close,
                         "volume": 0.0}, index=index)


def test_a_daily_input_is_stale_after_three_of_its_sessions_without_a_bar():
    # USDJPY (24/5 calendar, known at 17:00 New York) stops on Wednesday 2024-01-10; HSI decides
    # at 16:10 Hong Kong, before that day's New York close: on Thursday it reads Wednesday's yen
    # (Thursday's is not closed yet), so the first missed session is counted on Friday (Thursday's
    # close unpublished), then Monday (Friday's), Tuesday (Monday's): three, within the allowance;
    # Wednesday 2024-01-17 is the fourth missed session and the first decision without one.
    yen = _daily(["2024-01-08", "2024-01-09", "2024-01-10"], 145.0)
    hang_seng = _daily(["2024-01-09", "2024-01-10", "2024-01-11", "2024-01-12", "2024-01-15",
                        "2024-01-16", "2024-01-17", "2024-01-18"], 16000.0)
    inputs = Inputs({("USDJPY", "1d"): yen, ("HSI", "1d"): hang_seng})
    counts, latest = staleness.missed(inputs, ("USDJPY", "1d"), ("HSI", "1d"))
    assert counts.tolist() == [0, 0, 0, 1, 2, 3, 4, 5]
    assert latest.tolist() == [0, 1, 2, 2, 2, 2, 2, 2]
    stale, runs = staleness.stale_decisions(inputs, [("USDJPY", "1d")], ("HSI", "1d"))
    assert stale.tolist() == [False] * 6 + [True, True]
    (run,) = runs
    assert (run.series, run.last_bar, run.ended, run.decisions) == ("USDJPY", "2024-01-10", True, 2)
    assert run.line() == ("USDJPY 1d ends 2024-01-10: no HSI decisions after 2024-01-16 (2 bars; "
                          "allowance 3 sessions)")


def test_a_hole_inside_an_intraday_input_is_stale_from_its_fourth_traded_bar():
    hours = pd.date_range("2024-07-01 00:00", periods=10, freq="1h", tz="UTC")
    gold = _daily([str(h) for h in hours], 2300.0)
    yen = _daily([str(h) for h in hours[[0, 1, 7, 8, 9]]], 161.0)   # no 02:00..06:00 bars
    inputs = Inputs({("USDJPY", "1h"): yen, ("XAUUSD", "1h"): gold})
    stale, runs = staleness.stale_decisions(inputs, [("USDJPY", "1h")], ("XAUUSD", "1h"))
    # the 02:00..06:00 gold bars close with no newer yen: 1, 2, 3, 4, 5 bars missed
    assert stale.tolist() == [False] * 5 + [True, True] + [False] * 3
    (run,) = runs
    # decision times are bar closes: the first without a decision is the 05:00 bar's, at 06:00
    assert not run.ended and run.first_decision.startswith("2024-07-01T06:00")


def test_a_stale_bar_decides_nothing_and_says_so():
    lines = pd.DataFrame({"entry": [1.0, 1.0], "exit": [1.0, 1.0], "level": [0.5, 0.6]})
    shown = staleness.without_stale(lines, np.array([False, True]))
    assert shown["entry"].tolist() == [1.0, 0.0] and shown["exit"].tolist() == [1.0, 0.0]
    assert shown["level"].iloc[0] == 0.5 and np.isnan(shown["level"].iloc[1])
    assert shown[staleness.STALE_LINE].tolist() == [0.0, 1.0]


def test_a_run_past_the_end_of_usdjpy_prints_its_line_and_decides_nothing(real_store, run_cli,
                                                                          tmp_path):
    # The store's USDJPY daily (Pepperstone) ends 2026-06-15 while HSI runs on to 2026-07-24.
    result = run_cli("run", "hsi_short_yen_vol", "--start", "2026-05-01", "--end", "2026-07-24",
                     "--store", str(real_store.root), "--out", str(tmp_path))
    assert result.code == 0, result.err
    assert ("stale input: USDJPY 1d ends 2026-06-15: no HSI decisions after 2026-06-18"
            in result.out)
    (directory,) = tmp_path.iterdir()
    signals = pd.read_csv(directory / "signals.csv", parse_dates=["time"])
    after = signals[signals["time"] > "2026-06-18T12:00:00+00:00"]
    assert len(after) > 20 and (after["inputs_stale"] == 1).all()
    assert (after[["entry", "exit"]] == 0).all().all() and after["yen_volatility"].isna().all()
    before = signals[signals["time"] <= "2026-06-18T12:00:00+00:00"]
    assert (before["inputs_stale"] == 0).all()
    manifest = json.loads((directory / "manifest.json").read_text())
    (stale,) = manifest["stale_inputs"]
    assert stale["series"] == "USDJPY" and stale["last_bar"] == "2026-06-15" and stale["ended"]
    trades = pd.read_csv(directory / "trades.csv")
    assert (trades["entry_time"] < "2026-06-19").all()
