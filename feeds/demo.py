"""SYNTHETIC demo data: a seeded carry-unwind scenario so the main job runs with no data at all.

The scenario copies the shape of July-August 2024 on the same calendar dates, so the episode
catalogue applies to it: calm carry until early July; the yen strengthens in steps (11 July, 31
July, 2 August) and jumps in the Asian session of 5 August while equities fall hardest there,
gold is sold for margin in that Asian session and recovers within days, Treasuries rally, VIX
spikes and JGB yields fall. None of it is market data. Every series is written with
`synthetic = true` in its manifest, and every output made from it must say SYNTHETIC.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from feeds import calendars, instruments
from feeds.bars import canonical
from feeds.store import SourceFile, Store

SEED = 20240805
START, END = "2024-01-02", "2024-10-31"
_HOURS_PER_YEAR = 252 * 24


@dataclass(frozen=True)
class Shock:
    """A total log move spread over [start, end) with volatility scaled by `volatility`."""

    start: str
    end: str
    move: float
    volatility: float = 1.0


@dataclass(frozen=True)
class Spec:
    symbol: str
    price: float
    annual_volatility: float
    shocks: tuple[Shock, ...]
    hourly: bool = False


_STRESS = Shock("2024-07-11", "2024-08-13", 0.0, 1.8)
SCENARIO: tuple[Spec, ...] = (
    Spec("USDJPY", 157.0, 0.08, (Shock("2024-01-02", "2024-07-03", 0.03), _STRESS,
         Shock("2024-07-11 12:00", "2024-07-12 12:00", -0.025, 2.0),
         Shock("2024-07-31 03:00", "2024-07-31 12:00", -0.02, 2.0),
         Shock("2024-08-02 12:00", "2024-08-02 16:00", -0.018, 2.5),
         Shock("2024-08-05 00:00", "2024-08-05 07:00", -0.035, 4.0),
         Shock("2024-08-05 07:00", "2024-08-07 12:00", 0.02, 2.0)), hourly=True),
    Spec("XAUUSD", 2330.0, 0.14, (Shock("2024-01-02", "2024-07-17", 0.03), _STRESS,
         Shock("2024-08-05 00:00", "2024-08-05 06:00", -0.032, 3.0),
         Shock("2024-08-05 08:00", "2024-08-09 12:00", 0.025, 1.5)), hourly=True),
    Spec("NIKKEI225", 33500.0, 0.18, (Shock("2024-01-02", "2024-07-11", 0.17),
         Shock("2024-07-11", "2024-08-01", -0.06, 1.5), Shock("2024-08-02", "2024-08-03", -0.06),
         Shock("2024-08-05", "2024-08-06", -0.13, 3.0), Shock("2024-08-06", "2024-08-07", 0.10))),
    Spec("HSI", 16800.0, 0.22, (Shock("2024-01-02", "2024-05-20", 0.12),
         Shock("2024-05-20", "2024-08-06", -0.11, 1.3), Shock("2024-08-06", "2024-09-30", 0.08))),
    Spec("NQ", 16800.0, 0.20, (Shock("2024-01-02", "2024-07-10", 0.22),
         Shock("2024-07-11", "2024-08-06", -0.13, 1.6), Shock("2024-08-06", "2024-08-30", 0.08))),
    Spec("ZN", 110.0, 0.06, (Shock("2024-01-02", "2024-04-30", -0.03),
         Shock("2024-05-01", "2024-08-06", 0.05, 1.3), Shock("2024-08-06", "2024-08-09", -0.01))),
    Spec("VIX", 13.0, 0.9, (Shock("2024-07-11", "2024-08-02", 0.55, 1.2),
         Shock("2024-08-02", "2024-08-06", 0.55, 2.0), Shock("2024-08-06", "2024-08-30", -0.9))),
    Spec("UST10Y", 4.0, 0.25, (Shock("2024-01-02", "2024-04-30", 0.15),
         Shock("2024-05-01", "2024-08-06", -0.22, 1.3))),
    Spec("UST30Y", 4.2, 0.2, (Shock("2024-01-02", "2024-04-30", 0.12),
         Shock("2024-05-01", "2024-08-06", -0.14, 1.3))),
    Spec("JGB10Y", 0.65, 0.35, (Shock("2024-01-02", "2024-07-31", 0.45),
         Shock("2024-08-01", "2024-08-06", -0.3, 2.0))),
    Spec("JGB30Y", 1.65, 0.2, (Shock("2024-01-02", "2024-07-31", 0.3),
         Shock("2024-08-01", "2024-08-06", -0.12, 2.0))),
    Spec("JGB40Y", 1.9, 0.2, (Shock("2024-01-02", "2024-07-31", 0.3),
         Shock("2024-08-01", "2024-08-06", -0.1, 2.0))),
)


def _times(spec: Spec) -> pd.DatetimeIndex:
    instrument = instruments.get(spec.symbol)
    if spec.hourly:
        hours = pd.date_range(START, f"{END} 23:00", freq="h", tz="UTC")
        dates = calendars.trading_dates(hours, instrument)
        return hours[dates.day_of_week < 5]
    days = calendars.sessions(instrument.calendar, pd.Timestamp(START), pd.Timestamp(END))
    return days.tz_localize("UTC")


def _path(spec: Spec, times: pd.DatetimeIndex, rng: np.random.Generator) -> pd.DataFrame:
    """OHLC bars of a random walk in log price with the spec's shocks spread over their spans.

    The noise is bridged between shock boundaries (its increments sum to zero over each span), so
    the scenario's moves survive any seed; within a span the path is as rough as its volatility.
    """
    step_years = (1 / _HOURS_PER_YEAR) if spec.hourly else (1 / 252)
    drift = np.zeros(len(times))
    scale = np.ones(len(times))
    for shock in spec.shocks:
        inside = (times >= pd.Timestamp(shock.start, tz="UTC")) & \
            (times < pd.Timestamp(shock.end, tz="UTC"))
        if inside.any():
            drift[inside] += shock.move / inside.sum()
            scale[inside] *= shock.volatility
    sigma = spec.annual_volatility * np.sqrt(step_years) * scale
    increments = sigma * rng.standard_normal(len(times))
    anchors = sorted({0} | {int(times.searchsorted(pd.Timestamp(t, tz="UTC")))
                            for shock in spec.shocks for t in (shock.start, shock.end)})
    for first, last in zip(anchors[:-1], anchors[1:]):
        if last > first:
            increments[first:last] -= increments[first:last].mean()
    noise = np.cumsum(increments)
    log_close = np.log(spec.price) + np.cumsum(drift) + noise
    close = np.exp(log_close)
    open_ = np.r_[spec.price, close[:-1]]
    spread = np.abs(rng.standard_normal((2, len(times)))) * sigma * 0.6
    high = np.maximum(open_, close) * np.exp(spread[0])
    low = np.minimum(open_, close) * np.exp(-spread[1])
    volume = np.round(1000 * scale * (1 + rng.random(len(times))))
    return pd.DataFrame({"open": open_, "high": high, "low": low, "close": close,
                         "volume": volume}, index=times)


def generate(seed: int = SEED) -> dict[tuple[str, str], pd.DataFrame]:
    """Every demo series by (symbol, bar); hourly specs also get their daily bars."""
    rng = np.random.default_rng(seed)
    series: dict[tuple[str, str], pd.DataFrame] = {}
    for spec in SCENARIO:
        times = _times(spec)
        bars = _path(spec, times, rng)
        series[(spec.symbol, "1h" if spec.hourly else "1d")] = canonical(times, bars)
        if spec.hourly:
            dates = calendars.trading_dates(times, instruments.get(spec.symbol))
            daily = bars.groupby(dates).agg({"open": "first", "high": "max", "low": "min",
                                             "close": "last", "volume": "sum"})
            series[(spec.symbol, "1d")] = canonical(daily.index.tz_localize("UTC"), daily)
    # COMEX gold trades at a small premium to spot (carry): GC = spot daily bars + 0.4%.
    spot = series[("XAUUSD", "1d")]
    futures = spot.copy()
    futures[["open", "high", "low", "close"]] *= 1.004
    series[("GC", "1d")] = futures
    return series


def write_demo_store(store: Store, seed: int = SEED) -> list[str]:
    """Fill `store` with the SYNTHETIC scenario; returns the series written."""
    written = []
    for (symbol, bar), frame in generate(seed).items():
        store.write(symbol, bar, frame, origin="demo", synthetic=True, close_only=False,
                    conversion="SYNTHETIC: generated, not market data",
                    sources=(SourceFile(f"demo:seed={seed}", "", "synthetic", len(frame)),))
        written.append(f"{symbol} {bar}")
    return written


def demo_store_for(store: Store) -> Store:
    """The SYNTHETIC store beside `store` (`<store>-demo`), created on first use."""
    demo = Store(store.root.parent / f"{store.root.name}-demo")
    if demo.is_empty():
        write_demo_store(demo)
    return demo
