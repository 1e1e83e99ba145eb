"""Audit exports and the quarterly report, and the plain renderers they share with the
follow-through commands (CSV, Markdown and text tables).

Which post-mortems an export holds: those `metrics.in_scope` counts, filtered by audience: a
post-mortem is visible to an audience when its visibility ranks no higher (public < internal
< restricted).
"""

from __future__ import annotations

import csv
import html
import io
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from json.encoder import encode_basestring as _encode_string
from typing import Any

from .audience import audience_views, hidden_ids, may_see
from .config import Config
from .controls import ControlRollup, rollup
from .knowledge_base import template_for
from .metrics import (
    DURATION_NAMES,
    DURATIONS,
    ActionRow,
    Stats,
    action_rows,
    compute_stats,
    counted,
    format_hours,
    hours_between,
    in_scope,
    quarter_bounds,
    today_utc,
)
from .model import TIME_KEYS, VISIBILITIES, Postmortem
from .rules import check_postmortem
from .templates import Template

# --- renderers ---------------------------------------------------------------------------

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> str:
    """A CSV cell that a spreadsheet will not run as a formula (OWASP CSV injection)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
    return out.getvalue()


def markdown_cell(value: Any) -> str:
    """Table-cell text that cannot break the table or inject HTML into a job summary."""
    if value is None:
        return ""
    text = str(value).replace("\r", " ").replace("\n", " ")
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|")


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(markdown_cell(h) for h in header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(markdown_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def text_table(header: Sequence[str], rows: Iterable[Sequence[Any]], wrap: int = 60) -> str:
    """Aligned columns for a terminal; long cells are cut with an ellipsis."""
    return "".join(text_table_pieces(header, rows, wrap))


def text_table_pieces(
    header: Sequence[str], rows: Iterable[Sequence[Any]], wrap: int = 60, lines: int = 2000
) -> Iterator[str]:
    """`text_table` a few thousand LINES at a time (joined, the same text), for an output
    scanned and written as it is made rather than held whole (`actions`: 40,000 rows).
    Made a column at a time: a cell already on one line with single spaces is the value
    itself, not a copy, and the columns none of whose cells needs more are not looked at
    cell by cell (280,000 cells were 280,000 calls)."""
    body = [list(row) for row in rows]
    columns = [_table_column([r[i] for r in body], wrap) for i in range(len(header))]
    widths = [max([len(h), *map(len, c)]) for h, c in zip(header, columns, strict=True)]
    yield "\n".join(
        (
            "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip(),
            "  ".join("-" * w for w in widths),
        )
    )
    padded = [[t.ljust(w) for t in c] for c, w in zip(columns[:-1], widths, strict=False)]
    padded.append(columns[-1])  # (the last is not padded: each line is stripped on the right)
    cells = list(zip(*padded, strict=True))
    for start in range(0, len(cells), lines):
        yield "".join("\n" + "  ".join(r).rstrip() for r in cells[start : start + lines])


def _table_column(values: list[Any], wrap: int) -> list[str]:
    """A column's VALUES on one line with single spaces each, cut at WRAP. Each is made so
    (split and joined again) only when one of them is not already: a printable text holds
    no white space but the plain space (`str.split`'s every other one is unprintable), and
    then only a run of spaces or one at an end would change."""
    texts = ["" if v is None else v if type(v) is str else str(v) for v in values]
    joined = "|".join(texts)
    if (
        not joined.isprintable()
        or "  " in joined
        or "| " in joined
        or " |" in joined
        or joined.startswith(" ")
        or joined.endswith(" ")
    ):
        texts = [" ".join(t.split()) for t in texts]
    if texts and max(map(len, texts)) > wrap:
        texts = [t if len(t) <= wrap else t[: wrap - 1] + "…" for t in texts]
    return texts


# The columns of the control catalogue, in the site's page and in `postmortem controls`.
CONTROL_COLUMNS = (
    "Control",
    "Failures",
    "Incidents",
    "Fixes",
    "Open fixes",
    "Open actions in incidents",
    "Re-tested in",
    "Not re-tested in",
)


def controls_markdown(
    rollups: Sequence[ControlRollup], link: Callable[[str], str | None] | None = None
) -> str:
    """The control catalogue as a Markdown page body (the site's controls page and
    `postmortem controls --format markdown` share it). `link(pm_id)` may return a URL for
    a post-mortem the reader can open; ids without one stay plain text."""

    def ref(pm_id: str, suffix: str = "") -> str:
        url = link(pm_id) if link else None
        text = markdown_cell(pm_id + suffix)
        return f"[{text}]({url})" if url else text

    if not rollups:
        return "No post-mortem names a failed control (front matter `controls`)."
    header = CONTROL_COLUMNS
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for c in rollups:
        cells = [
            markdown_cell(c.control),
            str(c.failures),
            ", ".join(ref(i) for i in c.incidents),
            ", ".join(ref(r.postmortem, f"/{r.id}") for r in c.fixes),
            ", ".join(ref(r.postmortem, f"/{r.id}") for r in c.open_fixes),
            ", ".join(ref(r.postmortem, f"/{r.id}") for r in c.open_in_incidents),
            ", ".join(ref(i) for i in c.retested_in),
            ", ".join(ref(i) for i in c.not_retested),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


# --- audience ----------------------------------------------------------------------------


def visible_to(postmortems: Iterable[Postmortem], audience: str) -> list[Postmortem]:
    """Post-mortems whose visibility ranks no higher than the audience's (the site's rule,
    `audience.may_see`), each as the audience sees it: blocks above it cut, the ids of the
    others withheld (`audience.audience_view`)."""
    if audience not in VISIBILITIES:
        raise ValueError(f"audience must be one of {', '.join(VISIBILITIES)}")
    every = list(postmortems)
    shown = [pm for pm in every if may_see(audience, pm.visibility)]
    return audience_views(shown, audience, hidden_ids(every, shown))


# --- completeness ------------------------------------------------------------------------


@dataclass(frozen=True)
class Completeness:
    sections_total: int
    sections_with_content: int
    checklist_total: int
    checklist_resolved: int
    errors: int  # what its own status demands and it lacks
    warnings: int

    @property
    def percent(self) -> int:
        total = self.sections_total + self.checklist_total
        done = self.sections_with_content + self.checklist_resolved
        return round(100 * done / total) if total else 100

    def as_dict(self) -> dict[str, Any]:
        return {
            "percent": self.percent,
            "sections": self.sections_with_content,
            "sections_total": self.sections_total,
            "checklist_resolved": self.checklist_resolved,
            "checklist_total": self.checklist_total,
            "errors": self.errors,
            "warnings": self.warnings,
        }


def completeness(pm: Postmortem, config: Config, template: Template | None) -> Completeness:
    """How much of its template a post-mortem fills: sections with content and resolved
    checklist items, plus the checker's findings for its own status."""
    findings = check_postmortem(pm, config, template)
    if template is None:
        sections_total = len(pm.sections)
        with_content = sum(s.has_content for s in pm.sections)
    else:
        keys = set(template.keys)
        sections_total = len(keys)
        with_content = len({s.key for s in pm.sections if s.key in keys and s.has_content})
    return Completeness(
        sections_total,
        with_content,
        len(pm.checklist),
        sum(i.resolved for i in pm.checklist),
        sum(f.severity == "error" for f in findings),
        sum(f.severity == "warning" for f in findings),
    )


