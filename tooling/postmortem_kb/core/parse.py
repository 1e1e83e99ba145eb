"""A line-oriented scanner for post-mortem files.

A full Markdown parse of every file is too slow for a knowledge base of thousands of
post-mortems (see ../shared/PERFORMANCE.md); this scanner knows just enough Markdown:
front matter, HTML comments, fenced code, H2 headings, task items and pipe tables.
Every element keeps the line it came from.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import yaml

from .catalogue import finding
from .model import (
    ActionItem,
    ChecklistItem,
    Finding,
    Postmortem,
    Section,
    Table,
    TimelineEntry,
    section_key,
)
from .times import parse_date, parse_table_time

# Front matter is read with libyaml's *base* loader: every scalar stays the string that was
# written (no YAML 1.1 surprises such as `NO` -> False or `0012` -> 10, and half the cost of
# the safe loader); times are parsed by `times.parse_datetime`, empty values become None.
try:
    _Loader: Any = yaml.CBaseLoader
except AttributeError:  # pragma: no cover - PyYAML without libyaml
    _Loader = yaml.BaseLoader
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})

ACTION_COLUMNS = ("id", "action", "owner", "due", "status", "tracking")

_FM_END = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.M)
# A fence runs to its closing fence or to the end of the text. HTML comments are sought
# with str.find (see `mask`): a pattern `<!--.*?-->` rescans the rest of the text from every
# unclosed `<!--`, which is quadratic (100 KB of `<!--` took 20 s).
_FENCE = re.compile(
    r"^[ \t]{0,3}(`{3,}|~{3,})[^\n]*\n.*?(?:^[ \t]{0,3}\1[`~]*[ \t]*$|\Z)", re.S | re.M
)
_FENCE_START = re.compile(r"^[ \t]{0,3}(?:`{3}|~{3})", re.M)
# The scanner works on the body with a "\n" put in front, so that every line starts after a
# newline: patterns that begin with a literal "\n" are several times faster in `re` than
# patterns that begin with a MULTILINE `^`.
# The heading's closing `#`s are stripped in Python: a lazy `([^\n]*?)[ \t#]*` would be
# quadratic in a line of `# # # …`.
_H2 = re.compile(r"\n##(?!#)[ \t]+([^\n]*)")
_TASK = re.compile(r"\n([ \t]*)[-*+][ \t]+\[([ xX])\][ \t]*([^\n]*)")
_TABLE = re.compile(r"\n[ \t]*\|[^\n]*(?:\n[ \t]*\|[^\n]*)*")
_DELIM = re.compile(r"^[\s|:\-]+$")
_CONTENT_LINE = re.compile(r"\n[ \t]*(?![|])(?![-*+][ \t]+\[ \])\S")
_CELL_SPLIT = re.compile(r"(?<!\\)\|")


class ParseProblem(Exception):
    """A file that cannot be read as a post-mortem at all; carries its finding."""

    def __init__(self, finding: Finding):
        super().__init__(finding.message)
        self.finding = finding


def in_code_span(line: str, start: int, end: int) -> bool:
    """Whether line[start:end] lies inside an inline code span (a backtick run closed by a
    run of the same length)."""
    runs = list(re.finditer(r"`+", line))
    i = 0
    while i < len(runs):
        opener = runs[i]
        if opener.start() >= start:
            return False
        closer = next(
            (j for j in range(i + 1, len(runs)) if len(runs[j].group(0)) == len(opener.group(0))),
            None,
        )
        if closer is None:
            i += 1
            continue
        if runs[closer].start() >= end:
            return True
        i = closer + 1
    return False


def comment_and_fence_spans(body: str) -> Iterator[tuple[int, int, bool]]:
    """(start, stop, is_comment) of every HTML comment and fenced code block, in order.

    Scans left to right, once: at each point the nearer of the next `<!--` (closed by the
    next `-->`) and the next fence start is taken. Linear in the length of the body.
    """
    comment = body.find("<!--")
    fence_search = _FENCE_START.search(body)
    fence_at = fence_search.start() if fence_search else -1
    pos = 0
    while comment >= 0 or fence_at >= 0:
        if comment >= 0 and (fence_at < 0 or comment < fence_at):
            close = body.find("-->", comment + 4)
            if close < 0:  # no `-->` anywhere after: no later comment can close either
                comment = -1
                continue
            start, pos = comment, close + 3
            yield start, pos, True
        else:
            fence = _FENCE.match(body, fence_at)
            if fence is None:  # a fence start without a line after it
                fence_search = _FENCE_START.search(body, fence_at + 1)
                fence_at = fence_search.start() if fence_search else -1
                continue
            start, pos = fence_at, fence.end()
            yield start, pos, False
        if 0 <= comment < pos:
            comment = body.find("<!--", pos)
        if 0 <= fence_at < pos:
            fence_search = _FENCE_START.search(body, pos)
            fence_at = fence_search.start() if fence_search else -1


def find_text(text: str, needle: str, start: int = 0) -> int:
    """`text.find(needle, start)`, quicker when the needle's first character is rare (`<!--`,
    a fence, `???` in prose): `str.find` looks for one character at `memchr` speed but for a
    word several times slower. After a few false starts the word is sought as usual, so the
    cost stays linear."""
    first = needle[0]
    for _ in range(8):
        at = text.find(first, start)
        if at < 0 or text.startswith(needle, at):
            return at
        start = at + 1
    return text.find(needle, start)


def mask(body: str) -> str:
    """The body with HTML comments and fenced code blanked out, line numbers kept."""
    if find_text(body, "<!--") < 0 and find_text(body, "```") < 0 and find_text(body, "~~~") < 0:
        return body
    parts: list[str] = []
    pos = 0
    for start, stop, _comment in comment_and_fence_spans(body):
        parts.append(body[pos:start])
        parts.append("\n" * body.count("\n", start, stop))
        pos = stop
    if pos == 0:
        return body
    parts.append(body[pos:])
    return "".join(parts)


def decode(path: str, data: bytes) -> str:
    """Text from bytes: UTF-8 (a BOM is dropped), LF line endings."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ParseProblem(
            finding(
                path, line, "PM001", f"not valid UTF-8 (byte {exc.start}): save the file as UTF-8"
            )
        ) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def split_front_matter(path: str, text: str) -> tuple[dict[str, Any], dict[str, int], int]:
    """The front matter as a dict, the line of each top-level key, and the body's offset."""
    if not text or text.isspace():  # (`not text.strip()` without copying the text)
        raise ParseProblem(
            finding(path, 1, "PM002", "the file is empty: start from `postmortem new`")
        )
    newline = text.find("\n")
    first = text if newline < 0 else text[:newline]
    if first.strip() != "---":
        raise ParseProblem(
            finding(
                path,
                1,
                "PM002",
                "no front matter: the file must start with a `---` line, "
                "the YAML keys, and a closing `---`",
            )
        )
    if newline < 0:
        raise ParseProblem(
            finding(
                path, 1, "PM002", "the front matter is not closed: add a `---` line after the keys"
            )
        )
    start = text.find("\n") + 1
    end = _FM_END.search(text, start)
    if end is None:
        raise ParseProblem(
            finding(
                path, 1, "PM002", "the front matter is not closed: add a `---` line after the keys"
            )
        )
    raw = text[start : end.start()]
    body_start = end.end() + 1 if end.end() < len(text) else end.end()
    if len(raw) > MAX_FRONT_MATTER:
        raise ParseProblem(
            finding(
                path,
                1,
                "PM003",
                f"the front matter is {len(raw) // 1024} KB, over the "
                f"{MAX_FRONT_MATTER // 1024} KB limit: keep it to the "
                "keys of a post-mortem and move the rest to the body",
            )
        )
    simple = _simple_front_matter(raw)
    if simple is not None:
        return simple[0], simple[1], body_start
    meta, lines = _yaml_front_matter(path, raw)
    return (
        {k: (None if isinstance(v, str) and v in _NULLS else v) for k, v in meta.items()},
        lines,
        body_start,
    )


