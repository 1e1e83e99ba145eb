"""Edits keep what the user set up on a file: its mode and its symlink; a read-only file or
one with several hard links is refused with the reason, and stays byte for byte as it was.
Output files are never written into a folder that does not exist."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from conftest import complete_postmortem_text, run_cli

TEXT = complete_postmortem_text(status="published")


def archive(kb: Path):  # type: ignore[no-untyped-def]
    return run_cli("-C", str(kb), "status", "PM-2026-001", "archived", "--allow-overdue")


def test_status_keeps_the_mode(kb: Path, write_pm) -> None:
    path = write_pm(TEXT)
    os.chmod(path, 0o640)
    assert archive(kb).exit_code == 0
    assert "status: archived" in path.read_text()
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_status_writes_through_a_symlink_and_keeps_it(kb: Path, write_pm) -> None:
    source = kb / "sources" / "incident.md"
    source.parent.mkdir()
    source.write_text(TEXT)
    link = kb / "postmortems" / "2026" / "PM-2026-001-test.md"
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(os.path.relpath(source, link.parent))
    result = archive(kb)
    if result.exit_code == 0:  # a symlink inside the knowledge base may be followed...
        assert link.is_symlink() and "status: archived" in source.read_text()
    else:  # ...or refused as a whole, with its reason and nothing written
        assert "symlink" in (result.output + result.stderr)
        assert source.read_text() == TEXT and link.is_symlink()


def test_status_refuses_a_read_only_file(kb: Path, write_pm) -> None:
    path = write_pm(TEXT)
    os.chmod(path, 0o444)
    try:
        result = archive(kb)
        assert result.exit_code == 2 and "read-only" in result.stderr
        assert path.read_text() == TEXT
        assert stat.S_IMODE(path.stat().st_mode) == 0o444
    finally:
        os.chmod(path, 0o644)


def test_status_refuses_a_file_with_hard_links(kb: Path, write_pm, tmp_path: Path) -> None:
    path = write_pm(TEXT)
    other = tmp_path / "linked-copy.md"
    os.link(path, other)
    result = archive(kb)
    assert result.exit_code == 2 and "hard links" in result.stderr
    assert path.read_text() == TEXT and other.read_text() == TEXT
    assert path.stat().st_ino == other.stat().st_ino


@pytest.mark.parametrize("command", [["export"], ["report", "--quarter", "2026-Q2"]])
def test_output_into_a_missing_folder_is_refused(
    kb: Path, write_pm, tmp_path: Path, command: list[str]
) -> None:
    write_pm(TEXT)
    target = tmp_path / "no-such-folder" / "out.txt"
    result = run_cli("-C", str(kb), *command, "-o", str(target))
    assert result.exit_code == 2 and "does not exist" in result.stderr
    assert not target.parent.exists()
