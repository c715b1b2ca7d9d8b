"""Rolls: dates from the exchange rules, a gap estimated by hand, roll-adjusted P&L on real data.

The engine tests run a tiny "hold" playbook (tests/unwind/holding.py) so they check the
execution model, not a playbook's rule.
"""

import dataclasses
import datetime as dt

import numpy as np
import pandas as pd
import pytest

from feeds import calendars, instruments, rolls
from tests.unwind.holding import hold, import_into, run_hold


@pytest.mark.parametrize("symbol, month, expiry, roll, switch", [
    # NQ: third Friday; CME's roll date 8 days before it (6 sessions); Yahoo's NQ=F switches on
    # the session after expiry, measured from the close of the session before it.
    ("NQ", "2025-12", "2025-12-19", "2025-12-11", ("2025-12-18", "2025-12-22")),
    # NQ June 2004: eight calendar days before the 06-18 expiry is Thursday 06-10; the CME was
    # shut on Friday 06-11 (President Reagan's funeral), and counting six sessions rolled on
    # 06-09, a day early.
    ("NQ", "2004-06", "2004-06-18", "2004-06-10", ("2004-06-17", "2004-06-21")),
    # ES March 2008: the third Friday (03-21) was Good Friday, so expiry is Thursday 03-20 and
    # the roll eight calendar days before it, Wednesday 03-12.
    ("ES", "2008-03", "2008-03-20", "2008-03-12", ("2008-03-19", "2008-03-24")),
    # GC February 2026: first notice = last business day of January (2026-01-30); roll two
    # business days before (01-28); last trade = third-last business day of February (02-25).
    ("GC", "2026-02", "2026-02-25", "2026-01-28", ("2026-02-24", "2026-02-26")),
    # ZN September 2024: last trade 7 business days before the month's last (09-30): 09-19;
    # first notice 08-30, roll 08-28.
    ("ZN", "2024-09", "2024-09-19", "2024-08-28", ("2024-09-18", "2024-09-20")),
    # ZB March 2024: the month's last CME session is 03-28 (Good Friday closed): 03-19.
    ("ZB", "2024-03", "2024-03-19", "2024-02-27", ("2024-03-18", "2024-03-20")),
    # HSI August 2024: the business day before the last (08-30): 08-29; roll the day before.
    # A cash-index proxy never switches contract.
    ("HSI", "2024-08", "2024-08-29", "2024-08-28", (None, None)),
])
def test_roll_dates_follow_the_exchange_rules(symbol, month, expiry, roll, switch):
    first = pd.Timestamp(f"{month}-01") - pd.Timedelta(days=45)
    cycle, = [c for c in rolls.cycles(instruments.get(symbol), first, first +
                                      pd.Timedelta(days=80)) if c.expiry.isoformat()[:7] == month]
    assert cycle.expiry.isoformat() == expiry and cycle.roll.isoformat() == roll
    as_text = tuple(d.isoformat() if d else None for d in (cycle.switch_start, cycle.switch_end))
    assert as_text == switch


def test_nq_rolls_on_the_2004_06_10_bar_of_the_stored_series_across_the_closure(real_store):
    """On the store's NQ (Yahoo NQ=F, yf_storage_data_fy/NQ_F.csv): the June 2004 roll is a bar
    of the traded series, counted from the exchange calendar, where 2004-06-11 is no session."""
    from unwind.sim.execution import roll_plan

    nq = instruments.get("NQ")
    frame = real_store.read("NQ", "1d")[0].loc["2004-05-03":"2004-07-30"]
    plan = roll_plan(nq, frame, "1d", {("NQ", "1d"): frame})
    june, = [c for c in plan.cycles if c.contract == "NQM2004"]
    assert june.roll == dt.date(2004, 6, 10)
    assert pd.Timestamp("2004-06-10", tz="UTC") in frame.index
    sessions = calendars.sessions("CMES", pd.Timestamp("2004-06-07"), pd.Timestamp("2004-06-18"))
    assert pd.Timestamp("2004-06-11") not in sessions and pd.Timestamp("2004-06-10") in sessions
    assert (pd.Timestamp("2004-06-18") - pd.Timestamp(june.roll)).days == 8


