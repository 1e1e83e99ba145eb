"""The one place that talks to git (gitpython), behind a small interface.

Nothing else in the package imports gitpython. Paths going in and out are relative to the
knowledge base root (which may sit in a sub-folder of the repository), with forward slashes.
The scaffolding commit is built with plumbing on a temporary index, so the user's index,
working tree and untracked files are never touched: only HEAD moves to the new branch.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from .core.errors import PostmortemError, UsageError

SHALLOW_HINT = (
    "in GitHub Actions check out with `actions/checkout` and `fetch-depth: 0`; "
    "elsewhere run `git fetch --unshallow`"
)


@dataclass(frozen=True)
class Repository:
    """A git repository and where the knowledge base sits in it."""

    repo: Any  # git.Repo
    prefix: str  # the knowledge base root relative to the work tree: "" or "kb/"

    @property
    def git(self) -> Any:
        return self.repo.git

    def repo_path(self, kb_relative: str) -> str:
        return f"{self.prefix}{kb_relative}"

    def kb_path(self, repo_relative: str) -> str | None:
        if not repo_relative.startswith(self.prefix):
            return None
        return repo_relative[len(self.prefix) :]


@dataclass(frozen=True)
class Change:
    """A file changed since a base commit; `old_path` differs from `path` on a rename."""

    status: str  # A (added), M (modified), D (deleted), R (renamed)
    path: str
    old_path: str


@dataclass(frozen=True)
class FileHistory:
    """What git knows of one file: when it came and last changed, by whom, who reviewed."""

    first_commit: datetime
    first_author: str
    last_commit: datetime
    last_author: str
    commits: int
    authors: tuple[str, ...]
    reviewers: tuple[str, ...]  # from `Reviewed-by:` trailers
    approvers: tuple[str, ...]  # from `Approved-by:` trailers


def _gitpython() -> Any:
    os.environ.setdefault("GIT_PYTHON_REFRESH", "quiet")  # no git binary: `_run` says so
    import git

    return git


def open_repository(root: Path) -> Repository | None:
    """The git repository holding ROOT, or None when it is not under git."""
    try:
        gitpython = _gitpython()
        repo = gitpython.Repo(root, search_parent_directories=True)
    except Exception:  # not a repository, no git binary, unreadable .git: all mean "no git"
        return None
    if repo.bare or repo.working_tree_dir is None:
        return None
    top = Path(repo.working_tree_dir).resolve()
    try:
        rel = root.resolve().relative_to(top).as_posix()
    except ValueError:
        return None
    return Repository(repo, "" if rel == "." else f"{rel}/")


def _run(
    repository: Repository, *args: str, env: dict[str, str] | None = None, strip: bool = True
) -> str:
    """One git command; its failure becomes a PostmortemError with git's own words."""
    gitpython = _gitpython()
    try:
        program = repository.git.GIT_PYTHON_GIT_EXECUTABLE or "git"  # gitpython's choice
        out: str = repository.git.execute([program, *args], env=env, strip_newline_in_stdout=strip)
        return out
    except gitpython.GitCommandNotFound:
        raise GitMissing(
            "git is not installed (or not on PATH): install it, or pass --no-git"
        ) from None
    except gitpython.GitCommandError as exc:
        detail = (exc.stderr or "").strip().removeprefix("stderr:").strip(" '\n")
        raise PostmortemError(f"git {args[0]} failed: {detail or exc}") from None


class GitMissing(PostmortemError):
    """The repository is there but the git program is not."""


def _ok(repository: Repository, *args: str) -> bool:
    try:
        _run(repository, *args)
        return True
    except GitMissing:
        raise
    except PostmortemError:
        return False


def _config_value(repository: Repository, section: str, option: str) -> str | None:
    try:
        value = repository.repo.config_reader().get_value(section, option, "")
    except Exception:  # an unreadable or malformed git config: as if unset
        return None
    return str(value).strip() or None


def user_name(repository: Repository) -> str | None:
    """git's configured user.name, or None."""
    return _config_value(repository, "user", "name")


def user_email(repository: Repository) -> str | None:
    """git's configured user.email (for `evidence add`), or None."""
    return _config_value(repository, "user", "email")


def has_commit(repository: Repository) -> bool:
    return _ok(repository, "rev-parse", "--verify", "--quiet", "HEAD^{commit}")


# --- ids across branches ---------------------------------------------------------------


def postmortem_names(repository: Repository, docs_dir: str) -> list[str]:
    """File names under DOCS_DIR on every local and remote-tracking branch."""
    if not has_commit(repository):
        return []
    refs = _run(repository, "for-each-ref", "--format=%(objectname)", "refs/heads", "refs/remotes")
    commits = sorted(set(refs.split()))
    folder = repository.repo_path(docs_dir.strip("/") + "/")
    names: set[str] = set()
    for commit in commits:
        listing = _run(repository, "ls-tree", "-r", "-z", "--name-only", commit, "--", folder)
        names.update(p.rsplit("/", 1)[-1] for p in listing.split("\0") if p.endswith(".md"))
    return sorted(names)


