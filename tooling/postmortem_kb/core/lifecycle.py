"""A post-mortem's status: draft -> in-review -> published -> archived, and back to draft.

A move happens only when the post-mortem meets what the new status demands (the same
`check` as everywhere else). The file is edited in place line by line: only the `status:`
line changes (and `archived_at:` is set on archive, dropped on reopening); every other
byte, comments and key order included, stays as it was.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from .config import Config
from .errors import PostmortemError, UsageError
from .files import replace_atomically
from .knowledge_base import check, check_one, find_postmortem
from .model import STATUSES, ActionItem, Finding, Postmortem, status_rank
from .parse import ParseProblem, decode, parse_text
from .times import iso_utc, now_utc

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")
_VALUE = re.compile(
    r"^(?P<lead>(?P<key>[A-Za-z_]+)[ \t]*:[ \t]*)(?P<quote>[\"']?)"
    r"(?P<value>[^\"'#\r\n]*?)(?P=quote)(?P<tail>[ \t]*(?:#[^\r\n]*)?)"
    r"(?P<end>\r\n|\r|\n)?$"
)
_NOT_PLAIN = tuple("|>&*!{[")


@dataclass(frozen=True)
class LateAction:
    """An open action item whose due date has passed."""

    action: ActionItem
    days: int

    def describe(self) -> str:
        label = self.action.id or self.action.action
        owner = f" ({self.action.owner})" if self.action.owner.strip() else ""
        return (
            f"action {label}{owner} is {self.days} day{'s' * (self.days != 1)} overdue "
            f"(due {self.action.raw_due})"
        )


@dataclass(frozen=True)
class StatusChange:
    """The outcome of asking for a new status: done, or refused with the findings (or
    because action items are too far overdue)."""

    pm_id: str
    path: Path
    old: str
    new: str
    findings: tuple[Finding, ...]
    done: bool
    late: tuple[LateAction, ...] = ()  # open action items past due, to warn about
    too_late: tuple[LateAction, ...] = ()  # those past `overdue_fail_days`: why it refused

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "error")


# Moving to these tells the organisation the follow-up is in hand: overdue actions say not.
OVERDUE_CHECKED_AT = ("published", "archived")


def late_actions(pm: Postmortem, today: date) -> list[LateAction]:
    return [
        LateAction(a, (today - a.due).days)
        for a in pm.actions
        if a.due is not None and a.overdue(today)
    ]


def allowed(old: str, new: str) -> bool:
    """Forward along the review path, or back to draft to rework it."""
    return new == "draft" or status_rank(new) > status_rank(old)


def change_status(
    config: Config, pm_id: str, new: str, now: datetime | None = None, allow_overdue: bool = False
) -> StatusChange:
    """Move PM_ID to NEW if it meets what NEW demands; write nothing otherwise.

    Moving to `published` or `archived` also refuses when an open action item is more than
    `overdue_fail_days` overdue (the weekly overdue job would fail at once), unless
    ALLOW_OVERDUE; items overdue by less are reported as `late`."""
    if new not in STATUSES:
        raise UsageError(f"unknown status {new!r}: one of {', '.join(STATUSES)}")
    pm = find_postmortem(config, pm_id)
    path = config.root / pm.path
    old = str(pm.meta.get("status", ""))
    if old == new:
        return StatusChange(pm_id, path, old, new, (), False)
    if old in STATUSES and not allowed(old, new):
        onward = [s for s in STATUSES if status_rank(s) > status_rank(old)]
        ways = f"move on to {' or '.join(onward)} or go " if onward else "only go "
        raise UsageError(
            f"{pm_id} is {old}: it can {ways}back to draft, not to {new}",
            path=pm.path,
            line=pm.meta_lines.get("status"),
        )
    findings, _ = check_one(config, path, new)
    findings += [f for f in check(config, [path]).findings if f.rule == "PM106"]
    findings.sort(key=lambda f: (f.line, f.rule))
    if any(f.severity == "error" for f in findings):
        return StatusChange(pm_id, path, old, new, tuple(findings), False)
    late: tuple[LateAction, ...] = ()
    if new in OVERDUE_CHECKED_AT:
        late = tuple(late_actions(pm, (now or now_utc()).date()))
        too_late = tuple(a for a in late if a.days > config.overdue_fail_days)
        if too_late and not allow_overdue:
            return StatusChange(pm_id, path, old, new, tuple(findings), False, late, too_late)
    raw = path.read_bytes()
    text = raw.decode("utf-8")
    edited = set_status(
        pm.path, text, pm.meta_lines, new, iso_utc(now or now_utc()) if new == "archived" else None
    )
    replace_atomically(path, edited)
    return StatusChange(pm_id, path, old, new, tuple(findings), True, late)


def set_status(
    path: str, text: str, meta_lines: dict[str, int], new: str, archived_at: str | None
) -> str:
    """TEXT with the status line set to NEW; `archived_at` set when given, else dropped."""
    lines = _LINE.findall(text)  # the front matter's line numbers hold: it follows `---`

    def match(key: str) -> tuple[int, re.Match[str]] | None:
        if key not in meta_lines:
            return None
        index = meta_lines[key] - 1
        found = _VALUE.match(lines[index])
        # block scalars, anchors, aliases, tags and flow values are not one plain line
        if found is None or found.group("key") != key or found.group("value")[:1] in _NOT_PLAIN:
            raise PostmortemError(
                f"`{key}` must be written on one line as `{key}: <value>` "
                "for `postmortem status` to change it",
                path=path,
                line=index + 1,
            )
        return index, found

    status = match("status")
    if status is None:
        raise PostmortemError("the front matter has no `status:` line", path=path, line=1)
    index, found = status
    end = found.group("end") or ""
    lines[index] = (
        f"{found.group('lead')}{found.group('quote')}{new}{found.group('quote')}"
        f"{found.group('tail')}{end}"
    )
    stamp = match("archived_at")
    if archived_at is not None:
        if stamp is not None:
            at, old = stamp
            lead = old.group("lead")
            lead += "" if lead[-1:] in (" ", "\t") else " "
            lines[at] = f"{lead}{archived_at}{old.group('tail')}{old.group('end') or ''}"
        else:
            newline = end or "\n"
            lines.insert(index + 1, f"archived_at: {archived_at}{newline}")
            if not end:
                lines[index] += newline
    elif stamp is not None:
        del lines[stamp[0]]
    edited = "".join(lines)
    _verify(path, text, edited, new)
    return edited


def _verify(path: str, before: str, after: str, new: str) -> None:
    """The edit changed the status (and archived_at) and nothing else of the front matter."""
    try:
        old_meta = parse_text(path, decode(path, before.encode("utf-8"))).meta
        new_meta = parse_text(path, decode(path, after.encode("utf-8"))).meta
    except ParseProblem as problem:
        raise PostmortemError(
            f"refused to write: the edit would break the file ({problem.finding.message})",
            path=path,
        ) from None
    old_meta.pop("archived_at", None)
    new_meta.pop("archived_at", None)
    if new_meta.get("status") != new or {**old_meta, "status": new} != new_meta:
        raise PostmortemError(
            "refused to write: the status line could not be changed on its own; edit it by hand",
            path=path,
        )