# Limits on what the front matter may hold: real front matter is a few hundred bytes of
# flat keys. Past these, a file is refused (PM003) before anything is built from it, so no
# input can make a command slow or deep: aliases are refused, never expanded (an alias
# "bomb" of a few KB would otherwise expand to gigabytes).
MAX_FRONT_MATTER = 64 * 1024
MAX_DEPTH = 16
_NO_KEY = object()


_VALUE_START = re.compile(r"^[ \t]*(?:-[ \t]+)?(?:[^\s\"'#:][^:#]*:[ \t]+|-[ \t]+)?([\"'\[{])")


def _unclosed_on(line: str) -> str | None:
    """What a front-matter line opens and does not close: a quote, `[` or `{`, else None."""
    start = _VALUE_START.match(line)
    if start is None:
        return None
    opener, rest = start.group(1), line[start.end() :]
    if opener == '"':
        escaped = False
        for char in rest:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                return None
        return "a quote"
    if opener == "'":
        return None if "'" in rest else "a quote"
    depth, quote = 1, ""
    for char in rest:
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
            if depth == 0:
                return None
        elif char == "#":
            break
    return "a `[` list" if opener == "[" else "a `{` mapping"


def _yaml_problem(path: str, raw: str, exc: yaml.YAMLError) -> ParseProblem:
    """PM003 for libyaml's error. An unclosed quote or bracket is reported on the line where
    it opens, with the line where parsing gave up as context: libyaml often fails lines
    later (a quote left open runs on to the next `"`), so the lines up to the failure are
    looked at for the first one that opens a quote or bracket and does not close it."""
    mark = getattr(exc, "problem_mark", None)
    failed = (mark.line + 2) if mark is not None else 1
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context = getattr(exc, "context", None) or ""
    opened = getattr(exc, "context_mark", None)
    what, line = None, failed
    for number, text in enumerate(raw.split("\n")[: max(failed - 1, 0)], start=2):
        what = _unclosed_on(text)
        if what:
            line = number
            break
    if what is None and opened is not None and ("quoted scalar" in context or "flow " in context):
        what = (
            "a quote"
            if "quoted" in context
            else "a `[` list"
            if "sequence" in context
            else "a `{` mapping"
        )
        line = opened.line + 2
    if what is not None:
        where = (
            f" (parsing stopped on line {failed}: {problem})" if failed != line else f" ({problem})"
        )
        return ParseProblem(
            finding(
                path,
                line,
                "PM003",
                f"malformed YAML in the front matter: {what} opened on "
                f"this line is not closed{where}",
            )
        )
    return ParseProblem(
        finding(path, failed, "PM003", f"malformed YAML in the front matter: {problem}")
    )


