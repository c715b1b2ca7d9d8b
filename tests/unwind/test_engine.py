"""Every playbook on the real data of summer 2024: what it did, no look-ahead, stable reruns."""

import json

import pandas as pd
import pytest

import strategies
from strategies.base import CommonParameters, backtrader_params
from strategies.book import Playbook
from unwind.sim.config import RunConfig
from unwind.sim.engine import run

WINDOW = ("2024-06-01", "2024-09-30")


def summer(real_store, playbook, end=WINDOW[1], **options):
    return run(RunConfig(playbook=playbook, start=WINDOW[0], end=end,
                         store=str(real_store.root), **options))


@pytest.fixture(scope="module")
def results(real_store):
    return {playbook: summer(real_store, playbook) for playbook in strategies.ids()}


def holding(trades: pd.DataFrame, symbol: str, side: str, day: str) -> bool:
    """Whether a `side` position in `symbol` was open at some point of `day` (UTC)."""
    start, end = pd.Timestamp(day, tz="UTC"), pd.Timestamp(day, tz="UTC") + pd.Timedelta(days=1)
    entries = pd.to_datetime(trades["entry_time"])
    exits = pd.to_datetime(trades["exit_time"])
    return bool(((trades["symbol"] == symbol) & (trades["side"] == side) & (entries < end)
                 & (exits > start)).any())


@pytest.mark.parametrize("playbook", strategies.ids())
def test_each_playbook_produces_a_scored_window(results, playbook):
    result = results[playbook]
    assert result.equity.index[0] >= pd.Timestamp(WINDOW[0], tz="UTC")
    assert result.equity.index[-1] < pd.Timestamp("2024-10-01", tz="UTC")
    assert set(result.metrics) >= {"total_return", "max_drawdown", "sharpe_ratio", "trades",
                                   "hit_rate", "exposure", "pnl_usd", "fees_usd"}
    assert result.metrics["trades"] == len(result.trades)
    assert not result.synthetic
    assert result.regime_shares["deleveraging"] > 0  # early August reads as deleveraging


def test_the_plain_twin_trades_more_often(results):
    assert results["gold_dip_any_session"].metrics["trades"] > \
        results["gold_asia_dip"].metrics["trades"]


def test_gold_haven_turn_waits_for_the_selling_to_end(results):
    entries = results["gold_haven_turn"].trades["entry_time"]
    assert len(entries) >= 1 and (entries > "2024-08-06").all()


def test_jgb_and_spread_playbooks_find_no_signal_in_a_deleveraging_summer(results):
    # JGB yields fell in August 2024 (deleveraging, not fiscal risk): no JGB shock to short on;
    # the US-Japan spread narrowed 0.35 pp in 20 days, short of the 2-sigma 0.40 pp rule.
    assert results["jgb_shock_short_nq"].metrics["trades"] == 0
    assert results["spread_unwind_long_yen"].metrics["trades"] == 0
    assert results["spread_unwind_long_yen"].metrics["total_return"] == 0.0


@pytest.mark.parametrize("cut", ["2024-08-07", "2024-09-10"])
@pytest.mark.parametrize("playbook", strategies.ids())
def test_no_look_ahead_cutting_the_data_keeps_earlier_orders(real_store, results, playbook, cut):
    def ordered(trades):
        return trades.sort_values(["entry_time", "symbol"]).reset_index(drop=True)

    def rows(trades):
        return trades.to_dict("records")

    truncated = ordered(summer(real_store, playbook, end=cut).trades)
    full = ordered(results[playbook].trades)
    cut = (pd.Timestamp(cut) + pd.Timedelta(days=1)).date().isoformat()  # the cut day is kept
    columns = ["entry_time", "symbol", "side", "contracts", "entry_price"]
    assert rows(truncated[columns]) == rows(full[full["entry_time"] < cut][columns])
    assert rows(truncated[truncated["status"] == "closed"]) == \
        rows(full[full["exit_time"] < cut])


@pytest.mark.parametrize("playbook", strategies.ids())
def test_runonce_and_preload_modes_agree(real_store, results, playbook):
    reference = results[playbook]
    for runonce, preload in [(True, False), (False, True), (False, False)]:
        other = summer(real_store, playbook, runonce=runonce, preload=preload)
        assert other.metrics == reference.metrics, (runonce, preload)
        assert other.trades.equals(reference.trades)


