"""`unwind data fetch`: Yahoo Finance through yfinance, cached in the store.

yfinance is called with every option spelled out, because its defaults have changed between
releases (auto_adjust became True in 0.2.51, MultiIndex columns arrived in 0.2.48). We keep
unadjusted prices: futures and FX have no dividends, and a backtest must see the prices that
traded. yfinance's own `timeout` bounds one HTTP read, not the download: with packets silently
dropped it can hang for minutes. So the download runs in a daemon thread with a deadline we
enforce, and rate-limit refusals are retried with exponential backoff inside that deadline.

Every download is written to the store, and the manifest records the requested range, so asking
again for a range already fetched needs no network.
"""

from __future__ import annotations

import datetime as dt
import queue
import socket
import threading
import time
from dataclasses import dataclass
from typing import Callable, Protocol

import pandas as pd

from feeds import instruments
from feeds.bars import canonical, is_intraday
from feeds.errors import BrokenSeries, DataError
from feeds.store import SourceFile, Store, check_series_name

YAHOO_HOST = "query1.finance.yahoo.com"
_INTERVALS = {"1m": "1m", "5m": "5m", "15m": "15m", "30m": "30m", "1h": "60m", "1d": "1d",
              "1w": "1wk"}
# How far back Yahoo serves each intraday interval (days).
_INTRADAY_HISTORY = {"1m": 7, "5m": 59, "15m": 59, "30m": 59, "1h": 729}


class Transport(Protocol):
    """What fetching needs from the network; tests pass a fake."""

    def reachable(self) -> bool: ...

    def download(self, ticker: str, start: str, end: str, interval: str) -> pd.DataFrame: ...


class RateLimited(Exception):
    """The server asked us to slow down."""


class YfinanceTransport:
    """The real network, through yfinance."""

    def __init__(self, request_timeout: float = 10.0):
        self.request_timeout = request_timeout

    def reachable(self) -> bool:
        try:
            socket.create_connection((YAHOO_HOST, 443), timeout=3).close()
            return True
        except OSError:
            return False

    def download(self, ticker: str, start: str, end: str, interval: str) -> pd.DataFrame:
        import yfinance
        from yfinance.exceptions import YFRateLimitError

        try:
            return yfinance.download(
                ticker, start=start, end=end, interval=interval, auto_adjust=False,
                back_adjust=False, actions=False, repair=False, keepna=False, prepost=False,
                rounding=False, group_by="column", multi_level_index=False, progress=False,
                threads=False, ignore_tz=interval in ("1d", "1wk"),
                timeout=self.request_timeout)
        except YFRateLimitError as error:
            raise RateLimited(str(error)) from None


@dataclass(frozen=True)
class FetchOutcome:
    series: str
    bar: str
    status: str  # fetched | cached
    rows: int
    first: str
    last: str

    def to_json(self) -> dict:
        return dict(self.__dict__)


def _with_deadline(call: Callable[[], pd.DataFrame], seconds: float, what: str) -> pd.DataFrame:
    """Run `call` in a daemon thread; give up after `seconds` (the thread is abandoned)."""
    results: queue.Queue = queue.Queue(maxsize=1)

    def work() -> None:
        try:
            results.put((True, call()))
        except BaseException as error:  # handed to the caller's thread
            results.put((False, error))

    threading.Thread(target=work, daemon=True, name="yahoo-download").start()
    try:
        ok, value = results.get(timeout=max(seconds, 0.0))
    except queue.Empty:
        raise DataError(f"{what}: Yahoo did not answer within {seconds:.0f} s; try again later "
                        "or import a CSV with `unwind data import`") from None
    if ok:
        return value
    raise value


def download(transport: Transport, ticker: str, start: str, end: str, interval: str, *,
             deadline: float = 60.0, attempts: int = 4, sleep: Callable[[float], None] = time.sleep
             ) -> pd.DataFrame:
    """One bounded download with retries on rate limits; the whole call stays under `deadline`."""
    what = f"{ticker} {start}..{end} {interval}"
    finish = time.monotonic() + deadline
    for attempt in range(attempts):
        try:
            return _with_deadline(lambda: transport.download(ticker, start, end, interval),
                                  finish - time.monotonic(), what)
        except RateLimited:
            pause = 2.0 ** attempt
            if attempt == attempts - 1 or time.monotonic() + pause >= finish:
                break
            sleep(pause)
    raise DataError(f"{what}: Yahoo kept refusing with 'too many requests' after {attempts} "
                    "tries; wait a few minutes, or import a CSV with `unwind data import`")


def normalise(raw: pd.DataFrame, bar: str, what: str) -> pd.DataFrame:
    """yfinance's frame (flat or MultiIndex columns) -> the canonical frame."""
    if raw is None or raw.empty:
        raise DataError(f"{what}: Yahoo returned no rows (unknown ticker, no trading in the range, "
                        "or the request was refused)")
    frame = raw.copy()
    if isinstance(frame.columns, pd.MultiIndex):
        frame.columns = frame.columns.get_level_values(0)
    frame.columns = [str(c).lower() for c in frame.columns]
    missing = [c for c in ("open", "high", "low", "close") if c not in frame.columns]
    if missing:
        raise DataError(f"{what}: Yahoo's answer lacks {', '.join(missing)}")
    if "volume" not in frame.columns:
        frame["volume"] = 0.0
    frame = frame.dropna(subset=["open", "high", "low", "close"], how="all")
    frame["volume"] = frame["volume"].fillna(0.0)
    index = pd.DatetimeIndex(frame.index)
    if is_intraday(bar):
        index = index.tz_localize("UTC") if index.tz is None else index.tz_convert("UTC")
    else:
        index = (index.tz_localize(None) if index.tz is not None else index).normalize()
        index = index.tz_localize("UTC")
    frame = canonical(index, frame)
    if frame[["open", "high", "low", "close"]].isna().any().any():
        raise DataError(f"{what}: Yahoo's answer has partly empty bars")
    return frame[~frame.index.duplicated(keep="last")]


