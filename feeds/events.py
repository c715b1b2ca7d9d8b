"""Dated events that are not prices: the Bank of Japan's policy-rate decisions.

The meeting dates themselves are a stored event series (BOJMPM, imported from the raw meeting
list); which meetings changed the rate, and to what, is a small sourced catalogue kept here
(feeds/boj_decisions.toml), read like the episode catalogue.
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path

import pandas as pd

from feeds.errors import DataError

BOJ_DECISIONS = Path(__file__).with_name("boj_decisions.toml")


@lru_cache(maxsize=1)
def boj_decisions(path: Path = BOJ_DECISIONS) -> pd.Series:
    """The policy rate decided (percent) on each decision date (00:00 UTC labels, as daily bars
    of Tokyo dates), oldest first."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))["decision"]
        rates = {pd.Timestamp(item["date"], tz="UTC"): float(item["rate"]) for item in raw}
    except (OSError, KeyError, TypeError, ValueError, tomllib.TOMLDecodeError) as error:
        raise DataError(f"{path}: cannot read the BOJ decisions: {error}") from None
    return pd.Series(rates, name="boj_policy_rate").sort_index()


def boj_hikes(path: Path = BOJ_DECISIONS) -> pd.Series:
    """The decisions that raised the policy rate: date -> the rise in percentage points."""
    rates = boj_decisions(path)
    change = rates.diff()
    return change[change > 0]
