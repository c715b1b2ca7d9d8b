"""`unwind check`: whether a playbook (a spec file or an id) is sound and worth a scorecard.

Four checks, one line each, over the playbook's full history (every series it reads):

- spec: the file validates (strategies/spec.py: one line naming the key when it does not);
- look-ahead: the decision lines computed on data cut at LOOK_AHEAD_CUTS instants (each series
  cut by when its values became known, engine.prepare's `known_by`) equal the full
  computation's lines up to each instant;
- parity: the screen (unwind/sim/screen.py) and backtrader make the same trades, fill for fill, and
  the same equity within PARITY_TOLERANCE_USD (a playbook the screen cannot run says why);
- verdict: the badge and reasons (unwind/evidence/verdict.py) of the full-history row the scorecard
  builds (unwind/studies/scorecard.py score_full_history).

A failure of the first three is a defect of the playbook (exit 1); the verdict is the answer.
Cost: one full-history preparation, three cut ones, one backtrader run (parity's reference
and the verdict row's run alike), one screen run and the benchmark of the full-history row.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from feeds.errors import DataError

# The instants the look-ahead test cuts the data at: these fractions of the full history, at
# 12:00 UTC (between the Tokyo and New York closes, where a leak of a daily close would show).
LOOK_AHEAD_CUTS = (0.25, 0.5, 0.75)
PARITY_TOLERANCE_USD = 1e-6
# Trade columns the two executors must agree on exactly, and those within the tolerance.
SAME_COLUMNS = ("entry_time", "exit_time", "symbol", "side", "contracts", "entry_price",
                "exit_price", "exit_reason", "status", "bars_held", "rolls", "currency",
                "fill_note")
NUMBER_COLUMNS = ("gross_pnl_local", "fees_local", "pnl_local", "pnl_usd", "fees_usd",
                  "mae_usd", "mfe_usd", "roll_gap", "roll_cost_usd", "financing_local",
                  "financing_usd")


@dataclass
class Outcome:
    """What the checks found: one (status, name, text) per line; status ok, FAIL, skip, warn."""

    lines: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(status == "FAIL" for status, _, _ in self.lines)


def _playbook(target: str) -> tuple[str, str]:
    """(playbook id, what it is): a spec file is registered (validated) first."""
    import strategies

    if target.endswith(".toml") or Path(target).is_file():
        playbook_id = strategies.register(target)
        return playbook_id, f"{target} is playbook {playbook_id}"
    playbook = strategies.get(target)
    where = "the package's" if target in strategies.PLAYBOOK_IDS else "a user's"
    kind = "spec" if getattr(playbook, "SPEC", None) is not None else "Python playbook"
    return target, f"{target} is {where} {kind}"


def _describe(playbook) -> str:
    reads = ", ".join(f"{series} {bar}" for series, bar in playbook.SIGNALS) or "nothing else"
    spec = getattr(playbook, "SPEC", None)
    counted = f"; {len(spec.parameters)} parameters, {len(spec.lines)} lines, exits " \
              f"{', '.join(spec.exits)}" if spec else ""
    side = {1: "long", -1: "short"}.get(getattr(playbook.Strategy, "SIDE", 0), "trades")
    return f"{side} {', '.join(playbook.TRADED)} {playbook.BAR}, reads {reads}{counted}"


def _engine_clash(playbook) -> str | None:
    """A spec line named like a line the engine adds to the traded frame."""
    from unwind.sim.engine import ENGINE_LINES

    spec = getattr(playbook, "SPEC", None)
    clash = [name for name in (spec.lines if spec else ()) if name in ENGINE_LINES]
    return f"line {clash[0]!r} is a name the engine uses ({', '.join(ENGINE_LINES)})" \
        if clash else None


def look_ahead(config, ready) -> str:
    """Cut the data at each LOOK_AHEAD_CUTS instant; the playbook's decision lines up to it
    must equal the full computation's. Returns what was compared; AssertionError if not."""
    from unwind.sim import engine

    start, end = ready.window_start, ready.window_end
    compared, instants = 0, []
    for share in LOOK_AHEAD_CUTS:
        instant = (start + (end - start) * share).normalize() + pd.Timedelta(hours=12)
        cut = engine.prepare(config, known_by=instant)
        for symbol, frame in cut.frames.items():
            own = [c for c in frame.columns if c not in engine.ENGINE_LINES]
            full = ready.frames[symbol].loc[frame.index, own]
            different = ~((frame[own] == full) | (frame[own].isna() & full.isna()))
            if different.to_numpy().any():
                row, column = np.argwhere(different.to_numpy())[0]
                raise AssertionError(
                    f"{symbol} {own[column]} at {frame.index[row]:%Y-%m-%d %H:%M} is "
                    f"{frame[own].iloc[row, column]} on data known by {instant:%Y-%m-%d %H:%M} "
                    f"UTC, {full.iloc[row, column]} on all the data: the line reads the future")
            compared += int(frame.loc[frame.index >= start, own].notna().to_numpy().sum())
        instants.append(f"{instant:%Y-%m-%d}")
    return f"decision lines equal on data cut at {', '.join(instants)} 12:00 UTC " \
           f"({compared:,} values compared)"


