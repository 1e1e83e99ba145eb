"""`postmortem status ID STATUS`: move a post-mortem along its review path, if it is ready."""

from __future__ import annotations

import sys

import click

from ..core.knowledge_base import CheckReport
from ..core.lifecycle import change_status
from ..core.model import STATUSES
from ..core.report import render_findings
from .common import handle_errors, load_kb, root_option
from .main import cli


@cli.command("status")
@click.argument("pm_id", metavar="ID")
@click.argument("status", metavar="STATUS", type=click.Choice(STATUSES))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "github"]),
    default="text",
    show_default=True,
    help="How to print the findings when the move is refused.",
)
@click.option(
    "--allow-overdue",
    is_flag=True,
    help="Publish or archive even with open action items more than "
    "`overdue_fail_days` (mkdocs.yml, default 30) days overdue.",
)
@root_option
@handle_errors
def status_command(pm_id: str, status: str, fmt: str, allow_overdue: bool) -> None:
    """Move post-mortem ID to STATUS (draft, in-review, published, archived) only if it
    meets what STATUS demands; otherwise print the findings and exit 1.

    Moves go forward (draft -> in-review -> published -> archived) or back to draft.
    Only the `status:` line is edited (and `archived_at:` set on archive); every other
    byte of the file stays as it was. Publishing and archiving warn about open action
    items past their due date, and refuse when one is more than `overdue_fail_days` late.
    """
    config = load_kb()
    change = change_status(config, pm_id, status, allow_overdue=allow_overdue)
    rel = config.relative(change.path)
    for late in change.late:
        line = late.action.line
        click.echo(f"{rel}:{line}: warning: {pm_id} {late.describe()}", err=True)
    if change.too_late and not change.done:
        click.echo(
            f"Error: {pm_id} stays {change.old}: {len(change.too_late)} open action "
            f"item(s) more than {config.overdue_fail_days} days overdue "
            "(`overdue_fail_days`). Close them, or agree and write a new due date in "
            "the action table; --allow-overdue moves it anyway.",
            err=True,
        )
        sys.exit(1)
    if not change.done and not change.errors:
        click.echo(f"{pm_id} is already {status}: nothing changed ({rel})")
        return
    report = CheckReport(1, list(change.findings), [rel])
    if not change.done:
        click.echo(render_findings(config, report, fmt))
        click.echo(
            f"Error: {pm_id} stays {change.old}: fix the {len(change.errors)} "
            f"error(s) above that `{status}` demands, then run this again.",
            err=True,
        )
        sys.exit(1)
    if change.findings:
        click.echo(render_findings(config, report, fmt))
    click.echo(f"{pm_id}: {change.old} -> {status} ({rel})")
