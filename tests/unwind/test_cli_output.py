"""What the `unwind` commands say: help texts, counts with their nouns, and missing-series errors.

The validate and show tests run on the real files of the session store (tests/conftest.py), which
holds USDJPY at 1d and 1h, and the tagged USDJPY@fxtrading and USDJPY@simom1 at 4h.
"""

import re

import pytest

from unwind.cli import data, listing

COUNTED_NOUNS = ("bar", "finding", "error", "warning", "partial period")


def assert_counts_agree(text: str) -> None:
    """Every `N noun(s)` in `text` is singular for 1 and plural otherwise."""
    pattern = rf"(?<![\d.,/])(\d+) ({'|'.join(COUNTED_NOUNS)})(s?)\b"
    found = re.findall(pattern, text)
    assert found, "no counted nouns in the output"
    wrong = [f"{number} {noun}{suffix}" for number, noun, suffix in found
             if (number == "1") != (suffix == "")]
    assert wrong == []


def test_count_agrees_with_its_number():
    assert [data._count(n, "bar") for n in (0, 1, 2)] == ["0 bars", "1 bar", "2 bars"]
    assert data._count(1, "series", "series") == "1 series"
    assert data._count(3, "series", "series") == "3 series"


def test_list_help_names_playbooks_episodes_and_instruments(run_cli):
    described = run_cli("list", "--help").out.split("Options:")[0]
    listed = next(line for line in run_cli("--help").out.splitlines()
                  if line.strip().startswith("list "))
    for text in (described, listed):
        assert all(word in text for word in ("playbooks", "episodes", "instruments")), text


@pytest.mark.parametrize("group", [data.group, listing.group], ids=lambda group: group.name)
def test_every_data_and_list_command_has_a_short_help_that_fits_the_listing(group):
    """Click cuts a long first sentence with '...' in the listing, which then says too little."""
    for command in [group, *group.commands.values()]:
        assert command.help, command.name
        assert not command.get_short_help_str(limit=60).endswith("..."), command.name


def test_validate_counts_one_bar_and_no_findings(real_store, run_cli):
    result = run_cli("data", "validate", "USDJPY", "--bar", "1d", "--start", "2024-08-05",
                     "--end", "2024-08-05", "--store", str(real_store.root))
    assert result.code == 0, result.err
    assert result.out.splitlines() == ["ok   USDJPY 1d: 1 bar 2024-08-05..2024-08-05",
                                       "1 series checked, 0 failing; 0 findings"]


def test_validate_counts_findings_and_their_severities(real_store, run_cli):
    one = run_cli("data", "validate", "USDJPY", "--bar", "1d", "--start", "2024-01-01", "--end",
                  "2024-12-31", "--store", str(real_store.root))
    assert one.code == 0, one.err
    assert one.out.splitlines()[-1] == "1 series checked, 0 failing; 1 finding (1 warning)"
    assert_counts_agree(one.out)
    two = run_cli("data", "validate", "USDJPY@fxtrading", "USDJPY@simom1", "--bar", "4h",
                  "--start", "2024-01-01", "--store", str(real_store.root))
    summary = two.out.splitlines()[-1]
    assert summary.startswith("2 series checked, ") and re.search(r"\d+ findings \(", summary)
    assert_counts_agree(two.out)


def test_validate_against_another_source_counts_agreeing_bars_and_partings(real_store, run_cli):
    result = run_cli("data", "validate", "USDJPY", "--bar", "1d", "--against", "USDJPY@fred",
                     "--tolerance", "0.1%", "--start", "2024-01-01", "--end", "2024-12-31",
                     "--store", str(real_store.root))
    assert result.code == 0, result.err
    assert re.search(r"against USDJPY@fred 1d: \d+ of \d+ bars agree within", result.out)
    assert "0 partial periods skipped" in result.out
    assert "       part " in result.out
    assert_counts_agree(result.out)


def test_show_counts_the_bars_in_the_window(real_store, run_cli):
    one = run_cli("data", "show", "USDJPY", "--bar", "1d", "--start", "2024-08-05", "--end",
                  "2024-08-05", "--store", str(real_store.root))
    assert one.code == 0, one.err
    assert one.out.startswith("USDJPY 1d: 1 bar in window, ")
    day = run_cli("data", "show", "USDJPY", "--bar", "1h", "--start", "2024-08-05", "--end",
                  "2024-08-05", "--store", str(real_store.root))
    assert day.out.startswith("USDJPY 1h: 24 bars in window, ")


@pytest.mark.parametrize("command", ["validate", "show"])
def test_a_missing_series_names_the_tagged_series_of_its_symbol(real_store, run_cli, command):
    result = run_cli("data", command, "USDJPY", "--bar", "4h", "--store", str(real_store.root))
    assert result.code == 1 and result.out == ""
    assert result.err == ("error: USDJPY 4h is not in the store; stored: USDJPY@fxtrading 4h, "
                          "USDJPY@simom1 4h\n")


def test_a_missing_bar_size_with_no_tagged_twin_names_every_stored_bar_of_the_symbol(
        real_store, run_cli):
    result = run_cli("data", "validate", "USDJPY", "XAUUSD", "--bar", "4h", "--store",
                     str(real_store.root))
    assert result.code == 1
    assert result.err == ("error: USDJPY 4h, XAUUSD 4h are not in the store; stored: "
                          "USDJPY@fxtrading 4h, USDJPY@simom1 4h, XAUUSD 1d, XAUUSD 1h\n")


def test_a_missing_against_series_names_the_sources_at_that_bar(real_store, run_cli):
    result = run_cli("data", "validate", "USDJPY", "--bar", "1d", "--against", "USDJPY@nope",
                     "--store", str(real_store.root))
    assert result.code == 1
    assert result.err.startswith("error: USDJPY@nope 1d is not in the store; stored: USDJPY 1d, ")
    assert "USDJPY@fred 1d" in result.err and "4h" not in result.err


@pytest.mark.parametrize("args", [["show", "MGC"], ["validate", "MGC", "--bar", "1d"]])
def test_a_symbol_with_nothing_stored_says_how_to_get_it(real_store, run_cli, args):
    result = run_cli("data", *args, "--store", str(real_store.root))
    assert result.code == 1 and len(result.err.splitlines()) == 1
    assert result.err.startswith(f"error: no MGC 1d series in the store {real_store.root}; ")
    assert "`unwind data import FILE --symbol MGC`" in result.err