def parity(config, ready, reference=None) -> str:
    """The screen against backtrader on the same prepared lines (`reference`: backtrader's run
    of them, when already made); AssertionError naming the first difference."""
    from unwind.sim import engine, screen

    screened = screen.run(ready, config)
    reference = reference or engine.run(config, ready)
    ours = screened.trades.reset_index(drop=True)
    theirs = reference.trades.reset_index(drop=True)
    same = list(SAME_COLUMNS)
    if len(ours) != len(theirs):
        raise AssertionError(f"the screen made {len(ours)} trades, backtrader {len(theirs)}")
    left = ours[same].astype(str).to_dict("records")
    right = theirs[same].astype(str).to_dict("records")
    for number, (mine, reference_trade) in enumerate(zip(left, right)):
        if mine != reference_trade:
            column = next(c for c in same if mine[c] != reference_trade[c])
            raise AssertionError(f"trade {number + 1}: {column} {mine[column]} on the screen, "
                                 f"{reference_trade[column]} on backtrader")
    gap = float(np.max(np.abs(ours[list(NUMBER_COLUMNS)].to_numpy(float)
                              - theirs[list(NUMBER_COLUMNS)].to_numpy(float)))) if len(ours) \
        else 0.0
    equity_gap = float(np.max(np.abs(screened.equity.to_numpy()
                                     - reference.equity.to_numpy())))
    if max(gap, equity_gap) > PARITY_TOLERANCE_USD:
        raise AssertionError(f"P&L differs by up to {max(gap, equity_gap):.3g} USD")
    return f"the screen and backtrader make the same {len(ours)} trades, fill for fill " \
           f"(largest P&L or equity gap {max(gap, equity_gap):.1g} USD)"


def run(target: str, store: str | None, allow_defects: bool,
        echo: Callable[[str, str, str], None]) -> Outcome:
    """Run every check on `target` (a spec file or a playbook id), echoing each line as it is
    found: echo(status, check, text)."""
    from unwind.sim import engine, screen
    from unwind.evidence import cells, verdict
    from unwind.studies import scorecard
    from unwind.sim.config import RunConfig

    outcome = Outcome()

    def say(status: str, name: str, text: str) -> None:
        outcome.lines.append((status, name, text))
        echo(status, name, text)

    try:
        playbook_id, what = _playbook(target)
    except DataError as error:     # a spec that does not validate, an unknown id, a clash
        say("FAIL", "spec", str(error))
        return outcome
    import strategies

    playbook = strategies.get(playbook_id)
    clash = _engine_clash(playbook)
    say("FAIL" if clash else "ok", "spec", f"{what}: {clash or _describe(playbook)}")
    if clash:
        return outcome
    try:
        start, end = cells.full_history_window(playbook_id, store)
        config = RunConfig(playbook=playbook_id, start=start, end=end, store=store,
                           allow_defects=allow_defects)
        ready = engine.prepare(config)
    except DataError as error:
        say("FAIL", "data", str(error))
        return outcome
    for defect in ready.execution.get("defects_allowed", []):
        say("warn", "data", f"ran on a quality-gate defect (--allow-defects): {defect}")
    # backtrader's full-history run: parity's reference and the verdict row's run (one run)
    try:
        reference = engine.run(config, ready)
    except DataError:
        reference = None   # parity and the verdict row meet the error themselves, as before
    for name, test in (("look-ahead", look_ahead), ("parity", parity)):
        if name == "parity" and not screen.supported(playbook_id)[0]:
            say("skip", name, screen.supported(playbook_id)[1])
            continue
        try:
            found = test(config, ready, reference) if name == "parity" else test(config, ready)
            say("ok", name, f"{found} over {start}..{end}")
        except AssertionError as error:
            say("FAIL", name, str(error))
    with tempfile.TemporaryDirectory(prefix="unwind-check-") as out:
        row = scorecard.score_full_history(playbook_id, store, out, allow_defects,
                                           tear_sheets=False, ready=ready, result=reference)
    if row["status"] != "ok":
        say("FAIL", "verdict", f"no full-history row: {row['reason']}")
    else:
        say("ok", "verdict", verdict.decide(row).text())
    return outcome


def timed(target: str, store: str | None, allow_defects: bool,
          echo: Callable[[str, str, str], None]) -> tuple[Outcome, float]:
    """`run`, and its wall time in seconds."""
    began = time.perf_counter()
    outcome = run(target, store, allow_defects, echo)
    return outcome, time.perf_counter() - began
