"""Tear sheet and scorecard page as a person sees them: rendered by headless Chromium.

The page counts its charts the browser laid out (`data-charts-loaded`); Chromium's DOM dump must show
all of them, each tear sheet's blotter one row per trade, and a screenshot must be far from
blank. `.ci/run` installs Debian's chromium.
"""

import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars"]


def chromium(page: Path, profile: Path, *extra: str) -> subprocess.CompletedProcess:
    if CHROMIUM is None:
        pytest.fail("chromium is not installed; .ci/run installs Debian's chromium package")
    return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *extra,
                           page.resolve().as_uri()], capture_output=True, text=True, timeout=120)


def check_page(page: Path, tmp_path: Path) -> str:
    """Chromium's DOM of `page` after load; every chart decoded and the page is not blank."""
    charts = page.read_text().count('class="chart"')
    assert charts >= 1
    dom = chromium(page, tmp_path / "profile-dom", "--virtual-time-budget=5000", "--dump-dom")
    loaded = re.search(r'data-charts-loaded="(\d+)"', dom.stdout)
    assert loaded and int(loaded.group(1)) == charts, dom.stderr[-500:]
    shot = tmp_path / f"{page.stem}.png"
    chromium(page, tmp_path / "profile-shot", "--window-size=1200,1600", f"--screenshot={shot}")
    from PIL import Image

    image = Image.open(shot).convert("L")
    histogram = image.histogram()
    assert max(histogram) < 0.99 * sum(histogram)  # a blank page is one colour throughout
    assert len([count for count in histogram if count]) > 60  # text, charts, tables
    return dom.stdout


def check_tear_sheet(cell: Path, tmp_path: Path) -> str:
    """The cell's tear sheet as rendered: charts decoded, one blotter row per trade."""
    dom = check_page(cell / "tear_sheet.html", tmp_path)
    trades = pd.read_csv(cell / "trades.csv")
    assert len(re.findall(r'<tr class="trade\b', dom)) == len(trades)
    if trades.empty:
        assert "No trades" in dom
    return dom


def test_tear_sheet_and_scorecard_render(real_store, tmp_path, run_cli):
    result = run_cli("score", "--store", str(real_store.root), "--out", str(tmp_path / "out"),
                     "--no-full-history",
                     "--playbook", "gold_asia_dip", "--playbook", "hsi_short_yen_vol",
                     "--episode", "aug-2024-carry-unwind", "--episode", "calm-2017q4-control",
                     "--jobs", "1")
    assert result.code == 0, result.err
    out = next((tmp_path / "out").glob("*scorecard"))
    for cell in sorted((out / "cells").glob("*/*")):
        if (cell / "tear_sheet.html").exists():
            check_tear_sheet(cell, tmp_path)
    check_page(out / "scorecard.html", tmp_path)
    assert out.joinpath("scorecard.html").read_text().count('class="chart"') == 2  # an episode each
    sheet = (out / "cells/gold_asia_dip/aug-2024-carry-unwind/tear_sheet.html").read_text()
    assert "the episode's triggers" in sheet and "priced from a proxy" not in sheet
    assert "HSI is priced from a proxy" in (
        out / "cells/hsi_short_yen_vol/aug-2024-carry-unwind/tear_sheet.html").read_text()
    assert "<script src" not in sheet and "http" not in sheet.split("<body>")[1]
