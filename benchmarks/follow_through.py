"""Benchmark: the follow-through commands (`stats`, `actions`, `controls`, `export`,
`report`) against `check` on the same knowledge base, whole processes alternating in one
run: time (wall and CPU) and peak memory.

    .venv/bin/python benchmarks/follow_through.py CORPUS [--runs 3]

CORPUS is a knowledge base (e.g. benchmarks/.work/check-10000, which check_speed.py
generates); nothing is written into it (`check --no-cache`). Targets (issue 13): each
command within 1.2x `check`'s time and under 150 MB. CPU time is user + system of the
command and its worker processes; peak memory is the largest resident set among them
(/usr/bin/time), so a command's workers count separately, not summed.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent

COMMANDS = {
    "check --no-cache": ["check", "--no-cache"],
    "stats": ["stats"],
    "actions --status all": ["actions", "--status", "all"],
    "controls": ["controls"],
    "export --format json": ["export", "--format", "json"],
    "report --quarter 2020-Q2": ["report", "--quarter", "2020-Q2"],
}


def run(cmd: list[str]) -> tuple[float, float, int]:
    """(wall s, cpu s, peak KB) of one whole process and its children."""
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
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    pm = [str(BIN / "postmortem"), "-C", str(args.corpus)]
    measured: dict[str, list[tuple[float, float, int]]] = {k: [] for k in COMMANDS}
    for _ in range(args.runs):
        for label, command in COMMANDS.items():
            measured[label].append(run(pm + command))
    base_wall = statistics.median(m[0] for m in measured["check --no-cache"])
    base_cpu = statistics.median(m[1] for m in measured["check --no-cache"])
    files = len(list((args.corpus / "postmortems").glob("[0-9][0-9][0-9][0-9]/*.md")))
    print(f"{files} post-mortems in {args.corpus}; median of {args.runs} runs")
    print(f"{'':28}{'wall s':>8}{'x':>7}{'cpu s':>8}{'x':>7}{'peak MB':>9}")
    for label, runs in measured.items():
        wall = statistics.median(m[0] for m in runs)
        cpu = statistics.median(m[1] for m in runs)
        peak = max(m[2] for m in runs) / 1024
        print(
            f"{label:28}{wall:8.2f}{wall / base_wall:7.2f}{cpu:8.2f}{cpu / base_cpu:7.2f}"
            f"{peak:9.0f}"
        )


if __name__ == "__main__":
    main()
