"""The rules: what each status demands of a post-mortem, as findings with file and line.

Every rule is declared once in `catalogue` (id, severity, the status from which it applies,
examples); `check_postmortem` applies them to one parsed file; cross-file rules (duplicate
ids) live in `knowledge_base`.
"""

from __future__ import annotations

import bisect
import os
import re
from collections.abc import Iterable, Iterator
from datetime import datetime
from functools import lru_cache

from . import blame, render_cost, sanitize, secrets
from .audience import marker_findings
from .catalogue import RULES, rule_ids_in
from .catalogue import finding as rule_finding
from .config import Config
from .model import (
    ACTION_STATUSES,
    SEVERITIES,
    STATUSES,
    TIME_KEYS,
    VISIBILITIES,
    Finding,
    Postmortem,
    Section,
    status_rank,
)
from .parse import comment_and_fence_spans, in_code_span
from .templates import DEFAULT_DUE, Template
from .times import RANGE_HINT, has_zone_problem, iso_utc, out_of_range
from .triggers import TriggerScan

KNOWN_KEYS = frozenset(
    {
        "id",
        "title",
        "type",
        "severity",
        "status",
        "visibility",
        "owner",
        *TIME_KEYS,
        "archived_at",
        "services",
        "tags",
        "template",
        "controls",
        "impact",
        "roles",
    }
)
DRAFT_KEYS = (
    "id",
    "title",
    "type",
    "severity",
    "status",
    "visibility",
    "owner",
    "occurred_at",
    "detected_at",
)
ID_PATTERN = re.compile(r"^[A-Z][A-Z0-9]*-\d{4}-\d{3,}$")
IGNORE_MARK = "postmortem-ignore"

_PLACEHOLDER_WORD = re.compile(r"\b(?:TODO|TBD|FIXME)\b")
_IGNORE = re.compile(r"<!--\s*postmortem-ignore\b(.*?)-->", re.S)


_PLACEHOLDER_TRIGGERS = ("{{", "todo", "tbd", "fixme")


@lru_cache(maxsize=16)
def _scan(blame_terms: tuple[str, ...]) -> TriggerScan:
    words = set(secrets.TRIGGERS) | set(_PLACEHOLDER_TRIGGERS)
    words.update(blame.TRIGGERS)
    for word in blame.term_triggers(blame_terms):
        words.update({word, word.replace("'", "’")})
    return TriggerScan(words)


def _triggers(pm: Postmortem, config: Config, raw: bytes | None = None) -> dict[str, list[int]]:
    """Where each trigger word occurs (lower-cased) in the file, found in one pass.

    The secret, placeholder and blame rules run their regular expressions only when one
    of their words occurs: one multi-pattern scan instead of dozens of substring scans.
    RAW: the text encoded one byte a character (`secrets.find_secrets` uses it too).
    """
    return _scan(tuple(config.blame_terms)).find(pm.text, raw)


def _line(text: str, offset: int, first_line: int = 1) -> int:
    """The line of OFFSET in TEXT. Counting from the start each time is quadratic when a
    large file has thousands of findings; past a few KB the line starts are found once
    (per text, the last few kept) and looked up."""
    if offset < 8192:
        return first_line + text.count("\n", 0, offset)
    starts = next((known for cached, known in _LINE_STARTS if cached is text), None)
    if starts is None:
        starts = [m.end() for m in _NEWLINE.finditer(text)]
        _LINE_STARTS.insert(0, (text, starts))
        del _LINE_STARTS[4:]
    return first_line + bisect.bisect_right(starts, offset)


_NEWLINE = re.compile("\n")
_LINE_STARTS: list[tuple[str, list[int]]] = []


class _Collector:
    """Findings of the rules in force (selected, not ignored, applying at the status), each
    with the severity the catalogue declares."""

    def __init__(self, pm: Postmortem, in_force: frozenset[str]):
        self.pm = pm
        self.in_force = in_force
        self.findings: list[Finding] = []

    def wants(self, *rules: str) -> bool:
        return not self.in_force.isdisjoint(rules)

    def add(self, line: int, rule: str, message: str) -> None:
        if rule in self.in_force:
            self.findings.append(Finding(self.pm.path, line, rule, RULES[rule].severity, message))


