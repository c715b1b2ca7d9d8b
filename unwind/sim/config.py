"""The run configuration: frozen, typed, refusing unknown fields, identified by its hash."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import math
import typing
from dataclasses import dataclass, field

from feeds.errors import DataError, excerpt, nearest


# The longest warm-up a run may load before its window: a century of calendar days.
MAX_WARMUP_DAYS = 36_525
# Starting cash a run accepts, USD: a one-contract account to a large fund's book. Above the
# ceiling float64 P&L loses the cents (at 1e300 a run's trades summed to -16,015 USD and its
# pnl_usd read 0.0).
MIN_CASH_USD = 1_000.0
MAX_CASH_USD = 1e10
# The summer of 2024 around the August carry unwind: the window a run uses when given none.
DEFAULT_WINDOW = ("2024-06-01", "2024-09-30")


def _day(name: str, value) -> str:
    """A window day as ISO text, parsed as a date inside feeds.FIRST_DAY..LAST_DAY."""
    from feeds import FIRST_DAY, LAST_DAY

    try:
        day = dt.date.fromisoformat(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError):
        raise DataError(f"--{name} {excerpt(value)} is not a date; expected YYYY-MM-DD"
                        ) from None
    if not FIRST_DAY <= day.isoformat() <= LAST_DAY:
        raise DataError(f"--{name} {day} is outside {FIRST_DAY}..{LAST_DAY}")
    return day.isoformat()


# No playbook or episode id is longer; a longer one is refused without being echoed whole.
MAX_ID_CHARACTERS = 64


def check_id(kind: str, value: str) -> None:
    """Refuse an id too long to be a `kind` (playbook, episode) before a lookup that would echo
    it whole in its did-you-mean."""
    if len(value) > MAX_ID_CHARACTERS:
        raise DataError(f"unknown {kind} {excerpt(value)}; `unwind list {kind}s` shows them")


def _amount(value) -> bool:
    """A finite real number (not a bool)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and \
        math.isfinite(value)


