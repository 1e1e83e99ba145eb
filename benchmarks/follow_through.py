"""Benchmark: the follow-through commands (`stats`, `actions`, `controls`, `export`,
`report`) against `check` on the same knowledge base, whole processes alternating in one
run, each cold (`--no-cache`) and warm (from the cache a first run filled): time (wall and
CPU) and the peak memory of the whole process tree.

    .venv/bin/python benchmarks/follow_through.py CORPUS [--runs 3] [--work DIR]

CORPUS is a knowledge base (e.g. benchmarks/.work/check-10000, which check_speed.py
generates); it is copied into DIR (default: a temporary folder outside the repository),
since the warm runs write the copy's `.cache/`. Targets (issue 13): each command within
1.2x `check --no-cache`'s time and under 150 MB.

`(empty cache)`: the cache's snapshot for the command dropped just before (the run reads
every file and fills it); `(warm)`: nothing changed since the last run.

CPU time is user + system of the command and every process it started. Memory is sampled
every 20 ms while the command runs: the resident sets of the command and all its
descendants added up (`tree RSS`, pages a forked worker shares with its parent counted
twice), and their proportional sets added up (`tree PSS`, shared pages divided among their
sharers: what the tree costs the machine); the peak of each is given. Sampling misses a
peak shorter than 20 ms (an output joined, encoded and written), so `peak` also gives the
kernel's high-water mark of the largest single process (`ru_maxrss` of the command, which
covers the worker it waited for): the memory measure is the larger of `tree RSS` and it.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

BIN = Path(sys.executable).parent

FOLLOW = {
    "stats": ["stats"],
    "actions --status all": ["actions", "--status", "all"],
    "controls": ["controls"],
    "export --format json": ["export", "--format", "json"],
    "report --quarter 2020-Q2": ["report", "--quarter", "2020-Q2"],
}


def _children(pid: int) -> list[int]:
    found = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return []
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                found += [int(c) for c in handle.read().split()]
        except OSError:
            continue
    return found


def _tree(pid: int) -> list[int]:
    pids, pending = [], [pid]
    while pending:
        current = pending.pop()
        pids.append(current)
        pending += _children(current)
    return pids


def _memory(pid: int) -> tuple[int, int]:
    """(RSS, PSS) in KB of one process; zeros when it has gone."""
    rss = pss = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            for line in handle:
                if line.startswith("Rss:"):
                    rss = int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss = int(line.split()[1])
    except (OSError, ValueError):
        pass
    return rss, pss


def run(cmd: list[str]) -> tuple[float, float, int, int, int]:
    """(wall s, cpu s, peak tree RSS KB, peak tree PSS KB, the largest process's high-water
    mark KB) of one command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = [0, 0]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            rss = pss = 0
            for pid in _tree(process.pid):
                r, p = _memory(pid)
                rss, pss = rss + r, pss + p
            peak[0], peak[1] = max(peak[0], rss), max(peak[1], pss)
            done.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    assert process.stderr is not None
    err = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)  # (its own rusage: `communicate` has none)
    process.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    done.set()
    sampler.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if process.returncode not in (0, 1) or b"Traceback" in err:
        raise SystemExit(f"{cmd} exited {process.returncode}: {err[-800:].decode()}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, peak[0], peak[1], usage.ru_maxrss


# the cache's snapshot the follow-through commands share for the corpus's audience (internal)
# without completeness; `export` keeps its own ("...|True"), emptied with the same call
FOLLOW_MODE = "follow|internal|"


def _empty(root: Path, mode: str) -> None:
    """Drop the cache's snapshots whose name starts with MODE: the next run fills them."""
    database = root / ".cache" / "postmortem-kb.sqlite3"
    if database.is_file():
        with sqlite3.connect(database) as db:
            db.execute("DELETE FROM snapshots WHERE name LIKE ?", (mode + "%",))
        db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--work", type=Path, help="where to copy the corpus (default: a temp dir)")
    parser.add_argument("--only", help="measure only the commands whose label holds this")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="follow-through-"))
    root = work / "kb"
    if root.exists():
        shutil.rmtree(root)
    shutil.copytree(args.corpus, root, ignore=shutil.ignore_patterns(".cache"))
    pm = [str(BIN / "postmortem"), "-C", str(root)]
    commands = {
        "check --no-cache": ["check", "--no-cache"],
        "check (empty cache)": ["check"],
        "check (warm)": ["check"],
    }
    for label, command in FOLLOW.items():
        if args.only and args.only not in label:
            continue
        commands[f"{label} --no-cache"] = [*command, "--no-cache"]
        commands[f"{label} (empty cache)"] = command
        commands[f"{label} (warm)"] = command
    for label, command in commands.items():  # fill the cache for the warm runs
        if "(warm)" in label:
            run(pm + command)
    measured: dict[str, list[tuple[float, float, int, int, int]]] = {k: [] for k in commands}
    for _ in range(args.runs):
        for label, command in commands.items():
            if "(empty cache)" in label:
                _empty(root, "check||True" if label.startswith("check") else FOLLOW_MODE)
            measured[label].append(run(pm + command))
    base_wall = statistics.median(m[0] for m in measured["check --no-cache"])
    base_cpu = statistics.median(m[1] for m in measured["check --no-cache"])
    files = len(list((root / "postmortems").glob("[0-9][0-9][0-9][0-9]/*.md")))
    print(f"{files} post-mortems in {args.corpus}; median of {args.runs} runs")
    print(f"load average before and after: see `uptime`; now {os.getloadavg()[0]:.1f}")
    print(
        f"{'':36}{'wall s':>8}{'x':>7}{'cpu s':>8}{'x':>7}{'tree RSS MB':>13}{'PSS MB':>8}"
        f"{'peak MB':>9}"
    )
    for label, runs in measured.items():
        wall = statistics.median(m[0] for m in runs)
        cpu = statistics.median(m[1] for m in runs)
        rss = max(m[2] for m in runs) / 1024
        pss = max(m[3] for m in runs) / 1024
        high = max(m[4] for m in runs) / 1024
        print(
            f"{label:36}{wall:8.2f}{wall / base_wall:7.2f}{cpu:8.2f}{cpu / base_cpu:7.2f}"
            f"{rss:13.0f}{pss:8.0f}{high:9.0f}"
        )


if __name__ == "__main__":
    main()
