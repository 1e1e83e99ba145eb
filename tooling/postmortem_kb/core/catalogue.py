"""The rule catalogue: every rule `postmortem check` applies, declared once.

Everything about a rule is derived from its declaration here: the severity of its findings
(call sites never choose one), the status from which it applies, `postmortem rules`,
`postmortem check --explain PMnnn`, the rules table in README.md (a test keeps it equal),
`select`/`ignore`, and the test that runs every rule's examples.

To add a rule, append one `Rule(...)` to `CATALOGUE`:

    Rule("PM499", "short-kebab-name", "error",        # severity: "error" or "warning"
         "draft",                                      # applies from this status on
         "one line: what the finding means",
         "one line: how to fix it",
         bad=Example("The key was AKIAQYLPMN5HHHFPZAM2."),   # must yield PM499
         good=Example("The key was `[REDACTED]`.")),         # must not

then report findings with `finding(path, line, "PM499", message)` (or `_Collector.add`
in rules.py). An `Example`'s `where` says where tests put its text in a complete
post-mortem of the security template:

- "summary" (default): added to the `## Summary` section
- "summary, N times": as "summary", the text repeated N times (N may have commas)
- "front matter": `key: value` lines replace the same keys, or are added
- "section N" / "section Timeline" / "sections N-M": the text replaces those sections,
  headings included (N as numbered in the security template)
- "file": the text is the whole file
- "summary, saved as Latin-1" / "summary, saved as UTF-8": as "summary", in that encoding
- "symlink", "second file", "evidence", "archived change": knowledge-base-level cases the
  test sets up itself (see tests/test_catalogue.py)

`text` is what `--explain` shows; keep it short and real.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from .model import Finding, status_rank

SEVERITIES = ("error", "warning")
_ID = re.compile(r"PM\d{3}")


@dataclass(frozen=True)
class Example:
    text: str
    where: str = "summary"


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    severity: str
    applies_from: str
    summary: str
    fix: str
    bad: Example
    good: Example

    def applies_at(self, status: str) -> bool:
        return status_rank(status) >= status_rank(self.applies_from)


_ACTIONS = (
    "## 11. Implement Corrective Actions\n\n"
    "| ID | Action | Owner | Due | Status | Tracking |\n|---|---|---|---|---|---|\n"
)

CATALOGUE: tuple[Rule, ...] = (
    Rule(
        "PM001",
        "unreadable-file",
        "error",
        "draft",
        "the file cannot be read as UTF-8 text, or is no regular file (a named pipe)",
        "save the file as UTF-8; move binary material to evidence; remove a named pipe",
        bad=Example("Café menu service was down.", "summary, saved as Latin-1"),
        good=Example("Café menu service was down.", "summary, saved as UTF-8"),
    ),
    Rule(
        "PM002",
        "no-front-matter",
        "error",
        "draft",
        "the file is empty or has no front matter",
        "start the file with `---`, the front-matter keys, and `---`",
        bad=Example("# Notes about the outage\n\nThe database was slow.\n", "file"),
        good=Example("---\nid: PM-2026-001\ntitle: Slow database\n---\n\n# Notes\n", "file"),
    ),
    Rule(
        "PM003",
        "invalid-front-matter",
        "error",
        "draft",
        "the front matter is not valid YAML",
        "close the quote, bracket or block that the message points at",
        bad=Example('title: "Registry token leaked', "front matter"),
        good=Example('title: "Registry token leaked"', "front matter"),
    ),
    Rule(
        "PM004",
        "symlink-outside",
        "error",
        "draft",
        "a symlink that points outside the knowledge base",
        "copy the file into the knowledge base instead of linking to it",
        bad=Example("postmortems/2026/PM-2026-001-x.md -> /tmp/elsewhere.md", "symlink"),
        good=Example("postmortems/2026/PM-2026-001-x.md (a regular file)", "symlink"),
    ),
    Rule(
        "PM005",
        "too-costly-to-render",
        "error",
        "draft",
        "the site's Markdown renderer would take minutes on the file (never silenced)",
        "close the `[`, `(` or `<` left open, put blank lines between blocks, or attach "
        "machine-made text as evidence",
        bad=Example("[x ", "summary, 3,000 times"),
        good=Example("[x] ", "summary, 3,000 times"),
    ),
    Rule(
        "PM101",
        "missing-key",
        "error",
        "draft",
        "a required front-matter key is missing",
        "add the key to the front matter; `contained_at` from in-review, `resolved_at` "
        "from published on",
        bad=Example('owner: ""', "front matter"),
        good=Example("owner: Security Operations", "front matter"),
    ),
    Rule(
        "PM102",
        "invalid-value",
        "error",
        "draft",
        "a front-matter value is not one the format allows",
        "use one of the values the message lists",
        bad=Example("severity: critical", "front matter"),
        good=Example("severity: SEV2", "front matter"),
    ),
    Rule(
        "PM103",
        "unknown-key",
        "warning",
        "draft",
        "an unknown front-matter key",
        "check the key's spelling, or remove it",
        bad=Example("reviewer: Security Lead", "front matter"),
        good=Example("services: [artifact-registry]", "front matter"),
    ),
    Rule(
        "PM104",
        "time-without-zone",
        "error",
        "draft",
        "a time is not ISO-8601 with a time zone",
        "write times as ISO-8601 with a zone, e.g. 2026-05-19T10:31:00Z",
        bad=Example("detected_at: 2026-05-19 10:31", "front matter"),
        good=Example("detected_at: 2026-05-19T10:31:00Z", "front matter"),
    ),
    Rule(
        "PM105",
        "times-out-of-order",
        "error",
        "draft",
        "times out of order (occurred <= detected <= contained <= resolved)",
        "correct the time that is out of order",
        bad=Example("contained_at: 2026-05-19T10:20:00Z", "front matter"),
        good=Example("contained_at: 2026-05-19T10:48:00Z", "front matter"),
    ),
    Rule(
        "PM106",
        "duplicate-id",
        "error",
        "draft",
        "the id is used by another post-mortem",
        "give one of the post-mortems the next free id",
        bad=Example("id: PM-2026-001", "second file"),
        good=Example("id: PM-2026-002", "second file"),
    ),
    Rule(
        "PM107",
        "misplaced-file",
        "error",
        "draft",
        "the file is not where its id and occurred_at say it belongs",
        "move it to postmortems/<year of occurred_at>/<ID>-<slug>.md",
        bad=Example("occurred_at: 2025-05-19T10:02:00Z", "front matter"),
        good=Example("occurred_at: 2026-05-19T10:02:00Z", "front matter"),
    ),
    Rule(
        "PM110",
        "unknown-template",
        "error",
        "draft",
        "the post-mortem names a template that does not exist",
        "name a template in postmortems/templates/ or a built-in one (security, outage)",
        bad=Example("template: nonexistent", "front matter"),
        good=Example("template: security", "front matter"),
    ),
    Rule(
        "PM201",
        "missing-section",
        "error",
        "in-review",
        "a template section is missing",
        "add the section, titled as in the template",
        bad=Example("## Backups\n\nNo restore was needed.\n", "section 9"),
        good=Example(
            "## 9. Assess Backup and Recovery Function\n\nNo restore was needed.\n", "section 9"
        ),
    ),
    Rule(
        "PM202",
        "section-order",
        "error",
        "in-review",
        "a template section is out of order",
        "move the section to its place in the template's order",
        bad=Example(
            "## 13. Conduct Awareness Session\n\nA session ran on 2026-06-03.\n\n"
            "## 12. Update Policies and Playbooks\n\nThe playbook is updated.\n",
            "sections 12-13",
        ),
        good=Example(
            "## 12. Update Policies and Playbooks\n\nThe playbook is updated.\n\n"
            "## 13. Conduct Awareness Session\n\nA session ran on 2026-06-03.\n",
            "sections 12-13",
        ),
    ),
    Rule(
        "PM203",
        "empty-section",
        "error",
        "in-review",
        "a template section has no content",
        "write the section; comments and unchecked items do not count",
        bad=Example(
            "## 10. Document Customer or User Impact\n\n<!-- to be written -->\n", "section 10"
        ),
        good=Example(
            "## 10. Document Customer or User Impact\n\nNo customer was affected.\n", "section 10"
        ),
    ),
    Rule(
        "PM204",
        "placeholder",
        "error",
        "in-review",
        "a placeholder is left (`{{ … }}`, TODO, TBD, FIXME)",
        "replace the placeholder with the real content",
        bad=Example("Impact: TBD."),
        good=Example("Impact: none on customers."),
    ),
    Rule(
        "PM205",
        "empty-timeline",
        "error",
        "in-review",
        "the timeline has no rows",
        "add a table `| Time (UTC) | Event |` with at least detection and containment",
        bad=Example("## Timeline\n\n| Time (UTC) | Event |\n|---|---|\n", "section Timeline"),
        good=Example(
            "## Timeline\n\n| Time (UTC) | Event |\n|---|---|\n"
            "| 2026-05-19 10:31 | Alert; incident declared. |\n",
            "section Timeline",
        ),
    ),
    Rule(
        "PM206",
        "timeline-time",
        "error",
        "in-review",
        "a timeline time is not YYYY-MM-DD HH:MM or ISO-8601 with a zone",
        "write the time as YYYY-MM-DD HH:MM (UTC) or ISO-8601 with a zone",
        bad=Example(
            "## Timeline\n\n| Time (UTC) | Event |\n|---|---|\n"
            "| yesterday | Alert; incident declared. |\n",
            "section Timeline",
        ),
        good=Example(
            "## Timeline\n\n| Time (UTC) | Event |\n|---|---|\n"
            "| 2026-05-19 10:31 | Alert; incident declared. |\n",
            "section Timeline",
        ),
    ),
    Rule(
        "PM207",
        "timeline-order",
        "error",
        "in-review",
        "the timeline is not in chronological order",
        "keep timeline rows in chronological order",
        bad=Example(
            "## Timeline\n\n| Time (UTC) | Event |\n|---|---|\n"
            "| 2026-05-19 10:48 | Token revoked. |\n"
            "| 2026-05-19 10:31 | Alert; incident declared. |\n",
            "section Timeline",
        ),
        good=Example(
            "## Timeline\n\n| Time (UTC) | Event |\n|---|---|\n"
            "| 2026-05-19 10:31 | Alert; incident declared. |\n"
            "| 2026-05-19 10:48 | Token revoked. |\n",
            "section Timeline",
        ),
    ),
    Rule(
        "PM301",
        "open-checklist-item",
        "error",
        "published",
        "a checklist item is neither checked nor marked N/A with a reason",
        "check the item (`- [x]`) or write `N/A: <reason>` in it",
        bad=Example(
            "## 13. Conduct Awareness Session\n\nA session ran on 2026-06-03.\n\n"
            "- [ ] Awareness session scheduled\n",
            "section 13",
        ),
        good=Example(
            "## 13. Conduct Awareness Session\n\nNo session was needed.\n\n"
            "- [ ] Awareness session scheduled — N/A: one team, briefed in the "
            "review\n",
            "section 13",
        ),
    ),
    Rule(
        "PM302",
        "action-without-owner",
        "error",
        "published",
        "an action item has no owner",
        "name a team or role as the owner",
        bad=Example(f"{_ACTIONS}| A1 | Push protection |  | 2026-05-31 | done | |\n", "section 11"),
        good=Example(
            f"{_ACTIONS}| A1 | Push protection | Developer Experience | 2026-05-31 | done | |\n",
            "section 11",
        ),
    ),
    Rule(
        "PM303",
        "action-without-due-date",
        "error",
        "published",
        "an action item has no valid due date (YYYY-MM-DD)",
        "write the due date as YYYY-MM-DD",
        bad=Example(
            f"{_ACTIONS}| A1 | Push protection | Developer Experience | next sprint | done | |\n",
            "section 11",
        ),
        good=Example(
            f"{_ACTIONS}| A1 | Push protection | Developer Experience | 2026-05-31 | done | |\n",
            "section 11",
        ),
    ),
    Rule(
        "PM304",
        "action-status",
        "error",
        "published",
        "an action item has no valid status",
        "use open, in-progress, done or wont-do",
        bad=Example(
            f"{_ACTIONS}"
            "| A1 | Push protection | Developer Experience | 2026-05-31 | finished | |\n",
            "section 11",
        ),
        good=Example(
            f"{_ACTIONS}| A1 | Push protection | Developer Experience | 2026-05-31 | done | |\n",
            "section 11",
        ),
    ),
    Rule(
        "PM401",
        "secret",
        "error",
        "draft",
        "a secret: a provider's key or token, a private key, a password in a URL, "
        "header or command, a secret assignment, a long random string; also split by "
        "Markdown, and in evidence notes and copied text evidence",
        "remove it, write `[REDACTED]` instead, and rotate the secret",
        bad=Example("The key was AKIAQYLPMN5HHHFPZAM2."),
        good=Example("The key was `[REDACTED]` (rotated)."),
    ),
    Rule(
        "PM402",
        "active-html",
        "error",
        "draft",
        "active HTML: what the rendered page would run or navigate to (script, event "
        "handlers from tags or `{: on…= }` attribute lists, `javascript:`/`vbscript:`/"
        "`data:` URLs however encoded, frames, forms, `meta` refresh)",
        "describe it in words, or show it as code in backticks or a fenced block",
        bad=Example("<img src=x onerror=alert(1)>"),
        good=Example("The payload was `<img src=x onerror=alert(1)>`."),
    ),
    Rule(
        "PM501",
        "blame-language",
        "warning",
        "draft",
        "blame-laden wording",
        "describe the system and the conditions, not a person's failing; the message "
        "suggests a rewording",
        bad=Example("The root cause was human error."),
        good=Example("The deploy tool accepted the command without a confirmation step."),
    ),
    Rule(
        "PM601",
        "archived-changed",
        "error",
        "archived",
        "an archived post-mortem changed other than by a dated `## Amendments` entry "
        "(`check --base`)",
        "leave the text as it is and add a dated entry under `## Amendments`",
        bad=Example("The token was revoked 20 minutes later.", "archived change"),
        good=Example(
            "## Amendments\n\n- 2026-06-01: the token was revoked 17 minutes later, not 20.\n",
            "archived change",
        ),
    ),
    Rule(
        "PM602",
        "evidence-not-linked",
        "warning",
        "draft",
        "evidence is recorded but section 2 does not link its manifest",
        "link the manifest from section 2, e.g. "
        "[Evidence manifest](PM-2026-001/evidence/manifest.json)",
        bad=Example("## 2. Preserve Evidence Immediately\n\nLogs were exported.\n", "evidence"),
        good=Example(
            "## 2. Preserve Evidence Immediately\n\nLogs were exported: "
            "[Evidence manifest](PM-2026-001/evidence/manifest.json).\n",
            "evidence",
        ),
    ),
    # Audiences (core/audience.py, core/leaks.py): errors that stop `build` and every
    # `--audience` output, strict or not; never silenced, selected or ignored away.
    Rule(
        "PM701",
        "audience-marker-spelling",
        "error",
        "draft",
        "something looks like an audience block but is not written "
        '`!!! restricted "Title"` (or `!!! internal "Title"`)',
        'write the block as `!!! restricted "Title"` at the start of a line with its '
        "content indented by four spaces; not in a list, a quote, HTML or another case",
        bad=Example("!!! Restricted\n    The attacker used 203.0.113.45.\n"),
        good=Example(
            '!!! restricted "Attacker infrastructure"\n    The attacker used 203.0.113.45.\n'
        ),
    ),
    Rule(
        "PM702",
        "misfiled-postmortem",
        "error",
        "draft",
        "a post-mortem outside a year folder (it would be published whole, unchecked)",
        "move it to postmortems/<YYYY>/, the year it occurred",
        bad=Example("postmortems/drafts/PM-2026-050-x.md", "misfiled"),
        good=Example("postmortems/2026/PM-2026-050-x.md", "misfiled"),
    ),
    Rule(
        "PM703",
        "docs-symlink",
        "error",
        "draft",
        "a symlink in the docs folder (the site would publish what it points to)",
        "replace the link with the file itself",
        bad=Example("postmortems/notes.md -> postmortems/2026/PM-2026-001-x.md", "docs symlink"),
        good=Example("postmortems/notes.md (a regular file)", "docs symlink"),
    ),
)

RULES: dict[str, Rule] = {rule.id: rule for rule in CATALOGUE}


def severity(rule_id: str) -> str:
    """The severity of RULE_ID's findings, as declared (KeyError for an undeclared id)."""
    return RULES[rule_id].severity


