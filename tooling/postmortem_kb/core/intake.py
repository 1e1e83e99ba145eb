"""Creation without a terminal: an incident report from a GitHub issue form or a JSON payload.

Both become the options of `postmortem new`, so an issue, a workflow and an incident tool's
webhook all reach the one scaffolding path. The input is untrusted text: it is only ever
read as values, never run or used as a path.
"""

from __future__ import annotations

import re
from typing import Any

from . import safejson
from .errors import UsageError

FIELDS = ("type", "severity", "title", "occurred", "detected", "owner", "visibility")
# Issue-form labels (see .github/ISSUE_TEMPLATE/postmortem.yml) and JSON keys per field.
LABELS = {
    "incident type": "type",
    "type": "type",
    "severity": "severity",
    "title": "title",
    "occurred at": "occurred",
    "occurred": "occurred",
    "occurred_at": "occurred",
    "detected at": "detected",
    "detected": "detected",
    "detected_at": "detected",
    "owner": "owner",
    "visibility": "visibility",
}
_HEADING = re.compile(r"^###[ \t]+([^\n]+)", re.M)  # stripped in Python: linear
_NO_ANSWER = {"", "_no response_", "none", "n/a"}
MAX_INPUT = 256 * 1024


def _clean(value: Any, field: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise UsageError(f"`{field}` must be text")
    text = " ".join(str(value).split())
    if text.casefold() in _NO_ANSWER:
        return None
    if len(text) > 300:
        raise UsageError(f"`{field}` is longer than 300 characters")
    return text


def _finish(found: dict[str, str | None]) -> dict[str, str]:
    report = {k: v for k, v in found.items() if v is not None}
    missing = [name for name in ("type", "severity") if name not in report]
    if missing:
        raise UsageError(
            f"the incident report lacks {' and '.join(missing)}: both are "
            "required to scaffold a post-mortem"
        )
    report["severity"] = report["severity"].split()[0].upper()
    report["type"] = report["type"].split()[0]
    if "visibility" in report:
        report["visibility"] = report["visibility"].split()[0].lower()
    return report


def from_issue_form(body: str) -> dict[str, str]:
    """The answers of an issue created from the post-mortem issue form."""
    if len(body) > MAX_INPUT:
        raise UsageError("the issue body is too large to be an incident report")
    body = body.replace("\r\n", "\n")
    heads = list(_HEADING.finditer(body))
    found: dict[str, str | None] = {}
    for index, head in enumerate(heads):
        field = LABELS.get(head.group(1).strip().rstrip(":").strip().casefold())
        if field is None or field in found:
            continue
        end = heads[index + 1].start() if index + 1 < len(heads) else len(body)
        found[field] = _clean(body[head.end() : end], field)
    return _finish(found)


def from_json(text: str) -> dict[str, str]:
    """An incident tool's payload: `{"type": …, "severity": …, "occurred_at": …, …}`."""
    if len(text) > MAX_INPUT:
        raise UsageError("the payload is too large to be an incident report")
    try:
        data = safejson.loads(text)
    except safejson.BadJson as exc:
        where = f" (line {exc.line})" if exc.line else ""
        raise UsageError(f"the payload is not JSON: {exc.message}{where}") from None
    if not isinstance(data, dict):
        raise UsageError("the payload must be a JSON object of incident fields")
    found: dict[str, str | None] = {}
    for key, value in data.items():
        field = LABELS.get(str(key).casefold())
        if field is not None and field not in found:
            found[field] = _clean(value, field)
    return _finish(found)


def parse_report(text: str, kind: str) -> dict[str, str]:
    """`kind` is `issue-form`, `json`, or `auto` (JSON when it starts with `{` or `[`)."""
    if kind == "auto":
        kind = "json" if text.lstrip()[:1] in ("{", "[") else "issue-form"
    return from_json(text) if kind == "json" else from_issue_form(text)
