"""Benchmark: `postmortem check` against the least work, both as whole processes, one run.

    .venv/bin/python benchmarks/check_speed.py [--files 10000] [--runs 5] [--before TREE]

Generates N complete post-mortems (tests/fixtures/complete.md with distinct ids, years and
services) in benchmarks/.work/, then alternates the two commands and reports medians.
`--before TREE`: also time the `check` of another source tree (e.g. `git archive` of the
commit before a change, unpacked), its `tooling/` put first on PYTHONPATH, in the same run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
BIN = Path(sys.executable).parent


def generate(root: Path, count: int, active_every: int = 0) -> None:
    marker = root / f".generated-{count}-{active_every}"
    if marker.exists():
        return
    if root.exists():
        shutil.rmtree(root)
    # The editable install cannot be installed by CI, so init is told what its workflows use.
    subprocess.run(
        [BIN / "postmortem", "init", str(root), "--tool-source", "postmortem-kb==0.1.0"],
        check=True,
        capture_output=True,
    )
    source = (REPO / "tests" / "fixtures" / "complete.md").read_text(encoding="utf-8")
    for n in range(1, count + 1):
        year = 2016 + n % 10
        pm_id = f"PM-{year}-{n:05d}"
        text = (
            source.replace("PM-2026-001", pm_id)
            .replace("2026-", f"{year}-")
            .replace("ci-runner", f"service-{n % 97}")
        )
        if active_every and n % active_every == 0:  # harmless HTML: PM402 must render it
            text = text.replace("## Summary\n", "## Summary\n\nPress <kbd>Ctrl</kbd>.\n", 1)
        folder = root / "postmortems" / str(year)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{pm_id}-generated.md").write_text(text, encoding="utf-8")
    marker.touch()


def timed(cmd: list[str], env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    result = subprocess.run(cmd, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - start
    if result.returncode not in (0,):
        raise SystemExit(
            f"{cmd} exited {result.returncode}: {result.stdout[-500:]}{result.stderr[-500:]}"
        )
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--active-every",
        type=int,
        default=0,
        metavar="N",
        help="put a harmless HTML tag in every Nth post-mortem, which PM402 "
        "then renders (the cost of rendering)",
    )
    parser.add_argument("--before", type=Path, help="another source tree to time as well")
    args = parser.parse_args()
    suffix = f"-html{args.active_every}" if args.active_every else ""
    root = HERE / ".work" / f"check-{args.files}{suffix}"
    generate(root, args.files, args.active_every)
    size = sum(p.stat().st_size for p in (root / "postmortems").glob("*/*.md"))
    least = [sys.executable, str(HERE / "least_work.py"), str(root / "postmortems")]
    # --no-cache: the cold path every time (check_cache.py measures the cache)
    check = [str(BIN / "postmortem"), "-C", str(root), "check", "--no-cache"]
    before_env = None
    before_check = check
    if args.before:
        tooling = str((args.before / "tooling").resolve())
        before_env = {**os.environ, "PYTHONPATH": tooling}
        cli = args.before / "tooling" / "postmortem_kb" / "cli" / "check.py"
        if "no_cache" not in cli.read_text(encoding="utf-8"):
            before_check = check[:-1]  # a tree before the cache: no flag
    timed(least), timed(check)  # warm the page cache
    base, ours, theirs = [], [], []
    for _ in range(args.runs):
        base.append(timed(least))
        ours.append(timed(check))
        if before_env is not None:
            theirs.append(timed(before_check, before_env))
    b, o = statistics.median(base), statistics.median(ours)
    print(f"{args.files} post-mortems, {size / 1e6:.0f} MB, median of {args.runs} runs")
    print(f"least work        {b:6.2f} s   1.00x")
    if theirs:
        t = statistics.median(theirs)
        print(f"check (before)    {t:6.2f} s   {t / b:.2f}x   {args.before}")
    print(f"postmortem check  {o:6.2f} s   {o / b:.2f}x")


if __name__ == "__main__":
    main()
