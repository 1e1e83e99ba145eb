"""Benchmark: the live preview, from saving one post-mortem to the page served, incremental
against a full rebuild, in the same `serve` process and run.

    .venv/bin/python benchmarks/serve_incremental.py KB_FOLDER [--rounds 3]

KB_FOLDER: a knowledge base to measure on (e.g. a copy of benchmarks/.work/kb-1000, 1,000
post-mortems); it is copied to a temporary folder first, and the copy is edited.

`mkdocs serve` runs for real (our plugin, Pagefind), with the web server's loop replaced by
the rounds. Each round saves one post-mortem (its title changed) and then alternates:

- incremental: the builder the file watcher calls, as `serve` runs it now; timed until it
  returns, which is when the server tells browsers to reload (the page is served); the
  search index, rebuilt after that in the background, is timed apart;
- full: MkDocs' own builder, as `serve` ran every save before (a full build).

The file watcher's own delay (it polls every 0.5 s, then waits 0.1 s for more changes) is
the same for both and not counted. Reports medians and the ratio.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from mkdocs.commands.serve import serve
from mkdocs.livereload import LiveReloadServer

from postmortem_kb.mkdocs.incremental import Preview, _closure


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("kb", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    work = Path(tempfile.mkdtemp(prefix="serve-bench-"))
    root = work / "kb"
    shutil.copytree(args.kb, root, ignore=shutil.ignore_patterns("site", ".cache"))
    pms = sorted((root / "postmortems").glob("[0-9][0-9][0-9][0-9]/*.md"))
    print(f"{len(pms)} post-mortems in {root}", flush=True)
    results: dict[str, list[float]] = {"incremental": [], "search": [], "full": []}

    def loop(server: LiveReloadServer, open_in_browser: bool = False) -> None:
        preview = _closure(server.builder).get("self")
        assert isinstance(preview, Preview), "the incremental builder is not in place"
        assert preview.full_builder is not None
        site = Path(server.root)
        for n in range(args.rounds):
            for kind in ("incremental", "full"):
                target = pms[(n * 37 + (kind == "full")) % len(pms)]
                text = target.read_text(encoding="utf-8")
                marker = f"zzbench{n}{kind}"
                target.write_text(text.replace("title: ", f"title: {marker} ", 1), "utf-8")
                start = time.perf_counter()
                if kind == "incremental":
                    server.builder()
                    served = time.perf_counter() - start
                    preview.wait()
                    results["search"].append(time.perf_counter() - start - served)
                    assert preview.mode == "incremental", preview.mode
                else:
                    preview.full_builder()  # the next incremental one starts from it
                    served = time.perf_counter() - start
                results[kind].append(served)
                page = site / target.parent.name / target.stem / "index.html"
                assert marker in page.read_text(encoding="utf-8"), page
                print(f"round {n + 1} {kind}: {served:.2f} s", flush=True)

    original = LiveReloadServer.serve
    LiveReloadServer.serve = loop  # type: ignore[method-assign]
    try:
        serve(config_file=str(root / "mkdocs.yml"), livereload=True, dev_addr="127.0.0.1:8799")
    finally:
        LiveReloadServer.serve = original  # type: ignore[method-assign]
        shutil.rmtree(work, ignore_errors=True)
    inc, full = statistics.median(results["incremental"]), statistics.median(results["full"])
    print(f"save -> page served, incremental: median {inc:.2f} s {results['incremental']}")
    print(
        f"search index after it (background): median {statistics.median(results['search']):.2f} s"
    )
    print(f"save -> page served, full rebuild:  median {full:.2f} s {results['full']}")
    print(f"incremental / full: {inc / full:.3f}")


if __name__ == "__main__":
    sys.exit(main())
