"""Pages that cannot run script: one allow-list sanitizer policy for the site and for PM402.

The site passes the rendered HTML of every post-mortem body through `clean` (nh3, the
Python binding of Rust's ammonia) before it is written, whatever the checks said. PM402
(`active_html`) asks the same question on the same rendering: it renders the post-mortem as
the site does (Python-Markdown with the knowledge base's `markdown_extensions`), parses the
result as the browser would (an HTML5 parser, scripting on), and reports what the policy
would remove that can run script or navigate: script and frame-like elements, `meta`
refresh, `base`, forms and form actions, event handlers (from tags or attribute lists), and
`javascript:`/`vbscript:`/`data:` URLs after entities, tabs and newlines are taken out.
Anything the policy removes that cannot run (an unknown tag, a style) is not reported: the
build drops it quietly.

Rendering every post-mortem would cost ten times the whole check (PERFORMANCE.md), so a
file is rendered only when it holds something that could become active HTML: a tag start,
an attribute list with `=`, an entity, or a link whose scheme ends in `pt:`/`ta:`.
Templates and ordinary prose hold none of them.
"""

from __future__ import annotations

import importlib
import os
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import nh3

# --- the policy ------------------------------------------------------------------------

# What Material's pages need from a post-mortem body: prose, lists, tables (with alignment),
# admonitions and details, task lists, footnotes, headings with ids and permalinks, code
# with highlighting classes and line anchors, images.
ALLOWED_TAGS = frozenset(
    {
        "a",
        "abbr",
        "b",
        "blockquote",
        "br",
        "caption",
        "cite",
        "code",
        "col",
        "colgroup",
        "dd",
        "del",
        "details",
        "dfn",
        "div",
        "dl",
        "dt",
        "em",
        "figcaption",
        "figure",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "i",
        "img",
        "input",
        "ins",
        "kbd",
        "label",
        "li",
        "mark",
        "ol",
        "p",
        "pre",
        "q",
        "s",
        "samp",
        "small",
        "span",
        "strong",
        "sub",
        "summary",
        "sup",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "time",
        "tr",
        "u",
        "ul",
        "var",
        "wbr",
    }
)
_GENERIC = {"class", "id", "title", "lang", "dir"}
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "*": _GENERIC,
    "a": {"href", "name"},
    "img": {"src", "alt", "width", "height", "loading"},
    "input": {"type", "checked", "disabled"},
    "td": {"align", "style", "colspan", "rowspan"},
    "th": {"align", "style", "colspan", "rowspan", "scope"},
    "col": {"span"},
    "colgroup": {"span"},
    "ol": {"start", "type", "reversed"},
    "li": {"value"},
    "details": {"open"},
    "time": {"datetime"},
    "blockquote": {"cite"},
    "q": {"cite"},
    "del": {"cite", "datetime"},
    "ins": {"cite", "datetime"},
    "label": {"for"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
STYLE_PROPERTIES = frozenset({"text-align"})  # Python-Markdown writes table alignment so


_POLICY: dict[str, Any] = {
    "tags": set(ALLOWED_TAGS),
    "attributes": ALLOWED_ATTRIBUTES,
    "url_schemes": set(URL_SCHEMES),
    "link_rel": None,
    "strip_comments": True,
    "filter_style_properties": set(STYLE_PROPERTIES),
}
_TEXT_ONLY: dict[str, Any] = {"tags": set(), "attributes": {}, "strip_comments": True}


@cache
def _cleaner(text: bool) -> Any:
    """One sanitizer built once per policy (nh3 >= 0.3's `Cleaner`: `nh3.clean` builds it
    again on every call, which cost more than the cleaning); the same policy either way."""
    options = _TEXT_ONLY if text else _POLICY
    if hasattr(nh3, "Cleaner"):
        return nh3.Cleaner(**options).clean
    return lambda html: nh3.clean(html, **options)


def clean(html: str) -> str:
    """HTML with everything outside the policy removed (relative URLs are kept)."""
    return str(_cleaner(False)(html))


# Characters the HTML parser or serializer changes in text: without any of them, text is
# its own sanitized form (a table of contents holds thousands of such titles).
_CHANGED_IN_TEXT = re.compile(r"[&<>\x00\r\xa0]")


def text_only(html: str) -> str:
    """HTML reduced to its text, still escaped (for titles placed in markup)."""
    if _CHANGED_IN_TEXT.search(html) is None:
        return html
    return str(_cleaner(True)(html))


# --- the Content-Security-Policy ------------------------------------------------------

# Scripts only from the site itself, plus the theme's own inline scripts by their hashes;
# WebAssembly for Pagefind's search; no plugins, no <base>, forms only to the site. Styles
# may be inline (Material and the charts use style attributes; bodies lose theirs to the
# sanitizer). `frame-ancestors` works only as a header, so the meta tag leaves it out.
CSP_META = '<meta http-equiv="Content-Security-Policy" content="{}">'


def content_security_policy(script_hashes: Any, header: bool = False) -> str:
    hashes = "".join(f" 'sha256-{h}'" for h in sorted(script_hashes))
    directives = [
        "default-src 'self'",
        f"script-src 'self' 'wasm-unsafe-eval'{hashes}",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
    ]
    if header:
        directives.append("frame-ancestors 'none'")
    return "; ".join(directives)


_INLINE_SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script\s*>", re.S | re.I)
_SRC = re.compile(r"\bsrc\s*=", re.I)
_SCRIPT_TYPE = re.compile(r"""\btype\s*=\s*["']?([^"'\s>]+)""", re.I)
_JS_TYPES = {"", "text/javascript", "application/javascript", "module"}


# Material's first inline script holds the page's base URL (".", "..", "../.." …): the
# same script at every depth is hashed at once, so pages written first know them all.
_BASE_URL = re.compile(r'(new URL\(")(\.\.?(?:/\.\.)*)(",\s*location\))')
_DEPTHS = tuple([".", *("/".join([".."] * n) for n in range(1, 12))])


def _digest(code: str) -> str:
    import base64
    import hashlib

    return base64.b64encode(hashlib.sha256(code.encode("utf-8")).digest()).decode("ascii")


def inline_script_hashes(html: str, skip: tuple[int, int] = (0, 0)) -> set[str]:
    """SHA-256 (base64) of each inline script the browser would run, outside SKIP (the
    page's own content: nothing there is trusted, and the sanitizer left no script)."""
    found: set[str] = set()
    # Around SKIP only (a script that would begin before it and end inside is not hashed,
    # so the policy blocks it).
    parts = [(0, skip[0]), (skip[1], len(html))] if skip[1] > skip[0] else [(0, len(html))]
    for start, end in parts:
        for match in _INLINE_SCRIPT.finditer(html, start, end):
            attributes, code = match.group(1), match.group(2)
            if _SRC.search(attributes):
                continue
            kind = _SCRIPT_TYPE.search(attributes)
            if kind and kind.group(1).lower() not in _JS_TYPES:
                continue  # data (Material's config is JSON): never run, needs no hash
            found |= _script_digests(code)
    return found


@lru_cache(maxsize=256)
def _script_digests(code: str) -> frozenset[str]:
    """The hashes one inline script needs (the same few scripts are on every page)."""
    found = {_digest(code)}
    if _BASE_URL.search(code):
        for depth in _DEPTHS:
            found.add(_digest(_BASE_URL.sub(rf"\g<1>{depth}\g<3>", code)))
    return frozenset(found)


def with_csp_meta(html: str, policy: str) -> str:
    """HTML with the policy's meta tag first in <head> (it governs only what follows it)."""
    head = re.search(r"<head\b[^>]*>", html, re.I)
    if head is None:
        return html
    at = head.end()
    charset = re.match(r"\s*<meta charset=[^>]*>", html[at:], re.I)
    if charset:
        at += charset.end()
    return html[:at] + CSP_META.format(policy) + html[at:]


# --- what can run or navigate ----------------------------------------------------------

# Elements that run script, load another document, or change where the page or its links
# go. (`meta` only with http-equiv, `link` never: neither runs anything otherwise.)
RUNNING_ELEMENTS = frozenset(
    {
        "script",
        "iframe",
        "frame",
        "frameset",
        "object",
        "embed",
        "applet",
        "base",
        "form",
        "portal",
        "fencedframe",
        "isindex",
    }
)
DANGEROUS_SCHEMES = ("javascript:", "vbscript:", "data:")
_URL_STRIP = re.compile(r"[\t\n\r]")  # the URL parser drops these anywhere
_SVG_VALUE_ATTRS = frozenset({"values", "to", "from", "by"})  # <animate>/<set> of href
# Attributes whose value the browser loads or follows as a URL.
URL_ATTRIBUTES = frozenset(
    {
        "href",
        "xlink:href",
        "src",
        "action",
        "formaction",
        "data",
        "poster",
        "background",
        "codebase",
        "cite",
        "ping",
        "lowsrc",
        "dynsrc",
        "longdesc",
        "usemap",
        "manifest",
        "icon",
        "archive",
        "classid",
        "profile",
        "srcset",
        "imagesrcset",
        "content",
        *_SVG_VALUE_ATTRS,
    }
)


@dataclass(frozen=True)
class Active:
    """One thing in the rendered HTML that would run or navigate."""

    kind: str  # "element", "handler" or "url"
    name: str  # tag, attribute name, or scheme
    describe: str


def _scheme(value: str) -> str | None:
    url = (
        _URL_STRIP.sub("", value)
        .strip(
            " \x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c"
            "\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19"
            "\x1a\x1b\x1c\x1d\x1e\x1f"
        )
        .lower()
    )
    for scheme in DANGEROUS_SCHEMES:
        if url.startswith(scheme):
            return scheme
    return None


def active_parts(html: str) -> list[Active]:
    """What in HTML (a page body) would run script or navigate, in document order.

    Parsed by an HTML5 parser (lexbor) as a browser parses it; `noscript` is read as raw
    text, as it is with scripting on, so nothing hides in it.
    """
    from selectolax.lexbor import LexborHTMLParser

    html = _NOSCRIPT.sub(lambda m: m.group(1) + "noembed", html)
    tree = LexborHTMLParser(html)
    found: list[Active] = []
    root = tree.root
    if root is None:
        return found
    for node in root.traverse(include_text=False):
        tag = (node.tag or "").lower()
        if tag.startswith("-") or tag == "#comment":
            continue
        if tag in RUNNING_ELEMENTS:
            found.append(Active("element", tag, f"<{tag}>"))
        attributes = node.attributes
        if tag == "meta" and any(k.lower() == "http-equiv" for k in attributes):
            found.append(Active("element", "meta", "<meta http-equiv>"))
        for key, value in attributes.items():
            name = key.lower()
            if name.startswith("on") and len(name) > 2:
                found.append(Active("handler", name, f"the `{name}` handler"))
                continue
            if name in ("formaction", "action") and value:
                found.append(Active("handler", name, f"a form `{name}`"))
                continue
            if not value or name not in URL_ATTRIBUTES:
                continue
            scheme = _scheme(value)
            if scheme is None and name in _SVG_VALUE_ATTRS and ";" in value:
                scheme = next(
                    (s for part in value.split(";") if (s := _scheme(part)) is not None), None
                )
            if scheme is None:
                continue
            if scheme == "data:" and tag == "img" and name == "src":
                continue  # an image from a data: URL shows a picture and runs nothing
            found.append(Active("url", scheme, f"a `{scheme}` URL in `{name}`"))
    return found


_NOSCRIPT = re.compile(r"(?i)(</?)noscript")


# --- rendering as the site does --------------------------------------------------------

# MkDocs always adds these; the plugin adds attr_list and md_in_html (mkdocs/plugin.py).
_ALWAYS = ("toc", "tables", "fenced_code", "attr_list", "md_in_html")


def _resolve(value: Any) -> Any:
    """`!!python/name:x.y` (kept as the string `!python/name:x.y` by the core's YAML
    loader) becomes the object it names, as MkDocs resolves it."""
    if isinstance(value, str) and value.startswith("!python/name:"):
        module, _, name = value[len("!python/name:") :].rpartition(".")
        try:
            return getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError):
            return None
    if isinstance(value, dict):
        return {k: _resolve(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v) for v in value]
    return value


