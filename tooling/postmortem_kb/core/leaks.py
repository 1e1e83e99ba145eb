"""What an audience must never receive: the errors that stop a build or an `--audience`
output outright, the files that must never be built, and the scan of every output for what
was withheld.

The scan is the last line: whatever the cut, the withholding and the renderer did, a build
for an audience (and `export`, `actions`, `report`, `stats`, `controls` with `--audience`)
looks through every byte it wrote - HTML, JSON, JavaScript, XML, sitemaps, Pagefind's
compressed fragments, anything gzipped - for the ids, slugs, titles, owners, services, tags
and distinctive text of every post-mortem and block it withheld, and fails naming the file
and the item. Needles that also occur in what the audience may see (a service shared with a
visible post-mortem, a template's sentence) are left out, so the scan does not cry wolf.
"""

from __future__ import annotations

import gzip
import os
import re
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import ahocorasick

from .audience import cut_marked_blocks, marked_blocks, may_see, withhold
from .catalogue import finding
from .config import Config
from .model import Finding, Postmortem

# Rules whose errors put an audience at risk: the site is not built and `--audience` outputs
# are refused while any is found, `--strict` or not.
AUDIENCE_RULES = frozenset({"PM003", "PM004", "PM106", "PM701", "PM702", "PM703"})
YEAR_PATTERN = "/[0-9][0-9][0-9][0-9]/"  # the exclude_docs line that hides the year folders
_YEAR = re.compile(r"\d{4}")
_ID_IN_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]*-\d{4}-\d{3,}")
_FRONT_ID = re.compile(r"^(?:id|visibility)[ \t]*:", re.M)
_SPACES = re.compile(r"  +")
MIN_TEXT = 40  # characters of a withheld sentence fragment worth looking for
# Runs of letters, digits and single spaces, which survive rendering to HTML, JSON and
# search fragments; one line at most.
_BREAKS = {
    ord(c): "\n"
    for c in "\t!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~\u00a0\u2013\u2014"
    "\u2018\u2019\u201c\u201d\u2026\u00b7\u2022\u2192"
}
MIN_TERM = 6  # characters of a withheld owner, service or tag worth looking for


def kb_year_pattern() -> str:
    return YEAR_PATTERN


def audience_safety_errors(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == "error" and f.rule in AUDIENCE_RULES]


# --- files that must never be built ---------------------------------------------------------


# PM001 for what is no file: reading a named pipe waits for a writer, for ever.
NOT_A_FILE = (
    "not a regular file (a named pipe, socket or device): the docs folder holds files; remove it"
)


def placement_findings(config: Config) -> list[Finding]:
    """PM702: a post-mortem (a Markdown file whose front matter has an `id` or `visibility`,
    or whose name starts with an id) outside `<docs>/<YYYY>/`; PM703: a symlink anywhere in
    the docs folder (MkDocs follows it, so it can publish a file from elsewhere in the
    knowledge base or outside it under another name). One `scandir` a folder: the type of
    each entry comes with the listing, so a year folder of thousands of files costs no
    extra system call."""
    docs = config.docs_path
    findings: list[Finding] = []
    pending = [(str(docs), "")]
    while pending:
        folder, rel = pending.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            continue
        top = rel.split("/", 1)[0]
        in_year = rel == top and bool(_YEAR.fullmatch(top))
        for entry in entries:
            if config.left_out(entry.name):
                continue  # in no site (an editor's lock or swap file, say)
            if entry.is_symlink():
                findings.append(
                    finding(
                        config.relative(Path(entry.path)),
                        1,
                        "PM703",
                        "a symlink in the docs folder: the site would publish "
                        "what it points to under this name, whatever that "
                        "file's audience; replace it with the file itself",
                    )
                )
                continue
            child = f"{rel}/{entry.name}" if rel else entry.name
            if entry.is_dir():
                pending.append((entry.path, child))
            elif not entry.is_file() and not (in_year and entry.name.endswith(".md")):
                # (a post-mortem's own read reports it)
                findings.append(finding(config.relative(Path(entry.path)), 1, "PM001", NOT_A_FILE))
            elif (
                entry.name.endswith(".md")
                and not in_year
                and top != "templates"
                and _looks_like_postmortem(Path(entry.path))
            ):
                findings.append(
                    finding(
                        config.relative(Path(entry.path)),
                        1,
                        "PM702",
                        f"a post-mortem outside a year folder is neither checked nor kept from "
                        f"other audiences: move it to {config.docs_dir}/<YYYY>/ (the year it "
                        "occurred), or remove its `id` and `visibility` if it is not one",
                    )
                )
    return findings


