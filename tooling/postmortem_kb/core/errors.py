"""Plain exceptions of the core; the doors turn them into exit codes and messages."""

from __future__ import annotations


class PostmortemError(Exception):
    """Something the user can fix; the message says what, and where when it can."""

    def __init__(self, message: str, path: str | None = None, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line

    def __str__(self) -> str:
        where = ""
        if self.path:
            where = f"{self.path}:{self.line}: " if self.line else f"{self.path}: "
        return f"{where}{self.message}"


class ConfigError(PostmortemError):
    """The knowledge base's configuration is missing or broken (exit 2)."""


class UsageError(PostmortemError):
    """The user asked for something that cannot be done as asked (exit 2)."""


class NotFound(PostmortemError):
    """A post-mortem, template or file that was named does not exist."""
