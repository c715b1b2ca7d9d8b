"""Bad input: one clear line naming the file, row or option; non-zero exit; store untouched."""

import pytest

from tests.conftest import tree_digest

GOOD_YAHOO = "Date,Close,High,Low,Open,Volume\n2024-08-01,10,11,9,10,5\n2024-08-02,10.5,11,9.5,10,5\n"

# (name, file content or None for no file, extra CLI args, text the error line must contain)
CASES = [
    ("truncated row", "Date,Open,High,Low,Close\n2024-08-01,1,2,0.5,1.5\n2024-08-02,1,2\n",
     ["--symbol", "VIX"], "row 3: low is empty"),
    # ';' with decimal commas is a layout traders have (feeds/sources/layouts.py); spaces are not
    ("wrong delimiter", "Date Open High Low Close\n2024-08-01 1 2 0.5 1.5\n", ["--symbol", "VIX"],
     "unknown format (header 'Date Open High Low Close')"),
    ("unknown format", "when,price\nyesterday,3\n", ["--symbol", "VIX"], "unknown format"),
    ("garbage date", "observation_date,DGS10\n2024-08-01,3.9\nnot-a-day,3.8\n", [],
     "row 3: 'not-a-day' is not a date/time (expected YYYY-MM-DD)"),
    ("reversed timestamps", GOOD_YAHOO.replace("2024-08-02", "2024-07-31"), ["--symbol", "GC"],
     "row 3 (2024-07-31 00:00:00) is out of order"),
    ("duplicated timestamps", GOOD_YAHOO.replace("2024-08-02", "2024-08-01"), ["--symbol", "GC"],
     "row 3 repeats the timestamp"),
    ("NaN price", GOOD_YAHOO.replace("10.5,11", ",11"), ["--symbol", "GC"],
     "row 3: close is empty"),
    ("negative price", GOOD_YAHOO.replace("10.5,11,9.5", "-10.5,11,9.5"), ["--symbol", "GC"],
     "row 3: close -10.5 is not a positive price"),
    ("text in a price", GOOD_YAHOO.replace("10.5,11", "ten,11"), ["--symbol", "GC"],
     "row 3 column 'Close': 'ten' is not a number"),
    ("missing columns", "Date,Close,High,Open,Volume\n2024-08-01,1,2,0.5,1\n",
     ["--symbol", "GC", "--format", "yahoo"], "missing column(s) Low"),
    ("too many fields", GOOD_YAHOO + "2024-08-03,1,2,3,4,5,6,7\n", ["--symbol", "GC"],
     "row 4 has more fields than the header's 6"),
    ("empty file", "", ["--symbol", "GC"], "the file is empty"),
    ("binary file", b"\x89PNG\r\n\x1a\n\x00\x00\x00IHDR", ["--symbol", "GC"], "binary file"),
    ("header only", "Date,Close,High,Low,Open,Volume\n", ["--symbol", "GC"],
     "no data rows after the header"),
    ("unknown symbol", GOOD_YAHOO, ["--symbol", "GOLDX"], "unknown symbol 'GOLDX'"),
    ("bad tag", GOOD_YAHOO, ["--symbol", "GC@a b"], "the tag after '@'"),
    ("no symbol", GOOD_YAHOO, [], "cannot tell which instrument this is; pass --symbol"),
    ("wrong symbol for the file", "observation_date,DGS10\n2024-08-01,3.9\n2024-08-02,3.8\n",
     ["--symbol", "UST30Y"], "holds DGS10 (UST10Y), not UST30Y"),
    ("bad bar option", GOOD_YAHOO, ["--symbol", "GC", "--bar", "2h"], "'2h' is not one of"),
    ("bar does not fit", GOOD_YAHOO, ["--symbol", "GC", "--bar", "1h"],
     "holds dates only, so --bar 1h does not fit"),
    ("bad clock", "DateTime,Open,High,Low,Close,TickVolume,Spread\n2024.08.01 00:00:00,1,2,0.5,1,"
     "1,0\n2024.08.01 01:00:00,1,2,0.5,1,1,0\n", ["--symbol", "XAUUSD", "--clock", "+25:99"],
     "is not a clock"),
    ("clock on daily bars", GOOD_YAHOO, ["--symbol", "GC", "--clock", "utc"],
     "--clock applies to intraday bars"),
    ("bad generic map", GOOD_YAHOO, ["--symbol", "GC", "--format", "generic", "--map", "when=x"],
     "expected KEY=COLUMN pairs"),
    ("unknown option", GOOD_YAHOO, ["--symbol", "GC", "--colour", "red"],
     "No such option '--colour'"),
    ("missing file", None, ["--symbol", "GC"], "no such file"),
    ("monthly data", "observation_date,FEDFUNDS\n2024-06-01,5.33\n2024-07-01,5.33\n"
     "2024-08-01,5.33\n", ["--symbol", "EFFR"], "monthly observations"),
    ("bad era date", "基準日,10年\nR6.8.5,0.781\nX9.9.9,0.8\n", [], "'X9.9.9' is not a Japanese era"),
]


@pytest.mark.parametrize("name, content, args, message", CASES, ids=[c[0] for c in CASES])
def test_bad_input_gives_one_line_and_leaves_the_store_alone(
        name, content, args, message, tmp_path, store_dir, run_cli):
    seeded = tmp_path / "seed.csv"
    seeded.write_text(GOOD_YAHOO)
    assert run_cli("data", "import", str(seeded), "--symbol", "GC").code == 0
    before = tree_digest(store_dir)
    path = tmp_path / "input.csv"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content, encoding="utf-8")
    result = run_cli("data", "import", str(path), *args)
    assert result.code != 0
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.err
    assert message in lines[0]
    assert "Traceback" not in result.err + result.out
    assert tree_digest(store_dir) == before


def test_bad_options_on_other_commands(store_dir, run_cli):
    for args, message in [
        (["data", "show", "GC"], "no GC 1d series in the store"),
        (["data", "show", "GC", "--start", "yesterday"], "'yesterday' is not a date"),
        (["data", "validate", "NOPE"], "unknown symbol 'NOPE'"),
        (["data", "validate", "--tolerance", "lots"], "--tolerance 'lots' is not a number"),
        (["data", "fetch", "XAUUSD"], "Yahoo has no ticker for it"),
        (["data", "fetch", "GC", "--start", "2024-13-01"], "month must be in 1..12"),
        (["list", "nothing"], "No such command 'nothing'"),
    ]:
        result = run_cli(*args)
        assert result.code != 0, args
        lines = result.err.strip().splitlines()
        assert len(lines) == 1 and message in lines[0], (args, result.err)