def markdown_settings(root: Path) -> tuple[list[str], dict[str, Any]]:
    """The knowledge base's Markdown extensions and their settings, from mkdocs.yml."""
    path = root / "mkdocs.yml"
    try:
        stamp = os.stat(path).st_mtime_ns
    except OSError:
        stamp = 0
    return _settings(str(path), stamp)


@lru_cache(maxsize=8)
def _settings(path: str, stamp: int) -> tuple[list[str], dict[str, Any]]:
    import yaml

    from .config import _TolerantLoader

    names: list[str] = []
    options: dict[str, Any] = {}
    try:
        with open(path, encoding="utf-8-sig") as handle:
            raw = yaml.load(handle, Loader=_TolerantLoader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        raw = None
    entries = raw.get("markdown_extensions") if isinstance(raw, dict) else None
    if isinstance(entries, dict):
        entries = [{k: v} for k, v in entries.items()]
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, str):
            names.append(entry)
        elif isinstance(entry, dict):
            for name, settings in entry.items():
                names.append(str(name))
                if isinstance(settings, dict):
                    options[str(name)] = _resolve(settings)
    for name in _ALWAYS:
        if name not in names:
            names.append(name)
    return names, options


class Renderer:
    """Python-Markdown set up as the site sets it up; one instance is reused."""

    def __init__(self, extensions: list[str], options: dict[str, Any]):
        import markdown

        usable: list[str] = []
        for name in extensions:
            try:
                markdown.Markdown(
                    extensions=[name], extension_configs={name: options.get(name, {})}
                )
            except Exception:  # an extension this machine lacks: render without it
                continue
            usable.append(name)
        self._md = markdown.Markdown(
            extensions=usable, extension_configs={k: v for k, v in options.items() if k in usable}
        )

    def render(self, text: str) -> str:
        self._md.reset()
        return self._md.convert(text)


