"""Templates are the schema: their H2 sections and checklist items define completeness.

A template is a post-mortem with `{{ name }}` variables. Values are inserted as text in one
pass and never evaluated, so a title that itself contains `{{ id }}` stays as typed.
"""

from __future__ import annotations

import json
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
VARIABLES = ("id", "title", "type", "type_name", "severity", "visibility", "owner",
             "occurred_at", "detected_at", "quarter", "year")


@dataclass(frozen=True)
class TemplateSection:
    title: str
    key: str
    checklist: tuple[str, ...]
    holds_timeline: bool
    holds_actions: bool


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
    "id": "PM-2000-001", "title": "Template", "type": "other", "type_name": "Other",
    "severity": "SEV4", "visibility": "internal", "owner": "Template",
    "occurred_at": "2000-01-01T00:00:00Z", "detected_at": "2000-01-01T00:00:00Z",
    "quarter": "2000-Q1", "year": "2000",
}


def schema_of(name: str, source: str, text: str) -> Template:
    try:
        parsed: Postmortem = parse_text(source, render(text, SAMPLE_VARIABLES))
    except ParseProblem as problem:
        raise PostmortemError(f"template {name!r} is broken: {problem.finding.message}",
                              path=source, line=problem.finding.line) from None
    sections = []
    for section in parsed.sections:
        holds_actions = any(
            tuple(h.casefold() for h in t.header)[:5] == ("id", "action", "owner", "due", "status")
            for t in section.tables)
        holds_timeline = section.key == "timeline"
        sections.append(TemplateSection(section.title, section_key(section.title),
                                        tuple(i.text for i in section.checklist),
                                        holds_timeline, holds_actions))
    if not sections:
        raise PostmortemError(f"template {name!r} has no `## ` sections", path=source)
    return Template(name, source, text, tuple(sections))


def available(docs_path: Path) -> list[str]:
    names = {p.stem for p in (docs_path / TEMPLATES_FOLDER).glob("*.md")}
    names |= {p.name[:-3] for p in resources.files("postmortem_kb.templates").iterdir()
              if p.name.endswith(".md")}
    return sorted(names)


@lru_cache(maxsize=64)
def _load_cached(docs_path: str, name: str) -> Template:
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
    raise NotFound(f"no template named {name!r}; available: "
                   f"{', '.join(available(Path(docs_path)))}")


def load_template(docs_path: Path, name: str) -> Template:
    """The knowledge base's own template NAME, else the one shipped with the package."""
    return _load_cached(str(docs_path), name)
