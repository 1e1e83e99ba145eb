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
    commands = {
        "plugin": plugin_cmd(plugin_site),
        "baseline": [str(BIN / "mkdocs"), "build", "-q", "-f", str(base_yml), "-d",
                     str(base_site)],
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
    for name, site in (("baseline", base_site), ("plugin", plugin_site)):
        raw, packed = search_bytes(site)
        print(f"| {name} | {median[name]:.2f} s | "
              f"{', '.join(f'{t:.2f}' for t in times[name])} | {mb(size(site))} | "
              f"{mb(one_page(site))} | {mb(raw)} ({mb(packed)}) |")
    print(f"ratio plugin / baseline: {median['plugin'] / median['baseline']:.3f}")

    if args.search_at:
        big = HERE / ".work" / f"kb-{args.search_at}"
        generate(big, args.search_at)
        site = sites / f"plugin-{args.search_at}"
        took = run(plugin_cmd(site), big)
        raw, packed = search_bytes(site)
        print(f"{args.search_at} post-mortems: plugin build {took:.1f} s, whole site "
              f"{mb(size(site))}, one page {mb(one_page(site))}, search index {mb(raw)} "
              f"({mb(packed)} gzipped)")


if __name__ == "__main__":
    main()
