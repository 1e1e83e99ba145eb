"""Pagefind fed ahead (mkdocs/search_index.py): once MkDocs has read every page, each page's
marked content goes to Pagefind and the index is built while the pages are written. The
rule that decides when a written page reads as what was fed is measured here on real
Pagefind, in both directions; builds that break it fall back to indexing the site as
written, and every build's fragments stay those `pagefind --site` makes of the site."""

from __future__ import annotations

from pathlib import Path

import pytest

from postmortem_kb.core.leaks import readable
from postmortem_kb.mkdocs.search_index import (
    LiveIndex,
    can_feed_ahead,
    content_at,
    marked,
    page_view,
    reads_as,
)
from test_site_support import build, pagefind_bundle, pagefind_site, write_kb

EPOCH = "1790812800"

CONTENT = marked(
    '<h1 id="pm">PM-2026-001: Token leak</h1><h2 id="summary">Summary</h2>'
    "<p>The registry token zzbodyword was revoked.</p>"
    '<h2 id="impact">Impact</h2><p>Private packages were zzimpactword downloaded.</p>'
)

# A page as Material lays it out around the content the plugin marked.
PAGE = """<!doctype html><html lang="en" class="no-js"><head><meta charset="utf-8">
<title>PM-2026-001: Token leak - Incident library</title>{head}</head>
<body dir="ltr"><header class="md-header"><div>Incident library</div></header>
<nav class="md-nav"><ul><li><a href="../">Home</a></li></ul></nav>{before}
<div class="md-content"><article>{content}{after}</article></div>
<footer>Made with Material zzfooterword</footer></body></html>"""


def page(content: str = CONTENT, head: str = "", before: str = "", after: str = "") -> str:
    return PAGE.format(content=content, head=head, before=before, after=after)


REL = "2026/PM-2026-001/index.html"

# Pages that read as their content: Pagefind makes the same bundle of them as of the view.
SAME = {
    "as laid out": {},
    "another title": {"head": "<title>Something else entirely</title>"},
    "a logo before the content": {"before": '<img src="logo.png" alt="Logo">'},
    "text after the content": {"after": "<p>Related incidents zzrelatedword</p>"},
}
# Pages that do not: Pagefind reads what lies outside, so the bundle differs.
DIFFERENT = {
    "a heading before the content": {"before": "<h1>Other</h1>"},
    "Pagefind metadata in the head": {"head": '<meta data-pagefind-meta="team:sre">'},
    "an image after the content": {"after": '<img src="x.png" alt="X">'},
    "a filter before the content": {"before": '<span data-pagefind-filter="team">sre</span>'},
}


@pytest.mark.parametrize("parts", SAME.values(), ids=SAME.keys())
def test_a_page_that_reads_as_its_content_gives_the_index_of_what_was_fed(parts):
    html = page(**parts)
    assert reads_as(html, CONTENT, "en")
    assert pagefind_bundle([(REL, html)]) == pagefind_bundle([(REL, page_view(CONTENT, "en"))])


@pytest.mark.parametrize("parts", DIFFERENT.values(), ids=DIFFERENT.keys())
def test_a_page_pagefind_reads_otherwise_is_not_taken_for_what_was_fed(parts):
    html = page(**parts)
    assert not reads_as(html, CONTENT, "en")
    assert pagefind_bundle([(REL, html)]) != pagefind_bundle([(REL, page_view(CONTENT, "en"))])


@pytest.mark.parametrize(
    "parts",
    [
        {"before": "<H1>Other</H1>"},
        {"head": '<META DATA-PAGEFIND-META="team:sre">'},
        {"after": '<IMG SRC="x.png">'},
        {"after": '<Img src="x.png">'},
        {"before": marked("<h1>Another copy</h1>")},
    ],
)
def test_what_pagefind_reads_outside_is_found_in_any_case(parts):
    assert not reads_as(page(**parts), CONTENT, "en")


@pytest.mark.parametrize("parts", [{"before": "<h10>x</h10>"}, {"after": "<imgx>"}])
def test_only_the_tags_pagefind_reads_count(parts):
    assert reads_as(page(**parts), CONTENT, "en")


def test_the_content_is_found_where_it_is():
    """At its marker, or (another marker first, or unmarked content) wherever it is: the
    page's policy hashes the scripts around it, never in it."""
    html = page()
    assert content_at(html, CONTENT) == html.index(CONTENT)
    earlier = page(before=marked("<p>x</p>"))
    assert content_at(earlier, CONTENT) == earlier.index(CONTENT) > earlier.index(_MARK)
    plain = "<p>zzbodyword</p>"
    assert content_at(page(content=plain), plain) == page(content=plain).index(plain)
    assert content_at(html, "<p>absent</p>") == -1 and content_at(html, "") == -1


_MARK = "<div data-pagefind-body>"


