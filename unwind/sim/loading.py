"""The per-instrument inputs a run is prepared from (unwind.sim.engine.prepare): bars loaded
through the quality gate onto the contract's tick grid, the USD rate of each bar, fill times,
the sizing volatility, the regime read, which opens are tradable (not suspect prints), and a
frame carried onto the union of the traded calendars."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

import feeds
from feeds import calendars, crosscheck, instruments, sanity
from feeds.bars import BARS, is_intraday
from feeds.errors import DataError
from feeds.store import Store
from strategies import regime as regimes
from strategies import booking, signals
from strategies.inputs import Inputs
from unwind.compat import date_numbers
from unwind.sim import margin as margins
from unwind.sim.accounting import HKD_PER_USD_PEG

REGIME_SERIES = (("USDJPY", "1d"), ("JGB10Y", "1d"), ("VIX", "1d"))


def load(store: Store, symbol: str, bar: str, start: pd.Timestamp, end: str,
          allow_defects: bool, allowed: list[str] | None = None) -> pd.DataFrame:
    """One series through the quality gate: a blocking defect refuses the run, or, with
    `allow_defects`, is recorded in `allowed` (the run, the page and the verdict say so)."""
    from feeds.errors import QualityError

    first = start.date().isoformat()
    try:
        return feeds.load(symbol, first, end, bar, store, check_quality=True)
    except QualityError as error:
        if not allow_defects:
            raise QualityError(f"{error}; --allow-defects runs it anyway and says so") from None
        if allowed is not None:
            allowed.append(str(error).split("; `unwind data validate")[0])
        return feeds.load(symbol, first, end, bar, store, check_quality=False)


def usd_per_local(instrument, frame: pd.DataFrame, inputs: Inputs, onto) -> tuple[np.ndarray, str]:
    """USD per unit of the contract currency at each traded bar, and where it came from."""
    if instrument.currency == "USD":
        return np.ones(len(frame)), "USD"
    if booking.is_own_rate(instrument):
        return 1.0 / frame["close"].to_numpy(), f"1 / the traded {instrument.symbol} close"
    if instrument.currency == "HKD":
        if inputs.has("USDHKD", "1d"):
            rate = inputs.aligned(inputs.frame("USDHKD", "1d")["close"], "USDHKD", "1d", onto)
            return (1.0 / rate.iloc[:, 0].ffill().fillna(HKD_PER_USD_PEG)).to_numpy(), "USDHKD"
        return np.full(len(frame), 1.0 / HKD_PER_USD_PEG), f"HKD peg {HKD_PER_USD_PEG}"
    raise DataError(f"{instrument.symbol}: no conversion from {instrument.currency} to USD")


def on_tick_grid(frame: pd.DataFrame, tick_size: float) -> pd.DataFrame:
    """Prices rounded to the contract's tick: a cash-index proxy (HSI) or a continuous series
    stored as float32 (Yahoo) trades only at prices the contract can print."""
    if not tick_size:
        return frame
    prices = sanity.price_columns(frame)   # one view of the four, not a Series each
    rounded = frame.copy()
    for position, column in enumerate(("open", "high", "low", "close")):
        rounded[column] = (np.round(prices[:, position] / tick_size) * tick_size).round(10)
    return rounded


def fill_times(frame: pd.DataFrame, instrument, bar: str) -> dict[str, np.ndarray]:
    """When each bar's open and close trade (backtrader date numbers): intraday bars at their
    own open and close; a daily bar at its session's open and its daily close, so a daily fill
    carries the instant it happened rather than 00:00 of its trading date."""
    if is_intraday(bar):
        opens, closes = frame.index, frame.index + BARS[bar]
    else:
        opens = calendars.session_open(frame.index, instrument)
        closes = calendars.known_at(frame.index, instrument)
    return {"open_time": date_numbers(opens), "close_time": date_numbers(closes)}


def daily_volatility(printed_close: pd.Series, ratio_close: pd.Series, instrument,
                      bar: str) -> np.ndarray:
    """Typical daily move in price units known at each bar (20 trading days of returns): the
    contract's own returns (`ratio_close`, so no roll-adjustment anchor moves it) at the
    printed price."""
    returns = np.log(ratio_close).diff()
    return (printed_close * margins.daily_volatility(returns, instrument, bar, 20)).to_numpy()


# The regime codes and the instants they are known, by the content of the three closes read: the
# cells of a scorecard that load the same days (one episode, playbooks of one warm-up) and the
# traded series of one cell classify them once per process.
_REGIME_READS: dict = {}
_REGIME_READS_MAX = 64


def regime(inputs: Inputs, onto: tuple[str, str]) -> pd.Series | None:
    if not all(inputs.has(*key) for key in REGIME_SERIES):
        return None
    closes = [inputs.frame(*key)["close"] for key in REGIME_SERIES]
    digest = hashlib.sha256()
    for close in closes:
        digest.update(f"{close.index.dtype}|{close.index.name}|{close.dtype}|{len(close)}|"
                      .encode())
        digest.update(np.asarray(close.index.asi8).tobytes())
        digest.update(close.to_numpy().tobytes())
    read = _REGIME_READS.get(digest.digest())
    if read is None:
        codes = regimes.classify(*closes)
        known = pd.DatetimeIndex(np.max(np.vstack([
            calendars.known_at(codes.index, instruments.get(symbol)).asi8
            for symbol, _ in REGIME_SERIES]), axis=0), tz="UTC")
        if len(_REGIME_READS) >= _REGIME_READS_MAX:
            _REGIME_READS.clear()
        read = _REGIME_READS[digest.digest()] = (codes, known)
    codes, known = read
    return signals.align(codes, known, inputs.decision_times(*onto)).iloc[:, 0].set_axis(
        inputs.frame(*onto).index)


# Execution lines that count events between two of the feed's own bars: a repeated bar carries
# none (the next fresh bar collects them), so nothing is charged twice.
EVENT_LINES = ("rolls", "roll_cost", "financing_long", "financing_short")


def tradable(store: Store, symbol: str, bar: str, index: pd.DatetimeIndex,
              window_start: pd.Timestamp, window_end: pd.Timestamp
              ) -> tuple[np.ndarray, list[crosscheck.SuspectPrint]]:
    """1.0 where the bar's open is a price the market traded, 0.0 where it is a suspect print
    (feeds/crosscheck.py): an order due there fills at the next clean open. And the suspect
    prints (open or close) inside the window, for the manifest and the tear sheet."""
    found = crosscheck.suspect_prints(store, symbol, bar)
    suspect_opens = pd.DatetimeIndex([s.time for s in found if s.field == "open"])
    tradable = (~index.isin(suspect_opens)).astype(float)
    inside = [s for s in found if window_start <= pd.Timestamp(s.time) < window_end]
    return tradable, inside


def onto_union(frame: pd.DataFrame, union: pd.DatetimeIndex) -> pd.DataFrame:
    """Reindex onto the union of the traded calendars: a missing bar repeats the last close as a
    flat bar (open = high = low = close) and carries fresh = 0, so playbooks skip it."""
    full = frame.reindex(union)
    fresh = union.isin(frame.index)
    full = full.ffill()
    for column in ("open", "high", "low"):
        full.loc[~fresh, column] = full.loc[~fresh, "close"]
    full.loc[~fresh, "volume"] = 0.0
    for column in EVENT_LINES:
        if column in full:
            full.loc[~fresh, column] = 0.0
    full["fresh"] = fresh.astype(float)
    return full