def _yaml_front_matter(path: str, raw: str) -> tuple[dict[str, Any], dict[str, int]]:
    """Front matter read by libyaml's parser, built here from its events (iteratively, so
    depth costs no stack), with the limits above and duplicate keys refused at every level.
    Scalars stay strings, exactly as the base loader gives them."""
    loader = _Loader(raw)
    lines: dict[str, int] = {}
    # each frame: [container, is_mapping, pending key, lines of the keys seen]
    stack: list[list[Any]] = []
    result: Any = None
    documents = 0

    def refuse(event: Any, message: str) -> ParseProblem:
        return ParseProblem(finding(path, event.start_mark.line + 2, "PM003", f"{message}"))

    def add(value: Any, event: Any) -> None:
        nonlocal result
        if not stack:
            result = value
            return
        frame = stack[-1]
        if not frame[1]:
            frame[0].append(value)
        elif frame[2] is _NO_KEY:
            if not isinstance(value, str):
                raise refuse(
                    event, "a key in the front matter must be plain text, not a list or mapping"
                )
            line = event.start_mark.line + 2
            first = frame[3].get(value)
            if first is not None:
                raise refuse(
                    event,
                    f"the key `{value}` appears twice (first on line {first}): "
                    "a key may appear once; keep the value you mean and "
                    "delete the other",
                )
            frame[3][value] = line
            if len(stack) == 1:
                lines[value] = line
            frame[2] = value
        else:
            frame[0][frame[2]] = value
            frame[2] = _NO_KEY

    try:
        while True:
            event = loader.get_event()
            if event is None or isinstance(event, yaml.StreamEndEvent):
                break
            if isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise refuse(event, "the front matter must be one YAML document")
                continue
            if isinstance(event, yaml.AliasEvent):
                raise refuse(
                    event,
                    f"the alias `*{event.anchor}` is not allowed in the "
                    "front matter: write the value out",
                )
            if isinstance(event, yaml.CollectionEndEvent):
                stack.pop()
                continue
            if not isinstance(event, yaml.NodeEvent):
                continue
            if event.anchor is not None:
                raise refuse(
                    event,
                    f"the anchor `&{event.anchor}` is not allowed in the "
                    "front matter: write each value out",
                )
            if isinstance(event, yaml.ScalarEvent):
                add(event.value, event)
                continue
            if len(stack) >= MAX_DEPTH:
                raise refuse(
                    event,
                    f"the front matter nests deeper than {MAX_DEPTH} "
                    "levels: post-mortem keys are flat values and lists",
                )
            container: Any = {} if isinstance(event, yaml.MappingStartEvent) else []
            add(container, event)
            stack.append([container, isinstance(container, dict), _NO_KEY, {}])
    except yaml.YAMLError as exc:
        raise _yaml_problem(path, raw, exc) from None
    finally:
        loader.dispose()
    if result is None:
        return {}, {}
    if not isinstance(result, dict):
        raise ParseProblem(
            finding(path, 2, "PM003", "the front matter must be a mapping of `key: value` lines")
        )
    return result, lines


