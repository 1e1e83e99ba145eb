"""The site in a real headless Chromium (Debian's, never a downloaded one): search, the home
filters, the tracker, and no script error on any page. Screenshots go to test-artifacts/."""

from __future__ import annotations

import functools
import http.server
import os
import re
import threading
from pathlib import Path

import pytest

from conftest import REPO
from test_site_support import build, use_material_search, write_kb

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = REPO / "test-artifacts"
EPOCH = "1790812800"  # 2026-10-01

pytestmark = pytest.mark.browser


def _need_chromium() -> None:
    if Path(CHROMIUM).is_file():
        return
    message = f"{CHROMIUM} is missing: install Debian's chromium (make browser)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


def _built(tmp: Path, pagefind: bool) -> Path:
    saved = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = EPOCH
    try:
        root = write_kb(tmp / "kb")
        if not pagefind:
            use_material_search(root)
        return build(root, tmp / "site", "--strict", "--audience", "internal")
    finally:
        if saved is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = saved


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory):
    """The fixture knowledge base, built once (internal audience), on a local server."""
    _need_chromium()
    yield from _serve(_built(tmp_path_factory.mktemp("browser"), pagefind=False))


@pytest.fixture(scope="module")
def pagefind_url(tmp_path_factory: pytest.TempPathFactory):
    """The same knowledge base searched with Pagefind instead of Material's search."""
    _need_chromium()
    yield from _serve(_built(tmp_path_factory.mktemp("browser-pagefind"), pagefind=True))


def _serve(site: Path):
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(site))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser(base_url: str):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(f"{tab.url}: {exc}"))
    tab.on(
        "console",
        lambda msg: errors.append(f"{tab.url}: {msg.text}") if msg.type == "error" else None,
    )
    tab.on(
        "request",
        lambda req: (
            errors.append(f"fetched from elsewhere: {req.url}")
            if not req.url.startswith(("http://127.0.0.1", "data:", "blob:"))
            else None
        ),
    )
    tab.errors = errors
    yield tab
    ARTIFACTS.mkdir(exist_ok=True)
    tab.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


def _search(page, base_url: str, query: str, expect: str = ""):
    """The results' links once they answer the whole QUERY: with EXPECT, once a result links
    it (under load, results for the first letters typed can still be on screen)."""
    page.goto(base_url)
    page.click("label.md-search__icon, .md-search__input")
    page.locator("input.md-search__input").press_sequentially(query, delay=20)
    results = page.locator(".md-search-result__item a")
    results.first.wait_for(timeout=15000)
    if expect:
        page.locator(f".md-search-result__item a[href*='{expect}']").first.wait_for(timeout=15000)
    # Read in one step: the list may be drawn again (a later keystroke's results) between
    # counting the links and reading the last of them. Under load the results of the query
    # without its last letter can still be on screen (holding EXPECT too, lower down): read
    # until the links say (`?h=`, the words highlighted) that they answer every word typed.
    words = set(re.findall(r"[a-z0-9]+", query.lower()))
    read = "links => links.map(link => link.getAttribute('href'))"
    for _ in range(60):
        hrefs = results.evaluate_all(read)
        highlighted = re.search(r"[?&]h=([^#&]*)", hrefs[0]) if hrefs else None
        if highlighted is None or words <= set(highlighted.group(1).split("+")):
            break
        page.wait_for_timeout(250)
    return hrefs


def test_search_finds_a_post_mortem_by_id(page, base_url):
    hrefs = _search(page, base_url, "PM-2026-002", expect="PM-2026-002-zzinternalslug")
    assert any("PM-2026-002-zzinternalslug" in h for h in hrefs[:3]), hrefs


def test_search_finds_a_post_mortem_by_a_phrase_from_its_body(page, base_url):
    hrefs = _search(page, base_url, "Marker zzinternalbody here")
    assert hrefs and "PM-2026-002-zzinternalslug" in hrefs[0], hrefs