def _looks_like_postmortem(path: Path) -> bool:
    if _ID_IN_NAME.match(path.name):
        return True
    try:
        with open(path, "rb") as handle:
            head = handle.read(8192).decode("utf-8", "replace")
    except OSError:
        return False
    if not head.lstrip("\ufeff").startswith("---"):
        return False
    end = head.find("\n---", 3)
    front = head[:end] if end > 0 else head
    return bool(_FRONT_ID.search(front))


def other_pages(config: Config) -> list[str]:
    """The text of the docs folder's own pages outside the year folders (home, guides):
    what every audience may read, so a sentence found there is no leak."""
    docs = config.docs_path
    texts = []
    for path in _other_markdown(docs):
        if path.is_symlink() or any(config.left_out(part) for part in path.relative_to(docs).parts):
            continue
        if not path.is_file():  # a named pipe (PM001): reading it would wait for ever
            continue
        try:
            texts.append(path.read_text(encoding="utf-8", errors="replace"))
        except OSError:
            continue
    return texts


def _other_markdown(docs: Path) -> list[Path]:
    """Every `*.md` under DOCS but for the templates and the year folders, sorted as
    `rglob` sorts them; the year folders are not walked (10,000 post-mortems cost 0.1 s)."""
    found = []
    for folder, dirs, names in os.walk(docs):
        if folder == os.fspath(docs):
            dirs[:] = [d for d in dirs if d != "templates" and not _YEAR.fullmatch(d)]
        found += [Path(folder, n) for n in names if n.endswith(".md")]
    return sorted(found)


# --- the output scan ------------------------------------------------------------------------


def candidates_of(pm: Postmortem, audience: str, shown: bool) -> list[tuple[str, str, int]]:
    """The leak scan's candidate needles of PM (text, what it is, the shortest worth
    looking for): all of a post-mortem kept out (not SHOWN), or the text of the blocks
    AUDIENCE may not see in one it shows. `LeakScan.for_build` and the compact records of
    the follow-through commands both take them from here."""
    out: list[tuple[str, str, int]] = []
    if not shown:
        name = pm.id or pm.path
        if pm.id:
            out.append((pm.id, f"the id of {name}", 1))
        out.append((pm.slug, f"the file name of {name}", 8))
        out.append((pm.title, f"the title of {name}", 12))
        out.append((pm.owner, f"the owner of {name}", MIN_TERM))
        out += [(v, f"a service of {name}", MIN_TERM) for v in pm.services]
        out += [(v, f"a tag of {name}", MIN_TERM) for v in pm.tags]
        out += [(v, f"a control of {name}", MIN_TERM) for v in pm.controls]
        what = f"text of {name}"  # one string for all its runs (10,000 post-mortems: 2M runs)
        out += [(s, what, MIN_TEXT) for s in long_runs(pm.text[_body_start(pm) :])]
        return out
    if may_see(audience, "restricted") or "!!! " not in pm.text:
        return out
    body_lines = pm.text.split("\n")
    for start, end, level in marked_blocks(pm.text):
        if may_see(audience, level):
            continue
        for index in range(start, end):
            for segment in long_runs(body_lines[index]):
                where = f"text of a {level} block in {pm.id or pm.path} (line {index + 1})"
                out.append((segment, where, MIN_TEXT))
    return out


