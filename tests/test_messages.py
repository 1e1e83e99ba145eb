"""Clear messages for the cases that used to fail without one (issue 10, item 5)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import complete_postmortem_text, run_process


@pytest.mark.parametrize(
    "site_dir, why",
    [
        ("postmortems", "is the post-mortems folder"),
        ("postmortems/2026/site", "is inside the post-mortems folder"),
        (".", "holds the post-mortems folder"),
    ],
)
def test_build_into_the_postmortems_is_refused_with_the_reason(
    kb: Path, write_pm, site_dir: str, why: str
) -> None:
    path = write_pm(complete_postmortem_text())
    before = sorted(p.relative_to(kb) for p in kb.rglob("*"))
    result = run_process("build", "--site-dir", site_dir, cwd=kb)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"--site-dir {site_dir} {why}" in result.stderr
    assert sorted(p.relative_to(kb) for p in kb.rglob("*")) == before
    assert path.read_text() == complete_postmortem_text()


@pytest.mark.parametrize("name", ["mkdocs.yml", "postmortems/2026/notes.txt"])
def test_check_of_a_file_that_is_no_postmortem_is_exit_2(kb: Path, write_pm, name: str) -> None:
    write_pm(complete_postmortem_text())
    (kb / name).write_text("x: 1\n")
    result = run_process("check", name, cwd=kb)
    assert result.returncode == 2
    assert f"{name}: not a post-mortem" in result.stderr


def test_export_into_a_missing_folder_creates_nothing(kb: Path, write_pm, tmp_path: Path) -> None:
    write_pm(complete_postmortem_text())
    target = tmp_path / "nonexistent-dir" / "x"
    result = run_process("export", "-o", str(target), cwd=kb)
    assert result.returncode == 2 and "does not exist" in result.stderr
    assert not target.parent.exists()
