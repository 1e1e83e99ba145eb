"""The one place that talks to git (gitpython), behind a small interface."""

from __future__ import annotations

from pathlib import Path
from typing import Any

Repository = Any


def open_repository(root: Path) -> Repository | None:
    """The git repository holding ROOT, or None when it is not under git."""
    return None


def user_name(repo: Repository) -> str | None:
    return None


def postmortem_names(repo: Repository, docs_dir: str) -> list[str]:
    return []


def prepare_branch(repo: Repository, branch: str) -> None:
    return None


def commit_new_postmortem(repo: Repository, path: Path, branch: str, message: str) -> str:
    return branch
