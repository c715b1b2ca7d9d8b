"""The README is the front door: its commands must keep working."""

import os
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def quick_start_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Quick start", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    return [line.split("#")[0].strip() for line in block.splitlines() if line.strip()]


def test_quick_start_has_exactly_two_commands_and_ci_runs_the_second():
    commands = quick_start_commands()
    assert commands == ["make demo", "make test"]
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_the_main_job_command_runs_on_a_fresh_store(tmp_path):
    env = dict(os.environ, UNWIND_STORE=str(tmp_path / "store"))
    result = subprocess.run(quick_start_commands()[0].split(), cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    assert "SYNTHETIC demo data" in result.stdout
    page = re.search(r"scorecard: (\S+scorecard\.html)", result.stdout).group(1)
    assert Path(page).is_file() and "SYNTHETIC DEMO DATA" in Path(page).read_text()


def test_the_data_commands_in_the_readme_run(tmp_path):
    """Every `.venv/bin/unwind ...` line of the README, except the networked fetch: the imports
    one after another, in the README's order, then the commands that only read the store two
    at a time (two cores; run folders that would share a name take a suffix). The "Write a
    playbook" walk-through (new, check, run, score) runs as one of those, its lines in order,
    from a fresh folder."""
    from concurrent.futures import ThreadPoolExecutor

    text = (ROOT / "README.md").read_text()
    lines = [line.split("  #")[0].strip() for line in text.splitlines()
             if line.startswith(".venv/bin/unwind") and " fetch " not in line]
    walk_through = [line for line in lines if "my_playbooks" in line]
    lines = [line for line in lines if line not in walk_through]
    assert len(lines) >= 8 and len(walk_through) == 4 and "new playbook" in walk_through[0]
    env = dict(os.environ, UNWIND_STORE=str(tmp_path / "store"))
    env.pop("UNWIND_PLAYBOOKS", None)
    unwind = Path(os.environ.get("VIRTUAL_ENV", ROOT / ".venv")) / "bin" / "unwind"
    if not unwind.exists():
        unwind = ROOT / ".venv" / "bin" / "unwind"
    folder = tmp_path / "walk-through"
    folder.mkdir()

    def run(line: str, cwd: Path = ROOT) -> list[tuple[str, subprocess.CompletedProcess]]:
        return [(line, subprocess.run([str(unwind), *line.split()[1:]], cwd=cwd, env=env,
                                      capture_output=True, text=True, timeout=300))]

    def in_order(lines: list[str]) -> list[tuple[str, subprocess.CompletedProcess]]:
        results = []
        for line in lines:
            results += run(line, folder)
            if results[-1][1].returncode:
                break
        return results

    writes = [line for line in lines if " data import " in line]
    results = [result for line in writes for result in run(line)]
    with ThreadPoolExecutor(max_workers=2) as pool:
        tasks = [pool.submit(in_order, walk_through)] + \
            [pool.submit(run, line) for line in lines if line not in writes]
        results += [result for task in tasks for result in task.result()]
    for line, result in results:
        assert result.returncode == 0, (line, result.stdout[-500:], result.stderr)
    assert (folder / "my_playbooks" / "yen_rally_gold.toml").is_file()


def test_make_import_raw_fills_the_store(tmp_path):
    env = dict(os.environ, UNWIND_STORE=str(tmp_path / "store"))
    result = subprocess.run(["make", "import-raw"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    from feeds.store import Store

    listed = {(s.series, s.bar) for s in Store(tmp_path / "store").list()}
    assert {("XAUUSD", "1h"), ("HSI", "1d"), ("JGB40Y", "1d"), ("NQ", "1d")} <= listed
    from tests.raw_files import IMPORTS

    bars = {}   # each file of the table: the bars of every series it gave (a line each)
    for line in result.stdout.splitlines():
        if " bars  " in line:
            count, relative = line.split(" bars  ")
            bars.setdefault(relative.split("  [")[0], []).append(int(count.split()[-1]))
    assert sorted(bars) == sorted(relative for relative, _, _ in IMPORTS)
    assert all(counts and min(counts) > 0 for counts in bars.values())


def test_the_from_python_example_runs_on_a_real_store(tmp_path, raw):
    """README "From Python": its Python block, as written, against a store holding the real
    series it reads (HSI and daily USDJPY), in a folder of its own (runs/out lands there)."""
    from feeds.importer import ImportOptions, import_files
    from feeds.store import Store

    text = (ROOT / "README.md").read_text()
    section = text.split("## From Python", 1)[1].split("\n## ", 1)[0]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    store = Store(tmp_path / "store")
    import_files([raw / "wsj_clamx4_stockdata/HSI.csv"], ImportOptions(symbol="HSI"), store)
    import_files([raw / "mt5_pepperstone_daily/USDJPY.csv"], ImportOptions(), store)
    python = Path(os.environ.get("VIRTUAL_ENV", ROOT / ".venv")) / "bin" / "python"
    if not python.exists():
        python = ROOT / ".venv" / "bin" / "python"
    env = dict(os.environ, UNWIND_STORE=str(store.root))
    result = subprocess.run([str(python), "-c", code], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "sharpe_ratio" in result.stdout and "profit_factor" in result.stdout
    assert "hsi_short_yen_vol" in result.stdout and result.stderr == ""
    assert len(list((tmp_path / "runs" / "out").iterdir())) == 2     # the run and the scorecard
