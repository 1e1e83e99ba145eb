"""Progress on long work: one line on standard error, redrawn in place ("checking
4,200/10,000 post-mortems"), for a person at a terminal.

Shown only when standard error is a terminal, the environment variable CI is not set (to
anything but empty, 0 or false), POSTMORTEM_PROGRESS is not 0, and the command does not
write JSON; and only once the work has run for `SHOW_AFTER` seconds, so that a quick
command never flashes a line. The line is erased when the work is done, before anything
else is written: standard output is the same byte for byte with or without it.
The core reports through a plain callable `(done, total)`; it knows nothing of terminals.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO

SHOW_AFTER = 1.0  # seconds of work before the line first appears
REDRAW_EVERY = 0.1  # seconds between two redraws

Report = Callable[[int, int], None]


def wanted(stream: IO[str] | None = None, json_output: bool = False) -> bool:
    """Whether progress is shown on STREAM (default: standard error)."""
    if json_output:
        return False
    if os.environ.get("POSTMORTEM_PROGRESS", "").strip().lower() in ("0", "false", "no", "off"):
        return False
    if os.environ.get("CI", "").strip().lower() not in ("", "0", "false"):
        return False
    stream = stream or sys.stderr
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class Progress:
    """A `(done, total)` callable that draws "VERB done/total NOUN" on STREAM."""

    def __init__(self, verb: str, noun: str, stream: IO[str]):
        self.verb, self.noun, self.stream = verb, noun, stream
        self.started = time.monotonic()
        self.drawn = 0.0  # when the line was last drawn; 0: never
        self.width = 0
        self.every = REDRAW_EVERY  # seconds between two redraws

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.started < SHOW_AFTER:
            return
        if self.drawn and now - self.drawn < self.every and done < total:
            return
        text = f"{self.verb} {done:,}/{total:,} {self.noun}"
        self._write("\r" + text + " " * max(0, self.width - len(text)))
        self.width = len(text)
        self.drawn = now

    def close(self) -> None:
        if self.drawn:
            self._write("\r" + " " * self.width + "\r")
            self.drawn = 0.0

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):
            self.drawn = 0.0  # the terminal went away: nothing more to draw or erase


class Stages:
    """A `(stage, done, total)` callable for work in stages (the site build: "reading"
    post-mortems, "rendering" pages, "writing" pages), drawn as one `Progress` line."""

    def __init__(self, shown: Progress, nouns: dict[str, str], every: float = REDRAW_EVERY):
        self.shown, self.nouns = shown, nouns
        shown.every = every

    def __call__(self, stage: str, done: int, total: int) -> None:
        self.shown.verb, self.shown.noun = stage, self.nouns.get(stage, self.shown.noun)
        self.shown(done, total)


@contextmanager
def progress(
    verb: str, noun: str = "post-mortems", json_output: bool = False
) -> Iterator[Progress | None]:
    """A `Report` for the core while the block runs (None when progress is not wanted),
    its line erased at the end, also when the block fails."""
    if not wanted(json_output=json_output):
        yield None
        return
    shown = Progress(verb, noun, sys.stderr)
    try:
        yield shown
    finally:
        shown.close()
