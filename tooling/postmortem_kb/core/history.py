"""Git history of a knowledge base's files for the site: one `git log` for the whole tree."""

from __future__ import annotations

from .. import git as gitops
from .config import Config


def history(config: Config) -> dict[str, gitops.FileHistory]:
    """Per file (path relative to the root): first and last commit, authors, reviewers and
    approvers from `Reviewed-by:` / `Approved-by:` trailers. Empty outside git."""
    repository = gitops.open_repository(config.root)
    if repository is None:
        return {}
    return gitops.history(repository, config.docs_dir)
