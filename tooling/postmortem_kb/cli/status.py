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
@click.option("--format", "fmt", type=click.Choice(["text", "json", "github"]), default="text",
              show_default=True, help="How to print the findings when the move is refused.")
@root_option
@handle_errors
def status_command(pm_id: str, status: str, fmt: str) -> None:
    """Move post-mortem ID to STATUS (draft, in-review, published, archived) only if it
    meets what STATUS demands; otherwise print the findings and exit 1.

    Moves go forward (draft -> in-review -> published -> archived) or back to draft.
    Only the `status:` line is edited (and `archived_at:` set on archive); every other
    byte of the file stays as it was.
    """
    config = load_kb()
    change = change_status(config, pm_id, status)
    rel = config.relative(change.path)
    if not change.done and not change.errors:
        click.echo(f"{pm_id} is already {status}: nothing changed ({rel})")
        return
    report = CheckReport(1, list(change.findings), [rel])
    if not change.done:
        click.echo(render_findings(config, report, fmt))
        click.echo(f"Error: {pm_id} stays {change.old}: fix the {len(change.errors)} "
                   f"error(s) above that `{status}` demands, then run this again.", err=True)
        sys.exit(1)
    if change.findings:
        click.echo(render_findings(config, report, fmt))
    click.echo(f"{pm_id}: {change.old} -> {status} ({rel})")