def test_home_filters_narrow_the_table(page, base_url):
    page.goto(base_url)
    rows = page.locator("table.pm-library tbody tr")
    assert rows.count() == 2
    page.select_option("form.pm-filters select[name=services]", "zzinternalservice")
    visible = page.locator("table.pm-library tbody tr:visible")
    assert visible.count() == 1
    assert "PM-2026-002" in visible.first.inner_text()
    assert "1 of 2" in page.inner_text(".pm-library-count")
    page.select_option("form.pm-filters select[name=services]", "")
    page.fill("form.pm-filters input[name=q]", "zzpublictitle")
    assert page.locator("table.pm-library tbody tr:visible").count() == 1
    assert "PM-2026-001" in page.locator("table.pm-library tbody tr:visible").first.inner_text()


def test_home_table_sorts_by_column(page, base_url):
    page.goto(base_url)
    first_id = page.locator("table.pm-library tbody tr td:first-child")
    page.click("table.pm-library th:has-text('ID')")
    assert first_id.first.inner_text() == "PM-2026-001"
    page.click("table.pm-library th:has-text('ID')")
    assert first_id.first.inner_text() == "PM-2026-002"


def test_home_table_without_javascript_is_a_plain_table(browser, base_url):
    context = browser.new_context(java_script_enabled=False)
    tab = context.new_page()
    tab.goto(base_url)
    assert tab.locator("table.pm-library tbody tr:visible").count() == 2
    assert tab.locator("form.pm-filters").count() == 0
    ARTIFACTS.mkdir(exist_ok=True)
    tab.screenshot(path=str(ARTIFACTS / "home_without_javascript.png"), full_page=True)
    context.close()


def test_tracker_lists_an_overdue_item(page, base_url):
    page.goto(base_url + "library/actions/")
    overdue = page.locator("tr.pm-row-overdue")
    assert overdue.count() >= 1
    text = overdue.first.inner_text()
    assert "days overdue" in text and "A2" in text
    overdue.first.locator("a").first.click()
    page.wait_for_url(re.compile(r".*/2026/PM-2026-00\d-[a-z]+/$"))
    assert page.locator(".pm-header").count() == 1


def test_no_page_has_a_script_error(page, base_url):
    paths = [
        "",
        "library/types/",
        "library/quarters/",
        "library/severities/",
        "library/services/",
        "library/tags/",
        "library/actions/",
        "library/metrics/",
        "2026/PM-2026-001-zzpublicslug/",
        "2026/PM-2026-002-zzinternalslug/",
        "404.html",
    ]
    for path in paths:
        page.goto(base_url + path)
        page.wait_for_load_state("networkidle")
        if path:
            ARTIFACTS.mkdir(exist_ok=True)
            name = path.strip("/").replace("/", "_").replace(".html", "")
            page.screenshot(path=str(ARTIFACTS / f"page_{name}.png"), full_page=True)
    real = [e for e in page.errors if "404.html" not in e and "404 (File not found)" not in e]
    assert real == []


def test_phone_cards_have_a_sort_control(page, base_url):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(base_url)
    sort = page.locator(".pm-sort select")
    sort.wait_for()
    assert sort.is_visible()
    first = page.locator("table.pm-library tbody tr .pm-c-id").first
    assert first.inner_text() == "PM-2026-002"  # newest first (same date: higher id first)
    sort.select_option("id:asc")
    page.locator(
        "table.pm-library tbody tr:first-child .pm-c-id", has_text="PM-2026-001"
    ).wait_for()
    sort.select_option("")
    page.locator(
        "table.pm-library tbody tr:first-child .pm-c-id", has_text="PM-2026-002"
    ).wait_for()
    # the site name is not cut on a phone: a long one wraps onto a second line
    name = page.locator(".md-header__topic:first-child .md-ellipsis")
    name.evaluate("e => { e.textContent = 'postmortem-kb incident library'; }")
    cut = "e => e.scrollWidth > e.clientWidth + 1 || e.scrollHeight > e.clientHeight + 1"
    assert not name.evaluate(cut)
    assert name.bounding_box()["height"] > 25  # type: ignore[index]  (two lines)
    page.set_viewport_size({"width": 1280, "height": 900})
    assert not sort.is_visible()  # the column headings sort on a wide screen
    assert page.errors == []


