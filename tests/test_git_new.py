"""`postmortem new` in git: its own branch, one commit, and nothing else of the user's touched."""

from __future__ import annotations

from pathlib import Path

from conftest import run_cli
from gitrepo import commit_all, git, git_home, git_kb, new_pm, snapshot  # noqa: F401


def test_new_commits_on_its_own_branch_and_keeps_every_other_change(git_kb: Path) -> None:
    root = git_kb
    (root / "postmortems" / "index.md").write_text("unstaged edit\n", encoding="utf-8")
    (root / "staged.txt").write_text("staged\n", encoding="utf-8")
    git(root, "add", "staged.txt")
    (root / "mkdocs.yml").write_text((root / "mkdocs.yml").read_text() + "# staged\n")
    git(root, "add", "mkdocs.yml")
    (root / "mkdocs.yml").write_text((root / "mkdocs.yml").read_text() + "# and unstaged\n")
    (root / "notes" / "draft.txt").parent.mkdir()
    (root / "notes" / "draft.txt").write_text("untracked\n", encoding="utf-8")
    before = snapshot(root)
    start = git(root, "rev-parse", "HEAD")

    path = new_pm(root)

    assert path == "postmortems/2026/PM-2026-001-post-mortem-phishing-2026-q1.md"
    assert git(root, "branch", "--show-current") == "postmortem/PM-2026-001"
    assert git(root, "rev-list", f"{start}..HEAD") == git(root, "rev-parse", "HEAD")
    assert git(root, "rev-parse", "HEAD~1") == start
    assert git(root, "show", "--format=", "--name-only", "HEAD") == path
    assert git(root, "log", "-1", "--format=%an <%ae>") == "Ada Responder <ada@example.com>"
    assert git(root, "log", "-1", "--format=%s").startswith("Add post-mortem PM-2026-001")
    assert snapshot(root) == before  # staged, unstaged and untracked all as they were
    assert git(root, "show", f"HEAD:{path}") == (root / path).read_text().rstrip("\n")
    assert git(root, "branch", "--list", "main", "--format=%(objectname)") == start


def test_no_git_only_writes_the_file(git_kb: Path) -> None:
    path = new_pm(git_kb, "--no-git")
    assert git(git_kb, "branch", "--show-current") == "main"
    assert git(git_kb, "status", "--porcelain", "--untracked-files=all") == f"?? {path}"
    assert git(git_kb, "branch", "--list", "postmortem/*") == ""


def test_second_incident_from_main_gets_another_id(git_kb: Path) -> None:
    first = new_pm(git_kb)
    git(git_kb, "switch", "-q", "main")
    assert not (git_kb / first).exists()  # it lives on its branch only
    second = new_pm(git_kb)
    assert "PM-2026-002" in second
    assert git(git_kb, "branch", "--show-current") == "postmortem/PM-2026-002"


def test_ids_count_remote_tracking_branches(git_kb: Path, tmp_path: Path) -> None:
    new_pm(git_kb)  # PM-2026-001 exists only on a branch of the origin
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "-b", "main", str(git_kb), str(clone))
    assert git(clone, "branch", "--list") == "* main"
    assert "PM-2026-002" in new_pm(clone)


def test_id_given_that_another_branch_uses_is_refused(git_kb: Path) -> None:
    new_pm(git_kb)
    git(git_kb, "switch", "-q", "main")
    result = run_cli(
        "-C",
        str(git_kb),
        "new",
        "--type",
        "phishing",
        "--severity",
        "SEV2",
        "--occurred",
        "2026-03-14T09:12:00Z",
        "--id",
        "PM-2026-001",
    )
    assert result.exit_code == 2
    assert "PM-2026-001" in result.stderr and "another branch" in result.stderr


def test_existing_branch_stops_before_writing(git_kb: Path) -> None:
    git(git_kb, "branch", "postmortem/PM-2026-001")
    before = snapshot(git_kb)
    result = run_cli(
        "-C",
        str(git_kb),
        "new",
        "--type",
        "phishing",
        "--severity",
        "SEV2",
        "--occurred",
        "2026-03-14T09:12:00Z",
    )
    assert result.exit_code == 2
    assert "branch postmortem/PM-2026-001 already exists" in result.stderr
    assert snapshot(git_kb) == before
    assert not (git_kb / "postmortems" / "2026").exists()


def test_repository_without_a_commit_stops_before_writing(kb: Path, git_home: Path) -> None:
    git(kb, "init", "-q", "-b", "main")
    result = run_cli("-C", str(kb), "new", "--type", "phishing", "--severity", "SEV2")
    assert result.exit_code == 2
    assert "no commit yet" in result.stderr and "--no-git" in result.stderr
    assert not (kb / "postmortems" / "2026").exists()
    assert "Traceback" not in result.stderr


def test_detached_head_branches_from_the_current_commit(git_kb: Path) -> None:
    (git_kb / "postmortems" / "index.md").write_text("second\n", encoding="utf-8")
    second = commit_all(git_kb, "Second")
    git(git_kb, "checkout", "-q", "--detach", "HEAD~1")
    start = git(git_kb, "rev-parse", "HEAD")
    new_pm(git_kb)
    assert git(git_kb, "branch", "--show-current") == "postmortem/PM-2026-001"
    assert git(git_kb, "rev-parse", "HEAD~1") == start != second


def test_knowledge_base_in_a_subfolder_of_the_repository(tmp_path: Path, git_home: Path) -> None:
    repo = tmp_path / "repo"
    assert run_cli("init", str(repo / "security" / "kb")).exit_code == 0
    git(repo, "init", "-q", "-b", "main")
    commit_all(repo, "Initial")
    path = new_pm(repo / "security" / "kb")
    assert git(repo, "show", "--format=", "--name-only", "HEAD") == f"security/kb/{path}"
    git(repo, "switch", "-q", "main")
    assert "PM-2026-002" in new_pm(repo / "security" / "kb")


def test_unknown_identity_is_a_clear_error(git_kb: Path, git_home: Path) -> None:
    (git_home / ".gitconfig").write_text("[user]\n\tuseConfigOnly = true\n", encoding="utf-8")
    result = run_cli("-C", str(git_kb), "new", "--type", "phishing", "--severity", "SEV2")
    assert result.exit_code == 2
    assert "git config user.name" in result.stderr
    assert not (git_kb / "postmortems" / "2026").exists()


def test_outside_git_new_just_writes(kb: Path, git_home: Path) -> None:
    path = new_pm(kb)
    assert (kb / path).is_file()


def test_no_git_binary_is_a_clear_error(git_kb: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import git as gitpython

    monkeypatch.setattr(gitpython.Git, "GIT_PYTHON_GIT_EXECUTABLE", "/nonexistent/git")
    result = run_cli("-C", str(git_kb), "new", "--type", "phishing", "--severity", "SEV2")
    assert result.exit_code in (1, 2)
    assert "git is not installed" in result.stderr and "Traceback" not in result.stderr


def test_the_configured_prefix_names_ids_and_branches(git_kb: Path) -> None:
    config = git_kb / "mkdocs.yml"
    config.write_text(config.read_text(encoding="utf-8").replace("id_prefix: PM", "id_prefix: SEC"))
    commit_all(git_kb, "Our own prefix")
    git(git_kb, "branch", "elsewhere")
    path = new_pm(git_kb)
    assert path.startswith("postmortems/2026/SEC-2026-001-")
    assert git(git_kb, "branch", "--show-current") == "postmortem/SEC-2026-001"
    git(git_kb, "switch", "-q", "main")
    assert new_pm(git_kb).startswith("postmortems/2026/SEC-2026-002-")
