"""Writing files without ever losing data: atomic, and never over an existing file."""

from __future__ import annotations

import os
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


def write_new(path: Path, text: str) -> None:
    """Create `path` with `text` atomically; refuse when it exists (even in a race)."""
    path.parent.mkdir(parents=True, exist_ok=True)
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
    """Replace an existing file's content in one step (readers see old or new, never half)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        mode = path.stat().st_mode & 0o777
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


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
                    raise UsageError(f"another `postmortem new` or `intake` has been working "
                                     f"on this knowledge base for {wait:.0f} s: try again when "
                                     "it is done", path=str(root)) from None
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock
