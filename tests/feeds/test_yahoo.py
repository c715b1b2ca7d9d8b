"""Yahoo fetching with a fake transport: never the network."""

import datetime as dt
import re
import threading
import time

import pandas as pd
import pytest

import feeds
from feeds.errors import DataError
from feeds.sources import yahoo
from feeds.store import Store


def recorded_frame(ticker="GC=F", days=("2024-08-01", "2024-08-02", "2024-08-05")):
    """The shape yfinance 1.x returns by default: MultiIndex columns (Price, Ticker)."""
    index = pd.DatetimeIndex(days, name="Date")
    columns = pd.MultiIndex.from_product([["Adj Close", "Close", "High", "Low", "Open",
                                           "Volume"], [ticker]], names=["Price", "Ticker"])
    values = [[2450.0 + i, 2450.0 + i, 2460.0 + i, 2440.0 + i, 2445.0 + i, 1000 + i]
              for i in range(len(days))]
    return pd.DataFrame(values, index=index, columns=columns)


class FakeTransport:
    def __init__(self, answers=(), online=True):
        self.answers = list(answers)
        self.online = online
        self.calls = []

    def reachable(self):
        return self.online

    def download(self, ticker, start, end, interval):
        self.calls.append((ticker, start, end, interval))
        answer = self.answers.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        if callable(answer):
            return answer()
        return answer


TODAY = dt.date(2024, 8, 6)


def test_fetch_stores_the_download_and_a_rerun_needs_no_network(tmp_path):
    store = Store(tmp_path / "store")
    transport = FakeTransport([recorded_frame()])
    outcome = yahoo.fetch("GC", store, start="2024-08-01", end="2024-08-05", transport=transport,
                          today=TODAY)
    assert outcome.status == "fetched" and outcome.rows == 3
    assert transport.calls == [("GC=F", "2024-08-01", "2024-08-06", "1d")]
    frame = feeds.load("GC", store=store)
    assert frame["close"].tolist() == [2450.0, 2451.0, 2452.0]  # Close, not Adj Close
    offline = FakeTransport([], online=False)
    again = yahoo.fetch("GC", store, start="2024-08-02", end="2024-08-05", transport=offline,
                        today=TODAY)
    assert again.status == "cached" and offline.calls == []


def test_offline_is_one_clear_error_pointing_to_import(tmp_path):
    with pytest.raises(DataError, match="offline: cannot reach Yahoo.*unwind data import"):
        yahoo.fetch("GC", Store(tmp_path / "s"), transport=FakeTransport(online=False),
                    today=TODAY)


def test_rate_limits_are_retried_with_backoff(tmp_path):
    pauses = []
    transport = FakeTransport([yahoo.RateLimited("429"), yahoo.RateLimited("429"),
                               recorded_frame()])
    outcome = yahoo.fetch("GC", Store(tmp_path / "s"), start="2024-08-01", end="2024-08-05",
                          transport=transport, today=TODAY, sleep=pauses.append)
    assert outcome.status == "fetched" and pauses == [1.0, 2.0]
    refused = FakeTransport([yahoo.RateLimited("429")] * 4)
    with pytest.raises(DataError, match="too many requests"):
        yahoo.fetch("GC", Store(tmp_path / "t"), transport=refused, today=TODAY,
                    sleep=lambda s: None)


def test_a_hanging_download_is_cut_at_the_deadline(tmp_path):
    release = threading.Event()
    transport = FakeTransport([lambda: release.wait(30) and recorded_frame()])
    started = time.monotonic()
    with pytest.raises(DataError, match="did not answer within 1 s"):
        yahoo.fetch("GC", Store(tmp_path / "s"), transport=transport, today=TODAY, deadline=1.0)
    assert time.monotonic() - started < 5
    release.set()
    assert not (tmp_path / "s").exists()


def test_an_empty_answer_is_an_error_not_an_empty_series(tmp_path):
    transport = FakeTransport([pd.DataFrame()])
    with pytest.raises(DataError, match="Yahoo returned no rows"):
        yahoo.fetch("NQ", Store(tmp_path / "s"), transport=transport, today=TODAY)


