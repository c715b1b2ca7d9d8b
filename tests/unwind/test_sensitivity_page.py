"""The sweep page's read and its numbers: plateau or edge by the default's own bootstrap interval
of its Sharpe ratio (scale-free), values printed in their units, never a raw float or True."""

import re

import numpy as np
import pandas as pd
import pytest

from unwind.evidence import bootstrap
from unwind.studies import grid, sweep, sweep_report
from unwind.pages import sensitivity_page

DAYS = pd.date_range("2024-01-01", periods=120, freq="B", tz="UTC")
AXES = (grid.Axis("entry_slope", (0.01, 0.015, 0.02)), grid.Axis("require_rising", (False, True)))
DEFAULT = (0.015, True)     # hsi_short_yen_vol's defaults


def _returns(sharpe: float) -> pd.Series:
    """120 daily returns whose annualised Sharpe ratio is `sharpe` exactly (a fixed shape,
    shifted)."""
    shape = np.random.default_rng(3).normal(0, 0.01, len(DAYS))
    shape = (shape - shape.mean()) / shape.std(ddof=1) * 0.01
    return pd.Series(shape + sharpe / np.sqrt(252) * 0.01, index=DAYS)


def _result(sharpes: dict, total_returns: dict | None = None) -> sweep.SweepResult:
    config = sweep.SweepConfig("hsi_short_yen_vol", AXES, "2024-01-01", "2024-06-14", "test")
    trials = []
    for index, values in enumerate(grid.grid_points(AXES)):
        key = tuple(values[a.name] for a in AXES)
        sharpe = sharpes[key]
        trials.append(sweep.Trial(index, values, "ok", {
            "sharpe_ratio": sharpe, "trades": 3 if sharpe is not None else 0,
            "total_return": (total_returns or {}).get(key, 0.1), "max_drawdown": -0.05},
            _returns(sharpe or 0.0)))
    return sweep.SweepResult(config, trials, [], 1, grid.default_index(config))


def _interval() -> tuple[float, float]:
    found = bootstrap.intervals(_returns(1.0).to_numpy(), ("sharpe_ratio",), confidence=0.90,
                                seed=0).by_metric["sharpe_ratio"]
    return found.ci_low, found.ci_high


def test_a_neighbour_inside_the_defaults_interval_is_a_plateau_one_outside_an_edge():
    low, high = _interval()
    assert low < 1.0 < high and high - low > 1   # 120 days: a wide interval, as it should be
    sharpes = {(0.01, False): 0.0, (0.015, False): 5.0, (0.02, False): 0.0,
               (0.01, True): low + 0.01, (0.015, True): 1.0, (0.02, True): high - 0.01}
    read = sensitivity_page.read(_result(sharpes))
    assert read["verdict"] == "plateau" and read["band"] == pytest.approx([low, high])
    assert [n["parameter"] for n in read["neighbours"]] == ["entry_slope", "entry_slope"]
    # require_rising=off is another rule, listed apart, never a neighbour (its 5.0 is far out)
    assert [o["value"] for o in read["other_choices"]] == [False]
    read = sensitivity_page.read(_result({**sharpes, (0.02, True): high + 0.01}))
    assert read["verdict"] == "edge"
    assert "1 of its 2 neighbours falls outside that interval: entry_slope=2.00% has" \
        in read["sentence"]


def test_the_band_does_not_grow_with_the_size_of_the_return():
    """The old band was a quarter of the default's total return: +257% made +/-64 pp a
    plateau. Total returns do not enter the rule now."""
    sharpes = {(0.01, False): 1.0, (0.015, False): 1.0, (0.02, False): 1.0,
               (0.01, True): _interval()[0] - 0.05, (0.015, True): 1.0, (0.02, True): 1.0}
    small = sensitivity_page.read(_result(sharpes))
    large = sensitivity_page.read(_result(sharpes, {(0.015, True): 2.57, (0.01, True): 2.0}))
    assert small["verdict"] == large["verdict"] == "edge"
    assert small["band"] == large["band"]


def test_a_default_without_trades_is_a_plateau_only_when_no_neighbour_trades():
    silent = {key: None for key in [(s, r) for s in (0.01, 0.015, 0.02) for r in (False, True)]}
    assert sensitivity_page.read(_result(silent))["verdict"] == "plateau"
    read = sensitivity_page.read(_result({**silent, (0.02, True): 0.8}))
    assert read["verdict"] == "edge" and "makes no trade" in read["sentence"]


def test_the_page_prints_values_in_their_units(tmp_path):
    sharpes = {(0.01, False): -0.2281, (0.015, False): 0.5, (0.02, False): 2.685,
               (0.01, True): 0.9, (0.015, True): 1.0, (0.02, True): 1.1}
    result = _result(sharpes)
    document = sweep_report.summary(result)
    path = sensitivity_page.write(result, document, tmp_path / "sensitivity.html",
                                  sweep_report.ranked(result.trials)[:10])
    text = path.read_text()
    body = re.sub(r"<[^>]+>", " ", text.split("<body>")[1])
    assert "True" not in body and "False" not in body
    assert "-0.2281" not in body and "2.685" not in body and "0.015 " not in body
    assert "require_rising=on" in body and ">off<" in text
    assert ">1.50%<" in text and ">2.00%<" in text            # entry_slope, a fraction
    assert ">-0.23<" in text and ">2.69<" in text             # Sharpe ratios, two decimals
    assert "bootstrap interval" in body
