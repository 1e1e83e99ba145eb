"""Pagefind, fed while MkDocs renders: the indexer runs as a service process (the
`pagefind[bin]` wheel's binary with `--service`, the protocol of Pagefind's own Python API)
and parses the pages and builds the index on the second core while MkDocs goes on rendering
on the first; the index is handed back (`GetFiles`), scanned for leaks with the rest of the
site and written by the plugin.

Pagefind's Python API is not used as such: its reader waits 0.1 s between responses, which
would cost 100 s at 1,000 pages. The protocol is small: each message is base64 of a JSON
object, followed by a comma, in both directions; the service answers in the order it was
asked, one message at a time, so the index (page numbers included) depends only on the
order pages are fed, which is MkDocs' build order, then the rest of the site's HTML files
sorted by path: the same on every machine and file system.

Pages are fed before they are written (when a page does not allow that, each page as it is
written, `add`): a page's marked content is known as soon as MkDocs has read it and its
body is sanitized (the plugin marks `page.content` itself, see `marked`), and Pagefind
reads nothing else of a page that passes `reads_as`. So each page goes to the service while
MkDocs reads the next ones, and the index is asked for once the last is read (`ask`):
Pagefind builds it on the second core while MkDocs writes the pages, instead of after the
last one. Each page, as written, is then checked to read as what was fed; anything else (a
page that reads otherwise, a page or file with marked content that was not fed, a page not
written) means the early index is not used, and `from_site` indexes the site as written,
the way `pagefind --site` does: the pages in MkDocs' order, then every other HTML file
sorted.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import queue
import re
import subprocess
import threading
from collections.abc import Iterable
from html import escape
from pathlib import Path
from typing import Any

CONFIG = {"exclude_selectors": [".headerlink"]}  # as `pagefind --exclude-selectors`
_BODY = "data-pagefind-body"


class PagefindError(Exception):
    """The service could not be started, died, or refused a request."""


def page_url(rel: str) -> str:
    """The URL `pagefind --site` gives the file at REL (a posix path in the site folder)."""
    return "/" + (rel[: -len("index.html")] if rel.endswith("index.html") else rel)


# What Pagefind takes from outside the marked content, when a page marks it: the language
# (`<html lang>`), the first `<title>`, the first `<h1>` and the first `<img>` after a title
# (default metadata), and `data-pagefind-*` attributes (filters, metadata, sort). Text and
# anchors outside the marked content are left out of the index.
_READ_OUTSIDE = (b"data-pagefind", b"<h1", b"<img", b"<title", b"<html")


def _reads(words: tuple[bytes, ...], text: str, start: int = 0, end: int | None = None) -> bool:
    """Whether TEXT[START:END] holds one of WORDS, in any case (tag and attribute names are
    not case-sensitive); a word that starts a tag (`<h1`) only as that tag (not `<h10>`).
    Byte searches on the ASCII-lower-cased UTF-8: several times faster than an IGNORECASE
    pattern, which steps through every character of the 20 KB before a page's content."""
    data = text[start:end].encode("utf-8", "surrogatepass").lower()
    for word in words:
        at = data.find(word)
        while at >= 0:
            follows = data[at + len(word) : at + len(word) + 1]
            if not word.startswith(b"<") or not (follows.isalnum() or follows == b"_"):
                return True
            at = data.find(word, at + 1)
    return False


def indexed_part(html: str) -> str:
    """The page as sent to Pagefind: without what lies between `<body>` and the element
    marked `data-pagefind-body` (Material's header, navigation and table of contents, about
    two fifths of an incident page), when that stretch holds nothing Pagefind reads. The
    index is the same bytes (`tests/test_search_index.py`); Pagefind parses less, on the
    critical path at the end of the build."""
    marked = html.find(_BODY)
    start = html.rfind("<", 0, marked)
    body = html.find("<body")
    opened = html.find(">", body) + 1 if body >= 0 else 0
    if marked < 0 or body < 0 or not 0 < opened <= start:
        return html
    if _reads(_READ_OUTSIDE, html, opened, start):
        return html
    return html[:opened] + html[start:]