def never_silenced(rule_id: str) -> bool:
    """Rules that `select`, `ignore` and silencing markers cannot turn off: the audience
    rules (PM7xx) keep what an audience must not see out of its site, and PM005 keeps the
    site buildable."""
    return rule_id.startswith("PM7") or rule_id == "PM005"


def finding(path: str, line: int, rule_id: str, message: str) -> Finding:
    """A finding of RULE_ID, with the severity the catalogue declares."""
    return Finding(path, line, rule_id, RULES[rule_id].severity, message)


def expand(patterns: Iterable[str], setting: str) -> frozenset[str]:
    """Rule ids named by PATTERNS: exact ids (`PM401`) or prefixes (`PM4`, `PM40`).

    Raises ValueError naming SETTING when a pattern names no declared rule."""
    chosen: set[str] = set()
    for raw in patterns:
        pattern = str(raw).strip().upper()
        if pattern in ("ALL", "PM"):
            chosen.update(RULES)
            continue
        if not re.fullmatch(r"PM\d{1,3}", pattern):
            raise ValueError(
                f"{setting}: {raw!r} is not a rule id such as PM501 or a prefix such as PM5"
            )
        matched = {rule_id for rule_id in RULES if rule_id.startswith(pattern)}
        if not matched:
            raise ValueError(f"{setting}: no rule {raw!r}; `postmortem rules` lists them")
        chosen |= matched
    return frozenset(chosen)