class Folders:
    """The sub-folders of each post-mortem folder, listed once in a run over many files
    (`check`): a post-mortem whose id names none of them keeps no evidence, known without a
    `stat` of its own. Names are compared case-folded, so that a file system that ignores
    case finds what `os.path.isdir` would; a folder that cannot be listed is asked about
    directly."""

    def __init__(self) -> None:
        self._names: dict[str, frozenset[str] | None] = {}

    def may_hold(self, folder: str, name: str) -> bool:
        """False only when FOLDER has no sub-folder NAME (then `isdir` would say so too)."""
        if folder not in self._names:
            try:
                with os.scandir(folder) as entries:
                    names: frozenset[str] | None = frozenset(
                        e.name.casefold() for e in entries if e.is_dir()
                    )
            except OSError:
                names = None
            self._names[folder] = names
        names = self._names[folder]
        return names is None or name.casefold() in names


def check_postmortem(
    pm: Postmortem,
    config: Config,
    template: Template | None,
    status: str | None = None,
    folders: Folders | None = None,
) -> list[Finding]:
    """Everything `status` (default: the file's own) demands that `pm` does not meet.
    FOLDERS: the listings of a run over many files (`Folders`), if there is one."""
    if status is None:
        status = pm.status  # an invalid status is reported by PM102 and checked as a draft
    rank = status_rank(status)
    out = _Collector(pm, in_force(config, status))
    raw = pm.text.encode("ascii", "replace")  # one byte a character: offsets stay
    found = _triggers(pm, config, raw)
    _front_matter(pm, config, out, rank)
    _location(pm, config, out)
    if template is None:
        name = pm.template or config.default_template
        out.add(
            pm.meta_lines.get("template", 1),
            "PM110",
            f"no template named {name!r}: use one in {config.docs_dir}/templates/ "
            "or a built-in one (security, outage)",
        )
    else:
        if out.wants("PM201", "PM202", "PM203"):
            _sections(pm, template, out, status)
        if out.wants("PM205", "PM206", "PM207"):
            _timeline(pm, out)
    if out.wants("PM204"):
        _placeholders(pm, out, found)
    if out.wants("PM301"):
        _checklist(pm, out, status, template)
    if out.wants("PM302", "PM303", "PM304"):
        _actions(pm, out, status)
    if out.wants("PM401"):
        _secrets(pm, out, found, raw)
    body_start, body = _body_of(pm)
    costly = render_cost.costly_block(pm.text, raw)
    if out.wants("PM402") and costly is None:  # rendering it is what would take minutes
        _active_html(pm, config, out, body)
    if out.wants("PM501"):
        _blame(pm, config, out, found, body_start)
    evidence = _keeps_evidence(pm, config, folders)
    if evidence and out.wants("PM602"):
        _evidence_link(pm, config, out)
    findings = out.findings
    if findings and IGNORE_MARK in pm.text:
        findings = _drop_ignored(pm, findings)
    findings += marker_findings(pm, body)  # audience markers: never silenced (audience.py)
    if costly is not None:  # never silenced either: the site cannot be built with it
        findings.append(rule_finding(pm.path, _line(pm.text, costly), "PM005", render_cost.MESSAGE))
    if evidence and out.wants("PM401"):  # evidence files: markers here do not reach them
        findings += _evidence_secrets(pm, config)
    findings.sort(key=lambda f: (f.line, f.rule))
    return findings


@lru_cache(maxsize=64)
def _in_force(enabled: frozenset[str], status: str) -> frozenset[str]:
    return frozenset(r for r in enabled if RULES[r].applies_at(status))


def in_force(config: Config, status: str) -> frozenset[str]:
    """The rules that apply to a post-mortem at STATUS under the configured select/ignore."""
    return _in_force(config.enabled_rules, status)


