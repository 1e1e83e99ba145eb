"""A line-oriented scanner for post-mortem files.

A full Markdown parse of every file is too slow for a knowledge base of thousands of
post-mortems (see ../shared/PERFORMANCE.md); this scanner knows just enough Markdown:
front matter, HTML comments, fenced code, H2 headings, task items and pipe tables.
Every element keeps the line it came from.
"""

from __future__ import annotations

import re
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
_FM_KEY = re.compile(r"^([A-Za-z_][\w-]*)[ \t]*:", re.M)
_MASK = re.compile(
    r"<!--.*?-->|^[ \t]{0,3}(`{3,}|~{3,})[^\n]*\n.*?(?:^[ \t]{0,3}\1[`~]*[ \t]*$|\Z)",
    re.S | re.M,
)
# The scanner works on the body with a "\n" put in front, so that every line starts after a
# newline: patterns that begin with a literal "\n" are several times faster in `re` than
# patterns that begin with a MULTILINE `^`.
_H2 = re.compile(r"\n##(?!#)[ \t]+([^\n]*?)[ \t#]*(?=\n|\Z)")
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


def _blank(match: re.Match[str]) -> str:
    return "\n" * match.group(0).count("\n")


def mask(body: str) -> str:
    """The body with HTML comments and fenced code blanked out, line numbers kept."""
    if "<!--" not in body and "```" not in body and "~~~" not in body:
        return body
    return _MASK.sub(_blank, body)


def decode(path: str, data: bytes) -> str:
    """Text from bytes: UTF-8 (a BOM is dropped), LF line endings."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ParseProblem(
            finding(path, line, "PM001",
                    f"not valid UTF-8 (byte {exc.start}): save the file as UTF-8")
        ) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def split_front_matter(path: str, text: str) -> tuple[dict[str, Any], dict[str, int], int]:
    """The front matter as a dict, the line of each top-level key, and the body's offset."""
    if not text.strip():
        raise ParseProblem(finding(path, 1, "PM002",
                                   "the file is empty: start from `postmortem new`"))
    newline = text.find("\n")
    first = text if newline < 0 else text[:newline]
    if first.strip() != "---":
        raise ParseProblem(finding(path, 1, "PM002",
                                   "no front matter: the file must start with a `---` line, "
                                   "the YAML keys, and a closing `---`"))
    if newline < 0:
        raise ParseProblem(finding(path, 1, "PM002",
                                   "the front matter is not closed: "
                                   "add a `---` line after the keys"))
    start = text.find("\n") + 1
    end = _FM_END.search(text, start)
    if end is None:
        raise ParseProblem(finding(path, 1, "PM002",
                                   "the front matter is not closed: "
                                   "add a `---` line after the keys"))
    raw = text[start:end.start()]
    simple = _simple_front_matter(raw)
    if simple is not None:
        return simple[0], simple[1], end.end() + 1 if end.end() < len(text) else end.end()
    try:
        meta = yaml.load(raw, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = (mark.line + 2) if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ParseProblem(finding(path, line, "PM003",
                                   f"malformed YAML in the front matter: {problem}")) from None
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise ParseProblem(finding(path, 2, "PM003",
                                   "the front matter must be a mapping of `key: value` lines"))
    lines: dict[str, int] = {}
    base = 2
    pos = 0
    for match in _FM_KEY.finditer(raw):
        base += raw.count("\n", pos, match.start())
        pos = match.start()
        lines.setdefault(match.group(1), base)
    body_start = end.end() + 1 if end.end() < len(text) else end.end()
    return ({str(k): (None if isinstance(v, str) and v in _NULLS else v)
             for k, v in meta.items()}, lines, body_start)


# Most front matter is a few `key: value` lines and `- item` lists. Those are read here
# directly, giving exactly what libyaml's base loader gives (tests/test_front_matter.py
# compares the two); anything else - quotes with escapes, comments, nesting, multi-line
# scalars, anchors, tags - returns None and goes to libyaml, which also reports errors.
_SIMPLE_KEY = re.compile(r"([A-Za-z_][\w-]*):(?:[ \t]+(.*?))?[ \t]*")
_SIMPLE_ITEM = re.compile(r"([ ]*)-[ \t]+(.*?)[ \t]*")
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
    if first in _NOT_PLAIN_START or ": " in value or " #" in value or value[-1] == ":" \
            or "\t" in value:
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
            meta[name] = parsed
            lines.setdefault(name, number)
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
        scalar = _plain(item.group(2))
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
        return tuple(cell.strip() for cell in line.split("|"))
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
        chunk = body[head.end():end]  # starts with the newline that ends the heading
        items: list[ChecklistItem] = []
        if "[" in chunk:
            ipos, iline = 0, line + 1
            for task in _TASK.finditer(chunk):
                iline += chunk.count("\n", ipos, task.start())
                ipos = task.start()
                indent, mark, item_text = task.groups()
                items.append(ChecklistItem(iline, item_text.strip(), mark != " ",
                                           len(indent.expandtabs(4) if "\t" in indent
                                               else indent)))
        tables = _tables(chunk, line) if "|" in chunk else []
        has_content = bool(_CONTENT_LINE.search(chunk)) or any(t.rows for t in tables)
        end_line = line + chunk.count("\n")
        title = head.group(1).strip()
        section = Section(title, line, end_line, has_content, tuple(items), tuple(tables),
                          chunk, section_key(title))
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
                    timeline.append(TimelineEntry(row_line, parse_table_time(raw_time),
                                                  raw_time, event))

    return Postmortem(path, meta, meta_lines, body_line, tuple(sections), tuple(timeline),
                      tuple(actions), tuple(all_items), text, body[1:])


def _action(pm_id: str, line: int, cells: tuple[str, ...]) -> ActionItem:
    padded = cells + ("",) * (6 - len(cells))
    raw_due = padded[3]
    return ActionItem(pm_id, line, padded[0], padded[1], padded[2], parse_date(raw_due),
                      raw_due, padded[4].strip("`*").lower(), padded[5])