@dataclass
class LeakScan:
    """The needles of one audience's output: lower-case text -> what it is. SEEN_ANYWAY,
    when given: which of the needles found in an output the audience sees anyway (no leak
    then), asked only for those found."""

    audience: str
    needles: dict[str, str] = field(default_factory=dict)
    _automaton: Any = None
    seen_anyway: Callable[[set[str]], set[str]] | None = field(
        default=None, repr=False, compare=False
    )

    @classmethod
    def for_build(
        cls,
        withheld: Sequence[Postmortem],
        shown: Sequence[Postmortem],
        views: Sequence[Postmortem],
        audience: str,
        public_texts: Sequence[str] = (),
        hidden: set[str] | None = None,
    ) -> LeakScan:
        """WITHHELD: post-mortems kept out whole; SHOWN: the shown ones as written; VIEWS:
        what the audience sees of them (hidden blocks cut). PUBLIC_TEXTS: other pages the
        audience reads, as written. HIDDEN: the ids withheld from what it reads."""
        candidates: dict[str, str] = {}

        def add(text: str, what: str, minimum: int) -> None:
            key = " ".join(text.split()).lower()
            if len(key) >= minimum and key not in candidates:
                candidates[key] = what

        for pm in withheld:
            for text, what, minimum in candidates_of(pm, audience, shown=False):
                add(text, what, minimum)
        for pm in shown:
            for text, what, minimum in candidates_of(pm, audience, shown=True):
                add(text, what, minimum)
        if not candidates:
            return cls(audience)
        # Whatever the audience may see anyway is no leak: its own post-mortems as it sees
        # them (front matter included), and the knowledge base's other pages.
        hidden = hidden if hidden is not None else {pm.id.upper() for pm in withheld if pm.id}
        visible = "\n".join(
            withhold(cut_marked_blocks(t, audience), hidden)
            for t in [*(v.text for v in views), *public_texts]
        ).lower()
        # A sentence wrapped in the source is one line in the output.
        visible = _SPACES.sub(" ", visible.replace("\n", " "))
        seen_values = {
            " ".join(str(x).split()).lower()
            for v in views
            for x in (v.id, v.title, v.owner, *v.services, *v.tags, *v.controls)
        }
        scan = cls(audience, candidates)
        common = set(seen_values) | scan._present(visible)
        scan.needles = {k: v for k, v in candidates.items() if k not in common}
        scan._automaton = None
        return scan

    def _build(self) -> Any:
        if not self.needles:
            return None
        automaton: Any = ahocorasick.Automaton()
        for key in self.needles:
            automaton.add_word(key, key)
        automaton.make_automaton()
        return automaton

    def _present(self, text: str) -> set[str]:
        """The needles found anywhere in TEXT (lower case), whole words or not."""
        if self._automaton is None:
            self._automaton = self._build()
        if self._automaton is None:
            return set()
        return {key for _, key in self._automaton.iter(text)}

    def present_in(self, text: str) -> set[str]:
        """The needles in TEXT (as written) taken as the audience's visible text is."""
        return self._present(visible_form(text))

    def present_in_visible(self, text: str) -> set[str]:
        """The needles in TEXT already in `visible_form`."""
        return self._present(text)

    def _find(self, text: str) -> list[tuple[str, int]]:
        """(needle, end) of each needle found in TEXT (lower case) as a whole word."""
        if self._automaton is None:
            self._automaton = self._build()
        automaton = self._automaton
        if automaton is None:
            return []
        found = []
        size = len(text)
        for end, key in automaton.iter(text):
            start = end - len(key) + 1
            if start > 0 and text[start - 1].isalnum() and key[0].isalnum():
                continue
            if end + 1 < size and text[end + 1].isalnum() and key[-1].isalnum():
                continue
            found.append((key, end))
        return found

    def scan_text(self, text: str, where: str) -> list[str]:
        """'ITEM in WHERE' for each withheld item found in TEXT."""
        if not self.needles:
            return []
        hits = dict.fromkeys(key for key, _ in self._find(text.lower()))
        return self._said(hits, where)

    def _said(self, hits: dict[str, None], where: str) -> list[str]:
        """'ITEM in WHERE' for each of HITS (in the order found) that is a leak."""
        if hits and self.seen_anyway is not None:
            anyway = self.seen_anyway(set(hits))
            hits = {key: None for key in hits if key not in anyway}
        return [f'{self.needles[key]} ("{key[:60]}") in {where}' for key in hits]

    def scan_pieces(self, pieces: Iterable[str], where: str, kept: BinaryIO) -> list[str]:
        """`scan_text` of the text PIECES make when joined, without joining them: each piece
        is scanned with the end of the one before it, and written (as UTF-8) to KEPT."""
        hits: dict[str, None] = {}
        overlap = 1 + max((len(k) for k in self.needles), default=0)
        tail = ""
        iterator = iter(pieces)  # a generator, read one piece ahead
        piece = next(iterator, None)
        while piece is not None:
            following = next(iterator, None)
            kept.write(piece.encode())
            if self.needles:
                window = (tail + piece).lower()
                edge = len(window) - 1
                start = len(tail.lower())
                for key, end in self._find(window):
                    # found in the window before (its end in the tail), or at this window's
                    # end, where the next character is not known yet: not counted here
                    if end < start - 1 or (end == edge and following is not None):
                        continue
                    hits.setdefault(key, None)
                tail = (tail + piece)[-overlap:]
            piece = following
        return self._said(hits, where)

    def scan_tree(self, site: Path, skip: Iterable[str] = ()) -> list[str]:
        """Every file under SITE (compressed ones unpacked), but those in SKIP (paths
        relative to SITE copied verbatim from the theme)."""
        if not self.needles:
            return []
        skipped = set(skip)
        return self.scan_files(site, [rel for rel in site_files(site) if rel not in skipped])

    def scan_files(self, site: Path, rels: Iterable[str]) -> list[str]:
        """The files at RELS (posix paths relative to SITE), compressed ones unpacked."""
        if not self.needles:
            return []
        found: list[str] = []
        for rel in rels:
            found += self.scan_text(readable((site / rel).read_bytes()), rel)
        return found


