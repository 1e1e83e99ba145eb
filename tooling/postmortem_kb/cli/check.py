"""`postmortem check`: what each post-mortem still lacks for its status."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..core import catalogue
from ..core.config import Config, find_root
from ..core.errors import ConfigError, UsageError
from ..core.knowledge_base import CheckReport, check, postmortem_paths, selected
from ..core.model import STATUSES
from ..core.report import render_findings
from .common import KBContext, emit_json, handle_errors, load_kb, no_cache_option, root_option
from .main import cli
from .progress import progress

FORMATS = ["text", "json", "github", "summary"]


def resolve_paths(config: Config, given: tuple[Path, ...]) -> list[Path]:
    """Files as given, and the post-mortems inside folders given."""
    every: list[Path] | None = None  # listed only for a folder: one file needs no listing
    chosen: list[Path] = []
    for path in given:
        if not path.exists() and not path.is_symlink():
            raise UsageError(f"{path}: no such file or folder")
        if path.is_dir():
            base = path.resolve()
            every = postmortem_paths(config) if every is None else every
            chosen += [p for p in every if p.resolve().is_relative_to(base)]
        elif path.suffix.lower() != ".md":
            raise UsageError(
                f"{path}: not a post-mortem (post-mortems are Markdown files, "
                f"{config.docs_dir}/<YYYY>/<ID>-<slug>.md): give post-mortem "
                "files or folders, or nothing to check them all"
            )
        else:
            chosen.append(config.spelled_from_root(path))
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
@click.option(
    "--base",
    "base",
    metavar="REF",
    help="Check only the post-mortems changed since the merge base with REF.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="text for people, json for scripts, github for workflow annotations, "
    "summary for a Markdown job summary.",
)
@click.option(
    "--select",
    "select",
    metavar="IDS",
    multiple=True,
    help="Apply only these rules (ids or prefixes such as PM5; comma-separated or "
    "repeated); replaces `select` in mkdocs.yml.",
)
@click.option(
    "--ignore",
    "ignore",
    metavar="IDS",
    multiple=True,
    help="Leave out these rules (ids or prefixes), in addition to `ignore` in mkdocs.yml.",
)
@click.option(
    "--for",
    "for_status",
    type=click.Choice(STATUSES),
    metavar="STATUS",
    help="Check against what STATUS demands instead of each file's own status: "
    "`--for in-review` lists what a draft still needs.",
)
@click.option(
    "--explain",
    "explain",
    metavar="PMnnn",
    help="Explain one rule (what it finds, how to fix it, examples) and exit.",
)
@no_cache_option
@root_option
@handle_errors
def check_command(
    paths: tuple[Path, ...],
    base: str | None,
    fmt: str,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    explain: str | None,
    for_status: str | None,
    no_cache: bool,
) -> None:
    """Check the whole knowledge base, or PATHS, against what each status demands.

    Exit status: 0 when there is no error (warnings allowed), 1 when there is any error,
    2 for wrong usage or a broken configuration.
    """
    if explain is not None:
        rule_id = explain.strip().upper()
        if rule_id not in catalogue.RULES:
            raise UsageError(f"--explain: no rule {explain!r}; `postmortem rules` lists them")
        click.echo(catalogue.explain(rule_id))
        return
    config = load_kb()
    config.choose_rules(_ids(select), _ids(ignore))
    if base is not None:
        if paths:
            raise UsageError("give either PATHS or --base, not both")
        from ..core.review import changed_postmortems  # the git-aware part

        targets, extra = changed_postmortems(config, base)
        with progress("checking", json_output=fmt == "json") as shown:
            report = check(config, targets, status=for_status, cache=not no_cache, progress=shown)
        report.findings = selected(config, report.findings + extra)
    else:
        with progress("checking", json_output=fmt == "json") as shown:
            report = check(
                config,
                resolve_paths(config, paths) if paths else None,
                status=for_status,
                cache=not no_cache,
                progress=shown,
            )
    output(config, report, fmt)
    sys.exit(1 if report.errors else 0)


def output(config: Config, report: CheckReport, fmt: str) -> None:
    text = render_findings(config, report, fmt)
    if text:
        click.echo(text)


def _ids(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(part.strip() for value in values for part in value.split(",") if part.strip())


@cli.command("rules")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
    help="text for people, json for scripts, markdown for docs.",
)
@root_option
@handle_errors
def rules_command(fmt: str) -> None:
    """List every rule `check` applies: id, severity, the status it applies from, summary.

    Inside a knowledge base, rules its `select`/`ignore` leave out are marked `off`.
    `postmortem check --explain PMnnn` tells more about one rule.
    """
    enabled = _enabled_here()
    if fmt == "markdown":
        click.echo(catalogue.markdown_table(), nl=False)
    elif fmt == "json":
        emit_json(
            [
                {
                    "id": r.id,
                    "name": r.name,
                    "severity": r.severity,
                    "applies_from": r.applies_from,
                    "summary": r.summary,
                    "fix": r.fix,
                    "enabled": r.id in enabled,
                }
                for r in catalogue.CATALOGUE
            ]
        )
    else:
        for r in catalogue.CATALOGUE:
            off = "" if r.id in enabled else "  (off)"
            click.echo(
                f"{r.id}  {r.severity:<7}  {r.applies_from:<9}  {r.name:<24}  {r.summary}{off}"
            )


def _enabled_here() -> frozenset[str]:
    """The rules in force in the knowledge base around us; every rule outside one."""
    obj = click.get_current_context().find_object(KBContext)
    if (obj is None or obj.directory is None) and not _inside_a_kb():
        return frozenset(catalogue.RULES)
    return load_kb().enabled_rules


def _inside_a_kb() -> bool:
    try:
        find_root()
    except ConfigError:
        return False
    return True
