"""`postmortem export` and `postmortem report`: what an auditor or leadership is handed."""

from __future__ import annotations

import itertools
from pathlib import Path

import click

from ..core.errors import UsageError
from ..core.export import (
    ExportRowsAsRead,
    export_pieces,
    quarter_report_of_views,
    report_html,
    report_markdown,
)
from ..core.files import write_new
from ..core.metrics import SCOPE_HELP, quarter_bounds
from ..core.model import VISIBILITIES
from .common import F, handle_errors, load_kb, no_cache_option, root_option, write_out
from .follow import (
    as_of_option,
    completeness_of,
    drafts_option,
    guard_output,
    guard_pieces,
    load_views,
    parse_as_of,
)
from .main import cli


def output_option(func: F) -> F:
    return click.option(
        "--output",
        "-o",
        "output",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Write to this file (never over an existing one) instead of standard output.",
    )(func)


def deliver(text: str, output: Path | None) -> None:
    if output is None:
        click.echo(text, nl=False)
        return
    write_new(output, text, make_folders=False)
    click.echo(f"Written to {output}", err=True)


AUDIENCE_HELP = (
    "Include only post-mortems this audience may see (public < internal < "
    "restricted). Default: the knowledge base's audience (mkdocs.yml `audience`, "
    "or POSTMORTEM_AUDIENCE)."
)


@cli.command(epilog=SCOPE_HELP)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "csv"]),
    default="json",
    show_default=True,
    help="json: every record in full; csv: one row per post-mortem, lists joined with '; '.",
)
@click.option("--audience", type=click.Choice(VISIBILITIES), help=AUDIENCE_HELP)
@as_of_option
@drafts_option
@output_option
@no_cache_option
@root_option
@handle_errors
def export(
    fmt: str,
    audience: str | None,
    as_of: str | None,
    include_drafts: bool,
    output: Path | None,
    no_cache: bool,
) -> None:
    """Export every post-mortem with its metadata, durations, completeness and action items.

    \b
    json: a list of records with id, title, path, status, visibility, type, severity,
    owner, quarter, the four times, ttd/ttc/ttr_hours, services, tags, controls,
    completeness (percent, sections, checklist, errors, warnings) and actions (the
    `postmortem actions` objects plus tracking). csv: the same per post-mortem, with
    action items counted (total, open, overdue); cells that a spreadsheet would run as
    a formula are prefixed with '.
    """
    config = load_kb()
    audience = audience or config.audience
    # each record's text made as the files are read (while a worker still reads), kept on
    # disk, then scanned and kept a record at a time, written once the whole has passed
    made = ExportRowsAsRead(fmt, parse_as_of(as_of), include_drafts or config.include_drafts)
    try:
        views = load_views(
            config,
            audience,
            completeness=True,
            json_output=fmt == "json",
            cache=not no_cache,
            each=made,
        )
        pieces = export_pieces(made.rows(views, completeness_of), fmt)
        if fmt == "json":
            pieces = itertools.chain(pieces, ["\n"])
        with guard_pieces(config, audience, pieces, "export") as data:
            if output is None:
                write_out(data)
            else:
                deliver(data.read().decode(), output)
    finally:
        made.close()


@cli.command(epilog=SCOPE_HELP)
@click.option(
    "--quarter",
    required=True,
    metavar="YYYY-Qn",
    help="The quarter to report on, e.g. 2026-Q3 (by occurred_at).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["markdown", "html"]),
    default="markdown",
    show_default=True,
    help="markdown, or a standalone HTML page.",
)
@click.option("--audience", type=click.Choice(VISIBILITIES), help=AUDIENCE_HELP)
@click.option(
    "--as-of",
    "as_of",
    metavar="DATE",
    help="Date for follow-through (overdue actions), YYYY-MM-DD. Default: the "
    "quarter's last day, or today while the quarter is running.",
)
@drafts_option
@output_option
@no_cache_option
@root_option
@handle_errors
def report(
    quarter: str,
    fmt: str,
    audience: str | None,
    as_of: str | None,
    include_drafts: bool,
    output: Path | None,
    no_cache: bool,
) -> None:
    """The quarterly summary for leadership and auditors.

    \b
    Counts, median times to detect, contain and resolve with quartiles, services with
    repeated incidents (hit this quarter and at least twice up to its end), the
    controls that failed this quarter, overdue action items across all incidents up
    to the quarter's end, and the list of the quarter's incidents.
    """
    try:
        quarter_bounds(quarter)
    except ValueError as exc:
        raise UsageError(f"--quarter: {exc}") from None
    config = load_kb()
    audience = audience or config.audience
    result = quarter_report_of_views(
        load_views(config, audience, cache=not no_cache),
        quarter,
        audience,
        as_of=parse_as_of(as_of) if as_of else None,
        include_drafts=include_drafts or config.include_drafts,
    )
    text = report_html(result) if fmt == "html" else report_markdown(result)
    deliver(guard_output(config, audience, text, "report"), output)
