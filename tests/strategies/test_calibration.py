"""Defaults honest about their data: a window scored `holdout` comes after the data every default
was read from, a default whose reason cites data declares it, and a reading chosen after seeing
data is a named variant (VARIANTS) whose window covers the data that prompted it."""

import dataclasses
import inspect
import re

import pandas as pd
import pytest

import strategies
from strategies.inputs import Inputs
from unwind.evidence import cells, episodes

YEAR = re.compile(r"\b(19[5-9]\d|20[0-4]\d)\b")
QUOTED = re.compile(r'"[^"]*"|“[^”]*”')


def _first_scored_day(playbook_id: str, store) -> pd.Timestamp:
    """The first day all the playbook's stored series (at its defaults) have data: an episode
    ending before it is `n/a`, not scored."""
    firsts = [pd.Timestamp(info.first[:10]) for info in
              (store.info(series, bar) for series, bar in strategies.series_read((playbook_id,)))
              if info is not None]
    return max(firsts)


def _scored_holdout(playbook_id: str, store) -> list[episodes.Episode]:
    module = strategies.get(playbook_id)
    first = _first_scored_day(playbook_id, store)
    return [e for e in episodes.catalogue().values()
            if pd.Timestamp(e.end) >= first
            and cells.sample(module.CALIBRATED_ON, e.start, e.end) == "holdout"]


@pytest.mark.parametrize("playbook", strategies.ids())
def test_every_calibration_window_ends_before_every_episode_scored_holdout(real_store,
                                                                           playbook):
    window = strategies.get(playbook).CALIBRATED_ON
    holdout = _scored_holdout(playbook, real_store)
    assert holdout, f"{playbook}: no episode is scored holdout"
    if window is not None:
        late = [e.id for e in holdout if not window[1] < e.start]
        assert not late, f"{playbook}: scored holdout but not after {window[1]}: {late}"


def _reason_years(module) -> dict[str, list[int]]:
    if hasattr(module, "SPEC"):          # a spec: each parameter's reason is its record's
        cited = {p.name: sorted({int(y) for y in YEAR.findall(QUOTED.sub("", p.reason))})
                 for p in module.SPEC.parameters}
        return {name: years for name, years in cited.items() if years}
    return _years_cited(inspect.getsource(module.Parameters),
                        [field.name for field in dataclasses.fields(module.Parameters)])


def _years_cited(source: str, names: list[str]) -> dict[str, list[int]]:
    """Years each default's reason (the comment block right above its field) cites, quotations
    of the articles left out: a year in a reason is data the default was read from."""
    lines = source.splitlines()
    cited = {}
    for name in names:
        number = next((i for i, line in enumerate(lines)
                       if re.match(rf"\s+{name}\s*:", line)), None)
        if number is None:          # inherited: checked in the module that defines it
            continue
        block = []
        while number > 0 and lines[number - 1].strip().startswith("#"):
            number -= 1
            block.append(lines[number])
        years = sorted({int(y) for y in YEAR.findall(QUOTED.sub("", " ".join(block)))})
        if years:
            cited[name] = years
    return cited


@pytest.mark.parametrize("playbook", strategies.ids())
def test_a_default_read_off_data_declares_it(real_store, playbook):
    """A default whose reason cites data from a year some scored-holdout episode starts in (or
    before) was set from that episode's data, so the playbook must declare a window covering
    it (and the episode is then in-sample), or the default must not be read off it."""
    holdout = _scored_holdout(playbook, real_store)
    first_holdout_year = min(pd.Timestamp(e.start).year for e in holdout)
    offending = {name: years for name, years in _reason_years(strategies.get(playbook)).items()
                 if max(years) >= first_holdout_year}
    assert not offending, f"{playbook}: defaults read off holdout data: {offending}"


def test_the_date_scan_reads_reasons_and_leaves_quotations_out():
    # the fed_cut reason this project had: read off September 2025's cut, declared as nothing
    source = ("class Parameters:\n"
              "    # half an FOMC step: 4.33 -> 4.09 after September 2025's cut\n"
              "    fed_cut: float = 0.125\n"
              "    # The article: 1.81 pp was \"the lowest since 2015\".\n"
              "    entry_level: float = 1.5\n")
    assert _years_cited(source, ["fed_cut", "entry_level"]) == {"fed_cut": [2025]}


def _playbooks_with_variants():
    return [p for p in strategies.ids() if getattr(strategies.get(p), "VARIANTS", None)]


@pytest.mark.parametrize("playbook", _playbooks_with_variants())
def test_every_variant_is_a_valid_change_with_a_declared_window(playbook):
    module = strategies.get(playbook)
    defaults = strategies.defaults(module)
    for name, variant in module.VARIANTS.items():
        changed = variant["parameters"]
        assert changed and all(defaults[k] != v for k, v in changed.items()), name
        module.Parameters(**changed)                                  # a valid setting
        start, end = variant["calibrated_on"]
        assert pd.Timestamp(start) < pd.Timestamp(end)
        assert f"{start}..{end}" in module.__doc__ and variant["reason"]


def _inputs(store, *series) -> Inputs:
    return Inputs({(symbol, "1d"): store.read(symbol, "1d")[0] for symbol in series})


def test_boj_hike_rule_as_written_stays_out_of_december_2025_and_its_variant_is_in_sample(
        real_store):
    module = strategies.get("boj_hike_long_yen")
    inputs = _inputs(real_store, "USDJPY", "EFFR")
    december = episodes.get("dec-2025-boj-hike")
    default_notes = module.rule_notes(inputs, module.Parameters(), december.start, december.end)
    # 4.09 (2025-10-02) - 4.33 (91 days before): the September cut is -0.24 pp, short of 25 bp
    assert default_notes == ["the rule did not fire on the BOJ hike known 2025-12-19: Fed funds "
                             "-0.24 pp over 91 days (EFFR to 2025-10-02); it needs -0.25 or "
                             "less"]
    variant = module.VARIANTS["half-step"]
    variant_notes = module.rule_notes(inputs, module.Parameters(**variant["parameters"]),
                                      december.start, december.end)
    assert variant_notes[0].startswith("the rule fired on the BOJ hike known 2025-12-19")
    assert cells.sample(variant["calibrated_on"], december.start, december.end) == \
        "in-sample"


def test_jgb_rule_as_written_never_fired_and_the_zscore_variant_covers_what_showed_it(
        real_store):
    module = strategies.get("jgb_shock_short_nq")
    inputs = _inputs(real_store, "JGB40Y")
    defaults = module.Parameters()
    assert (defaults.trigger, defaults.level_series, defaults.level) == ("level", "JGB40Y", 4.0)
    assert module.rule_notes(inputs, defaults, "2007-11-01", "2026-02-27") == [
        "the article's rule never fired in 2007-11-01..2026-02-27: JGB40Y peaked at 3.901% on "
        "2026-01-20 (the rule needs a first close above 4%)"]
    assert module.rule_notes(inputs, module.Parameters(level=3.7), "2025-05-12",
                             "2026-02-13") == [
        "the article's rule fired on 2026-01-19 (JGB40Y closed above 3.7%)"]
    window = module.VARIANTS["zscore"]["calibrated_on"]
    for episode in ("may-2025-jgb-auction", "jan-2026-jgb-40y-4pct"):
        found = episodes.get(episode)
        assert cells.sample(window, found.start, found.end) == "in-sample"
    assert strategies.get("jgb_shock_short_zn").VARIANTS == module.VARIANTS