def site_files(site: Path) -> list[str]:
    """Every file under SITE, as posix paths relative to it."""
    found = []
    for dirpath, _, names in os.walk(site):
        rel = Path(dirpath).relative_to(site).as_posix()
        prefix = "" if rel == "." else rel + "/"
        found += [prefix + name for name in names]
    return found


def visible_form(text: str) -> str:
    """TEXT as `LeakScan.for_build` compares what an audience sees anyway: lower case, and
    a sentence wrapped in the source one line, as it is in the output."""
    return _SPACES.sub(" ", text.lower().replace("\n", " "))


def readable(data: bytes) -> str:
    """Bytes as text, unpacked when gzip- or zlib-compressed (Pagefind's fragments are gzip
    holding `pagefind_dcd` and JSON; sitemaps may be .gz)."""
    for _ in range(3):
        if data[:2] == b"\x1f\x8b":
            try:
                data = gzip.decompress(data)
                continue
            except (OSError, EOFError, zlib.error):
                break
        if data[:1] == b"\x78" and data[1:2] in (b"\x01", b"\x5e", b"\x9c", b"\xda"):
            try:
                data = zlib.decompress(data)
                continue
            except zlib.error:
                break
        break
    return data.decode("utf-8", "replace")


def long_runs(text: str) -> list[str]:
    """Runs of at least MIN_TEXT letters, digits and single spaces in TEXT (one line at
    most): what survives rendering to HTML, JSON and search fragments unchanged."""
    found = []
    for piece in text.translate(_BREAKS).split("\n"):
        if len(piece) < MIN_TEXT:
            continue
        for run in piece.split("  "):
            run = run.strip()
            if len(run) >= MIN_TEXT:
                found.append(run)
    return found


def _body_start(pm: Postmortem) -> int:
    offset = 0
    for _ in range(pm.body_line - 1):
        offset = pm.text.find("\n", offset) + 1
        if offset == 0:
            return len(pm.text)
    return offset


def audience_safety_findings(config: Config, postmortems: Sequence[Postmortem]) -> list[Finding]:
    """The errors that refuse an `--audience` output, without a full check: audience markers
    not in the one spelling, duplicate ids, misfiled post-mortems and symlinks."""
    from .audience import marker_findings
    from .knowledge_base import duplicate_ids

    findings = [f for pm in postmortems for f in marker_findings(pm)]
    idents = [(pm.id, pm.path, pm.meta_lines.get("id", 1)) for pm in postmortems if pm.id]
    findings += duplicate_ids(idents, {pm.path for pm in postmortems})
    findings += placement_findings(config)
    return audience_safety_errors(findings)


def scan_output(
    text: str,
    where: str,
    postmortems: Sequence[Postmortem],
    audience: str,
    public_texts: Sequence[str] = (),
) -> list[str]:
    """For a CLI output for AUDIENCE: what of the post-mortems and blocks above it is in
    TEXT (POSTMORTEMS: every one, as written)."""
    from .audience import audience_views, hidden_ids

    withheld = [pm for pm in postmortems if not may_see(audience, pm.visibility)]
    shown = [pm for pm in postmortems if may_see(audience, pm.visibility)]
    hidden = hidden_ids(postmortems, shown)
    views = audience_views(shown, audience, hidden)
    return LeakScan.for_build(withheld, shown, views, audience, public_texts, hidden).scan_text(
        text, where
    )
