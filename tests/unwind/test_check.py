"""`unwind check`: its look-ahead and parity checks pass on a sound spec and fail on a leaking
or mis-declared one; a spec that does not validate is one FAIL line and exit 1."""

import pandas as pd
import pytest

import strategies
from unwind.studies import check
from unwind.sim import engine, screen
from unwind.sim.config import RunConfig

SPEC = '''id = "yen_jump_long_gold"
thesis = """
Buy gold when the yen jumps."""
article = "004_e916c81bec55fe39.txt"
section = "3"
benchmark = "hold"
plain_twin = "none"
calibrated_on = "none"
warmup_days = 30

[trades]
symbol = "XAUUSD"
bar = "1d"
side = "long"

[reads]
yen = "USDJPY 1d"
gold = "XAUUSD 1d"

[parameters.jump]
default = 0.015
unit = "fraction"
bounds = [0.0, 0.5]
search = [0.005, 0.05]
reason = "About one weekly standard deviation of USDJPY."

[lines]
yen_change = "relative_change(yen, 5)"
gold_low = "rolling_low(gold.low, 10)"

[rule]
entry = "yen_change <= -jump"

[exits]
stop_below = "gold_low"

[exits.target]
default = 0.03
unit = "fraction"
bounds = [0.0, 1.0]
search = [0.0, 0.1]
reason = "A typical haven bid."

[exits.hold]
default = 14
unit = "days"
bounds = [1, 365]
search = [3, 60]
reason = "Two calendar weeks."
'''
WINDOW = ("2019-01-01", "2020-12-31")


@pytest.fixture
def prepared(tmp_path, monkeypatch, real_store):
    """The spec above registered for this test, and its run prepared over WINDOW."""
    monkeypatch.setattr(strategies, "_REGISTERED", [])
    path = tmp_path / "yen_jump_long_gold.toml"
    path.write_text(SPEC)
    playbook = strategies.get(strategies.register(path))
    config = RunConfig(playbook="yen_jump_long_gold", start=WINDOW[0], end=WINDOW[1],
                       store=str(real_store.root))
    return playbook, config, engine.prepare(config)


def test_a_sound_spec_passes_look_ahead_and_parity_with_its_declared_exits(prepared):
    playbook, config, ready = prepared
    assert playbook.EXITS == playbook.Strategy.EXITS == (
        "take_profit", "stop_below:gold_low", "hold_calendar_days")
    assert "values compared" in check.look_ahead(config, ready)
    said = check.parity(config, ready)
    trades = engine.run(config, ready).trades
    assert len(trades) >= 5 and f"the same {len(trades)} trades" in said
    # every exit the spec declares was taken at least once in the window
    assert {"target", "stop", "time"} <= set(trades["exit_reason"])


def test_the_look_ahead_check_catches_a_line_that_reads_tomorrow(prepared, monkeypatch):
    playbook, config, _ = prepared
    honest = playbook.prepare

    def leaking(inputs, parameters):
        lines = honest(inputs, parameters)
        frame = lines["XAUUSD"]
        frame["yen_change"] = frame["yen_change"].shift(-1)     # tomorrow's value today
        return lines

    monkeypatch.setattr(playbook, "prepare", leaking)
    with pytest.raises(AssertionError, match="yen_change at .* reads the future"):
        check.look_ahead(config, engine.prepare(config))


def test_the_parity_check_catches_exits_the_screen_reads_differently(prepared, monkeypatch):
    playbook, config, ready = prepared
    # the screen alone reads other exits than the Strategy declares
    monkeypatch.setattr(screen, "exits_of", lambda _: ("exit_line", "hold_calendar_days"))
    with pytest.raises(AssertionError, match="trade|trades|P&L"):
        check.parity(config, ready)


def test_a_spec_that_does_not_validate_is_one_fail_line(tmp_path, run_cli, monkeypatch):
    monkeypatch.setattr(strategies, "_REGISTERED", [])
    path = tmp_path / "bad.toml"
    path.write_text(SPEC.replace('unit = "days"', 'unit = "weeks"'))
    result = run_cli("check", str(path), "--store", str(tmp_path / "store"))
    assert result.code == 1 and result.err == ""
    failing = [line for line in result.out.splitlines() if line.startswith("FAIL")]
    assert failing == [f"FAIL spec: {path} line 46: exits.hold.unit: 'weeks' is not a unit "
                       "here; expected one of bars, days"]
    assert result.out.splitlines()[-1].startswith("check: FAILED (1 failing)")


def test_a_missing_series_fails_the_data_line(tmp_path, run_cli, monkeypatch):
    monkeypatch.setattr(strategies, "_REGISTERED", [])
    path = tmp_path / "spec.toml"
    path.write_text(SPEC)
    result = run_cli("check", str(path), "--store", str(tmp_path / "empty"))
    assert result.code == 1
    assert "FAIL data: yen_jump_long_gold: " in result.out and "is not in the store" in result.out


def test_the_prepared_frames_hold_the_spec_lines_for_the_pages(prepared):
    _, _, ready = prepared
    frame = ready.frames["XAUUSD"]
    assert {"yen_change", "gold_low", "entry", "exit"} <= set(frame.columns)
    assert set(frame["entry"].unique()) <= {0.0, 1.0} and (frame["exit"] == 0).all()
    window = frame.loc[pd.Timestamp(WINDOW[0], tz="UTC"):]
    assert window["entry"].sum() >= 5
