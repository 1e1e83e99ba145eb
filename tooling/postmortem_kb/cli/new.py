"""`postmortem new`: scaffold a post-mortem from a template (on its own branch in git)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import click

from .. import git as gitops
from ..core.codeowners import teams as codeowner_teams
from ..core.errors import UsageError
from ..core.files import knowledge_base_lock
from ..core.model import SEVERITIES, VISIBILITIES
from ..core.scaffold import NewPostmortem, check_new, create_postmortem, default_title, next_id
from ..core.times import RANGE_HINT, now_utc, out_of_range, parse_datetime, parse_table_time
from .common import handle_errors, load_kb, root_option
from .main import cli


def parse_moment(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    moment = parse_datetime(value) or parse_table_time(value)
    if moment is None and out_of_range(value):
        raise UsageError(f"{option} {value!r} is out of range: use {RANGE_HINT}")
    if moment is None:
        raise UsageError(
            f"{option} {value!r} is not a time: use ISO-8601 with a zone "
            "(2026-03-14T09:12:00Z) or 'YYYY-MM-DD HH:MM' in UTC"
        )
    return moment


def _interactive() -> bool:
    return sys.stdin.isatty()


@cli.command()
@click.option("--type", "type_slug", metavar="T", help="Incident type slug from the taxonomy.")
@click.option("--severity", metavar="S", help="SEV1 (worst) to SEV4.")
@click.option("--title", help="Title (default: 'Post-mortem – <Type name> – <Quarter>').")
@click.option("--occurred", metavar="DT", help="When it began (ISO-8601 with zone; default now).")
@click.option("--detected", metavar="DT", help="When it was detected (default: --occurred).")
@click.option("--owner", metavar="O", help="Who drives the post-mortem: a role or team.")
@click.option(
    "--visibility",
    type=click.Choice(VISIBILITIES),
    default="internal",
    show_default=True,
    help="Who may read it once published.",
)
@click.option("--template", metavar="NAME", help="Template name (default from mkdocs.yml).")
@click.option("--id", "pm_id", metavar="ID", help="Use this id instead of the next free one.")
@click.option("--no-git", is_flag=True, help="Only write the file: no branch, no commit.")
@root_option
@handle_errors
def new(
    type_slug: str | None,
    severity: str | None,
    title: str | None,
    occurred: str | None,
    detected: str | None,
    owner: str | None,
    visibility: str,
    template: str | None,
    pm_id: str | None,
    no_git: bool,
) -> None:
    """Scaffold a post-mortem (status draft) and print its path as the last line.

    In a git repository the file is committed on a new branch `postmortem/<ID>`;
    nothing else in the working tree is touched. Asks for what is missing on a
    terminal; fails with exit 2 naming it otherwise.
    """
    config = load_kb()
    interactive = _interactive()
    if type_slug is None:
        if not interactive:
            raise UsageError(f"missing --type: one of {', '.join(config.types)}")
        type_slug = click.prompt("Incident type", type=click.Choice(list(config.types)))
    if severity is None:
        if not interactive:
            raise UsageError("missing --severity: one of SEV1, SEV2, SEV3, SEV4")
        severity = click.prompt("Severity", type=click.Choice(SEVERITIES))
    severity = severity.upper()

    repo = None if no_git else gitops.open_repository(config.root)
    if owner is None:
        # A team or a role, never a person: the teams CODEOWNERS names, or nothing offered.
        offered = codeowner_teams(config.root, config.docs_dir)
        if interactive:
            hint = f" [{', '.join(offered)}]" if len(offered) > 1 else ""
            owner = click.prompt(
                f"Owner: the team or role that drives it{hint}",
                default=offered[0] if offered else None,
            )
        else:
            owner = offered[0] if offered else "Security Operations"

    # Written in UTC, so the id's year, the folder and the quarter all follow the UTC time.
    occurred_at = (parse_moment(occurred, "--occurred") or now_utc()).astimezone(UTC)
    detected_at = (parse_moment(detected, "--detected") or occurred_at).astimezone(UTC)
    # From choosing the id to the commit, one `new`/`intake` at a time per knowledge base.
    with knowledge_base_lock(config.root):
        taken = gitops.postmortem_names(repo, config.docs_dir) if repo is not None else []
        pm_id = pm_id or next_id(config, occurred_at.year, taken)
        if pm_id in {"-".join(name.removesuffix(".md").split("-")[:3]) for name in taken}:
            raise UsageError(f"id {pm_id} is already used on another branch")
        if title is None:
            title = default_title(config, type_slug, occurred_at, severity, pm_id)
            if interactive:
                title = click.prompt("Title", default=title)

        request = NewPostmortem(
            pm_id,
            title,
            type_slug,
            severity,
            visibility,
            owner,
            occurred_at,
            detected_at,
            template or config.default_template,
        )
        check_new(config, request)
        if repo is not None:
            gitops.prepare_branch(repo, f"postmortem/{pm_id}")
        path = create_postmortem(config, request)
        rel = config.relative(path)
        if repo is not None:
            try:
                branch = gitops.commit_new_postmortem(
                    repo, path, f"postmortem/{pm_id}", f"Add post-mortem {pm_id}: {title}", pm_id
                )
            except BaseException:
                path.unlink(missing_ok=True)  # written by this run a moment ago: not kept
                raise
            click.echo(f"Committed on branch {branch}.", err=True)
    click.echo(rel)