def test_a_roll_rule_counts_what_it_names():
    # NQ June 2004 (expiry Friday 06-18; no session on 06-11): six sessions back is 06-09,
    # eight calendar days back is 06-10; seven calendar days back (Friday 06-11, no session)
    # rolls on the session before it, 06-10
    nq = instruments.get("NQ")

    def june_roll(**change) -> dt.date:
        instrument = dataclasses.replace(nq, roll=dataclasses.replace(nq.roll, **change))
        return [c for c in rolls.cycles(instrument, pd.Timestamp("2004-05-01"),
                                        pd.Timestamp("2004-07-31"))
                if c.contract == "NQM2004"][0].roll

    assert june_roll(roll_days=6, roll_count="sessions") == dt.date(2004, 6, 9)
    assert june_roll() == dt.date(2004, 6, 10)
    assert june_roll(roll_days=7) == dt.date(2004, 6, 10)


def test_contracts_remembered_from_other_windows_are_the_ones_a_fresh_process_computes(
        monkeypatch):
    # a scorecard's cells ask for overlapping windows; each contract is computed once per
    # process (rolls._CONTRACTS) and must not depend on the window that computed it first
    windows = [("2003-11-20", "2004-03-01"), ("2004-02-10", "2008-05-05"),
               ("2007-12-31", "2008-04-30"), ("2019-06-01", "2026-03-20")]
    for symbol in ("NQ", "GC", "ZB", "HSI"):
        instrument = instruments.get(symbol)
        for first, last in windows:
            remembered = rolls.cycles(instrument, pd.Timestamp(first), pd.Timestamp(last))
            monkeypatch.setattr(rolls, "_CONTRACTS", {})
            assert rolls.cycles(instrument, pd.Timestamp(first), pd.Timestamp(last)) == \
                remembered
            monkeypatch.undo()


def synthetic(gap: float, level: float = 20_100.0):
    """NQ-like closes on CME sessions 2024-01 .. 2025-02 against a flat reference at 20,000 that
    rises 1% at the end of the December 2024 switch span (2024-12-19 -> 2024-12-23). The future
    is level/20,000 times the reference plus a 3-session wobble of +1, 0, -1 points (the
    method's noise; zero on the span's two closes) and `gap` points from the span's end on."""
    days = calendars.sessions("CMES", pd.Timestamp("2024-01-02"), pd.Timestamp("2025-02-28"))
    reference = pd.Series(20_000.0, index=days)
    reference[days >= "2024-12-23"] = 20_200.0
    wobble = pd.Series(np.resize([1.0, 0.0, -1.0], len(days)), index=days)
    wobble[["2024-12-19", "2024-12-23"]] = 0.0
    future = reference * level / 20_000.0 + wobble
    future[days >= "2024-12-23"] += gap
    return future, {"NDX 1d": reference}


def test_a_known_gap_is_estimated_and_removed():
    # Span 2024-12-19 -> 2024-12-23: F0 = 20,100 (wobble 0), F1 = 20,100 x 1.01 + 200 = 20,501.
    # gap = F1 - F0 x R1 / R0 = 20,501 - 20,100 x 20,200 / 20,000 = 20,501 - 20,301 = 200.
    # Noise: on other days the future moves only by the wobble, so two-session residuals are
    # (w_t - w_t-2) / F: |.| is 2, 1, 1 points in turn, median 1 point, noise = 1.4826 / 20,100
    # = 7.38e-5 of price; z = (200 / 20,100) / 7.38e-5 = 135 >= 2: applied, on the 0.25 grid.
    future, references = synthetic(200.0)
    gaps = rolls.estimate_gaps(instruments.get("NQ"), future, references, future.index[0])
    december, = [g for g in gaps if g.date == dt.date(2024, 12, 23)]
    assert december.start == dt.date(2024, 12, 19) and december.reference == "NDX 1d"
    assert december.estimate == pytest.approx(200.0)
    assert december.noise == pytest.approx(1.4826 / 20_100, rel=1e-3)
    assert december.z == pytest.approx((200 / 20_100) / (1.4826 / 20_100), rel=1e-3)
    assert december.applied == 200.0
    # The adjusted series (printed minus offsets counted from the first bar) moves over the
    # span exactly as the reference: 20,100 x 1% = 201 points, not 201 + 200.
    offsets = rolls.offsets(future.index, gaps, future.index[0])
    adjusted = future - offsets
    assert adjusted["2024-12-23"] - adjusted["2024-12-19"] == pytest.approx(201.0)
    # the September switch had no gap: its estimate is the wobble (a point or two), not applied;
    # March came before 60 sessions of history, so it has no estimate at all
    september, = [g for g in gaps if g.date == dt.date(2024, 9, 23)]
    assert abs(september.estimate) <= 2.0 and september.applied == 0.0
    march, = [g for g in gaps if g.date == dt.date(2024, 3, 18)]
    assert march.estimate is None and march.applied == 0.0


