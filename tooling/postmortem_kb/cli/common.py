"""What every command shares: the -C option, loading the knowledge base, error mapping."""

from __future__ import annotations

import contextlib
import functools
import json
import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, TypeVar

import click

from ..core.config import Config, find_root, load_config
from ..core.errors import ConfigError, NotFound, PostmortemError, UsageError

F = TypeVar("F", bound=Callable[..., Any])


class KBContext:
    def __init__(self) -> None:
        self.directory: Path | None = None


def root_option(func: F) -> F:
    """`-C DIR` on every command (also accepted before the command name)."""

    def remember(ctx: click.Context, _param: click.Parameter, value: Path | None) -> None:
        if value is not None:
            ctx.ensure_object(KBContext).directory = value

    return click.option(
        "-C",
        "directory",
        type=click.Path(file_okay=False, path_type=Path),
        expose_value=False,
        callback=remember,
        is_eager=True,
        help="The knowledge base root (default: the nearest folder upward with mkdocs.yml).",
    )(func)


def no_cache_option(func: F) -> F:
    """`--no-cache`: compute everything afresh, neither reading nor writing `.cache/`."""
    return click.option(
        "--no-cache",
        "no_cache",
        is_flag=True,
        help="Neither read nor write the knowledge base's cache (.cache/): compute "
        "everything afresh. The results are the same either way.",
    )(func)


def load_kb(ctx: click.Context | None = None) -> Config:
    ctx = ctx or click.get_current_context()
    obj = ctx.find_object(KBContext)
    directory = obj.directory if obj else None
    if directory is not None and not directory.is_dir():
        raise ConfigError(f"-C {directory}: no such folder")
    root = find_root(directory)
    return load_config(root)


def handle_errors(func: F) -> F:
    """Core errors become clean messages with exit 2 (usage/config) or 1 (anything else)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (ConfigError, UsageError, NotFound) as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(2)
        except PostmortemError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(1)
        except BrokenPipeError:  # the reader stopped early (`| head`): said by no message,
            _quiet_stdout()  # but not as success, since what the command says was cut
            sys.exit(1)
        except OSError as exc:
            where = f"{exc.filename}: " if exc.filename else ""
            click.echo(f"Error: {where}{exc.strerror or exc}", err=True)
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


def write_out(data: IO[bytes]) -> None:
    """DATA (UTF-8) to standard output. A reader that stops early (`| head`) is not an
    error of the command's: it goes on quietly, to the exit status it would have had."""
    try:
        sys.stdout.flush()
        shutil.copyfileobj(data, sys.stdout.buffer)
        sys.stdout.buffer.flush()
    except BrokenPipeError:
        _quiet_stdout()


def _quiet_stdout() -> None:
    """Standard output pointed at nowhere: what is left in its buffer, flushed when the
    interpreter ends, raises no second broken pipe."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


# --- ending the process ----------------------------------------------------------------------

_HELD: list[Any] = []  # what a command read, kept past its end by `hold_till_exit`
_EXIT_HARD = False  # set by `main`: this is the `postmortem` process, not a test's


def hold_till_exit(value: Any) -> None:
    """Keep VALUE (a follow-through command's records: 10,000 post-mortems are a million
    objects, 60 ms to free one by one) until the process ends without freeing it
    (`exit_holding`); in a test's process, where commands run in turn, it is let go."""
    if _EXIT_HARD:
        _HELD.append(value)


def exit_holding(code: Any) -> None:
    """End the process now with CODE (as `sys.exit` takes it), its output flushed, when a
    command holds what it read (`hold_till_exit`): nothing is left to write (the cache
    committed and closed, files written whole, the worker joined), so the objects are not
    freed, as mypy ends. Returns when nothing is held."""
    if not _HELD:
        return
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:  # a message, as `sys.exit` prints it
        click.echo(code, err=True)
        status = 1
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError, AttributeError):
            stream.flush()
    os._exit(status)