# Most front matter is a few `key: value` lines and `- item` lists. Those are read here
# directly, giving exactly what libyaml's base loader gives (tests/test_front_matter.py
# compares the two); anything else - quotes with escapes, comments, nesting, multi-line
# scalars, anchors, tags - returns None and goes to libyaml, which also reports errors.
# (`(.*[^ \t])?[ \t]*` rather than a lazy `(.*?)[ \t]*`: the same value without the trailing
# blanks, found without trying the end of the line after every character)
_SIMPLE_KEY = re.compile(r"([A-Za-z_][\w-]*):(?:[ \t]+(.*[^ \t])?)?[ \t]*")
_SIMPLE_ITEM = re.compile(r"([ ]*)-[ ]+(.*[^ \t])?[ \t]*")
_NOT_PLAIN_START = frozenset("-?:,[]{}#&*!|>'\"%@`")


def _plain(value: str) -> str | None:
    """A scalar as libyaml's base loader reads it, or None when that is not certain."""
    if not value:
        return ""
    first = value[0]
    if first == '"':
        inner = value[1:-1]
        if len(value) > 1 and value[-1] == '"' and '"' not in inner and "\\" not in inner:
            return inner
        return None
    if first == "'":
        inner = value[1:-1]
        return inner if len(value) > 1 and value[-1] == "'" and "'" not in inner else None
    if (
        first in _NOT_PLAIN_START
        or ": " in value
        or " #" in value
        or value[-1] == ":"
        or "\t" in value
    ):
        return None
    return value


def _flow_list(value: str) -> list[str] | None:
    inner = value[1:-1].strip()
    if not inner:
        return []
    if any(c in inner for c in "[]{}\"'#"):
        return None
    items = [_plain(item.strip()) for item in inner.split(",")]
    if any(not item for item in items):
        return None
    return items  # type: ignore[return-value]


def _simple_front_matter(raw: str) -> tuple[dict[str, Any], dict[str, int]] | None:
    meta: dict[str, Any] = {}
    lines: dict[str, int] = {}
    key: str | None = None  # the key whose block list is being read
    indent: str | None = None
    for number, line in enumerate(raw.split("\n"), start=2):
        if not line.strip():
            continue
        match = _SIMPLE_KEY.fullmatch(line)
        if match:
            name, value = match.group(1), match.group(2) or ""
            if value.startswith("[") and value.endswith("]"):
                parsed: Any = _flow_list(value)
            else:
                parsed = _plain(value)
            if parsed is None:
                return None
            if name in meta:  # a duplicate: libyaml's path reports it with its line
                return None
            meta[name] = parsed
            lines[name] = number
            key, indent = (name, None) if value == "" else (None, None)
            continue
        item = _SIMPLE_ITEM.fullmatch(line)
        if item is None or key is None:
            return None
        if indent is None:
            indent = item.group(1)
            if meta[key] != "":
                return None
            meta[key] = []
        elif item.group(1) != indent:
            return None
        scalar = _plain(item.group(2) or "")
        if not scalar:
            return None
        meta[key].append(scalar)
    return {k: (None if isinstance(v, str) and v in _NULLS else v) for k, v in meta.items()}, lines