def test_a_gap_inside_the_noise_is_left_alone():
    # A 2-point gap: z = (2 / 20,100) / 7.38e-5 = 1.35 < 2: reported, not applied.
    future, references = synthetic(2.0)
    gaps = rolls.estimate_gaps(instruments.get("NQ"), future, references, future.index[0])
    december, = [g for g in gaps if g.date == dt.date(2024, 12, 23)]
    assert december.estimate == pytest.approx(2.0)
    assert december.z == pytest.approx(1.35, abs=0.01) and december.applied == 0.0


def test_offsets_count_from_the_anchor():
    # Gaps +200 on 2024-03-18 and -50 on 2024-06-24, anchored at 2024-04-01: bars before the
    # March switch sit 200 below (-200), bars from 04-01 to 06-21 at 0, later bars at -50.
    gaps = [rolls.Gap("NQH2024", dt.date(2024, 3, 18), dt.date(2024, 3, 14), "NDX 1d", 200.0,
                      1e-4, 20.0, 200.0),
            rolls.Gap("NQM2024", dt.date(2024, 6, 24), dt.date(2024, 6, 20), "NDX 1d", -50.0,
                      1e-4, -5.0, -50.0)]
    dates = pd.DatetimeIndex(["2024-03-15", "2024-03-18", "2024-04-01", "2024-06-21",
                              "2024-06-24"])
    assert rolls.offsets(dates, gaps, pd.Timestamp("2024-04-01")).tolist() == \
        [-200.0, 0.0, 0.0, 0.0, -50.0]


@pytest.fixture(scope="module")
def nq_store(real_store, tmp_path_factory, raw):
    """NQ with its roll reference NDX (the shared real store has NQ without NDX)."""
    return import_into(tmp_path_factory, raw, [("yf_storage_data_fy/NQ_F.csv", "NQ"),
                                               ("wsj_clamx4_stockdata/NDX.csv", "NDX")])


def test_nq_held_over_the_december_2025_switch_books_the_index_move(nq_store, monkeypatch):
    """NQ=F rose 2.23% on 2025-12-22 while the NDX rose 0.46%: Yahoo switched from the expired
    December contract (its Friday close, 25,132.79, is the expiry's opening-quotation settlement)
    to March. Over the switch span, Thursday 12-18 close to Monday 12-22 close, the long books
    the index's move, and the 221.5-point gap goes to `roll_gap`, not P&L."""
    result, ready = run_hold(monkeypatch, nq_store, "NQ", "1d", "2025-12-10", "2025-12-31")
    switch, = ready.execution["rolls"]["NQ"]["switches"]
    assert (switch["date"], switch["from_close_of"], switch["reference"]) == \
        ("2025-12-22", "2025-12-18", "NDX 1d")
    assert switch["applied_points"] == 221.5 and switch["z"] > 10
    frame = ready.frames["NQ"]
    printed = frame["close"] + frame["roll_offset"]
    assert printed["2025-12-22"] / printed["2025-12-19"] - 1 == pytest.approx(0.0222, abs=1e-4)
    ndx = nq_store.read("NDX", "1d")[0]["close"]
    index_move = ndx["2025-12-22"] / ndx["2025-12-18"] - 1                  # +1.77%
    booked = frame["close"]["2025-12-22"] - frame["close"]["2025-12-18"]   # 442.5 points
    assert booked == pytest.approx(printed["2025-12-18"] * index_move, abs=0.125)
    trade = result.trades.iloc[0]
    contracts = trade["contracts"]
    day = result.equity.groupby(result.equity.index.date).last()
    assert day[dt.date(2025, 12, 22)] - day[dt.date(2025, 12, 18)] == \
        pytest.approx(booked * 20 * contracts)
    # the trade: entered 12-11 (decided at the 12-10 close), so held across the 12-11 roll
    # (one roll: both legs' fee 2.25 and slippage) and the 12-22 switch (roll_gap 221.5)
    assert (trade["rolls"], trade["roll_gap"]) == (1, 221.5)
    assert trade["gross_pnl_local"] == pytest.approx(
        (trade["exit_price"] - trade["entry_price"] - 221.5) * 20 * contracts)
    ticks = frame["slippage_ticks"][frame["rolls"] > 0].iloc[0]
    assert trade["roll_cost_usd"] == pytest.approx(2 * (2.25 + ticks * 5.0) * contracts)


