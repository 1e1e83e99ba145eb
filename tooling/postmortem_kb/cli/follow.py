"""`postmortem actions`, `postmortem stats`, `postmortem controls`: follow-through across
every incident. The site's tracker, metrics and controls pages call the same core functions."""

from __future__ import annotations

import itertools
import sys
import tempfile
from collections.abc import Iterable, Iterator
from datetime import date
from typing import IO

import click

from ..core.config import Config
from ..core.controls import rollup, rollup_rows
from ..core.errors import PostmortemError, UsageError
from ..core.export import (
    CONTROL_COLUMNS,
    Completeness,
    controls_markdown,
    csv_text,
    markdown_cell,
    markdown_table,
    text_table_pieces,
    visible_to,
)
from ..core.knowledge_base import kept_for_the_run, load
from ..core.leaks import audience_safety_findings, other_pages, scan_output
from ..core.metrics import (
    DURATION_NAMES,
    SCOPE_HELP,
    ActionRow,
    ActionRowsAsRead,
    Stats,
    action_rows,
    compute_stats,
    format_hours,
    today_utc,
)
from ..core.model import VISIBILITIES, Finding, Postmortem
from ..core.records import Each, FollowThrough, follow_through
from ..core.times import parse_date
from .common import (
    F,
    handle_errors,
    hold_till_exit,
    load_kb,
    no_cache_option,
    root_option,
    write_out,
)
from .main import cli
from .progress import progress

ACTION_KEYS = ("postmortem", "id", "action", "owner", "due", "status", "overdue")


def parse_as_of(value: str | None) -> date:
    if value is None:
        return today_utc()
    parsed = parse_date(value)
    if parsed is None:
        raise UsageError(f"--as-of {value!r} is not a date: write YYYY-MM-DD")
    return parsed


def as_of_option(func: F) -> F:
    return click.option(
        "--as-of",
        "as_of",
        metavar="DATE",
        help="Take DATE (YYYY-MM-DD) as today, so a report can be reproduced "
        "(default: today in UTC).",
    )(func)


def drafts_option(func: F) -> F:
    return click.option(
        "--include-drafts",
        is_flag=True,
        help="Count draft post-mortems too (default: the include_drafts setting in mkdocs.yml).",
    )(func)


def audience_option(func: F) -> F:
    return click.option(
        "--audience",
        type=click.Choice(VISIBILITIES),
        help="Count only post-mortems this audience may see (public < "
        "internal < restricted), as the site for that audience does. "
        "Default: the site's audience (mkdocs.yml `audience`, or "
        "POSTMORTEM_AUDIENCE), so the same question gets the same "
        "number here and on the site; `--audience restricted` counts "
        "every post-mortem.",
    )(func)


def load_views(
    config: Config,
    audience: str,
    completeness: bool = False,
    json_output: bool = False,
    cache: bool = True,
    each: Each | None = None,
) -> list[Postmortem]:
    """What AUDIENCE may see, as compact records of its views (`core.records`), read in
    bounded memory; a file that does not parse is named on stderr and skipped. Errors that
    put the audience at risk refuse the command. COMPLETENESS: also each view's, for
    `export`, kept for `completeness_of`. Progress is shown on a terminal unless
    JSON_OUTPUT (`cli.progress`). CACHE: the records of unchanged files from `.cache/`.
    EACH: told each view as it is read (`follow_through`)."""
    with progress("reading", json_output=json_output) as shown, kept_for_the_run() as release:
        found = follow_through(
            config, audience, want_complete=completeness, progress=shown, cache=cache, each=each
        )
    click.get_current_context().call_on_close(release)
    hold_till_exit(found)
    for problem in found.problems:
        click.echo(f"Warning: {problem.path}:{problem.line}: skipped: {problem.message}", err=True)
    click.get_current_context().meta[_FOLLOW] = found
    _refuse(found.unsafe)
    return found.views


def completeness_of(pm: Postmortem) -> Completeness:
    """The completeness `load_views(..., completeness=True)` found for PM's view."""
    found: FollowThrough = click.get_current_context().meta[_FOLLOW]
    return found.completeness[pm.path]


_FOLLOW = "postmortem_kb.follow"  # what `load_views` read, for the output scan


def load_postmortems(config: Config, audience: str | None = None) -> list[Postmortem]:
    """Every post-mortem that parses (that AUDIENCE may see, as it sees them, when given); a
    file that does not parse is named on stderr and skipped (`postmortem check` reports it
    in full). With an audience, errors that put it at risk refuse the command."""
    with progress("reading") as shown:
        postmortems, problems = load(config, progress=shown)
    for problem in problems:
        click.echo(f"Warning: {problem.path}:{problem.line}: skipped: {problem.message}", err=True)
    click.get_current_context().meta[_EVERY] = postmortems
    if not audience:
        return postmortems
    refuse_unsafe(config, postmortems)
    return visible_to(postmortems, audience)


