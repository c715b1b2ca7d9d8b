import datetime as dt
import json

import pytest

from feeds import events, instruments
from feeds.errors import DataError
from unwind.evidence import episodes

# Published contract specs (CME Group, HKEX): symbol -> (multiplier, tick size, tick value, ccy).
PUBLISHED = {
    "GC": (100, 0.10, 10.0, "USD"), "MGC": (10, 0.10, 1.0, "USD"),
    "HSI": (50, 1, 50.0, "HKD"), "MHI": (10, 1, 10.0, "HKD"),
    "ZN": (1000, 1 / 64, 15.625, "USD"), "ZB": (1000, 1 / 32, 31.25, "USD"),
    "NQ": (20, 0.25, 5.0, "USD"), "6J": (12_500_000, 0.0000005, 6.25, "USD"),
}


@pytest.mark.parametrize("instrument", [i for i in instruments.load_registry().values()
                                        if i.tradable], ids=lambda i: i.symbol)
def test_tick_value_is_tick_size_times_multiplier(instrument):
    assert instrument.tick_value == pytest.approx(instrument.tick_size * instrument.multiplier)
    assert instrument.initial_margin > 0 or instrument.margin_rate > 0


@pytest.mark.parametrize("symbol", PUBLISHED)
def test_specs_match_the_published_values(symbol):
    multiplier, tick, tick_value, currency = PUBLISHED[symbol]
    instrument = instruments.get(symbol)
    assert (instrument.multiplier, instrument.tick_size, instrument.tick_value,
            instrument.currency) == (multiplier, tick, tick_value, currency)


def test_required_symbols_are_registered():
    required = {"USDJPY", "XAUUSD", "GC", "MGC", "HSI", "MHI", "ZN", "ZB", "NQ", "6J", "VIX",
                "UST2Y", "UST10Y", "UST30Y", "JGB2Y", "JGB10Y", "JGB20Y", "JGB30Y", "JGB40Y",
                "NIKKEI225", "NDX", "SPX", "USDHKD"}
    assert required <= set(instruments.load_registry())


def test_hsi_after_hours_session_history():
    hsi = instruments.get("HSI")
    after_hours = [s for s in hsi.sessions if s.name == "after-hours"]
    assert not any(s.active_on(dt.date(2012, 6, 1)) for s in after_hours)
    assert [s.close.hour for s in after_hours if s.active_on(dt.date(2015, 6, 1))] == [23]
    assert [s.close.hour for s in after_hours if s.active_on(dt.date(2024, 8, 5))] == [3]


def test_unknown_symbol_names_the_nearest(tmp_path):
    with pytest.raises(DataError, match="did you mean USDJPY"):
        instruments.get("USDJPX")


def test_registry_refuses_unknown_fields(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[GC]\nkind = "futures"\nname = "x"\ntimezone = "UTC"\ncalendar = "CMES"\n'
                   'multiplyer = 100\ntick_size = 0.1\n')
    with pytest.raises(DataError, match="unknown field 'multiplyer'.*did you mean multiplier"):
        instruments.load_registry(bad)


def test_list_instruments_json(run_cli):
    result = run_cli("list", "instruments", "--tradable", "--json")
    assert result.code == 0
    rows = {row["symbol"]: row for row in json.loads(result.out)}
    assert rows["ZN"]["tick_value"] == 15.625 and rows["HSI"]["currency"] == "HKD"
    assert "VIX" not in rows


@pytest.mark.parametrize("instrument", [i for i in instruments.load_registry().values()
                                        if i.kind == "futures"], ids=lambda i: i.symbol)
def test_every_future_has_a_roll_rule_and_a_margin_model(instrument):
    rule = instrument.roll
    assert rule is not None and rule.months and rule.roll_days >= 1
    # a cash-index proxy never switches contract; every Yahoo continuous series does
    assert (rule.series == "none") == bool(instrument.proxy)
    assert 0 < instrument.maintenance_ratio < 1
    # a volatility-scaled margin wherever the store has the series to calibrate it on
    assert instrument.margin_sigmas > 0 or instrument.symbol == "6J"


def test_roll_rules_are_the_exchange_cycles():
    months = {symbol: instruments.get(symbol).roll.months
              for symbol in ("GC", "ZN", "ZB", "NQ", "HSI")}
    assert months == {"GC": "GJMQVZ", "ZN": "HMUZ", "ZB": "HMUZ", "NQ": "HMUZ",
                      "HSI": "FGHJKMNQUVXZ"}
    assert instruments.get("GC").roll.references() == [("XAUUSD", "1h")]
    assert instruments.get("ZN").roll.reference_kind == "yield"


def test_a_roll_rule_refuses_unknown_fields(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[GC]\nkind = "futures"\nname = "x"\ntimezone = "UTC"\ncalendar = "CMES"\n'
                   'multiplier = 100\ntick_size = 0.1\nroll = { months = "GJ", expiry = '
                   '"third_friday", roll = "expiry", roll_days = 2, series = "none", '
                   'refrence = ["XAUUSD"] }\n')
    with pytest.raises(DataError, match="roll: unknown field 'refrence'.*did you mean reference"):
        instruments.load_registry(bad)


@pytest.mark.parametrize("load, what", [(instruments.load_registry, "instrument registry"),
                                        (episodes.catalogue, "episode catalogue"),
                                        (events.catalogue, "event calendar")])
def test_a_broken_catalogue_is_one_line_naming_it(tmp_path, load, what):
    broken = tmp_path / "broken.toml"
    broken.write_text("[GC\nkind = 'future'\n")
    with pytest.raises(DataError, match=f"broken.toml: cannot read the {what}: ") as found:
        load(broken)
    assert "\n" not in str(found.value)
    with pytest.raises(DataError, match=f"cannot read the {what}: "):
        load(tmp_path / "absent.toml")
