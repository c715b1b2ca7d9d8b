"""The event calendar: every BOJ decision the old catalogue had, the 2024 MOF interventions, a
source on every entry, and `unwind list events`."""

import json

import pandas as pd

from feeds import clock_evidence, events

# feeds/boj_decisions.toml before it was folded in (since 2001): date -> policy rate, percent
OLD_BOJ_DECISIONS = {
    "2001-02-28": 0.15, "2001-03-19": 0.0, "2006-07-14": 0.25, "2007-02-21": 0.5,
    "2008-10-31": 0.3, "2008-12-19": 0.1, "2010-10-05": 0.05, "2016-01-29": -0.1,
    "2024-03-19": 0.05, "2024-04-26": 0.05, "2024-06-14": 0.05, "2024-07-31": 0.25,
    "2024-09-20": 0.25, "2024-10-31": 0.25, "2024-12-19": 0.25, "2025-01-24": 0.5,
    "2025-03-19": 0.5, "2025-05-01": 0.5, "2025-06-17": 0.5, "2025-07-31": 0.5,
    "2025-09-19": 0.5, "2025-10-30": 0.5, "2025-12-19": 0.75}


def test_the_calendar_has_every_boj_decision_the_old_catalogue_had():
    rates = events.boj_decisions()
    since = rates[rates.index >= pd.Timestamp("2001-01-01", tz="UTC")]
    assert {d.date().isoformat(): r for d, r in since.items()} == OLD_BOJ_DECISIONS
    # and the two before 2001 the playbook also reads
    assert rates.index[0].date().isoformat() == "1999-02-12" and len(rates) == 25


def test_the_2024_mof_interventions_are_there_with_their_sources():
    mof = {event.date: event for event in events.events(("mof",), "2024-01-01", "2024-12-31")}
    assert list(mof) == ["2024-04-29", "2024-05-01", "2024-07-11", "2024-07-12"]
    assert "5,918.5 bn yen" in mof["2024-04-29"].decision
    assert all(event.source for event in events.catalogue())


def test_the_clock_check_reads_the_same_79_scheduled_statements():
    statements = clock_evidence.fomc_statements()
    assert len(statements) == 79 and statements[0] == pd.Timestamp("2016-01-27 19:00", tz="UTC")
    # 2024-03-20 in the US/EU DST mismatch week: 14:00 New York is 18:00 UTC
    assert pd.Timestamp("2024-03-20 18:00", tz="UTC") in statements


def test_fomc_decisions_follow_the_target_range(run_cli):
    result = run_cli("list", "events", "--kind", "fomc", "--start", "2019-07-01", "--end",
                     "2019-12-31", "--json")
    answer = json.loads(result.out)
    assert [set(row) for row in answer][0] == {"date", "kind", "what", "decision", "source"}
    assert [(row["date"], row["decision"]) for row in answer] == [
        ("2019-07-31", "cut 25 bp: target range 2-2.25%"),
        ("2019-09-18", "cut 25 bp: target range 1.75-2%"),
        ("2019-10-30", "cut 25 bp: target range 1.5-1.75%"),
        ("2019-12-11", "held: target range 1.5-1.75%")]
    table = run_cli("list", "events", "--kind", "mof")
    assert table.code == 0 and "calendar ends: boj 2025-12-19, fomc 2027-12-08, mof " \
        "2024-07-12" in table.out
    bad = run_cli("list", "events", "--start", "2024-08-01", "--end", "2024-07-01")
    assert bad.code != 0 and bad.err.startswith("error: --start 2024-08-01 is after --end")