_EVERY = "postmortem_kb.every"  # every post-mortem loaded, for the output scan


def refuse_unsafe(config: Config, postmortems: list[Postmortem]) -> None:
    """Refuse an audience's output while the knowledge base has an error that `build` would
    refuse (`core.leaks.AUDIENCE_RULES`)."""
    _refuse(audience_safety_findings(config, postmortems))


def _refuse(found: list[Finding]) -> None:
    if found:
        lines = "\n".join(f"  {f.path}:{f.line}: {f.rule} {f.message}" for f in found)
        raise PostmortemError(
            f"nothing written for an audience: {len(found)} error(s) would put it at risk:\n{lines}"
        )


def guard_pieces(config: Config, audience: str, pieces: Iterable[str], where: str) -> IO[bytes]:
    """The text PIECES make, as UTF-8 in a temporary file (read from its start), once
    scanned like `guard_output` piece by piece (after `load_views`): an export of 10,000
    post-mortems is never held whole in memory."""
    loaded: FollowThrough = click.get_current_context().meta[_FOLLOW]
    kept = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the caller, who closes it
    hits = loaded.scan.scan_pieces(pieces, where, kept)
    if hits:
        kept.close()
        raise PostmortemError(
            f"nothing written: the {audience} output holds what it "
            f"withholds: {'; '.join(hits[:10])}"
        )
    kept.seek(0)
    return kept


def guard_output(config: Config, audience: str | None, text: str, where: str) -> str:
    """TEXT, once scanned for what AUDIENCE must not see (`core.leaks`); a find refuses the
    output, naming the item."""
    if not audience:
        return text
    loaded: FollowThrough | None = click.get_current_context().meta.get(_FOLLOW)
    if loaded is not None and loaded.scan.audience == audience:
        hits = loaded.scan.scan_text(text, where)
        if hits:
            raise PostmortemError(
                f"nothing written: the {audience} output holds what it "
                f"withholds: {'; '.join(hits[:10])}"
            )
        return text
    every = click.get_current_context().meta.get(_EVERY)
    if every is None:
        every, _ = load(config)
    hits = scan_output(text, where, every, audience, other_pages(config))
    if hits:
        raise PostmortemError(
            f"nothing written: the {audience} output holds what it "
            f"withholds: {'; '.join(hits[:10])}"
        )
    return text


# --- actions -----------------------------------------------------------------------------


def _due(row: ActionRow) -> str:
    return row.due.isoformat() if row.due else row.raw_due


def actions_pieces(rows: list[ActionRow], fmt: str, status: str, as_of: date) -> Iterator[str]:
    """The `actions` output in pieces (the text table a few thousand rows at a time), to be
    scanned and written as they are made: 40,000 rows held whole, with their scan and
    their encoding, were the command's peak of memory."""
    if fmt == "json":
        import json

        yield json.dumps([r.as_dict() for r in rows], indent=2, ensure_ascii=False)
        return
    if fmt == "csv":
        yield csv_text(
            ACTION_KEYS,
            ([r.postmortem, r.id, r.action, r.owner, _due(r), r.status, r.overdue] for r in rows),
        ).rstrip("\n")
        return
    label = {"open": "Open", "overdue": "Overdue", "all": "All"}[status]
    if fmt == "markdown":
        head = f"### {label} action items as of {as_of.isoformat()}: {len(rows)}"
        if not rows:
            yield head + "\n\nNone."
            return
        table = markdown_table(
            ("Post-mortem", "ID", "Action", "Owner", "Due", "Status", "Days overdue"),
            (
                [
                    r.postmortem,
                    r.id,
                    r.action,
                    r.owner,
                    _due(r),
                    r.status,
                    r.days_overdue if r.overdue else "",
                ]
                for r in rows
            ),
        )
        yield f"{head}\n\n{table}"
        return
    if not rows:
        yield f"No {label.lower()} action items as of {as_of.isoformat()}."
        return
    yield from text_table_pieces(
        ("POSTMORTEM", "ID", "ACTION", "OWNER", "DUE", "STATUS", "OVERDUE"),
        (
            [
                r.postmortem,
                r.id,
                r.action,
                r.owner,
                _due(r),
                r.status,
                f"{r.days_overdue}d" if r.overdue else "",
            ]
            for r in rows
        ),
    )
    yield f"\n\n{len(rows)} {label.lower()} action item(s) as of {as_of.isoformat()}."


