"""The exits a LineRule playbook declares, once, and the parameters each reads.

A playbook's Strategy states the exits it reads, in its order, as `EXITS` (a spec declares them
under [exits]; strategies/spec.py). Backtrader (strategies.base.LineRule) and the screen
(unwind/sim/screen.py) both read that tuple and nothing else: a parameter is read only for an exit
the playbook declares, by its declared name, and a declared exit whose parameter the playbook
lacks is an error (`levels`), never a silent 0. Light on purpose: no backtrader, no pandas.
"""

from __future__ import annotations

from feeds.errors import DataError

# Each exit: the parameter it reads (None: a line of the prepared frame), and what it does.
# The order is the screen kernel's rule codes.
RULES: dict[str, tuple[str | None, str]] = {
    "take_profit": ("take_profit", "the close moved `take_profit` (a fraction of the entry "
                                   "decision's printed close, 0 = none) in the position's "
                                   "favour"),
    "stop_loss": ("stop_loss", "the close moved `stop_loss` (a fraction, 0 = none) against it"),
    "exit_line": (None, "the prepared `exit` line is 1"),
    "hold_bars": ("hold_days", "`hold_days` bars of the traded series since the entry decision"),
    "hold_calendar_days": ("hold_days", "`hold_days` calendar days since the entry decision"),
    "stop_below": (None, "the close is below LINE's value captured at the entry decision"),
    "target_at": (None, "the close is at or above LINE's value captured at the entry decision"),
}
# Exits written NAME:LINE.
WITH_LINE = ("stop_below", "target_at")


def checked(exits: tuple[str, ...], owner: str) -> tuple[str, ...]:
    """`exits` when every name is one of RULES (with :LINE exactly for WITH_LINE), else
    DataError naming `owner` (a playbook id)."""
    for rule in exits:
        name, _, line = rule.partition(":")
        if name not in RULES or bool(line) != (name in WITH_LINE):
            raise DataError(f"{owner}: EXITS has {rule!r}; expected one of {', '.join(RULES)} "
                            f"({'/'.join(WITH_LINE)} with :LINE)")
    return tuple(exits)


def levels(parameters, exits: tuple[str, ...], owner: str) -> dict[str, float]:
    """The parameter value each declared exit reads, by parameter name; DataError when the
    playbook declares an exit whose parameter it does not have."""
    found = {}
    for rule in exits:
        parameter = RULES[rule.partition(":")[0]][0]
        if parameter is None:
            continue
        if not hasattr(parameters, parameter):
            raise DataError(f"{owner}: declares the exit {rule} but has no parameter "
                            f"{parameter}")
        found[parameter] = float(getattr(parameters, parameter))
    return found
