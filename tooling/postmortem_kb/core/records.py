"""Follow-through in bounded memory: `actions`, `stats`, `controls`, `export` and `report`
read every post-mortem once, in worker processes, and keep of each only a compact record:
the audience's view of it without its text (front matter, action items, the sections'
titles and content flags, the re-test section), its completeness when asked, and what the
audience checks need (its id and visibility, its audience-marker errors, the id-like words
it holds, and the leak scan's needles when it or a block of it is withheld).

The figures are those of the full models (`core.metrics`, `core.controls`, `core.export`
take the compact records as they are); the one thing that needs every post-mortem at once,
withholding the ids of hidden post-mortems, is done afterwards for the few files that name
one. The text of each shown file is kept on disk as it was read, and looked at again only
if an output holds one of the leak scan's candidates: the audience may see it anyway.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from multiprocessing import get_context
from multiprocessing.connection import Connection
from pathlib import Path
from sys import intern
from typing import Any

from .audience import (
    _marked_blocks,
    audience_view,
    cut_marked_blocks,
    marked_blocks,
    may_see,
    withhold,
)
from .config import Config
from .controls import _TOKEN as _CONTROL_TOKEN
from .controls import retest_section
from .export import Completeness, completeness
from .knowledge_base import (
    PARALLEL_FROM,
    _no_cyclic_gc,
    _read_plain_file,
    duplicate_ids,
    in_child,
    postmortem_paths,
    read_postmortem,
    template_for,
)
from .leaks import (
    LeakScan,
    audience_safety_errors,
    candidates_of,
    other_pages,
    placement_findings,
    visible_form,
)
from .model import TIME_KEYS, ActionItem, ChecklistItem, Finding, Postmortem, Section, Table
from .parse import ParseProblem, decode

BATCH = 256  # records a worker sends at a time: neither side holds them all as bytes


@dataclass
class Record:
    """One post-mortem file as the follow-through commands keep it."""

    path: str
    problem: Finding | None = None  # the file does not parse: skipped, named on stderr
    id: str = ""
    id_line: int = 1
    shown: bool = False
    markers: list[Finding] = field(default_factory=list)  # audience-marker errors (PM701)
    words: frozenset[str] = frozenset()  # id-like words (upper case): withholding
    view: Any = None  # `compact`, then `expand`ed; None when the audience may not see it
    completeness: Completeness | None = None
    candidates: dict[str, str] = field(default_factory=dict)  # leak needles (`_keyed`)
    read: Any = None  # for the cache: what its `Sourcer` said of the file (never kept)


@dataclass
class FollowThrough:
    """Everything the follow-through commands read, for one audience."""

    views: list[Postmortem]  # compact, the audience's views of what it may see, path order
    problems: list[Finding]  # files that do not parse
    unsafe: list[Finding]  # errors that refuse an audience's output (`leaks.AUDIENCE_RULES`)
    scan: LeakScan
    completeness: dict[str, Completeness]  # by path, when asked for


# The front matter the figures read (`Postmortem`'s accessors that `metrics`, `controls`
# and `export` use); the rest (roles, impact, template, ...) is left out of the record.
_META_KEYS = frozenset(
    {
        "id",
        "title",
        "type",
        "severity",
        "status",
        "visibility",
        "owner",
        "services",
        "tags",
        "controls",
        *TIME_KEYS,
    }
)


def _control_words(text: str) -> str:
    """Only the words of TEXT that could name a control (`controls.named_controls` reads
    FRAMEWORK:CONTROL words alone): what it finds in them, it finds in TEXT."""
    if not _may_name_control(text):
        return ""
    return " ".join(m.group(0) for m in _CONTROL_TOKEN.finditer(text))


def _may_name_control(text: str) -> bool:
    """Whether a colon in TEXT could be a control word's (a letter, digit or `.+_-` before
    it, a letter or digit after it): URLs (`https://`) and times in action rows are not,
    and looking at their colons costs a fifth of the pattern's search."""
    at = text.find(":")
    while at != -1:
        if 0 < at < len(text) - 1 and text[at - 1] in _BEFORE and text[at + 1] in _AFTER:
            return True
        at = text.find(":", at + 1)
    return False