@lru_cache(maxsize=4)
def _renderer(key: tuple[str, int]) -> Renderer:
    names, options = _settings(*key)
    return Renderer(names, options)


def renderer_for(root: Path) -> Renderer:
    path = root / "mkdocs.yml"
    try:
        stamp = os.stat(path).st_mtime_ns
    except OSError:
        stamp = 0
    return _renderer((str(path), stamp))


# --- PM402: from the rendering back to the source line ---------------------------------

# Could this text become active HTML at all? A tag start, an attribute list with `=`, a
# character reference, or a link or reference destination whose scheme ends in `pt:`/`ta:`
# (javascript:, vbscript:, data:; a newline may split it, and the URL parser drops that).
# Each pattern starts with a literal character, so `re` skips ahead to it: a few
# microseconds a file, where one pattern with alternatives at its start costs a millisecond.
# Each is searched only when its first character occurs: `in` finds one character at
# `memchr` speed, several times faster than the pattern's own scan.
_MAY_BE_ACTIVE = (
    ("<", re.compile(r"<[A-Za-z]")),
    ("&", re.compile(r"&[#A-Za-z]")),
    ("{", re.compile(r"\{[^{}\n]*=")),
)
# The scheme of each other link destination (up to its first colon), checked in Python: a
# pattern that looks for `pt:` inside every destination costs ten times more.
# Destinations that start like the usual web, anchor and relative links are skipped at once.
_USUAL = r"(?!https?://|#|\.{0,2}/|mailto:)"
_DESTINATION_SCHEME = re.compile(
    rf"\]\([ \t]*<?{_USUAL}([^():]*):"
    rf"|\]:[ \t]*\n?[ \t]*<?{_USUAL}([^\s:]*):"
)
_SPACE = re.compile(r"\s")


