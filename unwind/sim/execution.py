"""The execution lines of a run: roll adjustment, slippage, fees, financing and margin, computed
once in pandas before backtrader runs and handed to it as feed lines (README "Execution").

Per traded bar t (every value known at t's open unless it says otherwise):
  roll_offset     price points subtracted from the printed price (the traded open/high/low/close
                  are `printed - roll_offset`, continuous across contract switches). At a switch
                  bar it uses that bar's close (the gap estimate), so it is known at t's close:
                  it changes the prices of the switch bar on and no decision before it
  rolls           trader's roll dates passed between the previous bar's fill instant and t's
  roll_cost       contract currency per contract for those rolls (both legs' fee and slippage)
  slippage_ticks  ticks per contract per side for a fill at t's open
  fee_local       the registry fee per contract per side in the contract currency at t
  financing_long  USD credited per contract (negative = paid) to a long held from the previous
  financing_short bar's fill instant to t's; the same for a short (spot FX and gold only)
  margin          initial margin per contract in the contract currency

The inputs beyond the traded bars (a longer history of each traded series, roll references and
short rates) are loaded here, and cut by `known_by` exactly like the playbook's inputs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from feeds import calendars, rolls
from feeds.bars import is_intraday
from feeds.errors import DataError
from feeds.instruments import Instrument
from feeds.store import Store
from strategies.inputs import availability
from unwind.sim import costs, financing, margin

# Calendar days of extra history loaded before the run's first bar: enough sessions (about 345)
# for the roll estimates' noise (250 sessions of residuals, each needing a beta from 60 before
# it) and the slippage model's typical volatility (252 sessions), so those lines do not depend
# on the playbook's warm-up.
HISTORY_DAYS = 500
RATE_SERIES = {"USD": ("EFFR", "UST3M"), "JPY": ("JGB1Y",)}
LINES = ("roll_offset", "rolls", "roll_cost", "slippage_ticks", "fee_local", "financing_long",
         "financing_short", "margin")


@dataclass
class Inputs:
    """Series an execution model reads: (series, bar) -> frame, all cut at `known_by`; their
    store manifests apart (`detach_manifest`)."""

    frames: dict[tuple[str, str], pd.DataFrame] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    manifests: dict[tuple[str, str], dict] = field(default_factory=dict)

    def get(self, key: tuple[str, str]) -> pd.DataFrame | None:
        return self.frames.get(key)


def load_inputs(store: Store, traded: list[str], bar: str, load_start: pd.Timestamp, end: str,
                known_by: pd.Timestamp | None, tick_grid) -> Inputs:
    """History of each traded series (daily too when traded intraday, for its rolls), each roll
    reference of a traded future, and the short rates financing needs; what the store lacks
    is listed in `missing`."""
    from feeds.instruments import get

    import feeds

    wanted: list[tuple[str, str]] = []
    for symbol in traded:
        instrument = get(symbol)
        wanted.append((symbol, bar))
        if instrument.roll is not None and instrument.roll.series == "after_expiry":
            wanted.append((symbol, "1d"))
            wanted += instrument.roll.references()
        if financing.financed(instrument):
            wanted += [(name, "1d") for currency in financing.FINANCED[symbol]
                       for name in RATE_SERIES.get(currency, ())]
    inputs = Inputs()
    history_start = (load_start - pd.Timedelta(days=HISTORY_DAYS)).date().isoformat()
    for key in dict.fromkeys(wanted):
        try:
            frame = feeds.load(key[0], history_start, end, key[1], store, check_quality=False)
        except DataError:
            inputs.missing.append(f"{key[0]} {key[1]}")
            continue
        if key[0] in traded:
            frame = tick_grid(frame, get(key[0]).tick_size)
        if known_by is not None:
            frame = frame[availability(frame, *key) <= known_by]
        inputs.manifests[key] = detach_manifest(frame)
        inputs.frames[key] = frame
    return inputs


def detach_manifest(frame: pd.DataFrame) -> dict:
    """The store manifest `feeds.load` put in `frame.attrs`, removed from the frame: pandas
    deep-copies a frame's attrs into every slice and column taken from it, which cost a
    scorecard seconds; a run keeps each series' manifest beside its frames instead."""
    manifest = frame.attrs
    frame.attrs = {}
    return manifest


def _trading_dates(index: pd.DatetimeIndex, instrument: Instrument, bar: str) -> pd.DatetimeIndex:
    if is_intraday(bar):
        return calendars.trading_dates(index, instrument)
    return index.tz_localize(None)


