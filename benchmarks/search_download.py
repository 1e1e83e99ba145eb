"""What a reader downloads before the first search result: every byte Chromium fetches from
opening a page until the first hit is on screen, through the site's own search (search.js).

    .venv/bin/python benchmarks/search_download.py SITE_DIR QUERY

SITE_DIR is a site built with Pagefind search (`postmortem build`, e.g. of the 10,000
post-mortems that `site_build.py --search-at 10000` or `check_speed.py` generates). Three
readers, each with an empty cache:

- header: opens the home page, types QUERY in the header box, waits for the first hit;
- results: opens the results page at `library/search/?q=QUERY` and waits for the first hit;
- filtered: the same with a severity and a status filter (loads search-facets.json too);
- filters-only: the results page with the filters and no query (lists from entries.json).

Bodies are counted as served (uncompressed; Pagefind's own files are already gzip) and
gzipped (what a compressing server such as GitHub Pages sends); "search" is the part that
only search needs (Pagefind's files, search-facets.json, entries.json).
"""

from __future__ import annotations

import argparse
import functools
import gzip
import http.server
import threading
from pathlib import Path
from urllib.parse import quote

from playwright.sync_api import sync_playwright

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]


def kb(n: float) -> str:
    return f"{n / 1e6:.2f} MB" if n >= 1e6 else f"{n / 1e3:.0f} KB"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("site", type=Path)
    parser.add_argument("query")
    parser.add_argument("--filters", default="severity=SEV2&status=published")
    args = parser.parse_args()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *a: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(args.site))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    q = quote(args.query)
    print("| reader | requests | all bytes (served) | all bytes (gzip) | search only (gzip) |")
    print("|---|---|---|---|---|")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for reader in ("header", "results", "filtered", "filters-only"):
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            page = context.new_page()
            fetched: dict[str, tuple[int, int]] = {}

            def count(response, store=fetched):  # type: ignore[no-untyped-def]
                try:
                    body = response.body()
                except Exception:  # a redirect or an aborted request has no body
                    store[response.url] = (0, 0)
                    return
                packed = body if body[:2] == b"\x1f\x8b" else gzip.compress(body, 6)
                store[response.url] = (len(body), len(packed))

            page.on("response", count)
            if reader == "header":
                page.goto(base)
                page.wait_for_load_state("networkidle")
                box = page.locator(".pm-header-search input")
                box.click()
                box.press_sequentially(args.query, delay=30)
                page.locator("#pm-hits .pm-hit:not(.pm-hit--all)").first.wait_for(timeout=120000)
            else:
                extra = f"&{args.filters}" if reader == "filtered" else ""
                address = f"q={q}{extra}" if reader != "filters-only" else args.filters
                page.goto(f"{base}library/search/?{address}")
                page.locator(".pm-results .pm-hit").first.wait_for(timeout=120000)
            page.wait_for_timeout(300)  # responses of requests made for the first hit
            served = sum(v[0] for v in fetched.values())
            packed = sum(v[1] for v in fetched.values())
            search = sum(
                v[1]
                for k, v in fetched.items()
                if "/pagefind/" in k or "search-facets.json" in k or "entries.json" in k
            )
            print(f"| {reader} | {len(fetched)} | {kb(served)} | {kb(packed)} | {kb(search)} |")
            context.close()
        browser.close()
    server.shutdown()


if __name__ == "__main__":
    main()