def _requested(info_sources: tuple[SourceFile, ...]) -> list[tuple[str, str]]:
    """The (start, end) ranges of earlier Yahoo downloads recorded in a manifest."""
    ranges = []
    for source in info_sources:
        if source.path.startswith("yahoo:"):
            fields = dict(part.split("=", 1) for part in source.path.split("?", 1)[1].split("&"))
            ranges.append((fields["start"], fields["end"]))
    return ranges


def _covered(ranges: list[tuple[str, str]], start: str, end: str) -> bool:
    """Whether [start, end) lies inside the union of earlier requested ranges."""
    reach = start
    for first, last in sorted(ranges):
        if first <= reach < last:
            reach = max(reach, last)
    return reach >= end


def _day(value: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as error:
        raise DataError(f"{option} {value!r} is not a date ({error}); expected YYYY-MM-DD") from None


def default_range(bar: str, start: str | None, end: str | None, today: dt.date
                  ) -> tuple[str, str]:
    """[start, end) as ISO dates: --end is inclusive for the user, exclusive for Yahoo."""
    end_day = _day(end, "--end") + dt.timedelta(days=1) if end else today + dt.timedelta(days=1)
    if start:
        start_day = _day(start, "--start")
    elif bar in _INTRADAY_HISTORY:
        start_day = today - dt.timedelta(days=_INTRADAY_HISTORY[bar])
    else:
        start_day = dt.date(2000, 1, 1)
    if start_day >= end_day:
        raise DataError(f"--start {start_day} is not before --end {end_day}")
    return start_day.isoformat(), end_day.isoformat()


def fetch(series: str, store: Store, *, start: str | None = None, end: str | None = None,
          bar: str = "1d", transport: Transport | None = None, deadline: float = 60.0,
          today: dt.date | None = None, sleep: Callable[[float], None] = time.sleep
          ) -> FetchOutcome:
    """Fetch `series` from Yahoo into `store`, or answer from the store when already fetched.
    A broken earlier download is fetched again."""
    series = check_series_name(series)
    instrument = instruments.get(series)
    if bar not in _INTERVALS:
        raise DataError(f"--bar {bar!r}: Yahoo serves {', '.join(_INTERVALS)}")
    if not instrument.yahoo:
        raise DataError(f"{series}: Yahoo has no ticker for it; import a CSV export with "
                        f"`unwind data import FILE --symbol {series}`")
    start, end = default_range(bar, start, end, today or dt.datetime.now(dt.timezone.utc).date())
    with store.writing(series):  # held through the download: one writer of a series at a time
        return _fetch_locked(series, instrument, store, start, end, bar, transport, deadline,
                             sleep)


def _fetch_locked(series: str, instrument: instruments.Instrument, store: Store, start: str,
                  end: str, bar: str, transport: Transport | None, deadline: float,
                  sleep: Callable[[float], None]) -> FetchOutcome:
    from feeds.importer import check_frame

    try:
        existing = store.verify(series, bar)
    except BrokenSeries as broken:
        if broken.info is None or broken.info.origin != "yahoo":
            raise
        existing = None  # a broken download is rebuilt from a fresh one
    if existing is not None:
        if existing.origin == "yahoo" and _covered(_requested(existing.sources), start, end):
            return FetchOutcome(series, bar, "cached", existing.rows, existing.first, existing.last)
        if existing.origin != "yahoo":
            raise DataError(f"{series} {bar} holds data imported from a file; fetch into a tagged "
                            f"series instead: unwind data fetch {series.split('@')[0]}@yahoo")
    transport = transport or YfinanceTransport()
    if not transport.reachable():
        raise DataError(f"offline: cannot reach Yahoo Finance ({YAHOO_HOST}); import a CSV "
                        f"export instead: unwind data import FILE --symbol {series}")
    interval = _INTERVALS[bar]
    what = f"{series} ({instrument.yahoo}) {start}..{end} {bar}"
    raw = download(transport, instrument.yahoo, start, end, interval, deadline=deadline,
                   sleep=sleep)
    frame = normalise(raw, bar, what)
    check_frame(what, frame, instrument, bar)   # the sanity rules, as an import has them
    sources = [SourceFile(f"yahoo:{instrument.yahoo}?start={start}&end={end}&interval={interval}",
                          "", "yahoo (yfinance)", len(frame))]
    if existing is not None:
        old, _ = store.read(series, bar)
        frame = pd.concat([old[~old.index.isin(frame.index)], frame]).sort_index(kind="mergesort")
        sources = list(existing.sources) + sources
    info = store.write(series, bar, frame, origin="yahoo", close_only=False, sources=tuple(sources),
                       conversion="daily bars labelled by trading date" if not is_intraday(bar)
                       else "exchange-time stamps -> UTC")
    return FetchOutcome(series, bar, "fetched", info.rows, info.first, info.last)
