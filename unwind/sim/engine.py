"""Run one playbook over one window: load data, precompute signals, run backtrader, score.

Only traded instruments become backtrader feeds. Signal series (yen, yields, VIX) are computed in
pandas and aligned onto the traded bars by the time each value became known, so a playbook never
reads a repeated (stale) bar of a series with another calendar. When a playbook trades several
instruments on different calendars, backtrader steps over the union of their timestamps; each feed
carries a `fresh` line the playbook checks (1 on the feed's own bars).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from feeds import instruments, rolls, sessions
from feeds.errors import DataError
from feeds.manifest import run_entry
from feeds.store import Store
from strategies import regime as regimes
from strategies.inputs import Inputs, availability
from unwind import compat
from unwind.compat import times_of
from unwind.evidence import metrics
from unwind.sim import costs, execution, financing, loading, staleness
from unwind.sim import margin as margins
from unwind.sim.accounting import ContractCommission, RiskBudgetSizer
from unwind.sim.config import RunConfig, build_parameters
from unwind.sim.datafeed import make_feed



@dataclass
class RunResult:
    config: RunConfig
    parameters: dict
    equity: pd.Series
    gross_notional: pd.Series   # USD value of the open contracts at each bar's close
    margin: pd.Series           # USD initial margin of the open contracts at each bar's close
    trades: pd.DataFrame
    metrics: dict[str, float]
    skips: list[dict]
    regime_shares: dict[str, float] | None
    series: list[dict]
    synthetic: bool
    notes: list[str] = field(default_factory=list)
    prices: pd.DataFrame | None = None    # traded OHLC, session flags and regime, window only
    signals: pd.DataFrame | None = None   # the playbook's decision lines, window only
    execution: dict = field(default_factory=dict)   # manifest "execution": costs, rolls, ...
    frames: dict = field(default_factory=dict, repr=False)   # the lines backtrader read


@dataclass
class Prepared:
    """A run ready for backtrader: one frame of lines per traded instrument."""

    playbook: object
    parameters: object
    window_start: pd.Timestamp
    window_end: pd.Timestamp
    bars: dict
    frames: dict[str, pd.DataFrame]
    regime_codes: pd.Series | None
    notes: list[str]
    execution: dict = field(default_factory=dict)
    # the frames without the playbook's decision lines (prices and execution lines), and the
    # calendar they are stepped on: what `with_parameters` reuses
    engine_frames: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)
    union: pd.DatetimeIndex | None = field(default=None, repr=False)
    # per traded symbol, the bars where an input was past its staleness allowance
    stale: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    suspects: list = field(default_factory=list, repr=False)   # suspect prints in the window
    # the traded futures' ratio-adjusted closes (strategies.inputs.Inputs.ratio_close)
    ratio_closes: dict = field(default_factory=dict, repr=False)
    # the store manifest of every series read (bars, then the execution inputs), by key: kept
    # here rather than in the frames' attrs (execution.detach_manifest)
    manifests: dict = field(default_factory=dict, repr=False)


def prepare(config: RunConfig, known_by: pd.Timestamp | None = None) -> Prepared:
    """Load the data and compute every line the playbook will read (the look-ahead boundary:
    a row of these frames may only depend on data known at that row's decision time).

    `known_by` keeps only bars whose values were known by that instant (each series by its own
    availability): the backtest as it could have been run at that moment.
    """
    import strategies

    playbook = strategies.get(config.playbook)
    parameters = build_parameters(playbook.Parameters, dict(config.parameters))
    store = Store(config.store)
    window_start = pd.Timestamp(config.start, tz="UTC")
    window_end = pd.Timestamp(config.end, tz="UTC") + pd.Timedelta(days=1)
    traded, signal_series = strategies.series_of(playbook, parameters)
    for symbol, _ in config.margins + config.fees:
        if symbol not in traded:
            raise DataError(f"--margin/--fee {symbol}: {config.playbook} trades "
                            f"{', '.join(traded)}")
    warmup = config.warmup_days if config.warmup_days is not None else playbook.WARMUP_DAYS
    load_start = window_start - pd.Timedelta(days=warmup)
    wanted = [(s, playbook.BAR) for s in traded] + list(signal_series)
    allowed: list[str] = []   # blocking defects run anyway (--allow-defects)
    bars = {key: loading.load(store, *key, load_start, config.end, config.allow_defects, allowed)
            for key in dict.fromkeys(wanted)}
    optional = [("USDHKD", "1d")] + [k for k in loading.REGIME_SERIES if k not in bars]
    for key in optional:
        try:
            bars[key] = loading.load(store, *key, load_start, config.end, True)
        except DataError:
            if key in loading.REGIME_SERIES and parameters.regime_filter:
                raise
    manifests = {key: execution.detach_manifest(frame) for key, frame in bars.items()}
    for symbol in traded:
        bars[(symbol, playbook.BAR)] = loading.on_tick_grid(bars[(symbol, playbook.BAR)],
                                                    instruments.get(symbol).tick_size)
    if known_by is not None:
        bars = {key: frame[availability(frame, *key) <= known_by] for key, frame in bars.items()}
    extra = execution.load_inputs(store, list(traded), playbook.BAR, load_start, config.end,
                                  known_by, loading.on_tick_grid)
    manifests |= {key: found for key, found in extra.manifests.items() if key not in manifests}
    printed, plans, ratio_closes = {}, {}, {}
    for symbol in traded:
        # futures trade on their roll-adjusted series: playbooks and P&L see the market's moves,
        # not the continuous series' jumps at contract switches (feeds/rolls.py)
        instrument, key = instruments.get(symbol), (symbol, playbook.BAR)
        printed[symbol] = bars[key]
        plans[symbol] = execution.roll_plan(instrument, bars[key], playbook.BAR, extra)
        if plans[symbol] is not None:
            offsets = plans[symbol].offsets(bars[key].index, instrument, playbook.BAR)
            if offsets.any():
                adjusted = bars[key].copy()
                for column in ("open", "high", "low", "close"):
                    adjusted[column] = (bars[key][column] - offsets).round(10)
                bars[key] = adjusted
                ratio_closes[key] = rolls.ratio_adjusted(printed[symbol]["close"], offsets)
    inputs = Inputs(bars, ratio_closes)
    signal_lines = playbook.prepare(inputs, parameters)
    # what the playbook's own rule did in the window ("the article's rule never fired: ...")
    rule_notes = playbook.rule_notes(inputs, parameters, config.start, config.end) \
        if hasattr(playbook, "rule_notes") else []
    reads = list(signal_series) + (list(loading.REGIME_SERIES) if parameters.regime_filter else [])
    stale, stale_runs = {}, []
    for symbol in traded:
        stale[symbol], runs = staleness.stale_decisions(
            inputs, [key for key in dict.fromkeys(reads) if key in bars], (symbol, playbook.BAR))
        stale_runs += staleness.in_window(runs, window_start, window_end)
    union = bars[(traded[0], playbook.BAR)].index
    for symbol in traded[1:]:
        union = union.union(bars[(symbol, playbook.BAR)].index)
    engine_frames, notes, regime_codes, suspects = {}, [], None, []
    report = {"slippage": costs.describe(config.slippage_model, config.slippage_ticks),
              "max_leverage": config.max_leverage, "financing_markup": config.financing_markup,
              "gold_lease_rate": financing.GOLD_LEASE_RATE, "rolls": {}, "financing": {},
              "margin": [], "inputs_missing": extra.missing,
              "stale_inputs": [run.to_json() for run in stale_runs],
              "defects_allowed": allowed, "rule_notes": rule_notes}
    for symbol in traded:
        instrument = instruments.get(symbol)
        frame = bars[(symbol, playbook.BAR)]
        onto = (symbol, playbook.BAR)
        rate, rate_source = loading.usd_per_local(instrument, frame, inputs, onto)
        notes.append(f"{symbol}: {instrument.currency} converted with {rate_source}")
        regime_codes = loading.regime(inputs, onto)
        fill_times = loading.fill_times(frame, instrument, playbook.BAR)
        fills = times_of(fill_times["open_time"])
        lines = execution.lines(instrument, frame, printed[symbol]["close"], playbook.BAR,
                                pd.DatetimeIndex(fills), rate, extra, config, plans[symbol])
        tradable, inside = loading.tradable(store, symbol, playbook.BAR, frame.index, window_start,
                                     window_end)
        suspects += inside
        notes += [f"suspect print {symbol} {suspect.message()}"
                  + ("; no fill at it" if suspect.field == "open" else "") for suspect in inside]
        columns = {"usd_per_local": rate, "tradable": tradable,
                   "volatility": loading.daily_volatility(printed[symbol]["close"],
                                                   inputs.ratio_close(*onto), instrument,
                                                   playbook.BAR),
                   "session": sessions.tag(frame.index).astype(float),
                   "regime": regime_codes.to_numpy() if regime_codes is not None else np.nan,
                   **fill_times, **lines.columns}
        engine_frames[symbol] = pd.concat([frame, pd.DataFrame(columns, index=frame.index)],
                                          axis=1)
        if lines.plan is not None:
            report["rolls"][symbol] = lines.plan.to_json()
            notes.append(lines.plan.note)
        if lines.financing:
            report["financing"][symbol] = lines.financing
        notes += lines.notes
        report["margin"].append(margins.describe(instrument, dict(config.margins).get(symbol)))
    notes += rule_notes + [run.line() for run in stale_runs]
    notes += [f"quality gate defect allowed (--allow-defects): {defect}" for defect in allowed]
    notes.append(f"warm-up {warmup} calendar days before {config.start}")
    notes.append(f"costs: {report['slippage']}; gross leverage capped at "
                 f"{config.max_leverage:g}x equity")
    report["suspect_bars"] = [suspect.to_json() for suspect in suspects]
    frames = with_signals(engine_frames, signal_lines, union, stale)
    return Prepared(playbook, parameters, window_start, window_end, bars, frames,
                    regime_codes, notes, report, engine_frames, union, stale,
                    suspects, ratio_closes, manifests)


def with_signals(engine_frames: dict[str, pd.DataFrame], signal_lines: dict[str, pd.DataFrame],
                  union: pd.DatetimeIndex, stale: dict[str, np.ndarray]
                  ) -> dict[str, pd.DataFrame]:
    """The frames backtrader reads: each traded series' prices and execution lines beside the
    playbook's decision lines (none for a benchmark; no decision where an input was stale), on
    the union of the traded calendars when there are several."""
    frames = {}
    for symbol, base in engine_frames.items():
        lines = signal_lines.get(symbol)
        if lines is not None:
            lines = staleness.without_stale(lines, stale.get(symbol))
        full = pd.concat([base, lines], axis=1)
        if len(engine_frames) > 1:
            full = loading.onto_union(full, union)
        # a dtype, not its name: pandas looks a name up in its extension registry once a block
        # (2% of prepare); the same float64 columns
        frames[symbol] = full.astype(np.dtype(np.float64))
    return frames


def with_parameters(ready: Prepared, parameters, seen_by_prepare=None) -> Prepared:
    """`ready` at other parameters of its playbook that read the same series (a sweep's
    trials, a scorecard's plain twin): the loaded bars and the execution lines are reused, only
    the playbook's decision lines are computed again, exactly as `prepare` computes them.
    `seen_by_prepare` stands in for `parameters` in the playbook's prepare() alone (a sweep
    passes one that records which fields the lines depend on)."""
    import dataclasses

    import strategies

    playbook = ready.playbook
    if strategies.series_of(playbook, parameters) != \
            strategies.series_of(playbook, ready.parameters):
        raise ValueError("other series are read at these parameters: prepare() them instead")
    if parameters.regime_filter and ready.regime_codes is None:
        raise DataError(f"regime_filter={parameters.regime_filter}: the regime read needs "
                        f"{', '.join(s for s, _ in loading.REGIME_SERIES)} daily in the store")
    signal_lines = playbook.prepare(Inputs(ready.bars, ready.ratio_closes),
                                    seen_by_prepare or parameters)
    return dataclasses.replace(ready, parameters=parameters,
                               frames=with_signals(ready.engine_frames, signal_lines,
                                                    ready.union, ready.stale))


def prepare_like(ready: Prepared, config: RunConfig) -> Prepared:
    """`config` prepared, reusing `ready` (the same playbook, window and options at other
    parameters) when its parameters read the same series; prepared from the store otherwise."""
    parameters = build_parameters(ready.playbook.Parameters, dict(config.parameters))
    try:
        return with_parameters(ready, parameters)
    except ValueError:
        return prepare(config)


def run(config: RunConfig, ready: Prepared | None = None, strategy_class=None) -> RunResult:
    """Run `config` (already prepared as `ready` when given) on backtrader and return equity,
    trades and metrics of its window; `strategy_class` replaces the playbook's Strategy (a
    test's or the null model's book on the same data)."""
    ready = ready or prepare(config)
    return result_of(config, ready, execute(ready, config, strategy_class))


def execute(ready: Prepared, config: RunConfig, strategy_class=None):
    """The backtrader part of a run: feeds, accounting, sizer, playbook; returns the strategy."""
    import backtrader as bt

    compat.install()
    cerebro = bt.Cerebro(stdstats=False, runonce=config.runonce, preload=config.preload)
    cerebro.broker.setcash(config.cash_usd)
    for symbol, frame in ready.frames.items():
        feed = make_feed(frame, symbol)
        cerebro.adddata(feed)
        commission = ContractCommission(instrument=instruments.get(symbol))
        commission.feed = feed
        cerebro.broker.addcommissioninfo(commission, name=symbol)
    parameters = ready.parameters
    cerebro.addsizer(RiskBudgetSizer, risk_budget_usd=parameters.risk_budget_usd,
                     max_leverage=config.max_leverage)
    trade_from = bt.date2num(ready.window_start.to_pydatetime().replace(tzinfo=None))
    strategy_class = strategy_class or ready.playbook.Strategy
    accepted = set(strategy_class.params._getkeys())
    cerebro.addstrategy(strategy_class, trade_from=trade_from,
                        **{k: getattr(parameters, k) for k in parameters.__dataclass_fields__
                           if k in accepted})
    return cerebro.run()[0]


# Lines the engine adds to every traded frame; the rest of a frame's columns are the playbook's.
ENGINE_LINES = ("open", "high", "low", "close", "volume", "usd_per_local", "volatility",
                "session", "regime", "open_time", "close_time", "fresh", "tradable"
                ) + execution.LINES


def result_of(config: RunConfig, ready: Prepared, strategy) -> RunResult:
    times = times_of(strategy.equity_times)
    equity = pd.Series(strategy.equity_values, index=times, name="equity_usd")
    inside = (equity.index >= ready.window_start) & (equity.index < ready.window_end)
    if not inside.any():
        raise DataError(f"no bars of {config.playbook}'s instruments in "
                        f"{config.start}..{config.end}")
    window = equity[inside]
    notional = pd.Series(strategy.gross_notionals, index=times, name="gross_notional_usd")
    margin = pd.Series(strategy.margin_values, index=times, name="margin_usd")
    trades = pd.DataFrame(strategy.trade_records, columns=metrics.TRADE_COLUMNS)
    exposure = _exposure(strategy, inside)
    run_data = metrics.RunData(window, trades, exposure, config.first_trigger)
    window_regime = None
    if ready.regime_codes is not None:
        window_regime = regimes.window_shares(ready.regime_codes, ready.window_start,
                                              ready.window_end)
    series = [run_entry(key[0], key[1], manifest)
              for key, manifest in ready.manifests.items()]
    prices, signal_lines = [], []
    for symbol, frame in ready.frames.items():
        printed, own = _window_lines(frame, window.index, symbol)
        prices.append(printed)
        signal_lines.append(own)
    parameters = ready.parameters
    execution_report = dict(ready.execution, leverage_caps=strategy.capped,
                            margin_calls=strategy.margin_calls)
    return RunResult(config, {k: getattr(parameters, k) for k in parameters.__dataclass_fields__},
                     window, notional[inside], margin[inside], trades, metrics.compute(run_data),
                     strategy.skips, window_regime, series, any(s["synthetic"] for s in series),
                     ready.notes, pd.concat(prices), pd.concat(signal_lines), execution_report,
                     ready.frames)


_PRICE_COLUMNS = ["open", "high", "low", "close"]


def _window_lines(frame: pd.DataFrame, times: pd.DatetimeIndex, symbol: str
                  ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A traded frame's rows at `times` as the run reports them: the printed prices (what the
    market showed: the traded ones plus the roll offset, rounded to 10 decimals) with session,
    regime and symbol, and the playbook's own lines with symbol. What
    `frame.loc[times]` and its column picks give, taken by row positions on the frame's values
    when every column is float64 (pandas' label lookups cost a cell a few milliseconds); a
    frame with a line of another type (a trader's boolean) takes pandas' path, keeping it."""
    own = [name for name in frame.columns if name not in ENGINE_LINES]
    positions = frame.index.get_indexer(times)
    if (positions < 0).any() or any(kind != np.float64 for kind in frame.dtypes.to_numpy()):
        shown = frame.loc[times]   # pandas' KeyError for a missing time; other dtypes kept
        printed = shown[_PRICE_COLUMNS].add(shown["roll_offset"], axis=0).round(10)
        return (printed.assign(session=shown["session"], regime=shown["regime"], symbol=symbol),
                shown[own].assign(symbol=symbol))
    rows = frame.to_numpy()[positions]
    column = frame.columns.get_loc
    roll_offset = rows[:, column("roll_offset")]
    printed = {name: np.round(rows[:, column(name)] + roll_offset, 10) for name in _PRICE_COLUMNS}
    index = frame.index[positions]
    prices = pd.DataFrame(printed | {"session": rows[:, column("session")],
                                     "regime": rows[:, column("regime")], "symbol": symbol},
                          index=index)
    signal_lines = pd.DataFrame({name: rows[:, column(name)] for name in own} | {"symbol": symbol},
                                index=index, columns=[*own, "symbol"])
    return prices, signal_lines


def _exposure(strategy, inside: np.ndarray) -> float:
    held = np.asarray(strategy.position_flags, dtype=bool)
    return float(held[inside].mean()) if inside.any() else 0.0
