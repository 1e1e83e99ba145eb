"""Audiences: which post-mortems, files and blocks a reader of one site build may see.

One source, several sites. An audience (`public` < `internal` < `restricted`) sees the
post-mortems whose visibility is at or below it, and nothing of the others: no page, no file
from their attachment folder, no link to them, no mention of their id. Inside a visible
post-mortem, an admonition marked `restricted` (or `internal`) is cut out of the builds of
lower audiences before Markdown is rendered, so neither the page nor the search index holds it:

    !!! restricted "Attacker infrastructure"
        Indented content that only the restricted site shows.

Evidence (`<YYYY>/<ID>/evidence/`) and the templates folder never reach any build.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .model import VISIBILITIES, Postmortem, visibility_rank
from .parse import mask

AUDIENCES = VISIBILITIES
EVIDENCE_FOLDER = "evidence"
TEMPLATES_FOLDER = "templates"
WITHHELD = "[withheld]"

_YEAR = re.compile(r"^\d{4}$")
_ID = re.compile(r"\b[A-Z][A-Z0-9]*-\d{4}-\d{3,}\b")
# `!!! restricted`, `??? internal "Title"`, `???+ note restricted`: classes before a title.
_MARKED_BLOCK = re.compile(
    r"^([ \t]*)(?:!!!|\?\?\?\+?)[ \t]+([A-Za-z0-9_ \t-]*?)[ \t]*(?:\"[^\n]*\"|'[^\n]*')?[ \t]*$")
_ANY_MARK = re.compile(r"^[ \t]*(?:!!!|\?\?\?)[^\n]*\b(?:restricted|internal)\b", re.M)
# Inline links and images, `[text](target "title")`, and reference definitions.
_LINK = re.compile(r"(!?)\[((?:[^\[\]]|\[[^\]]*\])*)\]\(\s*<?([^)\s>]*)>?(?:\s+[\"'][^)]*[\"'])?\s*\)")  # noqa: E501
_REF_DEF = re.compile(r"^[ \t]{0,3}\[[^\]]+\]:[ \t]*<?(\S+?)>?(?:[ \t].*)?$", re.M)


def may_see(audience: str, visibility: str) -> bool:
    """True when readers of AUDIENCE may see something of VISIBILITY."""
    return visibility_rank(visibility) <= visibility_rank(audience)


def in_build(pm: Postmortem, audience: str, include_drafts: bool) -> bool:
    """Whether a post-mortem has a page in this build: visible, and not a draft unless
    drafts are asked for (an unknown visibility counts as restricted)."""
    if not may_see(audience, pm.visibility):
        return False
    return include_drafts or pm.status != "draft"


def site_file_allowed(src_uri: str, shown_pages: set[str], shown_ids: set[str]) -> bool:
    """Whether a file of the docs folder (path relative to it) may be copied into the site.

    Year folders hold only post-mortems and their attachment folders; anything there that
    does not belong to a shown post-mortem stays out, and so does every evidence folder.
    """
    parts = src_uri.split("/")
    if parts[0] == TEMPLATES_FOLDER:
        return False
    if EVIDENCE_FOLDER in parts[:-1] and any(_YEAR.match(p) for p in parts[:-1]):
        return False
    if not _YEAR.match(parts[0]) or len(parts) == 1:
        return True
    if len(parts) == 2:
        return src_uri in shown_pages
    return parts[1] in shown_ids and EVIDENCE_FOLDER not in parts[2:-1]


def cut_marked_blocks(markdown: str, audience: str) -> str:
    """The Markdown without the admonitions marked for audiences above AUDIENCE.

    Markers inside fenced code and HTML comments are left alone (they are examples).
    """
    if not _ANY_MARK.search(markdown):
        return markdown
    lines = markdown.split("\n")
    masked = mask(markdown).split("\n")
    keep: list[str] = []
    index = 0
    while index < len(lines):
        match = _MARKED_BLOCK.match(masked[index]) if index < len(masked) else None
        level = _block_level(match.group(2)) if match else None
        if match is None or level is None or may_see(audience, level):
            keep.append(lines[index])
            index += 1
            continue
        indent = len(match.group(1).expandtabs(4))
        index += 1
        while index < len(lines):
            line = lines[index].expandtabs(4)
            if line.strip() and len(line) - len(line.lstrip()) <= indent:
                break
            index += 1
    return "\n".join(keep)


def _block_level(classes: str) -> str | None:
    """The most restrictive audience named in an admonition's classes, if any."""
    named = [c for c in classes.split() if c in ("internal", "restricted")]
    if not named:
        return None
    return max(named, key=visibility_rank)


def unlink_evidence(markdown: str) -> str:
    """Links into an evidence folder become plain text: evidence never reaches a site, so
    the link would be broken (the manifest stays in git for those who may read it)."""
    if f"{EVIDENCE_FOLDER}/" not in markdown:
        return markdown

    def into_evidence(target: str) -> bool:
        if "://" in target or target.startswith(("mailto:", "#")):
            return False
        return EVIDENCE_FOLDER in target.split("#")[0].split("/")[:-1]

    def unlink(match: re.Match[str]) -> str:
        if not into_evidence(match.group(3)):
            return match.group(0)
        return "" if match.group(1) else f"{match.group(2)} (evidence, kept out of the site)"

    markdown = _LINK.sub(unlink, markdown)
    return _REF_DEF.sub(lambda m: "" if into_evidence(m.group(1)) else m.group(0), markdown)


def hidden_ids(postmortems: Iterable[Postmortem], shown: Iterable[Postmortem]) -> set[str]:
    shown_ids = {pm.id for pm in shown}
    return {pm.id for pm in postmortems if pm.id and pm.id not in shown_ids}


def withhold(markdown: str, hidden: set[str]) -> str:
    """Unlink links to hidden post-mortems and replace their ids with `[withheld]`.

    A visible page may name an incident the reader may not see; the link would give away
    its file name (id and slug) and would be broken anyway.
    """
    if not hidden or not _ID.search(markdown):
        return markdown

    def names_hidden(target: str) -> bool:
        return any(m.group(0) in hidden for m in _ID.finditer(target))

    def unlink(match: re.Match[str]) -> str:
        if not names_hidden(match.group(3)):
            return match.group(0)
        return "" if match.group(1) else match.group(2)

    markdown = _LINK.sub(unlink, markdown)
    markdown = _REF_DEF.sub(lambda m: "" if names_hidden(m.group(1)) else m.group(0), markdown)
    return _ID.sub(lambda m: WITHHELD if m.group(0) in hidden else m.group(0), markdown)
