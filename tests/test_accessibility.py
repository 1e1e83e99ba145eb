"""Every page kind in the real Chromium with axe-core (axe-playwright-python ships it): no
critical or serious violation, light and dark, laptop and phone; visible focus; no page
scrolls sideways on a phone; the 404 page; the site served under a sub-path."""

from __future__ import annotations

import functools
import http.server
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from conftest import run_cli
from test_browser import ARGS, CHROMIUM, EPOCH, _need_chromium
from test_site_support import build, write_kb

pytestmark = pytest.mark.browser

GUIDE = """# Writing a blameless post-mortem

Describe what the systems allowed, not who was at fault. See the [library](../index.md).

- [x] The summary names no person
- [ ] Every action item has an owner

```console
$ postmortem check
No findings in 1 post-mortem.
```
"""

KINDS = {
    "home": "",
    "incident": "2026/PM-2026-001-zzpublicslug/",
    "index": "library/types/",
    "tracker": "library/actions/",
    "metrics": "library/metrics/",
    "search": "library/search/?q=registry",
    "guide": "guide/",
    "404": "no/such/page/",
}


def _serve(www: Path, not_found: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    """A static server that answers a missing path with NOT_FOUND and status 404, as
    GitHub Pages does."""

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def send_error(
            self, code: int, message: str | None = None, explain: str | None = None
        ) -> None:
            if code != 404:
                super().send_error(code, message, explain)
                return
            body = not_found.read_bytes()
            self.send_response(404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Handler, directory=str(www))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def _with_epoch(make):  # type: ignore[no-untyped-def]
    saved = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = EPOCH
    try:
        return make()
    finally:
        if saved is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = saved


@pytest.fixture(scope="module")
def site_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The fixture knowledge base with a guide, built for the internal audience."""
    _need_chromium()
    tmp = tmp_path_factory.mktemp("a11y")

    def make() -> Path:
        root = write_kb(tmp / "kb")
        guide = root / "postmortems" / "guide" / "index.md"
        if not guide.exists():
            guide.parent.mkdir(parents=True, exist_ok=True)
            guide.write_text(GUIDE, encoding="utf-8")
        return build(root, tmp / "site", "--strict", "--audience", "internal")

    site = _with_epoch(make)
    server, url = _serve(site, site / "404.html")
    yield url
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def chromium() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width, height", [(1280, 900), (390, 844)])
def test_no_critical_or_serious_axe_violation_on_any_page_kind(
    chromium, site_url: str, scheme: str, width: int, height: int
):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    context = chromium.new_context(
        viewport={"width": width, "height": height},  # type: ignore[attr-defined]
        color_scheme=scheme,
    )
    page = context.new_page()
    found = []
    for kind, rel in KINDS.items():
        page.goto(site_url + rel)
        page.wait_for_load_state("networkidle")
        if kind == "search":
            page.locator(".pm-results .pm-hit").first.wait_for(timeout=15000)
        scheme_used = page.evaluate("document.body.getAttribute('data-md-color-scheme')")
        assert scheme_used == ("slate" if scheme == "dark" else "default"), kind
        for violation in axe.run(page).response["violations"]:
            if violation["impact"] in ("critical", "serious"):
                found.append(
                    (
                        kind,
                        violation["id"],
                        violation["impact"],
                        [n["target"] for n in violation["nodes"][:3]],
                    )
                )
        if kind == "metrics":  # charts keep their size: labels never shrink below 12 px
            sizes = page.evaluate(
                "[...document.querySelectorAll('svg.pm-chart')].map("
                "s => [s.getBoundingClientRect().width, "
                "+s.getAttribute('width')])"
            )
            assert sizes and all(abs(shown - own) < 1 for shown, own in sizes), sizes
        if width < 500:
            wide = page.evaluate("document.documentElement.scrollWidth")
            if wide > width:
                found.append((kind, "scrolls sideways", f"{wide} px", []))
    context.close()
    assert found == []


def test_focus_is_visible_on_the_header_search_and_links(chromium, site_url: str):
    page = chromium.new_page()  # type: ignore[attr-defined]
    page.goto(site_url)
    page.keyboard.press("Tab")  # the first Tab reaches Material's skip link or the header
    for selector in (".pm-header-search input", ".md-typeset table.pm-library a"):
        page.locator(selector).first.focus()
        style = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert style not in ("none", ""), selector
    page.close()


def test_404_page_links_home_and_to_search(chromium, site_url: str):
    page = chromium.new_page()  # type: ignore[attr-defined]
    response = page.goto(site_url + "no/such/page/")
    assert response is not None and response.status == 404
    links = page.locator(".pm-not-found a")
    hrefs = [urlsplit(links.nth(i).get_attribute("href") or "").path for i in range(links.count())]
    assert "/" in hrefs and "/library/search/" in hrefs
    page.close()


def test_site_under_a_sub_path_works_with_site_url_from_init(chromium, tmp_path: Path):
    root = tmp_path / "kb"
    result = run_cli("init", str(root), "--site-url", "https://example.github.io/sub")
    assert result.exit_code == 0, result.stderr
    assert 'site_url: "https://example.github.io/sub/"' in (root / "mkdocs.yml").read_text()
    www = tmp_path / "www"
    site = _with_epoch(lambda: build(root, www / "sub", "--strict"))
    server, url = _serve(www, site / "404.html")
    page = chromium.new_page()  # type: ignore[attr-defined]
    failed: list[str] = []
    page.on(
        "response",
        lambda r: (
            failed.append(r.url) if r.status >= 400 and not r.url.endswith("/deep/") else None
        ),
    )
    try:
        response = page.goto(url + "sub/no/such/deep/")
        assert response is not None and response.status == 404
        page.wait_for_load_state("networkidle")
        assert failed == []  # styles and scripts found from any depth
        header = page.evaluate(
            "getComputedStyle(document.querySelector('.md-header')).backgroundColor"
        )
        assert header not in ("rgba(0, 0, 0, 0)", "transparent")  # Material's CSS applied
        page.click(".pm-not-found a >> nth=0")
        page.wait_for_url(url + "sub/")
        assert "0 post-mortems" in page.inner_text(".pm-library-count")
        page.goto(url + "sub/no/such/deep/")
        page.click("text=Search the library")
        page.wait_for_url(url + "sub/library/search/")
        assert failed == []
    finally:
        page.close()
        server.shutdown()
        server.server_close()
