"""bond_hedge: an equity-index futures book that adds Treasury note futures in turmoil, sized by
how the two have been moving together.

Thesis (seed 004_e916c81bec55fe39.txt, section 6): "in equity turmoil, holding an appropriate
amount of Treasury futures smooths the book". The book is long the equity index from the
window's start; while the yen-volatility stress signal is on (the same signal as
hsi_short_yen_vol: USDJPY realised volatility high and rising), it also holds ZN.
"Appropriate amount": the minimum-variance hedge. Over the last `beta_days` sessions the equity
leg's daily returns are regressed on ZN's: beta = cov(equity, ZN) / var(ZN); the ZN notional
that minimises the book's variance is -beta x the equity notional. Bonds hedge only when beta
is negative; when they have been moving with equities (beta >= 0, as in 2022) the hedge is
zero, because the thesis holds bonds, it does not short them. The hedge notional is capped at
`max_hedge` x the equity notional (a hedge, not a second position).
Schedule: every `rebalance_days` equity sessions both legs are resized (the equity leg to the
risk budget, the hedge to the beta); the hedge also goes on or off on the day the stress
signal turns. Partial reductions are booked with exit_reason "rebalance".
Instruments: NQ (or HSI with `equity=HSI`) and ZN, daily; USDJPY daily as the signal.
Benchmark: the same book without the hedge (`hedge=false`), shown beside it in every cell.
Regime read: not used by default; stress is the yen-volatility read the thesis names.
Calibrated on 1990-01-01..2007-12-31 (the stress thresholds, from hsi_short_yen_vol); the
beta window and the cap are conventions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from feeds import calendars, instruments
import strategies
from strategies import signals
from strategies.base import CommonParameters, backtrader_params, require
from strategies.panel import Panel
from strategies.book import Playbook, target_contracts
from strategies.inputs import Inputs

ID = "bond_hedge"
SEED = "004_e916c81bec55fe39.txt (section 6)"
TRADED = ("NQ", "ZN")
BAR = "1d"
SIGNALS = (("USDJPY", "1d"),)
WARMUP_DAYS = 120
BENCHMARK = "the equity leg alone (hedge=false)"
BENCHMARK_KIND = {"hedge": False}
PLAIN_TWIN = None
# The stress signal is hsi_short_yen_vol's (strategies/specs/hsi_short_yen_vol.toml): its
# window and its defaults, with its reasons.
_STRESS = strategies.get("hsi_short_yen_vol")
_YEN = strategies.defaults(_STRESS)
CALIBRATED_ON = _STRESS.CALIBRATED_ON
# Ranges a sweep's random draws and the parity tests take parameters from, around each default.
SEARCH_SPACE = {"beta_days": (20, 120), "max_hedge": (0.25, 2.0), "rebalance_days": (1, 20),
                "high_volatility": (0.06, 0.2)}


@dataclass(frozen=True)
class Parameters(CommonParameters):
    # The equity book the article's "equity turmoil" hits hardest through the unwind (US tech);
    # `equity=HSI` tests the Hong Kong book of section 2.
    equity: str = "NQ"
    # The hedge is the point; `hedge=false` is the unhedged book (the benchmark).
    hedge: bool = True
    # A convention, not read off data: three months of daily returns, long enough for a stable
    # beta, short enough to follow the stock-bond correlation when it changes sign.
    beta_days: int = 60
    # The hedge's notional is at most the equity leg's.
    max_hedge: float = 1.0
    # Weekly: often enough to follow the risk budget, rarely enough to keep costs small.
    rebalance_days: int = 5
    # The stress signal is hsi_short_yen_vol's, with its defaults and reasons.
    volatility_days: int = _YEN["volatility_days"]
    high_volatility: float = _YEN["high_volatility"]
    rising_days: int = _YEN["rising_days"]

    def __post_init__(self):
        super().__post_init__()
        require(self.equity in ("NQ", "HSI"), "equity must be NQ or HSI")
        require(self.beta_days >= 10 and self.rebalance_days >= 1,
                "beta_days must be >= 10 and rebalance_days >= 1")
        require(0 <= self.max_hedge <= 5, "max_hedge must be between 0 and 5")
        require(self.volatility_days >= 2 and self.rising_days >= 1,
                "volatility_days must be >= 2 and rising_days >= 1")
        require(0 < self.high_volatility < float("inf"), "high_volatility must be positive")


def traded(parameters: Parameters) -> tuple[str, ...]:
    return (parameters.equity, "ZN")


def hedge_beta(equity_close: pd.Series, bond_close: pd.Series, days: int) -> pd.Series:
    """Rolling beta of the equity's daily returns on the bond future's, over `days` sessions
    both traded (on the equity's dates; each return known at the later of the two closes).
    Pass each future's `Inputs.ratio_close`: its returns are the contracts' own, whatever
    window was loaded."""
    both = pd.concat({"equity": equity_close, "bond": bond_close}, axis=1, sort=True).dropna()
    returns = both.pct_change()
    covariance = returns["equity"].rolling(days).cov(returns["bond"])
    return covariance / returns["bond"].rolling(days).var()


def yen_stress(inputs: Inputs, onto: tuple[str, str], parameters: Parameters) -> pd.Series:
    """1 while USDJPY realised volatility is above high_volatility and above its value
    rising_days earlier (hsi_short_yen_vol's lines), as known at each bar of `onto`."""
    yen = inputs.frame("USDJPY", "1d")["close"]
    volatility = signals.realised_volatility(yen, parameters.volatility_days, 252)
    computed = pd.DataFrame({
        "yen_volatility": volatility,
        "yen_volatility_rising": (volatility > volatility.shift(parameters.rising_days)
                                  ).astype(float)})
    lines = inputs.aligned(computed, "USDJPY", "1d", onto)
    return ((lines["yen_volatility"] > parameters.high_volatility)
            & (lines["yen_volatility_rising"] > 0)).astype(float)


def prepare(inputs: Inputs, parameters: Parameters) -> dict[str, pd.DataFrame]:
    equity = parameters.equity
    beta = hedge_beta(inputs.ratio_close(equity, BAR), inputs.ratio_close("ZN", BAR),
                      parameters.beta_days)
    # a date's beta is known once both of its closes are
    known = pd.DatetimeIndex(np.maximum(*(calendars.known_at(beta.index,
                                                              instruments.get(symbol)).asi8
                                          for symbol in (equity, "ZN"))), tz="UTC")
    lines = {}
    for symbol in traded(parameters):
        onto = (symbol, BAR)
        stress = yen_stress(inputs, onto, parameters)
        lines[symbol] = pd.DataFrame({
            "stress": stress,
            "hedge_beta": signals.align(beta, known, inputs.decision_times(*onto)).iloc[:, 0]
            .to_numpy()}, index=stress.index)
    return lines


def panels(parameters: Parameters) -> tuple[Panel, ...]:
    return (Panel("Stress: yen volatility above high_volatility and rising (1 = hedge on)",
                  ("stress",), "flag"),
            Panel(f"Beta of {parameters.equity} on ZN over {parameters.beta_days} sessions "
                  "(the hedge is on only below 0)", ("hedge_beta",), "ratio", (("0", 0.0),)))


class Strategy(Playbook):
    params = backtrader_params(Parameters)

    def __init__(self):
        super().__init__()
        self.equity_sessions = 0
        self.hedge_on = False

    def decide(self):
        if not self.trading_allowed():
            return
        equity, notes = self.datas[0], self.datas[1]
        rebalance = False
        if equity.fresh[0]:
            rebalance = self.equity_sessions % self.p.rebalance_days == 0
            self.equity_sessions += 1
            if rebalance:
                target_contracts(self, equity, self.getsizer().contracts(equity),
                                 reason="rebalance")
        if notes.fresh[0] and not notes.inputs_stale[0]:   # a stale yen decides nothing
            stress = bool(self.p.hedge and notes.stress[0] > 0 and self.regime_allows(notes))
            if rebalance or stress != self.hedge_on:
                self.hedge_on = stress
                target_contracts(self, notes, self.hedge_contracts(equity, notes) if stress
                                 else 0, reason="signal" if not stress else "rebalance")

    def hedge_contracts(self, equity, notes) -> int:
        """Whole ZN contracts for the minimum-variance hedge of the equity leg (capped), each
        notional at its printed price (the traded close plus the roll offset)."""
        beta = notes.hedge_beta[0]
        if math.isnan(beta) or beta >= 0:
            return 0
        held = self.getposition(equity).size or self.getsizer().contracts(equity)
        equity_notional = abs(held) * (equity.close[0] + equity.roll_offset[0]) * \
            self._instrument[equity._name].multiplier * equity.usd_per_local[0]
        contract_notional = (notes.close[0] + notes.roll_offset[0]) * \
            self._instrument[notes._name].multiplier * \
            notes.usd_per_local[0]
        ratio = min(-beta, self.p.max_hedge)
        return math.floor(ratio * equity_notional / contract_notional)
