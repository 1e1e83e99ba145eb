"""Benchmark: `postmortem check` with its cache (.cache/), against the least work and against
checking one file alone, whole processes alternating in one run.

    .venv/bin/python benchmarks/check_cache.py CORPUS [--runs 5] [--work DIR]

CORPUS is a knowledge base (e.g. benchmarks/.work/check-10000, which check_speed.py
generates); it is copied into DIR (default: a temporary folder outside the repository),
since the cache writes into the copy's `.cache/`. Reported, each as the median of RUNS:

- least work (benchmarks/least_work.py) and `check --no-cache`, the baselines;
- `check` of the unchanged knowledge base, read from the cache (target: <= 0.2x least work);
- `check` of the whole knowledge base after one post-mortem changed, and `check FILE` of
  that post-mortem in it, against `check FILE` of the same file alone in a knowledge base
  of its own (target: <= 2x).

Wall time and CPU time (user + system of the child) are both given: on a shared machine the
CPU time is the steadier of the two. Peak memory: the child's maximum resident set.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent


def run(cmd: list[str]) -> tuple[float, float, int]:
    """(wall s, cpu s, peak KB) of one whole process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(["/usr/bin/time", "-f", "%M", *cmd], capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode not in (0, 1) or "Traceback" in result.stderr:
        raise SystemExit(f"{cmd} exited {result.returncode}: {result.stderr[-800:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, int(result.stderr.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--work", type=Path, help="where to copy the corpus (default: a temp dir)")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="check-cache-"))
    root = work / "kb"
    if root.exists():
        shutil.rmtree(root)
    shutil.copytree(args.corpus, root, ignore=shutil.ignore_patterns(".cache"))
    files = sorted((root / "postmortems").glob("[0-9][0-9][0-9][0-9]/*.md"))
    changed = files[len(files) // 2]
    original = changed.read_text(encoding="utf-8")

    # the same file alone in a knowledge base of its own
    tiny = work / "tiny"
    if tiny.exists():
        shutil.rmtree(tiny)
    (tiny / "postmortems" / changed.parent.name).mkdir(parents=True)
    shutil.copy(root / "mkdocs.yml", tiny / "mkdocs.yml")
    if (root / "postmortems" / "templates").is_dir():
        shutil.copytree(root / "postmortems" / "templates", tiny / "postmortems" / "templates")
    alone = tiny / "postmortems" / changed.parent.name / changed.name

    pm = str(BIN / "postmortem")
    least = [sys.executable, str(HERE / "least_work.py"), str(root / "postmortems")]
    plain = [pm, "-C", str(root), "check", "--no-cache"]
    cached = [pm, "-C", str(root), "check"]
    one_in_kb = [pm, "-C", str(root), "check", str(changed)]
    one_alone = [pm, "-C", str(tiny), "check", "--no-cache", str(alone)]

    time.sleep(RACY_WAIT)  # the copy's change times are now: let them settle, as on a disk
    first = run(cached)  # an empty cache: everything checked, then kept
    run(one_in_kb)  # the named-file kind of check has its own entries
    measured: dict[str, list[tuple[float, float, int]]] = {
        k: [] for k in ("least", "plain", "warm", "after-edit", "one-in-kb", "one-alone")
    }
    for n in range(args.runs):
        measured["least"].append(run(least))
        measured["plain"].append(run(plain))
        measured["warm"].append(run(cached))
        # one post-mortem edited (a different text each round), then the two checks
        edited = original.replace("## Summary\n", f"## Summary\n\nRound {n}.\n", 1)
        changed.write_text(edited, encoding="utf-8")
        alone.write_text(edited, encoding="utf-8")
        measured["after-edit"].append(run(cached))
        changed.write_text(original + f"\nRound {n}.\n", encoding="utf-8")
        measured["one-in-kb"].append(run(one_in_kb))
        alone.write_text(original + f"\nRound {n}.\n", encoding="utf-8")
        measured["one-alone"].append(run(one_alone))
    changed.write_text(original, encoding="utf-8")

    def med(key: str, i: int) -> float:
        return statistics.median(m[i] for m in measured[key])

    print(f"{len(files)} post-mortems in {root}; median of {args.runs} runs")
    print(f"first check, empty cache: {first[0]:.2f} s wall, {first[1]:.2f} s cpu")
    print(f"{'':34}{'wall s':>8}{'x':>7}{'cpu s':>8}{'x':>7}{'peak MB':>9}")
    rows = [
        ("least work", "least", "least"),
        ("check --no-cache", "plain", "least"),
        ("check, unchanged (cache)", "warm", "least"),
        ("check, one file changed (cache)", "after-edit", "one-alone"),
        ("check FILE in the large kb", "one-in-kb", "one-alone"),
        ("check FILE alone in a tiny kb", "one-alone", "one-alone"),
    ]
    for label, key, base in rows:
        w, c = med(key, 0), med(key, 1)
        peak = max(m[2] for m in measured[key]) / 1024
        print(
            f"{label:34}{w:8.2f}{w / med(base, 0):7.2f}{c:8.2f}{c / med(base, 1):7.2f}"
            f"{peak:9.0f}   (x: against {base})"
        )


RACY_WAIT = 2.1  # core/cache.py's RACY_NS, and a little


if __name__ == "__main__":
    main()
