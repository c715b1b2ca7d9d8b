"""What a playbook draws of its decision lines: one chart per Panel. Apart from the authoring
API (strategies/base.py, which brings backtrader): `unwind now` reads panels back from its
answer cache without importing an engine."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Panel:
    """One chart of the tear sheet's signal section: decision lines a playbook computed in
    `prepare()`, and the thresholds its rule compares them with, so a reader sees why it traded."""

    title: str
    lines: tuple[str, ...]
    unit: str  # "fraction", "percentage points", "z-score", "annualised fraction", "price"
    thresholds: tuple[tuple[str, float], ...] = ()

    def to_json(self) -> dict:
        return {"title": self.title, "lines": list(self.lines), "unit": self.unit,
                "thresholds": [{"label": label, "value": value}
                               for label, value in self.thresholds]}
