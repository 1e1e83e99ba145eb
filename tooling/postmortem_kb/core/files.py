"""Writing files without ever losing data: atomic, and never over an existing file."""

from __future__ import annotations

import os
import tempfile
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
