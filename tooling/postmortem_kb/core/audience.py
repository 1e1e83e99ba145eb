"""Audiences: which post-mortems, files and blocks a reader of one site build may see.

One source, several sites. An audience (`public` < `internal` < `restricted`) sees the
post-mortems whose visibility is at or below it, and nothing of the others: no page, no file
from their attachment folder, no link to them, no mention of their id. Inside a visible
post-mortem, a block marked for a higher audience is cut out of the builds of lower
audiences. There is one spelling for such a block, at the start of a line:

    !!! restricted "Attacker infrastructure"
        Indented content that only the restricted site shows.

(`!!! internal "Title"` for the internal audience; the title is optional.) Anything else that
looks like an audience marker - another case, no space, `???`, extra words, inside a quote
or a list, an HTML `class="restricted"` - is an error (PM701), never published.

What an audience sees of a post-mortem is one `audience_view`: the file with the blocks above
the audience blanked out (line numbers kept) and hidden post-mortems' ids withheld, parsed
again. The site's pages, tracker, indexes and metrics, and `export`, `actions`, `report`,
`stats` and `controls` with an audience all read that view, so an action item or checklist
item inside a hidden block exists for no lower audience anywhere. The renderer enforces the
same cut on its own parse (`audience_markdown`): a marked block that reaches it for a lower
audience fails the build.

Evidence (`<YYYY>/<ID>/evidence/`) and the templates folder never reach any build.
"""

from __future__ import annotations

import bisect
import dataclasses
import posixpath
import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any
from urllib.parse import unquote

from .catalogue import finding
from .model import VISIBILITIES, Finding, Postmortem, visibility_rank
from .parse import _CONTENT_LINE, find_text, parse_text

AUDIENCES = VISIBILITIES
LEVELS = ("internal", "restricted")  # the audiences a block can be marked for
EVIDENCE_FOLDER = "evidence"
TEMPLATES_FOLDER = "templates"
WITHHELD = "[withheld]"
CANONICAL = '!!! restricted "Title"'

_YEAR = re.compile(r"^\d{4}$")
# Ids in any case and with any suffix (`PM-2026-101`, `pm-2026-101_x`, `PM-2026-101-slug`);
# the id itself ends where its digits end, so PM-2026-1010 is not PM-2026-101.
_ID_TAIL = re.compile(r"-\d{4}-\d{3,}(?!\d)")
_ANY_ID = re.compile(r"(?<![A-Za-z0-9])([A-Za-z][A-Za-z0-9]*-\d{4}-\d{3,})(?!\d)([-_.][\w.-]*)?")
# The one spelling of an audience block: at the start of a line, `!!!`, one space, the
# audience, optionally one space and a double-quoted title, nothing else.
_CANONICAL = re.compile(r'^!!! (restricted|internal)(?: "[^"\n]*")?[ \t]*$')
# What looks like an audience marker: `!!!`/`???` after nothing but white space and quote or
# list prefixes, with `restricted`/`internal` among its words before any title, any case.
_LOOKS_LIKE = re.compile(
    r"^[ \t>]*(?:(?:[-*+]|\d+[.)])[ \t]+[ \t>]*)?(?:!!!|\?\?\?)\+?[^\"'\n]*?"
    r"(?<![A-Za-z0-9])(?:restricted|internal)(?![A-Za-z0-9])",
    re.I,
)
# HTML or attribute-list classes naming an audience: `class="admonition restricted"`,
# `{ .restricted }`. Both are found in one left-to-right pass each (`_html_class_starts`,
# `_attr_class_starts`): the regular expressions that say the same thing,
#   <[A-Za-z][^>]*?\bclass\s*=\s*(?:"[^"]*|'[^']*|[^\s>]*)(?<![A-Za-z0-9])WORD(?![A-Za-z0-9])
#   \{[^}\n]*\.WORD(?![A-Za-z0-9_-])[^}\n]*\}
# are quadratic on a long line of `<a ` or `{a: ` (found by fuzzing: 17 s on one 72 KB line);
# tests/test_bounded_input.py compares the passes with them on random text.
_AUDIENCE_WORD = re.compile(r"(?<![A-Za-z0-9])(?:restricted|internal)(?![A-Za-z0-9])", re.I)
_HTML_TOKEN = re.compile(r"<(?=[A-Za-z])|>|\bclass\s*=\s*", re.I)
_BARE_END = re.compile(r"[\s>]")
_ATTR_TOKEN = re.compile(r"[{}\n]|\.(?:restricted|internal)(?![A-Za-z0-9_-])", re.I)


