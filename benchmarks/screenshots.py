"""Screenshots of every page kind of a built site, at a phone's and a laptop's size, light
and dark, in Debian's headless Chromium: for looking at what the site shows.

    .venv/bin/python benchmarks/screenshots.py SITE_DIR OUT_DIR [--full]

SITE_DIR is a built site (`postmortem build --site-dir SITE_DIR`); the pictures go to
OUT_DIR as <kind>-<width>-<scheme>.png. It also reports any page that scrolls sideways.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright

SIZES = ((390, 844), (1280, 900))


def kinds(site: Path) -> dict[str, str]:
    incident = sorted(p.parent for p in site.glob("20*/*/index.html"))[-1]
    found = {
        "home": "",
        "incident": incident.relative_to(site).as_posix() + "/",
        "index": "library/types/",
        "tracker": "library/actions/",
        "metrics": "library/metrics/",
        "search": "library/search/?q=token",
        "guide": "guide/",
        "404": "no-such-page/",
    }
    return {
        k: v
        for k, v in found.items()
        if k == "404" or (site / v.split("?")[0] / "index.html").is_file() or v == ""
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("site", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--full", action="store_true", help="whole pages, not first views")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *a: object) -> None:
            pass

        def send_error(
            self, code: int, message: str | None = None, explain: str | None = None
        ) -> None:
            if code == 404 and (args.site / "404.html").is_file():
                body = (args.site / "404.html").read_bytes()
                self.send_response(404)
                self.send_header("Content-Type", "text/html")
                self.end_headers()
                self.wfile.write(body)
                return
            super().send_error(code, message, explain)

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Handler, directory=str(args.site))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"]
        )
        for width, height in SIZES:
            for scheme in ("light", "dark"):
                context = browser.new_context(
                    viewport={"width": width, "height": height}, color_scheme=scheme
                )
                page = context.new_page()
                for kind, rel in kinds(args.site).items():
                    page.goto(base + rel)
                    if kind == "search":  # the results come from the index, after the page
                        page.locator(".pm-results .pm-hit").first.wait_for(timeout=30000)
                    page.wait_for_timeout(700)
                    wide = page.evaluate("document.documentElement.scrollWidth")
                    if wide > width:
                        print(f"{kind} at {width}: scrolls sideways ({wide} px)")
                    page.screenshot(
                        path=str(args.out / f"{kind}-{width}-{scheme}.png"), full_page=args.full
                    )
                context.close()
        browser.close()
    server.shutdown()
    print(f"screenshots in {args.out}")


if __name__ == "__main__":
    main()
