"""Review through pull requests: what a branch changed, archived means frozen, the job summary.

`changed_postmortems` feeds `postmortem check --base REF`; `job_summary` renders a check
report as the Markdown table a pull request's workflow writes to `$GITHUB_STEP_SUMMARY`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from pathlib import Path

from .. import git as gitops
from . import catalogue
from .config import CONFIG_FILE, Config
from .errors import UsageError
from .knowledge_base import (
    CheckReport,
    is_postmortem_path,
    load,
    postmortem_paths,
    template_for,
)
from .library import completeness
from .model import Finding
from .parse import ParseProblem, decode, parse_text
from .report import summary_line
from .templates import TEMPLATES_FOLDER

AMENDMENTS = "amendments"
FROZEN_RULE = "PM601"  # described in rules.RULES
_DATED = re.compile(r"^\s*(?:[-*+]\s+|\|\s*|#{3,6}\s+)?\**\d{4}-\d{2}-\d{2}\b")
_STATUS_LINES = re.compile(r"^(?:status|archived_at)[ \t]*:")


def open_git(config: Config) -> gitops.Repository:
    repository = gitops.open_repository(config.root)
    if repository is None:
        raise UsageError(f"--base needs a git repository, and {config.root} is not in one")
    return repository


def changed_postmortems(config: Config, base: str) -> tuple[list[Path], list[Finding]]:
    """Post-mortems changed since the merge base with BASE (three-dot), and the findings of
    the rules that compare with the base (archived post-mortems are frozen).

    A change to what every post-mortem is checked against (mkdocs.yml, a template) puts
    every post-mortem in scope: the pull request changes them all in effect."""
    repository = open_git(config)
    since = gitops.merge_base(repository, base)
    docs = config.docs_dir.strip("/") + "/"
    schema = (CONFIG_FILE, f"{docs}{TEMPLATES_FOLDER}/")
    targets: list[Path] = []
    findings: list[Finding] = []
    changes = gitops.changed_files(repository, since, docs, CONFIG_FILE)
    if any(c.path.startswith(schema) or c.old_path.startswith(schema) for c in changes):
        targets = postmortem_paths(config)
    for change in changes:
        path = config.root / change.path
        if change.status != "D" and is_postmortem_path(config, path) and path.is_file():
            targets.append(path)
        if change.status == "A":
            continue
        old_text = gitops.text_at(repository, since, change.old_path)
        if old_text is None or not is_postmortem_path(config, config.root / change.old_path):
            continue
        finding = frozen_archive(
            change.path, change.old_path, old_text, None if change.status == "D" else _read(path)
        )
        if finding is not None:
            findings.append(finding)
    return sorted(set(targets)), findings


def _read(path: Path) -> str | None:
    try:
        return decode(path.as_posix(), path.read_bytes())
    except (OSError, ParseProblem):
        return None


def _status_of(path: str, text: str) -> str | None:
    try:
        value = parse_text(path, text).meta.get("status")
    except ParseProblem:
        return None
    return value if isinstance(value, str) else None


def frozen_archive(path: str, old_path: str, old_text: str, new_text: str | None) -> Finding | None:
    """An error when a post-mortem archived at the base changed other than by a dated entry
    under `## Amendments`, or by a reopening (`postmortem status ID draft`) on its own."""
    old_text = old_text.replace("\r\n", "\n")
    if _status_of(old_path, old_text) != "archived":
        return None
    if new_text is None:
        return catalogue.finding(
            old_path,
            1,
            FROZEN_RULE,
            "this post-mortem is archived and frozen: it may not be deleted; restore it",
        )
    if new_text == old_text:
        return None
    old_lines, new_lines = old_text.split("\n"), new_text.split("\n")
    opcodes = [
        op
        for op in difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False).get_opcodes()
        if op[0] != "equal"
    ]
    first_line = opcodes[0][3] + 1
    if _status_of(path, new_text) == "draft" and all(
        _only_status_lines(old_lines[i1:i2] + new_lines[j1:j2]) for _tag, i1, i2, j1, j2 in opcodes
    ):
        return None  # reopened by `postmortem status ID draft`, and nothing else
    problem = _amendment_problem(path, new_text, opcodes)
    if problem is None:
        return None
    return catalogue.finding(
        path,
        problem or first_line,
        FROZEN_RULE,
        "this post-mortem is archived and frozen: leave its text as it is and "
        "record the change as a dated entry under `## Amendments` at the end, e.g. "
        "`- 2026-06-01: corrected the containment time (was 10:48 UTC)`",
    )


def _only_status_lines(lines: list[str]) -> bool:
    return all(_STATUS_LINES.match(line) for line in lines)


def _amendment_problem(
    path: str, new_text: str, opcodes: Sequence[tuple[str, int, int, int, int]]
) -> int | None:
    """None when every change inserts lines inside `## Amendments` and adds a dated entry;
    otherwise the line to point at (0 when there is no better one)."""
    try:
        pm = parse_text(path, new_text)
    except ParseProblem:
        return 0
    section = next((s for s in pm.sections if s.key == AMENDMENTS), None)
    lines = new_text.split("\n")
    for tag, _i1, _i2, j1, j2 in opcodes:
        if tag != "insert":
            return j1 + 1
        for index in range(j1, j2):  # blank lines may go anywhere (around a new heading)
            if lines[index].strip() and (
                section is None or not section.line <= index + 1 <= section.end_line
            ):
                return index + 1
    added = [line for _t, _i1, _i2, j1, j2 in opcodes for line in lines[j1:j2]]
    if not any(_DATED.match(line) for line in added):
        return section.line if section else 0
    return None


# --- the job summary -----------------------------------------------------------------------

SUMMARY_ROWS = 300  # a step summary is capped at 1 MiB by GitHub
SUMMARY_FINDINGS = 1000


def _cell(text: str, table: bool = True) -> str:
    """Untrusted text as inline Markdown: no HTML, no line breaks, no cell breaks; code
    spans (every other backtick-separated part) are left as they are, since they show
    their text literally."""
    text = " ".join(text.split())
    if text.count("`") % 2:  # an unpaired backtick opens no code span: nothing is code
        text = text.replace("`", "'")
    parts = text.split("`")
    for index in range(0, len(parts), 2):
        for raw, safe in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
            parts[index] = parts[index].replace(raw, safe)
    joined = "`".join(parts)
    return joined.replace("|", "\\|") if table else joined


def _code(text: str, table: bool = True) -> str:
    code = "`" + " ".join(text.replace("`", "'").split()) + "`"
    return code.replace("|", "\\|") if table else code


def job_summary(config: Config, report: CheckReport) -> str:
    """A Markdown job summary: one row per checked post-mortem, then the findings."""
    by_path: dict[str, list[Finding]] = {}
    for finding in report.findings:
        by_path.setdefault(finding.path, []).append(finding)
    checked = report.paths + sorted(set(by_path) - set(report.paths))  # + deleted files
    postmortems, _ = load(
        config, [config.root / p for p in checked[:SUMMARY_ROWS] if (config.root / p).is_file()]
    )
    parsed = {pm.path: pm for pm in postmortems}
    lines = ["## Post-mortem review", ""]
    if not checked:
        lines.append("No post-mortem changed, so there is nothing to review here.")
        return "\n".join(lines) + "\n"
    lines += [
        "| Post-mortem | Status | Sections written | Checklist resolved | Errors | Warnings |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for path in checked[:SUMMARY_ROWS]:
        found = by_path.get(path, [])
        errors = sum(f.severity == "error" for f in found)
        warnings = len(found) - errors
        pm = parsed.get(path)
        if pm is None:
            name, status, sections, items = _code(path), "–", "–", "–"
        else:
            done = completeness(pm, template_for(config, pm))
            name = f"**{_cell(pm.id or path)}** {_cell(pm.title)}<br>{_code(path)}"
            status = _cell(str(pm.meta.get("status", "–")))
            sections = f"{done.sections_done}/{done.sections_total}"
            items = f"{done.items_done}/{done.items_total}"
        mark = "❌ " if errors else ("⚠️ " if warnings else "✅ ")
        lines.append(f"| {mark}{name} | {status} | {sections} | {items} | {errors} | {warnings} |")
    if len(checked) > SUMMARY_ROWS:
        lines.append(f"| … and {len(checked) - SUMMARY_ROWS} more | | | | | |")
    lines += ["", f"**{summary_line(report)}**"]
    if report.findings:
        lines += ["", "<details><summary>Findings</summary>", ""]
        for f in report.findings[:SUMMARY_FINDINGS]:
            lines.append(
                f"- {_code(f'{f.path}:{f.line}', table=False)} {f.severity} {f.rule}: "
                f"{_cell(f.message, table=False)}"
            )
        if len(report.findings) > SUMMARY_FINDINGS:
            lines.append(
                f"- … and {len(report.findings) - SUMMARY_FINDINGS} more: run "
                "`postmortem check` for all of them"
            )
        lines += ["", "</details>"]
    return "\n".join(lines) + "\n"