def _html_class_starts(text: str) -> list[int]:
    """Offsets of the tags (their `<`) whose `class` names an audience."""
    words = [m.start() for m in _AUDIENCE_WORD.finditer(text)]
    if not words:
        return []
    starts: list[int] = []
    tag = -1  # the first `<x` since the last `>`, or -1 outside a tag
    resume = 0  # a match ends here; what starts before it is inside the match
    bare = (-1, -1)  # the last unquoted value's run: a later value inside it ends there too
    for token in _HTML_TOKEN.finditer(text):
        if token.start() < resume:
            continue
        kind = token.group(0)
        if kind == ">":
            tag = -1
        elif kind == "<":
            if tag < 0:
                tag = token.start()
        elif tag >= 0 and token.start() >= tag + 2:  # `<class=` is the tag `class`
            value = token.end()
            quote = text[value : value + 1]
            if quote in ('"', "'"):
                end = text.find(quote, value + 1)
                end = len(text) if end < 0 else end
            elif bare[0] <= value < bare[1]:
                end = bare[1]
            else:
                stop = _BARE_END.search(text, value)
                end = len(text) if stop is None else stop.start()
                bare = (value, end)
            at = bisect.bisect_left(words, value)
            if at < len(words) and words[at] < end:
                starts.append(tag)
                resume = words[at] + 1
                tag = -1
    return starts


def _attr_class_starts(text: str) -> list[int]:
    """Offsets of the starts of the lines holding an attribute list (`{ ... }`) with a
    class naming an audience."""
    starts: list[int] = []
    line = 0
    opened = named = False
    for token in _ATTR_TOKEN.finditer(text):
        kind = token.group(0)
        if kind == "\n":
            line = token.end()
            opened = named = False
        elif kind == "{":
            opened = True
        elif kind == "}":
            if named and (not starts or starts[-1] != line):
                starts.append(line)
            opened = named = False
        elif opened:
            named = True
    return starts


# A fenced code block as the renderer (pymdownx.superfences) opens one at the start of a line:
# the fence, an optional language, optional `{attributes}` or `key="value"` options.
_FENCE_OPEN = re.compile(
    r"^(`{3,}|~{3,})[ \t]*(?:\.?[\w#.+-]+(?=[ \t]|$))?"
    r"(?:[ \t]*\{[^\n]*\}|(?:[ \t]*[A-Za-z][A-Za-z0-9_]*(?:=(?:\"[^\"\n]*\"|'[^'\n]*'))?"
    r"(?=[ \t]|$))*)[ \t]*$"
)
# Inline links and images, `[text](target "title")`, reference definitions, autolinks and
# bare URLs.
_LINK = re.compile(
    r"(!?)\[((?:[^\[\]]|\[[^\]]*\])*)\]\(\s*<?([^)\s>]*)>?(?:\s+[\"'][^)]*[\"'])?\s*\)"
)  # noqa: E501
_REF_DEF = re.compile(r"^[ \t]{0,3}\[[^\]]+\]:[ \t]*<?(\S+?)>?(?:[ \t].*)?$", re.M)
_HTML_SRC = re.compile(r"""\b(?:src|href)\s*=\s*["']([^"'>\s]+)""", re.I)
_AUTOLINK = re.compile(r"<[A-Za-z][A-Za-z0-9+.-]*:[^<>\s]*>")
_URL = re.compile(r"\b(?:https?|ftp)://[^\s<>()\"'`]+")


