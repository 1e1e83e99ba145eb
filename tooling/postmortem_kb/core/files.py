"""Writing files without ever losing data: atomic, and never over an existing file."""

from __future__ import annotations

import os
import stat
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import UsageError


def _default_mode() -> int:
    """What `open()` would give a new file: 0o666 less the umask (mkstemp gives 0o600)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def write_new(path: Path, text: str, make_folders: bool = True) -> None:
    """Create `path` with `text` atomically; refuse when it exists (even in a race).

    `make_folders`: create missing parent folders (for the knowledge base's own year
    folders); otherwise a missing folder is an error (a typo in `-o` must not create one).
    """
    if make_folders:
        path.parent.mkdir(parents=True, exist_ok=True)
    elif not path.parent.is_dir():
        raise UsageError(
            f"the folder {path.parent} does not exist: create it first, or write somewhere else",
            path=str(path),
        )
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.chmod(tmp, _default_mode())
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(tmp, path)  # fails if `path` exists: no overwrite, ever
        except FileExistsError:
            raise UsageError("already exists: not overwritten", path=str(path)) from None
    finally:
        os.unlink(tmp)


def replace_atomically(path: Path, text: str) -> None:
    """Replace an existing file's content in one step (readers see old or new, never half).

    A symlink stays a symlink: its target is written. The file's permission bits are kept.
    A read-only file is never written, and a file with other hard links is refused: a
    replacement would leave the other names holding the old text. The error says why.
    """
    target = Path(os.path.realpath(path))
    info = os.stat(target)
    if not stat.S_ISREG(info.st_mode):
        raise UsageError("not a regular file: not changed", path=str(path))
    if not info.st_mode & 0o222 or not os.access(target, os.W_OK):
        raise UsageError(
            "the file is read-only: not changed (make it writable first, "
            "e.g. `chmod u+w`, if the change is meant)",
            path=str(path),
        )
    if info.st_nlink > 1:
        raise UsageError(
            f"the file has {info.st_nlink} hard links: not changed, because "
            "replacing it would leave the other names with the old text; "
            "replace the links by one file or a symlink first",
            path=str(path),
        )
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, stat.S_IMODE(info.st_mode))
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def state_folder() -> Path:
    """This user's own state for postmortem-kb on this machine, never in a repository
    ($XDG_STATE_HOME/postmortem-kb, by default ~/.local/state/postmortem-kb)."""
    state = os.environ.get("XDG_STATE_HOME") or os.path.join(
        os.path.expanduser("~"), ".local", "state"
    )
    return Path(state) / "postmortem-kb"


LOCK_WAIT = 60.0  # seconds a second `new` waits for the first to finish


@contextmanager
def knowledge_base_lock(root: Path, wait: float = LOCK_WAIT) -> Iterator[None]:
    """Hold an exclusive lock on the knowledge base while an id is chosen, the file written
    and its commit built, so that parallel `new`/`intake` runs take turns.

    The lock is an advisory `flock` on the root folder itself: nothing is written, and the
    kernel drops it when the process ends, so a crash never leaves a stale lock behind.
    Where `flock` does not exist (Windows) runs are not serialised.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    fd = os.open(root, os.O_RDONLY)
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise UsageError(
                        f"another `postmortem new` or `intake` has been working "
                        f"on this knowledge base for {wait:.0f} s: try again when "
                        "it is done",
                        path=str(root),
                    ) from None
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock
