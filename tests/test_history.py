"""Git history for the site: first and last commit, authors, reviewers from trailers."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

from conftest import run_cli
from gitrepo import commit_all, git, git_home, git_kb  # noqa: F401
from postmortem_kb import git as gitops


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_history_of_each_postmortem_from_one_log(tmp_path: Path, git_home: Path) -> None:
    repo = tmp_path / "repo"
    root = repo / "kb"
    assert run_cli("init", str(root)).exit_code == 0
    git(repo, "init", "-q", "-b", "main")
    commit_all(repo, "Initial", date="2026-01-01T09:00:00Z")
    first = root / "postmortems" / "2026" / "PM-2026-001-a.md"
    first.parent.mkdir(parents=True)
    first.write_text("one\n", encoding="utf-8")
    commit_all(
        repo,
        "Add PM-2026-001",
        date="2026-02-01T10:00:00Z",
        author="Grace Writer <grace@example.com>",
    )
    git(repo, "switch", "-q", "-c", "review")
    first.write_text("one\ntwo\n", encoding="utf-8")
    (first.parent / "PM-2026-002-b.md").write_text("b\n", encoding="utf-8")
    commit_all(
        repo,
        "Complete PM-2026-001\n\nReviewed-by: Lin Reviewer <lin@example.com>\n"
        "Approved-by: Head of Security <head@example.com>",
        date="2026-02-03T12:00:00Z",
        author="Ada Responder <ada@example.com>",
    )
    git(repo, "switch", "-q", "main")
    git(
        repo,
        "merge",
        "-q",
        "--no-ff",
        "review",
        "-m",
        "Merge review\n\nReviewed-by: Sam Second <sam@example.com>",
        env={
            "GIT_AUTHOR_DATE": "2026-02-04T08:00:00Z",
            "GIT_COMMITTER_DATE": "2026-02-04T08:00:00Z",
        },
    )

    repository = gitops.open_repository(root)
    assert repository is not None and repository.prefix == "kb/"
    found = gitops.history(repository, "postmortems")

    one = found["postmortems/2026/PM-2026-001-a.md"]
    assert (one.first_commit, one.first_author) == (at("2026-02-01T10:00:00Z"), "Grace Writer")
    assert (one.last_commit, one.last_author) == (at("2026-02-03T12:00:00Z"), "Ada Responder")
    assert one.commits == 2
    assert one.authors == ("Grace Writer", "Ada Responder")
    assert one.reviewers == ("Lin Reviewer", "Sam Second")  # no e-mail addresses
    assert one.approvers == ("Head of Security",)
    two = found["postmortems/2026/PM-2026-002-b.md"]
    assert two.commits == 1 and two.first_commit.tzinfo is not None
    assert "postmortems/index.md" in found
    assert not any(name.startswith("kb/") for name in found)


def test_history_is_empty_outside_git_and_without_commits(kb: Path, git_home: Path) -> None:
    assert gitops.open_repository(kb) is None
    git(kb, "init", "-q", "-b", "main")
    repository = gitops.open_repository(kb)
    assert repository is not None
    assert gitops.history(repository, "postmortems") == {}


def test_history_of_a_large_repository_is_one_pass(tmp_path: Path, git_home: Path) -> None:
    root = tmp_path / "kb"
    assert run_cli("init", str(root)).exit_code == 0
    git(root, "init", "-q", "-b", "main")
    folder = root / "postmortems" / "2026"
    folder.mkdir(parents=True)
    for batch in range(10):
        for n in range(50):
            number = batch * 50 + n + 1
            (folder / f"PM-2026-{number:03d}-x.md").write_text(f"{number}\n", encoding="utf-8")
        commit_all(
            root, f"Batch {batch}", date=datetime(2026, 1, batch + 1, tzinfo=UTC).isoformat()
        )
    repository = gitops.open_repository(root)
    assert repository is not None
    started = time.perf_counter()
    found = gitops.history(repository, "postmortems")
    elapsed = time.perf_counter() - started
    assert len([p for p in found if p.startswith("postmortems/2026/")]) == 500
    assert found["postmortems/2026/PM-2026-500-x.md"].first_commit.day == 10
    assert elapsed < 5, f"history of 500 files took {elapsed:.1f} s"


def test_core_history_is_what_the_site_reads(git_kb: Path) -> None:
    from postmortem_kb.core.config import load_config
    from postmortem_kb.core.history import history

    found = history(load_config(git_kb))
    assert found["postmortems/index.md"].first_author == "Ada Responder"
    assert history(load_config(git_kb)) == found
