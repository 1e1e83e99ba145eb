"""The incident library as readers see it: entries, indexes, tracker, metrics, incident pages.

Everything here is plain data and HTML strings; it knows nothing of MkDocs. The site door
(`postmortem_kb.mkdocs`) turns these into generated pages and page metadata. Links are made
by a `Link` the door passes in: it maps a file's path in the docs folder (`2026/PM-….md`,
`library/types.md`) to an href relative to the page being written.

Generated pages are Markdown with slots (`<!--pmkb-slot:N-->`) for their large HTML parts:
headings stay Markdown (so they reach the table of contents), while tables of hundreds of
rows skip the Markdown parser, which would otherwise dominate the build time.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date
from html import escape
from typing import Any

from . import charts
from .config import Config
from .metrics import DURATION_NAMES, Stats, format_hours, hours_between, in_scope, today_utc
from .model import SEVERITIES, STATUSES, Postmortem
from .templates import Template

Link = Callable[[str], str]

FOLDER = "library"
HOME = "index.md"
MARKER = "<!-- postmortems:library -->"
SLOT = "<!--pmkb-slot:{}-->"
RELATED_MAX = 5

# dimension -> (page file, page title, nav title)
INDEXES: dict[str, tuple[str, str, str]] = {
    "type": (f"{FOLDER}/types.md", "Incidents by type", "By type"),
    "quarter": (f"{FOLDER}/quarters.md", "Incidents by quarter", "By quarter"),
    "severity": (f"{FOLDER}/severities.md", "Incidents by severity", "By severity"),
    "service": (f"{FOLDER}/services.md", "Incidents by service", "By service"),
    "tag": (f"{FOLDER}/tags.md", "Incidents by tag", "By tag"),
}
TRACKER = f"{FOLDER}/actions.md"
METRICS = f"{FOLDER}/metrics.md"
SEARCH = f"{FOLDER}/search.md"
PAGEFIND_FOLDER = "pagefind"

BLAMELESS_NOTE = (
    "This post-mortem is blameless: it describes what the systems, processes and conditions "
    "allowed, not whose fault it was. People acted on what they knew at the time; the record "
    "exists so the next responder knows more."
)
BANNERS = {
    "draft": (
        "Draft",
        "This post-mortem is a draft: facts and findings may still change. "
        "Drafts are shown only in previews and in builds that ask for them.",
    ),
    "in-review": (
        "In review",
        "This post-mortem is being reviewed: findings and action items may still change.",
    ),
}


# --- the entries ---------------------------------------------------------------------


@dataclass(frozen=True)
class Completeness:
    """How much of its template a post-mortem has filled in."""

    sections_done: int
    sections_total: int
    items_done: int
    items_total: int

    @property
    def done(self) -> int:
        return self.sections_done + self.items_done

    @property
    def total(self) -> int:
        return self.sections_total + self.items_total

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 100


def completeness(pm: Postmortem, template: Template | None) -> Completeness:
    """Template sections present with content, and checklist items resolved."""
    have = {s.key for s in pm.sections if s.has_content}
    keys = template.keys if template else tuple(s.key for s in pm.sections)
    return Completeness(
        sum(k in have for k in keys),
        len(keys),
        sum(i.resolved for i in pm.checklist),
        len(pm.checklist),
    )


@dataclass(frozen=True)
class Entry:
    """A post-mortem as the library lists it."""

    pm: Postmortem
    uri: str  # the file's path inside the docs folder
    type_name: str
    completeness: Completeness

    @property
    def date(self) -> str:
        occurred = self.pm.time("occurred_at")
        return occurred.date().isoformat() if occurred else ""


def entries(
    postmortems: Iterable[Postmortem],
    config: Config,
    template_for: Callable[[Postmortem], Template | None],
) -> list[Entry]:
    """Entries, newest first (then by id)."""
    prefix = config.docs_dir.strip("/") + "/"
    made = [
        Entry(
            pm,
            pm.path[len(prefix) :] if pm.path.startswith(prefix) else pm.path,
            config.type_name(pm.type),
            completeness(pm, template_for(pm)),
        )
        for pm in postmortems
    ]
    made.sort(key=lambda e: (e.date, e.pm.id), reverse=True)
    return made


def anchor(text: str) -> str:
    """A stable fragment id for a group heading."""
    slug = re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")
    return slug or "x"


def md_link(from_uri: str, to_uri: str) -> str:
    """A Markdown link target from one docs file to another (MkDocs resolves it)."""
    return posixpath.relpath(to_uri, posixpath.dirname(from_uri) or ".")


def _md(text: str) -> str:
    """Text safe inside a Markdown heading: HTML escaped, Markdown syntax backslashed."""
    return re.sub(r"([\\`*_{}\[\]()#+!|~])", r"\\\1", escape(text, quote=False))


def _badge(kind: str, value: str, href: str | None = None, meta: str = "") -> str:
    cls = f"pm-badge pm-badge--{kind} pm-{kind}-{anchor(value)}"
    label = escape(value)
    # META names the Pagefind metadata the badge's text becomes (the header search shows it)
    extra = f' data-pagefind-meta="{meta}"' if meta else ""
    if href:
        return f'<a class="{cls}" href="{escape(href)}"{extra}>{label}</a>'
    return f'<span class="{cls}"{extra}>{label}</span>'


def _meter(c: Completeness) -> str:
    return (
        f'<meter class="pm-meter" min="0" max="{c.total}" value="{c.done}" '
        f'title="{c.sections_done}/{c.sections_total} sections, '
        f'{c.items_done}/{c.items_total} checklist items"></meter> {c.percent}%'
    )


# --- the home table ------------------------------------------------------------------


HOME_COLUMNS = ("ID", "Title", "Date", "Quarter", "Type", "Severity", "Status", "Services")
HOME_FIRST = 50  # rows in the home page's HTML; the rest come from ENTRIES_JSON on demand
ENTRIES_JSON = f"{FOLDER}/entries.json"


def _library_row(e: Entry, link: Link) -> str:
    pm = e.pm
    href = escape(link(e.uri))
    return (
        f'<tr data-type="{escape(pm.type)}" data-severity="{escape(pm.severity)}" '
        f'data-status="{escape(pm.status)}" data-quarter="{escape(pm.quarter)}" '
        f'data-services="{escape("|".join(pm.services))}">'
        f'<td class="pm-c-id"><a href="{href}">{escape(pm.id)}</a></td>'
        f'<td class="pm-c-title"><a href="{href}">{escape(pm.title)}</a></td>'
        f'<td class="pm-c-date">{e.date}</td>'
        f'<td class="pm-c-quarter">{escape(pm.quarter)}</td>'
        f'<td class="pm-c-type" data-value="{escape(pm.type)}">{escape(e.type_name)}</td>'
        f'<td class="pm-c-severity">{_badge("severity", pm.severity)}</td>'
        f'<td class="pm-c-status" data-sort="{STATUSES.index(pm.status)}">'
        f"{_badge('status', pm.status)}</td>"
        f'<td class="pm-c-services">{escape(", ".join(pm.services))}</td></tr>'
    )


def library_table(items: Sequence[Entry], link: Link, first: int = HOME_FIRST) -> str:
    """The home page's library: the FIRST most recent post-mortems as a table (cards on a
    phone), readable without JavaScript; `library.js` adds filters, sorting and the rest
    of the library from ENTRIES_JSON when the reader asks for them. Its weight stays the
    same whatever the size of the library."""
    head = "".join(f'<th scope="col" class="pm-c-{c.lower()}">{c}</th>' for c in HOME_COLUMNS)
    rows = "".join(_library_row(e, link) for e in items[:first])
    total = len(items)
    noun = "post-mortem" if total == 1 else "post-mortems"
    browse = ", ".join(
        f'<a href="{escape(link(INDEXES[d][0]))}">{d}</a>'
        for d in ("quarter", "type", "severity", "service", "tag")
    )
    if total > first:
        count = f"The {first} most recent of {total:,} {noun}. Browse them all by {browse}."
    else:
        count = f"{total:,} {noun}"
    return (
        f'<div class="pm-library-wrap" data-search-exclude data-pagefind-ignore '
        f'data-pm-total="{total}" data-pm-entries="{escape(link(ENTRIES_JSON))}">'
        f'<p class="pm-library-count">{count}</p>'
        f'<table class="pm-library pm-sortable"><thead><tr>{head}</tr></thead><tbody>'
        + rows
        + "</tbody></table></div>"
    )


def library_json(items: Sequence[Entry], link: Link) -> str:
    """The whole library, compact, for the home page's filters and "show more": one array
    per post-mortem (see `ENTRY_FIELDS`), links relative to the site root. About 150 bytes
    a post-mortem; fetched only when the reader filters, sorts or asks for more."""
    import json

    rows = [
        [
            e.pm.id,
            e.pm.title,
            e.date,
            e.pm.quarter,
            e.pm.type,
            e.type_name,
            e.pm.severity,
            e.pm.status,
            list(e.pm.services),
            link(e.uri),
        ]
        for e in items
    ]
    return json.dumps(
        {"fields": ENTRY_FIELDS, "entries": rows}, ensure_ascii=False, separators=(",", ":")
    )


ENTRY_FIELDS = [
    "id",
    "title",
    "date",
    "quarter",
    "type",
    "type_name",
    "severity",
    "status",
    "services",
    "href",
]


def home_markdown(markdown: str | None, table_slot: str) -> str:
    """The home page: the knowledge base's own index.md with the table at the marker (or
    at the end), or a page of its own when there is none."""
    if markdown is None:
        return f"# Incident library\n\n{table_slot}\n"
    if MARKER in markdown:
        return markdown.replace(MARKER, f"\n\n{table_slot}\n\n", 1)
    return f"{markdown.rstrip()}\n\n{table_slot}\n"


# --- indexes -------------------------------------------------------------------------


def groups(items: Sequence[Entry], dimension: str, config: Config) -> list[tuple[str, list[Entry]]]:
    """(label, entries) per value of DIMENSION, in the order a reader expects."""
    found: dict[str, list[Entry]] = {}
    for e in items:
        pm = e.pm
        if dimension == "type":
            keys = [pm.type or "unknown"]
        elif dimension == "quarter":
            keys = [pm.quarter or "unknown"]
        elif dimension == "severity":
            keys = [pm.severity or "unknown"]
        elif dimension == "service":
            keys = list(dict.fromkeys(pm.services))
        else:
            keys = list(dict.fromkeys(pm.tags))
        for key in keys:
            found.setdefault(key, []).append(e)
    if dimension == "type":
        order = {t: i for i, t in enumerate(config.types)}
        keys = sorted(found, key=lambda k: (order.get(k, len(order)), k))
        return [(config.type_name(k), found[k]) for k in keys]
    if dimension == "quarter":
        return [(k, found[k]) for k in sorted(found, reverse=True)]
    if dimension == "severity":
        order = {s: i for i, s in enumerate(SEVERITIES)}
        return [(k, found[k]) for k in sorted(found, key=lambda k: (order.get(k, 9), k))]
    return [(k, found[k]) for k in sorted(found, key=lambda k: (k.casefold(), k))]


def group_key(dimension: str, value: str, config: Config) -> str:
    """The heading label a value is listed under (types are shown by name)."""
    return config.type_name(value) if dimension == "type" else value


def entry_list(items: Sequence[Entry], link: Link) -> str:
    lines = []
    for e in items:
        pm = e.pm
        lines.append(
            f'<li><a href="{escape(link(e.uri))}">{escape(pm.id)}</a> '
            f'{escape(pm.title)} <span class="pm-dim">{e.date} · '
            f"{escape(pm.severity)} · {escape(pm.status)}</span></li>"
        )
    return '<ul class="pm-index-list">' + "".join(lines) + "</ul>"


@dataclass
class GeneratedPage:
    """Markdown for one generated page plus the HTML for its slots."""

    uri: str
    markdown: str
    slots: dict[str, str] = field(default_factory=dict)

    def slot(self, html: str) -> str:
        key = SLOT.format(len(self.slots))
        self.slots[key] = html
        return key


FRONT = "---\nsearch:\n  exclude: true\nhide:\n  - navigation\n---\n\n"


def index_page(items: Sequence[Entry], dimension: str, config: Config, link: Link) -> GeneratedPage:
    uri, title, _ = INDEXES[dimension]
    page = GeneratedPage(uri, "")
    found = groups(items, dimension, config)
    parts = [FRONT, f"# {title}\n\n"]
    if not found:
        parts.append("No post-mortems to list yet.\n")
    others = [f"[{t}]({md_link(uri, u)})" for d, (u, t, _) in INDEXES.items() if d != dimension]
    parts.append("See also: " + " · ".join(others) + ".\n\n")
    seen: set[str] = set()
    for label, members in found:
        ident = anchor(label)
        while ident in seen:
            ident += "-x"
        seen.add(ident)
        parts.append(
            f"## {_md(label)} ({len(members)}) {{ #{ident} }}\n\n"
            f"{page.slot(entry_list(members, link))}\n\n"
        )
    page.markdown = "".join(parts)
    return page


def index_link(dimension: str, value: str, config: Config, link: Link) -> str:
    label = group_key(dimension, value, config)
    return f"{link(INDEXES[dimension][0])}#{anchor(label)}"


def search_page(link: Link, form_slot: str) -> str:
    """The search page of a site searched with Pagefind: a chunked static index, so a
    reader downloads a few hundred kilobytes before the first result, whatever the size of
    the library (Material's single index grows with it; see BENCHMARKS.md). FORM_SLOT holds
    `search_form`: search.js answers in the page and keeps the query and the filters in the
    page's address."""
    return (
        "---\nsearch:\n  exclude: true\nhide:\n  - navigation\n  - toc\n---\n\n"
        f"# Search\n\n{form_slot}\n\n"
        "Search needs JavaScript; without it, use the [library]("
        + md_link(SEARCH, HOME)
        + ") and its indexes.\n{ .pm-noscript }\n"
    )


def search_form(link: Link, filters: str) -> str:
    """The full results page's form: the query, the FILTERS' fields, where results go.
    (`data-bundle` and `data-home` stay for the library.js of older knowledge bases.)"""
    bundle = escape(link(f"{PAGEFIND_FOLDER}/pagefind-ui.js"))
    home = escape(link(HOME))
    here = escape(link(SEARCH))
    return (
        f'<div id="pm-search" class="pm-search" data-bundle="{bundle}" data-home="{home}">'
        f'<form class="pm-search-form" role="search" action="{here}" method="get">'
        '<label class="pm-search-form__query">Search the incident library '
        '<input type="search" name="q" autocomplete="off"></label>'
        f'<fieldset class="pm-filters"><legend>Filters</legend>{filters}</fieldset>'
        '<button type="submit" class="md-button pm-search-form__go">Search</button></form>'
        '<p class="pm-search-status" role="status"></p>'
        '<ol class="pm-results" aria-label="Results"></ol>'
        '<button type="button" class="md-button pm-more" hidden>Show more</button></div>'
    )


# --- the action tracker --------------------------------------------------------------


def _action_table(
    rows: Sequence[Any], link: Link, uri_of: Mapping[str, str], show_owner: bool
) -> str:
    head = ["Due", "Action", *(["Owner"] if show_owner else []), "Status", "Post-mortem"]
    out = []
    for r in rows:
        due = r.due.isoformat() if r.due else escape(r.raw_due or "no date")
        late = overdue_html(r.days_overdue) if r.overdue else ""
        uri = uri_of.get(r.postmortem_path, "")
        pm_link = (
            f'<a href="{escape(link(uri))}">{escape(r.postmortem)}</a>'
            if uri
            else escape(r.postmortem)
        )
        cells = [
            f"{due}{late}",
            f"{escape(r.id)} {escape(r.action)}",
            *([escape(r.owner)] if show_owner else []),
            _badge("action", r.status),
            f'{pm_link} <span class="pm-dim">{escape(r.postmortem_title)}</span>',
        ]
        cls = ' class="pm-row-overdue"' if r.overdue else ""
        out.append(f"<tr{cls}>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return (
        '<table class="pm-actions pm-sortable"><thead><tr>'
        + "".join(f'<th scope="col">{h}</th>' for h in head)
        + "</tr></thead><tbody>"
        + "".join(out)
        + "</tbody></table>"
    )


def tracker_page(
    open_rows: Sequence[Any],
    overdue_rows: Sequence[Any],
    as_of: date,
    uri_of: Mapping[str, str],
    link: Link,
) -> GeneratedPage:
    """Open and overdue action items across post-mortems, by owner and due date.

    The rows come from `metrics.action_rows`, the same function as `postmortem actions`.
    """
    page = GeneratedPage(TRACKER, "")
    parts = [
        FRONT,
        "# Action tracker\n\n",
        f"Open action items (open or in progress) as of {as_of.isoformat()}: "
        f"{len(open_rows)}, of which {len(overdue_rows)} overdue. The same list as "
        f"`postmortem actions --status open`.\n\n",
        f"## Overdue ({len(overdue_rows)}) {{ #overdue }}\n\n",
    ]
    if overdue_rows:
        parts.append(page.slot(_action_table(overdue_rows, link, uri_of, True)) + "\n\n")
    else:
        parts.append("No action item is overdue.\n\n")
    owners: dict[str, list[Any]] = {}
    for row in open_rows:
        owners.setdefault(row.owner or "(no owner)", []).append(row)
    parts.append(f"## Open by owner ({len(owners)}) {{ #by-owner }}\n\n")
    if not owners:
        parts.append("No open action items.\n\n")
    seen: set[str] = {"overdue", "by-owner"}
    for owner in sorted(owners, key=lambda o: (o.casefold(), o)):
        ident = "owner-" + anchor(owner)
        while ident in seen:
            ident += "-x"
        seen.add(ident)
        rows = owners[owner]
        parts.append(
            f"### {_md(owner)} ({len(rows)}) {{ #{ident} }}\n\n"
            f"{page.slot(_action_table(rows, link, uri_of, False))}\n\n"
        )
    page.markdown = "".join(parts)
    return page


# --- metrics -------------------------------------------------------------------------


def cross_counts(
    postmortems: Iterable[Postmortem], attribute: str, include_drafts: bool = False
) -> dict[str, dict[str, int]]:
    """quarter -> value of ATTRIBUTE (type or severity) -> count, over the same post-mortems
    `metrics.compute_stats` counts (its `in_scope`)."""
    table: dict[str, dict[str, int]] = {}
    for pm in in_scope(postmortems, include_drafts):
        row = table.setdefault(pm.quarter or "unknown", {})
        value = getattr(pm, attribute) or "unknown"
        row[value] = row.get(value, 0) + 1
    return dict(sorted(table.items()))


def _table(head: Sequence[str], rows: Iterable[Sequence[Any]], cls: str = "pm-figures") -> str:
    return (
        f'<table class="{cls}"><thead><tr>'
        + "".join(f'<th scope="col">{escape(str(h))}</th>' for h in head)
        + "</tr></thead><tbody>"
        + "".join(
            "<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in row) + "</tr>" for row in rows
        )
        + "</tbody></table>"
    )


def _figure(svg: str, table: str) -> str:
    # The table scrolls inside its own box when it is wider than the screen: a keyboard
    # must reach that box too (a focusable, named region).
    return (
        f'<div class="pm-figure"><div class="pm-figure-chart" tabindex="0" role="region" '
        f'aria-label="The chart">{svg}</div>'
        f'<div class="pm-figure-table" tabindex="0" role="region" '
        f'aria-label="The figures in a table">{table}</div></div>'
    )


def quarter_range(quarters: Iterable[str]) -> list[str]:
    """Every quarter from the first to the last given (a quiet quarter is a zero, not a
    gap); anything not shaped like 2026-Q3 is kept at the end."""
    known = sorted(q for q in quarters if re.fullmatch(r"\d{4}-Q[1-4]", q))
    other = sorted(q for q in quarters if not re.fullmatch(r"\d{4}-Q[1-4]", q))
    if not known:
        return other
    year, q = int(known[0][:4]), int(known[0][-1])
    last = (int(known[-1][:4]), int(known[-1][-1]))
    every = []
    while (year, q) <= last:
        every.append(f"{year}-Q{q}")
        year, q = (year + 1, 1) if q == 4 else (year, q + 1)
    return every + other


def _quarter_figure(
    cross: dict[str, dict[str, int]], values: Sequence[str], names: Mapping[str, str], title: str
) -> str:
    quarters = quarter_range(cross)
    cross = {q: cross.get(q, {}) for q in quarters}
    series = [(names.get(v, v), [cross[q].get(v, 0) for q in quarters]) for v in values]
    svg = charts.stacked_bars(quarters, series, title)
    rows = [[q, *[cross[q].get(v, 0) for v in values], sum(cross[q].values())] for q in quarters]
    return _figure(svg, _table(["Quarter", *[names.get(v, v) for v in values], "Total"], rows))


def metrics_page(
    stats: Stats,
    by_type: dict[str, dict[str, int]],
    by_severity: dict[str, dict[str, int]],
    config: Config,
    link: Link,
) -> GeneratedPage:
    """Figures from `metrics.compute_stats` (the same as `postmortem stats`) as charts, each
    with its numbers in a table beside it."""
    page = GeneratedPage(METRICS, "")
    parts = [
        FRONT,
        "# Metrics\n\n",
        f"{stats.count} post-mortem{'' if stats.count == 1 else 's'} counted (in review, "
        "published or archived). Durations are medians and spreads, never means: one "
        "long incident would distort a mean. The same figures as `postmortem stats`.\n\n",
    ]
    if not stats.count:
        parts.append("No post-mortems to count yet.\n")
        page.markdown = "".join(parts)
        return page

    types = [t for t in config.types if t in stats.by_type] + [
        t for t in stats.by_type if t not in config.types
    ]
    parts.append("## Incidents per quarter by type { #by-type }\n\n")
    parts.append(
        page.slot(
            _quarter_figure(
                by_type,
                types,
                {t: config.type_name(t) for t in types},
                "Incidents per quarter by type",
            )
        )
        + "\n\n"
    )
    severities = list(stats.by_severity)
    parts.append("## Incidents per quarter by severity { #by-severity }\n\n")
    parts.append(
        page.slot(_quarter_figure(by_severity, severities, {}, "Incidents per quarter by severity"))
        + "\n\n"
    )

    parts.append(
        "## Time to detect, contain and resolve { #durations }\n\n"
        "Detect: occurred to detected. Contain: detected to contained. Resolve: "
        "detected to resolved. Each dot is one incident (log scale); the box spans "
        "the middle half, the bar marks the median.\n\n"
    )
    spreads = list(stats.spreads.values())
    svg = charts.distributions(
        [(DURATION_NAMES[s.name].capitalize(), s.values) for s in spreads],
        "Time to detect, contain and resolve",
    )
    rows = []
    for s in spreads:
        q = s.quartiles
        rows.append(
            [
                DURATION_NAMES[s.name].capitalize(),
                len(s.values),
                format_hours(s.median),
                format_hours(q[0]) if q else "n/a",
                format_hours(q[2]) if q else "n/a",
                format_hours(min(s.values)) if s.values else "n/a",
                format_hours(max(s.values)) if s.values else "n/a",
            ]
        )
    parts.append(
        page.slot(
            _figure(
                svg,
                _table(["Measure", "Incidents", "Median", "Q1", "Q3", "Shortest", "Longest"], rows),
            )
        )
        + "\n\n"
    )

    parts.append("## Services with repeated incidents { #repeated-services }\n\n")
    repeated = sorted(stats.repeated_services.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    if repeated:
        shown = repeated[:25]
        svg = charts.horizontal_bars(
            [(s, len(ids)) for s, ids in shown], "Services with repeated incidents"
        )
        table_rows = [
            f'<tr><td><a href="{escape(index_link("service", s, config, link))}">'
            f"{escape(s)}</a></td><td>{len(ids)}</td><td>{escape(', '.join(ids))}"
            f"</td></tr>"
            for s, ids in repeated
        ]
        parts.append(
            page.slot(
                _figure(
                    svg,
                    '<table class="pm-figures"><thead><tr>'
                    '<th scope="col">Service</th><th scope="col">'
                    'Incidents</th><th scope="col">Post-mortems</th></tr>'
                    "</thead><tbody>" + "".join(table_rows) + "</tbody></table>",
                )
            )
            + "\n\n"
        )
    else:
        parts.append("No service has had more than one incident.\n\n")

    parts.append("## Action-item closure { #closure }\n\n")
    rate = stats.closure_rate
    rate_text = f"{rate:.0%}" if rate is not None else "n/a"
    parts.append(
        f"Closure rate (done or won't do, of all action items): **{rate_text}**, "
        f"as of {stats.as_of.isoformat()}. Open items are listed in the "
        f"[action tracker]({md_link(METRICS, TRACKER)}).\n\n"
    )
    still_open = stats.actions_open - stats.actions_overdue
    svg = charts.horizontal_bars(
        [
            ("Closed", stats.actions_closed),
            ("Open, on time", still_open),
            ("Overdue", stats.actions_overdue),
        ],
        "Action items by state",
    )
    parts.append(
        page.slot(
            _figure(
                svg,
                _table(
                    ["Action items", "Count"],
                    [
                        ["Closed", stats.actions_closed],
                        ["Open, on time", still_open],
                        ["Overdue", stats.actions_overdue],
                        ["Total", stats.actions_total],
                        ["Closure rate", rate_text],
                    ],
                ),
            )
        )
        + "\n\n"
    )
    page.markdown = "".join(parts)
    return page


# --- the incident page ---------------------------------------------------------------


def related(items: Sequence[Entry], limit: int = RELATED_MAX) -> dict[str, list[tuple[Entry, str]]]:
    """For each post-mortem id: up to LIMIT others sharing a service (most shared first)
    or else its type, newest first, with the reason."""
    by_service: dict[str, list[int]] = {}
    by_type: dict[str, list[int]] = {}
    for i, e in enumerate(items):
        for s in set(e.pm.services):
            by_service.setdefault(s, []).append(i)
        by_type.setdefault(e.pm.type, []).append(i)
    result: dict[str, list[tuple[Entry, str]]] = {}
    for i, e in enumerate(items):
        shared: dict[int, list[str]] = {}
        for s in sorted(set(e.pm.services)):
            if len(by_service[s]) > 200:
                continue  # a service on everything relates nothing
            for j in by_service[s]:
                if j != i:
                    shared.setdefault(j, []).append(s)
        chosen = sorted(shared, key=lambda j: (-len(shared[j]), j))[:limit]
        picks = [(items[j], "same service: " + ", ".join(shared[j])) for j in chosen]
        for j in by_type.get(e.pm.type, []):
            if len(picks) >= limit:
                break
            if j != i and j not in shared:
                picks.append((items[j], "same type"))
        result[e.pm.id] = picks
    return result


def _times(pm: Postmortem) -> str:
    labels = (
        ("occurred_at", "Occurred", None),
        ("detected_at", "Detected", ("occurred_at", "to detect")),
        ("contained_at", "Contained", ("detected_at", "to contain")),
        ("resolved_at", "Resolved", ("detected_at", "to resolve")),
    )
    cells = []
    for key, label, since in labels:
        moment = pm.time(key)
        text = moment.strftime("%Y-%m-%d %H:%M %Z").replace("UTC+00:00", "UTC") if moment else "—"
        extra = ""
        if since and moment:
            hours = hours_between(pm, since[0], key)
            if hours is not None:
                extra = f'<span class="pm-duration">{format_hours(hours)} {since[1]}</span>'
        date_meta = ' data-pagefind-meta="date[datetime]"' if key == "occurred_at" else ""
        when = (
            f'<time datetime="{moment.isoformat()}"{date_meta}>{escape(text)}</time>'
            if moment
            else f"<span>{text}</span>"
        )
        cells.append(
            f'<div class="pm-time"><span class="pm-label">{label}</span>{when}{extra}</div>'
        )
    lasted = hours_between(pm, "occurred_at", "resolved_at")
    duration = (
        f"{format_hours(lasted)}"
        if lasted is not None
        else "ongoing"
        if pm.time("occurred_at")
        else "—"
    )
    cells.append(
        '<div class="pm-time pm-time--duration"><span class="pm-label">Duration'
        f'</span><span>{duration}</span><span class="pm-duration">occurred to '
        "resolved</span></div>"
    )
    return '<div class="pm-times">' + "".join(cells) + "</div>"


FOLLOW_UPS = "pm-follow-ups"  # the anchor of the action items on an incident page


@dataclass(frozen=True)
class FollowUps:
    """The state of a post-mortem's action items on a given day."""

    open: int
    overdue: int
    done: int
    wont_do: int

    @property
    def total(self) -> int:
        return self.open + self.done + self.wont_do

    def text(self) -> str:
        if not self.total:
            return "none recorded"
        parts = [f"{self.open} open"]
        if self.overdue:
            parts.append(f"{self.overdue} overdue")
        parts.append(f"{self.done} done")
        if self.wont_do:
            parts.append(f"{self.wont_do} won't do")
        return ", ".join(parts)


def follow_ups(pm: Postmortem, as_of: date) -> FollowUps:
    items = [a for a in pm.actions if any((a.id, a.action, a.owner, a.raw_due, a.status))]
    return FollowUps(
        sum(a.status in ("open", "in-progress") for a in items),
        sum(a.overdue(as_of) for a in items),
        sum(a.status == "done" for a in items),
        sum(a.status == "wont-do" for a in items),
    )


def overdue_html(days: int) -> str:
    """How an overdue action item is marked, the same on the tracker and incident pages."""
    return f' <span class="pm-overdue">{days} day{"" if days == 1 else "s"} overdue</span>'


def header_html(e: Entry, config: Config, link: Link, as_of: date | None = None) -> str:
    """The incident header a responder reads first: severity, status and type; impact in
    one line; the times, durations and how long it lasted; who held which role; the
    follow-ups' state as of AS_OF (the build date); services and tags. Authoring
    completeness only while the post-mortem is being written (draft, in review)."""
    pm = e.pm
    today = as_of or today_utc()
    # No Pagefind filters (data-pagefind-filter): Pagefind writes them in a random order,
    # and the same input must give the same output, byte for byte.
    badges = [
        _badge(
            "severity", pm.severity, index_link("severity", pm.severity, config, link), "severity"
        ),
        _badge("status", pm.status, meta="status"),
        _badge("type", e.type_name, index_link("type", pm.type, config, link), "type"),
        _badge("visibility", pm.visibility),
        _badge("id", pm.id, meta="pm_id"),
    ]

    def links(dimension: str, values: list[str]) -> str:
        return (
            ", ".join(
                f'<a href="{escape(index_link(dimension, v, config, link))}">{escape(v)}</a>'
                for v in values
            )
            or "—"
        )

    impact = (
        f'<p class="pm-impact"><strong>Impact:</strong> {escape(pm.impact)}</p>'
        if pm.impact
        else ""
    )
    facts = [(role, escape(", ".join(names))) for role, names in pm.roles]
    facts.append(("Owner", escape(pm.owner) or "—"))
    state = follow_ups(pm, today)
    text = escape(state.text())
    if state.overdue:
        text = text.replace(
            f"{state.overdue} overdue",
            f'<span class="pm-overdue">{state.overdue} overdue</span>',
            1,
        )
    facts.append(("Follow-ups", f'<a href="#{FOLLOW_UPS}">{text}</a>' if state.total else text))
    facts.append(("Services", links("service", pm.services)))
    facts.append(("Tags", links("tag", pm.tags)))
    if pm.status in ("draft", "in-review"):
        c = e.completeness
        facts.append(
            (
                "Complete",
                f'{_meter(c)} <span class="pm-dim">{c.sections_done} of '
                f"{c.sections_total} sections, {c.items_done} of {c.items_total} "
                "checklist items</span>",
            )
        )
    # Pagefind: the header's words are not indexed (a hit's excerpt comes from the text),
    # but its badges and times still give each hit its metadata.
    return (
        '<div class="pm-header" data-pagefind-ignore>'
        f'<p class="pm-badges">{" ".join(badges)}</p>{impact}{_times(pm)}'
        '<dl class="pm-facts">'
        + "".join(f"<dt>{escape(label)}</dt><dd>{value}</dd>" for label, value in facts)
        + "</dl></div>"
    )


def contents_html(headings: Sequence[tuple[str, str]]) -> str:
    """The incident page's table of contents inside the page, for narrow screens where
    Material's sidebar is hidden (incident pages are not in the nav, so its drawer has no
    table of contents for them). HEADINGS: (title, href) of the H2 sections."""
    if not headings:
        return ""
    items = "".join(
        f'<li><a href="{escape(href)}">{escape(title)}</a></li>' for title, href in headings
    )
    return (
        f'<details class="pm-contents" data-pagefind-ignore><summary>Contents</summary>'
        f"<ol>{items}</ol>"
        "</details>"
    )


def banner_html(pm: Postmortem) -> str:
    if pm.status not in BANNERS:
        return ""
    title, text = BANNERS[pm.status]
    return (
        f'<div class="admonition warning pm-banner pm-banner--{pm.status}">'
        f'<p class="admonition-title">{title}</p><p>{text}</p></div>'
    )


GUIDE = "guide/index.md"  # the blameless-writing guide `postmortem init` ships


def footer_html(
    e: Entry, picks: Sequence[tuple[Entry, str]], history: Any, link: Link, guide: bool = False
) -> str:
    parts = []
    if picks:
        items = "".join(
            f'<li><a href="{escape(link(r.uri))}">{escape(r.pm.id)}</a> '
            f'{escape(r.pm.title)} <span class="pm-dim">{escape(why)}</span></li>'
            for r, why in picks
        )
        parts.append(f'<h2 id="related-incidents">Related incidents</h2><ul>{items}</ul>')
    if history is not None:
        parts.append(history_html(history))
    how = (
        f' <a href="{escape(link(GUIDE))}">How to write a blameless post-mortem</a>.'
        if guide
        else ""
    )
    parts.append(f'<aside class="pm-blameless"><p>{escape(BLAMELESS_NOTE)}{how}</p></aside>')
    return '<div class="pm-footer">' + "".join(parts) + "</div>"


def history_html(history: Any) -> str:
    """The git history from `core.history` (a `git.FileHistory`): first committed, last
    changed, contributors, reviewers and approvers."""

    def get(name: str) -> Any:
        return getattr(history, name, None)

    def when(moment: Any, who: Any) -> str:
        text = (
            moment.astimezone(UTC).strftime("%Y-%m-%d")
            if hasattr(moment, "astimezone")
            else str(moment)
        )
        return f"{text} by {who}" if who else text

    rows = []
    if get("first_commit"):
        rows.append(("First committed", when(get("first_commit"), get("first_author"))))
    if get("last_commit"):
        rows.append(("Last changed", when(get("last_commit"), get("last_author"))))
    for label, name in (
        ("Contributors", "authors"),
        ("Reviewers", "reviewers"),
        ("Approvers", "approvers"),
    ):
        if get(name):
            rows.append((label, ", ".join(str(p) for p in get(name))))
    if get("commits"):
        rows.append(("Commits", str(get("commits"))))
    if not rows:
        return ""
    items = "".join(f"<dt>{label}</dt><dd>{escape(text)}</dd>" for label, text in rows)
    return f'<h2 id="history">History</h2><dl class="pm-facts pm-history">{items}</dl>'


TIMELINE_MARK = "<!--pmkb-timeline-->"
_CHECKBOX = re.compile(r'<input type="checkbox"([^>]*?)\s*/?>')


def label_checkboxes(html: str) -> str:
    """Give every checklist box (pymdownx.tasklist) an accessible name: its label holds
    only a picture of a box, and screen readers would announce an unnamed checkbox."""
    if 'type="checkbox"' not in html:
        return html

    def labelled(match: re.Match[str]) -> str:
        attributes = match.group(1)
        if "aria-label" in attributes:
            return match.group(0)
        name = "Done" if re.search(r"\bchecked\b", attributes) else "Not done"
        return f'<input type="checkbox"{attributes} aria-label="{name}">'

    return _CHECKBOX.sub(labelled, html)


def _mark_table(html: str, mark: str, cls: str) -> str:
    at = html.find(mark)
    if at < 0:
        return html
    table = html.find("<table>", at)
    if table < 0:
        return html
    return html[:table] + f'<table class="{cls}">' + html[table + len("<table>") :]


def mark_timeline(html: str) -> str:
    """Give the timeline's table (the first table after its mark) its class, and the
    action items' table (after the follow-ups anchor) its own: cards on a phone."""
    html = _mark_table(html, TIMELINE_MARK, "pm-timeline")
    return _mark_table(html, f'<div id="{FOLLOW_UPS}"></div>', "pm-action-items")


_CELL_SPLIT = re.compile(r"(?<!\\)\|")


def _mark_overdue_row(line: str, days: int) -> str:
    """The table row LINE with the overdue mark after its Due cell (the fourth)."""
    cells = _CELL_SPLIT.split(line)
    first = 1 if line.lstrip().startswith("|") else 0
    due = first + 3
    if len(cells) <= due:
        return line
    cells[due] = cells[due].rstrip() + overdue_html(days) + " "
    return "|".join(cells)


def incident_markdown(
    pm: Postmortem, audience: str, hidden: set[str], as_of: date | None = None
) -> str:
    """The body of a post-mortem as its page renders it: the timeline table wrapped so it
    shows as a timeline, overdue action items marked as of AS_OF (as on the tracker), an
    anchor before the action items, blocks above the audience cut, hidden post-mortems
    withheld."""
    from .audience import cut_marked_blocks, unlink_evidence, withhold

    lines = pm.text.split("\n")
    body_start = pm.body_line - 1
    for section in pm.sections:
        if section.key == "timeline":
            table = next((t for t in section.tables if t.rows), None)
            if table is not None:
                lines[table.line - 1] = f"{TIMELINE_MARK}\n\n{lines[table.line - 1]}"
            break
    if as_of is not None:
        for item in pm.actions:
            if item.overdue(as_of) and item.due and 0 < item.line <= len(lines):
                lines[item.line - 1] = _mark_overdue_row(
                    lines[item.line - 1], (as_of - item.due).days
                )
    if pm.actions:
        first = min(a.line for a in pm.actions)
        head = next(
            (
                t.line
                for s in pm.sections
                for t in s.tables
                if t.line <= first and any(r[0] == first for r in t.rows)
            ),
            0,
        )
        if 0 < head <= len(lines):
            lines[head - 1] = f'\n<div id="{FOLLOW_UPS}"></div>\n\n{lines[head - 1]}'
    body = "\n".join(lines[body_start:])
    return unlink_evidence(withhold(cut_marked_blocks(body, audience), hidden))
