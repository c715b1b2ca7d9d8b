"""`unwind data fetch --update` with a fake transport: never the network."""

import datetime as dt

import feeds
from feeds import refresh
from feeds.sources import yahoo
from feeds.store import Store
from tests.conftest import tree_digest
from tests.feeds.test_yahoo import FakeTransport, recorded_frame


def _stored_gold(root) -> Store:
    store = Store(root)
    yahoo.fetch("GC", store, start="2024-08-01", end="2024-08-05",
                transport=FakeTransport([recorded_frame()]), today=dt.date(2024, 8, 6))
    return store


def test_update_fetches_from_the_last_stored_day(tmp_path):
    store = _stored_gold(tmp_path / "store")
    later = recorded_frame(days=("2024-08-05", "2024-08-06", "2024-08-07"))
    transport = FakeTransport([later])
    done = refresh.refresh(store, [("GC", "1d")], transport, today=dt.date(2024, 8, 7))
    assert transport.calls == [("GC=F", "2024-08-05", "2024-08-08", "1d")]
    assert done.summary() == "" and done.fetched[0].status == "fetched"
    assert feeds.load("GC", store=store).index[-1].date() == dt.date(2024, 8, 7)


def test_offline_update_names_what_it_could_not_refresh_and_changes_nothing(tmp_path):
    store = _stored_gold(tmp_path / "store")
    before = tree_digest(tmp_path / "store")
    done = refresh.refresh(store, [("GC", "1d"), ("NQ", "1d")], FakeTransport([], online=False))
    assert done.summary() == "offline: could not refresh GC 1d, NQ 1d; the store is unchanged"
    assert tree_digest(tmp_path / "store") == before


def test_the_update_command_offline_is_one_line(store_dir, run_cli, monkeypatch):
    monkeypatch.setattr(yahoo, "YfinanceTransport", lambda: FakeTransport([], online=False))
    result = run_cli("data", "fetch", "--update")
    assert result.code == 0 and result.out == ""
    assert result.err.startswith("offline: could not refresh GC 1d, HSI 1d, NQ 1d, USDJPY 1d")
    assert len(result.err.strip().splitlines()) == 1
