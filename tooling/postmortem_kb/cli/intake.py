"""`postmortem intake`: scaffold from an issue form or an incident tool's JSON, no terminal."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import click

from ..core.errors import UsageError
from ..core.intake import MAX_INPUT, parse_report
from .common import handle_errors, root_option
from .main import cli
from .new import new


@cli.command()
@click.argument(
    "source",
    metavar="FILE",
    type=click.Path(allow_dash=True, dir_okay=False, path_type=Path),
    default="-",
)
@click.option(
    "--from",
    "kind",
    type=click.Choice(["auto", "issue-form", "json"]),
    default="auto",
    show_default=True,
    help="issue-form: the body of an issue from the post-mortem issue form; "
    'json: {"type", "severity", "title", "occurred_at", '
    '"detected_at", "owner", "visibility"}.',
)
@click.option("--no-git", is_flag=True, help="Only write the file: no branch, no commit.")
@root_option
@handle_errors
def intake(source: Path, kind: str, no_git: bool) -> None:
    """Scaffold a post-mortem from an incident report in FILE (default: standard input).

    The same as `postmortem new` with the report's answers as options, never asking:
    what the report lacks (type, severity) is an error with exit 2. Used by the issue-form
    workflow and by incident tools that call it from a webhook. Prints the new file's path
    as its last line.
    """
    if str(source) == "-":
        text = sys.stdin.read(MAX_INPUT + 1)
    else:
        if not source.is_file():
            raise UsageError(f"{source}: no such file")
        with open(source, encoding="utf-8", errors="replace") as handle:
            text = handle.read(MAX_INPUT + 1)  # a report is small: never read a huge file whole
    report = parse_report(text, kind)
    ctx = click.get_current_context()
    # `new` asks on a terminal; an intake never does, so it sees no terminal.
    terminal, sys.stdin = sys.stdin, io.StringIO("")
    try:
        ctx.invoke(
            new,
            type_slug=report["type"],
            severity=report["severity"],
            title=report.get("title"),
            occurred=report.get("occurred"),
            detected=report.get("detected"),
            owner=report.get("owner"),
            visibility=report.get("visibility", "internal"),
            no_git=no_git,
        )
    finally:
        sys.stdin = terminal