# A page's content as the plugin marks it (the theme no longer wraps it): the marked
# content is `page.content` itself, known before the page is written.
_OPEN, _CLOSE = f"<div {_BODY}>", "</div>"

# What Pagefind reads of a page besides its marked content, measured with the bundle's bytes
# (tests/test_search_ahead.py): the language; `data-pagefind-*` attributes anywhere; an
# `<h1>` anywhere (the result's title); an `<img>` after the marked content (its image).
# `<title>` only when no `<h1>` is found, which `reads_as` rules out.
_READ_BEFORE = (b"data-pagefind", b"<h1")
_READ_AFTER = (b"data-pagefind", b"<h1", b"<img")
_TITLE_START, _TITLE_END = re.compile(r"<h1\b", re.I), re.compile(r"</h1\s*>", re.I)
_IGNORED = re.compile(r"data-pagefind-ignore", re.I)
_LANG = re.compile(r"<html\b[^>]*?\slang=\"([^\"]*)\"", re.I)


def marked(content: str) -> str:
    """CONTENT marked as what Pagefind indexes of its page."""
    return _OPEN + content + _CLOSE


def page_view(content: str, lang: str) -> str:
    """The smallest page Pagefind reads as it reads a page that `reads_as` CONTENT."""
    return f'<!doctype html><html lang="{escape(lang)}"><head></head><body>{content}</body></html>'


def can_feed_ahead(content: str) -> bool:
    """Whether CONTENT (marked) names its own title: a whole `<h1>`, with no comment and
    nothing marked `data-pagefind-ignore` before its end, so that Pagefind does not read
    the page's `<title>`."""
    if not content.startswith(_OPEN):
        return False
    title = _TITLE_END.search(content)
    if title is None:
        return False
    end = title.end()
    return (
        _TITLE_START.search(content, 0, end) is not None
        and "<!--" not in content[:end]
        and _IGNORED.search(content, 0, end) is None
    )


def content_at(output: str, content: str) -> int:
    """Where the page OUTPUT holds CONTENT (-1 if nowhere): for marked content, looked for at
    the marker first (a 20 KB needle costs `str.find` about 0.1 ms a page)."""
    if content.startswith(_OPEN):
        at = output.find(_OPEN)
        if at >= 0 and output.startswith(content, at):
            return at
    return output.find(content) if content else -1


def reads_as(output: str, content: str, lang: str) -> bool:
    """Whether Pagefind reads the written page OUTPUT as `page_view(CONTENT, LANG)`: the
    marked CONTENT in it, the language LANG, and nothing else Pagefind reads outside."""
    at = output.find(_OPEN)
    if at < 0 or not output.startswith(content, at):
        return False
    language = _LANG.search(output, 0, at)
    return (
        language is not None
        and language.group(1) == lang
        and not _reads(_READ_BEFORE, output, 0, at)
        and not _reads(_READ_AFTER, output, at + len(content))
    )


