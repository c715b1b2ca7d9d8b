"""feeds.calendars.known_at remembers its answers: the same instants as computing them, and a
caller that names (or otherwise re-labels) an answer does not change the next one."""

import pandas as pd

from feeds import calendars, instruments


def test_known_at_gives_the_daily_close_in_utc_and_its_memo_the_same_index():
    usdjpy = instruments.get("USDJPY")   # known at 17:00 New York
    dates = pd.DatetimeIndex(["2024-03-08", "2024-03-11", "2024-11-04"], tz="UTC")
    calendars._KNOWN.clear()
    first = calendars.known_at(dates, usdjpy)
    # 17:00 EST is 22:00 UTC; after the March switch to EDT, 21:00 UTC; back in November, 22:00
    assert list(first) == [pd.Timestamp("2024-03-08 22:00", tz="UTC"),
                           pd.Timestamp("2024-03-11 21:00", tz="UTC"),
                           pd.Timestamp("2024-11-04 22:00", tz="UTC")]
    first.name = "renamed"
    again = calendars.known_at(dates, usdjpy)
    assert again.name is None and again.equals(first)
    # the same dates without a zone are the same trading dates
    assert calendars.known_at(dates.tz_localize(None), usdjpy).equals(first)
    # another instrument's close is another answer, not the memo's
    assert not calendars.known_at(dates, instruments.get("HSI")).equals(first)
