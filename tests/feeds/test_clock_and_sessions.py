"""Clock conversion and session tags, checked against hand-computed UTC times."""

import numpy as np
import pandas as pd
import pytest

from feeds import clock, sessions
from feeds.errors import DataError


def utc(*stamps):
    return [pd.Timestamp(s, tz="UTC") for s in stamps]


def test_new_york_close_is_utc_plus_3_in_us_summer_and_plus_2_in_winter():
    server = pd.DatetimeIndex(["2024-08-05 09:00", "2024-01-05 15:00"])
    assert list(clock.to_utc(server, "ny-close")) == utc("2024-08-05 06:00", "2024-01-05 13:00")


def test_new_york_close_switches_on_us_dates_not_eu_dates():
    # 2024-03-11: the US is on DST (since 03-10), Europe is not (until 03-31).
    server = pd.DatetimeIndex(["2024-03-08 23:00", "2024-03-11 01:00", "2024-03-28 12:00"])
    assert list(clock.to_utc(server, "ny-close")) == utc(
        "2024-03-08 21:00", "2024-03-10 22:00", "2024-03-28 09:00")
    # Under the EU convention (Europe/Athens) 2024-03-28 is still UTC+2.
    assert clock.to_utc(pd.DatetimeIndex(["2024-03-28 12:00"]), "Europe/Athens")[0] == \
        pd.Timestamp("2024-03-28 10:00", tz="UTC")


def test_fixed_offsets_and_utc():
    stamps = pd.DatetimeIndex(["2024-08-05 09:00"])
    assert clock.to_utc(stamps, "+02:00")[0] == pd.Timestamp("2024-08-05 07:00", tz="UTC")
    assert clock.to_utc(stamps, "-05:30")[0] == pd.Timestamp("2024-08-05 14:30", tz="UTC")
    assert clock.to_utc(stamps, "utc")[0] == pd.Timestamp("2024-08-05 09:00", tz="UTC")


def test_unknown_clock_is_refused():
    with pytest.raises(DataError, match="--clock 'Mars/Olympus' is not a clock"):
        clock.validate("Mars/Olympus")


@pytest.mark.parametrize("stamp, expected", [
    ("2024-01-15 00:00", "asia"),             # Tokyo 09:00
    ("2024-01-15 08:00", "asia+london"),      # winter: London opens 08:00 UTC
    ("2024-07-15 07:00", "asia+london"),      # summer: London opens 07:00 UTC
    ("2024-07-15 06:00", "asia"),
    ("2024-01-15 12:00", "london"),           # winter: New York not yet open
    ("2024-07-15 12:00", "london+new_york"),  # summer: New York opens 12:00 UTC
    ("2024-01-15 13:00", "london+new_york"),
    ("2024-01-15 17:00", "new_york"),
    ("2024-01-15 22:00", "off"),              # winter: New York closed at 22:00
    ("2024-07-15 21:00", "off"),              # summer: closed at 21:00
])
def test_session_tags(stamp, expected):
    flags = sessions.tag(pd.DatetimeIndex([stamp], tz="UTC"))
    assert sessions.label(flags) == [expected]


def test_asia_flag_is_a_bit():
    flags = sessions.tag(pd.date_range("2024-08-05", periods=24, freq="h", tz="UTC"))
    assert np.flatnonzero(flags & sessions.ASIA).tolist() == list(range(9))
