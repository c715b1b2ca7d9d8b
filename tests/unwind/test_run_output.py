"""What `unwind run` prints and writes: the window it used, metrics formatted by unit and
aligned the same way every run, integer counts in metrics.json."""

import json
import re


def test_the_terminal_table_formats_each_metric_by_its_unit(real_store, tmp_path, run_cli):
    outputs = []
    for _ in range(2):
        result = run_cli("run", "hsi_short_yen_vol", "--store", str(real_store.root), "--out",
                         str(tmp_path))
        assert result.code == 0, result.err
        outputs.append([line for line in result.out.splitlines()
                        if not line.startswith(("hsi_short_yen_vol over", "tear sheet", "store:",
                                                "also in metrics.json:"))])
    assert outputs[0] == outputs[1]                      # aligned the same way every run
    assert "also in metrics.json: cvar_95" in result.out and not result.err   # stderr: errors
    first, second = result.out.splitlines()[:2]
    assert first.startswith("hsi_short_yen_vol over 2024-06-01..2024-09-30 (default for --start "
                            "and --end)")
    assert second == f"store: {real_store.root}"         # the store it read, named
    table = outputs[0]
    assert table[0].split() == ["metric", "playbook", "flat"]
    rows = {line[:40].strip(): line[40:].split() for line in table[1:] if line.strip()}
    assert re.fullmatch(r"[+-]\d+\.\d\d%", rows["Total return"][0])
    assert re.fullmatch(r"\d+", rows["Trades"][0])
    assert re.fullmatch(r"-?[\d,]+", rows["Profit and loss"][0]) and rows["Profit and loss"][1] \
        == "USD"
    assert re.fullmatch(r"-?\d+\.\d\d", rows["Sharpe ratio"][0])
    assert rows["Days from first trigger to first entry"] == ["n/a"]   # no episode, no trigger
    right_edges = {len(line.rstrip()) for line in table[1:] if "n/a" not in line}
    assert len(right_edges) == 1                         # values right-aligned in one column


def test_metrics_json_writes_counts_as_integers(real_store, tmp_path, run_cli):
    result = run_cli("run", "hsi_short_yen_vol", "--episode", "aug-2024-carry-unwind", "--store",
                     str(real_store.root), "--out", str(tmp_path), "--json")
    assert result.code == 0, result.err
    directory = json.loads(result.out)["run_dir"]
    text = open(f"{directory}/metrics.json").read()
    assert re.search(r'"trades": \d+,', text) and re.search(r'"days_to_first_entry": -?\d+,', text)
    benchmark = json.loads(open(f"{directory}/benchmark_metrics.json").read())
    assert "days_to_first_entry" not in benchmark and isinstance(benchmark["trades"], int)
