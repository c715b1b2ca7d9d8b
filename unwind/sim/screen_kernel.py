"""The screen's position kernel, numba-compiled: size an entry, read the exits, walk the
position bar by bar, and mark each trade's excursions (unwind/sim/screen.py explains the rules
it replays and prepares its arrays)."""

from __future__ import annotations

import math
import os

import numpy as np

from unwind.compat import KERNEL_VARIABLE

# UNWIND_KERNEL=python runs these functions in the interpreter and never imports numba: for a
# process that screens a few short windows (`unwind now`: a year per playbook), where importing
# numba and loading its cached machine code (about 1 s) costs more than the loops it speeds up.
# The arithmetic is the same IEEE double arithmetic either way (no fastmath, no reductions), so
# the answers are the same (tests/unwind/test_now.py holds both to each other).
INTERPRETED = os.environ.get(KERNEL_VARIABLE) == "python"


def _kernel(function):
    """`function` numba-compiled and cached on disk, or as written when INTERPRETED."""
    if INTERPRETED:
        return function
    import numba

    return numba.njit(cache=True)(function)


# Why a position closed, by code.
REASONS = ("signal", "stop", "target", "time", "margin", "end_of_window")
SIGNAL, STOP, TARGET, TIME, MARGIN, END = range(6)
# The kernel's trade columns: one row per trade of the path it returns.
COLUMNS = ("entry_fill", "exit_fill", "contracts", "fees_local", "fees_usd", "financing_usd",
            "financing_local", "roll_cost_usd", "roll_cost_local", "rolls", "reason",
            "entry_due", "exit_due")
(ENTRY_FILL, EXIT_FILL, CONTRACTS, FEES_LOCAL, FEES_USD, FIN_USD, FIN_LOCAL, ROLL_USD,
 ROLL_LOCAL, ROLLS, REASON, ENTRY_DUE, EXIT_DUE) = range(len(COLUMNS))
CARRY = slice(FIN_USD, ROLLS + 1)   # the carrying-cost columns, booked together


# numba-compiled (unless INTERPRETED), cached on disk (cache=True): a process pays the compile
# once per machine, then loads it. `.py_func` of each is the same code in the interpreter
# (bench/sweep.py times both).
@_kernel
def position_size(t, cash, close, roll_offset, usd, volatility, margin, multiplier, budget,
          max_leverage):
    """unwind.sim.accounting.contracts_for for one instrument and no other positions."""
    volatility_t = volatility[t]
    rate = usd[t]
    point_value_usd = multiplier * rate
    if volatility_t != volatility_t or not volatility_t > 0:
        return 0
    wanted = math.floor(budget / (volatility_t * point_value_usd))
    if wanted < 1:
        return 0
    equity = cash
    notional = abs(close[t] + roll_offset[t]) * point_value_usd
    by_leverage = wanted
    if math.isfinite(max_leverage) and notional > 0:
        by_leverage = math.floor((max_leverage * equity - 0.0) / notional)
    margin_usd = margin[t] * rate
    by_margin = wanted
    if margin_usd > 0:
        by_margin = math.floor((equity - 0.0) / margin_usd)
    return max(0, min(wanted, by_leverage, by_margin))


@_kernel
def exit_decision(t, rules, side, close, close_time, exit_line, entry_close, entry_offset,
                  entry_time, decided, stop_level, target_level, stop_fraction, target_fraction,
                  hold):
    """The first exit that holds at bar t's close (a reason code), or -1. The move is a
    fraction of the entry decision's printed close (strategies.base.LineRule.exit_reason)."""
    move = side * ((close[t] + entry_offset) / (entry_close + entry_offset) - 1.0)
    for rule in rules:
        if rule == 0:
            if target_fraction != 0.0 and move >= target_fraction:
                return TARGET
        elif rule == 1:
            if stop_fraction != 0.0 and move <= -stop_fraction:
                return STOP
        elif rule == 2:
            if exit_line[t] > 0:
                return SIGNAL
        elif rule == 3:
            if hold != 0.0 and t - decided >= hold:
                return TIME
        elif rule == 4:
            if close_time[t] - entry_time >= hold:
                return TIME
        elif rule == 5:
            if close[t] < stop_level:
                return STOP
        elif rule == 6:
            if close[t] >= target_level:
                return TARGET
    return -1