def test_a_rerun_writes_byte_identical_metrics(real_store, tmp_path, run_cli):
    directories = []
    for _ in range(2):
        result = run_cli("run", "hsi_short_yen_vol", "--store", str(real_store.root), "--out",
                         str(tmp_path), "--json")
        assert result.code == 0, result.err
        directories.append(json.loads(result.out)["run_dir"])
    assert directories[0] != directories[1]
    first, second = (open(f"{d}/metrics.json", "rb").read() for d in directories)
    assert first == second
    trades = pd.read_csv(f"{directories[0]}/trades.csv")
    assert list(trades.columns) == [
        "entry_time", "exit_time", "symbol", "side", "contracts", "entry_price", "exit_price",
        "currency", "gross_pnl_local", "fees_local", "pnl_local", "fx_rate", "pnl_usd",
        "fees_usd", "exit_reason", "bars_held", "mae_usd", "mfe_usd", "status", "rolls",
        "roll_gap", "roll_cost_usd", "financing_local", "financing_usd", "fill_note"]
    equity = pd.read_csv(f"{directories[0]}/equity.csv")
    assert list(equity.columns) == ["time", "equity_usd", "gross_notional_usd", "margin_usd"]
    assert equity["time"][0].endswith("+00:00")
    manifest = json.loads(open(f"{directories[0]}/manifest.json").read())
    assert len(manifest["config_sha256"]) == 64 and manifest["data"][0]["data_sha256"]


@pytest.mark.parametrize("args, message", [
    (["run", "gold_asia_dp"], "unknown playbook 'gold_asia_dp' (did you mean gold_asia_dip?)"),
    (["run", "gold_asia_dip", "-p", "dipp=0.01"], "unknown parameter 'dipp' (did you mean dip?)"),
    (["run", "gold_asia_dip", "-p", "dip=lots"], "parameter dip='lots': expected float"),
    (["run", "gold_asia_dip", "-p", "session=median"], "session must be"),
    (["run", "gold_asia_dip", "-p", "nonsense"], "expected KEY=VALUE"),
    (["run", "gold_asia_dip", "--start", "2024-09-01", "--end", "2024-08-01"], "empty window"),
    (["run", "gold_asia_dip", "--start", "2024-02-30"], "is not a date"),
    (["run", "jgb_shock_short_nq"], "no NQ 1d series in the store"),
])
def test_bad_run_input_is_one_line(store_dir, run_cli, args, message):
    result = run_cli(*args)
    assert result.code != 0
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.err


def test_a_series_failing_the_quality_gate_is_refused(raw, store_dir, run_cli):
    run_cli("data", "import", str(raw / "yf_storage_data_fy/JPY_X.csv"), "--symbol", "USDJPY",
            "--repair-ohlc", "widen")
    run_cli("data", "import", str(raw / "fred_401alert/DGS10.csv"))
    run_cli("data", "import", str(raw / "mof_jgb/jgbcm_all.csv"), "--symbol", "JGB10Y")
    refused = run_cli("run", "spread_unwind_long_yen")
    assert refused.code == 1 and "USDJPY 1d fails the quality gate" in refused.err
    assert "open equals close" in refused.err
    allowed = run_cli("run", "spread_unwind_long_yen", "--allow-defects", "--out",
                      str(store_dir.parent / "runs"))
    assert allowed.code == 0, allowed.err


@pytest.mark.parametrize("playbook", strategies.ids())
def test_no_look_ahead_in_any_line_the_playbook_reads(real_store, playbook):
    """Every line (signals, volatility, FX rate, regime) is the same when every series is cut at
    the instant T by the time its values became known: a value at bar t uses only data known
    by t. T falls mid-day, between the Tokyo and New York closes, where a leak would show."""
    from unwind.sim.engine import prepare

    config = RunConfig(playbook=playbook, start=WINDOW[0], end=WINDOW[1],
                       store=str(real_store.root))
    short = prepare(config, known_by=pd.Timestamp("2024-08-06 12:00", tz="UTC"))
    full = prepare(config)
    for symbol, frame in short.frames.items():
        assert frame.index[-1] >= pd.Timestamp("2024-08-05", tz="UTC")
        later = full.frames[symbol].loc[frame.index]
        pd.testing.assert_frame_equal(frame, later, check_freq=False)


def trading_days(fill_times: pd.Series, symbol: str) -> pd.Series:
    """The trading date (YYYY-MM-DD) each fill instant belongs to on `symbol`'s calendar."""
    from feeds import calendars, instruments

    dates = calendars.trading_dates(pd.DatetimeIndex(pd.to_datetime(fill_times, utc=True)),
                                    instruments.get(symbol))
    return pd.Series(dates.strftime("%Y-%m-%d"), index=fill_times.index)


