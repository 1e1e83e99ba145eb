"""`postmortem check`: what each post-mortem still lacks for its status."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..core.config import Config
from ..core.errors import UsageError
from ..core.knowledge_base import CheckReport, check, postmortem_paths
from ..core.report import render_findings
from .common import handle_errors, load_kb, root_option
from .main import cli

FORMATS = ["text", "json", "github", "summary"]


def resolve_paths(config: Config, given: tuple[Path, ...]) -> list[Path]:
    """Files as given, and the post-mortems inside folders given."""
    every = postmortem_paths(config)
    chosen: list[Path] = []
    for path in given:
        if not path.exists() and not path.is_symlink():
            raise UsageError(f"{path}: no such file or folder")
        if path.is_dir():
            base = path.resolve()
            chosen += [p for p in every if p.resolve().is_relative_to(base)]
        else:
            chosen.append(path)
    seen: set[Path] = set()
    unique = []
    for path in chosen:
        key = path.absolute()
        if key not in seen:
            seen.add(key)
            unique.append(path)
    return unique


@cli.command("check")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--base", "base", metavar="REF",
              help="Check only the post-mortems changed since the merge base with REF.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
              help="text for people, json for scripts, github for workflow annotations, "
                   "summary for a Markdown job summary.")
@root_option
@handle_errors
def check_command(paths: tuple[Path, ...], base: str | None, fmt: str) -> None:
    """Check the whole knowledge base, or PATHS, against what each status demands.

    Exit status: 0 when there is no error (warnings allowed), 1 when there is any error,
    2 for wrong usage or a broken configuration.
    """
    config = load_kb()
    if base is not None:
        if paths:
            raise UsageError("give either PATHS or --base, not both")
        from ..core.review import changed_postmortems  # the git-aware part

        targets, extra = changed_postmortems(config, base)
        report = check(config, targets)
        report.findings = sorted(report.findings + extra, key=lambda f: (f.path, f.line, f.rule))
    else:
        report = check(config, resolve_paths(config, paths) if paths else None)
    output(config, report, fmt)
    sys.exit(1 if report.errors else 0)


def output(config: Config, report: CheckReport, fmt: str) -> None:
    text = render_findings(config, report, fmt)
    if text:
        click.echo(text)