_AFTER = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
_BEFORE = _AFTER | frozenset(".+_-")


def compact(pm: Postmortem) -> tuple[Any, ...]:
    """What of PM's view the follow-through figures read, as plain values (cheap to send
    from a worker, small to keep): the front matter they read, the action items, and for
    `controls` the re-test section (its content flag, checked items and control words) and
    the control words of each action row."""
    retest = retest_section(pm)
    action_lines = {a.line for a in pm.actions}
    rows = tuple(
        (line, _control_words(" | ".join(cells)))
        for s in pm.sections
        for t in s.tables
        for line, cells in t.rows
        if line in action_lines
    )
    section = None
    if retest is not None and pm.controls:
        section = (
            retest.title,
            retest.line,
            retest.has_content,
            tuple(i.checked for i in retest.checklist),
            _control_words(retest.text),
            retest.key,
        )
    meta = {k: v for k, v in pm.meta.items() if k in _META_KEYS}
    lines = {k: v for k, v in pm.meta_lines.items() if k in ("id", "controls")}
    actions = tuple(
        (
            a.postmortem,
            a.line,
            a.id,
            a.action,
            a.owner,
            _day(a.due),
            a.raw_due,
            a.status,
            a.tracking,
        )
        for a in pm.actions
    )
    return (pm.path, meta, lines, pm.body_line, actions, section, rows, pm.visibility)


def _day(due: date | None) -> int | None:
    """A due date as the record keeps it: its ordinal (a date object costs a third of a
    record's pickling, and as much again to unpickle)."""
    return None if due is None else due.toordinal()


def _date(day: int | None) -> date | None:
    return None if day is None else _DAYS.get(day) or _DAYS.setdefault(day, date.fromordinal(day))


_DAYS: dict[int, date] = {}  # the few due dates of a knowledge base, made once each


def expand(parts: tuple[Any, ...]) -> Postmortem:
    """The compact record as a `Postmortem` the figures take: no text, timeline or
    checklist; its sections are the re-test section and one holding the action rows."""
    path, meta, lines, body_line, actions, section, rows, visibility = parts
    meta = {intern(k): _shared(v) for k, v in meta.items()}
    short = _short
    sections: list[Section] = []
    if section is not None:
        title, line, has_content, checked, words, key = section
        checklist = tuple(ChecklistItem(line, "", c) for c in checked)
        sections.append(Section(title, line, line, has_content, checklist, (), words, key))
    if rows:
        cells = tuple((line, (words,)) for line, words in rows)
        sections.append(Section("", 0, 0, False, (), (Table(0, (), cells),), "", ""))
    pm = Postmortem(
        path,
        meta,
        lines,
        body_line,
        tuple(sections),
        (),
        tuple(
            ActionItem(
                intern(p),
                n,
                short(i),
                text,
                short(o),
                _date(due),
                short(r),
                intern(s),
                t,
            )
            for p, n, i, text, o, due, r, s, t in actions
        ),
        (),
        "",
    )
    # `visibility` reads the text for a repeated key: what the full model said, kept
    pm.__dict__["_visibility_repeated"] = visibility != meta.get("visibility")
    return pm


def _shared(value: Any) -> Any:
    """VALUE with its short strings interned: owners, statuses, services, tags and the
    front matter's keys recur across thousands of records, which arrive from the workers
    as copies of their own (a third of the records' memory at 10,000)."""
    if type(value) is str:
        return intern(value) if len(value) <= 64 else value
    if type(value) is list:
        return [(intern(v) if len(v) <= 64 else v) if type(v) is str else _shared(v) for v in value]
    return value


def _short(text: str) -> str:
    """TEXT interned when short (`_shared`, for a value known to be a string)."""
    return intern(text) if len(text) <= 64 else text


