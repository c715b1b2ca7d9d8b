"""The API a playbook is written in: parameters from a frozen dataclass, panels, and LineRule.

A playbook module (or a spec, strategies/spec.py, built into one) defines `Parameters` (a frozen
dataclass, the single source of its backtrader params), `prepare()` (vectorised signals, run once
before the backtest) and a `Strategy` whose `decide()` runs on each bar and only reads lines.
The bookkeeping every Strategy inherits (fills, lots, trade records) is strategies/book.py.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from strategies import exits
from strategies.book import REGIMES, Playbook, target_size


def require(condition: bool, message: str) -> None:
    """A parameter's bound: ValueError (shown to the user as one line) when it does not hold.
    NaN fails every comparison, so `require(x > 0, ...)` also refuses NaN."""
    if not condition:
        raise ValueError(message)


@dataclass(frozen=True)
class CommonParameters:
    """Parameters every playbook has."""

    # One typical daily move of the position should cost about 1% of the 1M USD default account.
    risk_budget_usd: float = 10_000.0
    # Trade only on days the regime read (strategies/regime.py) says this; '' = no filter.
    regime_filter: str = ""

    def __post_init__(self):
        require(self.regime_filter in REGIMES, f"regime_filter must be one of {REGIMES}")
        require(0 < self.risk_budget_usd < float("inf"), "risk_budget_usd must be positive")


def backtrader_params(parameters_class: type) -> tuple:
    """(name, default) pairs for a bt.Strategy `params` from a parameters dataclass."""
    return tuple((f.name, f.default) for f in dataclasses.fields(parameters_class))


class LineRule(Playbook):
    """The rule shape most playbooks share, read entirely from precomputed lines: when flat,
    take `SIDE` on a bar whose `entry` line is 1; when in, leave on the first of the exits it
    declares in `EXITS`, in that order (strategies/exits.py): the profit target or the stop
    (fractions of the entry decision's printed close, judged on bar closes; 0 = none; reasons
    "target", "stop"), a stop or target at a line's value captured at the entry decision, the `exit`
    line (reason "signal"), the holding limit in bars or calendar days (reason "time"). Entry
    and exit lines are computed once in the module's `prepare()`, so the same decisions can be
    replayed outside backtrader (unwind/sim/screen.py reads the same EXITS)."""

    SIDE = +1
    EXITS: tuple[str, ...] = ()

    def __init__(self):
        super().__init__()
        self.entry_bar = None
        self.entry_close = None
        self.entry_offset = 0.0
        self.entry_time = None
        self.levels: dict[str, float] = {}
        self.limits = exits.levels(self.p, self.EXITS, type(self).__module__)

    def start(self):
        super().start()
        self._entry = self.data.lines.entry   # read on every bar while flat

    def decide(self):
        data = self.data
        # .get: looking does not create the broker's empty position, which it would then value
        # on every bar (the value is the same without it: an empty position is worth 0)
        if self._positions.get(data):
            reason = self.exit_reason(data)
            if reason:
                target_size(self, data, 0, reason=reason)
            return
        if self._entry[0] > 0 and self.trading_allowed() and self.regime_allows(data):
            target_size(self, data, self.SIDE)
            self.entry_bar, self.entry_close = len(self), data.close[0]
            self.entry_offset = data.roll_offset[0]
            self.entry_time = data.close_time[0]
            self.levels = {rule: getattr(data.lines, rule.partition(":")[2])[0]
                           for rule in self.EXITS if ":" in rule}

    def exit_reason(self, data) -> str | None:
        """A roll-adjusted future's move since the entry is a fraction of the printed close
        at the entry decision (the adjusted close plus its roll offset), so the same trade
        stops at the same price whatever the window's first contract; for any other series
        the offset is 0 and this is close / entry_close - 1."""
        close = data.close[0]
        offset = self.entry_offset
        move = self.SIDE * ((close + offset) / (self.entry_close + offset) - 1)
        limits = self.limits
        for rule in self.EXITS:
            name = rule.partition(":")[0]
            if name == "take_profit" and limits["take_profit"] and \
                    move >= limits["take_profit"]:
                return "target"
            if name == "stop_loss" and limits["stop_loss"] and move <= -limits["stop_loss"]:
                return "stop"
            if name == "stop_below" and close < self.levels[rule]:
                return "stop"
            if name == "target_at" and close >= self.levels[rule]:
                return "target"
            if name == "exit_line" and data.exit[0] > 0:
                return "signal"
            if name.startswith("hold") and self.holding_limit_reached(data, name):
                return "time"
        return None

    def holding_limit_reached(self, data, rule: str) -> bool:
        """`hold_days` since the entry decision, in the unit the exit `rule` declares: bars of
        the traded series (hold_bars) or calendar days (hold_calendar_days; date numbers count
        days); 0 = no limit."""
        limit = self.limits["hold_days"]
        if not limit:
            return False
        if rule == "hold_calendar_days":
            return data.close_time[0] - self.entry_time >= limit
        return len(self) - self.entry_bar >= limit