def test_two_calendars_orders_only_on_each_feeds_own_days(real_store):
    """HSI (HKEX days) with ZN (CME days): backtrader steps over the union of both calendars;
    the playbook trades a feed only on its fresh bars, never on a repeated one."""
    result = summer(real_store, "bond_hedge", parameters=(("equity", "HSI"),))
    hsi_days = set(real_store.read("HSI", "1d")[0].index.strftime("%Y-%m-%d"))
    zn_days = set(real_store.read("ZN", "1d")[0].index.strftime("%Y-%m-%d"))
    assert "2024-07-04" in hsi_days - zn_days and "2024-09-18" in zn_days - hsi_days
    trades = result.trades
    hsi = trades[trades["symbol"] == "HSI"]
    zn = trades[(trades["symbol"] == "ZN") & (trades["status"] == "closed")]
    assert len(hsi) >= 1 and trading_days(hsi["entry_time"], "HSI").isin(hsi_days).all()
    assert trading_days(hsi["exit_time"], "HSI").isin(hsi_days).all()
    assert len(zn) >= 1 and trading_days(zn["entry_time"], "ZN").isin(zn_days).all()
    assert trading_days(zn["exit_time"], "ZN").isin(zn_days).all()
    assert "HSI: HKD converted with HKD peg 7.8" in result.notes


def test_a_run_can_override_margin_and_fee(real_store):
    base = summer(real_store, "hsi_short_yen_vol")
    free = summer(real_store, "hsi_short_yen_vol", fees=(("HSI", 0.0),))
    assert free.metrics["fees_usd"] == 0.0
    assert free.metrics["pnl_usd"] == pytest.approx(base.metrics["pnl_usd"] +
                                                    base.metrics["fees_usd"])
    blocked = summer(real_store, "hsi_short_yen_vol", margins=(("HSI", 2_000_000.0),))
    assert blocked.metrics["trades"] == 0
    assert "cannot carry the margin" in blocked.skips[0]["reason"]


def test_the_regime_read_filters_entries(real_store, results):
    from strategies.regime import DELEVERAGING
    from unwind.sim.engine import prepare

    config = RunConfig(playbook="hsi_short_yen_vol", start=WINDOW[0], end=WINDOW[1],
                       store=str(real_store.root), parameters=(("regime_filter", "deleveraging"),))
    filtered = run(config).trades
    assert 0 < len(filtered) < len(results["hsi_short_yen_vol"].trades)
    regime = prepare(config).frames["HSI"]["regime"]
    for entry in trading_days(filtered["entry_time"], "HSI"):
        decision_bar = regime.index.get_loc(pd.Timestamp(entry, tz="UTC")) - 1  # next open
        assert regime.iloc[decision_bar] == DELEVERAGING


class NeverTrades(Playbook):
    """A strategy that never trades: what a flat benchmark would run on backtrader."""

    params = backtrader_params(CommonParameters)

    def decide(self):
        return


@pytest.mark.parametrize("playbook", ["hsi_short_yen_vol", "spread_unwind_long_yen",
                                      "gold_haven_turn", "gold_asia_dip", "hsi_bottom_long",
                                      "ust_selloff_long_gold", "bond_hedge"])
def test_a_benchmark_from_the_playbooks_prepared_run_equals_its_own_simulation(
        real_store, playbook):
    """run_benchmark given the playbook's prepared run equals the benchmark simulated on
    backtrader: flat (booked without a simulation) against a strategy that never trades; hold
    (on the screen) against the hold strategy on backtrader, trade for trade (hourly gold with
    its financing, GC across a roll, HSI in HKD, daily spot gold); a parameter dict (prepared
    alike) against a run prepared from the store."""
    import dataclasses

    from unwind.sim import benchmark, engine

    config = RunConfig(playbook=playbook, start=WINDOW[0], end=WINDOW[1],
                       store=str(real_store.root))
    ready = engine.prepare(config)
    shared = benchmark.run_benchmark(config, ready)
    kind = strategies.get(playbook).BENCHMARK_KIND
    if isinstance(kind, dict):
        alone = run(dataclasses.replace(config, parameters=tuple(kind.items())))
    elif kind == "flat":
        alone = engine.run(config, ready, NeverTrades)
    else:
        held = benchmark.hold_prepared(ready)
        alone = engine.run(config, held)
        assert len(alone.trades) == 1 and alone.trades["status"].iloc[0] == "open at end"
    pd.testing.assert_series_equal(shared.equity, alone.equity)
    pd.testing.assert_frame_equal(shared.trades, alone.trades)
    assert shared.metrics == {key: value for key, value in alone.metrics.items()
                              if key != "days_to_first_entry"}


