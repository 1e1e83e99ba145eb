"""Templates are the schema: their H2 sections and checklist items define completeness.

A template is a post-mortem with `{{ name }}` variables. Values are inserted as text in one
pass and never evaluated, so a title that itself contains `{{ id }}` stays as typed.

A checklist item must be resolved by `published`, unless the template says otherwise with a
`<!-- due: archived -->` comment: on a line of its own in a section (every item of that
section), or at the end of an item's line (that item). `postmortem new` copies the comments
into the post-mortem, where the author sees them; the template is what `check` applies.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from functools import cached_property, lru_cache
from importlib import resources
from pathlib import Path

from .errors import NotFound, PostmortemError
from .model import Postmortem, section_key
from .parse import ParseProblem, decode, parse_text

TEMPLATES_FOLDER = "templates"
_VARIABLE = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")
VARIABLES = (
    "id",
    "title",
    "type",
    "type_name",
    "severity",
    "visibility",
    "owner",
    "occurred_at",
    "detected_at",
    "quarter",
    "year",
)


DUE_STATUSES = ("published", "archived")  # what a checklist item may be due by
DEFAULT_DUE = "published"
_DUE = re.compile(r"<!--\s*due\s*:\s*([\w-]*)\s*-->")
_DUE_HEADING = re.compile(r"^##(?!#)[ \t]+(.*?)[ \t#]*$")
_DUE_TASK = re.compile(r"^[ \t]*[-*+][ \t]+\[[ xX]\][ \t]*(.*)$")
_COMMENT = re.compile(r"<!--.*?-->")


def item_key(text: str) -> str:
    """A checklist item's text for matching: comments dropped, case and spacing ignored."""
    return " ".join(_COMMENT.sub(" ", text).split()).casefold()


@dataclass(frozen=True)
class TemplateSection:
    title: str
    key: str
    checklist: tuple[str, ...]
    holds_timeline: bool
    holds_actions: bool
    due: str = DEFAULT_DUE  # by which status its checklist items must be resolved
    item_due: tuple[tuple[str, str], ...] = ()  # (item_key, status) where an item says so

    def due_of(self, item_text: str) -> str:
        """The status by which an item of this section must be resolved. An item of the
        post-mortem matches a template item when it starts with that item's text (the
        author may add `— N/A: reason` or a link)."""
        if self.item_due:
            key = item_key(item_text)
            for wanted, status in self.item_due:
                if key == wanted or key.startswith(wanted + " "):
                    return status
        return self.due


@dataclass(frozen=True)
class Template:
    name: str
    source: str  # where it was read from, for messages
    text: str
    sections: tuple[TemplateSection, ...]

    @cached_property
    def keys(self) -> tuple[str, ...]:
        return tuple(s.key for s in self.sections)

    @property
    def actions_section(self) -> TemplateSection | None:
        return next((s for s in self.sections if s.holds_actions), None)

    @property
    def timeline_section(self) -> TemplateSection | None:
        return next((s for s in self.sections if s.holds_timeline), None)

    @cached_property
    def _by_key(self) -> dict[str, TemplateSection]:
        found: dict[str, TemplateSection] = {}
        for section in self.sections:
            found.setdefault(section.key, section)
        return found

    def section(self, key: str) -> TemplateSection | None:
        return self._by_key.get(key)

    def due_of(self, section_key: str, item_text: str) -> str:
        """By which status a checklist item in the post-mortem's section SECTION_KEY must be
        resolved (`published` for sections the template does not have)."""
        section = self._by_key.get(section_key)
        return section.due_of(item_text) if section else DEFAULT_DUE


def due_markers(
    name: str, source: str, text: str
) -> tuple[dict[str, str], dict[str, list[tuple[str, str]]]]:
    """The `<!-- due: STATUS -->` markers of a template: {section key: status} and
    {section key: [(item key, status)]}."""
    sections: dict[str, str] = {}
    items: dict[str, list[tuple[str, str]]] = {}
    current = ""
    for number, line in enumerate(text.splitlines(), 1):
        heading = _DUE_HEADING.match(line)
        if heading:
            current = section_key(heading.group(1))
            continue
        marker = _DUE.search(line)
        if marker is None:
            continue
        status = marker.group(1)
        if status not in DUE_STATUSES:
            raise PostmortemError(
                f"template {name!r}: `due: {status}` is not one of {', '.join(DUE_STATUSES)}",
                path=source,
                line=number,
            )
        task = _DUE_TASK.match(line)
        if task:
            items.setdefault(current, []).append((item_key(task.group(1)), status))
        elif not current:
            raise PostmortemError(
                f"template {name!r}: a `due:` marker before the first "
                "`## ` section belongs to none",
                path=source,
                line=number,
            )
        else:
            sections[current] = status
    return sections, items