def may_see(audience: str, visibility: str) -> bool:
    """True when readers of AUDIENCE may see something of VISIBILITY."""
    return visibility_rank(visibility) <= visibility_rank(audience)


def in_build(pm: Postmortem, audience: str, include_drafts: bool) -> bool:
    """Whether a post-mortem has a page in this build: visible, and not a draft unless
    drafts are asked for (an unknown visibility counts as restricted)."""
    if not may_see(audience, pm.visibility):
        return False
    return include_drafts or pm.status != "draft"


def site_file_allowed(
    src_uri: str, shown_pages: set[str], shown_ids: set[str], hidden_ids: set[str] | None = None
) -> bool:
    """Whether a file of the docs folder (path relative to it) may be copied into the site.

    Year folders hold only post-mortems and their attachment folders; anything there that
    does not belong to a shown post-mortem stays out, and so does every evidence folder. An
    attachment folder whose id is also a hidden post-mortem's (a duplicate id) stays out.
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
    return (
        parts[1] in shown_ids
        and parts[1].upper() not in (hidden_ids or ())
        and EVIDENCE_FOLDER not in parts[2:-1]
    )


# --- the lines of audience blocks ---------------------------------------------------------


def _fenced_lines(lines: list[str]) -> list[bool]:
    """Which LINES belong to a fenced code block (`_fence_ranges`)."""
    fenced = [False] * len(lines)
    edges = [(i, line) for i, line in enumerate(lines) if line[:3] in ("```", "~~~")]
    for first, last in _fence_ranges(edges):
        for j in range(first, last + 1):
            fenced[j] = True
    return fenced


def _fence_ranges(edges: list[tuple[int, str]]) -> list[tuple[int, int]]:
    """The (first, last) line indices of each fenced code block, opened and closed at the
    start of a line as the renderer does; an unclosed fence is no fence (the renderer shows
    it as text). EDGES: the lines that start with three backticks or tildes, (index, text)
    in order: only they can open or close one, and only they are looked at."""
    ranges = []
    after = 0  # lines before this are inside a fence already found
    for at, (index, text) in enumerate(edges):
        if index < after:
            continue
        opening = _FENCE_OPEN.match(text)
        if not opening:
            continue
        fence = opening.group(1)
        close = re.compile(re.escape(fence[0]) + "{" + str(len(fence)) + r",}[ \t]*$")
        end = next((j for j, line in edges[at + 1 :] if close.match(line)), None)
        if end is not None:
            ranges.append((index, end))
            after = end + 1
    return ranges


def marked_blocks(markdown: str) -> list[tuple[int, int, str]]:
    """(first line index, end index, audience) of each canonical audience block: the
    marker line, then every blank or indented line after it."""
    if "!!! " not in markdown:
        return []
    return list(_marked_blocks(markdown))


def _lines_starting(markdown: str, prefix: str) -> list[tuple[int, int]]:
    """(line index, offset) of each line of MARKDOWN that starts with PREFIX, in order:
    found by searching the text, not by walking its lines."""
    found = [(0, 0)] if markdown.startswith(prefix) else []
    needle = "\n" + prefix
    line, counted = 0, 0
    at = markdown.find(needle)
    while at != -1:
        line += markdown.count("\n", counted, at + 1)
        counted = at + 1
        found.append((line, at + 1))
        at = markdown.find(needle, at + 1)
    return found


def _line(markdown: str, offset: int) -> tuple[str, int]:
    """The line at OFFSET (without its newline), and the offset of the next (-1: none)."""
    end = markdown.find("\n", offset)
    if end == -1:
        return markdown[offset:], -1
    return markdown[offset:end], end + 1


def _fenced_ranges(markdown: str) -> list[tuple[int, int]]:
    """`_fence_ranges` of MARKDOWN, its fence lines found by searching the text."""
    starts = sorted(_lines_starting(markdown, "```") + _lines_starting(markdown, "~~~"))
    return _fence_ranges([(index, _line(markdown, offset)[0]) for index, offset in starts])


@lru_cache(maxsize=2048)  # a build asks for the same post-mortem's blocks several times
def _marked_blocks(markdown: str) -> tuple[tuple[int, int, str], ...]:
    """Only a line starting "!!! " can open a block: those are searched for, and the lines
    after each walked only as far as its block goes."""
    fenced: list[tuple[int, int]] | None = None
    blocks = []
    after = 0  # lines before this are in a block found already
    for index, offset in _lines_starting(markdown, "!!! "):
        if index < after:
            continue
        text, following = _line(markdown, offset)
        match = _CANONICAL.match(text)
        if match is None:
            continue
        if fenced is None:
            fenced = _fenced_ranges(markdown)
        if any(first <= index <= last for first, last in fenced):
            continue
        end = last = index + 1  # `last`: past the block's last line that is not blank
        while following != -1:
            text, following = _line(markdown, following)
            if text.strip() and text[:1] not in " \t":
                break
            end += 1
            if text.strip():
                last = end
        blocks.append((index, last, match.group(1)))
        after = last
    return tuple(blocks)


def cut_marked_blocks(markdown: str, audience: str) -> str:
    """The Markdown with the blocks marked for audiences above AUDIENCE blanked out: every
    line of such a block becomes empty, so line numbers stay. Markers inside fenced code are
    examples and stay."""
    blocks = [b for b in marked_blocks(markdown) if not may_see(audience, b[2])]
    if not blocks:
        return markdown
    lines = markdown.split("\n")
    for start, end, _ in blocks:
        for index in range(start, end):
            lines[index] = ""
    return "\n".join(lines)


def _lines_with(text: str, needles: tuple[str, ...]) -> list[int]:
    """Offsets of the starts of the lines of TEXT holding any of NEEDLES (plain `find`:
    a multi-line regular expression over every post-mortem costs more than the parse)."""
    starts: set[int] = set()
    for needle in needles:
        at = find_text(text, needle)
        while at >= 0:
            start = text.rfind("\n", 0, at) + 1
            starts.add(start)
            end = text.find("\n", at)
            if end < 0:
                break
            at = find_text(text, needle, end)
    return sorted(starts)


def marker_problems(markdown: str, first_line: int = 1) -> list[tuple[int, str]]:
    """(line, message) for everything that looks like an audience marker but is not the
    canonical spelling: the renderer might publish it, or show what it holds to everyone."""
    found: dict[int, str] = {}  # offset of the line's start -> message
    for at in _lines_with(markdown, ("!!!", "???")):
        end = markdown.find("\n", at)
        line = markdown[at:] if end < 0 else markdown[at:end]
        if _LOOKS_LIKE.match(line) and not _CANONICAL.match(line):
            found.setdefault(
                at,
                (
                    f"`{line.strip()[:60]}` looks like an audience block but is not "
                    f'written `{CANONICAL}` (or `!!! internal "Title"`) at the start of a '
                    "line, with the content indented by four spaces: write it that way (a "
                    "block inside a list or quote cannot be cut; move it out)"
                ),
            )
    classes = _html_class_starts(markdown) if "<" in markdown else []
    if "{" in markdown:
        classes += _attr_class_starts(markdown)
    line_end = -1
    for start in sorted(classes):
        if start <= line_end:
            continue  # on the line found last
        at = markdown.rfind("\n", 0, start) + 1
        line_end = markdown.find("\n", start)
        line_end = len(markdown) if line_end < 0 else line_end
        found.setdefault(
            at,
            "an HTML or attribute-list class naming an audience cannot "
            f"be cut: write the block as `{CANONICAL}` with its content "
            "indented",
        )
    if not found:
        return []
    lines = markdown.split("\n")
    fenced = _fenced_lines(lines)
    problems = []
    index = previous = 0
    for at, message in sorted(found.items()):
        index += markdown.count("\n", previous, at)  # counted once, left to right
        previous = at
        if not fenced[index]:
            problems.append((first_line + index, message))
    return problems


def marker_findings(pm: Postmortem, body: str | None = None) -> list[Finding]:
    """PM701 findings for one post-mortem's body (BODY: the text from line `body_line`, when
    the caller has it)."""
    if body is None:
        body = pm.text.split("\n", pm.body_line - 1)[-1] if pm.body_line > 1 else pm.text
    return [
        finding(pm.path, line, "PM701", message)
        for line, message in marker_problems(body, pm.body_line)
    ]


def hidden_attachments(pm: Postmortem, audience: str, uri: str) -> set[str]:
    """Files of the docs folder (paths relative to it) that PM, at docs path URI, links only
    from blocks above AUDIENCE: they stay out of that audience's site with the blocks."""
    blocks = [b for b in marked_blocks(pm.text) if not may_see(audience, b[2])]
    if not blocks:
        return set()
    lines = pm.text.split("\n")
    hidden_lines, shown_lines = [], list(lines)
    for start, end, _ in blocks:
        hidden_lines.extend(lines[start:end])
        for index in range(start, end):
            shown_lines[index] = ""
    hidden_text = "\n".join(hidden_lines)
    if "](" not in hidden_text and "]:" not in hidden_text and "=" not in hidden_text:
        return set()  # no link, reference or src/href in the hidden blocks
    folder = posixpath.dirname(uri)
    return link_targets(hidden_text, folder) - link_targets("\n".join(shown_lines), folder)


