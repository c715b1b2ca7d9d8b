"""What the speed-ups of issue 24 must not change: each cached or shared computation gives exactly
what the plain computation gives."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest

import strategies
from feeds import calendars
from feeds.errors import DataError
from unwind.sim import engine, screen
from unwind.studies import scorecard
from unwind.evidence import episodes as catalogue
from unwind.sim.config import RunConfig


@pytest.fixture
def calendar_cache(tmp_path, monkeypatch):
    """An empty cache folder, and no session list remembered by this process."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    calendars._all_sessions.cache_clear()
    yield tmp_path / "carry-unwind" / "calendars"
    calendars._all_sessions.cache_clear()


def _from_exchange_calendars(name: str, first: pd.Timestamp, last: pd.Timestamp):
    calendar = calendars._calendar(name)
    start, end = max(first.normalize(), calendar.first_session), \
        min(last.normalize(), calendar.last_session)
    if start > end:
        return pd.DatetimeIndex([])
    return pd.DatetimeIndex(calendar.sessions_in_range(start, end)).tz_localize(None)


@pytest.mark.parametrize("first, last", [("2024-07-29", "2024-08-09 15:00"),   # a fortnight
                                         ("1959-06-01", "1960-01-20"),   # before the calendar
                                         ("2030-12-20", "2031-02-01"),   # past its end
                                         ("2024-08-10", "2024-08-11")])  # a weekend: none
def test_cached_sessions_equal_the_calendar_s_own(calendar_cache, first, last):
    first, last = pd.Timestamp(first), pd.Timestamp(last)
    built = calendars.sessions("XHKG", first, last)          # built, then written
    assert list(calendar_cache.glob("XHKG-*.npy"))
    calendars._all_sessions.cache_clear()
    read = calendars.sessions("XHKG", first, last)           # read back from the file
    expected = _from_exchange_calendars("XHKG", first, last)
    for found in (built, read):
        assert found.equals(expected) and found.dtype == expected.dtype


def test_a_damaged_cache_file_is_rebuilt(calendar_cache):
    calendars.sessions("XTKS", pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-10"))
    (path,) = calendar_cache.glob("XTKS-*.npy")
    path.write_bytes(b"not an array")
    calendars._all_sessions.cache_clear()
    found = calendars.sessions("XTKS", pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-10"))
    # Tokyo is closed 1-3 January; the 8th is Coming of Age Day
    assert [d.day for d in found] == [4, 5, 9, 10]
    assert np.load(path).dtype == np.int64


def test_an_unwritable_cache_folder_only_costs_the_build(tmp_path, monkeypatch):
    blocked = tmp_path / "file"
    blocked.write_text("a file where the cache folder would go")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    calendars._all_sessions.cache_clear()
    try:
        found = calendars.sessions("XNYS", pd.Timestamp("2024-07-01"),
                                   pd.Timestamp("2024-07-05"))
    finally:
        calendars._all_sessions.cache_clear()
    assert [d.day for d in found] == [1, 2, 3, 5]   # 4 July closed


TWINNED = [p for p in strategies.ids() if strategies.get(p).PLAIN_TWIN]


@pytest.mark.parametrize("playbook", TWINNED)
def test_the_plain_twin_s_metrics_are_backtrader_s(real_store, playbook):
    """The scorecard runs the plain twin on the screen where it can (scorecard.run_twin): its
    metrics must be backtrader's, value for value, in an episode where both trade."""
    episode = catalogue.get("aug-2024-carry-unwind")
    config = RunConfig(playbook=playbook, start=episode.start, end=episode.end,
                       episode=episode.id, first_trigger=episode.first_trigger,
                       store=str(real_store.root))
    try:
        ready = engine.prepare(config)
    except DataError as error:
        pytest.skip(f"not in the test store: {error}")
    twin = dataclasses.replace(config, parameters=strategies.twin_parameters(playbook))
    chosen = scorecard.run_twin(twin, ready)
    reference = engine.run(twin, engine.prepare_like(ready, twin))
    assert json.dumps(chosen.metrics, sort_keys=True) == \
        json.dumps(reference.metrics, sort_keys=True)
    if screen.supported(playbook)[0] and len(ready.engine_frames) == 1:
        assert not isinstance(chosen, engine.RunResult)   # the screen ran it


def test_session_open_reads_each_session_s_dates_inclusively():
    """calendars.session_open on whole arrays: a session counts from its `since` date and
    through its `until` date; the later-listed session loses to the first one where both are
    active (the first session is the instrument's own)."""
    import datetime as dt

    from feeds.instruments import Instrument, Session

    instrument = dataclasses.replace(
        _any_instrument(), timezone="UTC",
        sessions=(Session("new", dt.time(1), dt.time(9), since=dt.date(2024, 3, 5)),
                  Session("old", dt.time(2), dt.time(9), until=dt.date(2024, 3, 5))))
    assert isinstance(instrument, Instrument)
    days = pd.DatetimeIndex(["2024-03-04", "2024-03-05", "2024-03-06"])
    opens = calendars.session_open(days, instrument)
    assert [stamp.hour for stamp in opens] == [2, 1, 1]


def test_session_open_of_an_overnight_session_is_the_evening_before_and_nat_stays_nat():
    import datetime as dt

    from feeds.instruments import Session

    instrument = dataclasses.replace(
        _any_instrument(), timezone="UTC",
        sessions=(Session("globex", dt.time(17), dt.time(16)),))
    days = pd.DatetimeIndex(["2024-03-04", None, "2024-03-06"]).as_unit("us")
    opens = calendars.session_open(days, instrument)
    assert str(opens[0]) == "2024-03-03 17:00:00+00:00"   # 24 h before, then 17 h on
    assert opens[1] is pd.NaT and str(opens[2]) == "2024-03-05 17:00:00+00:00"


def _any_instrument():
    from feeds import instruments

    return instruments.get("XAUUSD")
