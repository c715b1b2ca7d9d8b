"""`unwind now` on the real data: the same lines as a run at that bar, stale inputs named, the
JSON contract, --fail-on entry, and the page with the event calendar."""

import json

import pandas as pd
import pytest

import strategies
from unwind.sim import engine
from unwind.studies import now
from unwind.sim.config import RunConfig

AS_OF = "2024-08-02"


@pytest.fixture(scope="module")
def as_of_report(real_store):
    return now.evaluate_all(strategies.ids(), str(real_store.root), AS_OF)


@pytest.mark.parametrize("playbook_id", strategies.ids())
def test_now_as_of_equals_the_runs_signals_at_that_bar(real_store, as_of_report, playbook_id):
    # A run over the August 2024 episode window sees data to 2024-08-30; its signals (what
    # signals.csv holds) at the bar `now --as-of 2024-08-02` decided on must be the same
    # numbers, computed by `now` only from data known by the end of 2024-08-02.
    report = next(p for p in as_of_report.playbooks if p.id == playbook_id)
    assert report.status != "error", report.error
    result = engine.run(RunConfig(playbook_id, "2024-07-08", "2024-08-30",
                                  store=str(real_store.root)))
    bar = pd.Timestamp(report.bar_time)
    assert bar.date().isoformat() == AS_OF
    signals = result.signals[result.signals["symbol"] == result.signals["symbol"].iloc[0]]
    expected = signals.loc[bar].drop("symbol")
    shown = report.history.loc[bar, expected.index]
    pd.testing.assert_series_equal(shown.astype(float), expected.astype(float),
                                   check_names=False)
    assert report.entry == bool(expected.get("entry", 0) > 0)


def test_the_json_contract(real_store, run_cli, tmp_path):
    result = run_cli("now", "hsi_short_yen_vol", "--as-of", AS_OF, "--json", "--store",
                     str(real_store.root), "--html", str(tmp_path / "now.html"))
    assert result.code == 0, result.err
    answer = json.loads(result.out)
    assert set(answer) >= {"as_of", "playbooks", "next_events"} and answer["as_of"] == AS_OF
    (playbook,) = answer["playbooks"]
    assert playbook["id"] == "hsi_short_yen_vol" and playbook["status"] == "quiet"
    assert {"name", "value", "threshold", "distance", "unit"} <= set(playbook["lines"][0])
    volatility = playbook["lines"][0]
    assert volatility["distance"] == pytest.approx(volatility["value"] - 0.12)
    assert playbook["position"] is None
    assert [(i["series"], i["last"], i["age_sessions"], i["stale"]) for i in playbook["inputs"]] \
        == [("HSI", "2024-08-02", 0, False), ("USDJPY", "2024-08-01", 0, False)]
    # the next scheduled decisions after 2024-08-02: the FOMC of 18 September, the BOJ of 20th
    assert answer["next_events"][:2] == [
        {"date": "2024-09-18", "kind": "fomc",
         "what": "FOMC statement (scheduled meeting, 14:00 New York)"},
        {"date": "2024-09-20", "kind": "boj", "what": "BOJ monetary policy meeting (decision day)"}]


def test_a_store_whose_usdjpy_ends_early_makes_hsi_short_yen_vol_stale(real_store):
    # The store's USDJPY daily ends 2026-06-15, its HSI on 2026-07-24: on the latest HSI bar the
    # yen lines are past their allowance, so the playbook is stale, never evaluated there.
    report = now.evaluate("hsi_short_yen_vol", str(real_store.root))
    assert report.status == "stale" and report.bar_time.startswith("2026-07-24")
    yen = next(age for age in report.inputs if age.series == "USDJPY")
    assert yen.stale and yen.last == "2026-06-15" and yen.age_sessions > 3
    assert any(line.startswith("USDJPY 1d ends 2026-06-15") for line in report.stale_inputs)
    # the lines shown are the last decision whose inputs were fresh
    assert all(line.bar <= "2026-06-19" for line in report.lines)


def test_fail_on_entry_exits_3_when_an_entry_fires(real_store, run_cli, tmp_path):
    # gold_dip_any_session's entry fires on the last hourly bar of 2024-08-02 (20:00 UTC):
    # the session fell 0.83% (< -0.75%) and USDJPY fell 4.7% over 120 hours (< -2.5%).
    arguments = ("--as-of", AS_OF, "--store", str(real_store.root), "--html",
                 str(tmp_path / "now.html"), "--fail-on", "entry")
    fired = run_cli("now", "gold_dip_any_session", *arguments)
    assert fired.code == 3 and "gold_dip_any_session: FIRES" in fired.out
    assert "entry fires: gold_dip_any_session" in fired.err
    quiet = run_cli("now", "gold_asia_dip", *arguments)
    assert quiet.code == 0 and "gold_asia_dip: QUIET" in quiet.out