def _front_matter(pm: Postmortem, config: Config, out: _Collector, rank: int) -> None:
    meta, lines = pm.meta, pm.meta_lines
    required = list(DRAFT_KEYS)
    if rank >= status_rank("in-review"):
        required.append("contained_at")
    if rank >= status_rank("published"):
        required.append("resolved_at")
    for key in required:
        value = meta.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            at = REQUIRED_FROM.get(key, "in every post-mortem")
            out.add(
                lines.get(key, 1),
                "PM101",
                f"`{key}` is required {at}: add `{key}: {_example(key, config, pm)}` "
                "to the front matter",
            )
    for key in sorted(set(meta) - KNOWN_KEYS):
        out.add(
            lines.get(key, 1),
            "PM103",
            f"unknown front-matter key `{key}`: check its spelling, or remove it "
            f"(known: {', '.join(sorted(KNOWN_KEYS))})",
        )

    pm_id = meta.get("id")
    if pm_id is not None and (not isinstance(pm_id, str) or not ID_PATTERN.match(pm_id)):
        out.add(
            lines.get("id", 1),
            "PM102",
            f"id {pm_id!r} must look like {config.id_prefix}-2026-007 "
            "(prefix, year, number of at least three digits)",
        )
    _choice(
        meta,
        lines,
        out,
        "type",
        tuple(config.types),
        f"add it to `types` in mkdocs.yml or use one of: {', '.join(config.types)}",
    )
    _choice(meta, lines, out, "severity", SEVERITIES, "SEV1 (worst) to SEV4")
    _choice(meta, lines, out, "status", STATUSES, "draft, in-review, published or archived")
    _choice(meta, lines, out, "visibility", VISIBILITIES, "public, internal or restricted")
    for key in ("title", "owner", "impact"):
        value = meta.get(key)
        if value is not None and not isinstance(value, (str, int, float)):
            out.add(lines.get(key, 1), "PM102", f"`{key}` must be text")
    for key in ("services", "tags", "controls"):
        value = meta.get(key)
        if value is not None and not (
            isinstance(value, list) and all(isinstance(v, (str, int)) for v in value)
        ):
            out.add(
                lines.get(key, 1),
                "PM102",
                f"`{key}` must be a list of strings, e.g. `{key}: [auth-api]`",
            )

    if not _roles_ok(meta.get("roles")):
        out.add(
            lines.get("roles", 1),
            "PM102",
            '`roles` must list "Role: Name" strings, e.g. `roles: ["Incident commander: '
            'Dana Ruiz", "Scribe: Lee Park"]`, or map a role to a name or a list of names',
        )

    previous: tuple[str, object] | None = None
    for key in (*TIME_KEYS, "archived_at"):
        value = meta.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        moment = pm.time(key)  # parse_datetime(value), kept for PM107's look at occurred_at
        if moment is None:
            hint = (
                "add a time zone, e.g. `Z` for UTC"
                if has_zone_problem(value)
                else f"write {RANGE_HINT}"
                if out_of_range(value)
                else "write it as ISO-8601 with a zone, e.g. 2026-03-14T09:12:00Z"
            )
            out.add(lines.get(key, 1), "PM104", f"`{key}` {value!s} is not a valid time: {hint}")
            continue
        if key != "archived_at" and previous is not None and moment < previous[1]:  # type: ignore[operator]
            out.add(
                lines.get(key, 1),
                "PM105",
                f"`{key}` is before `{previous[0]}`: times must run occurred <= detected "
                "<= contained <= resolved",
            )
        if key != "archived_at":
            previous = (key, moment)


REQUIRED_FROM = {
    "contained_at": "from status `in-review` on",
    "resolved_at": "from status `published` on",
}


def _example(key: str, config: Config, pm: Postmortem) -> str:
    """A value to copy: for a missing time, the latest time the post-mortem already has."""
    if key in TIME_KEYS:
        known = [m for m in (pm.time(k) for k in TIME_KEYS) if m is not None]
        if known:
            return iso_utc(max(known))
    return {
        "id": f"{config.id_prefix}-2026-001",
        "title": "Short description",
        "type": next(iter(config.types)),
        "severity": "SEV3",
        "status": "draft",
        "visibility": "internal",
        "owner": "Security Operations",
    }.get(key, "2026-03-14T09:12:00Z")


def _roles_ok(roles: object) -> bool:
    """`roles`: absent, a list of "Role: Name" strings (or one-key mappings), or a mapping
    of role to a name or a list of names."""

    def names(value: object) -> bool:
        return (
            value is None
            or isinstance(value, (str, int))
            or (isinstance(value, list) and all(isinstance(x, (str, int)) for x in value))
        )

    def mapping(value: object) -> bool:
        return isinstance(value, dict) and all(
            isinstance(k, str) and names(v) for k, v in value.items()
        )

    if roles is None or mapping(roles):
        return True
    return isinstance(roles, list) and all(
        (isinstance(item, str) and ":" in item) or mapping(item) for item in roles
    )


