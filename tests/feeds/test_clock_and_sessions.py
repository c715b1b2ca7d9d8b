"""Clock conversion and session tags, checked against hand-computed UTC times."""

import numpy as np
import pandas as pd
import pytest

from feeds import clock, clock_evidence, sessions
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


def test_european_dst_clock_is_utc_plus_2_in_the_mismatch_weeks():
    # 2024-03-20: the US is on DST, Europe is not: New York close reads UTC+3, Athens UTC+2.
    server = pd.DatetimeIndex(["2024-03-20 20:00", "2024-04-02 20:00", "2024-10-30 20:00"])
    assert list(clock.to_utc(server, clock.EUROPEAN_DST)) == utc(
        "2024-03-20 18:00", "2024-04-02 17:00", "2024-10-30 18:00")
    assert list(clock.to_utc(server, clock.NEW_YORK_CLOSE)) == utc(
        "2024-03-20 17:00", "2024-04-02 17:00", "2024-10-30 17:00")
    assert "EU DST" in clock.describe(clock.EUROPEAN_DST)


def test_the_fomc_catalogue_holds_its_release_instants_in_utc():
    statements = clock_evidence.fomc_statements()
    assert pd.Timestamp("2024-03-20 18:00", tz="UTC") in statements     # 14:00 EDT
    assert pd.Timestamp("2024-12-18 19:00", tz="UTC") in statements     # 14:00 EST
    assert pd.Timestamp("2020-03-18 18:00", tz="UTC") not in statements  # cancelled meeting
    assert statements.is_monotonic_increasing and len(statements) == 79


def server_day_with_a_move_at(server_hour: int) -> tuple[pd.DatetimeIndex, np.ndarray, np.ndarray]:
    """Hourly server bars of 2024-03-20, each 1.0 wide, but 10.0 wide at `server_hour`."""
    stamps = pd.date_range("2024-03-20 10:00", "2024-03-20 23:00", freq="h")
    width = np.where(stamps.hour == server_hour, 10.0, 1.0)
    return stamps, 100 + width, np.full(len(stamps), 100.0)


RELEASE = pd.DatetimeIndex([pd.Timestamp("2024-03-20 18:00", tz="UTC")])


@pytest.mark.parametrize("named", [clock.NEW_YORK_CLOSE, clock.EUROPEAN_DST])
def test_the_release_hour_tells_an_eu_dst_server_from_a_new_york_close_one(named):
    # The 18:00 UTC statement moves the 20:00 server bar: UTC+2, the EU reading of that week.
    stamps, high, low = server_day_with_a_move_at(20)
    evidence = clock_evidence.check(stamps, high, low, pd.Timedelta(hours=1), named, RELEASE)
    assert evidence.supported == clock.EUROPEAN_DST and evidence.telling == 1
    if named == clock.NEW_YORK_CLOSE:
        assert evidence.warning() == (
            "clock ny-close contradicts the data: 1 of 1 FOMC statements in the US/EU DST "
            "mismatch weeks move in their release hour under Europe/Athens (0 under ny-close); "
            "import with --clock Europe/Athens")
    else:
        assert evidence.warning() is None
    # The same move one bar later (21:00 server, UTC+3) is the New York close clock's.
    stamps, high, low = server_day_with_a_move_at(21)
    evidence = clock_evidence.check(stamps, high, low, pd.Timedelta(hours=1), named, RELEASE)
    assert evidence.supported == clock.NEW_YORK_CLOSE


def test_a_release_outside_the_mismatch_weeks_tells_nothing():
    stamps = pd.date_range("2024-05-01 10:00", "2024-05-01 23:00", freq="h")
    high, low = 100 + np.where(stamps.hour == 21, 10.0, 1.0), np.full(len(stamps), 100.0)
    release = pd.DatetimeIndex([pd.Timestamp("2024-05-01 18:00", tz="UTC")])
    evidence = clock_evidence.check(stamps, high, low, pd.Timedelta(hours=1), "ny-close", release)
    assert evidence.telling == 0 and evidence.supported is None and evidence.warning() is None
    assert "no FOMC statement" in evidence.summary()


@pytest.mark.parametrize("stamp, trading_day, west, last", [
    ("2024-07-14 22:00", "2024-07-15", False, False),  # Sunday 18:00 New York: the metals open
    ("2024-07-15 08:00", "2024-07-15", False, True),   # the Asian block's last bar (Tokyo close)
    ("2024-07-15 09:00", "2024-07-15", True, False),   # London morning: the West block
    ("2024-07-15 20:00", "2024-07-15", True, True),    # 16:00 New York (EDT): the West's last bar
    ("2024-01-15 21:00", "2024-01-15", True, True),    # 16:00 New York (EST)
    ("2024-01-15 23:00", "2024-01-16", False, False),  # 18:00 EST: the next metals day's Asia
])
def test_metals_blocks(stamp, trading_day, west, last):
    blocks = sessions.metals_blocks(pd.DatetimeIndex([stamp], tz="UTC"))
    assert blocks["trading_day"].iloc[0] == pd.Timestamp(trading_day)
    assert (bool(blocks["west"].iloc[0]), bool(blocks["last"].iloc[0])) == (west, last)


def test_every_asia_tagged_hour_is_in_the_metals_asian_block():
    for start in ("2024-01-14 22:00", "2024-07-14 21:00"):     # a winter and a summer week
        index = pd.date_range(start, periods=24 * 5, freq="h", tz="UTC")
        asia_tag = (sessions.tag(index) & sessions.ASIA) > 0
        asian_block = ~sessions.metals_blocks(index)["west"].to_numpy()
        assert asia_tag.sum() == 45 and (asian_block[asia_tag]).all()
        # The block is wider by the hours from the New York close (17:00, the metals' break
        # hour, then the 18:00 open: Sydney) to Tokyo's open at 00:00 UTC.
        extra = index[asian_block & ~asia_tag]
        assert (extra.tz_convert("America/New_York").hour >= 17).all()
        assert len(extra) == 5 * (3 if start.startswith("2024-07") else 2)