@dataclass
class RollPlan:
    """A traded future's roll calendar over the run and its continuous series' switches; the
    gaps applied are counted from `anchor`, the first traded bar's trading date."""

    symbol: str
    cycles: list
    gaps: list
    note: str
    anchor: pd.Timestamp | None = None

    def to_json(self) -> dict:
        return {"note": self.note,
                "rolls": [{"contract": c.contract, "roll_date": c.roll.isoformat(),
                           "expiry": c.expiry.isoformat()} for c in self.cycles],
                "switches": [g.to_json() for g in self.gaps
                             if self.anchor is None or pd.Timestamp(g.date) > self.anchor]}

    def offsets(self, index: pd.DatetimeIndex, instrument: Instrument, bar: str) -> np.ndarray:
        """Price points to subtract from the printed prices of bars `index`."""
        if not self.gaps or self.anchor is None:
            return np.zeros(len(index))
        return rolls.offsets(_trading_dates(index, instrument, bar), self.gaps, self.anchor)


def roll_plan(instrument: Instrument, frame: pd.DataFrame, bar: str,
              inputs: Inputs) -> RollPlan | None:
    """The roll calendar of a traded future over `frame`, and the gaps of its stored continuous
    series at each switch over the loaded history (estimated against the first reference the
    store holds; switches before enough history for the noise are not estimated)."""
    rule = instrument.roll
    if rule is None or frame.empty:
        return None
    dates = _trading_dates(frame.index, instrument, bar)
    cycles = [c for c in rolls.cycles(instrument, dates[0], dates[-1])
              if dates[0] <= pd.Timestamp(c.roll) <= dates[-1]]
    if rule.series == "none":
        note = (f"{instrument.symbol}: traded from the cash index (a proxy); an index has no "
                "contract switch, so no roll gap; each monthly roll still costs both legs' fee "
                "and slippage")
        return RollPlan(instrument.symbol, cycles, [], note)
    history = inputs.get((instrument.symbol, "1d"))
    references = {}
    for name, ref_bar in rule.references():
        series = inputs.get((name, ref_bar))
        if series is not None and len(series):
            references[f"{name} {ref_bar}"] = rolls.reference_values(series, ref_bar, instrument)
    if history is None or not references:
        note = (f"{instrument.symbol}: no roll reference in the store "
                f"({', '.join(rule.reference) or 'none registered'}): the continuous series' "
                "gaps at contract switches are not estimated and count as P&L")
        return RollPlan(instrument.symbol, cycles, [], note)
    closes = pd.Series(history["close"].to_numpy(), index=history.index.tz_localize(None))
    every = rolls.estimate_gaps(instrument, closes, references, closes.index[0])
    gaps = [g for g in every if dates[0] < pd.Timestamp(g.date) <= dates[-1]]
    applied = [g for g in gaps if g.applied]
    unestimated = [g for g in gaps if g.estimate is None]
    note = (f"{instrument.symbol}: {len(gaps)} contract switch(es) of the continuous series, "
            f"{len(applied)} gap(s) removed from P&L (estimated against "
            f"{', '.join(sorted({g.reference for g in gaps if g.reference})) or 'no reference'}"
            f"; applied at |z| >= {rolls.GAP_Z:g})")
    if unestimated:
        note += (f"; {len(unestimated)} switch(es) without a reference or history "
                 f"({', '.join(g.date.isoformat() for g in unestimated)}) count as P&L")
    return RollPlan(instrument.symbol, cycles, every, note, dates[0])


def _events_between_fills(instants: pd.DatetimeIndex, fills: np.ndarray) -> np.ndarray:
    """How many `instants` fall in (fills[t-1], fills[t]] for each bar t (0 at the first)."""
    counts = np.zeros(len(fills))
    if not len(instants) or len(fills) < 2:
        return counts
    bar = np.searchsorted(fills, instants.as_unit("ns").asi8, side="left")
    inside = (bar >= 1) & (bar < len(fills))
    np.add.at(counts, bar[inside], 1.0)
    return counts


def _rates(inputs: Inputs, currencies: tuple[str, ...]) -> tuple[dict, list[str]]:
    """(currency -> (percent values, instants known)) from the first stored series of each."""
    rates, notes = {}, []
    for currency in currencies:
        for name in RATE_SERIES.get(currency, ()):
            frame = inputs.get((name, "1d"))
            if frame is not None and len(frame):
                rates[currency] = (frame["close"], availability(frame, name, "1d"))
                notes.append(f"{currency} {name} to {frame.index[-1].date()}")
                break
    return rates, notes


@dataclass
class Lines:
    """The execution lines of one traded series and what the manifest says about them."""

    columns: dict[str, np.ndarray]
    plan: RollPlan | None
    financing: dict
    notes: list[str]


