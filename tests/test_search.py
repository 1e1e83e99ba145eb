"""Search while typing in the header (Pagefind's index, in the real Chromium): each hit with
its id, severity, status, type and date; arrow keys and Enter; the full results page keeps
the query."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from test_browser import ARGS, CHROMIUM, _built, _need_chromium, _serve

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def search_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    _need_chromium()
    yield from _serve(_built(tmp_path_factory.mktemp("search"), pagefind=True))


@pytest.fixture
def tab(search_url: str) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        yield page
        assert errors == []
        browser.close()


def test_typing_a_word_shows_the_post_mortem_with_its_severity(tab, search_url: str):
    tab.goto(search_url + "library/actions/")
    box = tab.locator(".pm-header-search input")
    box.click()
    box.type("zzinternalbody")
    hit = tab.locator(".pm-hit").first
    hit.wait_for(timeout=10000)
    assert "PM-2026-002" in hit.inner_text()
    facts = hit.locator(".pm-hit__facts").inner_text().split()
    assert facts[:3] == ["PM-2026-002", "SEV2", "published"]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", facts[-1])
    assert box.get_attribute("aria-expanded") == "true"


def test_arrow_keys_and_enter_open_a_hit(tab, search_url: str):
    tab.goto(search_url)
    box = tab.locator(".pm-header-search input")
    box.click()
    box.type("zzpublicbody")
    tab.locator(".pm-hit").first.wait_for(timeout=10000)
    tab.keyboard.press("ArrowDown")
    assert box.get_attribute("aria-activedescendant") == "pm-hit-0"
    tab.keyboard.press("Enter")
    tab.wait_for_url(re.compile(r".*/2026/PM-2026-001-zzpublicslug/.*"))
    assert tab.locator(".pm-header").count() == 1


def test_enter_opens_the_results_page_with_the_query_kept(tab, search_url: str):
    tab.goto(search_url)
    box = tab.locator(".pm-header-search input")
    box.click()
    box.type("registry")
    box.press("Enter")
    tab.wait_for_url(re.compile(r".*/library/search/\?q=registry$"))
    tab.locator(".pagefind-ui__result").first.wait_for(timeout=15000)
    assert tab.locator(".pm-header-search input").input_value() == "registry"
    assert tab.locator(".pagefind-ui__search-input").input_value() == "registry"
