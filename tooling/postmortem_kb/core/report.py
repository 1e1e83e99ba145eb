"""Findings rendered for a door: text for people, JSON for scripts, GitHub annotations."""

from __future__ import annotations

import json
from itertools import groupby

from .config import Config
from .knowledge_base import CheckReport, Upcoming

UPCOMING_SHOWN = 10  # lines about post-mortems on their way, before "and N more"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def summary_line(report: CheckReport) -> str:
    noun = "post-mortem" if report.files == 1 else "post-mortems"
    if not report.findings:
        return f"No findings in {report.files} {noun}."
    return (
        f"{_plural(report.errors, 'error')}, {_plural(report.warnings, 'warning')} in "
        f"{report.files_with_findings} of {report.files} {noun}"
    )


def as_text(report: CheckReport) -> str:
    lines = []
    for path, group in groupby(report.findings, key=lambda f: f.path):
        lines.append(path)
        for f in group:
            lines.append(f"  {f.line:>4}  {f.severity:<7}  {f.rule}  {f.message}")
        lines.append("")
    lines.append(summary_line(report))
    lines += upcoming_lines(report.upcoming)
    return "\n".join(lines)


def upcoming_line(ahead: Upcoming) -> str:
    lead = f"{ahead.id or ahead.path} ({ahead.status}): ready for {ahead.next_status}: "
    if not ahead.missing:
        return (
            f"{lead}nothing missing; move it on with "
            f"`postmortem status {ahead.id} {ahead.next_status}`"
        )
    return (
        f"{lead}{_plural(ahead.missing, 'item')} missing; "
        f"`postmortem check {ahead.path} --for {ahead.next_status}` lists them"
    )


def upcoming_lines(upcoming: list[Upcoming]) -> list[str]:
    """What the draft and in-review post-mortems still need for their next status."""
    lines = [upcoming_line(u) for u in upcoming[:UPCOMING_SHOWN]]
    if len(upcoming) > UPCOMING_SHOWN:
        lines.append(
            f"… and {len(upcoming) - UPCOMING_SHOWN} more drafts and post-mortems in "
            "review; `postmortem check PATH` tells for one"
        )
    return lines


def as_json(report: CheckReport) -> str:
    return json.dumps(
        {"files": report.files, "findings": [f.as_dict() for f in report.findings]},
        indent=2,
        ensure_ascii=False,
    )


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def as_github(report: CheckReport) -> str:
    """Workflow commands: `::error file=…,line=…,title=…::message`."""
    lines = []
    for f in report.findings:
        level = "error" if f.severity == "error" else "warning"
        lines.append(
            f"::{level} file={_escape_property(f.path)},line={f.line},"
            f"title={f.rule}::{_escape_data(f.message)}"
        )
    lines.append(summary_line(report))
    return "\n".join(lines)


def render_findings(config: Config, report: CheckReport, fmt: str) -> str:
    if fmt == "json":
        return as_json(report)
    if fmt == "github":
        return as_github(report)
    if fmt == "summary":
        from .review import job_summary

        return job_summary(config, report)
    return as_text(report)