def lines(instrument: Instrument, frame: pd.DataFrame, raw_close: pd.Series, bar: str,
          fills: pd.DatetimeIndex, usd_per_local: np.ndarray, inputs: Inputs, config,
          plan: RollPlan | None) -> Lines:
    """Every execution line of `frame` (its prices already roll-adjusted), see the module
    docstring; `raw_close` are the printed closes, `fills` the bars' open instants (UTC)."""
    notes: list[str] = []
    history = inputs.get((instrument.symbol, bar))
    if history is None or history.empty:
        history = frame
    before = history[history.index < frame.index[0]]
    before_offsets = plan.offsets(before.index, instrument, bar) if plan is not None \
        else np.zeros(len(before))
    # the history's index is the bars before the frame's then the frame's: with no label twice,
    # a line over the history read at the frame's bars is its tail (pandas' reindex, positionally)
    history_index = before.index.append(frame.index)
    before_close = before["close"].to_numpy()
    adjusted_history = pd.Series(np.concatenate([before_close - before_offsets,
                                                 frame["close"].to_numpy()]),
                                 index=history_index, name="close")
    raw_history = pd.Series(np.concatenate([before_close, raw_close.to_numpy()]),
                            index=history_index, name="close")
    tail = slice(len(before), None) if history_index.is_unique else None
    frame_offsets = plan.offsets(frame.index, instrument, bar) if plan is not None \
        else np.zeros(len(frame))
    # the volatility model reads returns: the contract's own, whatever the offsets' anchor
    ratio_history = rolls.ratio_adjusted(raw_history,
                                         np.concatenate([before_offsets, frame_offsets]))
    ticks = costs.slippage_ticks(ratio_history, instrument, bar, config.slippage_model,
                                 config.slippage_ticks)
    ticks = ticks[tail] if tail is not None else \
        pd.Series(ticks, index=history_index).reindex(frame.index).to_numpy()
    fee = dict(config.fees).get(instrument.symbol, instrument.fee_per_contract)
    fee_local = np.full(len(frame), fee) if instrument.fee_in == instrument.currency \
        else fee / usd_per_local
    roll_count = np.zeros(len(frame))
    if plan is not None and plan.cycles:
        roll_instants = calendars.known_at(
            pd.DatetimeIndex([pd.Timestamp(c.roll) for c in plan.cycles]), instrument)
        roll_count = _events_between_fills(roll_instants, fills.as_unit("ns").asi8)
    roll_cost = roll_count * 2.0 * (fee_local + ticks * instrument.tick_value)
    margin_local = margin.initial_margin_local(instrument, raw_history, adjusted_history, bar)
    margin_local = margin_local[tail] if tail is not None else \
        pd.Series(margin_local, index=history_index).reindex(frame.index).to_numpy()
    override = dict(config.margins).get(instrument.symbol)
    if override is not None:
        margin_local = override / usd_per_local
    long = short = np.zeros(len(frame))
    summary = {}
    if financing.financed(instrument):
        rates, sources = _rates(inputs, financing.FINANCED[instrument.symbol])
        notional = np.empty(len(frame))
        notional[0] = np.nan
        notional[1:] = raw_close.to_numpy()[:-1] * instrument.multiplier * usd_per_local[:-1]
        long, short, summary = financing.lines(instrument, fills, np.nan_to_num(notional),
                                               rates, config.financing_markup)
        summary["rates"] = sources
        notes.append(_financing_note(instrument, rates, sources, fills, summary,
                                     config.financing_markup))
    return Lines({"roll_offset": frame_offsets, "rolls": roll_count, "roll_cost": roll_cost,
                  "slippage_ticks": ticks, "fee_local": fee_local, "financing_long": long,
                  "financing_short": short, "margin": margin_local},
                 plan, summary, notes)


def _financing_note(instrument: Instrument, rates: dict, sources: list[str],
                    fills: pd.DatetimeIndex, summary: dict, markup: float) -> str:
    wanted = financing.FINANCED[instrument.symbol]
    lacking = [c for c in ("USD", "JPY") if c in wanted and c not in rates]
    text = (f"{instrument.symbol}: financed at each 17:00 New York rollover from "
            f"{'; '.join(sources) or 'no stored rate'}, markup {markup:.2%} a year")
    if instrument.symbol == "XAUUSD":
        text += f", gold lease {financing.GOLD_LEASE_RATE:.2%} (assumed)"
    if lacking:
        text += (f"; no {' or '.join(lacking)} rate in the store (import FRED DFF/DGS3MO, MOF "
                 "JGB yields: make import-raw): only the markup is charged")
    for currency, (values, known) in rates.items():
        if len(known) and known[-1] < fills[-1] - pd.Timedelta(days=7):
            text += (f"; the {currency} rate is stale after {values.index[-1].date()}: its last "
                     "value is carried forward")
    return text
