"""Benchmark: what the audience guarantees cost a site build, against plain MkDocs + Material.

    .venv/bin/python benchmarks/audience_cost.py [--files 1000] [--runs 3]

Generates N complete post-mortems (check_speed.py's generator) in benchmarks/.work/, makes
every third one restricted and gives every other one a restricted block with an action table,
so that an internal build withholds a third of the library and cuts a block from the rest:
the output scan then has real needles (ids, slugs, titles, sentences) to look for.

Then, alternating in the same run, as whole processes:

- baseline: plain MkDocs + Material with its search plugin, no postmortems plugin, nav = the
  home page (site_build.py's baseline), over the same files;
- plugin: `postmortem build --audience internal`, with the time spent in each audience step
  measured inside that process (the renderer's check of every page, the audience views, the
  needle set, the scan of every output file) and printed by a small wrapper.

Reports the medians, the plugin/baseline ratio and the audience steps as a share of the
baseline build: the number that says whether the output scan can stay on by default.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from check_speed import generate  # noqa: E402
from site_build import configs  # noqa: E402

BIN = Path(sys.executable).parent
ENV = {
    **os.environ,
    "NO_MKDOCS_2_WARNING": "1",
    "SOURCE_DATE_EPOCH": "1790812800",
    "POSTMORTEM_TOOL_SOURCE": os.environ.get("POSTMORTEM_TOOL_SOURCE", "postmortem-kb==0.1.0"),
}
BLOCK = """
!!! restricted "Restricted: attacker infrastructure {n}"
    The command-and-control host for incident {n} was c2-{n}.attacker.example.net, reached
    over port 8443 from the compromised build agent number {n} in the eu-west-1 region.

    | ID | Action | Owner | Due | Status | Tracking |
    |---|---|---|---|---|---|
    | R{n} | Block the C2 range of incident {n} at egress | NetSec | 2027-01-31 | open | |
"""

# Run inside the plugin process: time the audience steps, then build as `postmortem` does.
WRAPPER = r"""
import json, sys, time
from postmortem_kb.core import audience, audience_markdown, leaks
spent = {}
def timed(owner, name, label):
    real = getattr(owner, name)
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return real(*args, **kwargs)
        finally:
            spent[label] = spent.get(label, 0.0) + time.perf_counter() - start
    setattr(owner, name, wrapper)
timed(audience_markdown._Cut, "run", "renderer check (every page)")
timed(leaks.LeakScan, "for_build", "needles")
timed(leaks.LeakScan, "scan_tree", "output scan")
timed(audience, "audience_views", "audience views")
timed(audience, "hidden_attachments", "hidden attachments")
from postmortem_kb.core import knowledge_base
timed(knowledge_base, "placement_findings", "misfiled and symlinks")
from postmortem_kb.cli.main import cli
try:
    cli(sys.argv[1:], standalone_mode=False)
finally:
    print("AUDIENCE " + json.dumps(spent), file=sys.stderr)
"""


def prepare(root: Path, count: int) -> None:
    generate(root, count)
    marker = root / ".audience-mixed"
    if marker.exists():
        return
    for n, path in enumerate(sorted((root / "postmortems").glob("*/*.md"))):
        text = path.read_text(encoding="utf-8")
        if n % 3 == 0:
            text = text.replace("visibility: internal", "visibility: restricted", 1)
        else:
            text = text.replace("\n## Timeline\n", BLOCK.format(n=n) + "\n## Timeline\n", 1)
        path.write_text(text, encoding="utf-8")
    marker.touch()


def run(cmd: list[str], cwd: Path) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=ENV)
    took = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{cmd[:3]} exited {done.returncode}: {done.stderr[-2000:]}")
    return took, done.stderr


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("POSTMORTEM_TOOL_SOURCE", ENV["POSTMORTEM_TOOL_SOURCE"])  # for init
    root = HERE / ".work" / f"audience-{args.files}"
    prepare(root, args.files)
    _, _, base_yml = configs(root)
    sites = HERE / ".work" / "audience-sites"
    baseline = [
        str(BIN / "mkdocs"),
        "build",
        "-q",
        "-f",
        str(base_yml),
        "-d",
        str(sites / "baseline"),
    ]
    plugin = [
        sys.executable,
        "-c",
        WRAPPER,
        "build",
        "-C",
        str(root),
        "--audience",
        "internal",
        "--site-dir",
        str(sites / "plugin"),
    ]
    times: dict[str, list[float]] = {"baseline": [], "plugin": []}
    steps: list[dict[str, float]] = []
    for _ in range(args.runs):
        times["baseline"].append(run(baseline, root)[0])
        took, err = run(plugin, root)
        times["plugin"].append(took)
        line = next(x for x in err.splitlines() if x.startswith("AUDIENCE "))
        steps.append(json.loads(line[len("AUDIENCE ") :]))
    base = statistics.median(times["baseline"])
    print(
        f"{args.files} post-mortems ({args.files // 3 + (args.files % 3 > 0)} restricted, "
        "a restricted block in each other one), internal audience, "
        f"{args.runs} runs each, alternating"
    )
    for name, ts in times.items():
        print(f"{name}: median {statistics.median(ts):.2f} s ({', '.join(f'{t:.2f}' for t in ts)})")
    print(f"ratio plugin / baseline: {statistics.median(times['plugin']) / base:.3f}")
    total = 0.0
    for label in steps[0]:
        value = statistics.median(s.get(label, 0.0) for s in steps)
        total += value
        print(f"  {label}: median {value:.3f} s = {value / base:.1%} of the baseline build")
    print(f"  all audience steps: {total:.3f} s = {total / base:.1%} of the baseline build")


if __name__ == "__main__":
    main()
