"""Benchmark: the site build with the `postmortems` plugin against plain MkDocs + Material.

    .venv/bin/python benchmarks/site_build.py [--files 1000] [--runs 3] [--search-at 10000]

Generates N complete post-mortems (the same generator as check_speed.py) in
benchmarks/.work/, then alternates, as whole processes in the same run:

- plugin: `postmortem build` (validation, audiences, generated library pages, incident
  headers; nav = home + generated pages);
- baseline: `mkdocs build` of the same docs with the plugin and overrides taken out and a nav
  that holds only the home page (PERFORMANCE.md's baseline).

Reports medians, the ratio, the whole site's size, one post-mortem page's size and the
search index a reader downloads before the first result (raw and gzipped). With
--search-at N it also builds N post-mortems once and reports the search index sizes there.
"""

from __future__ import annotations

import argparse
import gzip
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from check_speed import generate  # noqa: E402  (one generator for every benchmark)

BIN = Path(sys.executable).parent
ENV = {"NO_MKDOCS_2_WARNING": "1", "SOURCE_DATE_EPOCH": "1790812800"}


def baseline_config(root: Path) -> Path:
    """mkdocs.yml without the plugin and overrides, nav = the home page only."""
    text = (root / "mkdocs.yml").read_text(encoding="utf-8")
    text = re.sub(r"^  custom_dir: overrides\n", "", text, flags=re.M)
    text = re.sub(r"^  - postmortems:\n(?:      .*\n)*", "", text, flags=re.M)
    text += "nav:\n  - index.md\n"
    path = root / "mkdocs-baseline.yml"
    path.write_text(text, encoding="utf-8")
    return path


def pagefind_config(root: Path) -> Path:
    """The plugin's configuration with Material's search plugin out: Pagefind search."""
    text = (root / "mkdocs.yml").read_text(encoding="utf-8").replace("  - search\n", "", 1)
    path = root / "mkdocs-pagefind.yml"
    path.write_text(text, encoding="utf-8")
    return path


HARNESS = """<!doctype html><meta charset="utf-8"><script type="module">
const pagefind = await import("./pagefind/pagefind.js");
const search = await pagefind.search(new URLSearchParams(location.search).get("q"));
const first = await search.results[0].data();
const bytes = performance.getEntriesByType("resource")
  .filter(e => e.name.includes("/pagefind/"))
  .reduce((sum, e) => sum + e.encodedBodySize, 0);
document.title = JSON.stringify({bytes, url: first.url, results: search.results.length});
</script>"""


def pagefind_download(site: Path, query: str) -> tuple[int, str]:
    """Bytes the browser fetches from the Pagefind bundle until the first result's data is
    in (a real Chromium, the site on a local server)."""
    import functools
    import http.server
    import json
    import threading

    from playwright.sync_api import sync_playwright

    (site / "pagefind-bench.html").write_text(HARNESS, encoding="utf-8")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                             functools.partial(Quiet, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=[
                "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run"])
            page = browser.new_page()
            page.goto(f"http://127.0.0.1:{server.server_address[1]}/pagefind-bench.html"
                      f"?q={query}")
            page.wait_for_function("document.title.startsWith('{')", timeout=120000)
            data = json.loads(page.title())
            browser.close()
    finally:
        server.shutdown()
        (site / "pagefind-bench.html").unlink()
    ui = sum((site / "pagefind" / n).stat().st_size for n in ("pagefind-ui.js",
                                                                "pagefind-ui.css"))
    return data["bytes"], f"{mb(data['bytes'])} (+ {mb(ui)} search UI), first result {data['url']}"


def run(cmd: list[str], cwd: Path) -> float:
    import os

    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, **ENV})
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{cmd} exited {done.returncode}:\n{done.stderr[-2000:]}")
    return elapsed


def size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def search_bytes(site: Path) -> tuple[int, int]:
    index = site / "search" / "search_index.json"
    if not index.is_file():
        return 0, 0
    data = index.read_bytes()
    return len(data), len(gzip.compress(data, 6, mtime=0))


def one_page(site: Path) -> int:
    page = next(site.glob("*/PM-*/index.html"))
    return page.stat().st_size


def mb(n: float) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 1e6 else f"{n / 1e3:.0f} KB"


def first_id(root: Path) -> str:
    return "-".join(sorted((root / "postmortems").glob("*/*.md"))[0].name.split("-")[:3])


def plugin_cmd(site: Path) -> list[str]:
    return [str(BIN / "postmortem"), "build", "--site-dir", str(site)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--search-at", type=int, default=0)
    args = parser.parse_args()

    root = HERE / ".work" / f"kb-{args.files}"
    generate(root, args.files)
    base_yml = baseline_config(root)
    sites = HERE / ".work" / "sites"
    shutil.rmtree(sites, ignore_errors=True)
    plugin_site, base_site = sites / "plugin", sites / "baseline"
    pagefind_site = sites / "plugin-pagefind"
    commands = {
        "baseline": [str(BIN / "mkdocs"), "build", "-q", "-f", str(base_yml), "-d",
                     str(base_site)],
        "plugin": plugin_cmd(plugin_site),
        "plugin-pagefind": [str(BIN / "mkdocs"), "build", "-q", "-f",
                            str(pagefind_config(root)), "-d", str(pagefind_site)],
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(args.runs):
        for name, cmd in commands.items():
            times[name].append(run(cmd, root))
    median = {name: statistics.median(ts) for name, ts in times.items()}
    print(f"{args.files} post-mortems, {args.runs} runs each, alternating, whole processes")
    print(f"| build | median | runs | whole site | one post-mortem page | search index "
          f"(gzip) |")
    print("|---|---|---|---|---|---|")
    for name, site in (("baseline", base_site), ("plugin", plugin_site),
                       ("plugin-pagefind", pagefind_site)):
        raw, packed = search_bytes(site)
        search = f"{mb(raw)} ({mb(packed)})" if raw else \
            pagefind_download(site, first_id(root))[1]
        print(f"| {name} | {median[name]:.2f} s | "
              f"{', '.join(f'{t:.2f}' for t in times[name])} | {mb(size(site))} | "
              f"{mb(one_page(site))} | {search} |")
    for name in ("plugin", "plugin-pagefind"):
        print(f"ratio {name} / baseline: {median[name] / median['baseline']:.3f}")

    if args.search_at:
        big = HERE / ".work" / f"kb-{args.search_at}"
        generate(big, args.search_at)
        site = sites / f"plugin-{args.search_at}"
        took = run(plugin_cmd(site), big)
        raw, packed = search_bytes(site)
        print(f"{args.search_at} post-mortems: plugin build {took:.1f} s, whole site "
              f"{mb(size(site))}, one page {mb(one_page(site))}, Material search index "
              f"{mb(raw)} ({mb(packed)} gzipped)")
        start = time.perf_counter()
        run([sys.executable, "-m", "pagefind", "--site", str(site), "--output-subdir",
             "pagefind", "--exclude-selectors", ".headerlink", "--quiet"], big)
        took = time.perf_counter() - start
        print(f"{args.search_at} post-mortems: Pagefind indexing {took:.1f} s, bundle "
              f"{mb(size(site / 'pagefind'))}, download before the first result: "
              f"{pagefind_download(site, first_id(big))[1]}")


if __name__ == "__main__":
    main()
