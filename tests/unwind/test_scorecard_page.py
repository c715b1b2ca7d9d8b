"""scorecard.html: episodes as labelled columns, 'no signal' apart from a traded 0.0%, n/a with
its reason, each cell's details and link, and the per-playbook summary."""

import contextlib
import io
import json
import re
from pathlib import Path

import pytest

from unwind.evidence import episodes
from unwind.pages.scorecard_page import summary_of_cells

PLAYBOOKS = ("gold_asia_dip", "gold_dip_any_session", "hsi_short_yen_vol", "jgb_shock_short_nq")
EPISODES = ("oct-2008-gfc-carry-unwind", "aug-2024-carry-unwind", "calm-2017q4-control")


@pytest.fixture(scope="module")
def card(real_store, tmp_path_factory):
    from unwind.cli import main

    arguments = ["score", "--store", str(real_store.root), "--jobs", "2", "--json",
                 "--no-full-history", "--out",
                 str(tmp_path_factory.mktemp("page"))]
    for playbook in PLAYBOOKS:
        arguments += ["--playbook", playbook]
    for episode in EPISODES:
        arguments += ["--episode", episode]
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert main(arguments) == 0
    result = json.loads(printed.getvalue())
    out = Path(result["out_dir"])
    return out, result["rows"], (out / "scorecard.html").read_text()


def cell_html(page: str, playbook: str) -> list[str]:
    row = re.search(rf"<tr><th>{playbook}(?:<div.*?</div>)?</th>(.*?)</tr>", page).group(1)
    return re.findall(r"<td.*?</td>", row)


def test_columns_are_episode_labels_in_order(card):
    _, _, page = card
    header = re.search(r"<table class=grid><tr><th>playbook</th>(.*?)</tr>", page).group(1)
    labels = re.findall(r">([^<>]+)</th>", header)
    assert labels == [episodes.get(e).label for e in EPISODES] == \
        ["Oct 2008", "Aug 2024", "Calm 2017Q4"]


def test_no_signal_na_and_traded_cells_read_differently(card):
    out, rows, page = card
    by_cell = {(r["playbook"], r["episode"]): r for r in rows}
    jgb = by_cell[("jgb_shock_short_nq", "aug-2024-carry-unwind")]
    assert jgb["status"] == "ok" and jgb["trades"] == 0
    aug = cell_html(page, "jgb_shock_short_nq")[EPISODES.index("aug-2024-carry-unwind")]
    assert "no signal" in aug and "nosignal" in aug and "+0.00%" not in aug.split("<div")[0]
    early = cell_html(page, "gold_asia_dip")[0]
    assert early.startswith("<td class='na'") and "XAUUSD 1h: no bars" in early
    traded = by_cell[("hsi_short_yen_vol", "aug-2024-carry-unwind")]
    cell = cell_html(page, "hsi_short_yen_vol")[1]
    assert f"{traded['total_return']:+.2%}" in cell
    assert f"{traded['trades']} trade" in cell and "Sharpe" in cell and "max DD" in cell
    assert f"vs benchmark {traded['excess_total_return']:+.2%}" in cell
    assert f"vs twin {traded['twin_excess_total_return']:+.2%}" in cell
    assert "vs twin" not in "".join(cell_html(page, "gold_dip_any_session"))   # has no twin


def test_every_cell_with_data_links_to_its_tear_sheet(card):
    out, rows, page = card
    grid = page[page.index("<table class=grid>"):]
    links = re.findall(r"<a href='([^']+)'", grid[:grid.index("</table>")])
    expected = [f"{r['run_dir']}/tear_sheet.html" for r in rows if r["status"] == "ok"]
    assert sorted(links) == sorted(expected)
    assert all((out / link).is_file() for link in links)