def _traded_frame(flag) -> pd.DataFrame:
    """Three hourly bars of a traded frame: prices, the engine's lines and one playbook line."""
    index = pd.date_range("2024-08-05", periods=3, freq="h", tz="UTC")
    from unwind.sim.engine import ENGINE_LINES

    frame = pd.DataFrame({"open": [1.0, 2.0, 3.0], "high": [1.5, 2.5, 3.5],
                          "low": [0.5, 1.5, 2.5], "close": [1.25, 2.25, 3.25]}, index=index)
    for name in ENGINE_LINES:
        if name not in frame:
            frame[name] = 0.0
    frame["roll_offset"] = [0.1, 0.1, 0.2]
    frame["signal"] = flag
    return frame


def test_window_lines_equal_pandas_label_lookup_and_keep_a_boolean_line():
    from unwind.sim.engine import _window_lines

    times = pd.DatetimeIndex(["2024-08-05 00:00", "2024-08-05 02:00"], tz="UTC")
    for flag in ([0.0, 1.0, 0.0], [False, True, False]):
        frame = _traded_frame(flag)
        prices, lines = _window_lines(frame, times, "GC")
        shown = frame.loc[times]
        # by hand: 1.0 + 0.1 = 1.1 and 3.0 + 0.2 = 3.2 (rounded to 10 decimals)
        assert prices["open"].tolist() == [1.1, 3.2]
        assert prices["symbol"].tolist() == ["GC", "GC"]
        assert lines["signal"].tolist() == shown["signal"].tolist()
        assert lines["signal"].dtype == shown["signal"].dtype   # a boolean stays boolean
    # the float frame's whole result is what pandas' label lookup and arithmetic give
    frame = _traded_frame([0.0, 1.0, 0.0])
    prices, lines = _window_lines(frame, times, "GC")
    shown = frame.loc[times]
    expected = shown[["open", "high", "low", "close"]].add(shown["roll_offset"], axis=0).round(10)
    pd.testing.assert_frame_equal(prices, expected.assign(
        session=shown["session"], regime=shown["regime"], symbol="GC"))
    pd.testing.assert_frame_equal(lines, shown[["signal"]].assign(symbol="GC"))


def test_the_regime_read_is_remembered_by_the_closes_content(monkeypatch):
    """Cells that load the same days classify once; a close that differs is read again."""
    from strategies.inputs import Inputs
    from unwind.sim import loading

    # an empty memo of its own: the process's may be one read short of its cap, which clears it
    monkeypatch.setattr(loading, "_REGIME_READS", {})
    days = pd.date_range("2024-07-22", periods=12, freq="B", tz="UTC")
    closes = {"USDJPY": [160.0] * 6 + [155.0, 150.0, 147.0, 146.0, 145.0, 144.0],
              "JGB10Y": [1.0] * 12, "VIX": [15.0] * 6 + [25.0] * 6}

    def inputs(usdjpy):
        bars = {(symbol, "1d"): pd.DataFrame({"close": usdjpy if symbol == "USDJPY" else values},
                                             index=days)
                for symbol, values in closes.items()}
        return Inputs(bars)

    first = loading.regime(inputs(closes["USDJPY"]), ("USDJPY", "1d"))
    held = len(loading._REGIME_READS)
    again = loading.regime(inputs(list(closes["USDJPY"])), ("USDJPY", "1d"))   # new objects
    assert again.equals(first) and len(loading._REGIME_READS) == held
    calm = loading.regime(inputs([160.0] * 12), ("USDJPY", "1d"))
    assert len(loading._REGIME_READS) == held + 1
    # by hand: the yen fell over 1% in five days with VIX at 25 from the 7th day on, known the
    # day after each close: deleveraging (code 1) in the first, neutral (0) throughout the calm
    assert first.dropna().max() == 1.0 and calm.dropna().max() == 0.0


def test_prices_go_onto_the_contract_tick_and_volume_stays():
    """Tick 0.25: 10.1 -> 10.0 (40.4 ticks), 10.13 -> 10.25 (40.52), 9.87 -> 9.75 (39.48),
    10.2 -> 10.25 (40.8); volume is not a price."""
    from unwind.sim.loading import on_tick_grid

    index = pd.DatetimeIndex(["2024-08-01", "2024-08-02"], tz="UTC", name="time")
    frame = pd.DataFrame({"open": [10.1, 10.2], "high": [10.13, 10.2], "low": [9.87, 10.1],
                          "close": [10.0, 10.13], "volume": [7.0, 3.3]}, index=index)
    rounded = on_tick_grid(frame, 0.25)
    assert rounded.to_numpy().tolist() == [[10.0, 10.25, 9.75, 10.0, 7.0],
                                           [10.25, 10.25, 10.0, 10.25, 3.3]]
    assert frame["open"].iloc[0] == 10.1 and on_tick_grid(frame, 0.0) is frame