def id_words(text: str) -> frozenset[str]:
    """Every word of TEXT that `audience.names_hidden` could take for an id (upper case):
    a hidden id is named in TEXT exactly when it is one of these."""
    from .audience import _ID_TAIL

    found = set()
    for tail in _ID_TAIL.finditer(text):
        start = tail.start()
        while start > 0 and text[start - 1].isascii() and text[start - 1].isalnum():
            start -= 1
        if start < tail.start() and text[start].isalpha():
            found.add(text[start : tail.end()].upper())
    return frozenset(found)


def _record(
    config: Config,
    path: Path | str,
    audience: str,
    hidden: set[str],
    want_complete: bool,
    texts: Any,
    sourcer: Callable[[Path | str, str, list[Any]], Any] | None = None,
) -> Record:
    """PATH's record; for a shown post-mortem, what the audience reads of it goes into
    TEXTS, for `_SeenAnyway` should an output hold a candidate: its text as read (what
    `_visible` makes of it is what the audience reads) when HIDDEN is empty, else what the
    audience reads, made now (`visible_form`)."""
    rel = config.relative(path)
    read: list[Any] | None = None if sourcer is None else []
    try:
        pm = read_postmortem(config, path, read)
    except ParseProblem as problem:
        return Record(rel, problem=problem.finding)
    said = None if sourcer is None or read is None else sourcer(path, rel, read)
    from .audience import marker_findings

    shown = may_see(audience, pm.visibility)
    record = Record(
        pm.path,
        id=pm.id,
        id_line=pm.meta_lines.get("id", 1),
        shown=shown,
        markers=marker_findings(pm),
        candidates=_keyed(candidates_of(pm, audience, shown)),
        read=said,
    )
    if shown:
        record.words = id_words(pm.text)
        own = pm.id.upper()
        if hidden or want_complete or not _compact_as_written(pm, audience):
            view = audience_view(pm, audience, {h for h in hidden if h != own})
        else:
            view = pm  # what `compact` takes of the view is as written
        if want_complete:
            record.completeness = completeness(view, config, template_for(config, view))
        record.view = compact(view)
        if hidden:
            visible = visible_form(withhold(cut_marked_blocks(view.text, audience), hidden))
            texts[pm.path] = visible.encode()
        else:  # made only if the output holds a candidate (the view cut the same blocks)
            texts[pm.path] = pm.text.encode()  # half the memory of a str with any non-ASCII
    return record


def _compact_as_written(pm: Postmortem, audience: str) -> bool:
    """Whether `compact` gives the same for PM as for AUDIENCE's view of it (nothing
    withheld): the blocks the view cuts hold no table, task, fence or comment (else it is
    parsed again), and the re-test section lies outside the lines from the first cut to
    the last (whose sections' text and content the view measures again; `compact` reads
    no other section's)."""
    cut = [b for b in marked_blocks(pm.text) if not may_see(audience, b[2])]
    if not cut:
        return True
    if any(b[0] < pm.body_line - 1 for b in cut):
        return False  # a block above the body: left to `audience_view`
    retest = retest_section(pm)
    first, last = min(b[0] for b in cut) + 1, max(b[1] for b in cut)  # line numbers
    if retest is not None and retest.line <= last and retest.end_line >= first:
        return False
    lines = pm.text.split("\n")
    for start, end, _ in cut:
        for index in range(start, end):
            if any(c in lines[index] for c in ("|", "[", "```", "~~~", "<!--", "-->")):
                return False
    return True


def _visible(text: str, audience: str) -> str:
    """What AUDIENCE reads of a post-mortem whose text `_record` kept as read, as the leak
    scan compares it: its text with the blocks above the audience cut (`audience_view` cuts
    those of the body; a cut block holds no line that opens a fence, so cutting the view's
    text again cuts what the whole text's cut does)."""
    return visible_form(cut_marked_blocks(text, audience))