# --- a new post-mortem on its own branch ------------------------------------------------

_BUSY = {
    "MERGE_HEAD": "a merge",
    "CHERRY_PICK_HEAD": "a cherry-pick",
    "REVERT_HEAD": "a revert",
    "rebase-merge": "a rebase",
    "rebase-apply": "a rebase",
    "BISECT_LOG": "a bisect",
}


SCAFFOLD_TRAILER = "Postmortem-Scaffold"


def index_lock_problem(repository: Repository) -> str | None:
    """Why git's index cannot be written now (another git command holds its lock), or None."""
    lock = Path(repository.repo.git_dir) / "index.lock"
    if not lock.exists():
        return None
    return (
        f"git's index is locked ({lock} exists): another git command is running in this "
        "repository, or one stopped without cleaning up. Wait for it to finish; if no git "
        f"command is running, delete {lock} and run this again (nothing was written)"
    )


def prepare_branch(repository: Repository, branch: str) -> None:
    """Refuse, before anything is written, when the branch cannot be made here."""
    top = repository.repo.working_tree_dir
    if not has_commit(repository):
        raise UsageError(
            f"the git repository at {top} has no commit yet: make a first commit "
            "(the branch postmortem/<ID> starts from it), or pass --no-git"
        )
    if not _ok(repository, "check-ref-format", f"refs/heads/{branch}"):
        raise UsageError(f"{branch!r} is not a valid git branch name")
    if _ok(repository, "rev-parse", "--verify", "--quiet", f"refs/heads/{branch}"):
        raise UsageError(
            f"the branch {branch} already exists: another post-mortem uses this "
            "id; pass another --id, or delete the branch if it is left over"
        )
    git_dir = Path(repository.repo.git_dir)
    for marker, what in _BUSY.items():
        if (git_dir / marker).exists():
            raise UsageError(
                f"git is in the middle of {what} in {top}: finish or abort it "
                "first, or pass --no-git"
            )
    problem = index_lock_problem(repository)
    if problem:
        raise UsageError(problem)
    if not _ok(repository, "var", "GIT_AUTHOR_IDENT"):
        raise UsageError(
            "git does not know who you are: run `git config user.name "
            '"Your Name"` and `git config user.email you@example.com`, '
            "or pass --no-git"
        )


def scaffold_base(repository: Repository) -> tuple[str, list[str]]:
    """The commit a new post-mortem's branch starts from, and the scaffold commits skipped.

    HEAD, unless HEAD is itself a fresh scaffold (a commit of `postmortem new` with nothing
    on top): then its parent, so that a second `new` run right after the first (or while it
    ran) gives a branch with only its own file, not the first one's as well.
    """
    head = _run(repository, "rev-parse", "--verify", "HEAD^{commit}")
    skipped: list[str] = []
    base = head
    for _ in range(1000):
        info = _run(
            repository,
            "log",
            "-1",
            f"--format=%P%x1f%(trailers:key={SCAFFOLD_TRAILER},valueonly,separator=%x20)",
            base,
        )
        parents, _, trailer = info.partition("\x1f")
        if not trailer.strip() or len(parents.split()) != 1:
            break
        skipped.append(base)
        base = parents.strip()
    return base, skipped


