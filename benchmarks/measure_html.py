"""Measure PM402 on public payloads: which ones run script in Chromium, which PM402 flags.

    .venv/bin/python benchmarks/measure_html.py /tmp/measure-html [--json out.json]

The folder (kept outside the repository, never committed) holds:

- `dompurify-expect.mjs`: DOMPurify's test fixtures (cure53/DOMPurify, test/fixtures/);
- `owasp-xss-filter-evasion.md`: OWASP's XSS filter evasion cheat sheet (its code blocks);
- `markdown-forms.txt`: Markdown forms (attribute lists, link and reference URLs, encoded
  and split `javascript:`, comment and fence tricks), payloads separated by `%%` lines;
- `prose.md`: ordinary post-mortem prose that mentions HTML and JavaScript, `%%`-separated;
  the repository's sample post-mortems are added to it.

Each payload is placed in a paragraph, rendered with the knowledge base's Markdown settings
(this repository's mkdocs.yml) WITHOUT the sanitizer, and loaded in Debian's Chromium. A
payload "runs" when a dialog opens (alert, confirm, prompt, from any frame) or the page
navigates by itself, after load and after every element got the usual events (mouse, focus,
animation) and every link, area and form with a script URL was activated. PM402 recall is
counted on the payloads that run; false alarms on the prose.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tooling"))

from postmortem_kb.core import sanitize  # noqa: E402

ORIGIN = "http://measure.test"
INTERACT = """() => {
  const kinds = ["mouseover", "mouseenter", "mousemove", "mousedown", "mouseup", "click",
                 "dblclick", "focus", "focusin", "blur", "keydown", "keyup", "input",
                 "change", "pointerover", "pointerdown", "pointerup", "wheel", "copy",
                 "animationstart", "animationend", "transitionend", "toggle", "scroll"];
  const all = Array.from(document.querySelectorAll("*"));
  for (const el of all) {
    for (const kind of kinds) {
      try { el.dispatchEvent(new Event(kind, { bubbles: true })); } catch (e) {}
    }
  }
  for (const el of all) {
    const href = el.href && el.href.baseVal !== undefined ? el.href.baseVal
               : (el.getAttribute && (el.getAttribute("href") || el.getAttribute("xlink:href")));
    let protocol = "";
    try { protocol = new URL(href, location.href).protocol; } catch (e) {}
    // The browser's own URL parser decides (a U+2028 before javascript: makes it relative).
    if (protocol === "javascript:" || protocol === "vbscript:") {
      try { el.click ? el.click() : el.dispatchEvent(new MouseEvent("click")); } catch (e) {}
      try { el.dispatchEvent(new MouseEvent("click", { bubbles: true })); } catch (e) {}
    }
    if (el.tagName === "FORM" || el.hasAttribute && el.hasAttribute("formaction")) {
      try { el.tagName === "FORM" ? el.requestSubmit() : el.click(); } catch (e) {}
    }
  }
}"""

# PM402 before this change (rules.py on main until it), for comparison.
_OLD = re.compile(
    r"(?i)<script\b|<[a-z][^>\n]*\son[a-z]+\s*=|\bjavascript\s*:|<iframe\b|<object\b|<embed\b"
)
_OLD_MASK = re.compile(
    r"<!--.*?-->|^[ \t]{0,3}(`{3,}|~{3,})[^\n]*\n.*?(?:^[ \t]{0,3}\1[`~]*[ \t]*$|\Z)", re.S | re.M
)


def old_pm402(text: str) -> bool:
    masked = _OLD_MASK.sub(lambda m: "\n" * m.group(0).count("\n"), text)
    for match in _OLD.finditer(masked):
        start = masked.rfind("\n", 0, match.start()) + 1
        if masked.count("`", start, match.start()) % 2:
            continue
        return True
    return False


def load_payloads(folder: Path) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    fixtures = folder / "dompurify-expect.mjs"
    if fixtures.is_file():
        text = fixtures.read_text(encoding="utf-8")
        text = re.sub(r",\s*\]\s*;?\s*$", "]", text[text.index("[") :].rstrip())
        for n, case in enumerate(json.loads(text)):
            payload = case.get("payload")
            if isinstance(payload, str) and payload.strip():
                found.append((f"dompurify:{n}", payload))
    sheet = folder / "owasp-xss-filter-evasion.md"
    if sheet.is_file():
        blocks = re.findall(
            r"^```[^\n]*\n(.*?)^```", sheet.read_text(encoding="utf-8"), re.M | re.S
        )
        for n, block in enumerate(blocks):
            # The cheat sheet writes some payloads with Markdown escapes (`\<a …\>`).
            found.append((f"owasp:{n}", block.replace("\\<", "<").replace("\\>", ">")))
    forms = folder / "markdown-forms.txt"
    if forms.is_file():
        for n, part in enumerate(forms.read_text(encoding="utf-8").split("\n%%\n")):
            if part.strip():
                found.append((f"markdown:{n}", part.strip("\n")))
    return found


def load_prose(folder: Path) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    prose = folder / "prose.md"
    if prose.is_file():
        for n, part in enumerate(prose.read_text(encoding="utf-8").split("\n%%\n")):
            if part.strip():
                found.append((f"prose:{n}", part.strip("\n")))
    for path in sorted((REPO / "postmortems").glob("20*/*.md")):
        text = path.read_text(encoding="utf-8")
        body = text.split("\n---\n", 1)[1] if text.startswith("---") else text
        found.append((f"sample:{path.name}", body))
    return found


def page_for(html: str) -> str:
    return (
        '<!doctype html><html><head><meta charset="utf-8"><title>p</title></head>'
        f'<body><article class="md-typeset">{html}</article></body></html>'
    )


def runs_in_chromium(browser, pages: list[str]) -> list[bool]:  # type: ignore[no-untyped-def]
    return [_runs(browser, f"{ORIGIN}/p/{n}", html) for n, html in enumerate(pages)]


def _runs(browser, url: str, html: str) -> bool:  # type: ignore[no-untyped-def]
    context = browser.new_context()
    hits: list[str] = []

    def handle(route) -> None:  # type: ignore[no-untyped-def]
        if route.request.url == url and route.request.is_navigation_request():
            route.fulfill(status=200, content_type="text/html", body=html)
        else:
            route.fulfill(status=404, body="")

    def dialog(d) -> None:  # type: ignore[no-untyped-def]
        hits.append("dialog")
        d.dismiss()

    context.route("**/*", handle)
    tab = context.new_page()
    tab.on("dialog", dialog)
    try:
        tab.goto(url, wait_until="load", timeout=10000)
        tab.wait_for_timeout(250)
        if tab.url == url:
            tab.evaluate(INTERACT)
            tab.wait_for_timeout(250)
        if tab.url != url:
            hits.append("navigated")
    except Exception as exc:  # a payload that navigates away interrupts the evaluation
        if (
            "navigat" not in str(exc).lower()
            and "context was destroyed" not in str(exc)
            and tab.url == url
        ):
            raise
        hits.append("navigated")
    finally:
        context.close()
    return bool(hits)


def embed(payload: str) -> str:
    return f"Text before.\n\n{payload}\n\nText after.\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--json", type=Path, help="write per-payload results here")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    renderer = sanitize.renderer_for(REPO)
    payloads = load_payloads(args.folder)
    prose = load_prose(args.folder)
    texts = [embed(p) for _, p in payloads]
    rendered = [renderer.render(t) for t in texts]

    start = time.perf_counter()
    flagged = [bool(sanitize.active_lines(t, 1, renderer)) for t in texts]
    check_seconds = time.perf_counter() - start
    old = [old_pm402(t) for t in texts]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"]
        )
        runs = runs_in_chromium(browser, [page_for(h) for h in rendered])
        # The same pages after the site's sanitizer: nothing may run.
        after = runs_in_chromium(browser, [page_for(sanitize.clean(h)) for h in rendered])
        browser.close()

    running = [i for i, r in enumerate(runs) if r]
    caught = [i for i in running if flagged[i]]
    old_caught = [i for i in running if old[i]]
    prose_flags = [(name, sanitize.active_lines(text, 1, renderer)) for name, text in prose]
    prose_false = [(n, f) for n, f in prose_flags if f]
    old_prose_false = [n for n, t in prose if old_pm402(t)]
    by_source: dict[str, list[int]] = {}
    for i in running:
        by_source.setdefault(payloads[i][0].split(":")[0], []).append(i)

    sources = ", ".join(
        f"{k} {sum(1 for n, _ in payloads if n.startswith(k))}"
        for k in ("dompurify", "owasp", "markdown")
    )
    print(f"payloads: {len(payloads)} ({sources})")
    print(
        f"run script or navigate in Chromium (unsanitized): {len(running)} "
        f"({', '.join(f'{k} {len(v)}' for k, v in by_source.items())})"
    )
    print(
        f"PM402 now:    {len(caught)}/{len(running)} caught "
        f"({100 * len(caught) / max(1, len(running)):.1f}%); "
        f"flags {sum(flagged)} of {len(payloads)} payloads in all"
    )
    print(f"PM402 before: {len(old_caught)}/{len(running)} caught")
    print(f"missed now: {[payloads[i][0] for i in running if not flagged[i]]}")
    print(
        f"ordinary prose: {len(prose)} texts; false alarms now {len(prose_false)} "
        f"{[n for n, _ in prose_false]}; before {len(old_prose_false)} {old_prose_false}"
    )
    print(
        f"after the site's sanitizer: {sum(after)} of {len(payloads)} run "
        f"{[payloads[i][0] for i, r in enumerate(after) if r]}"
    )
    print(
        f"PM402 time over all payloads: {check_seconds:.2f} s "
        f"({1000 * check_seconds / max(1, len(texts)):.1f} ms each)"
    )
    if args.json:
        args.json.write_text(
            json.dumps(
                [
                    {
                        "name": n,
                        "payload": p,
                        "runs": runs[i],
                        "pm402": flagged[i],
                        "old": old[i],
                        "runs_after_sanitizer": after[i],
                    }
                    for i, (n, p) in enumerate(payloads)
                ],
                indent=1,
            ),
            encoding="utf-8",
        )


if __name__ == "__main__":
    main()
