"""The instrument registry: every canonical symbol, loaded once from `instruments.toml`.

A futures trader's contract facts (point value, tick, margin, fee, sessions) live in one file so
the accounting, the quality gate and the CLI all read the same numbers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from feeds.errors import DataError, nearest

REGISTRY_PATH = Path(__file__).with_name("instruments.toml")
TRADABLE_KINDS = frozenset({"futures", "fx", "spot", "etf"})
# "event": a dated list (central-bank meetings), stored as one daily bar of 1.0 per event.
KINDS = TRADABLE_KINDS | {"index", "yield", "volatility", "cfd", "rate", "event"}


@dataclass(frozen=True)
class Session:
    """A trading session in the instrument's local time; `close` before `open` crosses midnight."""

    name: str
    open: dt.time
    close: dt.time
    since: dt.date | None = None
    until: dt.date | None = None

    def active_on(self, day: dt.date) -> bool:
        return (self.since is None or day >= self.since) and (self.until is None or day <= self.until)


EXPIRY_RULES = frozenset({"third_friday", "two_business_days_before_third_wednesday",
                          "last_business_day", "business_day_before_last",
                          "third_last_business_day", "seventh_business_day_before_last"})


@dataclass(frozen=True)
class RollRule:
    """How a futures contract rolls (feeds/rolls.py computes the dates from it).

    `months`: the listed months a trader holds (month codes F..Z); `expiry`: the exchange's
    last-trading-day rule; `roll`: the trader rolls `roll_days` before "first_notice"
    (physically delivered) or "expiry" (cash settled), counted in exchange sessions of the
    instrument's calendar or, with `roll_count = "calendar_days"`, in calendar days (CME's
    equity-index convention: eight calendar days before expiry, on the last session on or before
    that day); `series`: when the stored
    continuous series changes contract ("after_expiry": Yahoo's front month, "none": a cash-index
    proxy that never does); `reference`: series its gap is estimated against, in order of
    preference, read as prices or as yields (`reference_kind`).
    """

    months: str
    expiry: str
    roll: str
    roll_days: int
    series: str
    roll_count: str = "sessions"
    reference: tuple[str, ...] = ()
    reference_kind: str = "price"
    # Local time the futures' daily close is struck (its settlement): an intraday reference
    # ("XAUUSD 1h") is sampled there, so both prices are of the same instant.
    reference_at: str = ""

    def references(self) -> list[tuple[str, str]]:
        """(series, bar) of each reference, in order of preference (bar defaults to 1d)."""
        return [(name, bar or "1d") for name, _, bar in
                (entry.partition(" ") for entry in self.reference)]

    def __post_init__(self):
        problems = [
            (not self.months or set(self.months) - set("FGHJKMNQUVXZ"), f"months {self.months!r}"),
            (self.expiry not in EXPIRY_RULES, f"expiry {self.expiry!r}"),
            (self.roll not in ("first_notice", "expiry"), f"roll {self.roll!r}"),
            (self.series not in ("after_expiry", "none"), f"series {self.series!r}"),
            (self.reference_kind not in ("price", "yield"),
             f"reference_kind {self.reference_kind!r}"),
            (self.roll_count not in ("sessions", "calendar_days"),
             f"roll_count {self.roll_count!r}"),
            (self.roll_days < 0, f"roll_days {self.roll_days}")]
        bad = [what for wrong, what in problems if wrong]
        if bad:
            raise ValueError(f"unknown roll {bad[0]}")


@dataclass(frozen=True)
class Instrument:
    """One canonical symbol. Money fields are in `currency`; prices in `unit`."""

    symbol: str
    kind: str
    name: str
    timezone: str
    calendar: str
    yahoo: str = ""
    fred: str = ""
    mof: str = ""
    proxy: str = ""
    unit: str = ""
    currency: str = "USD"
    multiplier: float = 1.0
    tick_size: float = 0.0
    tick_value: float = 0.0
    initial_margin: float = 0.0
    margin_rate: float = 0.0
    margin_as_of: str = ""
    fee_per_contract: float = 0.0
    # The currency the fee is charged in when it is not the contract's (spot FX commissions are
    # quoted in USD per lot).
    fee_currency: str = ""
    # Slippage per contract per side in ticks under the fixed model (the volatility model scales
    # it): half a typical spread plus a little impact (the registry says which spread).
    slippage_ticks: float = 1.0
    # Initial margin = margin_sigmas x one contract's daily volatility (price x daily volatility
    # x multiplier), calibrated to `initial_margin` as of `margin_as_of` (unwind/sim/margin.py).
    margin_sigmas: float = 0.0
    # Maintenance margin as a share of initial margin (below it the position is cut).
    maintenance_ratio: float = 1.0
    roll: RollRule | None = None
    spec_source: str = ""
    daily_close: str = "23:59"
    sessions: tuple[Session, ...] = field(default_factory=tuple)

    @property
    def tradable(self) -> bool:
        """Instruments with contract specs (a tick size) can be traded; the rest are signals."""
        return self.kind in TRADABLE_KINDS and self.tick_size > 0

    @property
    def allows_non_positive(self) -> bool:
        """Yields, spreads and rates can be zero or negative (JGBs were, 2016-2020)."""
        return self.kind in {"yield", "rate"}

    @property
    def fee_in(self) -> str:
        """The currency of `fee_per_contract`."""
        return self.fee_currency or self.currency

    def to_json(self) -> dict:
        data = {k: v for k, v in self.__dict__.items() if k not in ("sessions", "roll")}
        data["roll"] = None if self.roll is None else {
            **self.roll.__dict__, "reference": list(self.roll.reference)}
        data["tradable"] = self.tradable
        data["sessions"] = [
            {
                "name": s.name,
                "open": s.open.strftime("%H:%M"),
                "close": s.close.strftime("%H:%M"),
                "since": s.since.isoformat() if s.since else None,
                "until": s.until.isoformat() if s.until else None,
            }
            for s in self.sessions
        ]
        return data


