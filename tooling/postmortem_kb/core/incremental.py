"""What the live preview keeps from one build to the next: each post-mortem's parse and
findings, by the file's bytes (issue 13, incremental preview).

A parse or a finding list is given back only for a file whose bytes and link status are the
ones it was computed from; anything else is computed again. The per-file findings also
depend on the configuration, the templates and the evidence folders: the preview changes
none of those without a full rebuild, which starts from an empty memo (`clear`).
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .config import Config
from .model import Finding, Postmortem
from .parse import ParseProblem


def file_digest(path: str | os.PathLike[str]) -> str:
    """The SHA-256 of a file's bytes, with whether it is a symbolic link ('' if unreadable)."""
    try:
        link = stat.S_ISLNK(os.lstat(path).st_mode)
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError:
        return ""
    return ("L" if link else "F") + hashlib.sha256(data).hexdigest()


# An editor's lock or swap file beside the one open: Emacs' `.#x.md`, Vim's `.x.md.swp`
# (`.swo`, ... down to `.swa`), rewritten as the author types. Their names start with a dot,
# so MkDocs leaves them out of the site (when mkdocs.yml takes no dot name back).
EDITOR_FILE = re.compile(r"\.#.*|\..+\.sw[a-p]")


def tree_digests(
    root: str | os.PathLike[str], skip: Callable[[str], Any] | None = None
) -> dict[str, str]:
    """Every file under ROOT (a file on its own too): absolute path -> `file_digest`; but
    those whose name SKIP matches."""
    found: dict[str, str] = {}
    root = os.path.abspath(root)
    if os.path.isfile(root):
        found[root] = file_digest(root)
        return found
    for dirpath, dirnames, names in os.walk(root):
        dirnames.sort()
        for name in names:
            if skip is not None and skip(name):
                continue
            path = os.path.join(dirpath, name)
            found[path] = file_digest(path)
    return found


class FileMemo:
    """Parses and findings of the files read before, each with the digest it came from."""

    def __init__(self) -> None:
        self._parses: dict[str, tuple[str, Postmortem | ParseProblem]] = {}
        self._findings: dict[int, tuple[Postmortem, list[Finding]]] = {}
        self.reused = 0  # files given back unchanged by the last load (for tests, benchmarks)

    def clear(self) -> None:
        self._parses.clear()
        self._findings.clear()
        self.reused = 0

    def read(self, config: Config, path: Path | str) -> Postmortem:
        """`knowledge_base.read_postmortem`, or its earlier result for the same bytes."""
        from .knowledge_base import read_postmortem

        key = os.fspath(path)
        digest = file_digest(key)
        known = self._parses.get(key)
        if digest and known is not None and known[0] == digest:
            self.reused += 1
            result = known[1]
        else:
            try:
                result = read_postmortem(config, path)
            except ParseProblem as problem:
                result = problem
            if digest:
                self._parses[key] = (digest, result)
        if isinstance(result, ParseProblem):
            raise result
        return result

    def checker(
        self, check: Callable[[Postmortem], list[Finding]]
    ) -> Callable[[Postmortem], list[Finding]]:
        """CHECK, remembered for each parse object `read` gives back."""

        def check_one(pm: Postmortem) -> list[Finding]:
            known = self._findings.get(id(pm))
            if known is not None and known[0] is pm:
                return list(known[1])
            findings = check(pm)
            self._findings[id(pm)] = (pm, list(findings))
            return findings

        return check_one

    def prune(self, paths: Any) -> None:
        """Keep only what the files at PATHS (the last load's) gave."""
        wanted = {os.fspath(p) for p in paths}
        for key in [k for k in self._parses if k not in wanted]:
            del self._parses[key]
        held = {id(r) for _, r in self._parses.values()}
        for ident in [k for k in self._findings if k not in held]:
            del self._findings[ident]
