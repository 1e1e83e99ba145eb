"""Red team: script payloads in every field and in bodies, built with the real MkDocs build
and loaded in the real Chromium. Nothing runs, nothing navigates, and the site's own
scripts (Material, library.js, Pagefind) work under its Content-Security-Policy.

Every payload calls `__hit(N)`, which the test defines before any page script, so a payload
that runs is named. Pages are loaded twice: as built (the policy in force) and with the
policy's meta tag taken out, so that escaping and sanitizing are proven on their own.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from conftest import complete_postmortem_text, run_cli
from test_browser import ARGS, CHROMIUM, EPOCH, _need_chromium, _serve
from test_site_support import build, write_kb

pytestmark = pytest.mark.browser

# Front matter: single-quoted YAML, so no `'` inside.
FIELD_PAYLOADS = {
    "title": "<svg/onload=__hit(1)> Title",
    "owner": "<img src=x onerror=__hit(2)>",
    "service": "<script>__hit(3)</script>",
    "tag": '"><svg onload=__hit(4)>',
    "title2": "</title><script>__hit(5)</script>"
    "&lt;/title&gt;&lt;script&gt;__hit(6)&lt;/script&gt;",
}
# Markdown body; each block is separated by blank lines.
BODY_PAYLOADS = [
    '<img src="x"\n     alt="multi-line"\n     onerror="__hit(10)">',
    '<a href="java&#x09;script:__hit(11)">tab-split link</a>',
    "<svg/onload=__hit(12)>",
    "<details open ontoggle=__hit(13)><summary>s</summary>x</details>",
    "![x](missing.png){onerror=__hit(14)}",
    "### Heading {: onmouseover=__hit(15) }",
    "[markdown link](javascript:__hit(16))",
    "[reference link][r16]\n\n[r16]: jav&#x61;script:__hit(17)",
    "<!--> <img src=x onerror=__hit(18)> -->",
    '<iframe srcdoc="<script>parent.__hit(19)</script>"></iframe>',
    '<meta http-equiv="refresh" content="0;url=?navigated">',
    '<noscript><p title="</noscript><img src=x onerror=__hit(20)>">',
    "<math><mtext><table><mglyph><style><img src=x onerror=__hit(21)>",
    '<form action="javascript:__hit(22)"><button>go</button></form>',
    "<input autofocus onfocus=__hit(23)>",
    '<object data="data:text/html,<script>parent.__hit(24)</script>"></object>',
    "## Heading <img src=x onerror=__hit(25)>",
    '## Label {: data-toc-label="<img src=x onerror=__hit(26)>" }',
]
ACTION_PAYLOAD = (
    "| A9 | <img src=x onerror=__hit(30)> | <svg/onload=__hit(31)> | 2026-06-01 "
    "| open | <script>__hit(32)</script> |"
)
TIMELINE_PAYLOAD = "| 2026-05-23 16:30 | <img src=x onerror=__hit(33)> closed |"


def _payload_kb(root: Path) -> Path:
    assert run_cli("init", str(root)).exit_code == 0
    year = root / "postmortems" / "2026"
    year.mkdir(parents=True, exist_ok=True)
    for n, title in ((1, FIELD_PAYLOADS["title"]), (2, FIELD_PAYLOADS["title2"])):
        text = complete_postmortem_text(f"PM-2026-00{n}", "published", "internal")
        old_title = next(line for line in text.split("\n") if line.startswith("title: "))
        text = text.replace(old_title, f"title: '{title}'", 1)
        text = text.replace("owner: Security Operations", f"owner: '{FIELD_PAYLOADS['owner']}'", 1)
        text = text.replace("services:\n", f"services:\n  - '{FIELD_PAYLOADS['service']}'\n", 1)
        text = text.replace("tags:\n", f"tags:\n  - '{FIELD_PAYLOADS['tag']}'\n", 1)
        text = text.replace(
            "## Summary\n", "## Summary\n\n" + "\n\n".join(BODY_PAYLOADS) + "\n\n", 1
        )
        text = re.sub(r"(\| A4 \|.*\n)", lambda m: m.group(1) + ACTION_PAYLOAD + "\n", text)
        text = re.sub(
            r"(\| 2026-05-23 16:00 \|.*\n)", lambda m: m.group(1) + TIMELINE_PAYLOAD + "\n", text
        )
        (year / f"PM-2026-00{n}-payload.md").write_text(text, encoding="utf-8")
    # The title of a draft made the way an intake issue makes one.
    made = run_cli(
        "-C",
        str(root),
        "new",
        "--no-git",
        "--type",
        "phishing",
        "--severity",
        "SEV3",
        "--owner",
        "SecOps",
        "--occurred",
        "2026-03-01 10:00",
        "--id",
        "PM-2026-003",
        "--title",
        "<svg/onload=__hit(40)>",
    )
    assert made.exit_code == 0, made.output + made.stderr
    return root


@pytest.fixture(scope="module")
def payload_site(tmp_path_factory: pytest.TempPathFactory):
    _need_chromium()
    tmp = tmp_path_factory.mktemp("payloads")
    saved = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = EPOCH
    try:
        site = build(_payload_kb(tmp / "kb"), tmp / "site", "--drafts")
    finally:
        if saved is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = saved
    for url in _serve(site):
        yield site, url


@pytest.fixture(scope="module")
def normal_site(tmp_path_factory: pytest.TempPathFactory):
    _need_chromium()
    tmp = tmp_path_factory.mktemp("normal")
    saved = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = EPOCH
    try:
        site = build(write_kb(tmp / "kb"), tmp / "site", "--strict")
    finally:
        if saved is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = saved
    for url in _serve(site):
        yield site, url


@pytest.fixture(scope="module")
def chromium():
    from playwright.sync_api import sync_playwright

    _need_chromium()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


WATCH = """
window.__hits = [];
window.__hit = function (n) { window.__hits.push(n); };
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " "
                    + (e.sourceFile || "") + ":" + e.lineNumber);
});
"""
DANGER = """() => {
  const bad = [];
  for (const el of document.querySelectorAll("*")) {
    for (const a of el.attributes) {
      if (a.name.toLowerCase().startsWith("on")) bad.push(el.tagName + " " + a.name);
    }
  }
  for (const el of document.querySelectorAll("a[href], area[href]")) {
    if (["javascript:", "vbscript:", "data:"].includes(el.protocol)) bad.push("link " + el.href);
  }
  const framing = "iframe, object, embed, base, meta[http-equiv=refresh]";
  for (const el of document.querySelectorAll(framing)) {
    bad.push(el.tagName);
  }
  // Pagefind's own search form has action="javascript:void(0);" and never submits.
  for (const el of document.querySelectorAll("form[action], [formaction]")) {
    if (el.closest(".pagefind-ui")) continue;
    const action = el.getAttribute("action") || el.getAttribute("formaction");
    const target = new URL(action, location.href);
    if (target.origin !== location.origin) bad.push(el.tagName + " to " + target.href);
  }
  return bad;
}"""


def _pages(site: Path) -> list[str]:
    paths = sorted(
        p.relative_to(site).as_posix() for p in site.rglob("*.html") if "pagefind" not in p.parts
    )
    return [p[: -len("index.html")] if p.endswith("index.html") else p for p in paths]


def _visit(chromium, url: str, strip_policy: bool) -> dict[str, object]:
    context = chromium.new_context()
    context.add_init_script(WATCH)
    if strip_policy:

        def without_policy(route):  # type: ignore[no-untyped-def]
            response = route.fetch()
            body = response.text()
            if "text/html" in response.headers.get("content-type", ""):
                body = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", body)
            route.fulfill(response=response, body=body)

        context.route("**/*", without_policy)
    tab = context.new_page()
    try:
        tab.goto(url)
        tab.wait_for_load_state("networkidle")
        tab.wait_for_timeout(300)  # a meta refresh of 0 s or a late handler would fire now
        return {
            "hits": tab.evaluate("window.__hits"),
            "csp": tab.evaluate("window.__csp"),
            "danger": tab.evaluate(DANGER),
            "url": tab.url,
            "title": tab.title(),
            "text": tab.inner_text("body"),
        }
    finally:
        context.close()


def test_no_payload_runs_on_any_page_with_or_without_the_policy(chromium, payload_site):
    site, base = payload_site
    pages = _pages(site)
    assert (
        "2026/PM-2026-001-payload/" in pages and "2026/PM-2026-003-svg-onload-hit-40/" in pages
    ), pages
    problems = []
    for path in pages:
        for strip in (False, True):
            seen = _visit(chromium, base + path, strip)
            label = f"{path or '/'}{' (no policy)' if strip else ''}"
            if seen["hits"]:
                problems.append(f"{label}: ran {seen['hits']}")
            if seen["danger"]:
                problems.append(f"{label}: active {seen['danger']}")
            if seen["url"] != base + path:
                problems.append(f"{label}: navigated to {seen['url']}")
            if not strip and seen["csp"]:
                problems.append(f"{label}: policy violations {seen['csp']}")
    assert problems == []


def test_front_matter_payloads_are_shown_as_text(chromium, payload_site):
    site, base = payload_site
    seen = _visit(chromium, base + "2026/PM-2026-001-payload/", False)
    assert str(seen["title"]).startswith("PM-2026-001: <svg/onload=__hit(1)> Title")
    for value in (FIELD_PAYLOADS["owner"], FIELD_PAYLOADS["service"]):
        assert value in str(seen["text"])
    seen = _visit(chromium, base + "2026/PM-2026-002-payload/", False)
    assert "</title><script>__hit(5)</script>&lt;/title&gt;" in str(seen["title"])
    seen = _visit(chromium, base + "2026/PM-2026-003-svg-onload-hit-40/", False)
    assert "PM-2026-003: <svg/onload=__hit(40)>" in str(seen["text"])
    home = _visit(chromium, base, False)
    assert "<svg/onload=__hit(1)> Title" in str(home["text"])
    tracker = _visit(chromium, base + "library/actions/", False)
    assert "<img src=x onerror=__hit(30)>" in str(tracker["text"])
    tags = (site / "library" / "tags" / "index.html").read_text(encoding="utf-8")
    assert "&lt;svg onload=__hit(4)&gt;" in tags and "<svg onload" not in tags


def test_search_results_show_payloads_as_text(chromium, payload_site):
    _, base = payload_site
    context = chromium.new_context()
    context.add_init_script(WATCH)
    tab = context.new_page()
    try:
        tab.goto(base + "library/search/")
        tab.locator(".pm-search-form input[name=q]").press_sequentially("onerror", delay=20)
        tab.locator(".pm-results .pm-hit").first.wait_for(timeout=15000)
        tab.wait_for_timeout(500)
        assert tab.evaluate("window.__hits") == []
        assert tab.evaluate("window.__csp") == []
        assert tab.evaluate(DANGER) == []
    finally:
        context.close()


def test_the_sites_own_scripts_work_under_the_policy(chromium, normal_site):
    site, base = normal_site
    page_html = (site / "index.html").read_text(encoding="utf-8")
    assert page_html.count('http-equiv="Content-Security-Policy"') == 1
    assert "script-src 'self'" in page_html and "'unsafe-inline'" not in re.search(
        r"script-src[^;]*", page_html
    ).group(0)  # type: ignore[union-attr]
    headers = (site / "_headers").read_text(encoding="utf-8")
    assert "Content-Security-Policy: default-src 'self'" in headers
    assert "frame-ancestors 'none'" in headers
    context = chromium.new_context()
    context.add_init_script(WATCH)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        for path in _pages(site):
            tab.goto(base + path)
            tab.wait_for_load_state("networkidle")
        # The library table's filters (library.js) and Material's instant navigation.
        tab.goto(base)
        tab.wait_for_selector("form.pm-filters select")
        before = tab.locator("table.pm-library tbody tr:not([hidden])").count()
        tab.fill("form.pm-filters input[name=q]", "zzinternaltitle")
        after = tab.locator("table.pm-library tbody tr:not([hidden])").count()
        assert before > after == 1
        tab.click("text=Action tracker")
        tab.wait_for_url("**/library/actions/")
        # Pagefind search (WebAssembly, loaded by library.js).
        tab.goto(base + "library/search/?q=zzinternalbody")
        tab.locator(".pm-results .pm-hit").first.wait_for(timeout=15000)
        assert tab.evaluate("window.__csp") == []
        assert tab.evaluate("window.__hits") == []
    finally:
        context.close()
    assert [e for e in errors if "Content Security Policy" in e or "Refused" in e] == []


def test_home_table_rows_from_the_library_data_are_text(chromium, payload_site):
    # Filtering loads the whole library from entries.json and rebuilds the rows from it.
    site, base = payload_site
    data = (site / "library" / "entries.json").read_text(encoding="utf-8")
    assert "<svg/onload=__hit(1)> Title" in data  # JSON holds the text as written
    context = chromium.new_context()
    context.add_init_script(WATCH)
    tab = context.new_page()
    try:
        tab.goto(base)
        tab.wait_for_selector("form.pm-filters input[name=q]")
        tab.fill("form.pm-filters input[name=q]", "hit")
        tab.wait_for_timeout(1000)
        titles = tab.locator("table.pm-library td.pm-c-title").all_inner_texts()
        assert "<svg/onload=__hit(1)> Title" in titles, titles
        assert tab.evaluate("window.__hits") == []
        assert tab.evaluate("window.__csp") == []
        assert tab.evaluate(DANGER) == []
    finally:
        context.close()
