"""The page's text shortcuts give what the general path gives: the zoom data's run-length
fields, the blotter's UTC minutes cut from the text, an event's instant made once."""

import numpy as np
import pandas as pd

from feeds import events
from unwind.pages import zoom
from unwind.pages.tear_sheet_tables import when_texts


def test_runs_writes_a_run_once_with_its_count_and_missing_fields_empty():
    assert zoom._runs(np.array([3600, 3600, 3600, 5, -2, -2])) == "3600*3,5,-2*2"
    missing = np.array([False, True, True, False, False])
    assert zoom._runs(np.array([1, 7, 8, 2, 2]), missing) == "1,*2,2*2"
    assert zoom._runs(np.array([4, 4]), np.array([False, True])) == "4,"
    assert zoom._runs(np.array([], dtype=np.int64)) == ""


def test_when_texts_of_utc_text_equal_pandas_and_other_offsets_are_converted():
    utc = pd.Series(["2024-08-05T13:07:00+00:00", "2024-08-05 23:59:59.5+00:00",
                     "2024-08-06T00:00+00:00"])
    assert when_texts(utc) == pd.to_datetime(utc, utc=True, format="ISO8601").dt.strftime(
        "%Y-%m-%d %H:%M").tolist() == ["2024-08-05 13:07", "2024-08-05 23:59",
                                       "2024-08-06 00:00"]
    tokyo = pd.Series(["2024-08-05T13:00:00+09:00", "2024-08-05T13:00:00+00:00"])
    assert when_texts(tokyo) == ["2024-08-05 04:00", "2024-08-05 13:00"]


def test_an_events_instant_is_made_once_and_equals_its_own():
    fomc = next(event for event in events.catalogue() if event.kind == "fomc")
    statement = pd.Timestamp(f"{fomc.date} {fomc.time or '14:00'}", tz="America/New_York")
    assert fomc.instant == statement.tz_convert("UTC")   # New York 14:00 -> UTC
    assert fomc.instant is fomc.instant


def test_tenths_texts_write_what_python_writes_ties_signs_and_strays_included():
    from unwind.pages.chart_scales import tenths_texts

    values = np.array([0.25, 0.35, 0.05, 2.45, -0.04, -0.0, 0.0, 12.349999999, 1e9, np.nan,
                       -np.inf, 1999.95, -1999.95, 123.45000000000002])
    assert tenths_texts(values).tolist() == ["%.1f" % value for value in values.tolist()]
    assert tenths_texts(values)[:5].tolist() == ["0.2", "0.3", "0.1", "2.5", "-0.0"]
    spread = np.random.default_rng(3).normal(0, 500, 5000)
    assert tenths_texts(spread).tolist() == ["%.1f" % value for value in spread.tolist()]


def test_a_long_path_is_written_as_a_short_one_is():
    from unwind.pages import charts

    x = np.linspace(84.0, 1171.0, 1000)
    y = 100 + 80 * np.sin(x / 37)
    assert charts._path(x, y) == "M" + " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(x, y))
