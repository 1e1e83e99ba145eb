"""Real git repositories for the review-workflow tests: an isolated identity and config."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from conftest import run_cli


def git(cwd: Path, *args: str, env: dict[str, str] | None = None) -> str:
    import os

    result = subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, env={**os.environ, **(env or {})}
    )
    assert result.returncode == 0, f"git {' '.join(args)}: {result.stderr}"
    return result.stdout.strip()


def commit_all(
    cwd: Path,
    message: str,
    date: str = "2026-01-05T10:00:00Z",
    author: str = "Ada Responder <ada@example.com>",
) -> str:
    git(cwd, "add", "-A")
    name, email = author.rsplit(" <", 1)
    env = {
        "GIT_AUTHOR_DATE": date,
        "GIT_COMMITTER_DATE": date,
        "GIT_AUTHOR_NAME": name,
        "GIT_AUTHOR_EMAIL": email.rstrip(">"),
    }
    git(cwd, "commit", "-q", "-m", message, env=env)
    return git(cwd, "rev-parse", "HEAD")


def snapshot(cwd: Path) -> dict[str, str]:
    """What a user would not want to lose: status, staged and unstaged diffs."""
    return {
        "status": git(cwd, "status", "--porcelain", "--untracked-files=all"),
        "staged": git(cwd, "diff", "--cached"),
        "unstaged": git(cwd, "diff"),
    }


@pytest.fixture
def git_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A HOME with its own git identity, so no test reads or writes the real one."""
    home = tmp_path / "home"
    home.mkdir()
    (home / ".gitconfig").write_text(
        "[user]\n\tname = Ada Responder\n\temail = ada@example.com\n"
        "[init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for name in (
        "GIT_AUTHOR_NAME",
        "GIT_AUTHOR_EMAIL",
        "GIT_COMMITTER_NAME",
        "GIT_COMMITTER_EMAIL",
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
    ):
        monkeypatch.delenv(name, raising=False)
    return home


@pytest.fixture
def git_kb(kb: Path, git_home: Path) -> Path:
    """The fresh knowledge base of `kb`, committed on `main` of its own repository."""
    git(kb, "init", "-q", "-b", "main")
    commit_all(kb, "Initial knowledge base")
    return kb


def new_pm(root: Path, *args: str) -> str:
    """`postmortem new` without a terminal; returns the printed path."""
    result = run_cli(
        "-C",
        str(root),
        "new",
        "--type",
        "phishing",
        "--severity",
        "SEV2",
        "--occurred",
        "2026-03-14T09:12:00Z",
        *args,
    )
    assert result.exit_code == 0, result.output + result.stderr
    return result.output.strip().splitlines()[-1]