@_kernel
def position_path(open_, close, roll_offset, usd, volatility, margin, fee, slippage, financing_long,
          financing_short, roll_cost, rolls, close_time, can_enter, exit_line, stop_levels,
          target_levels, rules, side, multiplier, tick_value, maintenance_ratio, cash, budget,
          max_leverage, stop_fraction, target_fraction, hold, clean, revalued, rate_buying,
          rate_selling):
    """The position path: equity at each close, whether a position is held after each bar's
    fills, and one row per round trip (COLUMNS). `clean`: bars whose open is a fill price;
    `revalued`: spot booked at the current rate, `rate_buying`/`rate_selling` the rate of a
    buy's or a sell's fill at each bar (Market.fill_rates)."""
    n = len(close)
    equity = np.empty(n)
    held = np.zeros(n, dtype=np.bool_)
    trades = np.zeros((n // 2 + 1, len(COLUMNS)))
    count = 0
    position = 0            # signed contracts the broker holds
    base = 0.0              # the broker's adjustment base (last mark or fill price)
    order = 0               # signed contracts to fill at the next open; 0 = none
    due = -1                # the bar the order was due to fill at
    closing = False
    order_reason = 0
    # a revalued position's open P&L (local) and its USD already in the cash
    open_local = open_usd = 0.0
    # carrying costs charged by the broker and not yet booked on the lot (the lot's CARRY
    # columns)
    pending = np.zeros(len(COLUMNS))
    # the open lot's books
    lot = np.zeros(len(COLUMNS))
    # the last entry decision
    decided = -1
    entry_close = entry_offset = entry_time = stop_level = target_level = np.nan
    t = -1
    while t < n - 1:
        t += 1
        if position == 0 and order == 0:
            # flat and nothing to fill: equity stands still until the next entry signal
            while t < n - 1 and not can_enter[t]:
                equity[t] = cash
                t += 1
        rate = usd[t]
        # broker: carrying costs of the position held into this bar, then the order at the open
        if position != 0:
            contracts = abs(position)
            financed = contracts * (financing_long[t] if position > 0 else financing_short[t])
            roll_local = contracts * roll_cost[t]
            if financed != 0.0:
                pending[FIN_USD] += financed
                pending[FIN_LOCAL] += financed / rate
            if roll_local != 0.0:
                pending[ROLL_USD] += roll_local * rate
                pending[ROLL_LOCAL] += roll_local
                pending[ROLLS] += int(rolls[t])
            cash -= 0.0 + (roll_local * rate - financed)
        waiting = order != 0 and not clean[t]
        if order != 0 and not waiting:
            price = open_[t]
            fill_rate = rate_buying[t] if order > 0 else rate_selling[t]
            if revalued:
                commission = abs(order) * fee[t] * rate + \
                    abs(order) * (slippage[t] * tick_value) * fill_rate
            else:
                commission = abs(order) * (fee[t] + slippage[t] * tick_value) * rate
            if closing:
                cash -= commission
                if revalued:
                    moved = open_local + position * (price - base) * multiplier
                    cash += moved * fill_rate - open_usd
                    open_local = open_usd = 0.0
                else:
                    cash += -order * (price - base) * multiplier * rate
                lot[CARRY] += pending[CARRY]
                pending[:] = 0.0
                contracts = abs(order)
                lot[FEES_LOCAL] += fee[t] * contracts
                lot[FEES_USD] += fee[t] * contracts * rate
                lot[EXIT_FILL] = t
                lot[EXIT_DUE] = due
                lot[REASON] = order_reason
                trades[count, :] = lot
                count += 1
                position = 0
            elif cash - 0.0 - commission >= 0.0:
                cash = cash - 0.0 - commission
                position = order
                base = price
                contracts = abs(order)
                lot[:] = 0.0
                lot[ENTRY_FILL] = t
                lot[ENTRY_DUE] = due
                lot[CONTRACTS] = contracts
                lot[FEES_LOCAL] = fee[t] * contracts
                lot[FEES_USD] = lot[FEES_LOCAL] * rate
                if revalued:
                    cost = contracts * (slippage[t] * tick_value)
                    open_local = 0.0 - cost
                    open_usd = 0.0 - cost * fill_rate
            order = 0
        if position != 0:
            if revalued:
                moved = open_local + position * (close[t] - base) * multiplier
                value = moved * rate
                cash += value - open_usd
                open_local, open_usd = moved, value
            else:
                cash += position * (close[t] - base) * multiplier * rate
            base = close[t]
        equity[t] = cash
        # the playbook at the close
        held[t] = position != 0
        if position != 0:
            lot[CARRY] += pending[CARRY]
            pending[:] = 0.0
        if waiting:
            continue      # the order waits for a clean open: its decision stands
        if position != 0:
            posted = abs(position) * margin[t] * rate
            if cash < 0.0 + posted * maintenance_ratio:
                order, closing, order_reason, due = -position, True, MARGIN, t + 1
                continue
            reason = exit_decision(t, rules, side, close, close_time, exit_line, entry_close,
                                   entry_offset, entry_time, decided, stop_level, target_level,
                                   stop_fraction, target_fraction, hold)
            if reason >= 0:
                order, closing, order_reason, due = -position, True, reason, t + 1
            continue
        if can_enter[t]:
            contracts = position_size(t, cash, close, roll_offset, usd, volatility, margin,
                                      multiplier, budget * 1.0, max_leverage)
            if contracts >= 1:
                order, closing, due = side * contracts, False, t + 1
            decided = t
            entry_close, entry_offset, entry_time = close[t], roll_offset[t], close_time[t]
            stop_level, target_level = stop_levels[t], target_levels[t]
    if position != 0:
        lot[EXIT_FILL] = -1
        lot[REASON] = END
        trades[count, :] = lot
        count += 1
    return equity, held, trades[:count]


@_kernel
def marked_gross(gross, mark, entry, price, per_point, rate, revalued):
    """strategies.book.OpenLot.mark: the lot's USD gross after a mark to `price`."""
    if revalued:
        return (price - entry) * per_point * rate
    return gross + (price - mark) * (per_point * rate)


@_kernel
def trade_marks(low, high, close, usd, entries, ends, sides, contracts, entry_prices, exit_prices,
           multiplier, revalued, self_quoted):
    """Each lot's USD marks as Playbook.next books them (adverse extreme, favourable extreme,
    close, each at the bar's rate, or a self-quoted pair's own price), then its exit fill:
    (gross, worst, best, last mark)."""
    out = np.zeros((len(entries), 4))
    for k in range(len(entries)):
        side = sides[k]
        gross = worst = best = 0.0
        entry = mark = entry_prices[k]
        per_point = side * contracts[k] * multiplier
        end = ends[k] if ends[k] >= 0 else len(close)
        for t in range(entries[k], end):
            if side > 0:
                first, second = low[t], high[t]
            else:
                first, second = high[t], low[t]
            for price in (first, second, close[t]):
                rate = 1.0 / price if self_quoted else usd[t]
                gross = marked_gross(gross, mark, entry, price, per_point, rate, revalued)
                mark = price
                worst = min(worst, gross)
                best = max(best, gross)
        if ends[k] >= 0:
            price = exit_prices[k]
            rate = 1.0 / price if self_quoted else usd[ends[k]]
            gross = marked_gross(gross, mark, entry, price, per_point, rate, revalued)
            mark = price
            worst = min(worst, gross)
            best = max(best, gross)
        out[k, 0], out[k, 1], out[k, 2], out[k, 3] = gross, worst, best, mark
    return out


# ------------------------------------------------------------------------------ the screen
