"""The home page's first view: every byte Chromium fetches to show it (HTML, CSS, JS, icons),
before the reader filters, sorts or asks for more.

    .venv/bin/python benchmarks/home_weight.py SITE_DIR

SITE_DIR is a built site (e.g. benchmarks/.work/sites/plugin after site_build.py). Bodies are
counted as served (uncompressed) and gzipped (what a compressing server such as GitHub
Pages sends).
"""

from __future__ import annotations

import argparse
import functools
import gzip
import http.server
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("site", type=Path)
    args = parser.parse_args()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *a: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(args.site))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    fetched: dict[str, tuple[int, int]] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"]
        )
        for width in (390, 1280):
            page = browser.new_page(viewport={"width": width, "height": 844})
            fetched.clear()

            def count(response, store=fetched):  # type: ignore[no-untyped-def]
                try:
                    body = response.body()
                    store[response.url] = (len(body), len(gzip.compress(body, 6)))
                except Exception:  # a redirect or an aborted request has no body
                    store[response.url] = (0, 0)

            page.on("response", count)
            page.goto(f"http://127.0.0.1:{server.server_address[1]}/")
            page.wait_for_load_state("networkidle")
            total = sum(v[0] for v in fetched.values())
            packed = sum(v[1] for v in fetched.values())
            html = next((v[0] for k, v in fetched.items() if k.endswith("/")), 0)
            print(
                f"{width} px: {len(fetched)} requests, {total / 1024:.0f} KB in all, "
                f"{packed / 1024:.0f} KB gzipped (the HTML {html / 1024:.0f} KB); "
                f"entries.json fetched: {any('entries.json' in k for k in fetched)}"
            )
            page.close()
        browser.close()
    server.shutdown()


if __name__ == "__main__":
    main()