# --- export ------------------------------------------------------------------------------

EXPORT_COLUMNS = (
    "id",
    "title",
    "path",
    "status",
    "visibility",
    "type",
    "severity",
    "owner",
    "quarter",
    *TIME_KEYS,
    "ttd_hours",
    "ttc_hours",
    "ttr_hours",
    "services",
    "tags",
    "controls",
    "completeness_percent",
    "errors",
    "actions_total",
    "actions_open",
    "actions_overdue",
)


def _iso(pm: Postmortem, key: str) -> str | None:
    moment = pm.time(key)
    return moment.isoformat() if moment else None


def _hours(pm: Postmortem, name: str) -> float | None:
    value = hours_between(pm, *DURATIONS[name])
    return None if value is None else round(value, 4)


def export_records(
    config: Config,
    postmortems: Iterable[Postmortem],
    audience: str,
    as_of: date,
    include_drafts: bool = False,
) -> list[dict[str, Any]]:
    """One record per post-mortem the audience may see: metadata, durations, completeness
    and action items."""
    return records_of_views(config, visible_to(postmortems, audience), as_of, include_drafts)


def records_of_views(
    config: Config,
    views: Iterable[Postmortem],
    as_of: date,
    include_drafts: bool = False,
    completeness_of: Callable[[Postmortem], Completeness] | None = None,
) -> list[dict[str, Any]]:
    """`export_records` of what an audience sees (`visible_to`, or `core.records`' compact
    views with COMPLETENESS_OF giving each one's, computed while it was read)."""
    return list(iter_records(config, views, as_of, include_drafts, completeness_of))