def test_the_language_and_the_content_must_be_those_fed():
    assert not reads_as(page(), CONTENT, "de")
    assert pagefind_bundle([(REL, page())]) != pagefind_bundle([(REL, page_view(CONTENT, "de"))])
    assert not reads_as(page().replace(' lang="en"', ""), CONTENT, "en")
    changed = page(CONTENT.replace("zzbodyword", "zzotherword"))
    assert not reads_as(changed, CONTENT, "en")


@pytest.mark.parametrize(
    ("content", "ahead"),
    [
        (CONTENT, True),
        (marked("<h1>T</h1><div data-pagefind-ignore>x</div>"), True),
        ("<h1>T</h1><p>not marked</p>", False),
        (marked("<h2>No title</h2><p>x</p>"), False),
        (marked("<div data-pagefind-ignore><h1>T</h1></div>"), False),
        (marked('<h1 DATA-PAGEFIND-IGNORE="all">T</h1>'), False),
        (marked("<!-- <h1>T</h1> --><p>x</p>"), False),
    ],
    ids=[
        "titled",
        "ignored-after-title",
        "unmarked",
        "untitled",
        "title-ignored",
        "title-ignored-upper",
        "title-in-comment",
    ],
)
def test_only_content_with_its_own_title_is_fed_ahead(content, ahead):
    """Pagefind reads the page's `<title>` when the content has no title of its own:
    such a page is fed as it is written."""
    assert can_feed_ahead(content) is ahead


# --- whole builds ----------------------------------------------------------------------


def _fragments(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((folder / "fragment").iterdir())}


@pytest.fixture()
def paths_taken(monkeypatch):
    """Which way each build indexed the site (the real methods run)."""
    taken: list[str] = []
    ask, from_site = LiveIndex.ask, LiveIndex.from_site.__func__

    def asked(self):
        if self._ahead is not None:
            taken.append("ahead")
        return ask(self)

    def rebuilt(cls, site, order, written):
        taken.append("as written")
        return from_site(cls, site, order, written)

    monkeypatch.setattr(LiveIndex, "ask", asked)
    monkeypatch.setattr(LiveIndex, "from_site", classmethod(rebuilt))
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    return taken


def test_a_knowledge_base_is_indexed_ahead_with_the_fragments_pagefind_makes(tmp_path, paths_taken):
    root = write_kb(tmp_path / "kb")
    site = build(root, tmp_path / "site", "--strict")
    assert paths_taken == ["ahead"]
    assert _fragments(site / "pagefind") == _fragments(pagefind_site(site, tmp_path))


HOOK = """
def on_page_context(context, page, config, nav):
    if page.content and "</h1>" in page.content:
        page.content = page.content.replace("</h1>", "</h1><p>zzhookword</p>", 1)
    return context
"""


def test_a_page_changed_after_it_was_fed_is_indexed_as_written(tmp_path, paths_taken):
    """Another plugin (here a hook) changes the pages after the postmortems plugin: the
    index fed ahead is dropped, and the site is indexed as written."""
    root = write_kb(tmp_path / "kb")
    (root / "hooks.py").write_text(HOOK, encoding="utf-8")
    config = root / "mkdocs.yml"
    config.write_text(config.read_text(encoding="utf-8") + "hooks:\n  - hooks.py\n")
    _indexed_as_written(root, tmp_path, paths_taken, b"zzhookword")


def test_a_marked_file_that_was_not_fed_is_indexed_as_written(tmp_path, paths_taken):
    root = write_kb(tmp_path / "kb")
    (root / "postmortems" / "static.html").write_text(
        "<html lang='en'><body><div data-pagefind-body><h1>Static</h1>"
        "<p>zzstaticword</p></div></body></html>",
        encoding="utf-8",
    )
    _indexed_as_written(root, tmp_path, paths_taken, b"zzstaticword")


def _indexed_as_written(root, tmp_path, paths_taken, word: bytes) -> None:  # type: ignore[no-untyped-def]
    """ROOT built: the index fed ahead dropped, the site indexed as written, as `pagefind
    --site` indexes it, WORD found in it."""
    site = build(root, tmp_path / "site")
    assert paths_taken == ["ahead", "as written"]
    fragments = _fragments(site / "pagefind")
    assert fragments == _fragments(pagefind_site(site, tmp_path))
    assert any(word in search_index_text(data) for data in fragments.values())


def test_a_page_without_its_own_title_is_fed_as_it_is_written(tmp_path, paths_taken):
    root = write_kb(tmp_path / "kb")
    (root / "postmortems" / "notes.md").write_text(
        "Notes without a heading: zznotesword.\n", encoding="utf-8"
    )
    site = build(root, tmp_path / "site")
    assert paths_taken == []
    fragments = _fragments(site / "pagefind")
    assert fragments == _fragments(pagefind_site(site, tmp_path))
    assert any(b"zznotesword" in search_index_text(data) for data in fragments.values())


def search_index_text(data: bytes) -> bytes:
    """A bundle file's text (fragments are gzip-compressed)."""
    return readable(data).encode()
