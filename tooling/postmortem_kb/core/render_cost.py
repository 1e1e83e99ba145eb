"""PM005: text that Python-Markdown would take minutes to render, found before it tries.

Python-Markdown, which renders the site (and PM402's view of a page), is quadratic on some
inputs (upstream issues #798 and #1619). Measured on this machine, one paragraph of 10,000
`[` took 9 s to render, 20,000 took 35 s, and 300 KB more than five minutes; `[a](` without
its `)`, and `<b` without a later `>`, behave the same. The cost comes from scans that run
from an opening mark to its closing one, or to the end of the paragraph when there is none:

- each `[` is scanned to its matching `]` (brackets nest), or to the end of its paragraph;
- each `](` is scanned to its matching `)` (parentheses nest), or to the end of its paragraph;
- each `<` that starts a tag (`<b`, `</`, `<!`, `<?`) is scanned to the next `>` in the file;
- each inline mark (`[`, `*`, `_`, `` ` ``, `<`, `&`, `\\`, `!`, `{`, `^`, `=`, `~`) may
  rebuild its paragraph once: marks x length. A 300 KB paragraph of links takes about 2 s.
  Lists and tables are rendered item by item and cell by cell, which this does not model, so
  the weight (1/5000 of a scan step) is set where a 300 KB checklist, table or fenced log
  is still accepted and the 300 KB paragraph of links is not;
- each line inside a run of lines (no blank line between) that ends a block there (an ATX
  heading, `!!!` or `???`, a thematic break such as `---` or `- - -`) makes the block parser
  split the block and search the rest again: the rest's length, for each such line (100 KB
  of `## ` lines took 9 s);
- and, linear but not cheap, each element (`*`, `_`, `&`, `` ` ``, `[`, `<`), table cell
  (`|`) and escape (`\\`) costs about 15 µs: 1 MB of short paragraphs of `*a*` takes about
  7 s, 1 MB of `| ` lines 3 s; and so does each block the parser splits off at a blank
  line (about 24 µs: 1 MB of line breaks, or of carriage returns, which files are read as,
  took the build 12 s).

`estimate` adds these up (the unit is one step of the bracket scan, about 0.2 µs here) and
`costly_block` reports the paragraph with most of the cost when the whole file exceeds
`LIMIT`, under a second of rendering. Post-mortems written by people are far below it: the
costliest of about 200 public post-mortems and peers' Markdown files measured is 1% of it.
Only machine-made or hostile text reaches it. Paragraphs are runs of non-blank lines: a
paragraph never spans a blank line, so splitting there never underestimates. When HTML with
a `markdown` attribute (md_in_html) could join paragraphs into one inline run, the whole file
is taken as one paragraph.

Linear in the length of the text. A typical file takes the shortcut in `costly_block`, a bound
from four counts over the file's `[`, `<` and newlines and a few `find`s of blank lines
(about 6 µs for 12 KB); every file of the 10,000 generated ones of benchmarks/check_speed.py
does.
"""

from __future__ import annotations

import re

LIMIT = 2_000_000
RULE = "PM005"
MESSAGE = (
    "the site's Markdown renderer would take too long on this file (up to minutes), most of "
    "it from this paragraph: `[`, `(` or `<` left open far from where they close, headings "
    "or rules (`#`, `---`, `!!!`) on consecutive lines with no blank line between, or very "
    "many marks; close them, put blank lines between blocks, or attach machine-made text as "
    "evidence (`postmortem evidence add`)"
)
_TAG_WEIGHT = 5  # a tag scan (a regular expression) costs a fifth of a bracket scan step
_MARK_WEIGHT = 5000  # a rebuild of a paragraph, per character (see below)
_MARKS = "[*_`<&\\!{^=~"
_SPLIT_WEIGHT = 4  # the block processors' searches of the rest of a block, per character
_INLINE = "*_&`[<|\\"  # marks that each make an element (or a cell), at about 15 µs each
_INLINE_STEPS = 40
_BLANK_STEPS = 100  # each block the parser splits off: 1 MB of blank lines took 12 s

_PARAGRAPH = re.compile(r"^(?:[^\S\n]*\S[^\n]*(?:\n|\Z))+", re.MULTILINE)
_BRACKETS = re.compile(r"\]\(|[\[\]]")
_PARENS = re.compile(r"[()]")
_TAG_OR_END = re.compile(r"<[A-Za-z/!?]|>")
_SPAN_HTML = re.compile(r"<[^<>]*\bmarkdown\b", re.IGNORECASE)
# Lines that end a block in the middle of a run of lines: an ATX heading, an admonition or
# details opener, a thematic break.
_SPLITTER = re.compile(r"^(?:#|!!!|\?\?\?|[ ]{0,3}([-*_])(?:[ ]{0,2}\1){2,}[ ]*$)", re.MULTILINE)


def _paragraphs(text: str) -> list[tuple[int, int]]:
    """(start, end) of each run of non-blank lines; the whole text when HTML could join
    runs into one inline span."""
    if "markdown" in text and _SPAN_HTML.search(text):
        return [(0, len(text))]
    return [(m.start(), m.end() - m.group().endswith("\n")) for m in _PARAGRAPH.finditer(text)]


def _scan_steps(text: str, start: int, end: int, budget: int) -> int:
    """Steps of the `[` and `](` scans in text[start:end]; stops once over BUDGET."""
    steps = 0
    opened: list[int] = []
    for m in _BRACKETS.finditer(text, start, end):
        if m.group() == "[":
            opened.append(m.start())
            continue
        if opened:  # "]" or "](": closes the innermost `[`
            steps += m.start() - opened.pop()
        if len(m.group()) == 2:
            steps += _paren_steps(text, m.end(), end)
        if steps > budget:
            return steps
    return steps + len(opened) * end - sum(opened)