def iter_records(
    config: Config,
    views: Iterable[Postmortem],
    as_of: date,
    include_drafts: bool = False,
    completeness_of: Callable[[Postmortem], Completeness] | None = None,
) -> Iterator[dict[str, Any]]:
    """`records_of_views` one record at a time, for an export written as it is made."""
    for pm in in_scope(views, include_drafts):
        found = (
            completeness_of(pm)
            if completeness_of
            else completeness(pm, config, template_for(config, pm))
        )
        yield export_record(pm, as_of, found)


def export_record(pm: Postmortem, as_of: date, found: Completeness) -> dict[str, Any]:
    """PM's record in an export (FOUND: its completeness)."""
    rows = action_rows([pm], status="all", as_of=as_of, include_drafts=True)
    return {
        "id": pm.id,
        "title": pm.title,
        "path": pm.path,
        "status": pm.status,
        "visibility": pm.visibility,
        "type": pm.type,
        "severity": pm.severity,
        "owner": pm.owner,
        "quarter": pm.quarter,
        **{key: _iso(pm, key) for key in TIME_KEYS},
        "ttd_hours": _hours(pm, "mttd"),
        "ttc_hours": _hours(pm, "mttc"),
        "ttr_hours": _hours(pm, "mttr"),
        "services": pm.services,
        "tags": pm.tags,
        "controls": pm.controls,
        "completeness": found.as_dict(),
        "actions": [{**r.as_dict(), "tracking": r.tracking} for r in rows],
    }


def export_row(record: dict[str, Any], fmt: str) -> str:
    """RECORD's text in an export of FMT: json, as it is nested in the list; csv, its row."""
    if fmt == "csv":
        return csv_text(EXPORT_COLUMNS, [_csv_row(record)]).split("\n", 1)[1]
    try:
        return _indented(record, "\n  ")
    except _NotPlain:
        return json.dumps(record, indent=2, ensure_ascii=False).replace("\n", "\n  ")


def export_pieces(rows: Iterable[str], fmt: str) -> Iterator[str]:
    """The export of FMT whose records' texts (`export_row`) are ROWS, in pieces: json,
    `json.dumps(records, indent=2, ensure_ascii=False)`; csv, the header and the rows."""
    if fmt == "csv":
        yield csv_text(EXPORT_COLUMNS, ())
        yield from rows
        return
    first = True
    for text in rows:
        yield ("[\n  " if first else ",\n  ") + text
        first = False
    yield "[]" if first else "\n]"


