"""Evidence beside every number of the scorecard: whether a window is holdout or in-sample for a
playbook's calibration, the random-entry null, bootstrap intervals, the full-history base rate
and its excess over the benchmark; unwind.evidence.verdict builds the badge from them.

- `sample`: "holdout" when the window does not overlap the playbook's CALIBRATED_ON window (or
  the playbook fitted nothing to data), else "in-sample".
- `p_random`: unwind.evidence.null_model, the share of 1000 seeded random books with the playbook's
  trades (same count, holding periods, sides and contracts, random entries in the window,
  costed the same way) whose total return is at least the playbook's.
- `ci_low_<metric>`, `ci_high_<metric>`: unwind.evidence.bootstrap, stationary block bootstrap
  intervals of total return and Sharpe from the window's daily returns: 90% nominal, and about
  86% measured on episode-length windows (unwind.evidence.coverage says how).
Each is null with a reason when it cannot be computed (no trades; a position resized while held;
too few daily returns).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

import numpy as np
import pandas as pd

from unwind.evidence import analytics, bootstrap, null_model

RANDOM_BOOKS = 1000
SEED = 20240805
EVIDENCE_COLUMNS = ["sample", "p_random", "ci_low_total_return", "ci_high_total_return",
                    "ci_low_sharpe_ratio", "ci_high_sharpe_ratio", "evidence_note"]


def sample(calibrated_on: tuple[str, str] | None, start: str, end: str) -> str:
    """'in-sample' when [start, end] overlaps the calibration window, else 'holdout'."""
    if calibrated_on is None:
        return "holdout"
    first, last = calibrated_on
    return "in-sample" if start <= last and first <= end else "holdout"


def random_entry_p_value(result, frames: dict[str, pd.DataFrame], books: int = RANDOM_BOOKS,
                         seed: int = SEED) -> tuple[float | None, str]:
    """p_random of a run and why it is null when it is; each traded instrument draws its own
    books (seed + its position), and their P&L adds up over one starting equity."""
    from feeds import instruments

    trades = result.trades
    if trades.empty:
        return None, "no trades in the window"
    config = result.config
    window_start = pd.Timestamp(config.start, tz="UTC")
    window_end = pd.Timestamp(config.end, tz="UTC") + pd.Timedelta(days=1)
    total = np.zeros(books)
    for position, (symbol, own) in enumerate(trades.groupby("symbol", sort=True)):
        instrument = instruments.get(symbol)
        prices = null_model.PricePath.from_frame(frames[symbol], window_start, window_end,
                                                 instrument.tick_value, instrument)
        try:
            drawn = null_model.trades_from_records(own, prices)
        except ValueError as error:
            return None, f"{symbol}: {error}"
        contract = null_model.Contract.of(instrument, config.slippage_ticks,
                                          dict(config.fees).get(symbol))
        total += null_model.random_book_returns(prices, drawn, contract, config.cash_usd,
                                                books, seed + position)
    return null_model.p_random(result.metrics["total_return"], total), ""


def cell_evidence(result, frames: dict[str, pd.DataFrame], calibrated_on) -> dict:
    """The evidence columns of one scorecard cell (EVIDENCE_COLUMNS)."""
    config = result.config
    row = {"sample": sample(calibrated_on, config.start, config.end)}
    notes = []
    row["p_random"], reason = random_entry_p_value(result, frames)
    if reason:
        notes.append(f"p_random: {reason}")
    if result.trades.empty:
        intervals = {key: None for key in EVIDENCE_COLUMNS[2:6]}
        notes.append("intervals: no trades in the window")
    else:
        found = bootstrap.intervals(analytics.daily_returns(result.equity).to_numpy())
        intervals = found.columns()
        notes += [f"{metric}: {text}" for metric, text in found.reasons.items()]
    row.update(intervals)
    row["evidence_note"] = "; ".join(notes)
    return row


@dataclass(frozen=True)
class GroupSummary:
    """What a group of cells (holdout or in-sample) says: the traded cells against their
    benchmark, and the cells with no signal apart (standing aside beats nothing)."""

    cells: int
    traded: int
    beat_benchmark: int                 # of the traded cells
    median_excess_total_return: float | None   # of the traded cells
    median_p_random: float | None
    stood_aside_benchmark_fell: int = 0   # cells with no trade where the benchmark lost

    def to_json(self) -> dict:
        return self.__dict__.copy()


def group_summary(rows: list[dict]) -> GroupSummary:
    own = [r for r in rows if r["status"] == "ok"]
    traded = [r for r in own if r["trades"]]
    excess = [r["excess_total_return"] for r in traded if r["excess_total_return"] is not None]
    p_values = [r["p_random"] for r in traded if r.get("p_random") is not None]
    fell = sum(1 for r in own if not r["trades"] and (r.get("benchmark_total_return") or 0) < 0)
    return GroupSummary(len(own), len(traded), sum(1 for value in excess if value > 0),
                        statistics.median(excess) if excess else None,
                        statistics.median(p_values) if p_values else None, fell)


def paired_excess(equity: pd.Series, benchmark_equity: pd.Series,
                  seed: int = SEED) -> dict:
    """The playbook's daily returns minus its benchmark's on the same UTC days, and the
    bootstrap interval (unwind.evidence.bootstrap, the same stationary block bootstrap as every other
    interval) of their mean: `excess_daily_mean`, `ci_low_excess_daily_mean`,
    `ci_high_excess_daily_mean` (fractions per day), `excess_days`, and `excess_note` saying
    why the interval is null when it is."""
    both = pd.concat([analytics.daily_returns(equity), analytics.daily_returns(benchmark_equity)],
                     axis=1, join="inner").dropna()
    differences = (both.iloc[:, 0] - both.iloc[:, 1]).to_numpy()
    row = {"excess_days": len(differences),
           "excess_daily_mean": float(differences.mean()) if len(differences) else None,
           "ci_low_excess_daily_mean": None, "ci_high_excess_daily_mean": None,
           "excess_note": ""}
    found = bootstrap.intervals(differences, metrics=("mean_return",), seed=seed) \
        if len(differences) else None
    interval = found.by_metric["mean_return"] if found else None
    if interval is None:
        row["excess_note"] = found.reasons["mean_return"] if found else "no common days"
    else:
        row["ci_low_excess_daily_mean"] = interval.ci_low
        row["ci_high_excess_daily_mean"] = interval.ci_high
    return row


def full_history_window(playbook_id: str, store: str | None) -> tuple[str, str]:
    """The first and last day all of a playbook's series (traded and signal, at its default
    parameters) cover in `store`, the first moved on by its warm-up."""
    import strategies
    from feeds.errors import DataError
    from feeds.store import Store

    playbook = strategies.get(playbook_id)
    stored = Store(store)
    firsts, lasts = [], []
    for series, bar in sorted(strategies.series_read((playbook_id,))):
        info = stored.info(series, bar)
        if info is None:
            raise DataError(f"{playbook_id}: {series} {bar} is not in the store")
        firsts.append(pd.Timestamp(info.first[:10]))
        lasts.append(pd.Timestamp(info.last[:10]))
    start = max(firsts) + pd.Timedelta(days=playbook.WARMUP_DAYS)
    if start > min(lasts):
        raise DataError(f"{playbook_id}: its series share no span longer than its warm-up")
    return start.date().isoformat(), min(lasts).date().isoformat()


def episode_pnl(equity: pd.Series) -> tuple[float, float]:
    """(USD made on days inside a catalogue episode's window, USD made in all): daily equity
    changes dated by UTC day."""
    from unwind.evidence import episodes

    daily = analytics.daily_closes(equity)
    pnl = daily.diff().fillna(daily.iloc[0] - equity.iloc[0])
    days = daily.index.tz_localize(None)
    inside = np.zeros(len(daily), dtype=bool)
    for episode in episodes.catalogue().values():
        inside |= (days >= pd.Timestamp(episode.start)) & (days <= pd.Timestamp(episode.end))
    return float(pnl[inside].sum()), float(pnl.sum())


def episode_pnl_share(equity: pd.Series) -> float | None:
    """The share of a run's P&L made inside catalogue episodes (episode_pnl); null when the
    run made no P&L at all."""
    return episode_pnl_columns(equity)["episode_pnl_share"]


def episode_pnl_columns(equity: pd.Series) -> dict:
    """A full-history row's `episode_pnl_share` (episode_pnl_share) and `episode_pnl_usd`, from
    one pass over the catalogue."""
    inside, total = episode_pnl(equity)
    return {"episode_pnl_share": None if total == 0 else round(inside / total, 12),
            "episode_pnl_usd": round(inside, 6)}


# A firing counts as a true alarm when a found unwind is under way within a month (30 calendar
# days, the carry-unwind rule's own aftermath of 20 trading days).
FALSE_ALARM_HORIZON_DAYS = 30


def false_alarm_columns(trades: pd.DataFrame, store, rule: str = "carry-unwind") -> dict:
    """`false_alarm_rate` of a full-history run: the share of its entries (one per trade's
    entry day) with no window of `rule` under way within FALSE_ALARM_HORIZON_DAYS."""
    from feeds.errors import DataError
    from unwind.evidence import episode_finder

    try:
        _, found = episode_finder.find_in_store(rule, store)
    except DataError as error:
        return {"false_alarm_rate": None, "false_alarm_note": str(error)}
    alarms = episode_finder.false_alarms(pd.to_datetime(trades["entry_time"]).dt.date, found,
                                        FALSE_ALARM_HORIZON_DAYS)
    return {"false_alarm_rate": alarms.share, "false_alarms": alarms.false_alarms,
            "firings": alarms.firings,
            "false_alarm_note": f"rule {rule}, horizon {FALSE_ALARM_HORIZON_DAYS} days"}