@dataclass(frozen=True)
class RunConfig:
    """Everything that decides a backtest's result (the store's data aside, hashed separately)."""

    playbook: str
    start: str
    end: str
    parameters: tuple[tuple[str, typing.Any], ...] = ()
    # Calendar days loaded before `start` so indicators are ready; None = the playbook's own.
    warmup_days: int | None = None
    cash_usd: float = 1_000_000.0
    # Ticks lost per contract per side for every instrument; None = each one's registry value.
    slippage_ticks: float | None = None
    # "fixed", or "volatility": the ticks widen with recent volatility (unwind/sim/costs.py).
    slippage_model: str = "volatility"
    # Gross notional of all positions at most this multiple of equity (unwind/sim/margin.py).
    max_leverage: float = 3.0
    # Broker markup on the financing of spot positions, fraction a year (unwind/sim/financing.py).
    financing_markup: float = 0.005
    allow_defects: bool = False
    # The episode the window comes from, and the date days_to_first_entry counts from.
    episode: str | None = None
    first_trigger: str | None = None
    # Per-symbol overrides of the registry: initial margin (USD per contract) and fee (contract
    # currency per contract per side), e.g. (("HSI", 16000.0),).
    margins: tuple[tuple[str, float], ...] = ()
    fees: tuple[tuple[str, float], ...] = ()
    store: str | None = field(default=None, compare=False)
    runonce: bool = field(default=True, compare=False)
    preload: bool = field(default=True, compare=False)

    def __post_init__(self):
        for name in ("start", "end"):
            # parsed as a date, stored in ISO form: 20240601 and 2024-06-01 are one day, and
            # ISO text orders as dates do
            object.__setattr__(self, name, _day(name, getattr(self, name)))
        check_once(self.parameters)
        if self.start > self.end:
            raise DataError(f"empty window: --start {self.start} is after --end {self.end}")
        for kind, overrides in (("margin", self.margins), ("fee", self.fees)):
            for symbol, value in overrides:
                if not _amount(value) or value < 0:
                    raise DataError(f"--{kind} {symbol}={excerpt(value)}: expected a finite "
                                    "amount >= 0")
        warmup = self.warmup_days
        if warmup is not None and (not isinstance(warmup, int) or isinstance(warmup, bool)
                                   or not 0 <= warmup <= MAX_WARMUP_DAYS):
            raise DataError(f"--warmup-days {excerpt(warmup)}: expected whole days from 0 to "
                            f"{MAX_WARMUP_DAYS:,}")
        if not _amount(self.cash_usd) or not MIN_CASH_USD <= self.cash_usd <= MAX_CASH_USD:
            raise DataError(f"--cash {excerpt(self.cash_usd)}: expected USD from "
                            f"{MIN_CASH_USD:,.0f} to {MAX_CASH_USD:,.0f}")
        if self.slippage_ticks is not None and not (_amount(self.slippage_ticks)
                                                    and self.slippage_ticks >= 0):
            raise DataError(f"--slippage-ticks {excerpt(self.slippage_ticks)}: expected a "
                            "finite number of ticks >= 0")
        from unwind.sim.costs import MODELS

        if self.slippage_model not in MODELS:
            raise DataError(f"--slippage-model {excerpt(self.slippage_model)}"
                            f"{nearest(str(self.slippage_model), MODELS)}; expected one of "
                            f"{', '.join(MODELS)}")
        if not _amount(self.max_leverage) or not self.max_leverage > 0:
            raise DataError(f"--max-leverage {excerpt(self.max_leverage)}: expected a finite "
                            "multiple > 0")
        if not _amount(self.financing_markup) or not 0 <= self.financing_markup < 1:
            raise DataError(f"--financing-markup {excerpt(self.financing_markup)}: expected a "
                            "fraction a year in [0, 1), e.g. 0.005 for 0.5%")

    def to_json(self) -> dict:
        return {"playbook": self.playbook, "start": self.start, "end": self.end,
                "parameters": dict(self.parameters), "warmup_days": self.warmup_days,
                "cash_usd": self.cash_usd, "slippage_ticks": self.slippage_ticks,
                "slippage_model": self.slippage_model, "max_leverage": self.max_leverage,
                "financing_markup": self.financing_markup,
                "allow_defects": self.allow_defects, "episode": self.episode,
                "first_trigger": self.first_trigger, "margins": dict(self.margins),
                "fees": dict(self.fees)}

    def sha256(self) -> str:
        text = json.dumps(self.to_json(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()


def check_once(pairs, option: str = "-p") -> None:
    """Refuse a name given twice (`-p dip=0.01 -p dip=0.02`): which one was meant is a guess,
    and a sweep already refuses a repeated axis."""
    seen = set()
    for name, _ in pairs:
        if name in seen:
            raise DataError(f"{option} {excerpt(name)} is given twice; give each once")
        seen.add(name)


def build_parameters(parameters_class: type, given: dict[str, typing.Any]):
    """The playbook's frozen Parameters from user values (strings from the CLI are converted)."""
    fields = {f.name: f for f in dataclasses.fields(parameters_class)}
    values = {}
    for name, raw in given.items():
        if name not in fields:
            raise DataError(f"unknown parameter {excerpt(name)}{nearest(name, fields)}; valid: "
                            f"{', '.join(fields)}")
        values[name] = convert(name, raw, fields[name].type)
    try:
        return parameters_class(**values)
    except ValueError as error:
        raise DataError(f"bad parameter: {error}") from None


def convert(name: str, raw, annotation):
    kind = {"float": float, "int": int, "bool": bool, "str": str}.get(
        annotation if isinstance(annotation, str) else getattr(annotation, "__name__", ""), str)
    if isinstance(raw, kind) and not (kind is int and isinstance(raw, bool)):
        return raw
    if kind is float and isinstance(raw, int) and not isinstance(raw, bool):
        return float(raw)
    if isinstance(raw, str):
        try:
            if kind is bool:
                if raw.lower() not in ("true", "false", "1", "0", "yes", "no"):
                    raise ValueError
                return raw.lower() in ("true", "1", "yes")
            return kind(raw)
        except ValueError:
            pass
    raise DataError(f"parameter {name}={excerpt(raw)}: expected {kind.__name__}")


def for_window(playbook: str, store: str | None, options: typing.Callable[[], dict], *,
               episode: str | None = None, full_history: bool = False,
               start: str | None = None, end: str | None = None,
               window_names: str = "--episode, --full-history or --start/--end") -> RunConfig:
    """A run's configuration over one window (an episode, the full history in `store`, or
    start..end with DEFAULT_WINDOW filling a day not given): `unwind run` and `unwind.run` build
    it here, so the two cannot drift. The window and the ids are checked before `options()`
    reads the other RunConfig fields, so of two mistakes the window's is named; `window_names`
    names the choices as the caller's user types them."""
    import strategies

    if sum(map(bool, (episode, full_history, start or end))) > 1:
        raise DataError(f"choose one window: {window_names}")
    check_id("playbook", playbook)
    strategies.get(playbook)
    if episode:
        check_id("episode", episode)
        return for_episode(playbook, episode, store=store, **options())
    if full_history:
        from unwind.evidence.cells import full_history_window

        start, end = full_history_window(playbook, store)
    return RunConfig(playbook=playbook, start=start or DEFAULT_WINDOW[0],
                     end=end or DEFAULT_WINDOW[1], store=store, **options())


def for_episode(playbook: str, episode_id: str, **options) -> RunConfig:
    """A run over an episode's analysis window (the warm-up is loaded before it)."""
    from unwind.evidence import episodes

    episode = episodes.get(episode_id)
    return RunConfig(playbook=playbook, start=episode.start, end=episode.end, episode=episode_id,
                     first_trigger=episode.first_trigger, **options)