class ExportRowsAsRead:
    """The texts of an export's records (`export_row`), each post-mortem's made when it is
    told (`records.follow_through`'s EACH, while a worker process still reads files) and
    kept on disk till the export is written (10,000 are 25 MB). A post-mortem not told, or
    told as another object than the one asked for, has its text made when asked: the
    export is the same either way."""

    def __init__(self, fmt: str, as_of: date, include_drafts: bool = False):
        self.fmt, self.as_of, self.include_drafts = fmt, as_of, include_drafts
        self.file = tempfile.TemporaryFile()  # noqa: SIM115 - closed by `close`
        self.made: dict[str, tuple[Postmortem, int, int]] = {}
        self.size = 0

    def __call__(self, pm: Postmortem, found: Completeness | None) -> None:
        if found is None or not counted(pm, self.include_drafts):
            return
        data = export_row(export_record(pm, self.as_of, found), self.fmt).encode()
        self.file.write(data)
        self.made[pm.path] = (pm, self.size, len(data))
        self.size += len(data)

    def rows(
        self, views: Iterable[Postmortem], completeness_of: Callable[[Postmortem], Completeness]
    ) -> Iterator[str]:
        """The texts of the records of VIEWS (those in scope), in path order."""
        self.file.flush()
        handle = self.file.fileno()
        for pm in in_scope(views, self.include_drafts):
            made = self.made.get(pm.path)
            if made is not None and made[0] is pm:
                yield os.pread(handle, made[2], made[1]).decode()
            else:
                yield export_row(export_record(pm, self.as_of, completeness_of(pm)), self.fmt)

    def close(self) -> None:
        self.file.close()


def export_json_pieces(records: Iterable[dict[str, Any]]) -> Iterator[str]:
    """`json.dumps(list(RECORDS), indent=2, ensure_ascii=False)` in pieces, one a record."""
    return export_pieces((export_row(r, "json") for r in records), "json")


class _NotPlain(Exception):
    """A value `_indented` leaves to `json.dumps`."""


def _indented(value: Any, indent: str) -> str:
    """`json.dumps(VALUE, indent=2, ensure_ascii=False)` nested at INDENT (a newline and the
    spaces before the value's own line), for the plain values an export record holds:
    `json`'s encoder is pure Python once it indents, and this costs half as much (0.37 ->
    0.17 s for 10,000 records). Strings are escaped by `json`'s own C function; anything
    else (another type, a key that is not a string) raises `_NotPlain`."""
    kind = type(value)
    if kind is str:
        return _encode_string(value)
    if value is None:
        return "null"
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return int.__repr__(value)
    if kind is float:
        if value != value:
            return "NaN"
        if value in (_INFINITY, -_INFINITY):
            return "Infinity" if value > 0 else "-Infinity"
        return float.__repr__(value)
    inner = indent + "  "
    if kind is list or kind is tuple:
        if not value:
            return "[]"
        return "[" + inner + ("," + inner).join([_indented(v, inner) for v in value]) + indent + "]"
    if kind is dict:
        if not value:
            return "{}"
        parts = []
        for key, item in value.items():
            if type(key) is not str:
                raise _NotPlain
            parts.append(_encode_string(key) + ": " + _indented(item, inner))
        return "{" + inner + ("," + inner).join(parts) + indent + "}"
    raise _NotPlain


_INFINITY = float("inf")


def export_csv_pieces(records: Iterable[dict[str, Any]]) -> Iterator[str]:
    """`export_csv(list(RECORDS))` in pieces: the header, then one a record."""
    return export_pieces((export_row(r, "csv") for r in records), "csv")


def _csv_row(rec: dict[str, Any]) -> list[Any]:
    actions = rec["actions"]
    flat = {
        **rec,
        "services": "; ".join(rec["services"]),
        "tags": "; ".join(rec["tags"]),
        "controls": "; ".join(rec["controls"]),
        "completeness_percent": rec["completeness"]["percent"],
        "errors": rec["completeness"]["errors"],
        "actions_total": len(actions),
        "actions_open": sum(a["status"] in ("open", "in-progress") for a in actions),
        "actions_overdue": sum(bool(a["overdue"]) for a in actions),
    }
    return [flat[c] for c in EXPORT_COLUMNS]