def link_targets(text: str, folder: str) -> set[str]:
    """Files of the docs folder (paths relative to it) that TEXT, a page in FOLDER, links or
    embeds: inline links and images, reference definitions, HTML src and href."""
    found = {m.group(3) for m in _LINK.finditer(text)}
    found |= {m.group(1) for m in _REF_DEF.finditer(text)}
    found |= set(_HTML_SRC.findall(text))
    out = set()
    for target in found:
        target = target.split("#")[0].split("?")[0]
        if not target or "://" in target or target.startswith(("/", "mailto:")):
            continue
        out.add(posixpath.normpath(posixpath.join(folder, unquote(target))))
    return out


# --- hidden post-mortems ------------------------------------------------------------------


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
    """Ids of the post-mortems not shown (upper case), less those a shown one also uses."""
    shown_ids = {pm.id.upper() for pm in shown}
    return {pm.id.upper() for pm in postmortems if pm.id and pm.id.upper() not in shown_ids}


def names_hidden(text: str, hidden: set[str]) -> bool:
    """Whether TEXT names one of the HIDDEN ids (upper case) in any case or with any suffix.
    Looks for the `-YYYY-NNN` tail first: a regular expression that starts at every letter
    costs more than the parse."""
    if not hidden:
        return False
    for tail in _ID_TAIL.finditer(text):
        start = tail.start()
        while start > 0 and text[start - 1].isascii() and text[start - 1].isalnum():
            start -= 1
        if (
            start < tail.start()
            and text[start].isalpha()
            and text[start : tail.end()].upper() in hidden
        ):
            return True
    return False