def commit_new_postmortem(
    repository: Repository, path: Path, branch: str, message: str, pm_id: str = ""
) -> str:
    """Commit PATH alone on a new BRANCH and make it the current branch.

    The commit is built on a temporary index; the user's index only learns of the new file
    (so it is not shown as deleted), and their staged, unstaged and untracked changes stay
    exactly as they were. When the branch starts below HEAD (see `scaffold_base`), the
    files of the skipped scaffold commits leave the index again (they stay in the working
    tree, untracked here, committed on their own branches). Should any step fail, what was
    done is undone and the error says why. Returns the branch name.
    """
    top = Path(repository.repo.working_tree_dir).resolve()
    rel = path.resolve().relative_to(top).as_posix()
    base, skipped = scaffold_base(repository)
    blob = _run(repository, "hash-object", "-w", "--", rel)
    mode = "100755" if os.access(path, os.X_OK) else "100644"
    fd, index = tempfile.mkstemp(prefix="postmortem-index-", dir=repository.repo.git_dir)
    os.close(fd)
    os.unlink(index)  # git wants to create it itself
    try:
        env = {"GIT_INDEX_FILE": index}
        _run(repository, "read-tree", base, env=env)
        _run(repository, "update-index", "--add", "--cacheinfo", f"{mode},{blob},{rel}", env=env)
        tree = _run(repository, "write-tree", env=env)
    finally:
        if os.path.exists(index):
            os.unlink(index)
    trailer = f"\n\n{SCAFFOLD_TRAILER}: {pm_id}" if pm_id else ""
    commit = _run(repository, "commit-tree", tree, "-p", base, "-m", message + trailer)
    leaving = _scaffolded_entries(repository, skipped, rel)
    undo: list[tuple[str, ...]] = []
    try:
        problem = index_lock_problem(repository)
        if problem:
            raise UsageError(problem)
        # The user's index first: should a later step fail, it is put back.
        _run(repository, "update-index", "--add", "--cacheinfo", f"{mode},{blob},{rel}")
        undo.append(("update-index", "--force-remove", "--", rel))
        if leaving:
            _run(repository, "update-index", "--force-remove", "--", *leaving)
            back = [
                arg
                for entry in _index_entries(repository, skipped, leaving)
                for arg in ("--cacheinfo", entry)
            ]
            undo.append(("update-index", "--add", *back))
        _run(
            repository,
            "update-ref",
            "-m",
            f"branch: Created from {base[:12]}",
            f"refs/heads/{branch}",
            commit,
            "0" * 40,
        )
        undo.append(("update-ref", "-d", f"refs/heads/{branch}", commit))
        _run(
            repository,
            "symbolic-ref",
            "-m",
            f"postmortem new: moving to {branch}",
            "HEAD",
            f"refs/heads/{branch}",
        )
    except PostmortemError as exc:
        for step in reversed(undo):
            with contextlib.suppress(PostmortemError):
                _run(repository, *step)
        raise PostmortemError(
            f"the commit on {branch} could not be made, so nothing was kept: {exc.message}"
        ) from None
    return branch


def _scaffolded_entries(repository: Repository, skipped: list[str], rel: str) -> list[str]:
    """Paths the skipped scaffold commits added that the user's index still holds unchanged."""
    if not skipped:
        return []
    leaving = []
    for commit in skipped:
        added = _run(
            repository,
            "diff-tree",
            "--no-commit-id",
            "-r",
            "-z",
            "--name-only",
            "--diff-filter=A",
            commit,
            strip=False,
        )
        for name in filter(None, added.split("\0")):
            if name == rel:
                continue
            staged = _run(repository, "ls-files", "-s", "--", name).split()
            committed = _run(repository, "rev-parse", f"{commit}:{name}")
            if len(staged) >= 2 and staged[1] == committed:
                leaving.append(name)
    return leaving


def _index_entries(repository: Repository, skipped: list[str], leaving: list[str]) -> list[str]:
    """`--cacheinfo` arguments that put LEAVING back into the index as the scaffolds had
    them (to undo their removal)."""
    entries = []
    for name in leaving:
        for commit in skipped:
            listing = _run(repository, "ls-tree", commit, "--", name)
            if listing:
                mode, _kind, rest = listing.split(" ", 2)
                entries.append(f"{mode},{rest.split()[0]},{name}")
                break
    return entries


# --- what a pull request changes ----------------------------------------------------------


def merge_base(repository: Repository, ref: str) -> str:
    """The merge base of REF and HEAD, with the fix in the message when there is none."""
    if not has_commit(repository):
        raise UsageError("the repository has no commit yet: nothing to compare with --base")
    shallow = _run(repository, "rev-parse", "--is-shallow-repository") == "true"
    if ref.startswith("-") or not _ok(
        repository, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"
    ):
        hint = (
            f"; this is a shallow clone: {SHALLOW_HINT}"
            if shallow
            else (
                f": fetch it first (e.g. `git fetch origin {ref.split('/')[-1]}`), or "
                f"{SHALLOW_HINT}"
            )
        )
        raise UsageError(f"--base {ref}: no such branch, tag or commit in this repository{hint}")
    try:
        return _run(repository, "merge-base", ref, "HEAD")
    except PostmortemError:
        why = (
            f"this is a shallow clone, so the history is cut: {SHALLOW_HINT}"
            if shallow
            else "the two have no history in common"
        )
        raise UsageError(f"--base {ref}: no merge base between {ref} and HEAD; {why}") from None