def may_be_active(text: str) -> bool:
    if any(first in text and pattern.search(text) for first, pattern in _MAY_BE_ACTIVE):
        return True
    if "]" not in text:
        return False
    for match in _DESTINATION_SCHEME.finditer(text):
        scheme = match.group(1) if match.group(1) is not None else match.group(2)
        if scheme[-2:].lower() in ("pt", "ta") or _SPACE.sub("", scheme[-6:]).lower()[-2:] in (
            "pt",
            "ta",
        ):
            return True
    return False


_GAP = r"(?:[\s\x00-\x1f]|&#0*(?:9|10|13);?|&#[xX]0*(?:9|[aAdD]);?|&(?:Tab|NewLine);)*"


def _spelled(word: str) -> str:
    """A pattern for WORD written with character references and white space inside."""
    parts = []
    for char in word:
        code = ord(char)
        options = [
            re.escape(char) if not char.isalpha() else f"[{char.lower()}{char.upper()}]",
            f"&#0*{code};?",
            f"&#[xX]0*{code:x};?",
        ]
        if char == ":":
            options.append("&colon;")
        parts.append("(?:" + "|".join(options) + ")")
    return _GAP.join(parts)


_SOURCE_PATTERNS = {scheme: re.compile(_spelled(scheme)) for scheme in DANGEROUS_SCHEMES}


