"""Work the build moved off MkDocs' thread (buildspeed): incident bodies sanitized on the
other core and placed back before the page is written, never written unsanitized or
pending; Pagefind fed pages without the stretch it does not read, giving the same index."""

from __future__ import annotations

from pathlib import Path

import pytest
from mkdocs.config import load_config
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File
from mkdocs.structure.pages import Page

from postmortem_kb.mkdocs.plugin import PENDING_BODY, PostmortemsPlugin
from postmortem_kb.mkdocs.search_index import indexed_part
from test_site_support import pagefind_bundle

# A page as Material lays it out: head, header and navigation (with ids and links), then the
# marked content, then a footer.
PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>PM-2026-001: Token leak - Incident library</title></head>
<body dir="ltr"><input id="__drawer" type="checkbox"><header class="md-header">
<div class="md-header__topic">Incident library</div></header>
<nav class="md-nav" id="nav"><ul><li><a href="../">Home</a></li>
<li><a href="#summary" id="toc-summary">Summary, navigation words zznavword</a></li></ul></nav>
{extra}
<div class="md-content"><article>
<div data-pagefind-body><h1 id="pm">PM-2026-001: Token leak</h1>
<h2 id="summary">Summary</h2><p>The registry token zzbodyword was revoked.</p>
<h2 id="impact">Impact</h2><p>Private packages were downloaded.</p></div>
</article></div><footer>Made with Material zzfooterword</footer></body></html>"""


def test_pagefind_gets_the_page_without_its_header_and_navigation():
    page = PAGE.format(extra="")
    sent = indexed_part(page)
    assert "zznavword" not in sent and "md-header" not in sent
    assert sent.startswith(page[: page.index("<body")])  # lang and title kept
    assert sent.endswith(page[page.index("<div data-pagefind-body>") :])


@pytest.mark.parametrize(
    "extra",
    [
        "<h1>Another title</h1>",
        '<img src="logo.png" alt="Logo">',
        '<span data-pagefind-filter="team">sre</span>',
        '<div data-pagefind-meta="owner:sre"></div>',
        "<svg><title>Icon</title></svg>",
        '<HTML lang="de">',
    ],
)
def test_a_page_whose_header_holds_what_pagefind_reads_is_sent_whole(extra):
    page = PAGE.format(extra=extra)
    assert indexed_part(page) == page


def test_pages_without_marked_content_are_sent_whole():
    page = PAGE.format(extra="").replace(" data-pagefind-body", "")
    assert indexed_part(page) == page


def test_the_cut_page_gives_pagefind_the_same_index():
    """Real Pagefind: the bundle made of the cut pages is byte for byte the bundle made of
    the whole pages (anchors, title, language, text)."""
    pages = [
        (f"2026/PM-2026-00{n}/index.html", PAGE.format(extra="").replace("001", f"00{n}"))
        for n in (1, 2)
    ]
    whole = pagefind_bundle(pages)
    cut = pagefind_bundle([(rel, indexed_part(html)) for rel, html in pages])
    assert [rel for rel, _ in whole if rel.startswith("fragment/")]
    assert cut == whole
    assert b"zznavword" not in b"".join(data for _, data in whole if b"zznavword" in data)


def _plugin_with_pending_page(tmp_path: Path) -> tuple[PostmortemsPlugin, Page]:
    (tmp_path / "docs").mkdir()
    (tmp_path / "mkdocs.yml").write_text("site_name: t\n", encoding="utf-8")
    config = load_config(config_file=str(tmp_path / "mkdocs.yml"))
    plugin = PostmortemsPlugin()
    file = File("2026/PM-2026-001-x.md", str(tmp_path / "docs"), str(tmp_path / "site"), True)
    page = Page("t", file, config)
    plugin.entries = {file.src_uri: object()}  # type: ignore[dict-item]
    return plugin, page


def test_an_incident_page_is_never_written_while_its_body_is_pending(tmp_path):
    plugin, page = _plugin_with_pending_page(tmp_path)
    page.content = PENDING_BODY
    with pytest.raises(PluginError, match="without its sanitized body"):
        plugin._page_policy("<html><head></head><body></body></html>", page=page, config=None)  # type: ignore[arg-type]


def test_the_sanitized_body_takes_the_pending_page_s_place(tmp_path):
    from concurrent.futures import Future

    from postmortem_kb.core import sanitize

    plugin, page = _plugin_with_pending_page(tmp_path)
    page.content = PENDING_BODY
    body: Future[str] = Future()
    body.set_result(
        sanitize.clean('<h1>T</h1><p>x<img src="x" onerror="alert(1)"><script>alert(2)</script>')
    )
    plugin._bodies[page.file.src_uri] = (body, '<div class="pm-header">H</div>')
    plugin.on_page_context({}, page=page, config=None, nav=None)  # type: ignore[arg-type]
    assert page.content == (
        '<div data-pagefind-body><h1>T</h1><div class="pm-header">H</div>'
        '<p>x<img src="x"></p></div>'
    )
    plugin.serving = True  # no policy in a preview: only the write guard runs
    assert plugin._page_policy("<html></html>", page=page, config=None) == "<html></html>"  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "title",
    [
        "10. Document Customer or User Impact",
        'Timeline "quoted" it\'s `code` = x / y \t tab \x0c feed \x01',
        "Ünïcödé — em dash, emoji \U0001f600, \ufeff",
        "R&amp;D &lt;b&gt;",
        "<b>bold</b> <img src=x onerror=alert(1)>",
        "a\r\nb",
        "a\x00b",
        "no\xa0break",
    ],
)
def test_a_title_reduced_to_text_is_what_the_sanitizer_makes_of_it(title):
    """Titles without a character the HTML parser or serializer changes skip nh3: the
    result is the same either way."""
    from postmortem_kb.core import sanitize

    assert sanitize.text_only(title) == sanitize._cleaner(True)(title)


def test_inline_scripts_are_hashed_around_the_page_s_content_only():
    from postmortem_kb.core import sanitize

    theme, body = "<script>var theme = 1;</script>", "<script>alert(document.domain)</script>"
    html = f"<head>{theme}</head><body><article>{body}</article><script>var end;</script>"
    skip = (html.index("<article>"), html.index("</article>"))
    hashed = sanitize.inline_script_hashes(html, skip)
    assert hashed == {
        sanitize._digest("var theme = 1;"),
        sanitize._digest("var end;"),
    }
    assert sanitize._digest("alert(document.domain)") in sanitize.inline_script_hashes(html)


def test_a_plugin_that_changes_a_pending_incident_page_is_told_and_not_kept(tmp_path, caplog):
    from concurrent.futures import Future

    plugin, page = _plugin_with_pending_page(tmp_path)
    page.content = PENDING_BODY + '<script src="https://cdn.example/x.js"></script>'
    body: Future[str] = Future()
    body.set_result("<h1>T</h1><p>sanitized</p>")
    plugin._bodies[page.file.src_uri] = (body, "")
    plugin.on_page_context({}, page=page, config=None, nav=None)  # type: ignore[arg-type]
    assert page.content == "<div data-pagefind-body><h1>T</h1><p>sanitized</p></div>"
    assert "another plugin changed this incident page's HTML" in caplog.text


def _double(x: int) -> int:
    return 2 * x


def test_work_in_a_forked_process_comes_back_as_computed_here():
    import os

    from postmortem_kb.core.knowledge_base import in_child

    parent = os.getpid()
    assert in_child(lambda: (_double(21), os.getpid() != parent))() == (42, True)


def test_work_that_fails_in_the_forked_process_is_done_again_here():
    """A child that fails, or whose result cannot be sent back, costs time, never the
    result: the parent computes it, and raises there if it must."""
    import os
    import threading

    from postmortem_kb.core.knowledge_base import in_child

    parent = os.getpid()

    def fails_in_child() -> int:
        if os.getpid() != parent:
            raise RuntimeError("child")
        return 7

    assert in_child(fails_in_child)() == 7
    lock = threading.Lock()  # cannot be pickled
    assert in_child(lambda: lock)() is lock

    def always_fails() -> int:
        raise ValueError("here too")

    with pytest.raises(ValueError, match="here too"):
        in_child(always_fails)()