def enabled(select: Iterable[str] | None, ignore: Iterable[str]) -> frozenset[str]:
    """The rules in force: SELECT (default: all) less IGNORE, both as `expand` reads them."""
    chosen = expand(select, "select") if select else frozenset(RULES)
    return chosen - expand(ignore, "ignore")


def markdown_table() -> str:
    """The README's rules table."""
    rows = ["| rule | name | severity | from | finding | fix |", "|---|---|---|---|---|---|"]
    for rule in CATALOGUE:
        rows.append(
            f"| `{rule.id}` | {rule.name} | {rule.severity} | {rule.applies_from} | "
            f"{_cell(rule.summary)} | {_cell(rule.fix)} |"
        )
    return "\n".join(rows) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def explain(rule_id: str) -> str:
    """Everything the catalogue says about RULE_ID, for `check --explain`."""
    rule = RULES[rule_id]
    lines = [
        f"{rule.id} {rule.name} ({rule.severity}, from status `{rule.applies_from}` on)",
        "",
        f"Finding: {rule.summary}",
        f"Fix: {rule.fix}",
        "",
    ]
    for label, example in (("Breaks it", rule.bad), ("Does not", rule.good)):
        lines.append(f"{label} ({example.where}):")
        lines.extend(f"    {line}" for line in example.text.rstrip("\n").split("\n"))
        lines.append("")
    return "\n".join(lines).rstrip("\n")


def rule_ids_in(text: str) -> set[str]:
    """Exact rule ids named in TEXT: `PM401` counts, `PM4010` does not."""
    return set(re.findall(r"(?<![A-Za-z0-9])PM\d{3}(?![A-Za-z0-9])", text))
