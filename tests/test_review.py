"""`postmortem check --base REF`: a pull request's post-mortems, archived ones frozen."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import complete_postmortem_text, run_cli
from gitrepo import commit_all, git, git_home, git_kb, new_pm  # noqa: F401

GOLDEN = Path(__file__).resolve().parent / "golden"

BROKEN_DRAFT = """\
---
id: PM-2026-002
title: Login API outage | token cache <b>expired</b>
type: service-disruption
severity: SEV3
status: draft
visibility: internal
occurred_at: 2026-04-02T08:00:00Z
detected_at: 2026-04-02T08:05:00Z
---

# PM-2026-002

## Summary

The token cache expired early because of human error.
"""

INCOMPLETE_IN_REVIEW = (
    BROKEN_DRAFT.replace("PM-2026-002", "PM-2026-009")
    .replace("status: draft", "status: in-review")
    .replace("visibility: internal", "visibility: internal\nowner: Platform")
)


def write(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def check_base(root: Path, base: str = "main", fmt: str = "json"):  # type: ignore[no-untyped-def]
    return run_cli("-C", str(root), "check", "--base", base, "--format", fmt)


@pytest.fixture
def pr(git_kb: Path) -> Path:
    """main holds an incomplete post-mortem with errors; HEAD is a fresh PR branch."""
    write(git_kb, "postmortems/2026/PM-2026-009-old.md", INCOMPLETE_IN_REVIEW)
    commit_all(git_kb, "An old, incomplete post-mortem")
    git(git_kb, "switch", "-q", "-c", "review")
    return git_kb


def test_only_the_changed_postmortems_are_reported(pr: Path) -> None:
    write(pr, "postmortems/2026/PM-2026-002-login-outage.md", BROKEN_DRAFT)
    commit_all(pr, "Add PM-2026-002")
    result = check_base(pr)
    assert result.exit_code == 1
    report = result.json()
    assert report["files"] == 1
    assert {f["path"] for f in report["findings"]} == {
        "postmortems/2026/PM-2026-002-login-outage.md"
    }
    assert {f["rule"] for f in report["findings"]} == {"PM101", "PM501"}
    whole = run_cli("-C", str(pr), "check", "--format", "json").json()
    assert any(f["path"].endswith("PM-2026-009-old.md") for f in whole["findings"])


def test_no_changed_postmortem_is_exit_0(pr: Path) -> None:
    write(pr, "postmortems/index.md", "# Incident library\n\nReworded.\n")
    commit_all(pr, "Reword the home page")
    result = check_base(pr)
    assert result.exit_code == 0
    assert result.json() == {"files": 0, "findings": []}
    assert check_base(pr, fmt="text").output.strip() == "No findings in 0 post-mortems."


def test_uncommitted_and_untracked_work_counts_as_changed(pr: Path) -> None:
    write(pr, "postmortems/2026/PM-2026-002-login-outage.md", BROKEN_DRAFT)
    assert check_base(pr).json()["files"] == 1


def test_duplicate_ids_are_sought_across_the_whole_knowledge_base(pr: Path) -> None:
    write(
        pr,
        "postmortems/2026/PM-2026-009-copy.md",
        INCOMPLETE_IN_REVIEW.replace("status: in-review", "status: draft"),
    )
    commit_all(pr, "Copy")
    findings = [f for f in check_base(pr).json()["findings"] if f["rule"] == "PM106"]
    assert [f["path"] for f in findings] == ["postmortems/2026/PM-2026-009-copy.md"]
    assert "PM-2026-009-old.md" in findings[0]["message"]


def test_only_the_merge_base_counts_not_later_work_on_base(pr: Path) -> None:
    git(pr, "switch", "-q", "main")
    write(
        pr,
        "postmortems/2026/PM-2026-003-on-main.md",
        BROKEN_DRAFT.replace("PM-2026-002", "PM-2026-003"),
    )
    commit_all(pr, "Later on main")
    git(pr, "switch", "-q", "review")
    assert check_base(pr).json()["files"] == 0  # three dots: main's own changes are not ours


def test_a_race_for_the_same_id_is_caught_by_the_pull_request_check(
    git_kb: Path, tmp_path: Path
) -> None:
    alice, bob = tmp_path / "alice", tmp_path / "bob"
    git(tmp_path, "clone", "-q", str(git_kb), str(alice))
    git(tmp_path, "clone", "-q", str(git_kb), str(bob))
    new_pm(alice, "--title", "Alpha")
    new_pm(bob, "--title", "Beta")  # neither has seen the other's branch: same id
    git(git_kb, "pull", "-q", "--ff-only", str(alice), "postmortem/PM-2026-001")
    git(bob, "fetch", "-q", "origin")
    git(bob, "merge", "-q", "--no-edit", "origin/main")  # what GitHub's merge ref holds
    result = check_base(bob, "origin/main")
    assert result.exit_code == 1
    findings = result.json()["findings"]
    assert [f["rule"] for f in findings] == ["PM106"]
    assert findings[0]["path"].endswith("PM-2026-001-beta.md")
    assert "PM-2026-001-alpha.md" in findings[0]["message"]


def test_detached_head_as_in_ci(pr: Path) -> None:
    write(pr, "postmortems/2026/PM-2026-002-login-outage.md", BROKEN_DRAFT)
    commit_all(pr, "Add PM-2026-002")
    git(pr, "checkout", "-q", "--detach")
    assert check_base(pr).json()["files"] == 1


def test_unknown_ref_is_a_usage_error_with_the_fix(pr: Path) -> None:
    result = check_base(pr, "origin/nope")
    assert result.exit_code == 2
    assert "--base origin/nope" in result.stderr and "fetch-depth: 0" in result.stderr
    assert "Traceback" not in result.stderr


def test_shallow_clone_says_fetch_depth_0(pr: Path, tmp_path: Path) -> None:
    write(pr, "postmortems/2026/PM-2026-002-login-outage.md", BROKEN_DRAFT)
    commit_all(pr, "Add PM-2026-002")
    url = f"file://{pr}"
    single = tmp_path / "single"
    git(tmp_path, "clone", "-q", "--depth", "1", "-b", "review", url, str(single))
    result = check_base(single, "origin/main")
    assert result.exit_code == 2
    assert "shallow clone" in result.stderr and "fetch-depth: 0" in result.stderr
    both = tmp_path / "both"
    git(
        tmp_path,
        "clone",
        "-q",
        "--depth",
        "1",
        "--no-single-branch",
        "-b",
        "review",
        url,
        str(both),
    )
    result = check_base(both, "origin/main")
    assert result.exit_code == 2
    assert "no merge base" in result.stderr and "fetch-depth: 0" in result.stderr
    git(both, "fetch", "-q", "--unshallow")
    assert check_base(both, "origin/main").json()["files"] == 1


def test_base_needs_git_and_no_paths(kb: Path, git_kb: Path) -> None:
    result = run_cli("-C", str(git_kb), "check", "--base", "main", "postmortems")
    assert result.exit_code == 2 and "not both" in result.stderr


def test_base_outside_git_is_a_usage_error(tmp_path: Path, git_home: Path) -> None:
    root = tmp_path / "plain"
    assert run_cli("init", str(root)).exit_code == 0
    result = run_cli("-C", str(root), "check", "--base", "main")
    assert result.exit_code == 2 and "git repository" in result.stderr


# --- the pull request's annotations and job summary, against golden files -----------------


def golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


@pytest.fixture
def golden_pr(pr: Path) -> Path:
    write(pr, "postmortems/2026/PM-2026-002-login-outage.md", BROKEN_DRAFT)
    new_pm(pr, "--no-git", "--title", "Phishing of the support mailbox", "--owner", "SecOps")
    commit_all(pr, "Two post-mortems")
    return pr


def test_github_annotations_match_golden(golden_pr: Path) -> None:
    result = check_base(golden_pr, fmt="github")
    assert result.exit_code == 1
    golden("review_github.txt", result.output)


def test_job_summary_matches_golden(golden_pr: Path) -> None:
    result = check_base(golden_pr, fmt="summary")
    assert result.exit_code == 1
    golden("review_summary.md", result.output)
    assert "<b>" not in result.output and "\\|" in result.output


def test_job_summary_when_nothing_changed(pr: Path) -> None:
    result = check_base(pr, fmt="summary")
    assert result.exit_code == 0
    assert "No post-mortem changed" in result.output


# --- archived means frozen ---------------------------------------------------------------

ARCHIVED = "postmortems/2026/PM-2026-001-archived.md"


@pytest.fixture
def archived(git_kb: Path) -> Path:
    write(git_kb, ARCHIVED, complete_postmortem_text("PM-2026-001", status="archived"))
    commit_all(git_kb, "Archived post-mortem")
    git(git_kb, "switch", "-q", "-c", "amend")
    return git_kb


def frozen(root: Path) -> list[dict[str, object]]:
    return [f for f in check_base(root).json()["findings"] if f["rule"] == "PM601"]


def test_editing_an_archived_postmortem_is_an_error(archived: Path) -> None:
    path = archived / ARCHIVED
    lines = path.read_text(encoding="utf-8").split("\n")
    summary = lines.index("## Summary") + 2
    lines[summary] = "A rewritten first sentence."
    path.write_text("\n".join(lines), encoding="utf-8")
    commit_all(archived, "Rewrite history")
    found = frozen(archived)
    assert [(f["path"], f["line"], f["severity"]) for f in found] == [
        (ARCHIVED, summary + 1, "error")
    ]
    assert "## Amendments" in str(found[0]["message"])
    assert check_base(archived).exit_code == 1


def test_a_dated_amendment_is_allowed(archived: Path) -> None:
    path = archived / ARCHIVED
    path.write_text(
        path.read_text(encoding="utf-8")
        + "\n## Amendments\n\n- 2026-07-01: corrected the detection time.\n",
        encoding="utf-8",
    )
    assert frozen(archived) == []
    assert run_cli("-C", str(archived), "check").exit_code == 0  # the section is welcome
    commit_all(archived, "First amendment")
    git(archived, "switch", "-q", "main")
    git(archived, "merge", "-q", "--ff-only", "amend")
    git(archived, "switch", "-q", "-c", "second")
    text = path.read_text(encoding="utf-8")
    path.write_text(text + "- 2026-08-02: linked the follow-up review.\n", encoding="utf-8")
    assert frozen(archived) == []
    path.write_text(text + "- and an undated remark\n", encoding="utf-8")
    assert len(frozen(archived)) == 1


def test_an_amendment_without_a_date_is_an_error(archived: Path) -> None:
    path = archived / ARCHIVED
    path.write_text(
        path.read_text(encoding="utf-8") + "\n## Amendments\n\nFixed a typo.\n", encoding="utf-8"
    )
    assert len(frozen(archived)) == 1


def test_deleting_an_archived_postmortem_is_an_error(archived: Path) -> None:
    git(archived, "rm", "-q", ARCHIVED)
    found = frozen(archived)
    assert [(f["path"], f["line"]) for f in found] == [(ARCHIVED, 1)]


def test_reopening_with_the_status_command_is_allowed_alone(archived: Path) -> None:
    result = run_cli("-C", str(archived), "status", "PM-2026-001", "draft")
    assert result.exit_code == 0, result.output + result.stderr
    assert frozen(archived) == []
    path = archived / ARCHIVED
    path.write_text(
        path.read_text(encoding="utf-8").replace("## Summary\n", "## Summary\n\nReopened.\n")
    )
    assert len(frozen(archived)) == 1


def test_changes_to_other_statuses_are_free(git_kb: Path) -> None:
    write(git_kb, ARCHIVED, complete_postmortem_text("PM-2026-001", status="published"))
    commit_all(git_kb, "Published post-mortem")
    git(git_kb, "switch", "-q", "-c", "edit")
    path = git_kb / ARCHIVED
    path.write_text(
        path.read_text(encoding="utf-8").replace("## Summary\n", "## Summary\n\nMore.\n")
    )
    assert frozen(git_kb) == []
    git(git_kb, "rm", "-q", "-f", ARCHIVED)
    assert frozen(git_kb) == []


def test_a_new_amendments_section_after_blank_lines_is_allowed(archived: Path) -> None:
    path = archived / ARCHIVED
    path.write_text(
        path.read_text(encoding="utf-8")
        + "\n\n\n## Amendments\n\n\n### 2026-07-01\n\nCorrected the time.\n\n",
        encoding="utf-8",
    )
    assert frozen(archived) == []


def test_hand_editing_archived_to_published_is_an_error(archived: Path) -> None:
    path = archived / ARCHIVED
    path.write_text(
        path.read_text(encoding="utf-8").replace("status: archived", "status: published")
    )
    assert len(frozen(archived)) == 1


def test_job_summary_lists_a_deleted_archived_postmortem(archived: Path) -> None:
    git(archived, "rm", "-q", ARCHIVED)
    result = check_base(archived, fmt="summary")
    assert result.exit_code == 1
    assert f"`{ARCHIVED}` | – | – | – | 1 | 0 |" in result.output


def test_job_summary_never_passes_html_through(pr: Path) -> None:
    write(
        pr,
        "postmortems/2026/PM-2026-002-x.md",
        BROKEN_DRAFT.replace(
            "Login API outage | token cache <b>expired</b>", "Odd ` <img src=x onerror=alert(1)>"
        ),
    )
    output = check_base(pr, fmt="summary").output
    assert "<img" not in output and "&lt;img src=x onerror=alert(1)&gt;" in output


def test_knowledge_base_in_a_subfolder(tmp_path: Path, git_home: Path) -> None:
    repo = tmp_path / "repo"
    root = repo / "security"
    assert run_cli("init", str(root)).exit_code == 0
    write(repo, "postmortems/2026/PM-2026-005-not-ours.md", BROKEN_DRAFT)  # outside the kb
    git(repo, "init", "-q", "-b", "main")
    commit_all(repo, "Initial")
    git(repo, "switch", "-q", "-c", "review")
    write(root, "postmortems/2026/PM-2026-002-login-outage.md", BROKEN_DRAFT)
    write(repo, "postmortems/2026/PM-2026-006-not-ours.md", BROKEN_DRAFT)
    commit_all(repo, "Changes inside and outside the knowledge base")
    report = check_base(root).json()
    assert report["files"] == 1
    assert {f["path"] for f in report["findings"]} == {
        "postmortems/2026/PM-2026-002-login-outage.md"
    }


@pytest.mark.parametrize("changed", ["template", "mkdocs.yml"])
def test_a_change_to_the_schema_checks_every_postmortem(pr: Path, changed: str) -> None:
    if changed == "template":
        template = pr / "postmortems" / "templates" / "security.md"
        template.write_text(
            template.read_text(encoding="utf-8")
            + "\n## 16. Report to the Board\n\n- [ ] Board informed\n"
        )
    else:
        config = pr / "mkdocs.yml"
        config.write_text(config.read_text(encoding="utf-8") + "\n# a comment\n")
    commit_all(pr, f"Change the {changed}")
    report = check_base(pr).json()
    assert report["files"] == 1  # the one post-mortem of main, unchanged by the branch
    assert any(f["path"].endswith("PM-2026-009-old.md") for f in report["findings"])
