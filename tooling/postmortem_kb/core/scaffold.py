"""Creating things: a new post-mortem from a template, a new knowledge base from the skeleton."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

from .config import Config
from .errors import UsageError
from .files import write_new
from .knowledge_base import postmortem_paths
from .model import SEVERITIES, VISIBILITIES, quarter_of
from .origin import ToolSource
from .rules import ID_PATTERN
from .templates import load_template, render
from .times import iso_utc

_NUMBER = re.compile(r"^([A-Z][A-Z0-9]*)-(\d{4})-(\d{3,})")


@dataclass(frozen=True)
class NewPostmortem:
    """What a responder asked for; every field already checked by `plan`."""

    id: str
    title: str
    type: str
    severity: str
    visibility: str
    owner: str
    occurred_at: datetime
    detected_at: datetime
    template: str

    @property
    def year(self) -> int:
        return self.occurred_at.year


def slugify(title: str, limit: int = 60) -> str:
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")
    return slug[:limit].rstrip("-") or "postmortem"


def used_numbers(names: Iterable[str], prefix: str, year: int) -> set[int]:
    numbers = set()
    for name in names:
        match = _NUMBER.match(name)
        if match and match.group(1) == prefix and int(match.group(2)) == year:
            numbers.add(int(match.group(3)))
    return numbers


def next_id(config: Config, year: int, also_taken: Iterable[str] = ()) -> str:
    """The next free id of the year, over the working tree and any other names given
    (file names or ids from other branches)."""
    names = [p.name for p in postmortem_paths(config)] + list(also_taken)
    taken = used_numbers(names, config.id_prefix, year)
    return f"{config.id_prefix}-{year}-{(max(taken) + 1 if taken else 1):03d}"


def default_title(
    config: Config, type_slug: str, occurred_at: datetime, severity: str, pm_id: str
) -> str:
    return config.title_format.format(
        type_name=config.type_name(type_slug),
        type=type_slug,
        quarter=quarter_of(occurred_at),
        severity=severity,
        id=pm_id,
        year=occurred_at.year,
    )


def validate_choice(config: Config, *, type_slug: str, severity: str, visibility: str) -> None:
    if type_slug not in config.types:
        raise UsageError(
            f"unknown incident type {type_slug!r}; choose one of: {', '.join(config.types)}"
        )
    if severity not in SEVERITIES:
        raise UsageError(f"unknown severity {severity!r}; choose one of: {', '.join(SEVERITIES)}")
    if visibility not in VISIBILITIES:
        raise UsageError(
            f"unknown visibility {visibility!r}; choose one of: {', '.join(VISIBILITIES)}"
        )


def target_path(config: Config, new: NewPostmortem) -> Path:
    return config.docs_path / f"{new.year:04d}" / f"{new.id}-{slugify(new.title)}.md"


def markdown_text(value: str) -> str:
    """VALUE as literal text inside Markdown: HTML and attribute-list braces escaped."""
    return (
        value.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("{", "\\{")
        .replace("}", "\\}")
    )


def render_postmortem(config: Config, new: NewPostmortem) -> str:
    template = load_template(config.docs_path, new.template)
    values = {
        "id": new.id,
        "title": new.title,
        "type": new.type,
        "type_name": config.type_name(new.type),
        "severity": new.severity,
        "visibility": new.visibility,
        "owner": new.owner,
        "occurred_at": iso_utc(new.occurred_at),
        "detected_at": iso_utc(new.detected_at),
        "quarter": quarter_of(new.occurred_at),
        "year": str(new.year),
    }
    # In the body a value is Markdown text: a title such as `<svg/onload=…>` (from `new
    # --title` or intake, which anyone who opens an issue feeds) is shown, never run.
    head, fence, body = template.text.partition("\n---\n")
    if fence and template.text.startswith("---"):
        text = render(head + fence, values) + render(
            body, {k: markdown_text(v) for k, v in values.items()}
        )
    else:
        text = render(template.text, values)
    if new.template != config.default_template and "\ntemplate:" not in text.split("\n---", 1)[0]:
        text = text.replace("\nstatus:", f"\ntemplate: {new.template}\nstatus:", 1)
    return text


def check_new(config: Config, new: NewPostmortem) -> None:
    validate_choice(config, type_slug=new.type, severity=new.severity, visibility=new.visibility)
    if not ID_PATTERN.match(new.id):
        raise UsageError(f"id {new.id!r} must look like {config.id_prefix}-2026-007")
    if new.id.split("-")[-2] != str(new.year):
        raise UsageError(f"id {new.id} carries another year than occurred_at ({new.year})")
    if new.detected_at < new.occurred_at:
        raise UsageError(
            "detected_at is before occurred_at: an incident is detected after it occurs"
        )
    if not new.owner.strip():
        raise UsageError("owner must not be empty: name a role or team")
    taken = {p.name for p in postmortem_paths(config)}
    if any(name == f"{new.id}.md" or name.startswith(f"{new.id}-") for name in taken):
        raise UsageError(f"id {new.id} is already used in the knowledge base")


def create_postmortem(config: Config, new: NewPostmortem) -> Path:
    """Write the new post-mortem; never over an existing file."""
    check_new(config, new)
    path = target_path(config, new)
    write_new(path, render_postmortem(config, new))
    return path


# --- a new knowledge base -------------------------------------------------------------

SKELETON = "skeleton"


def _skeleton_files() -> list[tuple[str, Traversable]]:
    root = resources.files("postmortem_kb.templates").joinpath(SKELETON)
    found: list[tuple[str, Traversable]] = []

    def walk(node: Traversable, prefix: str) -> None:
        for child in sorted(node.iterdir(), key=lambda c: c.name):
            if child.name == "__pycache__":
                continue
            rel = f"{prefix}{child.name}"
            if child.is_dir():
                walk(child, rel + "/")
            else:
                found.append((rel, child))

    walk(root, "")
    return found


# In the skeleton's workflows and pre-commit configuration: the pinned requirement that
# installs the postmortem-kb running `init` (core/origin.py), as a quoted YAML string.
TOOL_REQUIREMENT = '"@TOOL_REQUIREMENT@"'


def render_skeleton_file(text: str, tool: ToolSource) -> str:
    return text.replace(TOOL_REQUIREMENT, json.dumps(tool.requirement))


# Written only where the repository has none yet: a repository created with a README is
# still one to start a knowledge base in. Every other file refuses to be overwritten.
KEPT_IF_PRESENT = ("README.md",)


def site_url_line(url: str) -> str:
    """The `site_url:` line of mkdocs.yml for URL, where the site will be published. With it
    the 404 page (and every link on it) works under a sub-path, e.g. a GitHub Pages project
    site at https://example.github.io/incident-kb/."""
    url = url.strip()
    if not re.fullmatch(r"https?://[^\s/]+(/[^\s]*)?", url):
        raise UsageError(
            f"--site-url {url!r} must be the address the site is published at, "
            "e.g. https://example.github.io/incident-kb/"
        )
    return f"site_url: {json.dumps(url if url.endswith('/') else url + '/')}\n"