def export_csv(records: Sequence[dict[str, Any]]) -> str:
    """One row per post-mortem; lists joined with `; `, action items counted."""
    return "".join(export_csv_pieces(records))


# --- the quarterly report ----------------------------------------------------------------


@dataclass(frozen=True)
class QuarterReport:
    quarter: str
    audience: str
    as_of: date
    incidents: tuple[Postmortem, ...]
    stats: Stats
    repeated_services: dict[str, tuple[str, ...]]  # service hit this quarter -> all its ids
    controls: tuple[ControlRollup, ...]  # controls that failed this quarter
    overdue: tuple[ActionRow, ...]  # across all incidents, as of `as_of`


def quarter_report(
    postmortems: Iterable[Postmortem],
    quarter: str,
    audience: str,
    as_of: date | None = None,
    include_drafts: bool = False,
) -> QuarterReport:
    """The quarter's incidents and figures; follow-through (repeats, controls, overdue
    actions) looks across every incident up to the quarter's end."""
    return quarter_report_of_views(
        visible_to(postmortems, audience), quarter, audience, as_of, include_drafts
    )


def quarter_report_of_views(
    views: Iterable[Postmortem],
    quarter: str,
    audience: str,
    as_of: date | None = None,
    include_drafts: bool = False,
) -> QuarterReport:
    """`quarter_report` of what AUDIENCE sees (`visible_to`, or `core.records`' views)."""
    first, last = quarter_bounds(quarter)
    today = as_of or min(today_utc(), last)
    visible = in_scope(views, include_drafts)
    upto = [pm for pm in visible if pm.quarter and pm.quarter <= quarter]
    incidents = [pm for pm in visible if pm.quarter == quarter]
    stats = compute_stats(incidents, include_drafts=True, as_of=today)
    hit = {s for pm in incidents for s in pm.services}
    history: dict[str, list[str]] = {}
    for pm in upto:
        for service in dict.fromkeys(pm.services):
            if service in hit:
                history.setdefault(service, []).append(pm.id)
    repeated = {s: tuple(ids) for s, ids in sorted(history.items()) if len(ids) >= 2}
    ids = {pm.id for pm in incidents}
    all_controls, _ = rollup(upto, as_of=today, include_drafts=True)
    failed = tuple(c for c in all_controls if ids & set(c.incidents))
    overdue = tuple(action_rows(upto, status="overdue", as_of=today, include_drafts=True))
    return QuarterReport(
        quarter, audience, today, tuple(incidents), stats, repeated, failed, overdue
    )


def _incident_rows(report: QuarterReport) -> list[list[str]]:
    return [
        [
            pm.id,
            pm.title,
            pm.severity,
            pm.type,
            pm.status,
            _iso(pm, "occurred_at") or "",
            format_hours(hours_between(pm, *DURATIONS["mttd"])),
            format_hours(hours_between(pm, *DURATIONS["mttc"])),
            format_hours(hours_between(pm, *DURATIONS["mttr"])),
        ]
        for pm in report.incidents
    ]


INCIDENT_HEADER = (
    "ID",
    "Title",
    "Severity",
    "Type",
    "Status",
    "Occurred",
    "Detect",
    "Contain",
    "Resolve",
)
CONTROL_HEADER = (
    "Control",
    "Failed (up to quarter end)",
    "Incidents",
    "Open fixes naming it",
    "Open actions in its incidents",
    "Not re-tested in",
)
OVERDUE_HEADER = ("Post-mortem", "Action", "What", "Owner", "Due", "Status", "Days overdue")