def split_cells(line: str) -> tuple[str, ...]:
    line = line.strip()
    if line.startswith("|"):
        line = line[1:]
    if line.endswith("|") and not line.endswith("\\|"):
        line = line[:-1]
    if "\\|" not in line:  # the common case, without a regular expression
        return tuple(map(str.strip, line.split("|")))
    return tuple(c.strip().replace("\\|", "|") for c in _CELL_SPLIT.split(line))


def _tables(chunk: str, line_before: int) -> list[Table]:
    """Pipe tables in CHUNK (which starts with "\n"); LINE_BEFORE is the line of chunk[0]."""
    tables = []
    pos, line = 0, line_before + 1
    for match in _TABLE.finditer(chunk):
        line += chunk.count("\n", pos, match.start())
        pos = match.start()
        rows = match.group(0)[1:].split("\n")
        if len(rows) < 2 or not _DELIM.match(rows[1]) or "-" not in rows[1]:
            continue
        body = tuple((line + 2 + i, split_cells(r)) for i, r in enumerate(rows[2:]))
        tables.append(Table(line, split_cells(rows[0]), body))
    return tables


def parse_text(path: str, text: str) -> Postmortem:
    """Parse decoded text; raises ParseProblem when it is not a post-mortem at all."""
    meta, meta_lines, body_start = split_front_matter(path, text)
    body_line = text.count("\n", 0, body_start) + 1
    body = "\n" + mask(text[body_start:])  # body[k] is on line body_line + count("\n", 1, k)

    sections: list[Section] = []
    all_items: list[ChecklistItem] = []
    timeline: list[TimelineEntry] = []
    actions: list[ActionItem] = []
    raw_id = meta.get("id")
    pm_id = raw_id if isinstance(raw_id, str) else ""

    heads = list(_H2.finditer(body))
    line, pos = body_line, 0
    for index, head in enumerate(heads):
        line += body.count("\n", pos, head.start())
        pos = head.start()
        end = heads[index + 1].start() if index + 1 < len(heads) else len(body)
        chunk = body[head.end() : end]  # starts with the newline that ends the heading
        items: list[ChecklistItem] = []
        if "[" in chunk:
            ipos, iline = 0, line + 1
            for task in _TASK.finditer(chunk):
                iline += chunk.count("\n", ipos, task.start())
                ipos = task.start()
                indent, mark, item_text = task.groups()
                items.append(
                    ChecklistItem(
                        iline,
                        item_text.strip(),
                        mark != " ",
                        len(indent.expandtabs(4) if "\t" in indent else indent),
                    )
                )
        tables = _tables(chunk, line) if "|" in chunk else []
        has_content = bool(_CONTENT_LINE.search(chunk)) or any(t.rows for t in tables)
        end_line = line + chunk.count("\n")
        title = head.group(1).rstrip(" \t#").strip()
        section = Section(
            title,
            line,
            end_line,
            has_content,
            tuple(items),
            tuple(tables),
            chunk,
            section_key(title),
        )
        sections.append(section)
        all_items.extend(items)
        for table in tables:
            header = tuple(h.casefold() for h in table.header)
            if header[:5] == ACTION_COLUMNS[:5]:
                actions.extend(_action(pm_id, row_line, cells) for row_line, cells in table.rows)
            elif section.key == "timeline" and header and header[0].startswith("time"):
                for row_line, cells in table.rows:
                    raw_time = cells[0] if cells else ""
                    event = " | ".join(cells[1:])
                    timeline.append(
                        TimelineEntry(row_line, parse_table_time(raw_time), raw_time, event)
                    )

    return Postmortem(
        path,
        meta,
        meta_lines,
        body_line,
        tuple(sections),
        tuple(timeline),
        tuple(actions),
        tuple(all_items),
        text,
        body[1:],
    )


def _action(pm_id: str, line: int, cells: tuple[str, ...]) -> ActionItem:
    padded = cells + ("",) * (6 - len(cells))
    raw_due = padded[3]
    return ActionItem(
        pm_id,
        line,
        padded[0],
        padded[1],
        padded[2],
        parse_date(raw_due),
        raw_due,
        padded[4].strip("`*").lower(),
        padded[5],
    )