_FIELDS = {f for f in Instrument.__dataclass_fields__} - {"symbol"}


def _parse_session(raw: dict) -> Session:
    def day(value: str | None) -> dt.date | None:
        return dt.date.fromisoformat(value) if value else None

    return Session(
        name=raw["name"],
        open=dt.time.fromisoformat(raw["open"]),
        close=dt.time.fromisoformat(raw["close"]),
        since=day(raw.get("since")),
        until=day(raw.get("until")),
    )


def _parse(symbol: str, raw: dict, source: Path) -> Instrument:
    unknown = set(raw) - _FIELDS
    if unknown:
        key = sorted(unknown)[0]
        raise DataError(f"{source}: [{symbol}] unknown field {key!r}{nearest(key, _FIELDS)}")
    if raw.get("kind") not in KINDS:
        raise DataError(f"{source}: [{symbol}] kind must be one of {sorted(KINDS)}")
    values = dict(raw)
    values["sessions"] = tuple(_parse_session(s) for s in raw.get("sessions", []))
    if "roll" in raw:
        values["roll"] = _parse_roll(symbol, raw["roll"], source)
    for money in ("multiplier", "tick_size", "tick_value", "initial_margin", "margin_rate",
                  "fee_per_contract", "slippage_ticks", "margin_sigmas", "maintenance_ratio"):
        if money in values:
            values[money] = float(values[money])
    instrument = Instrument(symbol=symbol, **values)
    if instrument.kind == "futures" and (instrument.tick_size <= 0 or instrument.multiplier <= 0):
        raise DataError(f"{source}: [{symbol}] futures need a positive tick_size and multiplier")
    if instrument.kind == "futures" and instrument.roll is None:
        raise DataError(f"{source}: [{symbol}] futures need a roll rule")
    if not 0 < instrument.maintenance_ratio <= 1:
        raise DataError(f"{source}: [{symbol}] maintenance_ratio must be in (0, 1]")
    return instrument


_ROLL_FIELDS = set(RollRule.__dataclass_fields__)


def _parse_roll(symbol: str, raw: dict, source: Path) -> RollRule:
    unknown = set(raw) - _ROLL_FIELDS
    if unknown:
        key = sorted(unknown)[0]
        raise DataError(f"{source}: [{symbol}] roll: unknown field {key!r}"
                        f"{nearest(key, _ROLL_FIELDS)}")
    try:
        return RollRule(**{**raw, "reference": tuple(raw.get("reference", ()))})
    except (TypeError, ValueError) as error:
        raise DataError(f"{source}: [{symbol}] roll: {error}") from None


@lru_cache(maxsize=4)
def load_registry(path: Path = REGISTRY_PATH) -> dict[str, Instrument]:
    """All instruments by symbol, in file order."""
    from feeds.filesystem import read_catalogue

    raw = read_catalogue(path, "instrument registry")
    return {symbol: _parse(symbol, entry, path) for symbol, entry in raw.items()}


def get(symbol: str) -> Instrument:
    """The instrument for a canonical symbol (a `SYM@tag` series name resolves to SYM)."""
    registry = load_registry()
    base = symbol.split("@", 1)[0]
    if base not in registry:
        raise DataError(f"unknown symbol {base!r}{nearest(base, registry)}; "
                        "`unwind list instruments` shows the registry")
    return registry[base]


def by_source_code(attribute: str, code: str) -> Instrument | None:
    """The instrument whose `yahoo`, `fred` or `mof` code is `code`, if exactly one has it."""
    matches = [i for i in load_registry().values() if getattr(i, attribute) == code]
    return matches[0] if len(matches) == 1 else None