def withhold(markdown: str, hidden: set[str]) -> str:
    """Links, autolinks and URLs naming a hidden post-mortem lose their target, and its id
    (any case, with any slug or suffix) becomes `[withheld]`.

    A visible page may name an incident the reader may not see; the link or URL would give
    away its file name (id and slug) and would be broken anyway.
    """
    if not names_hidden(markdown, hidden):
        return markdown

    def target_hidden(target: str) -> bool:
        return names_hidden(target, hidden)

    def unlink(match: re.Match[str]) -> str:
        if not target_hidden(match.group(3)):
            return match.group(0)
        return "" if match.group(1) else match.group(2)

    markdown = _LINK.sub(unlink, markdown)
    markdown = _REF_DEF.sub(lambda m: "" if target_hidden(m.group(1)) else m.group(0), markdown)
    markdown = _AUTOLINK.sub(
        lambda m: WITHHELD if target_hidden(m.group(0)) else m.group(0), markdown
    )
    markdown = _URL.sub(lambda m: WITHHELD if target_hidden(m.group(0)) else m.group(0), markdown)
    return _ANY_ID.sub(lambda m: WITHHELD if m.group(1).upper() in hidden else m.group(0), markdown)


def _withhold_value(value: Any, hidden: set[str]) -> Any:
    if isinstance(value, str):
        return withhold(value, hidden)
    if isinstance(value, list):
        return [_withhold_value(v, hidden) for v in value]
    if isinstance(value, dict):
        return {k: _withhold_value(v, hidden) for k, v in value.items()}
    return value


