"""`new` and `intake` under concurrency: one at a time per knowledge base, each branch holds
exactly its own file, and a locked git index stops the run with nothing left behind."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import run_cli
from gitrepo import commit_all, git, git_home, git_kb, new_pm, snapshot  # noqa: F401

POSTMORTEM = str(Path(sys.executable).parent / "postmortem")


def branch_files(root: Path, branch: str, start: str) -> list[str]:
    """Files that BRANCH changes relative to START."""
    return git(root, "diff", "--name-only", start, branch).splitlines()


def start_new(root: Path, title: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            POSTMORTEM,
            "new",
            "--type",
            "phishing",
            "--severity",
            "SEV2",
            "--occurred",
            "2026-03-14T09:12:00Z",
            "--title",
            title,
        ],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )


@pytest.mark.parametrize("runners", [2, 4])
def test_parallel_new_runs_each_get_their_own_branch_and_file(git_kb: Path, runners: int) -> None:
    start = git(git_kb, "rev-parse", "HEAD")
    processes = [start_new(git_kb, f"Parallel incident {n}") for n in range(runners)]
    outputs = [p.communicate(timeout=300) for p in processes]
    for process, (_out, err) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, err
        assert "Traceback" not in err
    paths = sorted(out.strip().splitlines()[-1] for out, _ in outputs)
    ids = [Path(p).name[:11] for p in paths]
    assert ids == [f"PM-2026-{n:03d}" for n in range(1, runners + 1)]
    for path, pm_id in zip(paths, ids, strict=True):
        assert branch_files(git_kb, f"postmortem/{pm_id}", start) == [path]
        assert (git_kb / path).is_file()  # every file kept in the working tree
    # nothing of another run is left staged
    assert git(git_kb, "diff", "--cached", "--name-only") == ""


def test_second_new_right_after_the_first_branches_from_the_same_base(git_kb: Path) -> None:
    start = git(git_kb, "rev-parse", "HEAD")
    first = new_pm(git_kb)
    second = new_pm(git_kb, "--title", "Another one")
    assert branch_files(git_kb, "postmortem/PM-2026-001", start) == [first]
    assert branch_files(git_kb, "postmortem/PM-2026-002", start) == [second]
    assert git(git_kb, "rev-parse", "HEAD~1") == start
    # the first file stays in the working tree, untracked on this branch, not staged
    status = git(git_kb, "status", "--porcelain", "--untracked-files=all")
    assert status == f"?? {first}"


def test_new_on_top_of_the_users_own_commit_keeps_it(git_kb: Path) -> None:
    first = new_pm(git_kb)
    (git_kb / first).write_text((git_kb / first).read_text() + "\nMore notes.\n")
    work = commit_all(git_kb, "Work on the first post-mortem")
    second = new_pm(git_kb, "--title", "Another one")
    assert git(git_kb, "rev-parse", "HEAD~1") == work
    assert branch_files(git_kb, "postmortem/PM-2026-002", work) == [second]


def test_stale_index_lock_is_a_clear_error_with_nothing_written(git_kb: Path) -> None:
    lock = git_kb / ".git" / "index.lock"
    lock.write_text("")
    before = snapshot_without_lock(git_kb)
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
    assert "index.lock" in result.stderr and "delete" in result.stderr
    assert "fatal:" not in result.stderr
    assert not list((git_kb / "postmortems").glob("2026/*.md"))
    assert git(git_kb, "branch", "--show-current") == "main"
    assert git(git_kb, "branch", "--list", "postmortem/*") == ""
    assert snapshot_without_lock(git_kb) == before
    lock.unlink()


def test_lock_taken_during_the_commit_undoes_everything(
    git_kb: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from postmortem_kb import git as gitops

    real = gitops.scaffold_base

    def foreign_git_starts(repository):  # type: ignore[no-untyped-def]
        (git_kb / ".git" / "index.lock").write_text("")  # another git command begins
        return real(repository)

    monkeypatch.setattr(gitops, "scaffold_base", foreign_git_starts)
    head = git(git_kb, "rev-parse", "HEAD")
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
    (git_kb / ".git" / "index.lock").unlink()
    assert result.exit_code in (1, 2) and "index.lock" in result.stderr
    assert "nothing was" in result.stderr
    assert not list((git_kb / "postmortems").glob("2026/*.md"))
    assert git(git_kb, "rev-parse", "HEAD") == head
    assert git(git_kb, "branch", "--show-current") == "main"
    assert git(git_kb, "branch", "--list", "postmortem/*") == ""
    assert git(git_kb, "status", "--porcelain", "--untracked-files=all") == ""


def test_parallel_intake_runs_take_turns(git_kb: Path) -> None:
    start = git(git_kb, "rev-parse", "HEAD")
    payloads = [
        json.dumps(
            {
                "type": "malware",
                "severity": "SEV3",
                "title": f"Intake {n}",
                "occurred_at": "2026-04-01T08:00:00Z",
            }
        )
        for n in range(3)
    ]
    processes = [
        subprocess.Popen(
            [POSTMORTEM, "intake", "--from", "json"],
            cwd=git_kb,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in payloads
    ]
    outputs = [
        p.communicate(payload, timeout=300) for p, payload in zip(processes, payloads, strict=True)
    ]
    paths = sorted(out.strip().splitlines()[-1] for out, _ in outputs)
    assert all(p.returncode == 0 for p in processes), [err for _, err in outputs]
    assert len(set(paths)) == 3
    for path in paths:
        assert branch_files(git_kb, f"postmortem/{Path(path).name[:11]}", start) == [path]


def snapshot_without_lock(root: Path) -> dict[str, str]:
    lock = root / ".git" / "index.lock"
    lock.rename(lock.with_suffix(".held"))
    try:
        return snapshot(root)
    finally:
        lock.with_suffix(".held").rename(lock)
