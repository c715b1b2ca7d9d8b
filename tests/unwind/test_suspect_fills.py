"""No fill at a suspect print, end to end on real data: ust_selloff_long_gold's October-2008
entry was due at XAUUSD's 2008-10-13 open of 765.25 (-9.5%, equal to the day's low, while COMEX
gold opened 0.7% up); it waits for the next clean open."""

import json

import pandas as pd


def test_the_oct_2008_entry_waits_for_a_clean_open(real_store, run_cli, tmp_path):
    result = run_cli("run", "ust_selloff_long_gold", "--episode", "oct-2008-gfc-carry-unwind",
                     "--store", str(real_store.root), "--out", str(tmp_path), "--json")
    assert result.code == 0, result.err
    directory = json.loads(result.out)["run_dir"]
    trades = pd.read_csv(f"{directory}/trades.csv", keep_default_na=False)
    october = trades[trades["entry_time"].str.startswith("2008-10-1")]
    assert len(october) == 1
    trade = october.iloc[0]
    assert trade["entry_price"] > 800      # 831.6 open of 2008-10-14 plus slippage
    assert trade["fill_note"] == "entry moved from 2008-10-13 (suspect print) to 2008-10-14"
    manifest = json.loads(open(f"{directory}/manifest.json").read())
    suspects = {(s["time"][:10], s["field"]) for s in manifest["suspect_bars"]}
    assert {("2008-10-13", "open"), ("2008-10-27", "open")} <= suspects
    assert all(s["reference"] == "GC" for s in manifest["suspect_bars"])
