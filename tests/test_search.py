"""Search while typing in the header (Pagefind's index, in the real Chromium): each hit with
its id, severity, status, type and date; filters by type, severity, status, quarter and
service; arrow keys and Enter; the full results page keeps the query and the filters. Two
builds of the same knowledge base are the same, byte for byte (Pagefind's own filters are
not, so the filters are ours)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from test_browser import ARGS, CHROMIUM, _built, _need_chromium, _serve

SOME = re.compile(r"\d+ results for")  # the answer to the whole query
SEARCH_IDS = ".pm-hit:not(.pm-hit--all) .pm-hit__id"

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
    # the answer to the whole word (answers to its first letters may come first)
    tab.locator(".pm-hit--all", has_text="zzpublicbody").wait_for(timeout=10000)
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
    tab.locator(".pm-results .pm-hit").first.wait_for(timeout=15000)
    assert tab.locator(".pm-header-search input").input_value() == "registry"
    assert tab.locator(".pm-search-form input[name=q]").input_value() == "registry"


def _ids(tab, where: str) -> list[str]:
    found = tab.locator(where)
    return [found.nth(i).inner_text() for i in range(found.count())]


def test_header_filters_narrow_the_hits_and_travel_to_the_results_page(tab, search_url: str):
    tab.goto(search_url + "library/actions/")
    box = tab.locator(".pm-header-search input")
    box.click()
    box.type("registry")
    tab.locator(".pm-hit__id", has_text="PM-2026-001").wait_for(timeout=10000)
    assert sorted(_ids(tab, "#pm-hits " + SEARCH_IDS)) == ["PM-2026-001", "PM-2026-002"]
    toggle = tab.locator(".pm-filter-toggle")
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"
    service = tab.locator("#pm-header-filters select[name=services]")
    # (a locator, not wait_for_function: that evaluates a string, which the CSP forbids)
    tab.locator(
        "#pm-header-filters select[name=services] option[value=zzinternalservice]"
    ).wait_for(state="attached")
    service.select_option("zzinternalservice")
    tab.locator("#pm-hits .pm-hit--all", has_text="zzinternalservice").wait_for(timeout=10000)
    assert _ids(tab, "#pm-hits " + SEARCH_IDS) == ["PM-2026-002"]
    assert tab.locator(".pm-filter-toggle").inner_text().startswith("Filters (1)")
    box.press("Enter")
    tab.wait_for_url(re.compile(r".*/library/search/\?q=registry&services=zzinternalservice$"))
    tab.locator(".pm-search-status", has_text="1 result").wait_for(timeout=15000)
    assert _ids(tab, ".pm-results " + SEARCH_IDS) == ["PM-2026-002"]
    assert tab.locator(".pm-search-form select[name=services]").input_value() == (
        "zzinternalservice"
    )


def test_results_page_filters_keep_the_query_in_the_address(tab, search_url: str):
    tab.goto(search_url + "library/search/?q=registry")
    tab.locator(".pm-search-status", has_text=SOME).wait_for(timeout=15000)
    tab.locator(".pm-search-form select[name=services]").select_option("publicservice")
    tab.locator(".pm-search-status", has_text="1 result").wait_for(timeout=15000)
    assert _ids(tab, ".pm-results " + SEARCH_IDS) == ["PM-2026-001"]
    assert tab.url.endswith("/library/search/?q=registry&services=publicservice")
    # a filter that matches nothing says so
    tab.locator(".pm-search-form select[name=severity]").select_option("SEV2")
    tab.locator(".pm-search-form select[name=status]").select_option("published")
    tab.locator(".pm-search-form select[name=quarter]").select_option("2026-Q2")
    tab.locator(".pm-search-form select[name=type]").select_option("unauthorized-access")
    tab.locator(".pm-search-status", has_text="1 result").wait_for(timeout=15000)
    tab.reload()
    tab.locator(".pm-search-status", has_text="1 result").wait_for(timeout=15000)
    assert tab.locator(".pm-search-form input[name=q]").input_value() == "registry"
    assert _ids(tab, ".pm-results " + SEARCH_IDS) == ["PM-2026-001"]


def test_results_page_lists_by_filters_alone(tab, search_url: str):
    fetched: list[str] = []
    tab.on("request", lambda r: fetched.append(r.url))
    tab.goto(search_url + "library/search/?services=zzinternalservice")
    tab.locator(".pm-search-status", has_text="1 result").wait_for(timeout=15000)
    assert _ids(tab, ".pm-results " + SEARCH_IDS) == ["PM-2026-002"]
    # each hit from its Pagefind fragment, not the whole library
    assert any(u.endswith(".pf_fragment") for u in fetched)
    assert not any("entries.json" in u for u in fetched)
    tab.goto(search_url + "library/search/?severity=SEV1")
    tab.locator(".pm-search-status", has_text="No results").wait_for(timeout=15000)
    assert tab.locator(".pm-results .pm-hit").count() == 0


def test_results_page_arrow_keys_reach_the_results(tab, search_url: str):
    tab.goto(search_url + "library/search/?q=registry")
    tab.locator(".pm-search-status", has_text=SOME).wait_for(timeout=15000)
    tab.locator(".pm-search-form input[name=q]").focus()
    tab.keyboard.press("ArrowDown")
    first = tab.evaluate("document.activeElement.getAttribute('href')")
    tab.keyboard.press("ArrowDown")
    second = tab.evaluate("document.activeElement.getAttribute('href')")
    assert first and second and first != second
    tab.keyboard.press("ArrowUp")
    tab.keyboard.press("Enter")
    tab.wait_for_url(re.compile(".*" + re.escape(first.lstrip("./")) + "$"))
    assert tab.locator(".pm-header").count() == 1


def test_two_builds_are_the_same_byte_for_byte(tmp_path):
    one = _built(tmp_path / "one", pagefind=True)
    two = _built(tmp_path / "two", pagefind=True)
    files = sorted(p.relative_to(one) for p in one.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(two) for p in two.rglob("*") if p.is_file())
    assert any(p.as_posix() == "library/search-facets.json" for p in files)
    differ = [p for p in files if (one / p).read_bytes() != (two / p).read_bytes()]
    assert differ == []
