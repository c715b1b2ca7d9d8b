"""A playbook's verdict: one badge, one sentence, and the reasoning behind them.

Badges, decided in this order from the full-history row (unwind.studies.scorecard.score_full_history):

- `never traded`: no trade over its full history (or no full history at all: `no evidence`).
- `too few trades`: fewer than MIN_TRADES trades.
- `negative`: its full-history Sharpe interval lies below zero.
- `edge`: all four of
  1. the full-history Sharpe interval lies above zero;
  2. full-history p_random below P_RANDOM_LEVEL (random entries with the same trades rarely do
     as well);
  3. a positive full-history excess total return over its benchmark, and the interval of the
     mean paired daily difference (playbook minus benchmark, same days) above zero: the
     benchmark is what the playbook must add to (bond_hedge's is its own unhedged book, so a
     hedge that only carries the equity leg's beta is not an edge);
  4. at least MIN_TRADES trades.
- `no evidence`: anything else; the sentence names every condition that failed.

Episode counts (holdout and in-sample) compare traded cells with their benchmark; a cell with
no signal is counted apart, with how often the benchmark fell while the playbook stood aside
(standing aside is not beating anything). The share of P&L inside catalogue episodes is quoted
only when the full-history total return's interval excludes zero; otherwise it is in USD.
"""

from __future__ import annotations

from dataclasses import dataclass

from unwind.evidence import coverage

# The conventional one-sided 5% level; 1000 random books resolve p_random to 0.001, so the
# level is read well inside the null's precision, and with eleven playbooks about one would
# pass on luck alone, which is why the interval and the benchmark must agree as well.
P_RANDOM_LEVEL = 0.05
# The bootstrap resamples days, but a trade's days move together, so the trades are the
# sample: from 20 on, the t quantile of a 90% interval is within 5% of the normal one the
# percentile interval stands on (1.73 vs 1.64; 1.83 at 10 trades), and no single trade is more
# than a twentieth of the evidence.
MIN_TRADES = 20

BADGES = ("edge", "no evidence", "negative", "too few trades", "never traded")


@dataclass(frozen=True)
class Verdict:
    """A badge, one sentence, and the reasons (one line each) a reader hovers for."""

    badge: str
    sentence: str
    reasons: tuple[str, ...]

    def text(self) -> str:
        """The whole reasoning in one line (summary.json's `verdict`)."""
        return f"{self.badge}: {self.sentence} " + "; ".join(self.reasons) + "."


def _number(value: float | None, pattern: str = "{:.2f}") -> str:
    return "n/a" if value is None else pattern.format(value)


def _percent(value: float | None) -> str:
    return _number(value, "{:+.1%}")


def _interval(low: float | None, high: float | None, pattern: str, returns: int | None) -> str:
    if low is None or high is None:
        return "no interval"
    return (f"[{pattern.format(low)}, {pattern.format(high)}] "
            f"({coverage.label(returns)})")


def _checks(history: dict) -> list[tuple[str, bool, str]]:
    """The four `edge` conditions: (short name of what is missing, passed, detail)."""
    days = history.get("excess_days")
    low, high = history.get("ci_low_sharpe_ratio"), history.get("ci_high_sharpe_ratio")
    p_random = history.get("p_random")
    excess = history.get("excess_total_return")
    excess_low = history.get("ci_low_excess_daily_mean")
    excess_high = history.get("ci_high_excess_daily_mean")
    trades = history.get("trades") or 0
    benchmark = history.get("benchmark") or "not named"
    sharpe_detail = (f"Sharpe {_number(history.get('sharpe_ratio'))}, interval "
                     f"{_interval(low, high, '{:.2f}', days)}")
    null_detail = (f"p_random {_number(p_random)} (edge needs below {P_RANDOM_LEVEL})"
                   if p_random is not None else
                   f"p_random n/a ({history.get('evidence_note') or 'not computed'})")
    annualised = [None if v is None else v * 252 for v in
                  (history.get("excess_daily_mean"), excess_low, excess_high)]
    excess_detail = (f"excess over its benchmark ({benchmark}): total return {_percent(excess)} "
                     f"(benchmark {_percent(history.get('benchmark_total_return'))}, Sharpe "
                     f"{_number(history.get('benchmark_sharpe_ratio'))}); mean daily "
                     f"difference {_number(annualised[0], '{:+.2%}')} a year, interval "
                     f"{_interval(annualised[1], annualised[2], '{:+.2%}', days)}")
    if history.get("excess_note"):
        excess_detail += f" ({history['excess_note']})"
    return [
        ("its Sharpe interval is not above zero", low is not None and low > 0, sharpe_detail),
        (f"random entries did as well (p_random {_number(p_random)}, needs below "
         f"{P_RANDOM_LEVEL})" if p_random is not None else
         "the random-entry null could not be computed",
         p_random is not None and p_random < P_RANDOM_LEVEL, null_detail),
        (f"no excess over its benchmark ({benchmark}) beyond chance",
         excess is not None and excess > 0 and excess_low is not None and excess_low > 0,
         excess_detail),
        (f"{trades} trades (needs {MIN_TRADES})", trades >= MIN_TRADES,
         f"{trades} trade{'' if trades == 1 else 's'} (edge needs at least {MIN_TRADES})"),
    ]