class LiveIndex:
    """One Pagefind index, built in a service process while the site is written."""

    def __init__(self, executable: str | os.PathLike[str]) -> None:
        self._proc = subprocess.Popen(
            [os.fspath(executable), "--service"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self._lock = threading.Condition()
        self._answers: dict[int, dict[str, Any]] = {}
        self._errors: list[str] = []
        self._closed = False
        self._sent = 0
        self._fed: set[str] = set()
        self._held: list[str] = []  # pages without `data-pagefind-body`, in order
        self._bodies = False  # whether a page fed marks its content
        # Fed ahead (`feed_ahead`): each page's marked content until it is written as fed.
        self._ahead: dict[str, tuple[str, str]] | None = None
        self._request: int | None = None  # the index, asked for once every page was fed
        self.doubt = ""  # why the index fed ahead is not the site's
        # Pages go through a queue to a writer thread: MkDocs never waits on the pipe.
        self._outbox: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self._broken = False
        self._writer = threading.Thread(target=self._write, daemon=True)
        self._writer.start()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        answer = self._wait(self._send({"type": "NewIndex", "config": CONFIG}))
        if answer.get("type") != "NewIndex":
            self.close()
            raise PagefindError(f"no index: {answer.get('message', answer)}")
        self._index = int(answer["index_id"])

    @classmethod
    def start(cls) -> LiveIndex:
        try:
            from pagefind.service import get_executable
        except ImportError:
            raise PagefindError("the `pagefind` package is not installed") from None
        executable = get_executable()
        if executable is None:
            raise PagefindError("no Pagefind binary")
        try:
            return cls(executable)
        except OSError as exc:
            raise PagefindError(str(exc)) from None

    # --- the protocol ---------------------------------------------------------------

    def _send(self, payload: dict[str, Any]) -> int:
        if self._broken:
            raise PagefindError("the Pagefind service stopped")
        self._sent += 1
        message = {"message_id": self._sent, "payload": payload}
        self._outbox.put(base64.b64encode(json.dumps(message).encode("utf-8")) + b",")
        return self._sent

    def _write(self) -> None:
        stdin = self._proc.stdin
        assert stdin is not None
        while True:
            data = self._outbox.get()
            if data is None:
                break
            try:
                stdin.write(data)
                stdin.flush()
            except (OSError, ValueError):
                self._broken = True
                break
        with contextlib.suppress(OSError):
            stdin.close()  # the service exits at the end of its input

    def _read(self) -> None:
        stdout = self._proc.stdout
        assert stdout is not None
        pending = b""
        try:
            while True:
                chunk = stdout.read1(1 << 16)  # type: ignore[attr-defined]
                if not chunk:
                    break
                pending += chunk
                *messages, pending = pending.split(b",")
                for message in messages:
                    answer = json.loads(base64.b64decode(message))
                    payload = answer.get("payload") or {}
                    with self._lock:
                        if payload.get("type") == "Error":
                            self._errors.append(str(payload.get("message")))
                        ident = answer.get("message_id")
                        if ident is not None:
                            self._answers[int(ident)] = payload
                        self._lock.notify_all()
        except (OSError, ValueError):
            pass
        with self._lock:
            self._closed = True
            self._lock.notify_all()

    def _wait(self, ident: int) -> dict[str, Any]:
        with self._lock:
            while ident not in self._answers:
                if self._closed:
                    raise PagefindError("the Pagefind service stopped")
                self._lock.wait()
            return self._answers.pop(ident)

    # --- the index ------------------------------------------------------------------

    def feed_ahead(self, rel: str, content: str, lang: str) -> None:
        """Feed the page to be written at REL, its marked CONTENT and language LANG, before
        it is written (pages in MkDocs' build order); `ask` for the index once all are fed."""
        if self._ahead is None:
            self._ahead = {}
        self._ahead[rel] = (content, lang)
        self._bodies = True
        self._send_page(rel, page_view(content, lang))

    def ask(self) -> None:
        """The index of the pages fed ahead, asked for now: built while MkDocs writes."""
        if self._ahead is not None:
            self._request = self.build()

    def written(self, rel: str, output: str) -> None:
        """The page at REL as written: fed now, or checked against what was fed ahead."""
        if self._ahead is None:
            self.add(rel, output)
            return
        fed = self._ahead.pop(rel, None)
        if fed is None:
            if _BODY in output:
                self._distrust(f"{rel} marks its content but was not fed ahead")
            else:
                self._held.append(rel)
        elif not reads_as(output, *fed):
            self._distrust(f"{rel} does not read as it was fed ahead")

    def _distrust(self, why: str) -> None:
        if not self.doubt:
            self.doubt = why

    def finish(self, site: Path, written: Iterable[str]) -> int | None:
        """Every other HTML file among WRITTEN fed (see `add_rest`), and the index asked
        for: the request to await with `files`. For an index fed ahead, None when it may
        differ from the site as written (`doubt` says why), else the request made then."""
        if self._ahead is None:
            self.add_rest(site, written)
            return self.build()
        if self._ahead:
            self._distrust(f"{next(iter(self._ahead))} was fed ahead but not written")
        if self._request is None:
            self._distrust("the index of the pages fed ahead was not asked for")
        for rel in self._rest(written):
            if self.doubt:
                break
            html = _read_site_file(site, rel)
            if html is not None and _BODY in html:
                self._distrust(f"{rel} marks its content but was not fed ahead")
        return None if self.doubt else self._request

    @classmethod
    def from_site(cls, site: Path, order: Iterable[str], written: Iterable[str]) -> LiveIndex:
        """An index of the site as written, as `pagefind --site` makes it: the pages in
        ORDER (MkDocs' build order), then every other HTML file among WRITTEN, sorted. Ask
        for it with `build`."""
        index = cls.start()
        try:
            for rel in order:
                html = _read_site_file(site, rel)
                if html is not None:
                    index.add(rel, html)
            index.add_rest(site, written)
        except BaseException:
            index.close()
            raise
        return index

    def add(self, rel: str, html: str) -> None:
        """Index the page written at REL (posix, relative to the site folder). Answers
        are not awaited: the service works through them while MkDocs renders.

        Once a page marks its content with `data-pagefind-body`, Pagefind leaves out every
        page that does not: such a page (the library's long generated lists) is held back
        and only fed at the end if no page turns out to mark its content."""
        if _BODY not in html:
            self._held.append(rel)
            return
        self._bodies = True
        self._send_page(rel, indexed_part(html))

    def _send_page(self, rel: str, html: str) -> None:
        self._fed.add(rel)
        self._send(
            {
                "type": "AddFile",
                "index_id": self._index,
                "url": page_url(rel),
                "file_contents": html,
                "file_path": None,
            }
        )

    def add_rest(self, site: Path, written: Iterable[str]) -> None:
        """Every HTML file among WRITTEN (posix paths in SITE) not fed yet, sorted; the
        pages held back too if no page marked its content."""
        for rel in self._rest(written):
            html = _read_site_file(site, rel)
            if html is not None:
                self.add(rel, html)
        if not self._bodies:
            for rel in self._held:
                html = _read_site_file(site, rel)
                if html is not None:
                    self._send_page(rel, html)

    def _rest(self, written: Iterable[str]) -> list[str]:
        """The HTML files among WRITTEN neither fed nor held back, sorted."""
        held = set(self._held)
        return [
            rel
            for rel in sorted(written)
            if rel.endswith(".html") and rel not in self._fed and rel not in held
        ]

    def build(self) -> int:
        """Ask for the index to be built; returns the request, to be awaited with `files`
        (the caller may scan the site meanwhile). The service's own `WriteFiles` is not
        used: it answers before its last writes are done, and it exits the moment its
        input closes, which can leave a file of the bundle cut short."""
        return self._send({"type": "GetFiles", "index_id": self._index})

    def files(self, ident: int) -> tuple[list[tuple[str, bytes]], list[str]]:
        """The bundle, as (path inside it, content) sorted by path, and what the service
        refused on the way (pages it could not read: as `pagefind --site`, it indexes
        the rest)."""
        answer = self._wait(ident)
        if answer.get("type") != "GetFiles":
            raise PagefindError(str(answer.get("message", answer)))
        bundle = sorted(
            (str(f["path"]).replace(os.sep, "/"), base64.b64decode(f["content"]))
            for f in answer.get("files") or ()
        )
        with self._lock:
            return bundle, list(self._errors)

    def close(self) -> None:
        proc = self._proc
        self._outbox.put(None)
        self._writer.join(timeout=10)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        self._reader.join(timeout=10)


def _read_site_file(site: Path, rel: str) -> str | None:
    """The text of the site's file at REL, or None if it cannot be read."""
    try:
        return (site / rel).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def write_bundle(folder: Path, bundle: Iterable[tuple[str, bytes]]) -> None:
    """The bundle's files under FOLDER (the site's `pagefind/`)."""
    root = folder.resolve()
    made: set[Path] = set()
    for rel, data in bundle:
        path = (folder / rel).resolve()
        if root not in path.parents:
            raise PagefindError(f"a bundle file outside its folder: {rel}")
        if path.parent not in made:  # a thousand fragments share one folder
            path.parent.mkdir(parents=True, exist_ok=True)
            made.add(path.parent)
        path.write_bytes(data)
