"""The control catalogue: which audited controls failed, where, and how their fixes stand.

A post-mortem names the controls that failed in its front matter (`controls: [SOC2:CC6.1]`),
as `FRAMEWORK:CONTROL`. An action item fixes a control when its row names the control id
(in any cell, e.g. the Action text or an extra `Control` column). A control counts as
re-tested in an incident when that post-mortem's re-test section (section 14 of the security
template) names it, or, when that section names none of the incident's controls, when all its
checklist items are checked (a blanket "failed controls re-tested"). `postmortem controls` and
the site's controls page call `rollup`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from .metrics import ActionRow, ActionRowsAsRead, in_scope, today_utc
from .model import Postmortem, Section

CONTROL_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9.+_-]*:[A-Za-z0-9][A-Za-z0-9.()_/-]*$")
RETEST_KEYS = ("re-test controls and resilience",)


def framework_of(control: str) -> str:
    return control.split(":", 1)[0]


def is_control_id(value: str) -> bool:
    return bool(CONTROL_PATTERN.match(value))


_TOKEN = re.compile(r"(?<![\w.:-])[A-Za-z][A-Za-z0-9.+_-]*:[A-Za-z0-9][A-Za-z0-9.()_/-]*")


def named_controls(text: str, known: dict[str, str]) -> list[str]:
    """The controls of `known` (casefolded -> spelling) that `text` names as whole tokens:
    CC6.1 is not CC6.10, and a trailing `.`, `,` or `)` is punctuation."""
    if ":" not in text:
        return []
    found: dict[str, None] = {}
    for match in _TOKEN.finditer(text):
        token = match.group(0)
        while token:
            spelling = known.get(token.casefold())
            if spelling is not None:
                found[spelling] = None
                break
            if token[-1] not in ".,)(/":
                break
            token = token[:-1]
    return list(found)


def retest_section(pm: Postmortem) -> Section | None:
    for section in pm.sections:
        key = section.key
        if key in RETEST_KEYS or key.startswith("re-test") or key.startswith("retest"):
            return section
    return None


def retested_controls(pm: Postmortem, controls: Iterable[str]) -> list[str]:
    """Which of `controls` the post-mortem's re-test section shows as re-tested."""
    controls = list(controls)
    section = retest_section(pm)
    if section is None or not section.has_content:
        return []
    named = named_controls(section.text, {c.casefold(): c for c in controls})
    if named:
        return [c for c in controls if c in named]
    if section.checklist and all(item.checked for item in section.checklist):
        return controls
    return []


def _row_texts(pm: Postmortem) -> dict[int, str]:
    """Every table row's full text by line, extra columns (e.g. `Control`) included."""
    texts: dict[int, str] = {}
    for section in pm.sections:
        for table in section.tables:
            for line, cells in table.rows:
                texts[line] = " | ".join(cells)
    return texts


@dataclass(frozen=True)
class ControlRollup:
    control: str
    framework: str
    incidents: tuple[str, ...]  # post-mortem ids where it failed, in path order
    fixes: tuple[ActionRow, ...]  # action items that name it
    open_in_incidents: tuple[ActionRow, ...]  # every open action item of those incidents
    retested_in: tuple[str, ...]  # ids whose re-test section names it

    @property
    def failures(self) -> int:
        return len(self.incidents)

    @property
    def open_fixes(self) -> tuple[ActionRow, ...]:
        return tuple(r for r in self.fixes if r.is_open)

    @property
    def not_retested(self) -> tuple[str, ...]:
        retested = set(self.retested_in)  # a set: 10,000 incidents against a tuple was 5 s
        return tuple(i for i in self.incidents if i not in retested)

    def as_dict(self) -> dict[str, Any]:
        return {
            "control": self.control,
            "framework": self.framework,
            "failures": self.failures,
            "incidents": list(self.incidents),
            "fixes": [r.as_dict() for r in self.fixes],
            "open_fixes": [f"{r.postmortem}/{r.id}" for r in self.open_fixes],
            "open_actions_in_incidents": [f"{r.postmortem}/{r.id}" for r in self.open_in_incidents],
            "retested_in": list(self.retested_in),
            "not_retested": list(self.not_retested),
        }


@dataclass(frozen=True)
class ControlProblem:
    postmortem: str
    path: str
    line: int
    value: str

    @property
    def message(self) -> str:
        return (
            f"{self.value!r} is not a control id: write FRAMEWORK:CONTROL, "
            "e.g. SOC2:CC6.1, ISO27001:A.8.2, NIST-CSF:PR.AC-1"
        )


def rollup(
    postmortems: Iterable[Postmortem],
    as_of: date | None = None,
    include_drafts: bool = False,
    made: ActionRowsAsRead | None = None,
) -> tuple[list[ControlRollup], list[ControlProblem]]:
    """Every control named across the post-mortems, most often failed first. MADE: their
    action rows as they were read (`rollup_rows`), if they were."""
    chosen = in_scope(postmortems, include_drafts)
    today = as_of or today_utc()
    incidents: dict[str, dict[str, None]] = {}  # control -> ids, as an ordered set
    spelled: dict[str, str] = {}  # casefolded -> first spelling seen
    problems: list[ControlProblem] = []
    for pm in chosen:
        for value in pm.controls:
            value = value.strip()
            if not is_control_id(value):
                problems.append(
                    ControlProblem(pm.id, pm.path, pm.meta_lines.get("controls", 1), value)
                )
                continue
            key = spelled.setdefault(value.casefold(), value)
            incidents.setdefault(key, {})[pm.id] = None

    wanted = ("all", None, today, True)
    if made is None or (made.status, made.owner, made.today, made.include_drafts) != wanted:
        made = rollup_rows(today)  # (MADE was made for other rows than these)
    all_rows = made.rows(chosen)
    rows_by_pm: dict[str, list[ActionRow]] = {}
    for row in all_rows:
        rows_by_pm.setdefault(row.postmortem_path, []).append(row)
    fixes: dict[str, list[ActionRow]] = {c: [] for c in incidents}
    retested: dict[str, list[str]] = {c: [] for c in incidents}
    open_in: dict[str, list[ActionRow]] = {c: [] for c in incidents}
    for pm in chosen:
        rows = rows_by_pm.get(pm.path, [])
        own = list(
            dict.fromkeys(
                spelled[v.strip().casefold()]
                for v in pm.controls
                if v.strip().casefold() in spelled
            )
        )
        for control in retested_controls(pm, own):
            retested[control].append(pm.id)
        texts = _row_texts(pm) if rows else {}
        for row in rows:
            for control in named_controls(texts.get(row.line, row.action), spelled):
                fixes[control].append(row)
            if row.is_open:
                for control in own:
                    open_in[control].append(row)

    result = [
        ControlRollup(
            c, framework_of(c), tuple(ids), tuple(fixes[c]), tuple(open_in[c]), tuple(retested[c])
        )
        for c, ids in incidents.items()
    ]
    result.sort(key=lambda r: (-r.failures, r.control.casefold()))
    return result, problems


def rollup_rows(as_of: date | None = None) -> ActionRowsAsRead:
    """The action rows `rollup` reads, to be made as the post-mortems are read (its MADE)."""
    return ActionRowsAsRead("all", None, as_of or today_utc(), include_drafts=True)