def _packed(record: Record) -> bytes:
    """RECORD as the cache keeps it: pickled, not compressed (zlib took 18 µs a record,
    more than half the cost of keeping it; on disk the snapshot is 20 MB at 10,000)."""
    read, record.read = record.read, None  # (the cache keeps it beside the record)
    try:
        return pickle.dumps(record, pickle.HIGHEST_PROTOCOL)
    finally:
        record.read = read


def _expanded(record: Record) -> Record:
    if record.view is not None:
        record.view = expand(record.view)
    if record.candidates:  # the same text recurs across post-mortems (a template's, say)
        record.candidates = {intern(k): v for k, v in record.candidates.items()}
    return record


class _Spilled:
    """The texts `_record` keeps for the output scan, on disk (an unnamed temporary file)
    rather than in memory: 10,000 of them are 110 MB. A worker writes into one its parent
    made before the fork, and says where each text lies once it is done; the parent reads
    them from there only if the output scan asks (`_SeenAnyway`)."""

    def __init__(self) -> None:
        self.file = tempfile.TemporaryFile()  # noqa: SIM115 - closed with the scan
        self.index: list[tuple[str, int, int]] = []  # path, offset, size
        self.size = 0

    def __setitem__(self, path: str, data: bytes) -> None:
        self.file.write(data)
        self.index.append((path, self.size, len(data)))
        self.size += len(data)

    def items(self) -> Iterator[tuple[str, Callable[[], bytes]]]:
        """Each text's path, and what reads it (one at a time: they are not held at once)."""
        self.file.flush()
        handle = self.file.fileno()
        for path, offset, size in self.index:
            yield path, partial(os.pread, handle, size, offset)