def _source_pattern(item: Active) -> re.Pattern[str]:
    if item.kind == "url":
        return _SOURCE_PATTERNS[item.name]
    if item.kind == "element":
        return re.compile(rf"(?i)<\s*{re.escape(item.name)}(?![\w-])")
    return re.compile(rf"(?i)(?<![\w-]){re.escape(item.name)}(?![\w-])")


def active_lines(text: str, first_line: int, renderer: Renderer) -> list[tuple[int, str]]:
    """(line, what) for each part of TEXT (Markdown starting on FIRST_LINE) that would run
    or navigate once rendered; one entry per line, in line order."""
    if not may_be_active(text):
        return []
    starts = [0]
    for match in re.finditer("\n", text):
        starts.append(match.end())
    stuck = unclosed_tag_starts(text)
    if stuck is not None:
        return [
            (
                first_line + _line_index(starts, stuck),
                "markup that opens tags and never closes them (`<` without `>`)",
            )
        ]
    parts = active_parts(renderer.render(text))
    if not parts:
        return []
    cursors: dict[tuple[str, str], int] = {}
    by_line: dict[int, list[str]] = {}
    shown = _shown_as_code(text, starts)
    for item in parts:
        key = (item.kind, item.name)
        pattern = _source_pattern(item)
        # The source spelling, preferring one that is not shown as code (the same payload
        # quoted in backticks earlier on the page is not where the active one came from).
        found = None
        for candidate in pattern.finditer(text, cursors.get(key, 0)):
            if not shown(candidate.start()):
                found = candidate
                break
        found = found or pattern.search(text, cursors.get(key, 0)) or pattern.search(text)
        offset = found.start() if found else 0
        if found:
            cursors[key] = found.end()
        line = first_line + _line_index(starts, offset)
        described = by_line.setdefault(line, [])
        if item.describe not in described:
            described.append(item.describe)
    return sorted((line, ", ".join(what)) for line, what in by_line.items())


# Python-Markdown's raw-HTML reader (Python's html.parser) rescans from every `<` that has
# no `>` to the end of the text: a long line of `<a ` takes it seconds. The scan is costed
# first (one pass); past the budget the check does not render, and reports where it starts.
_TAG_START = re.compile(r"<[A-Za-z!/?]")
RENDER_BUDGET = 2_000_000  # characters the parser would rescan; a few hundred ms at most


def unclosed_tag_starts(text: str) -> int | None:
    """None when rendering TEXT costs no more than a linear pass; otherwise the offset of
    the first tag start that reaches far without a `>`."""
    cost = 0
    next_close = -1
    first_far: int | None = None
    for match in _TAG_START.finditer(text):
        at = match.start()
        if next_close < at:
            next_close = text.find(">", at)
            if next_close < 0:
                next_close = len(text)
        reach = next_close - at
        if reach > 1000 and first_far is None:
            first_far = at
        cost += reach
        if cost > RENDER_BUDGET:
            return first_far if first_far is not None else at
    return None


_FENCE = re.compile(r"[ \t]{0,3}(`{3,}|~{3,})")


def _shown_as_code(text: str, starts: list[int]) -> Any:
    """A test: is the offset inside a fenced block or a backtick span of its line? Only to
    choose which source line to name; what is active was decided on the rendering."""
    fenced: set[int] = set()
    fence = ""
    for index, start in enumerate(starts):
        end = starts[index + 1] - 1 if index + 1 < len(starts) else len(text)
        opening = _FENCE.match(text, start, end)
        if fence:
            fenced.add(index)
            if opening and opening.group(1).startswith(fence):
                fence = ""
        elif opening:
            fence = opening.group(1)
            fenced.add(index)

    def shown(offset: int) -> bool:
        index = _line_index(starts, offset)
        return index in fenced or text.count("`", starts[index], offset) % 2 == 1

    return shown


def _line_index(starts: list[int], offset: int) -> int:
    from bisect import bisect_right

    return bisect_right(starts, offset) - 1