def test_intraday_answers_are_converted_to_utc():
    index = pd.DatetimeIndex(["2024-08-05 09:00", "2024-08-05 10:00"]).tz_localize(
        "America/New_York")
    raw = pd.DataFrame({"Open": [1.0, 2.0], "High": [2.0, 3.0], "Low": [0.5, 1.5],
                        "Close": [1.5, 2.5], "Volume": [1, 2]}, index=index)
    frame = yahoo.normalise(raw, "1h", "test")
    assert frame.index[0] == pd.Timestamp("2024-08-05 13:00", tz="UTC")


def test_fetch_does_not_overwrite_imported_data(tmp_path):
    from feeds.importer import ImportOptions, import_files

    store = Store(tmp_path / "store")
    csv = tmp_path / "gc.csv"
    csv.write_text("Date,Close,High,Low,Open,Volume\n2024-08-01,1,2,0.5,1,0\n"
                   "2024-08-02,1,2,0.5,1,0\n")
    import_files([csv], ImportOptions(symbol="GC"), store)
    with pytest.raises(DataError, match="unwind data fetch GC@yahoo"):
        yahoo.fetch("GC", store, transport=FakeTransport(), today=TODAY)


def test_a_broken_download_is_fetched_again_and_a_broken_import_is_not_overwritten(tmp_path):
    store = Store(tmp_path / "store")
    yahoo.fetch("GC", store, start="2024-08-01", end="2024-08-05",
                transport=FakeTransport([recorded_frame()]), today=TODAY)
    parquet = store.root / "GC" / store.info("GC", "1d").file
    parquet.write_bytes(parquet.read_bytes()[:100])
    with pytest.raises(DataError, match="GC 1d in the store is broken.*`unwind data fetch GC"):
        feeds.load("GC", store=store)
    again = yahoo.fetch("GC", store, start="2024-08-01", end="2024-08-05",
                        transport=FakeTransport([recorded_frame()]), today=TODAY)
    assert again.status == "fetched" and len(feeds.load("GC", store=store)) == 3
    (store.root / "GC" / "1d.json").write_text("{")
    with pytest.raises(DataError, match="manifest 1d.json is not valid JSON"):
        yahoo.fetch("GC", store, start="2024-08-01", end="2024-08-05",
                    transport=FakeTransport([recorded_frame()]), today=TODAY)


def _garbage(price: float, columns=("Adj Close", "Close", "Open", "High", "Low")):
    """The recorded answer with `price` in `columns` of its second day."""
    frame = recorded_frame()
    for column in columns:
        frame.loc[frame.index[1], (column, "GC=F")] = price
    return frame


@pytest.mark.parametrize("answer, bar, message", [
    (lambda: _garbage(1e308, ("Close",)), "1d", "(2024-08-02T00:00:00+00:00): close 1e+308 "
                                               "is above 1e+07"),
    (lambda: _garbage(2451.0 * 1000), "1d", "times the median close"),
    (lambda: recorded_frame(), "1w", "follows the bar before it by 1 day, less than the bar "
                                     "size 1w"),
], ids=["a close of 1e308", "one bar x1000", "daily rows answered for --bar 1w"])
def test_a_download_gets_the_import_sanity_rules_at_fetch_time(answer, bar, message, tmp_path):
    """Garbage from Yahoo is refused before the store is written, as an import refuses it."""
    store = Store(tmp_path / "store")
    with pytest.raises(DataError, match=re.escape(message)) as raised:
        yahoo.fetch("GC", store, start="2024-08-01", end="2024-08-05", bar=bar,
                    transport=FakeTransport([answer()]), today=TODAY)
    assert str(raised.value).startswith("GC (GC=F) 2024-08-01..2024-08-06 " + bar)
    assert not (tmp_path / "store").exists() or not any((tmp_path / "store").rglob("*.json"))