class _Split:
    """The paths a process and its worker share out as they go: the process takes them from
    the front, the worker from the back, a few at a time, till they meet. Neither waits for
    the other when one is slower (filling the cache, the process also packs its own records
    and takes in the worker's; or the machine is busy): a fixed share left one of them
    idle for a tenth of the run."""

    CHUNK = 16  # at most: a lock taken for each chunk, not each file

    def __init__(self, context: Any):
        self.lock = context.Lock()
        # the next from the front, past the last left, how many a side takes at a time
        self.ends = context.RawArray("q", 3)

    def share(self, total: int) -> None:
        """TOTAL paths to share, none taken yet (before either side takes one)."""
        with self.lock:
            self.ends[0], self.ends[1] = 0, total
            self.ends[2] = max(1, min(self.CHUNK, total // 256))

    def taken(self, from_back: bool) -> Iterator[int]:
        """The indices this side takes, in its order, a chunk at a time."""
        while True:
            with self.lock:
                low, high = self.ends[0], self.ends[1]
                if low >= high:
                    return
                if from_back:
                    self.ends[1] = start = max(high - self.ends[2], low)
                    chunk = range(high - 1, start - 1, -1)
                else:
                    self.ends[0] = end = min(low + self.ends[2], high)
                    chunk = range(low, end)
            yield from chunk


def _worker(
    conn: Connection,
    config: Config,
    paths: Sequence[Path | str] | None,
    audience: str,
    want_complete: bool,
    packed: bool,
    texts: _Spilled,
    split: _Split,
) -> None:
    """One worker process: the records of the PATHS it takes from the back of SPLIT (None:
    the paths and the cache's `Sourcer` come through CONN first, None for none; PACKED:
    each record as the pickle the cache keeps (`_packed`), made here rather than pickled
    again in the parent, with what the sourcer said of its file), sent in the order taken
    (the last path first), their texts written to TEXTS (made by the parent), and at the
    end where in TEXTS each one lies."""
    sourcer = None
    if paths is None:
        try:
            told = conn.recv()
        except (EOFError, OSError):
            told = None
        if told is None:
            conn.close()
            return
        paths, sourcer = told
    try:
        batch: list[Any] = []
        with _no_cyclic_gc():
            for index in split.taken(from_back=True):
                record = _record(
                    config, paths[index], audience, set(), want_complete, texts, sourcer
                )
                batch.append((_packed(record), record.read) if packed else record)
                _marked_blocks.cache_clear()  # kept for a build; here each file is read once
                if len(batch) == BATCH:
                    conn.send(("records", batch))
                    batch = []
        conn.send(("records", batch))
        texts.file.flush()
        conn.send(("done", texts.index))
    except BaseException as exc:  # the parent raises it; nothing is lost silently
        with contextlib.suppress(OSError, ValueError):
            conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        texts.file.close()  # this process's handle: the parent's stays open
        conn.close()


Started = tuple[Connection, Any, _Spilled, _Split]
Each = Callable[[Postmortem, "Completeness | None"], None]


def start_worker(
    config: Config,
    paths: list[Path] | None,
    audience: str,
    want_complete: bool,
    packed: Any,
) -> Started:
    """A forked worker for `_Readers` (PATHS None: it waits for them; PACKED true: it
    sends the cache's packed records), the file it writes its texts to, and the split
    of the paths it shares with this process. Forked as early as can be: its memory starts
    as a copy of this process's at that moment, counted again in the process tree's."""
    context = get_context("fork")
    here, there = context.Pipe()
    texts = _Spilled()
    split = _Split(context)
    if paths is not None:
        split.share(len(paths))
    process = context.Process(
        target=_worker,
        args=(there, config, paths, audience, want_complete, bool(packed), texts, split),
        daemon=True,
    )
    process.start()
    there.close()
    return here, process, texts, split


class _Readers:
    """The post-mortems read here and in one forked worker process (the other core); or all
    here for a small knowledge base. This process reads its share between the worker's
    batches: a second worker would add its own copy of the interpreter's pages to the
    memory (about 30 MB), and every record it sends is pickled there and unpickled here."""

    def __init__(
        self,
        config: Config,
        paths: list[Path],
        audience: str,
        want_complete: bool,
        jobs: int,
        progress: Callable[[int, int], None] | None = None,
        keep: Callable[[Record, bytes | None], None] | None = None,
        started: Started | None = None,
        sourcer: Callable[[Path | str, str, list[Any]], Any] | None = None,
        each: Each | None = None,
    ):
        """KEEP: given each record as it arrives, still compact, with its packed pickle
        when a worker made it (for the cache). STARTED: a worker `start_worker` started
        early, waiting for its paths and SOURCER (told None when it is not needed).
        SOURCER: the cache's `Sourcer`, told each file as it is read. EACH: told each
        shown record's view (made full) and completeness as it arrives."""
        self.sourcer = sourcer
        self.each = each
        self.texts: Any = {}  # this process's texts, then the worker's (`_Spilled`)
        self.spilled: list[_Spilled] = []
        self.conns: list[Connection] = []
        self.processes: list[Any] = []
        self.records: list[Record] = []
        self.done, self.total, self.progress = 0, len(paths), progress
        self.working = False  # a worker is still sending records
        if jobs <= 1 or len(paths) < PARALLEL_FROM:
            if started is not None:
                self.conns.append(started[0])
                self.processes.append(started[1])
                started[2].file.close()
                self.close()  # told None: it ends
            self._read_here(config, paths, audience, want_complete, keep, None)
            return
        if started is None:
            started = start_worker(config, paths, audience, want_complete, keep)
        else:
            started[3].share(len(paths))
            # as strings: 10,000 `Path`s took the worker 30 ms to unpickle before it began
            started[0].send(([os.fspath(p) for p in paths], sourcer))
        here, process, theirs_texts, split = started
        self.conns.append(here)
        self.processes.append(process)
        self.texts = _Spilled()  # as the worker's: on disk
        self.spilled = [self.texts, theirs_texts]
        theirs: list[Record] = []
        self.working = True  # till the worker says it is done (maybe while this one reads)
        mine = (paths[index] for index in split.taken(from_back=False))
        self._read_here(config, mine, audience, want_complete, keep, (here, theirs))
        while self.working:
            self._take(here, theirs, keep)
        theirs.reverse()  # the worker took them from the back
        self.records += theirs  # in path order

    def _read_here(
        self,
        config: Config,
        paths: Iterable[Path],
        audience: str,
        want_complete: bool,
        keep: Callable[[Record, bytes | None], None] | None,
        worker: tuple[Connection, list[Record]] | None,
    ) -> None:
        """The records of PATHS, read in this process; between two, a batch the WORKER has
        ready is taken in (so that it never waits on a full pipe)."""
        with _no_cyclic_gc():
            for path in paths:
                record = _record(
                    config, path, audience, set(), want_complete, self.texts, self.sourcer
                )
                _marked_blocks.cache_clear()  # each file is read once here
                if keep is not None:
                    keep(record, None)
                self.records.append(_expanded(record))
                if self.each is not None and record.view is not None:
                    self.each(record.view, record.completeness)
                self._told(1)
                if worker is not None and self.working and worker[0].poll():
                    self._take(worker[0], worker[1], keep)

    def _take(
        self,
        conn: Connection,
        into: list[Record],
        keep: Callable[[Record, bytes | None], None] | None,
    ) -> None:
        """One batch from the worker at CONN, made small into INTO (or its word that it is
        done, with where its texts lie: `working` goes False)."""
        what, batch = self._receive(conn, ("records", "done"))
        if what == "done":
            self.spilled[-1].index = batch
            self.working = False
            return
        with _no_cyclic_gc():
            for item in batch:
                if type(item) is tuple:  # packed for the cache: kept as it came
                    payload, record_read = item
                    record = pickle.loads(payload)
                    record.read = record_read
                    if keep is not None:
                        keep(record, payload)
                else:
                    record = item
                into.append(_expanded(record))
                if self.each is not None and record.view is not None:
                    self.each(record.view, record.completeness)
        self._told(len(batch))

    def _told(self, count: int) -> None:
        self.done += count
        if self.progress is not None:
            self.progress(self.done, self.total)

    def _receive(self, conn: Connection, kinds: tuple[str, ...]) -> tuple[str, Any]:
        try:
            what, value = conn.recv()
        except EOFError:
            self.close()
            raise RuntimeError("a worker reading post-mortems ended without an answer") from None
        if what not in kinds:
            self.close()
            raise RuntimeError(f"a worker reading post-mortems failed: {value}")
        return what, value

    def items(self) -> Iterator[tuple[str, Callable[[], bytes]]]:
        """The texts `_record` kept of the files read, by path, each with what reads it:
        this process's, then the worker's."""
        if not self.spilled:
            for path, raw in self.texts.items():
                yield path, partial(bytes, raw)
        for texts in self.spilled:
            yield from texts.items()

    def close(self) -> None:
        """The worker ended (the texts stay, for the output scan)."""
        for conn in self.conns:
            with contextlib.suppress(OSError, ValueError):
                conn.send(None)
            conn.close()
        for process in self.processes:
            process.join(timeout=10)
            if process.is_alive():
                process.terminate()
        self.conns, self.processes = [], []

    def discard(self) -> None:
        """The texts too: nothing will ask for them."""
        self.close()
        for texts in self.spilled:
            texts.file.close()


def follow_through(
    config: Config,
    audience: str,
    want_complete: bool = False,
    jobs: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    cache: bool = False,
    each: Each | None = None,
) -> FollowThrough:
    """Every post-mortem AUDIENCE may see, as compact records of its view, with the audience
    checks of `leaks` (the errors that refuse its output, the scan of what it is given).
    `progress(done, total)`: told as the post-mortems are read. CACHE: the records of
    unchanged files taken from the knowledge base's `.cache/` (core/cache.py), and those
    read kept there; the result is the same either way. EACH(view, completeness): told
    the view of each post-mortem read in this run as it arrives, in no set order, while a
    worker still reads (what it makes of them then costs half the time it would after),
    and told again of a view made anew (to withhold a hidden id); views taken from the
    cache are not told. A caller uses what it made only for the very view object it was
    told of (`metrics.ActionRowsAsRead`, `export.ExportRowsAsRead`)."""
    jobs = jobs or os.cpu_count() or 1
    paths = postmortem_paths(config)
    store, started = None, None
    if cache:
        from .cache import open_record_cache

        if jobs > 1 and len(paths) >= PARALLEL_FROM:
            # forked before the cache is read and the files hashed (a larger process to
            # copy), and before its database is opened; told its paths once they are known
            started = start_worker(config, None, audience, want_complete, True)
        store = open_record_cache(config, audience, want_complete)
    kept: dict[str, bytes] = {}
    todo = paths
    if store is not None:
        kept, missing = store.lookup(paths, [config.relative(p) for p in paths])
        todo = [paths[i] for i in missing]
    report, keep = progress, None
    if progress is not None and kept:
        offset = len(kept)
        report = lambda done, _: progress(offset + done, len(paths))  # noqa: E731
    if store is not None:
        keeper, root = store, str(config.root)

        def keep(record: Record, payload: bytes | None) -> None:
            payload = payload or _packed(record)
            path = os.path.join(root, record.path)  # (a `Path` made costs 3 µs a record)
            keeper.keep(path, record.path, payload, record.id or None, record.read)
            record.read = None  # kept in the cache's entry: 10,000 of them held 5 MB more

    sourcer = None if store is None else store.sources()
    readers = _Readers(
        config, todo, audience, want_complete, jobs, report, keep, started, sourcer, each
    )
    try:
        records = readers.records
        if kept:
            records = _in_path_order(config, paths, kept, records)
            if progress is not None and not todo:
                progress(len(paths), len(paths))
        parsed = [r for r in records if r.problem is None]
        shown_ids = {r.id.upper() for r in parsed if r.shown}
        hidden = {r.id.upper() for r in parsed if r.id and r.id.upper() not in shown_ids}
        redone: dict[str, bytes] = {}  # the few shown files that name a hidden post-mortem
        if hidden:
            for index, record in enumerate(records):
                if record.shown and record.words & (hidden - {record.id.upper()}):
                    path = config.root / record.path
                    again = _record(config, path, audience, hidden, want_complete, redone)
                    records[index] = _expanded(again)
                    if each is not None and again.view is not None:
                        each(again.view, again.completeness)
        markers = [f for r in parsed for f in r.markers]
        idents = [(r.id, r.path, r.id_line) for r in parsed if r.id]
        unsafe = audience_safety_errors(
            markers + duplicate_ids(idents, {r.path for r in parsed}) + placement_findings(config)
        )
        views = [r.view for r in records if r.view is not None]
        candidates = _candidates_of(records)
    except BaseException:
        readers.discard()
        if store is not None:
            store.done()
        raise
    readers.close()
    if store is not None:  # once the workers have gone: the snapshot is made in one piece
        store.save()
        store.done()
    scan = LeakScan(audience)
    if candidates:
        seen: set[str] = set()  # owners, services, tags recur: each made plain once
        for v in views:
            seen.update((v.id, v.title, v.owner, *v.services, *v.tags, *v.controls))
        seen_values = {" ".join(x.split()).lower() for x in seen}
        needles = {k: v for k, v in candidates.items() if k not in seen_values}
        kept_shown = [r.path for r in records if r.shown and r.path in kept]
        anyway = _SeenAnyway(config, audience, hidden, readers, redone, kept_shown)
        scan = LeakScan(audience, needles, seen_anyway=anyway)
    else:
        readers.discard()
    return FollowThrough(
        views=views,
        problems=[r.problem for r in records if r.problem is not None],
        unsafe=unsafe,
        scan=scan,
        completeness={r.path: r.completeness for r in records if r.completeness is not None},
    )


def _in_path_order(
    config: Config, paths: list[Path], kept: dict[str, bytes], read: list[Record]
) -> list[Record]:
    """The records of every path, in order: the kept ones (unpickled: the cache's seal
    vouches for them, as for its marshalled entries) and those READ in this run."""
    fresh = iter(read)
    records = []
    with _no_cyclic_gc():
        for path in paths:
            entry = kept.get(config.relative(path))
            if entry is None:
                records.append(next(fresh))
            else:
                records.append(_expanded(pickle.loads(entry)))
    return records


class _SeenAnyway:
    """Which of the output scan's candidates the audience sees anyway, and so are no leak:
    in what it reads of the post-mortems it may see (HIDDEN ids withheld) and in the
    knowledge base's other pages (the home page, guides). Asked only for the candidates an
    output holds, which few outputs do: the texts the readers kept are looked at then (and
    the files whose records came from the cache read again), not for every run."""

    def __init__(
        self,
        config: Config,
        audience: str,
        hidden: set[str],
        readers: _Readers,
        redone: dict[str, bytes],
        kept_shown: list[str],
    ):
        self.config, self.audience, self.hidden = config, audience, hidden
        self.readers, self.redone, self.kept_shown = readers, redone, kept_shown
        self.known: dict[str, bool] = {}  # candidate -> seen anyway, once asked

    def __call__(self, keys: set[str]) -> set[str]:
        asked = {k for k in keys if k not in self.known}
        if asked:
            found = self._look(asked)
            self.known.update((k, k in found) for k in asked)
        return {k for k in keys if self.known[k]}

    def _look(self, keys: set[str]) -> set[str]:
        probe = LeakScan(self.audience, dict.fromkeys(keys, ""))
        found: set[str] = set()
        for text in other_pages(self.config):
            found |= probe.present_in(withhold(cut_marked_blocks(text, self.audience), self.hidden))
        for visible in self.redone.values():
            found |= probe.present_in_visible(visible.decode())
        # what reads each text, one at a time (10,000 of them are 110 MB)
        texts: list[Callable[[], str | None]] = [
            partial(_decoded, read)
            for path, read in self.readers.items()
            if path not in self.redone
        ]
        texts += [partial(self._read_again, p) for p in self.kept_shown if p not in self.redone]
        if found == keys or not texts:
            return found

        def scan(part: list[Callable[[], str | None]]) -> set[str]:
            seen = set(found)
            for text in part:
                read = text()
                if read is not None:
                    seen |= probe.present_in_visible(_visible(read, self.audience))
                    _marked_blocks.cache_clear()  # (it would keep 2,048 texts)
                if seen == keys:
                    break
            return seen

        if len(texts) < PARALLEL_FROM:
            return scan(texts)
        half = len(texts) // 2
        theirs = in_child(lambda: scan(texts[half:]))  # the other core takes the second half
        return scan(texts[:half]) | theirs()

    def _read_again(self, rel: str) -> str | None:
        """The text of REL, whose record came from the cache (unchanged since)."""
        path = self.config.root / rel
        data = _read_plain_file(path)
        try:
            if data is not None:
                return decode(rel, data)
            again: dict[str, bytes] = {}
            _record(self.config, path, self.audience, set(), False, again)
            return again[rel].decode() if rel in again else None
        except ParseProblem:
            return None


def _decoded(read: Callable[[], bytes]) -> str:
    return read().decode()


def _keyed(found: list[tuple[str, str, int]]) -> dict[str, str]:
    """One post-mortem's candidates (`leaks.candidates_of`) as `LeakScan.for_build` keys
    them: the text made plain and lower-case -> what it is, the shorter than their minimum
    dropped, each text once, under what it was first found as. A post-mortem withheld whole
    gives hundreds; kept as found, 10,000 of them held 250 MB."""
    keyed: dict[str, str] = {}
    for text, what, minimum in found:
        key = " ".join(text.split()).lower()
        if len(key) >= minimum and key not in keyed:
            keyed[key] = what
    return keyed


def _candidates_of(records: Sequence[Record]) -> dict[str, str]:
    """`LeakScan.for_build`'s candidates: withheld post-mortems first, then the blocks of
    shown ones, each text once, under what it was first found as."""
    candidates: dict[str, str] = {}
    for shown in (False, True):
        for record in records:
            if record.problem is not None or record.shown != shown:
                continue
            for key, what in record.candidates.items():
                if key not in candidates:
                    candidates[key] = what
    return candidates