def _choice(
    meta: dict[str, object],
    lines: dict[str, int],
    out: _Collector,
    key: str,
    allowed: tuple[str, ...],
    hint: str,
) -> None:
    value = meta.get(key)
    if value is not None and value not in allowed:
        out.add(lines.get(key, 1), "PM102", f"`{key}` {value!r} is not allowed: {hint}")


def _location(pm: Postmortem, config: Config, out: _Collector) -> None:
    parts = pm.path.split("/")
    line = pm.meta_lines.get("id", 1)
    occurred = pm.time("occurred_at")
    pm_id = pm.id
    if len(parts) < 2 or not re.fullmatch(r"\d{4}", parts[-2]):
        out.add(
            1,
            "PM107",
            f"a post-mortem lives in a year folder: move it to "
            f"{config.docs_dir}/<YYYY>/{pm_id or '<ID>'}-<slug>.md",
        )
        return
    year = parts[-2]
    if occurred and str(occurred.year) != year:
        out.add(
            pm.meta_lines.get("occurred_at", 1),
            "PM107",
            f"occurred_at is in {occurred.year} but the file is in {year}/: move it to "
            f"{config.docs_dir}/{occurred.year}/",
        )
    if ID_PATTERN.match(pm_id):
        if occurred and pm_id.split("-")[-2] != str(occurred.year):
            out.add(
                line,
                "PM107",
                f"id {pm_id} carries the year {pm_id.split('-')[-2]} "
                f"but occurred_at is in {occurred.year}: use an id of {occurred.year}",
            )
        name = parts[-1]
        if not (name == f"{pm_id}.md" or name.startswith(f"{pm_id}-")):
            out.add(
                line,
                "PM107",
                f"the file name must start with its id: rename it to {pm_id}-<slug>.md",
            )


def _sections(pm: Postmortem, template: Template, out: _Collector, status: str) -> None:
    found: dict[str, Section] = {}
    for section in pm.sections:
        found.setdefault(section.key, section)
    order = {key: i for i, key in enumerate(template.keys)}
    for index, wanted in enumerate(template.sections):
        if wanted.key in found:
            continue
        after = next(
            (found[s.key].line for s in template.sections[index + 1 :] if s.key in found), None
        )
        if after is None:
            after = pm.text.count("\n") + 1  # the last line
        out.add(
            after,
            "PM201",
            f"section `## {wanted.title}` is missing (required from "
            f"`in-review` on): add it here, from the {template.name!r} template",
        )
    highest = -1
    highest_title = ""
    for section in pm.sections:
        position = order.get(section.key)
        if position is None or found.get(section.key) is not section:
            continue
        if position < highest:
            out.add(
                section.line,
                "PM202",
                f"section `## {section.title}` must come before "
                f"`## {highest_title}`, in the template's order",
            )
        else:
            highest, highest_title = position, section.title
        wanted_section = template.section(section.key)
        if (
            wanted_section is not None
            and wanted_section.due != DEFAULT_DUE
            and status_rank(status) < status_rank(wanted_section.due)
        ):
            continue  # written when it happens, after publication (`<!-- due: archived -->`)
        if not section.has_content and section.key != "timeline":  # PM205 says it better
            out.add(
                section.line,
                "PM203",
                f"section `## {section.title}` has no content "
                f"yet (comments and unchecked items do not count): write it before "
                f"`{status}`",
            )


def _placeholders(pm: Postmortem, out: _Collector, found: dict[str, list[int]]) -> None:
    if not any(trigger in found for trigger in _PLACEHOLDER_TRIGGERS):
        return
    for text, first in ((front_matter_text(pm), 1), (pm.masked_body, pm.body_line)):
        for start, placeholder in _placeholders_in(text):
            out.add(
                _line(text, start, first),
                "PM204",
                f"placeholder `{placeholder[:40]}` is left: replace it with the real content",
            )