def audience_view(pm: Postmortem, audience: str, hidden: set[str] | None = None) -> Postmortem:
    """The post-mortem as AUDIENCE sees it: blocks above the audience blanked out (line
    numbers kept) and hidden post-mortems withheld, so that its sections, checklist,
    timeline and action items are the visible ones. Unchanged when nothing is cut or
    withheld (the common case costs one scan); parsed again when what was cut or withheld
    could hold a table, a task, a fence or a comment, else only the sections that held the
    cut lines are measured again."""
    text = pm.text
    split_at = _body_offset(text, pm.body_line)
    front, body = text[:split_at], text[split_at:]
    own = pm.id.upper()
    hidden = {h for h in hidden or () if h != own}
    shift = pm.body_line - 1  # blocks are found in the whole text (one cached scan)
    blocks = [b for b in marked_blocks(text) if not may_see(audience, b[2]) and b[0] >= shift]
    lines = body.split("\n") if blocks else []
    cut: list[int] = []  # indices of the body's lines that were cut
    for start, end, _ in blocks:
        cut.extend(range(start - shift, end - shift))
    cut_body = body
    if cut:
        # Cut lines are indented (never a heading); only tables, tasks, fences and comments
        # in them could change what the scanner finds elsewhere.
        plain = not any(c in lines[i] for i in cut for c in ("|", "[", "```", "~~~", "<!--", "-->"))
        for index in cut:
            lines[index] = ""
        cut_body = "\n".join(lines)
    new_body = withhold(cut_body, hidden)
    meta_hidden = names_hidden(front, hidden)
    if new_body == body and not meta_hidden:
        return pm
    if new_body is cut_body and not meta_hidden and cut and plain:
        return _with_lines_blanked(pm, front + cut_body, cut)
    view = parse_text(pm.path, front + new_body)
    if meta_hidden:
        view = dataclasses.replace(
            view,
            meta={
                k: (v if k == "id" else _withhold_value(v, hidden)) for k, v in view.meta.items()
            },
        )
    return view


def _with_lines_blanked(pm: Postmortem, text: str, cut: list[int]) -> Postmortem:
    """PM with TEXT, whose body lines CUT (indices) were blanked and held no table, task,
    heading, code or comment: only the sections around them change (their text and whether
    they have content)."""
    masked = pm.masked_body.split("\n")
    for index in cut:
        if index < len(masked):
            masked[index] = ""
    first, last = pm.body_line + min(cut), pm.body_line + max(cut)
    sections = []
    for section in pm.sections:
        if section.end_line < first or section.line > last:
            sections.append(section)
            continue
        lo, hi = section.line + 1 - pm.body_line, section.end_line - pm.body_line
        chunk = "".join("\n" + masked[i] for i in range(lo, min(hi, len(masked) - 1) + 1))
        has_content = bool(_CONTENT_LINE.search(chunk)) or any(t.rows for t in section.tables)
        sections.append(dataclasses.replace(section, text=chunk, has_content=has_content))
    return dataclasses.replace(
        pm, text=text, masked_body="\n".join(masked), sections=tuple(sections)
    )


def _body_offset(text: str, body_line: int) -> int:
    offset = 0
    for _ in range(body_line - 1):
        offset = text.find("\n", offset) + 1
        if offset == 0:
            return len(text)
    return offset


def audience_views(
    postmortems: Iterable[Postmortem], audience: str, hidden: set[str]
) -> list[Postmortem]:
    return [audience_view(pm, audience, hidden) for pm in postmortems]