def test_the_summary_counts_episodes_beating_the_benchmark(card):
    # traded cells against their benchmark; cells without a trade apart (with how many of them
    # the benchmark fell in), never as a win
    _, rows, page = card
    result = summary_of_cells(rows)["hsi_short_yen_vol"]
    own = [r for r in rows if r["playbook"] == "hsi_short_yen_vol" and r["status"] == "ok"]
    traded = [r for r in own if r["trades"]]
    assert result["cells"] == len(own) == 3 and result["twin_cells"] == 3
    assert result["traded"] == len(traded)
    assert result["beat_benchmark"] == sum(r["excess_total_return"] > 0 for r in traded)
    assert result["stood_aside_benchmark_fell"] == sum(
        r["benchmark_total_return"] < 0 for r in own if not r["trades"])
    assert result["beat_twin"] == sum(r["twin_excess_total_return"] > 0 for r in own)
    row = re.search(r"<tr><th>hsi_short_yen_vol</th><td class=num>(.*?)</tr>", page).group(1)
    assert f"{result['beat_benchmark']}/{len(traded)}" in row and \
        f"{result['beat_twin']}/3" in row
    aside = len(own) - len(traded)
    assert f"{aside} ({result['stood_aside_benchmark_fell']})" in row

def test_a_coloured_badge_and_one_sentence_per_playbook_head_the_page(card):
    # scored without full history: every playbook is "no evidence", saying why in one sentence
    _, _, page = card
    verdicts = page[page.index("<h2>Verdicts</h2>"):page.index("<table class=grid>")]
    for playbook in PLAYBOOKS:
        item = re.search(rf"<li><span class=badge data-badge='(.*?)' style='background:(#\w+);"
                         rf".*?</span><b>{playbook}</b>: (.*?)<details><summary>why</summary>"
                         r"<ul>(.*?)</ul></details></li>", verdicts)
        assert item and item.group(1) == "no evidence" and item.group(2) == "#d6d9e0"
        assert item.group(3) == "No full-history run to judge by."
        assert "full history: n/a (not run)" in item.group(4)


def test_every_interval_says_its_measured_coverage(card):
    _, _, page = card
    assert "90% interval" not in page and "90% CI" not in page
    assert page.count("90% nominal, about 86% measured") >= 2   # the legend and cell hovers


def test_equities_read_as_one_csv_are_each_file_read_alone(tmp_path):
    """The small multiples read every cell's equity.csv in one parse: each curve must be, to the
    bit, what pandas reads from its file alone (times and values), also when a file has another
    header, a blank line or no newline at its end (those fall back to a read a file)."""
    import numpy as np
    import pandas as pd

    from unwind.pages.layout import read_equities

    header = "time,equity_usd,gross_notional_usd,margin_usd\n"
    texts = {"a": header + "2024-08-01T00:00:00+00:00,1000000.000000,0.000000,0.000000\n"
                           "2024-08-01T01:00:00+00:00,1000000.100000,5.500000,0.000000\n",
             "b": header + "2024-08-02T00:00:00+00:00,999999.300000,0.000000,0.000000\n"
                           "2024-08-05T00:00:00+00:00,1000003.000000,1.000000,0.000000",
             "c": header + "2024-08-02T00:00:00+00:00,0.100000000000000005551,0,0\n"}
    other = {"d": "time,equity_usd\n2024-08-03T00:00:00+00:00,12.345678\n",
             "e": header + "2024-08-03T00:00:00+00:00,1.000000,0,0\n\n"
                           "2024-08-04T00:00:00+00:00,2.000000,0,0\n"}
    for name, text in (texts | other).items():
        (tmp_path / f"{name}.csv").write_text(text)

    def alone(path):
        frame = pd.read_csv(path)
        return frame["equity_usd"].to_numpy(), pd.to_datetime(frame["time"], utc=True,
                                                              format="ISO8601")

    for names in (list(texts), list(texts) + ["d"], ["e"] + list(texts), ["b"]):
        paths = [tmp_path / f"{name}.csv" for name in names]
        curves = read_equities(paths)
        assert [curve.name for curve in curves] == names
        for path, curve in zip(paths, curves):
            values, times = alone(path)
            assert np.array_equal(curve.to_numpy().view("i8"), values.astype(float).view("i8"))
            assert curve.index.equals(pd.DatetimeIndex(times))
            assert curve.index.dtype == times.dtype
    assert read_equities([]) == []
    # a token that is not a number would type every file's column: each file is read apart
    (tmp_path / "f.csv").write_text(header + "2024-08-03T00:00:00+00:00,oops,0,0\n")
    clean, stray = read_equities([tmp_path / "a.csv", tmp_path / "f.csv"])
    assert clean.dtype == np.float64 and clean.tolist() == list(alone(tmp_path / "a.csv")[0])
    assert stray.tolist() == ["oops"]
