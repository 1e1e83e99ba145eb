"""The teams that own the knowledge base, read from the repository's CODEOWNERS file.

`postmortem new` offers them as the owner of a new post-mortem: an owner is a team or a
role, never a person's name.
"""

from __future__ import annotations

import re
from pathlib import Path

# Where GitHub looks for the file, in its order.
LOCATIONS = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")
_TEAM = re.compile(r"^@[A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*$")
# The skeleton's example teams, until someone writes their own.
_EXAMPLE_ORG = "@your-org/"


def find_codeowners(start: Path) -> Path | None:
    """The CODEOWNERS file of the repository around START (searched up to the folder that
    holds `.git`)."""
    folder = start.resolve()
    while True:
        for name in LOCATIONS:
            candidate = folder / name
            if candidate.is_file():
                return candidate
        if (folder / ".git").exists() or folder.parent == folder:
            return None
        folder = folder.parent


def teams(start: Path, docs_dir: str = "postmortems") -> list[str]:
    """`@org/team` owners from CODEOWNERS: those of lines about DOCS_DIR first, then the
    rest, each once. People (`@name`) and e-mail addresses are left out."""
    path = find_codeowners(start)
    if path is None:
        return []
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    first: list[str] = []
    rest: list[str] = []
    folder = docs_dir.strip("/")
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        pattern, *owners = line.split()
        where = pattern.strip("/")
        about_docs = where in ("*", "**") or where == folder or where.startswith(folder + "/")
        bucket = first if about_docs else rest
        bucket += [o for o in owners if _TEAM.match(o) and not o.startswith(_EXAMPLE_ORG)]
    return list(dict.fromkeys(first + rest))