def _placeholders_in(text: str) -> Iterator[tuple[int, str]]:
    """`{{ … }}` on one line, and TODO/TBD/FIXME words, in order of where they start.

    Linear: a `{{` with no `}}` after it on its line means no later `{{` on that line closes
    either, so the rest of the line is not searched again (a regular expression `{{.*?}}`
    rescans to the end of the line from every `{{`: minutes on a line of `{{`)."""
    pos = 0
    braces = text.find("{{")
    for word in _PLACEHOLDER_WORD.finditer(text):
        while 0 <= braces < word.start():
            end_of_line = text.find("\n", braces)
            end_of_line = len(text) if end_of_line < 0 else end_of_line
            close = text.find("}}", braces + 2, end_of_line)
            if close < 0:
                braces = text.find("{{", end_of_line)
                continue
            yield braces, text[braces : close + 2]
            pos = close + 2
            braces = text.find("{{", pos)
        if word.start() >= pos:
            yield word.start(), word.group(0)
    while braces >= 0:
        end_of_line = text.find("\n", braces)
        end_of_line = len(text) if end_of_line < 0 else end_of_line
        close = text.find("}}", braces + 2, end_of_line)
        if close < 0:
            braces = text.find("{{", end_of_line)
            continue
        yield braces, text[braces : close + 2]
        braces = text.find("{{", close + 2)


def _timeline(pm: Postmortem, out: _Collector) -> None:
    section = next((s for s in pm.sections if s.key == "timeline"), None)
    if section is None:
        return
    if not pm.timeline:
        out.add(
            section.line,
            "PM205",
            "the timeline has no rows: add a table "
            "`| Time (UTC) | Event |` with at least detection and containment",
        )
        return
    previous: datetime | None = None
    previous_raw = ""
    for entry in pm.timeline:
        if entry.time is None:
            out.add(
                entry.line,
                "PM206",
                f"timeline time {entry.raw_time!r} is not "
                + (
                    RANGE_HINT
                    if out_of_range(entry.raw_time)
                    else "`YYYY-MM-DD HH:MM` (UTC) or ISO-8601 with a zone"
                ),
            )
            continue
        if previous is not None and entry.time < previous:
            out.add(
                entry.line,
                "PM207",
                f"timeline row {entry.raw_time} comes before the "
                f"row above it ({previous_raw}): keep rows in chronological order",
            )
        previous, previous_raw = entry.time, entry.raw_time


