"""Playbook specs: every field validated with one line naming the file, line and key; the
expression language on series small enough to check by hand; specs found in a folder; and a
spec that re-expresses hsi_short_yen_vol making its trades on real data."""

import pickle
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import strategies
from feeds.errors import DataError
from strategies import expressions, spec, spec_playbook
from strategies.inputs import Inputs

EXAMPLES = Path(strategies.__file__).parent / "examples"
MINIMAL = '''id = "tiny"
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

[parameters.jump_days]
default = 3
unit = "bars"
bounds = [1, 20]
search = [2, 10]
reason = "Half a week."

[lines]
yen_change = "relative_change(yen, jump_days)"

[rule]
entry = "yen_change < -0.02"
'''


@pytest.fixture(autouse=True)
def own_registry(monkeypatch):
    """Specs registered by a test stay in that test."""
    monkeypatch.setattr(strategies, "_REGISTERED", [])
    monkeypatch.delenv(strategies.FOLDER_VARIABLE, raising=False)


def written(tmp_path: Path, text: str, name: str = "tiny.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def error_of(tmp_path: Path, text: str) -> str:
    with pytest.raises(spec.SpecError) as caught:
        spec.read(written(tmp_path, text))
    message = str(caught.value)
    assert "\n" not in message and message.startswith(str(tmp_path / "tiny.toml"))
    return message


def test_the_minimal_spec_is_a_playbook_with_every_name_the_engine_reads(tmp_path):
    module = spec_playbook.build(spec.read(written(tmp_path, MINIMAL)))
    assert (module.ID, module.TRADED, module.BAR, module.SIGNALS) == \
        ("tiny", ("XAUUSD",), "1d", (("USDJPY", "1d"),))
    assert (module.BENCHMARK, module.BENCHMARK_KIND, module.PLAIN_TWIN, module.CALIBRATED_ON,
            module.WARMUP_DAYS) == ("buy and hold XAUUSD", "hold", None, None, 30)
    assert module.Parameters().jump_days == 3 and module.Strategy.SIDE == 1
    assert module.EXITS == module.Strategy.EXITS == ()   # no exit declared: held to the end
    assert module.__doc__.startswith("tiny: Buy gold when the yen jumps.")


@pytest.mark.parametrize("change, expected", [
    (('benchmark = "hold"', 'benchmrk = "hold"'),
     r"line 6: benchmrk: unknown key \(did you mean benchmark\?\)"),
    (('reason = "Half a week."', ''), r"line 19: parameters.jump_days: missing reason"),
    (('search = [2, 10]', 'search = [2, 30]'),
     r"line 23: parameters.jump_days.search: the search range \[2, 30\] goes outside the "
     r"bounds \[1, 20\]"),
    (('unit = "bars"', 'unit = "bar"'),
     r"line 21: parameters.jump_days.unit: 'bar' is not a unit here \(did you mean bars\?\)"),
    (('unit = "bars"', 'unit = "fraction"'),
     r"parameters.jump_days.default: 3.0 is a float; a fraction|"
     r"lines.yen_change: relative_change\(...jump_days...\): jump_days is a float"),
    (('relative_change(yen, jump_days)', 'relative_change(yne, jump_days)'),
     r"line 27: lines.yen_change: unknown name 'yne' \(did you mean yen\?\)"),
    (('relative_change(yen, jump_days)', 'relative_chang(yen, jump_days)'),
     r"unknown function 'relative_chang' \(did you mean relative_change\?\)"),
    (('relative_change(yen, jump_days)', 'relative_change(yen, -1)'),
     r"bars must be a whole number >= 1.*a negative lag would read the future"),
    (('bounds = [1, 20]', 'bounds = [0, 20]'),
     r"the bounds of jump_days allow 0; bars must be >= 1"),
    (('relative_change(yen, jump_days)', 'yen.__class__'), r"unknown field .__class__"),
    (('relative_change(yen, jump_days)', "__import__('os')"), r"unknown function '__import__'"),
    (('relative_change(yen, jump_days)', 'yen[-1]'), r"indexing \(\[...\]\) is not part of"),
    (('yen_change < -0.02', 'yen_change'), r"rule.entry: expected a condition, got a number"),
    (('yen = "USDJPY 1d"', 'yen = "USDJPY daily"'), r'reads.yen: expected "SERIES BAR"'),
    (('symbol = "XAUUSD"', 'symbol = "XAUUSX"'), r"trades.symbol: unknown symbol 'XAUUSX'"),
    (('benchmark = "hold"', 'benchmark = "cash"'), r'benchmark: expected "flat"'),
    (('plain_twin = "none"', 'plain_twin = { jump_dayz = 2 }'),
     r"plain_twin: unknown parameter 'jump_dayz' \(did you mean jump_days\?\)"),
])
def test_each_field_is_validated_with_one_line_naming_its_key(tmp_path, change, expected):
    old, new = change
    assert old in MINIMAL
    assert re.search(expected, error_of(tmp_path, MINIMAL.replace(old, new)))


# A parameter chooses what is traded and read: MINIMAL trading "{metal}".
CHOSEN = MINIMAL.replace('symbol = "XAUUSD"', 'symbol = "{metal}"').replace(
    '[lines]', """[parameters.metal]
default = "XAUUSD"
unit = "choice"
choices = ["XAUUSD", "XAGUSD"]
reason = "Gold; silver as the other reading."

[lines]""")


@pytest.mark.parametrize("change, expected", [
    (('symbol = "{metal}"', 'symbol = "{metl}"'),
     r"line 12: trades.symbol: unknown name 'metl' \(did you mean metal\?\).* in \{metl\}"),
    (('symbol = "{metal}"', 'symbol = "{jump_days}"'),
     r"trades.symbol: \{jump_days\}: jump_days is a bars parameter; a name is chosen by "
     r"choice parameters only"),
    (('choices = ["XAUUSD", "XAGUSD"]', 'choices = ["XAUUSD", "XAGUSX"]'),
     r"trades.symbol: '\{metal\}' at metal=XAGUSX: unknown symbol 'XAGUSX'"),
    (('symbol = "{metal}"', 'symbol = "{metal"'), r"trades.symbol: '\{metal': expected "),
    (('yen = "USDJPY 1d"', 'yen = "{metal if jump_days > 2 else metal} 1d"'),
     r"reads.yen: .*jump_days is a bars parameter"),
    (('yen = "USDJPY 1d"', 'yen = "{metal == \'XAUUSD\'} 1d"'),
     r"reads.yen: \{metal == 'XAUUSD'\}: expected text \(a choice parameter\), got a "
     r"condition"),
    (('yen_change < -0.02', 'yen_change < 0 if yen_change > 0 else yen_change > 0'),
     r"rule.entry: A if CONDITION else B: the condition reads parameters only"),
    (('yen_change < -0.02', "yen_change if metal == 'XAUUSD' else yen_change < 0"),
     r"rule.entry: A if CONDITION else B: A is a number, B a condition"),
    (('yen_change < -0.02', 'happened(jump_days > 2)'),
     r"rule.entry: happened\(...jump_days > 2...\): expected a series, got a single value"),
])
def test_chosen_names_if_else_and_happened_are_validated_in_one_line(tmp_path, change,
                                                                      expected):
    old, new = change
    assert old in CHOSEN
    assert re.search(expected, error_of(tmp_path, CHOSEN.replace(old, new)))


def test_a_choice_parameter_chooses_what_is_traded_and_read(tmp_path):
    text = CHOSEN.replace('yen = "USDJPY 1d"', 'yen = "USDJPY 1d"\nother = "{metal if metal '
                          '== \'XAGUSD\' else pair} 1d"').replace('[lines]', """
[parameters.pair]
default = "AUDJPY"
unit = "choice"
choices = ["AUDJPY", "USDJPY"]
reason = "The carry cross."

[lines]""")
    module = spec_playbook.build(spec.read(written(tmp_path, text)))
    assert (module.TRADED, module.SIGNALS) == (("XAUUSD",), (("USDJPY", "1d"), ("AUDJPY", "1d")))
    silver = module.Parameters(metal="XAGUSD")
    assert module.traded(silver) == ("XAGUSD",)
    assert module.signals_for(silver) == (("USDJPY", "1d"),)     # the traded series is not a signal
    assert module.signals_for(module.Parameters(pair="USDJPY")) == (("USDJPY", "1d"),)
    assert strategies.series_of(module, silver) == (("XAGUSD",), (("USDJPY", "1d"),))


def test_happened_sees_an_event_of_a_shut_hour_at_the_next_traded_bar():
    """Gold trades hours 00, 01, 02, 05, 06 (shut 03-04; a bar opened h is decided at h+1);
    the yen's 1-hour bars run on. The yen is above 100 only on its bar opened 03:00, known at
    04:00, when gold is shut: aligned as known, the condition is gone by gold's next decision
    (06:00 sees the 04:00 bar); happened() counts the yen's bars that held and sees it at 06:00
    (gold's bar opened 05:00), and only there."""
    gold = hourly([10, 10, 10, 10, 10, 10, 10]).drop(pd.to_datetime(
        ["2024-08-05 03:00", "2024-08-05 04:00"], utc=True))
    yen = hourly([90, 90, 90, 101, 90, 90, 90])
    reads = {"gold": (("XAUUSD", "1h"), gold), "yen": (("USDJPY", "1h"), yen)}
    assert evaluate("on_traded(yen > 100) and gold > 0", reads).tolist() == [False] * 5
    assert evaluate("happened(yen > 100)", reads).tolist() == [False, False, False, True, False]
    # two yen bars that held while gold was shut are one event at its next decision
    twice = hourly([90, 90, 90, 101, 101, 90, 90])
    reads["yen"] = (("USDJPY", "1h"), twice)
    assert evaluate("happened(yen > 100)", reads).tolist() == [False, False, False, True, False]


def test_the_jgb_specs_share_one_trigger():
    """jgb_shock_short_zn writes jgb_shock_short_nq's trigger again (a spec has no includes):
    the same lines, records, constraints, variants and notes, so the two cannot drift."""
    nq, zn = (strategies.get(name).SPEC for name in ("jgb_shock_short_nq",
                                                     "jgb_shock_short_zn"))
    def text(tree) -> str:
        return expressions.ast.unparse(tree)

    shared = [name for name in nq.lines if name != "us_change"]
    assert [text(nq.lines[n]) for n in shared] == [text(zn.lines[n]) for n in zn.lines]
    assert (text(nq.entry), text(zn.entry)) == ("jgb_entry and (us_change > 0 or not "
                                                "require_us_rising)", "jgb_entry")
    assert [p for p in nq.parameters if p.name != "require_us_rising"] == \
        [p for p in zn.parameters if p.name != "future"]
    assert (nq.reads["jgb"], nq.variants, nq.rule_notes, nq.exits, nq.warmup_days,
            text(nq.exit)) == \
        (zn.reads["jgb"], zn.variants, zn.rule_notes, zn.exits, zn.warmup_days, text(zn.exit))
    assert [(says, text(tree)) for says, tree in nq.constraints] == \
        [(says, text(tree)) for says, tree in zn.constraints]
    assert [(panel["title"], text(panel["when"])) for panel in nq.panels[:2]] == \
        [(panel["title"], text(panel["when"])) for panel in zn.panels]


def test_a_spec_that_is_not_toml_says_where(tmp_path):
    assert "not TOML" in error_of(tmp_path, MINIMAL.replace('side = "long"', 'side = long'))


def test_the_parameters_refuse_values_outside_their_bounds_and_constraints(tmp_path):
    from unwind.sim.config import build_parameters

    text = MINIMAL.replace('warmup_days = 30', 'warmup_days = 30\nconstraints = '
                           '["jump_days != 7"]')
    module = spec_playbook.build(spec.read(written(tmp_path, text)))
    with pytest.raises(DataError, match=r"jump_days must be in \[1, 20\] \(bars\), got 21"):
        build_parameters(module.Parameters, {"jump_days": "21"})
    with pytest.raises(DataError, match="need jump_days != 7"):
        build_parameters(module.Parameters, {"jump_days": 7})
    assert build_parameters(module.Parameters, {"jump_days": "4"}).jump_days == 4


def test_parameters_travel_to_another_process_by_their_spec(tmp_path):
    path = written(tmp_path, MINIMAL)
    strategies.register(path)
    parameters = strategies.get("tiny").Parameters(jump_days=5)
    assert pickle.loads(pickle.dumps(parameters)) == parameters


# ------------------------------------------------------------ the language on hand-made series
def evaluate(text: str, reads: dict, parameters: dict | None = None,
             traded: tuple = ("XAUUSD", "1h")) -> pd.Series:
    """`text` evaluated on `reads` (name -> ((series, bar), frame)) onto the traded series."""
    keys = {name: key for name, (key, _) in reads.items()}
    inputs = Inputs({key: frame for key, frame in reads.values()})
    scope = expressions.Scope(keys, {}, {n: (type(v).__name__, 1) for n, v in
                                         (parameters or {}).items()}, traded)
    tree = expressions.parse(text)
    expressions.check(tree, scope)
    evaluator = expressions.Evaluator(
        keys, traded, lambda key: inputs.frame(*key),
        lambda series, key: inputs.aligned(series, *key, traded).iloc[:, 0],
        (parameters or {}).get)
    return evaluator.traded_values(evaluator.evaluate(tree))


def hourly(closes, start="2024-08-05 00:00", step="1h") -> pd.DataFrame:
    index = pd.date_range(start, periods=len(closes), freq=step, tz="UTC")
    closes = np.asarray(closes, dtype=float)
    return pd.DataFrame({"open": closes, "high": closes + 1, "low": closes - 1,
                         "close": closes, "volume": 0.0}, index=index)


def test_functions_on_a_series_checked_by_hand():
    gold = hourly([100, 102, 101, 105, 104])
    reads = {"gold": (("XAUUSD", "1h"), gold)}
    assert evaluate("relative_change(gold, 2)", reads).round(6).tolist()[2:] == \
        [0.01, round(105 / 102 - 1, 6), round(104 / 101 - 1, 6)]
    assert evaluate("rising(gold, 1)", reads).tolist() == [False, True, False, True, False]
    assert evaluate("crosses_above(gold, 101.5)", reads).tolist() == \
        [False, True, False, True, False]
    assert evaluate("any_within(gold > 103, 2)", reads).tolist() == \
        [False, False, False, True, True]
    assert evaluate("rolling_low(gold.low, 2)", reads).tolist() == [99, 99, 100, 100, 103]
    assert evaluate("lag(gold, 2) * 2 - gold", reads).tolist()[2:] == [99, 99, 98]
    assert evaluate("0 < relative_change(gold, n) < 0.03", reads, {"n": 1}).tolist() == \
        [False, True, False, False, False]


def test_two_calendars_meet_on_the_traded_bars_as_known_there():
    """A 4-hour USDJPY bar opened 00:00 is known at 04:00: the 1-hour gold bar opened 03:00
    (decided at 04:00) is the first to see it; the 04:00 yen bar is seen from 07:00 on."""
    gold = hourly([100] * 9)
    yen = hourly([150, 140, 130], step="4h")
    reads = {"gold": (("XAUUSD", "1h"), gold), "yen": (("USDJPY", "4h"), yen)}
    seen = evaluate("yen + 0 * gold", reads)
    assert seen.tolist()[:3] == [] or np.isnan(seen.iloc[:3]).all()
    assert seen.tolist()[3:] == [150, 150, 150, 150, 140, 140]
    assert evaluate("change(yen, 1) < 0 and gold > 99", reads).tolist() == \
        [False] * 7 + [True, True]


# ----------------------------------------------------------------------------- discovery
def test_a_folder_of_specs_joins_the_playbooks_and_a_clash_names_both(tmp_path, monkeypatch):
    written(tmp_path, MINIMAL)
    monkeypatch.setenv(strategies.FOLDER_VARIABLE, str(tmp_path))
    assert strategies.ids()[-1] == "tiny" and strategies.ids()[:-1] == strategies.PLAYBOOK_IDS
    assert strategies.get("tiny").TRADED == ("XAUUSD",)
    written(tmp_path, MINIMAL, "copy.toml")
    with pytest.raises(DataError, match=r"tiny.toml: id 'tiny' is already .*copy.toml's"):
        strategies.ids()
    (tmp_path / "copy.toml").write_text(MINIMAL.replace('id = "tiny"',
                                                        'id = "hsi_short_yen_vol"'))
    with pytest.raises(DataError, match="already the package's playbook hsi_short_yen_vol"):
        strategies.get("tiny")


def test_the_examples_validate():
    for path in sorted(EXAMPLES.glob("*.toml")):
        module = spec_playbook.build(spec.read(path))
        assert path.read_text().count("reason = ") == len(module.SPEC.parameters)
    audjpy = spec_playbook.build(spec.read(EXAMPLES / "audjpy_crash_long_gold.toml"))
    assert audjpy.EXITS == audjpy.Strategy.EXITS == ("stop_below:gold_low", "hold_bars")


def test_the_hsi_spec_makes_the_python_playbooks_trades_on_real_data(real_store):
    """The example spec makes the package's hsi_short_yen_vol (itself a spec since its
    Python module was migrated, with byte-identical cells: the golden test): the same decision
    lines (where its inputs are known) and the same trades, at the defaults and with the plain
    twin's filter dropped."""
    from unwind.sim import engine
    from unwind.sim.config import RunConfig

    strategies.register(EXAMPLES / "hsi_short_yen_vol_spec.toml")
    for parameters, least in (((), 15), ((("require_rising", False),), 20)):
        runs = {}
        for playbook in ("hsi_short_yen_vol", "hsi_short_yen_vol_spec"):
            config = RunConfig(playbook=playbook, start="2008-06-01", end="2011-12-31",
                               parameters=parameters, store=str(real_store.root))
            ready = engine.prepare(config)
            runs[playbook] = ready.frames["HSI"], engine.run(config, ready).trades
        (module_lines, module_trades), (spec_lines, spec_trades) = runs.values()
        assert len(module_trades) >= least
        pd.testing.assert_frame_equal(spec_trades, module_trades)
        known = module_lines["yen_volatility"].notna() & module_lines["yen_slope"].notna()
        columns = ["yen_volatility", "yen_volatility_rising", "yen_slope", "entry", "exit"]
        pd.testing.assert_frame_equal(spec_lines.loc[known, columns],
                                      module_lines.loc[known, columns])


def test_an_exit_reads_its_declared_parameter_and_a_renamed_one_is_an_error():
    """A renamed hold parameter no longer disables the exit silently: the executor stops; an
    exit the playbook does not declare is not read at all (its stop_loss is ignored)."""
    from types import SimpleNamespace

    from strategies import exits

    with pytest.raises(DataError, match="declares the exit hold_bars but has no parameter "
                                        "hold_days"):
        exits.levels(SimpleNamespace(holding_days=10), ("exit_line", "hold_bars"), "renamed")
    assert exits.levels(SimpleNamespace(hold_days=10, stop_loss=0.02),
                        ("hold_calendar_days",), "gold") == {"hold_days": 10.0}
    with pytest.raises(DataError, match="EXITS has 'hold_weeks'"):
        exits.checked(("hold_weeks",), "typo")


def test_a_percentage_of_a_future_is_the_contracts_own_return():
    """Printed closes 100, 101, 106, 107 with a switch to the next contract at the third bar,
    5 points dearer (it printed 106 where the old one closed 101: no move). Adjusted in the
    first contract's terms: 100, 101, 101, 102. The contract made +1%, 0%, then 107/106 - 1 =
    +0.9434%; the adjusted series says +0.9901% at the last bar (102/101 - 1), a number that
    depends on which contract the window started in. relative_change of the bare read takes the
    contract's own returns (ratio closes 100, 101, 101, 101 x 107/106); a difference (change)
    reads the adjusted closes, and so does a percentage of a computed line."""
    from strategies import expressions

    index = pd.date_range("2024-08-01", periods=4, freq="D", tz="UTC")
    adjusted = pd.DataFrame({"close": [100.0, 101.0, 101.0, 102.0]}, index=index)
    ratio = pd.Series([100.0, 101.0, 101.0, 101.0 * 107 / 106], index=index)
    key = ("GC", "1d")
    evaluator = expressions.Evaluator({"gc": key}, key, lambda k: adjusted, None,
                                      lambda name: None, lambda k: ratio)

    def line(text: str) -> list[float]:
        return evaluator.evaluate(expressions.parse(text)).data.round(6).tolist()[1:]

    assert line("relative_change(gc, 1)") == line("relative_change(gc.close, 1)") == \
        [0.01, 0.0, 0.009434]
    assert line("change(gc, 1)") == [1.0, 0.0, 1.0]
    assert line("relative_change(gc + 0, 1)") == [0.01, 0.0, 0.009901]
