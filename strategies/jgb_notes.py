"""What the JGB trigger did in a window, from the yields themselves (the notes of
strategies/specs/jgb_shock_short_nq.toml and jgb_shock_short_zn.toml, the same trigger).

"The article's rule never fired: JGB40Y peaked at 3.901% on 2026-01-20" is a finding a page
should show, not an empty row to guess at. The rule is the spec's own lines (`first_above`,
`jgb_zscore`), computed on the JGB calendar, so the notes cannot drift from what trades.
"""

from __future__ import annotations

import pandas as pd

from strategies.inputs import Inputs


def rule_notes(inputs: Inputs, parameters, start: str, end: str) -> list[str]:
    """Whether the trigger fired in start..end: the dates of the level rule's first closes
    above the level, or the count of the z-score variant's jumps."""
    import strategies
    from strategies.spec_playbook import source_line

    spec = strategies.get("jgb_shock_short_nq").SPEC
    series, bar = spec.reads_at(lambda name: getattr(parameters, name))["jgb"]
    jgb = inputs.frame(series, bar)["close"]
    dates = jgb.index.tz_localize(None) if jgb.index.tz is not None else jgb.index
    inside = (dates >= pd.Timestamp(start)) & (dates <= pd.Timestamp(end))
    window = jgb[inside]
    if window.empty:
        return [f"no {series} closes in {start}..{end}"]
    if parameters.trigger == "level":
        fired = window[source_line(spec, "first_above", inputs, parameters)[inside]]
        if fired.empty:
            return [f"the article's rule never fired in {start}..{end}: {series} peaked at "
                    f"{window.max():.3f}% on {window.idxmax().date()} (the rule needs a first "
                    f"close above {parameters.level:g}%)"]
        return [f"the article's rule fired on {', '.join(str(d.date()) for d in fired.index)}"
                f" ({series} closed above {parameters.level:g}%)"]
    score = source_line(spec, "jgb_zscore", inputs, parameters)[inside]
    jumps = int((score >= parameters.jump_z).sum())
    return [f"the z-score variant: {series} {parameters.change_days}-day change at or above "
            f"{parameters.jump_z:g} sigma on {jumps} close(s) in {start}..{end}"]
