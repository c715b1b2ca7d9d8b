"""Financing of spot positions: what a broker credits or debits every night a position is held.

Spot USDJPY and spot gold (XAUUSD) are funded positions: long USDJPY holds dollars funded in yen,
long gold holds metal funded in dollars. Brokers settle that carry at the daily rollover, 17:00
New York, from short rates plus a markup. Futures carry none: their carry is in the price (and
shows up at the roll, feeds/rolls.py).

Per contract, for a rollover covering `days` days, with N the contract's USD notional at the
previous close (100,000 USD a USDJPY lot; 100 oz x price a gold lot) and m the broker markup:

  USDJPY long : N x (r_USD x days / 360 - r_JPY x days / 365) - N x m x days / 365
  USDJPY short: N x (r_JPY x days / 365 - r_USD x days / 360) - N x m x days / 365
  XAUUSD long : N x (lease - r_USD) x days / 360 - N x m x days / 365
  XAUUSD short: N x (r_USD - lease) x days / 360 - N x m x days / 365

(positive = received). Money-market day counts: USD and gold lease act/360, JPY act/365.
`days` is 1 for the rollovers of Monday, Tuesday, Thursday and Friday and 3 for Wednesday's
(spot settles two days later, so Wednesday's rollover carries the weekend); exchange holidays
are not modelled.

Rates (percent in the store, each as known at the rollover):
- r_USD: the effective federal funds rate (FRED DFF, series EFFR), the overnight rate brokers
  fund dollars at; the 3-month bill yield (FRED DGS3MO, UST3M) when DFF is not stored; the last
  known value carried forward after the series ends (the run's notes say from when).
- r_JPY: the 1-year JGB yield (MOF, JGB1Y), the shortest Japanese rate the store holds; it sat
  0.1-0.3 points below the BOJ policy rate during negative rates (2016-2024).
- lease: GOLD_LEASE_RATE, an assumption: one-month gold lease rates (the LBMA GOFO history)
  sat between 0 and 0.5% a year from 2015 to 2024; 0.25% is the middle.
- m: the markup, a run parameter (--financing-markup, default DEFAULT_MARKUP).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from feeds.instruments import Instrument

FINANCED = {"USDJPY": ("USD", "JPY"), "XAUUSD": ("XAU", "USD")}
# One-month gold lease rate, fraction a year (see the module docstring).
GOLD_LEASE_RATE = 0.0025
# Broker markup over the interbank rates, fraction a year of the notional, charged once a night to
# longs and shorts alike (not once per currency): IG publishes an admin fee of at most 0.5% a year
# over the tom-next rate for spot FX and metals (0.8% on minis), added to what a long or short pays
# and taken from what it earns.
DEFAULT_MARKUP = 0.005
ROLLOVER = dt.time(17, 0)
ROLLOVER_ZONE = "America/New_York"


def financed(instrument: Instrument) -> bool:
    return instrument.symbol in FINANCED


def rollovers(first: pd.Timestamp, last: pd.Timestamp) -> pd.DataFrame:
    """Every weekday's 17:00 New York rollover from `first` to `last` (UTC instants), with the
    days it carries (3 on Wednesday)."""
    days = pd.bdate_range(first.tz_convert(ROLLOVER_ZONE).normalize().tz_localize(None)
                          - pd.Timedelta(days=3),
                          last.tz_convert(ROLLOVER_ZONE).normalize().tz_localize(None)
                          + pd.Timedelta(days=3))
    instants = (days + pd.Timedelta(hours=ROLLOVER.hour)).tz_localize(
        ROLLOVER_ZONE, ambiguous=False, nonexistent="shift_forward").tz_convert("UTC")
    carried = np.where(days.day_of_week == 2, 3.0, 1.0)
    frame = pd.DataFrame({"days": carried}, index=instants)
    return frame[(frame.index >= first) & (frame.index <= last)]


def rate_at(rates: pd.Series, known: pd.DatetimeIndex, instants: pd.DatetimeIndex) -> np.ndarray:
    """The last rate (fraction) known at each instant; NaN before the first."""
    known_ns = known.as_unit("ns").asi8
    order = np.argsort(known_ns, kind="stable")
    known_sorted, values = known_ns[order], rates.to_numpy()[order] / 100.0
    position = np.searchsorted(known_sorted, instants.as_unit("ns").asi8, side="right") - 1
    return np.where(position >= 0, values[np.clip(position, 0, None)], np.nan)


def lines(instrument: Instrument, fills: pd.DatetimeIndex, notional_usd: np.ndarray,
          rates: dict[str, tuple[pd.Series, pd.DatetimeIndex]], markup: float
          ) -> tuple[np.ndarray, np.ndarray, dict]:
    """(long, short) USD per contract credited at each bar (negative = paid) for holding from the
    previous bar's fill instant through this bar's, and a summary for the manifest.

    `fills` are the bars' open instants (UTC); `notional_usd[t]` one contract's USD notional at
    the close before bar t; `rates` maps "USD", "JPY" to (percent values, instants known).
    """
    count = len(fills)
    long, short = np.zeros(count), np.zeros(count)
    if not financed(instrument) or count < 2:
        return long, short, {}
    events = rollovers(fills[0], fills[-1])
    usd = rate_at(*rates["USD"], events.index) if "USD" in rates else np.full(len(events), np.nan)
    jpy = rate_at(*rates["JPY"], events.index) if "JPY" in rates else np.full(len(events), np.nan)
    days = events["days"].to_numpy()
    if instrument.symbol == "USDJPY":
        carry = usd * days / 360 - jpy * days / 365
    else:
        carry = (GOLD_LEASE_RATE - usd) * days / 360
    missing = np.isnan(carry)
    carry = np.nan_to_num(carry)
    cost = markup * days / 365
    # bar t collects the rollovers in (fills[t-1], fills[t]]
    bar = np.searchsorted(fills.as_unit("ns").asi8, events.index.as_unit("ns").asi8,
                          side="left")
    inside = (bar >= 1) & (bar < count)
    np.add.at(long, bar[inside], (carry - cost)[inside] * notional_usd[bar[inside]])
    np.add.at(short, bar[inside], (-carry - cost)[inside] * notional_usd[bar[inside]])
    summary = {"rollovers": int(inside.sum()),
               "rollovers_without_rates": int((missing & inside).sum()),
               "usd_rate_range": _range(usd[inside]), "jpy_rate_range": _range(jpy[inside])}
    return long, short, summary


def _range(values: np.ndarray) -> list[float] | None:
    values = values[~np.isnan(values)]
    return [round(float(values.min()), 6), round(float(values.max()), 6)] if len(values) else None