def excerpt(text: str, limit: int = 100) -> str:
    """TEXT whole when it is short, else cut at a word boundary with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0] if " " in text[:limit] else text[:limit]
    return cut.rstrip(" ,;:.-—–") + "…"


def _checklist(pm: Postmortem, out: _Collector, status: str, template: Template | None) -> None:
    rank = status_rank(status)
    for section in pm.sections:
        for item in section.checklist:
            if item.resolved:
                continue
            due = template.due_of(section.key, item.text) if template else DEFAULT_DUE
            if rank < status_rank(due):
                continue  # due later, e.g. a re-test that happens after publication
            when = "" if due == DEFAULT_DUE else f" (due by `{due}`)"
            out.add(
                item.line,
                "PM301",
                f"checklist item `{excerpt(item.text)}` is open{when}: "
                f"check it (`- [x]`) or write `N/A: <reason>` before `{status}`",
            )


def _actions(pm: Postmortem, out: _Collector, status: str) -> None:
    for action in pm.actions:
        label = action.id or excerpt(action.action, 40) or "action item"
        if not action.owner.strip() or action.owner.strip() in ("-", "?"):
            out.add(
                action.line,
                "PM302",
                f"action {label} has no owner: name a team or role before `{status}`",
            )
        if action.due is None:
            out.add(
                action.line,
                "PM303",
                f"action {label} due date {action.raw_due!r} is not a date: write YYYY-MM-DD",
            )
        if action.status not in ACTION_STATUSES:
            out.add(
                action.line,
                "PM304",
                f"action {label} status {action.status!r} is not one "
                f"of {', '.join(ACTION_STATUSES)}",
            )


def _secrets(pm: Postmortem, out: _Collector, found: dict[str, list[int]], raw: bytes) -> None:
    for hit in secrets.find_secrets(pm.text, found, raw=raw):
        out.add(hit.line, "PM401", hit.message())


def _body_of(pm: Postmortem) -> tuple[int, str]:
    """The offset in the text where the body (line `body_line`) starts, and the body."""
    if pm.body_line <= 1:
        return 0, pm.text
    body = pm.text.split("\n", pm.body_line - 1)[-1]
    return len(pm.text) - len(body), body


def _active_html(pm: Postmortem, config: Config, out: _Collector, body: str) -> None:
    """PM402, decided on what the browser gets (core/sanitize.py)."""
    first = pm.body_line
    if not sanitize.may_be_active(body):
        return
    for line, what in sanitize.active_lines(body, first, sanitize.renderer_for(config.root)):
        out.add(
            line,
            "PM402",
            f"active HTML: {what} would run or navigate in readers' "
            "browsers (the site removes it): describe it in words, or show it as code "
            "in backticks or a fenced block",
        )


def front_matter_text(pm: Postmortem) -> str:
    """The lines before the body: the front matter with its `---` fences."""
    return "\n".join(pm.text.split("\n", pm.body_line - 1)[:-1])


def _blame(
    pm: Postmortem, config: Config, out: _Collector, found: dict[str, list[int]], body_start: int
) -> None:
    """PM501: blame-laden sentences (core/blame.py), one finding per sentence."""
    for hit in blame.find(pm.text, body_start, found, config.blame_terms, config.blame_disable):
        label = hit.pattern[5:] if hit.pattern.startswith("term:") else hit.pattern
        out.add(
            _line(pm.text, hit.offset),
            "PM501",
            f'blame-laden wording "{hit.phrase[:60]}" ({label}): {hit.suggestion} '
            f"(the blameless-writing guide: {config.docs_dir}/guide/index.md; silence a "
            f"deliberate use with `<!-- {IGNORE_MARK} PM501 -->` on the line)",
        )


def _markers(pm: Postmortem) -> dict[int, frozenset[str] | None]:
    """Silencing markers by line: the exact rule ids each names, None for a bare marker.

    Only a real HTML comment in the body counts: one inside fenced code or an inline code
    span is shown on the page as text, and a marker in the front matter is part of a value.
    """
    body_start = 0
    for _ in range(pm.body_line - 1):
        body_start = pm.text.index("\n", body_start) + 1
    body = pm.text[body_start:]
    markers: dict[int, frozenset[str] | None] = {}
    for start, stop, is_comment in comment_and_fence_spans(body):
        marker = _IGNORE.fullmatch(body, start, stop) if is_comment else None
        if marker is None:
            continue  # a fence, or another comment
        line_start = body.rfind("\n", 0, start) + 1
        line_end = body.find("\n", start)
        line_text = body[line_start : line_end if line_end >= 0 else len(body)]
        if in_code_span(line_text, start - line_start, stop - line_start):
            continue
        named = marker.group(1).strip()
        line = pm.body_line + body.count("\n", 0, start)
        markers[line] = frozenset(rule_ids_in(named)) if named else None
    return markers


def _drop_ignored(pm: Postmortem, findings: Iterable[Finding]) -> list[Finding]:
    markers = _markers(pm)
    kept = []
    for finding in findings:
        if finding.line in markers:
            named = markers[finding.line]
            # A bare marker silences warnings; an error (a secret, say) only by its own id.
            if (finding.rule in named) if named is not None else finding.severity == "warning":
                continue
        kept.append(finding)
    return kept


def _keeps_evidence(pm: Postmortem, config: Config, folders: Folders | None = None) -> bool:
    """Whether an evidence folder (`<ID>/evidence/`) lies beside the file: one `stat` for
    the two evidence rules (PM602, PM401 in evidence), which find nothing without it; none
    when FOLDERS knows there is no `<ID>/` beside it."""
    if not ID_PATTERN.match(pm.id):
        return False
    folder = os.path.join(config.root, os.path.dirname(pm.path))
    if folders is not None and not folders.may_hold(folder, pm.id):
        return False
    return os.path.isdir(os.path.join(folder, pm.id, "evidence"))


def _evidence_secrets(pm: Postmortem, config: Config) -> list[Finding]:
    """PM401 in the evidence kept beside the post-mortem (manifest notes, copied text)."""
    from .evidence import evidence_secrets  # evidence imports this module

    return evidence_secrets(config, pm)


def _evidence_link(pm: Postmortem, config: Config, out: _Collector) -> None:
    """PM602: evidence recorded (`<ID>/evidence/manifest.json` beside the file) must be
    linked from the evidence section, so readers and auditors find it."""
    if not ID_PATTERN.match(pm.id):
        return
    link = f"{pm.id}/evidence/manifest.json"
    # plain string paths: this runs for every post-mortem on every check
    if not os.path.isfile(os.path.join(config.root, os.path.dirname(pm.path), link)):
        return
    section = next((s for s in pm.sections if "evidence" in s.key), None)
    if link not in (section.text if section else pm.masked_body):
        out.add(
            section.line if section else pm.body_line,
            "PM602",
            f"evidence is recorded for {pm.id}: link its manifest here, e.g. "
            f"[Evidence manifest]({link})",
        )
