"""Small CLI details of issue 22: tick sizes printed as written, `data validate --against`
choosing the bar sizes both series have."""

from __future__ import annotations

import re


def test_list_instruments_prints_each_tick_as_written(run_cli):
    result = run_cli("list", "instruments", "--tradable")
    assert result.code == 0, result.err
    rows = {line.split()[0]: line.split() for line in result.out.splitlines()[1:]}
    assert rows["6J"][5] == "0.0000005"      # was 0.000000 (six decimals for the column)
    assert rows["ZN"][5] == "0.015625"
    assert rows["HSI"][5] == "1"


def test_validate_against_uses_the_bar_both_series_have(run_cli, real_store):
    # USDJPY is stored at 1d and 1h, USDJPY@fred only at 1d: without --bar only 1d is compared
    result = run_cli("data", "validate", "USDJPY", "--against", "USDJPY@fred", "--start",
                     "2024-07-01", "--end", "2024-08-31", "--store", str(real_store.root))
    assert result.code == 0, result.err
    assert re.search(r"^ok\s+USDJPY 1d:", result.out, re.M)
    assert "USDJPY 1h" not in result.out
    assert "against USDJPY@fred 1d:" in result.out


def test_validate_against_without_a_common_bar_is_one_line(run_cli, real_store):
    # XAUUSD is stored at 1h and 1d, USDJPY@fxtrading only at 4h: nothing in common
    result = run_cli("data", "validate", "XAUUSD", "--against", "USDJPY@fxtrading", "--store",
                     str(real_store.root))
    assert result.code != 0
    assert result.err.startswith("error: no bar size in common: XAUUSD has 1d, 1h, "
                                 "USDJPY@fxtrading has 4h; name them with --bar")
    assert len(result.err.strip().splitlines()) == 1