def test_a_chart_that_scrolls_on_a_phone_says_so(page, base_url):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(base_url + "library/metrics/")
    chart = page.locator(".pm-figure-chart").first
    chart.wait_for()
    assert chart.evaluate("e => e.scrollWidth > e.clientWidth")  # the chart keeps its size
    cue = "e => getComputedStyle(e, '::before').content"
    assert "Scroll sideways" in chart.evaluate(cue)
    # a shadow on the edge that hides more: the box draws gradients behind the chart
    assert "radial-gradient" in chart.evaluate("e => getComputedStyle(e).backgroundImage")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # never the page
    page.set_viewport_size({"width": 1280, "height": 900})
    assert chart.evaluate("e => e.scrollWidth <= e.clientWidth")
    assert chart.evaluate(cue) == "none"  # nothing to scroll, nothing said
    assert page.errors == []


def test_instant_navigation_keeps_the_filters(page, base_url):
    page.goto(base_url + "library/metrics/")
    page.click("nav.md-tabs a:has-text('Home')")
    page.wait_for_selector("form.pm-filters")
    assert page.locator("form.pm-filters").count() == 1
    assert page.errors == []


def _pagefind_search(page, url: str, query: str):
    page.goto(url + "library/search/")
    page.locator(".pm-search-form input[name=q]").press_sequentially(query, delay=20)
    # Results of a partly typed query show first; wait for those of the whole one.
    page.locator(".pm-search-status", has_text=query).wait_for(timeout=15000)
    results = page.locator(".pm-results .pm-hit")
    results.first.wait_for(timeout=15000)
    return [results.nth(i).get_attribute("href") for i in range(results.count())]


def test_pagefind_search_finds_a_post_mortem_by_id(page, pagefind_url):
    hrefs = _pagefind_search(page, pagefind_url, "PM-2026-002")
    assert hrefs and "PM-2026-002-zzinternalslug" in hrefs[0], hrefs


def test_pagefind_search_finds_a_post_mortem_by_a_phrase_from_its_body(page, pagefind_url):
    hrefs = _pagefind_search(page, pagefind_url, "Marker zzinternalbody here")
    assert hrefs and "PM-2026-002-zzinternalslug" in hrefs[0], hrefs
    page.locator(".pm-results .pm-hit").first.click()
    page.wait_for_selector(".pm-header")
    assert page.errors == []


def test_pagefind_search_page_has_no_script_error(page, pagefind_url):
    page.goto(pagefind_url + "library/search/")
    page.wait_for_selector(".pm-search-form input[name=q]")
    page.goto(pagefind_url)
    page.click("nav.md-tabs a:has-text('Search')")
    page.wait_for_selector(".pm-search-form input[name=q]")
    page.locator(".pm-search-status", has_text="Type a word").wait_for(timeout=15000)
    assert page.errors == []


def test_pagefind_header_search_box_opens_the_search_page(page, pagefind_url):
    page.goto(pagefind_url + "library/metrics/")
    page.fill("form.pm-header-search input", "zzinternalbody")
    page.press("form.pm-header-search input", "Enter")
    page.wait_for_selector(".pm-results .pm-hit", timeout=15000)
    assert "PM-2026-002-zzinternalslug" in page.locator(".pm-results .pm-hit").first.get_attribute(
        "href"
    )
    assert page.errors == []


def test_material_search_site_has_no_extra_search_box(page, base_url):
    page.goto(base_url)
    assert page.locator("form.pm-header-search").count() == 0


def test_missing_chromium_fails_in_ci_and_skips_elsewhere(monkeypatch):
    import sys

    monkeypatch.setattr(sys.modules[__name__], "CHROMIUM", "/nonexistent/chromium")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception):
        _need_chromium()
    monkeypatch.setenv("CI", "false")
    with pytest.raises(pytest.skip.Exception):
        _need_chromium()
