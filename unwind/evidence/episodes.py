"""The episode catalogue (one TOML file): named windows with dated triggers, as data."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from feeds.errors import DataError, nearest

CATALOGUE_PATH = Path(__file__).with_name("episodes.toml")
_FIELDS = {"name", "label", "start", "end", "triggers", "tags", "description", "sources"}


@dataclass(frozen=True)
class Trigger:
    date: str
    label: str


@dataclass(frozen=True)
class Episode:
    id: str
    name: str
    label: str   # a short column heading, e.g. "Aug 2024"
    start: str
    end: str
    triggers: tuple[Trigger, ...]
    tags: tuple[str, ...]
    description: str
    sources: tuple[str, ...]

    @property
    def first_trigger(self) -> str:
        return self.triggers[0].date

    def to_json(self) -> dict:
        return {**self.__dict__, "triggers": [t.__dict__ for t in self.triggers],
                "tags": list(self.tags), "sources": list(self.sources)}


def _parse(episode_id: str, raw: dict, source: Path) -> Episode:
    unknown = set(raw) - _FIELDS
    if unknown:
        key = sorted(unknown)[0]
        raise DataError(f"{source}: [{episode_id}] unknown field {key!r}{nearest(key, _FIELDS)}")
    missing = _FIELDS - set(raw)
    if missing:
        raise DataError(f"{source}: [{episode_id}] missing {', '.join(sorted(missing))}")
    try:
        start, end = dt.date.fromisoformat(raw["start"]), dt.date.fromisoformat(raw["end"])
        triggers = tuple(Trigger(str(dt.date.fromisoformat(t["date"])), t["label"])
                         for t in raw["triggers"])
    except (ValueError, KeyError, TypeError) as error:
        raise DataError(f"{source}: [{episode_id}] bad date or trigger: {error}") from None
    if start >= end or not triggers:
        raise DataError(f"{source}: [{episode_id}] needs start < end and at least one trigger")
    return Episode(episode_id, raw["name"], raw["label"], raw["start"], raw["end"], triggers,
                   tuple(raw["tags"]), raw["description"], tuple(raw["sources"]))


@lru_cache(maxsize=4)
def catalogue(path: Path = CATALOGUE_PATH) -> dict[str, Episode]:
    from feeds.filesystem import read_catalogue

    raw = read_catalogue(path, "episode catalogue")
    return {episode_id: _parse(episode_id, entry, path) for episode_id, entry in raw.items()}


def get(episode_id: str) -> Episode:
    episodes = catalogue()
    if episode_id not in episodes:
        raise DataError(f"unknown episode {episode_id!r}{nearest(episode_id, episodes)}; "
                        "`unwind list episodes` shows them")
    return episodes[episode_id]
