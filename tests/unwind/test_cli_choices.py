"""The CLI spells its choices out (so start-up needs no pandas); they must match the library."""

from feeds.bars import BARS
from feeds.sources import yahoo
from feeds.sources.formats import FORMATS
from unwind.cli import data


def test_cli_choices_match_the_library():
    assert data.BAR_CHOICES == list(BARS)
    assert data.FORMAT_CHOICES == list(FORMATS)
    fetch_bars = next(p for p in data.fetch_command.params if p.name == "bar").type.choices
    assert list(fetch_bars) == list(yahoo._INTERVALS)
