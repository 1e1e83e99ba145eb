"""Bad input never gives a traceback; one bad file never hides the findings of the others."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import complete_postmortem_text, run_process

GOOD = complete_postmortem_text()


def check(kb: Path) -> dict:
    result = run_process("check", "--format", "json", cwd=kb)
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode in (0, 1), result.stderr
    import json

    return json.loads(result.stdout)


def rules_for(data: dict, name: str) -> list[tuple[str, int]]:
    return [(f["rule"], f["line"]) for f in data["findings"] if f["path"].endswith(name)]


@pytest.mark.parametrize(
    "name, content, expected",
    [
        ("PM-2026-002-empty.md", b"", [("PM002", 1)]),
        ("PM-2026-002-blank.md", b"\n\n  \n", [("PM002", 1)]),
        ("PM-2026-002-nofm.md", b"# Title\n\nJust text\n", [("PM002", 1)]),
        ("PM-2026-002-unclosed.md", b"---\nid: PM-2026-002\ntitle: x\n", [("PM002", 1)]),
        ("PM-2026-002-yaml.md", b"---\nid: PM-2026-002\ntitle: [unclosed\nowner: x\n---\n", None),
        ("PM-2026-002-list.md", b"---\n- a\n- b\n---\nbody\n", [("PM003", 2)]),
        (
            "PM-2026-002-latin1.md",
            "---\nid: PM-2026-002\ntitle: caf\u00e9\n---\n".encode("latin-1"),
            [("PM001", 3)],
        ),
    ],
)
def test_broken_files_get_one_clear_finding(
    kb: Path, write_pm, name: str, content: bytes, expected
) -> None:
    write_pm(GOOD)
    path = kb / "postmortems" / "2026" / name
    path.write_bytes(content)
    data = check(kb)
    got = rules_for(data, name)
    if expected is None:
        assert [r for r, _ in got] == ["PM003"] and got[0][1] in (3, 4)
    else:
        assert got == expected
    assert rules_for(data, "PM-2026-001-test.md") == []  # the good file is still checked
    assert data["files"] == 2


def test_bom_and_crlf_are_accepted(kb: Path, write_pm) -> None:
    path = write_pm(GOOD)
    path.write_bytes(b"\xef\xbb\xbf" + GOOD.replace("\n", "\r\n").encode())
    assert check(kb)["findings"] == []


def test_malformed_yaml_names_its_line(kb: Path, write_pm) -> None:
    write_pm(GOOD.replace("owner: Security Operations", "owner: : : [x"))
    data = check(kb)
    (finding,) = data["findings"]
    assert finding["rule"] == "PM003"
    assert finding["line"] == GOOD.split("\n").index("owner: Security Operations") + 1


def test_unknown_key_is_a_warning(kb: Path, write_pm) -> None:
    write_pm(GOOD.replace("owner:", "sevirity: SEV1\nowner:", 1))
    result = run_process("check", cwd=kb)
    assert result.returncode == 0
    assert "PM103" in result.stdout and "sevirity" in result.stdout


def test_five_megabyte_file(kb: Path, write_pm) -> None:
    filler = "Log excerpt line with details of the containment step.\n" * 95000
    write_pm(GOOD.replace("## 1. Acknowledge", filler + "\n## 1. Acknowledge", 1))
    assert (kb / "postmortems/2026/PM-2026-001-test.md").stat().st_size > 5_000_000
    assert check(kb)["findings"] == []


def test_symlink_outside_is_refused(kb: Path, tmp_path: Path, write_pm) -> None:
    outside = tmp_path / "outside.md"
    outside.write_text(GOOD)
    (kb / "postmortems" / "2026").mkdir(parents=True, exist_ok=True)
    os.symlink(outside, kb / "postmortems" / "2026" / "PM-2026-001-link.md")
    data = check(kb)
    assert rules_for(data, "PM-2026-001-link.md") == [("PM004", 1), ("PM703", 1)]


def test_symlink_inside_is_read_but_refused_for_the_site(kb: Path, write_pm) -> None:
    """Read (so its own findings show), yet an error: the site would publish the linked
    file under this name whatever its audience (PM703, tests/test_redteam.py)."""
    inside = kb / "shared-source.md"
    inside.write_text(GOOD)
    (kb / "postmortems" / "2026").mkdir(parents=True, exist_ok=True)
    os.symlink(inside, kb / "postmortems" / "2026" / "PM-2026-001-link.md")
    assert rules_for(check(kb), "PM-2026-001-link.md") == [("PM703", 1)]


def test_directory_named_like_a_postmortem_is_ignored(kb: Path, write_pm) -> None:
    write_pm(GOOD)
    (kb / "postmortems" / "2026" / "PM-2026-001").mkdir()
    (kb / "postmortems" / "2026" / "PM-2026-001" / "notes.md").write_text("not a post-mortem")
    assert check(kb) == {"files": 1, "findings": []}


def test_front_matter_types_are_checked(kb: Path, write_pm) -> None:
    write_pm(
        GOOD.replace("title: CI registry", "title:\n  nested: CI registry", 1).replace(
            "services:\n  - ci-runner", "services: ci-runner\nx_services:\n  - ci-runner"
        )
    )
    data = check(kb)
    assert {f["rule"] for f in data["findings"]} >= {"PM102"}


def test_broken_mkdocs_yml_is_exit_2_with_file_and_line(kb: Path) -> None:
    (kb / "mkdocs.yml").write_text("site_name: x\nplugins: [unclosed\n")
    result = run_process("check", cwd=kb)
    assert result.returncode == 2
    assert "mkdocs.yml:" in result.stderr and "Traceback" not in result.stderr


def test_unknown_plugin_setting_is_exit_2(kb: Path) -> None:
    config = kb / "mkdocs.yml"
    config.write_text(
        config.read_text().replace(
            "      id_prefix: PM\n", "      id_prefix: PM\n      id_prefx: X\n"
        )
    )
    result = run_process("check", cwd=kb)
    assert result.returncode == 2 and "id_prefx" in result.stderr


def test_no_knowledge_base_is_exit_2(tmp_path: Path) -> None:
    result = run_process("check", cwd=tmp_path)
    assert result.returncode == 2
    assert "mkdocs.yml" in result.stderr and "Traceback" not in result.stderr


def test_missing_path_is_exit_2(kb: Path) -> None:
    result = run_process("check", "postmortems/2026/nope.md", cwd=kb)
    assert result.returncode == 2 and "nope.md" in result.stderr