def test_a_future_without_its_reference_in_the_store_says_so(real_store, monkeypatch):
    _, ready = run_hold(monkeypatch, real_store, "NQ", "1d", "2025-12-10", "2025-12-31")
    assert any("NQ: no roll reference in the store (NDX, QQQ)" in note for note in ready.notes)
    assert ready.execution["rolls"]["NQ"]["switches"] == []
    assert (ready.frames["NQ"]["roll_offset"] == 0).all()


def test_hsi_from_the_cash_index_has_no_gap_but_pays_its_monthly_roll(real_store, monkeypatch):
    # Long HSI through the August 2024 roll (08-28): no switch, no offset; one roll costs both
    # legs' fee (HK$30) and slippage (ticks x HK$50) per contract.
    result, ready = run_hold(monkeypatch, real_store, "HSI", "1d", "2024-08-15", "2024-09-10")
    assert any("HSI: traded from the cash index (a proxy)" in note for note in ready.notes)
    assert (ready.frames["HSI"]["roll_offset"] == 0).all()
    trade = result.trades.iloc[0]
    frame = ready.frames["HSI"].loc["2024-08-15":]
    rolled = frame[frame["rolls"] > 0]
    assert rolled.index[0] == pd.Timestamp("2024-08-29", tz="UTC")   # the next bar collects it
    hkd = 2 * (30.0 + rolled["slippage_ticks"].iloc[0] * 50.0) * trade["contracts"]
    assert (trade["rolls"], trade["roll_gap"]) == (1, 0.0)
    assert trade["roll_cost_usd"] == pytest.approx(hkd * rolled["usd_per_local"].iloc[0])


def test_no_look_ahead_in_the_roll_lines(nq_store, monkeypatch):
    """Cut every series at 2025-12-22 21:30 UTC: the NDX close of 12-22 (21:00 UTC) is known,
    NQ's (16:00 Chicago = 22:00 UTC) is not; the lines of every earlier bar are unchanged, and
    the switch of 12-22 is not yet applied."""
    from unwind.sim import engine

    config = hold(monkeypatch, nq_store, "NQ", "1d", "2025-12-01", "2025-12-31")
    cut = engine.prepare(config, known_by=pd.Timestamp("2025-12-22 21:30", tz="UTC"))
    full = engine.prepare(config)
    short = cut.frames["NQ"]
    assert short.index[-1] == pd.Timestamp("2025-12-19", tz="UTC")
    pd.testing.assert_frame_equal(short, full.frames["NQ"].loc[short.index], check_freq=False)
    assert cut.execution["rolls"]["NQ"]["switches"] == []