def decide(history: dict | None) -> Verdict:
    """The badge and sentence of a full-history row (module docstring), with its reasons."""
    if not history or history.get("status") != "ok":
        reason = (history or {}).get("reason") or "not run"
        why = reason.split(";")[0] + ("; --allow-defects runs it and says so"
                                      if "--allow-defects" in reason else "")
        return Verdict("no evidence", "No full-history run to judge by"
                       + (f" ({why})." if history else "."),
                       (f"full history: n/a ({reason})",))
    span = f"{history['start']}..{history['end']}"
    trades = history.get("trades") or 0
    checks = _checks(history)
    reasons = (f"full history {span}",) + tuple(detail for _, _, detail in checks)
    if history.get("reason"):
        reasons += (history["reason"],)
    reasons += tuple(f"run on a quality-gate defect (--allow-defects): {defect}"
                     for defect in history.get("defects_allowed") or ())
    if not trades:
        fired = " ".join(note[0].upper() + note[1:] + "." for note in
                         history.get("rule_notes") or ())
        return Verdict("never traded", f"It never traded over its full history ({span})."
                       + (f" {fired}" if fired else ""), reasons)
    if trades < MIN_TRADES:
        return Verdict("too few trades", f"{trades} trade{'' if trades == 1 else 's'} over "
                       f"{span}: a verdict needs at least {MIN_TRADES}.", reasons)
    if history.get("ci_high_sharpe_ratio") is not None and history["ci_high_sharpe_ratio"] < 0:
        return Verdict("negative", f"It lost over {span}: Sharpe "
                       f"{_number(history.get('sharpe_ratio'))} with its interval below zero.",
                       reasons)
    failed = [name for name, passed, _ in checks if not passed]
    if not failed:
        return Verdict("edge", f"Over {span} its Sharpe interval is above zero, random entries "
                       f"rarely did as well (p_random {history['p_random']:.3f}) and it beat "
                       f"its benchmark ({history.get('benchmark') or 'not named'}) beyond "
                       "chance, from "
                       f"{trades} trades.", reasons)
    return Verdict("no evidence", "No evidence of an edge: " + "; ".join(failed) + ".", reasons)


def group_text(name: str, group: dict) -> str | None:
    """One reasoning line for a group of episode cells (evidence.group_summary), or None when
    the group is empty: traded cells against their benchmark, the others apart."""
    if not group.get("cells"):
        return None
    traded = group["traded"]
    text = f"{name}: traded in {traded} of {group['cells']} episodes"
    if traded:
        text += (f", beat its benchmark in {group['beat_benchmark']} of those {traded} (median "
                 f"excess {_percent(group['median_excess_total_return'])}")
        if group.get("median_p_random") is not None:
            text += f", median p_random {group['median_p_random']:.2f}"
        text += ")"
    aside = group["cells"] - traded
    if aside:
        text += (f"; stood aside in {aside} episode{'' if aside == 1 else 's'}, "
                 f"{group['stood_aside_benchmark_fell']} of them where the benchmark fell")
    return text


def _pnl_distinguishable(history: dict) -> bool:
    low, high = history.get("ci_low_total_return"), history.get("ci_high_total_return")
    return low is not None and high is not None and (low > 0 or high < 0)


def episode_pnl_shown(history: dict) -> str:
    """The P&L inside catalogue episodes, short: a share of the total only when the total
    return's interval excludes zero (a share of a total that may be nothing means nothing),
    else in USD."""
    share, inside = history.get("episode_pnl_share"), history.get("episode_pnl_usd")
    if share is not None and _pnl_distinguishable(history):
        return f"{share:+.0%}"
    return "n/a" if inside is None else f"USD {inside:+,.0f}"


def episode_pnl_text(history: dict) -> str | None:
    """episode_pnl_shown in a reasoning line, or None without the number or a trade."""
    if history.get("episode_pnl_usd") is None or not history.get("trades"):
        return None
    shown = episode_pnl_shown(history)
    if shown.startswith("USD"):
        return (f"{shown} of its P&L inside catalogue episodes (its total, USD "
                f"{history.get('pnl_usd') or 0:+,.0f}, is not distinguishable from zero)")
    return f"{shown} of its P&L inside catalogue episodes"


def summarise(holdout: dict, in_sample: dict, history: dict | None) -> dict:
    """`badge`, `sentence`, `reasons` and `verdict` (the whole line) of a playbook."""
    verdict = decide(history)
    extra = [line for line in (group_text("holdout", holdout),
                               group_text("in-sample", in_sample),
                               episode_pnl_text(history) if history and
                               history.get("status") == "ok" else None) if line]
    full = Verdict(verdict.badge, verdict.sentence, verdict.reasons + tuple(extra))
    return {"badge": full.badge, "sentence": full.sentence, "reasons": list(full.reasons),
            "verdict": full.text()}