def _paren_steps(text: str, start: int, end: int) -> int:
    """Steps of the scan for the `)` that closes the `(` before START (parentheses nest)."""
    depth = 1
    for m in _PARENS.finditer(text, start, end):
        depth += 1 if m.group() == "(" else -1
        if depth == 0:
            return m.end() - start
    return end - start


def _tag_steps(text: str) -> tuple[int, int]:
    """Steps of the scans from each tag start to the next `>`, over the whole text, and
    the offset of the first tag start of the costliest run without a `>`."""
    steps = worst = worst_at = 0
    pending = count = first = 0  # the sum, number and first of the starts waiting for `>`
    for m in _TAG_OR_END.finditer(text):
        if m.group() == ">":
            run = count * m.start() - pending
            steps += run
            if run > worst:
                worst, worst_at = run, first
            pending = count = 0
        else:
            if not count:
                first = m.start()
            pending += m.start()
            count += 1
    run = count * len(text) - pending
    if run > worst:
        worst_at = first
    return (steps + run) // _TAG_WEIGHT, worst_at


def _mark_steps(text: str, start: int, end: int) -> int:
    length = end - start
    if length * length // _MARK_WEIGHT < 1000:
        return 0
    marks = sum(text.count(c, start, end) for c in _MARKS)
    return marks * length // _MARK_WEIGHT


def _split_steps(text: str, start: int, end: int) -> int:
    """Python-Markdown's block parser splits a block at each heading, admonition or rule
    inside it, and each of its block processors searches the rest again: quadratic in a run
    of such lines with no blank line between them."""
    steps = 0
    for m in _SPLITTER.finditer(text, start, end):
        steps += end - m.start()
    return steps // _SPLIT_WEIGHT


def _inline_steps(text: str, start: int, end: int) -> int:
    """Linear, but each element costs: 1 MB of `*a` paragraphs takes seconds."""
    return sum(text.count(c, start, end) for c in _INLINE) * _INLINE_STEPS


def estimate(text: str, budget: int = LIMIT) -> tuple[int, int]:
    """(cost, offset of the costliest paragraph), the cost in bracket-scan steps. Counting
    stops in the paragraph that takes the cost over BUDGET."""
    total, worst_at = _tag_steps(text) if "<" in text else (0, 0)
    worst = total
    total += text.count("\n\n") * _BLANK_STEPS  # spread over the file: no one paragraph
    for start, end in _paragraphs(text):
        cost = _mark_steps(text, start, end) + _inline_steps(text, start, end)
        if "\n" in text[start:end]:  # a run of one line has nothing to split
            cost += _split_steps(text, start, end)
        if text.find("[", start, end) != -1:
            cost += _scan_steps(text, start, end, budget - total - cost)
        total += cost
        if cost > worst:
            worst, worst_at = cost, start
        if total > budget:
            break
    return total, worst_at


_KEPT = b"[<\n"
_DROPPED = bytes(c for c in range(256) if c not in _KEPT)
_STRIDE = 1024  # how far apart the blank lines are sought for the quick bound on B


def costly_block(text: str, raw: bytes | None = None) -> int | None:
    """The offset of the paragraph to report when rendering TEXT would cost more than
    `LIMIT`; None when it would not. RAW: the text encoded one byte a character, when the
    caller has it (the check does)."""
    n = len(text)
    if n <= 1000:  # even all of it `[` stays under a million steps
        return None
    # Shortcut, a bound from four counts in one pass and a few `find`s (about 6 µs for
    # 12 KB): no paragraph is longer than the longest run between two newlines in a row (B),
    # so each `[`, `](` and split scans at most B; a tag scan at most n; each character is
    # at most one mark.
    if raw is None:
        raw = text.encode("ascii", "replace")
    kept = raw.translate(None, _DROPPED)  # only `[`, `<` and newlines: one pass in C
    tags = kept.count(b"<")
    # HTML may join the paragraphs into one (as `_paragraphs` says); it needs a `<`
    joined = bool(tags) and "markdown" in text and _SPAN_HTML.search(text) is not None
    longest = n if joined else _longest_at_most(raw)
    bound = _bound(kept, tags, n, longest)
    if bound > LIMIT and not joined:  # the quick B may be too high: the exact one
        bound = _bound(kept, tags, n, max(map(len, raw.split(b"\n\n"))))
    if bound <= LIMIT:
        return None
    cost, at = estimate(text)
    return at if cost > LIMIT else None


def _bound(kept: bytes, tags: int, n: int, longest: int) -> int:
    return (
        2 * kept.count(b"[") * longest
        + tags * n // _TAG_WEIGHT
        + kept.count(b"\n") * longest // _SPLIT_WEIGHT
        + n * longest // _MARK_WEIGHT
        + n * _INLINE_STEPS
        + kept.count(b"\n\n") * _BLANK_STEPS  # (at least as many as in the text)
    )


def _longest_at_most(raw: bytes) -> int:
    """At least B, the longest run between two newlines in a row (`raw.split(b"\\n\\n")`'s
    longest part), from one `find` every `_STRIDE` bytes instead of a split: each run lies
    between two of the blank lines found (or an end of the text), and no run is longer than
    the distance between them."""
    longest = previous = 0
    at = raw.find(b"\n\n", _STRIDE)
    while at >= 0:
        if at - previous > longest:
            longest = at - previous
        previous = at
        at = raw.find(b"\n\n", at + _STRIDE)
    return max(longest, len(raw) - previous)
