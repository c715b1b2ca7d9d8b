"""`unwind new playbook ID`: a commented spec to start from, written where playbooks are found.

The starter (strategies/starter.toml) is a playbook that runs as written, every key
commented; the trader changes it key by key and checks it with `unwind check ID`.
"""

from __future__ import annotations

import os
from pathlib import Path

from feeds.errors import DataError

STARTER = Path(__file__).with_name("starter.toml")
PLACEHOLDER = "PLAYBOOK_ID"


def folder(given: str | None) -> Path:
    """Where a new spec goes: `given`, else $UNWIND_PLAYBOOKS, else ./playbooks."""
    import strategies

    return Path(given or os.environ.get(strategies.FOLDER_VARIABLE) or "playbooks")


def write(playbook_id: str, into: Path) -> Path:
    """Write the starter as `into`/`playbook_id`.toml, its id and commands filled in; refuse an
    id that is not a lower-case name, one a playbook already has, and an existing file."""
    import strategies

    if not playbook_id.isidentifier() or playbook_id != playbook_id.lower():
        raise DataError(f"playbook id {playbook_id!r}: expected a lower-case name of letters, "
                        "digits and _ (it is also the file's name), e.g. audjpy_crash_long_gold")
    if playbook_id in strategies.ids():
        raise DataError(f"playbook id {playbook_id!r} is taken (`unwind list playbooks`); "
                        "choose another")
    path = into / f"{playbook_id}.toml"
    if into.exists() and not into.is_dir():
        raise DataError(f"{into}: not a folder")
    text = STARTER.read_text().replace(PLACEHOLDER, playbook_id).replace("FOLDER", str(into))
    into.mkdir(parents=True, exist_ok=True)
    try:
        with path.open("x") as file:      # never overwrite a trader's spec
            file.write(text)
    except FileExistsError:
        raise DataError(f"{path} exists; edit it, or choose another id") from None
    return path