def _sections(report: QuarterReport) -> list[tuple[str, Any]]:
    """The report as (heading, content) where content is a list of lines or a table."""
    s = report.stats
    figures = [f"Incidents: {s.count}"]
    figures.append(
        "By severity: " + (", ".join(f"{k} {v}" for k, v in s.by_severity.items()) or "none")
    )
    figures.append("By type: " + (", ".join(f"{k} {v}" for k, v in s.by_type.items()) or "none"))
    for name, spread in s.spreads.items():
        q = spread.quartiles
        spread_text = (
            f" (quartiles {format_hours(q[0])} – {format_hours(q[2])}, "
            f"{_count(len(spread.hours), 'incident')})"
            if q
            else ""
        )
        figures.append(f"Median {DURATION_NAMES[name]}: {format_hours(spread.median)}{spread_text}")
    repeated = [
        f"{service}: {', '.join(ids)}" for service, ids in report.repeated_services.items()
    ] or ["None."]
    controls = (
        "table",
        CONTROL_HEADER,
        [
            [
                c.control,
                str(c.failures),
                ", ".join(c.incidents),
                ", ".join(f"{r.postmortem}/{r.id}" for r in c.open_fixes) or "none",
                ", ".join(f"{r.postmortem}/{r.id}" for r in c.open_in_incidents) or "none",
                ", ".join(c.not_retested) or "none",
            ]
            for c in report.controls
        ],
    )
    overdue = (
        "table",
        OVERDUE_HEADER,
        [
            [
                r.postmortem,
                r.id,
                r.action,
                r.owner,
                r.due.isoformat() if r.due else r.raw_due,
                r.status,
                str(r.days_overdue),
            ]
            for r in report.overdue
        ],
    )
    return [
        ("Figures", figures),
        ("Services with repeated incidents", repeated),
        ("Failed controls", controls if report.controls else ["None named."]),
        (
            f"Overdue action items as of {report.as_of.isoformat()}",
            overdue if report.overdue else ["None."],
        ),
        (
            "Incidents",
            ("table", INCIDENT_HEADER, _incident_rows(report))
            if report.incidents
            else ["No incidents this quarter."],
        ),
    ]


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _title(report: QuarterReport) -> str:
    return f"Post-mortem report {report.quarter}"


def _subtitle(report: QuarterReport) -> str:
    first, last = quarter_bounds(report.quarter)
    return (
        f"Incidents that occurred {first.isoformat()} to {last.isoformat()}; audience "
        f"{report.audience}; follow-through as of {report.as_of.isoformat()}."
    )


def report_markdown(report: QuarterReport) -> str:
    out = [f"# {markdown_cell(_title(report))}", "", markdown_cell(_subtitle(report)), ""]
    for heading, content in _sections(report):
        out += [f"## {markdown_cell(heading)}", ""]
        if isinstance(content, tuple):
            out.append(markdown_table(content[1], content[2]))
        else:
            out += [f"- {markdown_cell(line)}" for line in content]
        out.append("")
    return "\n".join(out)


_CSS = (
    "body{font-family:system-ui,sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem;"
    "color:#1b1b1b}table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}"
    "th,td{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}"
    "th{background:#f3f3f3}"
)


def report_html(report: QuarterReport) -> str:
    """A standalone page; every value is escaped, and nothing in it runs."""
    e = html.escape
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'\">",
        f"<title>{e(_title(report))}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        f"<h1>{e(_title(report))}</h1>",
        f"<p>{e(_subtitle(report))}</p>",
    ]
    for heading, content in _sections(report):
        out.append(f"<h2>{e(heading)}</h2>")
        if isinstance(content, tuple):
            out.append(
                "<table><thead><tr>"
                + "".join(f"<th>{e(h)}</th>" for h in content[1])
                + "</tr></thead><tbody>"
            )
            out += [
                "<tr>" + "".join(f"<td>{e(str(v))}</td>" for v in row) + "</tr>"
                for row in content[2]
            ]
            out.append("</tbody></table>")
        else:
            out.append("<ul>" + "".join(f"<li>{e(line)}</li>" for line in content) + "</ul>")
    out += ["</body>", "</html>", ""]
    return "\n".join(out)
