"""`postmortem status ID STATUS`: a gate on what the status demands, an edit of one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import complete_postmortem_text, run_cli

NAME = "PM-2026-001-test.md"


def status(kb: Path, *args: str):  # type: ignore[no-untyped-def]
    # The fixture's action A2 (in progress, due 2026-08-31) falls further behind every day;
    # these tests are about the gate and the edit, tests/test_next.py about overdue items.
    return run_cli("-C", str(kb), "status", *args, "--allow-overdue")


def changed_lines(before: bytes, after: bytes) -> list[tuple[bytes, bytes]]:
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    assert len(old) == len(new), "lines were added or removed"
    return [(a, b) for a, b in zip(old, new, strict=True) if a != b]


def test_refuses_an_incomplete_postmortem_and_leaves_it_untouched(kb: Path) -> None:
    new = run_cli(
        "-C",
        str(kb),
        "new",
        "--type",
        "malware",
        "--severity",
        "SEV2",
        "--occurred",
        "2026-02-01T10:00:00Z",
    )
    path = kb / new.output.strip().splitlines()[-1]
    before = path.read_bytes()
    result = status(kb, "PM-2026-001", "in-review")
    assert result.exit_code == 1
    assert "PM203" in result.output and "contained_at" in result.output
    assert "stays draft" in result.stderr
    assert path.read_bytes() == before


def test_refuses_published_when_a_checklist_item_is_open(kb: Path, write_pm) -> None:
    text = complete_postmortem_text(status="in-review").replace("- [x]", "- [ ]", 1)
    path = write_pm(text)
    result = status(kb, "PM-2026-001", "published")
    assert result.exit_code == 1 and "PM301" in result.output
    assert path.read_text(encoding="utf-8") == text


def test_accepts_a_complete_postmortem_editing_only_the_status_line(kb: Path, write_pm) -> None:
    text = complete_postmortem_text(status="in-review")
    text = text.replace("status: in-review\n", "status: in-review   # set by the review\n")
    text = text.replace(
        "owner: Security Operations\n", "# who drives it\nowner: 'Security Operations'\n"
    )
    path = write_pm(text.replace("\n", "\r\n"))
    before = path.read_bytes()
    result = status(kb, "PM-2026-001", "published")
    assert result.exit_code == 0, result.output + result.stderr
    assert "in-review -> published" in result.output
    assert changed_lines(before, path.read_bytes()) == [
        (
            b"status: in-review   # set by the review\r\n",
            b"status: published   # set by the review\r\n",
        )
    ]
    assert run_cli("-C", str(kb), "check").exit_code == 0


def test_archive_sets_archived_at_and_draft_reopens(kb: Path, write_pm) -> None:
    path = write_pm(complete_postmortem_text(status="published"))
    before = path.read_text(encoding="utf-8")
    assert status(kb, "PM-2026-001", "archived").exit_code == 0
    archived = path.read_text(encoding="utf-8")
    added = [line for line in archived.split("\n") if line not in before.split("\n")]
    assert added[0] == "status: archived"
    assert added[1].startswith("archived_at: 20") and added[1].endswith("Z")
    assert len(added) == 2 and archived.index("archived_at") > archived.index("status:")

    refused = status(kb, "PM-2026-001", "in-review")
    assert refused.exit_code == 2 and "only go back to draft" in refused.stderr

    assert status(kb, "PM-2026-001", "draft").exit_code == 0
    assert path.read_text(encoding="utf-8") == before.replace("status: published", "status: draft")


def test_archived_at_that_exists_is_updated_in_place(kb: Path, write_pm) -> None:
    text = complete_postmortem_text(status="published").replace(
        "resolved_at:", "archived_at: 2020-01-01T00:00:00Z\nresolved_at:"
    )
    assert "archived_at: 2020" in text
    path = write_pm(text)
    assert status(kb, "PM-2026-001", "archived").exit_code == 0
    lines = path.read_text(encoding="utf-8").split("\n")
    stamp = next(i for i, line in enumerate(lines) if line.startswith("archived_at:"))
    assert lines[stamp + 1].startswith("resolved_at:")
    assert "2020-01-01" not in lines[stamp]


def test_skipping_forward_is_allowed_when_the_file_meets_the_target(kb: Path, write_pm) -> None:
    write_pm(complete_postmortem_text(status="draft"))
    result = status(kb, "PM-2026-001", "published")
    assert result.exit_code == 0 and "draft -> published" in result.output


def test_same_status_changes_nothing(kb: Path, write_pm) -> None:
    path = write_pm(complete_postmortem_text(status="published"))
    before = path.read_bytes()
    result = status(kb, "PM-2026-001", "published")
    assert result.exit_code == 0 and "already published" in result.output
    assert path.read_bytes() == before


def test_a_duplicate_id_blocks_the_move(kb: Path, write_pm) -> None:
    write_pm(complete_postmortem_text(status="in-review"))
    write_pm(complete_postmortem_text(status="draft"), name="PM-2026-001-copy.md")
    result = status(kb, "PM-2026-001", "published")
    assert result.exit_code == 1 and "PM106" in result.output


@pytest.mark.parametrize(
    "args, code, words",
    [
        (("PM-2026-404", "published"), 2, "no post-mortem with id PM-2026-404"),
        (("PM-2026-001", "done"), 2, "'done' is not one of"),
    ],
)
def test_wrong_usage_is_exit_2(
    kb: Path, write_pm, args: tuple[str, ...], code: int, words: str
) -> None:
    write_pm(complete_postmortem_text(status="in-review"))
    result = status(kb, *args)
    assert result.exit_code == code
    assert words in result.stderr
    assert "Traceback" not in result.stderr


def test_a_status_not_on_one_line_is_refused_without_writing(kb: Path, write_pm) -> None:
    text = complete_postmortem_text(status="in-review").replace(
        "status: in-review", "status: >-\n  in-review"
    )
    path = write_pm(text)
    result = status(kb, "PM-2026-001", "published")
    assert result.exit_code == 1
    assert f"postmortems/2026/{NAME}:6" in result.stderr and "one line" in result.stderr
    assert path.read_text(encoding="utf-8") == text


def test_an_empty_archived_at_is_filled(kb: Path, write_pm) -> None:
    path = write_pm(
        complete_postmortem_text(status="published").replace(
            "resolved_at:", "archived_at:\nresolved_at:"
        )
    )
    assert status(kb, "PM-2026-001", "archived").exit_code == 0
    assert path.read_text(encoding="utf-8").count("archived_at: 20") == 1
