"""Episodes found by rule: the carry-unwind rule on the real USDJPY series, its calibration
claims, and the merge and false-alarm logic on a series built by hand."""

import numpy as np
import pandas as pd
import pytest

import feeds
from feeds.errors import DataError
from unwind.evidence import episode_finder
from unwind.evidence.episode_finder import RULES, FoundEpisode, false_alarms, find
from unwind.evidence.episodes import Episode, Trigger


def _by_catalogue(found):
    return {episode.catalogued_as: episode for episode in found if episode.catalogued_as}


@pytest.mark.parametrize("symbol", ["USDJPY@fred", "USDJPY"])
def test_the_rule_finds_october_2008_and_august_2024_in_the_real_usdjpy_series(real_store,
                                                                              symbol):
    close = feeds.load(symbol, bar="1d", store=real_store, check_quality=False)["close"]
    found = _by_catalogue(find("carry-unwind", close))
    october_2008 = found["oct-2008-gfc-carry-unwind"]
    # the first close 5% under the month's peak with volatility in its 3-year top quarter
    assert october_2008.trigger == "2008-10-06"
    assert october_2008.start <= "2008-10-01" and october_2008.end >= "2008-10-31"
    august_2024 = found["aug-2024-carry-unwind"]
    assert august_2024.trigger == "2024-07-31"         # the day the BOJ hiked
    assert august_2024.start <= "2024-07-11" and august_2024.end >= "2024-08-30"
    assert august_2024.largest_fall < -0.10            # 161.7 -> 141.7 at the close
    assert "calm-2017q4-control" not in found


def test_the_calibration_the_rule_states_holds_on_data_before_2016(real_store):
    name, first, last = episode_finder.CALIBRATION_DATA
    close = feeds.load(name, bar="1d", store=real_store, check_quality=False)["close"]
    found = [e for e in find("carry-unwind", close.loc[:last], catalogue={})
             if first <= e.trigger <= last]
    caught = [unwind for unwind, (start, end) in episode_finder.PRE_2016_UNWINDS.items()
              if any(e.start <= end and e.end >= start for e in found)]
    assert len(found) == 28
    assert [unwind[:7] for unwind in caught] == ["1998-10", "2007-08", "2008-10", "2010-05",
                                                 "2013-05", "2015-08"]
    assert "6 of 8 with 28 windows" in RULES["carry-unwind"].calibration


# A hand-built series (within_days=2, volatility_days=2, history_days=10, percentile 50,
# fall 5%): calm days alternate base and base x 1.002 (even and odd days), so volatility is
# constant and small; three drops to a lower base.
#   day 20: 95 after 100.0, 100.2 -> -5.19% from day 19 (peak), volatility jumps: hit
#   day 21: 95 after 100.2, 95    -> -5.19% from day 19: hit            spans [19, 22], [19, 23]
#   day 30: 90 after 95.0, 95.19  -> -5.45% from day 29: hit
#   day 31: 90 after 95.19, 90    -> hit                                spans [29, 32], [29, 33]
#   day 34: 85 after 90.0, 90.18  -> -5.74% from day 33: hit; its peak (33) is inside the
#   day 35: 85 after 90.18, 85    -> hit   window [29, 33]: merged     spans [33, 36], [33, 37]
HAND_OVERRIDES = {"within_days": 2, "volatility_days": 2, "history_days": 10,
                  "volatility_percentile": 50}


def hand_series(days: int = 50) -> pd.Series:
    base = np.select([np.arange(days) < 20, np.arange(days) < 30, np.arange(days) < 34],
                     [100.0, 95.0, 90.0], 85.0)
    close = np.where(np.arange(days) % 2, base * 1.002, base)
    close[[21, 31, 35]] = [95.0, 90.0, 85.0]
    return pd.Series(close, index=pd.bdate_range("2021-03-01", periods=days, tz="UTC"))


def test_hits_merge_into_windows_from_peak_to_aftermath():
    close = hand_series()
    day = [d.date().isoformat() for d in close.index]
    marked = {"test-episode": Episode("test-episode", "Test", "Test", day[36], day[45],
                                      (Trigger(day[36], "test"),), (), "", ())}
    found = find("carry-unwind", close, catalogue=marked, **HAND_OVERRIDES)
    assert [e.to_json() for e in found] == [
        {"start": day[19], "end": day[23], "trigger": day[20], "catalogued_as": None},
        {"start": day[29], "end": day[37], "trigger": day[30], "catalogued_as": "test-episode"},
    ]
    assert found[0].largest_fall == pytest.approx(95 / 100.2 - 1)
    assert found[1].largest_fall == pytest.approx(85 / 90.18 - 1)
    # a window running into the end of the series ends on its last day
    cut = find("carry-unwind", close.iloc[:36], catalogue={}, **HAND_OVERRIDES)
    assert cut[-1].end == day[35]
    # no drop is 6% deep
    assert find("carry-unwind", close, catalogue={}, **HAND_OVERRIDES | {"fall": 0.06}) == []
    # volatility above the highest of the previous 10 days: the second day of each drop is
    # calmer than its first (one big change, not two), so only days 20, 30 and 34 hit, and the
    # spans [29, 32] and [33, 36] no longer overlap
    strict = find("carry-unwind", close, catalogue={},
                  **HAND_OVERRIDES | {"volatility_percentile": 100})
    assert [(e.start, e.trigger, e.end) for e in strict] == [
        (day[19], day[20], day[22]), (day[29], day[30], day[32]), (day[33], day[34], day[36])]


def test_rules_state_every_parameter_with_a_unit_and_a_reason():
    for rule in RULES.values():
        assert rule.description and rule.calibration
        for parameter in rule.parameters.values():
            assert parameter.unit and len(parameter.reason) > 40
    described = RULES["carry-unwind"].to_json({"fall": 0.06})
    assert described["fall"]["value"] == 0.06 and described["within_days"]["value"] == 20


def test_unknown_rules_and_parameters_are_refused_with_a_suggestion():
    close = hand_series()
    with pytest.raises(DataError, match=r"did you mean carry-unwind\?"):
        find("carry-unwnd", close)
    with pytest.raises(DataError, match=r"no parameter 'fal' \(did you mean fall\?\)"):
        find("carry-unwind", close, fal=0.03)


WINDOWS = [FoundEpisode("2021-03-26", "2021-04-01", "2021-03-29", None, -0.05),
           FoundEpisode("2021-04-09", "2021-04-21", "2021-04-12", None, -0.06)]


def test_false_alarms_are_firings_with_no_found_window_under_way_or_within_the_horizon():
    firings = ["2021-03-01",   # 14 days on: 03-15, before the first window: false
               "2021-03-15",   # 03-29 is inside the first window: true
               "2021-03-30",   # the first window is under way: true
               "2021-04-02",   # a day after the first window, 7 days short of the second: false
               "2021-04-02",   # the same firing again counts once
               "2021-05-01"]   # nothing follows: false
    result = false_alarms(firings, WINDOWS, horizon_days=14)
    assert (result.firings, result.false_alarms) == (5, 2)
    assert result.share == pytest.approx(2 / 5)
    assert result.dates == ("2021-03-01", "2021-05-01")
    # with a 3-day horizon 2021-04-02 is not followed in time either; with none, nothing fires
    assert false_alarms(firings, WINDOWS, horizon_days=3).dates == \
        ("2021-03-01", "2021-03-15", "2021-04-02", "2021-05-01")
    assert false_alarms([], WINDOWS, horizon_days=14).share is None
