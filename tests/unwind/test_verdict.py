"""The badge rule on hand-made full-history rows: each badge reachable, each of the four `edge`
conditions failing alone prevents `edge`; episode counts of traded cells only; the P&L inside
episodes as a share only when the total is distinguishable from zero."""

import pytest

from unwind.evidence import cells, verdict


def history(**changes) -> dict:
    """A full-history row that earns `edge`: Sharpe interval [0.2, 1.1], p_random 0.01, excess
    +12% with a mean daily difference interval of [+0.01%, +0.05%], 40 trades."""
    row = {"status": "ok", "reason": "", "start": "2006-01-02", "end": "2025-12-31",
           "trades": 40, "sharpe_ratio": 0.65, "ci_low_sharpe_ratio": 0.2,
           "ci_high_sharpe_ratio": 1.1, "p_random": 0.01, "benchmark": "buy and hold GC",
           "benchmark_total_return": 0.30, "benchmark_sharpe_ratio": 0.3,
           "excess_total_return": 0.12, "excess_daily_mean": 0.0003,
           "ci_low_excess_daily_mean": 0.0001, "ci_high_excess_daily_mean": 0.0005,
           "excess_days": 5000, "total_return": 0.42, "ci_low_total_return": 0.1,
           "ci_high_total_return": 0.8, "pnl_usd": 420000.0, "episode_pnl_share": 0.25,
           "episode_pnl_usd": 105000.0}
    return row | changes


def test_a_row_meeting_all_four_conditions_is_an_edge():
    result = verdict.decide(history())
    assert result.badge == "edge"
    assert "p_random 0.010" in result.sentence and "from 40 trades" in result.sentence
    assert any("90% nominal, about 90% measured" in reason for reason in result.reasons)


NO_EXCESS = "no excess over its benchmark (buy and hold GC) beyond chance"


@pytest.mark.parametrize("changes, missing", [
    ({"ci_low_sharpe_ratio": -0.05}, "its Sharpe interval is not above zero"),
    ({"ci_low_sharpe_ratio": None, "ci_high_sharpe_ratio": None},
     "its Sharpe interval is not above zero"),
    ({"p_random": 0.05}, "random entries did as well (p_random 0.05, needs below 0.05)"),
    ({"p_random": None}, "the random-entry null could not be computed"),
    ({"excess_total_return": -0.01}, NO_EXCESS),
    ({"ci_low_excess_daily_mean": -0.00001}, NO_EXCESS),
    ({"ci_low_excess_daily_mean": None}, NO_EXCESS),
])
def test_each_edge_condition_failing_alone_leaves_no_evidence_naming_it(changes, missing):
    result = verdict.decide(history(**changes))
    assert result.badge == "no evidence"
    assert result.sentence == f"No evidence of an edge: {missing}."


def test_too_few_trades_alone_prevents_an_edge():
    result = verdict.decide(history(trades=verdict.MIN_TRADES - 1))
    assert result.badge == "too few trades"
    assert result.sentence == (f"{verdict.MIN_TRADES - 1} trades over 2006-01-02..2025-12-31: "
                               f"a verdict needs at least {verdict.MIN_TRADES}.")
    assert verdict.decide(history(trades=verdict.MIN_TRADES)).badge == "edge"


def test_never_traded_negative_and_a_missing_full_history():
    assert verdict.decide(history(trades=0)).badge == "never traded"
    lost = verdict.decide(history(sharpe_ratio=-0.6, ci_low_sharpe_ratio=-1.0,
                                  ci_high_sharpe_ratio=-0.1))
    assert lost.badge == "negative" and "Sharpe -0.60" in lost.sentence
    # a Sharpe interval spanning zero is no evidence, not negative
    assert verdict.decide(history(ci_low_sharpe_ratio=-1.0, ci_high_sharpe_ratio=0.1)).badge \
        == "no evidence"
    missing = verdict.decide({"status": "n/a", "reason": "NQ 1d is not in the store"})
    assert missing.badge == "no evidence" and "NQ 1d is not in the store" in missing.reasons[0]
    assert verdict.decide(None).sentence == "No full-history run to judge by."
    assert {verdict.decide(row).badge for row in (
        history(), history(p_random=0.5), history(trades=3), history(trades=0),
        history(ci_low_sharpe_ratio=-1.0, ci_high_sharpe_ratio=-0.1))} == set(verdict.BADGES)


def cell(trades: int, excess: float, benchmark: float) -> dict:
    return {"status": "ok", "trades": trades, "excess_total_return": excess,
            "benchmark_total_return": benchmark, "p_random": 0.5 if trades else None}


def test_episode_counts_compare_traded_cells_and_count_standing_aside_apart():
    # one traded cell that lost to its benchmark; three without a trade, two while the
    # benchmark fell (a no-signal cell's excess is minus the benchmark's return: positive)
    group = cells.group_summary([cell(2, -0.01, 0.02), cell(0, 0.03, -0.03),
                                    cell(0, 0.01, -0.01), cell(0, -0.02, 0.02)])
    assert (group.cells, group.traded, group.beat_benchmark) == (4, 1, 0)
    assert group.median_excess_total_return == -0.01 and group.stood_aside_benchmark_fell == 2
    assert verdict.group_text("holdout", group.to_json()) == (
        "holdout: traded in 1 of 4 episodes, beat its benchmark in 0 of those 1 (median excess "
        "-1.0%, median p_random 0.50); stood aside in 3 episodes, 2 of them where the "
        "benchmark fell")
    silent = cells.group_summary([cell(0, 0.026, -0.026)]).to_json()
    assert verdict.group_text("in-sample", silent) == (
        "in-sample: traded in 0 of 1 episodes; stood aside in 1 episode, 1 of them where the "
        "benchmark fell")


def test_the_pnl_inside_episodes_is_a_share_only_of_a_total_distinguishable_from_zero():
    assert verdict.episode_pnl_text(history()) == "+25% of its P&L inside catalogue episodes"
    # ust_selloff_long_gold's full history: +1.4% total, interval [-3.1%, +7.0%]
    near_zero = history(total_return=0.0145, ci_low_total_return=-0.031,
                        ci_high_total_return=0.070, pnl_usd=14478.13, episode_pnl_share=2.612,
                        episode_pnl_usd=37815.6)
    assert verdict.episode_pnl_text(near_zero) == (
        "USD +37,816 of its P&L inside catalogue episodes (its total, USD +14,478, is not "
        "distinguishable from zero)")
    assert verdict.episode_pnl_shown(near_zero) == "USD +37,816"
    assert verdict.episode_pnl_text(history(trades=0, pnl_usd=0.0, episode_pnl_usd=0.0)) is None


def test_the_summary_entry_has_the_badge_sentence_and_reasons():
    group = cells.group_summary([cell(2, 0.01, 0.0)]).to_json()
    entry = verdict.summarise(group, cells.group_summary([]).to_json(), history())
    assert set(entry) == {"badge", "sentence", "reasons", "verdict"}
    assert entry["badge"] == "edge" and entry["verdict"].startswith("edge: Over 2006-01-02")
    assert entry["reasons"][0] == "full history 2006-01-02..2025-12-31"
    assert entry["reasons"][-2].startswith("holdout: traded in 1 of 1 episodes")
    assert entry["reasons"][-1] == "+25% of its P&L inside catalogue episodes"