@cli.command(epilog=SCOPE_HELP)
@click.option(
    "--status",
    "status",
    type=click.Choice(["open", "overdue", "all"]),
    default="open",
    show_default=True,
    help="open: open and in-progress; overdue: open or in-progress with a due date "
    "before today; all: every action item.",
)
@click.option("--owner", metavar="O", help="Only items whose Owner is O (ignoring case).")
@as_of_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv", "markdown"]),
    default="table",
    show_default=True,
    help="table for people, json/csv for scripts, markdown for job summaries and chat.",
)
@click.option(
    "--fail-after-days",
    "fail_days",
    type=click.IntRange(min=0),
    metavar="N",
    help="Exit 1 when any open item is more than N days overdue.",
)
@click.option(
    "--fail-overdue",
    is_flag=True,
    help="Exit 1 when any open item is more than `overdue_fail_days` (mkdocs.yml, "
    "default 30) days overdue.",
)
@drafts_option
@audience_option
@no_cache_option
@root_option
@handle_errors
def actions(
    status: str,
    owner: str | None,
    as_of: str | None,
    fmt: str,
    fail_days: int | None,
    fail_overdue: bool,
    include_drafts: bool,
    audience: str | None,
    no_cache: bool,
) -> None:
    """Action items across the knowledge base, soonest due first.

    \b
    An item is overdue when its status is open or in-progress and its due date is
    before today (or --as-of). The json format is a list of objects with the keys
    postmortem, id, action, owner, due, status, overdue; csv has the same columns.

    Exit status: 0, or 1 with --fail-after-days/--fail-overdue when an item is overdue
    by more than that many days (the list is printed either way).
    """
    config = load_kb()
    today = parse_as_of(as_of)
    drafts = include_drafts or config.include_drafts
    audience = audience or config.audience  # the site's audience: one answer everywhere
    made = ActionRowsAsRead(status, owner, today, drafts)  # as the files are read
    postmortems = load_views(
        config, audience, json_output=fmt == "json", cache=not no_cache, each=made
    )
    rows = made.rows(postmortems)
    pieces = itertools.chain(actions_pieces(rows, fmt, status, today), ["\n"])
    with guard_pieces(config, audience, pieces, "actions") as data:
        write_out(data)
    limit = (
        fail_days if fail_days is not None else (config.overdue_fail_days if fail_overdue else None)
    )
    if limit is not None:
        overdue = action_rows(
            postmortems, status="overdue", owner=owner, as_of=today, include_drafts=drafts
        )
        late = [r for r in overdue if r.days_overdue > limit]
        if late:
            for r in late:
                click.echo(
                    f"Error: {r.postmortem_path}:{r.line}: {r.postmortem} {r.id} "
                    f"({r.owner or 'no owner'}) is {r.days_overdue} days overdue "
                    f"(due {_due(r)}; limit {limit} days)",
                    err=True,
                )
            sys.exit(1)


# --- stats -------------------------------------------------------------------------------


def _counts_line(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in counts.items()) or "none"


def stats_lines(stats: Stats) -> list[str]:
    """The figures as label/value lines, shared by the text and markdown formats."""
    lines = [
        f"Post-mortems: {stats.count}",
        f"By quarter: {_counts_line(stats.by_quarter)}",
        f"By type: {_counts_line(stats.by_type)}",
        f"By severity: {_counts_line(stats.by_severity)}",
    ]
    for name, spread in stats.spreads.items():
        label = DURATION_NAMES[name].capitalize()
        q = spread.quartiles
        if q is None:
            lines.append(f"{label}: n/a (no post-mortem has both times)")
            continue
        text = (
            f"{label}: median {format_hours(spread.median)} "
            f"(quartiles {format_hours(q[0])} – {format_hours(q[2])}; "
            f"{len(spread.hours)} post-mortem{'' if len(spread.hours) == 1 else 's'}"
        )
        if spread.left_out:
            text += f"; left out, lacking a time: {', '.join(spread.left_out)}"
        lines.append(text + ")")
    repeated = "; ".join(f"{s} ({', '.join(ids)})" for s, ids in stats.repeated_services.items())
    lines.append(f"Services with repeated incidents: {repeated or 'none'}")
    rate = stats.closure_rate
    lines.append(
        f"Action items: {stats.actions_total}; closed {stats.actions_closed}"
        + (f" ({rate:.0%})" if rate is not None else "")
        + f"; open {stats.actions_open}; overdue {stats.actions_overdue} as of "
        f"{stats.as_of.isoformat()}"
    )
    return lines


