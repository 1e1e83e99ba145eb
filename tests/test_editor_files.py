"""An author's editor keeps lock and swap files beside the post-mortem open: Emacs' `.#x.md`
(a link to nowhere), Vim's `.x.md.swp`. Their names start with a dot, and MkDocs leaves every
such name out of the site, so they are no part of the knowledge base: `check` does not read
them, the follow-through commands and the build do not refuse because of them, and the
live preview does not rebuild everything when the editor rewrites them. When mkdocs.yml's
`exclude_docs` takes a dot name back (a `!` line), they are looked at like any file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from test_site_support import write_kb

LOCK = ".#PM-2026-001-zzpublicslug.md"
SWAP = ".PM-2026-001-zzpublicslug.md.swp"
HIDDEN_COPY = ".PM-2026-009-zzdotcopy.md"


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).parent / "postmortem"
    return subprocess.run([str(exe), *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def _checked(root: Path) -> dict[str, object]:
    """`check --format json`: how many post-mortems it read, and what it found."""
    result = _run("check", "--format", "json", "--no-cache", cwd=root)
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def _open_in_editors(root: Path) -> None:
    year = root / "postmortems" / "2026"
    os.symlink("author@laptop.4242:1790000000", year / LOCK)  # Emacs: a link to nowhere
    (year / SWAP).write_bytes(b"b0VIM 9.1\x00" + bytes(range(256)) * 8)
    source = (year / "PM-2026-002-zzinternalslug.md").read_text(encoding="utf-8")
    (year / HIDDEN_COPY).write_text(  # a dot name ending in .md: no post-mortem either
        source.replace("PM-2026-002", "PM-2026-009").replace("zzinternal", "zzdotcopy"),
        encoding="utf-8",
    )
    os.symlink("author@laptop.4242:1790000000", root / "postmortems" / ".#notes.md")


def test_editor_files_are_no_part_of_the_knowledge_base(tmp_path: Path) -> None:
    root = write_kb(tmp_path / "kb")
    before = _checked(root)
    _open_in_editors(root)
    assert _checked(root) == before
    assert before["files"] == 4
    stats = _run("stats", "--format", "json", "--no-cache", cwd=root)
    assert stats.returncode == 0, stats.stderr  # it refused: "would put an audience at risk"
    assert "zzdotcopy" not in stats.stdout
    site = tmp_path / "site"
    built = _run("build", "--strict", "--site-dir", str(site), cwd=root)
    assert built.returncode == 0, built.stderr
    assert (site / "2026" / "PM-2026-001-zzpublicslug" / "index.html").is_file()
    assert not list(site.rglob("*zzdotcopy*")) and not list(site.rglob(".*"))


def test_a_dot_name_taken_back_by_exclude_docs_is_looked_at(tmp_path: Path) -> None:
    root = write_kb(tmp_path / "kb")
    config = root / "mkdocs.yml"
    text = config.read_text(encoding="utf-8")
    assert "exclude_docs: |\n" in text
    config.write_text(text.replace("exclude_docs: |\n", "exclude_docs: |\n  !.well-known/\n"))
    _open_in_editors(root)
    checked = _checked(root)
    found = {(f["path"], f["rule"]) for f in checked["findings"]}  # type: ignore[attr-defined]
    assert ("postmortems/2026/" + LOCK, "PM703") in found  # a symlink MkDocs may publish
    assert ("postmortems/.#notes.md", "PM703") in found
    assert checked["files"] == 6  # the copy and the lock read as post-mortems too
    stats = _run("stats", "--no-cache", cwd=root)
    assert stats.returncode == 1 and "PM703" in stats.stderr


@pytest.mark.parametrize("name", [SWAP, LOCK])
def test_the_preview_does_not_rebuild_everything_for_an_editor_file(
    tmp_path: Path, name: str
) -> None:
    """The preview's snapshot of what it watches leaves them out; a `.pages` file (read by
    a navigation plugin) stays in it."""
    from postmortem_kb.core.incremental import EDITOR_FILE, tree_digests

    folder = tmp_path / "docs" / "2026"
    folder.mkdir(parents=True)
    (folder / "PM-2026-001-x.md").write_text("---\nid: PM-2026-001\n---\n", encoding="utf-8")
    (folder / ".pages").write_text("nav: []\n", encoding="utf-8")
    (folder / name).write_text("swap\n", encoding="utf-8")
    seen = {Path(p).name for p in tree_digests(tmp_path / "docs", EDITOR_FILE.fullmatch)}
    assert seen == {"PM-2026-001-x.md", ".pages"}
    assert name in {Path(p).name for p in tree_digests(tmp_path / "docs")}