def init_knowledge_base(target: Path, tool: ToolSource, site_url: str = "") -> list[Path]:
    """Write a working knowledge base into TARGET, whose workflows install TOOL; refuse if
    any file would be overwritten (a README.md that exists is kept, and not returned).
    SITE_URL, when given, goes into mkdocs.yml."""
    url_line = site_url_line(site_url) if site_url else ""
    files = []
    for rel, node in _skeleton_files():
        files.append((rel.replace("dot-", ".", 1) if rel.startswith("dot-") else rel, node))
    for name in ("security", "outage"):
        shipped = resources.files("postmortem_kb.templates").joinpath(f"{name}.md")
        files.append((f"postmortems/templates/{name}.md", shipped))
    files = [
        (rel, node)
        for rel, node in files
        if not (rel in KEPT_IF_PRESENT and (target / rel).exists())
    ]
    clashes = [rel for rel, _ in files if (target / rel).exists()]
    if clashes:
        raise UsageError(
            f"refusing to overwrite existing files in {target}: "
            f"{', '.join(clashes[:5])}{' …' if len(clashes) > 5 else ''}"
        )
    written = []
    for rel, node in files:
        path = target / rel
        text = render_skeleton_file(node.read_text(encoding="utf-8"), tool)
        if rel == "mkdocs.yml" and url_line:
            first, _, rest = text.partition("\n")
            text = f"{first}\n{url_line}{rest}"
        write_new(path, text)
        written.append(path)
    return written