def test_ratio_adjusted_closes_carry_the_contracts_own_returns():
    # Printed 100, 102, 110, 99 with a +5 gap applied at the third bar (offsets 0, 0, 5, 5):
    # the contract's own return there is (110 - 5) / 102 - 1, not 110 / 102 - 1; the level is
    # the printed close until the gap, then scaled by (110 - 5) / 110.
    printed = pd.Series([100.0, 102.0, 110.0, 99.0])
    ratio = rolls.ratio_adjusted(printed, np.array([0.0, 0.0, 5.0, 5.0]))
    assert ratio.tolist()[:2] == [100.0, 102.0]
    assert ratio.pct_change().tolist()[1:] == pytest.approx([0.02, 105 / 102 - 1, 99 / 110 - 1])
    # anchored elsewhere (offsets shifted by a constant) the returns are the same
    shifted = rolls.ratio_adjusted(printed, np.array([-5.0, -5.0, 0.0, 0.0]))
    assert shifted.pct_change().tolist()[1:] == pytest.approx(ratio.pct_change().tolist()[1:])
    # no gap: the printed closes themselves
    assert rolls.ratio_adjusted(printed, np.zeros(4)).equals(printed)


@pytest.mark.parametrize("playbook_id, late, early", [
    # ZN's March 2024 switch (2024-03-20, 0.609375 points applied) lies between the two loaded
    # starts (120 calendar days of warm-up: 2024-03-24 and 2024-03-10)
    ("bond_hedge", "2024-07-22", "2024-07-08"),
    # ZN's September 2023 switch (2023-09-21, 0.4375 points) between 2023-12-21 and 2023-09-14
    # (200 days of warm-up)
    ("jgb_shock_short_zn", "2024-07-08", "2024-04-01"),
])
def test_a_later_window_start_moves_no_decision_or_sizing_line(real_store, playbook_id, late,
                                                               early):
    """Two windows ending on the same bar, the later one's loaded history starting after a roll
    gap the earlier one adjusts for: the traded closes differ by that gap (the additive
    adjustment is anchored at each window's first loaded bar), yet on the later window's bars
    every line a decision or a size reads is the same: the playbook's lines, the printed
    prices, and the sizer's volatility, margin and rate (and the slippage)."""
    from unwind.sim import engine
    from unwind.sim.config import RunConfig

    frames = [engine.prepare(RunConfig(playbook_id, start, "2024-08-02",
                                       store=str(real_store.root))).frames for start in
              (late, early)]
    shown, wider = (f["ZN"].loc[late:] for f in frames)
    level = (wider["close"] - shown["close"]).round(10).unique()
    assert len(level) == 1 and level[0] != 0
    for symbol in frames[0]:
        def lines(frame):
            frame = frame.loc[late:]
            return frame.drop(columns=["open", "high", "low", "close", "roll_offset"]).assign(
                printed=frame["close"] + frame["roll_offset"])
        pd.testing.assert_frame_equal(lines(frames[0][symbol]), lines(frames[1][symbol]),
                                      check_exact=False, rtol=1e-9)


def test_a_target_on_a_future_is_a_fraction_of_the_printed_entry_price():
    """A long entered at an adjusted close of 95 whose roll offset is 5 was entered at a printed
    100: a 10% target is 10 points, reached at an adjusted 105 (not at 104.5, 10% of 95). Both
    executors: backtrader's LineRule.exit_reason and the screen kernel's exit_decision."""
    from types import SimpleNamespace

    import numpy as np

    from strategies.base import LineRule
    from unwind.sim import screen_kernel

    def kernel(close: float) -> int:
        closes = np.array([95.0, close])
        return screen_kernel.exit_decision(
            1, np.array([0], dtype=np.int64), 1, closes, np.zeros(2), np.zeros(2), 95.0, 5.0,
            0.0, 0, np.nan, np.nan, 0.0, 0.10, 0.0)

    def backtrader(close: float) -> str | None:
        rule = SimpleNamespace(SIDE=1, EXITS=("take_profit",), entry_close=95.0,
                               entry_offset=5.0, limits={"take_profit": 0.10})
        return LineRule.exit_reason(rule, SimpleNamespace(close={0: close}))

    assert [kernel(c) for c in (104.6, 104.99, 105.0)] == [-1, -1, screen_kernel.TARGET]
    assert [backtrader(c) for c in (104.6, 104.99, 105.0)] == [None, None, "target"]
