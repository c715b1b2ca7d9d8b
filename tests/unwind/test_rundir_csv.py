"""The run folder's CSV writer (unwind/studies/run_csv.py) gives the bytes pandas' to_csv
gives (each distinct value formatted once, the times of several files formatted together)."""

import math

import numpy as np
import pandas as pd

from unwind.studies import run_csv


def test_write_csv_matches_pandas_bytes_with_repeats_nan_and_negative_zero(tmp_path):
    columns = {"time": ["2024-08-05T00:00:00+00:00"] * 6, "symbol": ["GC"] * 6,
               "price": np.array([1.5, -0.0, 0.0, math.nan, 1.5, 2400.123456789012]),
               "session": np.array([1.0, 1.0, 2.0, 2.0, 1.0, math.nan])}
    for float_format in ("%.10g", "%.6f"):
        ours, theirs = tmp_path / "ours.csv", tmp_path / "theirs.csv"
        run_csv.write_csv(ours, columns, float_format)
        pd.DataFrame(columns).to_csv(theirs, index=False, float_format=float_format)
        assert ours.read_bytes() == theirs.read_bytes()
    assert b",-0.000000,1.000000" in ours.read_bytes()   # -0.0 kept apart from 0.0


def test_iso_formats_several_indexes_as_isoformat_does():
    bars = pd.date_range("2024-08-05 13:30", periods=3, freq="h", tz="UTC")
    equity = bars[:2]
    assert run_csv.iso_times(equity, bars.append(bars)) == [
        [t.isoformat() for t in equity], [t.isoformat() for t in bars.append(bars)]]
    odd = pd.DatetimeIndex([pd.Timestamp("2024-08-05 13:30:00.5", tz="UTC")])
    assert run_csv.iso_times(equity, odd) == [[t.isoformat() for t in equity],
                                        ["2024-08-05T13:30:00.500000+00:00"]]



def test_write_csv_takes_text_lists_as_they_are_and_formats_other_lists(tmp_path):
    columns = {"time": ["2024-08-05T00:00:00+00:00", "2024-08-05T01:00:00+00:00"],
               "symbol": np.array(["GC", None], dtype=object), "count": [1.25, 2.0],
               "flag": np.array([True, False]), "size": np.array([3, -4])}
    ours, theirs = tmp_path / "ours.csv", tmp_path / "theirs.csv"
    run_csv.write_csv(ours, columns, "%.10g")
    pd.DataFrame(columns).to_csv(theirs, index=False, float_format="%.10g")
    assert ours.read_bytes() == theirs.read_bytes()
    assert ours.read_text().splitlines()[1:] == ["2024-08-05T00:00:00+00:00,GC,1.25,True,3",
                                                 "2024-08-05T01:00:00+00:00,,2,False,-4"]


def test_write_csv_of_no_rows_is_pandas_header(tmp_path):
    ours, theirs = tmp_path / "ours.csv", tmp_path / "theirs.csv"
    for names in (["entry_time", "pnl_usd"], ["a", "b,c"]):
        run_csv.write_csv(ours, dict.fromkeys(names, []), "%.12g")
        pd.DataFrame(columns=names).to_csv(theirs, index=False, float_format="%.12g")
        assert ours.read_bytes() == theirs.read_bytes()
