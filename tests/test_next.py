"""Say what comes next: `check` tells a draft what its next status still needs, and
`status published` warns about (or refuses) action items already past due."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

from conftest import complete_postmortem_text, run_cli

PATH = "postmortems/2026/PM-2026-001-ci-token.md"


def write(kb: Path, text: str) -> Path:
    path = kb / PATH
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def with_a2_due(text: str, days_from_today: int, status: str = "in-progress") -> str:
    due = date.today() + timedelta(days=days_from_today)
    return text.replace("| 2026-08-31 | in-progress |", f"| {due} | {status} |")


# --- check: what the next status still needs ---------------------------------------------


def test_check_on_a_new_draft_says_what_in_review_still_needs(kb: Path) -> None:
    made = run_cli(
        "-C",
        str(kb),
        "new",
        "--type",
        "malware",
        "--severity",
        "SEV2",
        "--occurred",
        "2026-02-01T10:00:00Z",
        "--owner",
        "Security Operations",
    )
    rel = made.output.strip().splitlines()[-1]
    checked = run_cli("-C", str(kb), "check")
    assert checked.exit_code == 0
    lines = checked.output.strip().splitlines()
    assert lines[0] == "No findings in 1 post-mortem."
    found = re.fullmatch(
        r"PM-2026-001 \(draft\): ready for in-review: (\d+) items missing; "
        rf"`postmortem check {re.escape(rel)} --for in-review` lists them",
        lines[1],
    )
    assert found, lines
    listed = run_cli("check", rel, "--for", "in-review", cwd=kb)
    assert listed.exit_code == 1
    assert listed.output.count(" error ") == int(found.group(1))
    assert f"{found.group(1)} errors, 0 warnings in 1 of 1 post-mortem" in listed.output


def test_a_draft_that_meets_in_review_is_told_to_move_on(kb: Path) -> None:
    write(kb, complete_postmortem_text(status="draft"))
    checked = run_cli("-C", str(kb), "check")
    assert checked.output.strip().splitlines()[-1] == (
        "PM-2026-001 (draft): ready for in-review: nothing missing; move it on with "
        "`postmortem status PM-2026-001 in-review`"
    )


def test_in_review_is_told_what_publishing_needs(kb: Path) -> None:
    text = complete_postmortem_text(status="in-review").replace(
        "- [x] Security team notified", "- [ ] Security team notified"
    )
    assert "- [ ] Security team notified" in text
    write(kb, text)
    last = run_cli("-C", str(kb), "check").output.strip().splitlines()[-1]
    assert last.startswith("PM-2026-001 (in-review): ready for published: 1 item missing;")


def test_published_and_machine_formats_say_nothing_more(kb: Path) -> None:
    write(kb, complete_postmortem_text(status="published"))
    assert run_cli("-C", str(kb), "check").output.strip() == "No findings in 1 post-mortem."
    write(kb, complete_postmortem_text(status="draft"))
    data = run_cli("-C", str(kb), "check", "--format", "json").json()
    assert data == {"files": 1, "findings": []}
    github = run_cli("-C", str(kb), "check", "--format", "github").output
    assert "ready for" not in github


def test_many_drafts_are_summed_up(kb: Path) -> None:
    for n in range(1, 14):
        text = complete_postmortem_text(f"PM-2026-{n:03d}", status="draft")
        (kb / "postmortems" / "2026").mkdir(parents=True, exist_ok=True)
        (kb / "postmortems" / "2026" / f"PM-2026-{n:03d}-x.md").write_text(text, "utf-8")
    lines = run_cli("-C", str(kb), "check").output.strip().splitlines()
    assert sum("ready for in-review" in line for line in lines) == 10
    assert lines[-1].startswith("… and 3 more drafts and post-mortems in review")


# --- status published: action items past due -----------------------------------------------


def test_publishing_warns_about_an_action_item_a_little_overdue(kb: Path) -> None:
    path = write(kb, with_a2_due(complete_postmortem_text(status="in-review"), -10))
    moved = run_cli("-C", str(kb), "status", "PM-2026-001", "published")
    assert moved.exit_code == 0, moved.stderr
    assert re.search(
        rf"^{PATH}:\d+: warning: PM-2026-001 action A2 \(Platform Engineering\) "
        r"is 10 days overdue \(due \d{4}-\d\d-\d\d\)$",
        moved.stderr,
        re.M,
    )
    assert "status: published" in path.read_text(encoding="utf-8")


def test_publishing_refuses_an_action_item_long_overdue(kb: Path) -> None:
    path = write(kb, with_a2_due(complete_postmortem_text(status="in-review"), -137))
    before = path.read_bytes()
    refused = run_cli("-C", str(kb), "status", "PM-2026-001", "published")
    assert refused.exit_code == 1
    assert "is 137 days overdue" in refused.stderr
    assert "stays in-review: 1 open action item(s) more than 30 days overdue" in refused.stderr
    assert path.read_bytes() == before
    allowed = run_cli("-C", str(kb), "status", "PM-2026-001", "published", "--allow-overdue")
    assert allowed.exit_code == 0 and "is 137 days overdue" in allowed.stderr
    assert "status: published" in path.read_text(encoding="utf-8")


def test_the_limit_is_overdue_fail_days(kb: Path) -> None:
    config = kb / "mkdocs.yml"
    config.write_text(
        config.read_text(encoding="utf-8").replace(
            "      audience: internal\n", "      audience: internal\n      overdue_fail_days: 200\n"
        ),
        encoding="utf-8",
    )
    assert "overdue_fail_days: 200" in config.read_text(encoding="utf-8")
    write(kb, with_a2_due(complete_postmortem_text(status="in-review"), -137))
    assert run_cli("-C", str(kb), "status", "PM-2026-001", "published").exit_code == 0


def test_done_items_past_their_date_are_not_overdue(kb: Path) -> None:
    write(kb, with_a2_due(complete_postmortem_text(status="in-review"), -137, "done"))
    moved = run_cli("-C", str(kb), "status", "PM-2026-001", "published")
    assert moved.exit_code == 0 and "overdue" not in moved.stderr


def test_moving_to_review_does_not_look_at_due_dates(kb: Path) -> None:
    write(kb, with_a2_due(complete_postmortem_text(status="draft"), -137))
    moved = run_cli("-C", str(kb), "status", "PM-2026-001", "in-review")
    assert moved.exit_code == 0 and "overdue" not in moved.stderr