def render(text: str, variables: dict[str, str]) -> str:
    """Fill `{{ name }}` variables; in the front matter values are quoted as YAML strings."""

    def fill(quoted: bool):  # type: ignore[no-untyped-def]
        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in variables:
                return match.group(0)
            value = variables[name]
            return json.dumps(value, ensure_ascii=False) if quoted else value

        return replace

    if text.startswith("---"):
        end = re.search(r"^---[ \t]*$", text[3:], re.M)
        if end:
            cut = 3 + end.end()
            return _VARIABLE.sub(fill(True), text[:cut]) + _VARIABLE.sub(fill(False), text[cut:])
    return _VARIABLE.sub(fill(False), text)


SAMPLE_VARIABLES = {
    "id": "PM-2000-001",
    "title": "Template",
    "type": "other",
    "type_name": "Other",
    "severity": "SEV4",
    "visibility": "internal",
    "owner": "Template",
    "occurred_at": "2000-01-01T00:00:00Z",
    "detected_at": "2000-01-01T00:00:00Z",
    "quarter": "2000-Q1",
    "year": "2000",
}


def schema_of(name: str, source: str, text: str) -> Template:
    try:
        parsed: Postmortem = parse_text(source, render(text, SAMPLE_VARIABLES))
    except ParseProblem as problem:
        raise PostmortemError(
            f"template {name!r} is broken: {problem.finding.message}",
            path=source,
            line=problem.finding.line,
        ) from None
    section_due, item_due = due_markers(name, source, text)
    sections = []
    for section in parsed.sections:
        holds_actions = any(
            tuple(h.casefold() for h in t.header)[:5] == ("id", "action", "owner", "due", "status")
            for t in section.tables
        )
        holds_timeline = section.key == "timeline"
        key = section_key(section.title)
        sections.append(
            TemplateSection(
                section.title,
                key,
                tuple(i.text for i in section.checklist),
                holds_timeline,
                holds_actions,
                section_due.get(key, DEFAULT_DUE),
                tuple(item_due.get(key, ())),
            )
        )
    if not sections:
        raise PostmortemError(f"template {name!r} has no `## ` sections", path=source)
    return Template(name, source, text, tuple(sections))


def available(docs_path: Path) -> list[str]:
    names = {p.stem for p in (docs_path / TEMPLATES_FOLDER).glob("*.md")}
    names |= {
        p.name[:-3]
        for p in resources.files("postmortem_kb.templates").iterdir()
        if p.name.endswith(".md")
    }
    return sorted(names)


@lru_cache(maxsize=64)
def _load_cached(docs_path: str, name: str, stamp: tuple[int, int, int]) -> Template:
    if not re.fullmatch(r"[A-Za-z0-9][\w-]*", name):
        raise NotFound(f"template name {name!r} is not a plain name")
    own = Path(docs_path) / TEMPLATES_FOLDER / f"{name}.md"
    if own.is_file():
        try:
            text = decode(own.as_posix(), own.read_bytes())
        except ParseProblem as problem:
            raise PostmortemError(problem.finding.message, path=own.as_posix()) from None
        return schema_of(name, f"{Path(docs_path).name}/{TEMPLATES_FOLDER}/{name}.md", text)
    shipped = resources.files("postmortem_kb.templates").joinpath(f"{name}.md")
    if shipped.is_file():
        return schema_of(name, f"(built-in) {name}.md", shipped.read_text(encoding="utf-8"))
    raise NotFound(
        f"no template named {name!r}; available: {', '.join(available(Path(docs_path)))}"
    )


def load_template(docs_path: Path, name: str) -> Template:
    """The knowledge base's own template NAME, else the one shipped with the package."""
    # keyed by the file's stat too: a long-lived process (`serve`) sees an edited template
    try:
        info = os.stat(os.path.join(docs_path, TEMPLATES_FOLDER, f"{name}.md"))
        stamp = (info.st_mtime_ns, info.st_ctime_ns, info.st_size)
    except (OSError, ValueError):
        stamp = (0, 0, -1)
    return _load_cached(str(docs_path), name, stamp)