def changed_files(repository: Repository, since: str, *paths: str) -> list[Change]:
    """Files under PATHS (folders end with `/`) changed from commit SINCE to the working tree
    (committed, staged, unstaged and untracked alike), renames followed."""
    specs = [repository.repo_path(path) for path in paths]
    raw = _run(
        repository,
        "-c",
        "core.quotepath=off",
        "diff",
        "--name-status",
        "-z",
        "--find-renames",
        since,
        "--",
        *specs,
        strip=False,
    )
    fields = raw.split("\0")
    changes: list[Change] = []
    i = 0
    while i < len(fields) and fields[i]:
        status = fields[i][0]
        if status in "RC":
            old, new = fields[i + 1], fields[i + 2]
            i += 3
        else:
            old = new = fields[i + 1]
            i += 2
        kb_new, kb_old = repository.kb_path(new), repository.kb_path(old)
        if kb_new is not None and kb_old is not None:
            changes.append(
                Change("R" if status == "R" else ("A" if status == "C" else status), kb_new, kb_old)
            )
    untracked = _run(
        repository, "ls-files", "-z", "--others", "--exclude-standard", "--", *specs, strip=False
    )
    for name in untracked.split("\0"):
        kb_name = repository.kb_path(name) if name else None
        if kb_name is not None:
            changes.append(Change("A", kb_name, kb_name))
    return changes


def text_at(repository: Repository, commit: str, kb_relative: str) -> str | None:
    """A file's text at COMMIT, or None when it did not exist there."""
    try:
        blob = repository.repo.commit(commit).tree / repository.repo_path(kb_relative)
    except (KeyError, ValueError):
        return None
    data: bytes = blob.data_stream.read()
    return data.decode("utf-8", errors="replace")


# --- history for the site -----------------------------------------------------------------

_RECORD, _FIELD, _TRAILER = "\x1e", "\x1f", "\x1d"
_REVIEW_KEYS = {"reviewed-by": "reviewers", "approved-by": "approvers"}


def _person(value: str) -> str:
    """`Jane Doe <jane@example.com>` -> `Jane Doe`: no e-mail addresses on a site."""
    name = value.split("<", 1)[0].strip()
    return name or value.strip()


def _oldest_first(per_commit: list[list[str]]) -> tuple[str, ...]:
    """Names from commits listed newest first, oldest commit first, each name once."""
    return tuple(dict.fromkeys(name for names in reversed(per_commit) for name in names))


def history(repository: Repository, folder: str) -> dict[str, FileHistory]:
    """Git history of every file under FOLDER, from a single `git log` over the repository.

    Keys are paths relative to the knowledge base root. Merge commits bring the trailers
    written on them (e.g. by a merge queue) to the files they merge; authorship comes from
    ordinary commits. People are listed oldest first. In a shallow clone the history is
    what was fetched.
    """
    if not has_commit(repository):
        return {}
    spec = repository.repo_path(folder.strip("/") + "/")
    fmt = (
        f"{_RECORD}%H{_FIELD}%P{_FIELD}%an{_FIELD}%aI{_FIELD}"
        f"%(trailers:key=Reviewed-by,key=Approved-by,separator=%x1d){_FIELD}"
    )
    raw = _run(
        repository,
        "-c",
        "core.quotepath=off",
        "log",
        f"--format={fmt}",
        "--name-only",
        "--diff-merges=first-parent",
        "--no-renames",
        "HEAD",
        "--",
        spec,
        strip=False,
    )
    collected: dict[str, dict[str, Any]] = {}
    for seq, record in enumerate(raw.split(_RECORD)[1:]):
        parts = record.split(_FIELD)
        if len(parts) < 6:
            continue
        _sha, parents, author, when, trailers, names = parts[:6]
        moment = datetime.fromisoformat(when.strip().replace("Z", "+00:00"))
        is_merge = len(parents.split()) > 1
        people: dict[str, list[str]] = {"reviewers": [], "approvers": []}
        for trailer in trailers.split(_TRAILER):
            key, _, value = trailer.partition(":")
            target = _REVIEW_KEYS.get(key.strip().lower())
            if target and value.strip():
                people[target].append(_person(value))
        for name in names.strip("\n").split("\n"):
            kb_name = repository.kb_path(name.strip()) if name.strip() else None
            if kb_name is None:
                continue
            entry = collected.setdefault(
                kb_name, {"dates": [], "authors": [], "reviewers": [], "approvers": []}
            )
            if not is_merge:
                entry["dates"].append((moment, -seq, author))
                entry["authors"].append(author)
            entry["reviewers"].append(people["reviewers"])
            entry["approvers"].append(people["approvers"])
    result = {}
    for name, entry in collected.items():
        if not entry["dates"]:
            continue
        # git log runs newest first: on equal times the later record is the older commit
        first = min(entry["dates"], key=lambda d: (d[0], d[1]))
        last = max(entry["dates"], key=lambda d: (d[0], d[1]))
        result[name] = FileHistory(
            first[0],
            first[2],
            last[0],
            last[2],
            len(entry["dates"]),
            tuple(dict.fromkeys(reversed(entry["authors"]))),
            _oldest_first(entry["reviewers"]),
            _oldest_first(entry["approvers"]),
        )
    return result
