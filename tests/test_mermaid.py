"""Mermaid diagrams under the Content-Security-Policy, in the real Chromium: drawn from the
copy shipped with the package (no CDN, nothing fetched from elsewhere), no inline script and
no 'unsafe-eval' allowed, loaded only by a page that holds a diagram, also after Material's
instant navigation."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import complete_postmortem_text, run_cli
from test_browser import ARGS, CHROMIUM, _need_chromium, _serve

pytestmark = pytest.mark.browser

DIAGRAM = """
```mermaid
graph LR
  A[Phishing mail] --> B[Token stolen]
  B --> C[Registry read]
```

"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    _need_chromium()
    tmp = tmp_path_factory.mktemp("mermaid")
    root = tmp / "kb"
    assert run_cli("init", str(root)).exit_code == 0
    year = root / "postmortems" / "2026"
    year.mkdir(parents=True, exist_ok=True)
    text = complete_postmortem_text("PM-2026-001", "published", "public")
    (year / "PM-2026-001-diagram.md").write_text(
        text.replace("## Timeline\n", DIAGRAM + "## Timeline\n", 1), encoding="utf-8"
    )
    (year / "PM-2026-002-plain.md").write_text(
        complete_postmortem_text("PM-2026-002", "published", "public"), encoding="utf-8"
    )
    out = tmp / "site"
    result = run_cli("build", "-C", str(root), "--site-dir", str(out), "--strict")
    assert result.exit_code == 0, result.output + result.stderr
    return out


@pytest.fixture(scope="module")
def url(site: Path) -> Iterator[str]:
    yield from _serve(site)


@pytest.fixture
def tab(url: str) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page()
        page.problems = []  # type: ignore[attr-defined]
        page.fetched = []  # type: ignore[attr-defined]
        page.on("pageerror", lambda e: page.problems.append(str(e)))
        page.on(
            "console",
            lambda m: page.problems.append(m.text) if m.type == "error" else None,
        )
        page.on("request", lambda r: page.fetched.append(r.url))
        yield page
        browser.close()


def _drawn(tab) -> None:  # type: ignore[no-untyped-def]
    # the real Mermaid replaced the stand-in (polled with evaluate: wait_for_function
    # evaluates a string in the page, which the CSP forbids)
    diagram = tab.locator("div.mermaid").first
    diagram.wait_for(timeout=15000)
    for _ in range(150):
        if tab.evaluate("typeof window.mermaid.run === 'function'"):
            break
        tab.wait_for_timeout(100)
    assert tab.evaluate("typeof window.mermaid.run === 'function'")
    box = diagram.bounding_box()
    assert box is not None and box["height"] > 30 and box["width"] > 100


def test_a_diagram_is_drawn_under_the_policy_from_the_site_itself(tab, url: str, site: Path):
    page = next(site.glob("2026/PM-2026-001-*/index.html")).read_text(encoding="utf-8")
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', page)
    assert policy is not None
    script_src = re.search(r"script-src[^;]*", policy.group(1)).group(0)  # type: ignore[union-attr]
    assert "'unsafe-eval'" not in script_src and "'unsafe-inline'" not in script_src
    assert "unpkg" not in page
    tab.goto(url + "2026/PM-2026-001-diagram/")
    _drawn(tab)
    assert tab.locator("pre.mermaid").count() == 0  # Material replaced the source
    assert [u for u in tab.fetched if not u.startswith(url)] == []
    assert any(u.endswith("/vendor/mermaid.min.js") for u in tab.fetched)
    assert tab.problems == []


def test_a_page_without_a_diagram_does_not_load_mermaid(tab, url: str):
    tab.goto(url + "2026/PM-2026-002-plain/")
    tab.wait_for_load_state("networkidle")
    assert not any("mermaid.min.js" in u for u in tab.fetched)
    assert tab.problems == []


def test_a_diagram_is_drawn_after_instant_navigation(tab, url: str):
    tab.goto(url)
    tab.wait_for_load_state("networkidle")
    tab.locator("a", has_text="PM-2026-001").first.click()
    tab.wait_for_url(re.compile(".*/2026/PM-2026-001-diagram/$"))
    _drawn(tab)
    assert [u for u in tab.fetched if not u.startswith(url)] == []
    assert tab.problems == []


VENDOR = Path(__file__).parent.parent / "tooling/postmortem_kb/theme/assets/postmortems/vendor"


def test_the_licences_of_what_the_bundle_holds_are_shipped() -> None:
    licences = (VENDOR / "mermaid-THIRD-PARTY-LICENSES.txt").read_text(encoding="utf-8")
    shipped = {m.lower() for m in re.findall(r"^(@?[\w.-]+(?:/[\w.-]+)?)@\d", licences, re.M)}
    bundle = (VENDOR / "mermaid.min.js").read_text(encoding="utf-8")
    # the packages that mark themselves in the bundle, and the ones Mermaid is drawn with
    marked = {m.lower() for m in re.findall(r"@license ([A-Za-z][\w.-]*)", bundle)}
    assert marked and marked <= shipped, marked - shipped
    assert {"d3", "dagre-d3-es", "cytoscape", "dompurify", "katex", "marked"} <= shipped
    assert "Permission is hereby granted" in (VENDOR / "mermaid-LICENSE.txt").read_text("utf-8")


def test_the_site_ships_the_licences_beside_the_bundle(site: Path) -> None:
    vendor = site / "assets" / "postmortems" / "vendor"
    for name in ("mermaid-LICENSE.txt", "mermaid-THIRD-PARTY-LICENSES.txt"):
        assert (vendor / name).read_bytes() == (VENDOR / name).read_bytes()