def test_the_page_has_a_card_per_playbook_with_thresholds_and_events(as_of_report, tmp_path):
    from unwind.pages import now_page

    text = now_page.write(as_of_report, tmp_path / "now.html").read_text()
    assert text.count("<div class=card>") == len(strategies.ids())
    assert "high_volatility = 12.00%" in text            # hsi_short_yen_vol's threshold
    # the last 120 daily bars to 2024-08-02 hold the BOJ hike of 2024-07-31 and the MOF
    # interventions of 2024-07-11/12, each with its decision on hover
    assert "2024-07-31 BOJ: BOJ monetary policy meeting (decision day); hike: policy rate " \
        "0.25%" in text
    assert "2024-07-11 MOF: MOF yen intervention" in text
    assert "2024-09-18 FOMC" in text                     # next scheduled


def test_an_ad_hoc_windows_tear_sheet_draws_the_event_calendar(real_store, run_cli, tmp_path):
    from tests.unwind.test_rendering import check_page

    result = run_cli("run", "hsi_short_yen_vol", "--start", "2024-07-01", "--end", "2024-08-30",
                     "--store", str(real_store.root), "--out", str(tmp_path / "runs"))
    assert result.code == 0, result.err
    (sheet,) = (tmp_path / "runs").glob("*/tear_sheet.html")
    dom = check_page(sheet, tmp_path)
    # in the window: the MOF interventions of 11-12 July and the BOJ hike and FOMC hold of
    # 31 July, each a dot whose tooltip is the decision, beside the price's legend entries
    for title in ("2024-07-11 MOF: MOF yen intervention; yen bought, dollars sold: 3.17 tn yen",
                  "2024-07-31 BOJ: BOJ monetary policy meeting (decision day); hike: policy "
                  "rate 0.25%", "2024-07-31 FOMC: FOMC statement (scheduled meeting, 14:00 New "
                  "York); held: target range 5.25-5.5%"):
        assert f"<title>{title}" in dom
    assert "MOF intervention" in dom and "FOMC statement" in dom and "BOJ decision" in dom


def test_the_interpreted_kernel_now_uses_gives_the_compiled_kernels_answers(real_store,
                                                                            monkeypatch):
    # `unwind now` runs the screen's kernel in the interpreter (no numba import); over each
    # playbook's year before --as-of, its trades and equity equal the compiled kernel's, exactly.
    import importlib.util

    from unwind.compat import KERNEL_VARIABLE
    from unwind.sim import screen, screen_kernel

    monkeypatch.setenv(KERNEL_VARIABLE, "python")
    spec = importlib.util.spec_from_file_location("interpreted_kernel", screen_kernel.__file__)
    interpreted = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(interpreted)
    assert interpreted.INTERPRETED and not screen_kernel.INTERPRETED
    traded = 0
    for playbook_id in strategies.ids():
        if not screen.supported(playbook_id)[0]:
            continue
        config = RunConfig(playbook_id, "2023-08-02", AS_OF, store=str(real_store.root))
        ready = engine.prepare(config, known_by=now.known_by(AS_OF))
        if len(ready.engine_frames) != 1:
            continue
        compiled = screen.run(ready, config, compute_metrics=False)
        with monkeypatch.context() as patch:
            patch.setattr(screen, "screen_kernel", interpreted)
            python = screen.run(ready, config, compute_metrics=False)
        pd.testing.assert_frame_equal(python.trades, compiled.trades, check_exact=True)
        pd.testing.assert_series_equal(python.equity, compiled.equity, check_exact=True)
        traded += len(compiled.trades)
    assert traded >= 5   # 7 trades in that year: the kernel walked positions, not only flat


def test_unwind_now_imports_no_numba_scipy_empyrical_matplotlib_or_yfinance(real_store,
                                                                             tmp_path):
    # Each costs `now` 0.3-1 s of imports it has no use for (numba: the interpreted kernel is
    # cheaper over a year; the others: metrics and plots `now` does not compute).
    import subprocess
    import sys

    script = ("import sys\nfrom unwind.cli import main\n"
              f"code = main(['now', 'hsi_short_yen_vol', '--as-of', '{AS_OF}', '--json', "
              f"'--store', {str(real_store.root)!r}, '--html', {str(tmp_path / 'now.html')!r}])\n"
              "print(sorted(m for m in ('numba', 'scipy', 'empyrical', 'matplotlib', "
              "'yfinance') if m in sys.modules), code)")
    # an empty cache of its own: the session's holds this answer, read back without computing
    import os

    child = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                           timeout=120, env=os.environ | {"XDG_CACHE_HOME": str(tmp_path)})
    assert child.returncode == 0, child.stderr
    assert child.stdout.splitlines()[-1] == "[] 0"