@cli.command(epilog=SCOPE_HELP)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
    help="text for people, json for scripts, markdown for job summaries and chat.",
)
@as_of_option
@drafts_option
@audience_option
@no_cache_option
@root_option
@handle_errors
def stats(
    fmt: str, as_of: str | None, include_drafts: bool, audience: str | None, no_cache: bool
) -> None:
    """Incident counts by quarter, type and severity, and median durations with quartiles.

    \b
    Time to detect = detected_at - occurred_at; to contain = contained_at - detected_at;
    to resolve = resolved_at - detected_at; all in hours, medians with quartiles
    (inclusive method). A post-mortem lacking a time is left out of that median only.
    The quarter is that of occurred_at as written, in its own time zone.

    json keys: count, by_quarter, by_type, by_severity, mttd_hours, mttc_hours,
    mttr_hours, then quartiles_hours, durations_hours, left_out, repeated_services, actions.
    """
    config = load_kb()
    audience = audience or config.audience  # the site's audience: one answer everywhere
    figures = compute_stats(
        load_views(config, audience, json_output=fmt == "json", cache=not no_cache),
        include_drafts=include_drafts or config.include_drafts,
        as_of=parse_as_of(as_of),
    )
    if fmt == "json":
        import json

        text = json.dumps(figures.as_dict(), indent=2, ensure_ascii=False, default=str)
    elif fmt == "markdown":
        text = "### Post-mortem statistics\n\n" + "\n".join(
            f"- {markdown_cell(line)}" for line in stats_lines(figures)
        )
    else:
        text = "\n".join(stats_lines(figures))
    click.echo(guard_output(config, audience, text, "stats"))


# --- controls ----------------------------------------------------------------------------


@cli.command(epilog=SCOPE_HELP)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv", "markdown"]),
    default="table",
    show_default=True,
    help="Output format.",
)
@as_of_option
@drafts_option
@audience_option
@no_cache_option
@root_option
@handle_errors
def controls(
    fmt: str, as_of: str | None, include_drafts: bool, audience: str | None, no_cache: bool
) -> None:
    """Roll up the failed controls named in post-mortems (front matter `controls`, e.g.
    SOC2:CC6.1, ISO27001:A.8.2, NIST-CSF:PR.AC-1), most often failed first.

    \b
    For each control: how often it failed and in which incidents; the action items
    that name it (fixes) and which of them are still open; the open action items of
    its incidents; in which incidents section 14 shows it re-tested (the section names
    the control, or, naming none, has every checklist item checked).
    """
    config = load_kb()
    audience = audience or config.audience  # the site's audience: one answer everywhere
    today = parse_as_of(as_of)
    made = rollup_rows(today)  # as the files are read
    result, problems = rollup(
        load_views(config, audience, json_output=fmt == "json", cache=not no_cache, each=made),
        as_of=today,
        include_drafts=include_drafts or config.include_drafts,
        made=made,
    )
    for problem in problems:
        click.echo(f"Warning: {problem.path}:{problem.line}: {problem.message}", err=True)
    if fmt == "json":
        import json

        click.echo(
            guard_output(
                config,
                audience,
                json.dumps(
                    [c.as_dict() for c in result], indent=2, ensure_ascii=False, default=str
                ),
                "controls",
            )
        )
        return
    header = CONTROL_COLUMNS

    def ids(rows: tuple[ActionRow, ...]) -> str:
        return ", ".join(f"{r.postmortem}/{r.id}" for r in rows)

    rows = [
        [
            c.control,
            c.failures,
            ", ".join(c.incidents),
            ids(c.fixes),
            ids(c.open_fixes),
            ids(c.open_in_incidents),
            ", ".join(c.retested_in),
            ", ".join(c.not_retested),
        ]
        for c in result
    ]
    out: list[str] = []
    if fmt == "csv":
        out.append(csv_text([h.lower().replace(" ", "_") for h in header], rows).rstrip("\n"))
    elif fmt == "markdown":
        out.append(controls_markdown(result))
    elif not rows:
        out.append("No post-mortem names a failed control (front matter `controls`).")
    else:
        for c in result:
            out.append(f"{c.control}: failed {c.failures}x in {', '.join(c.incidents)}")
            out.append(
                f"    fixes: {ids(c.fixes) or 'none name it'}"
                + (f"; still open: {ids(c.open_fixes)}" if c.open_fixes else "")
            )
            if c.open_in_incidents:
                out.append(f"    open action items in those incidents: {ids(c.open_in_incidents)}")
            out.append(
                f"    re-tested in: {', '.join(c.retested_in) or 'none'}"
                + (f"; not re-tested in: {', '.join(c.not_retested)}" if c.not_retested else "")
            )
    click.echo(guard_output(config, audience, "\n".join(out), "controls"))
