"""PM501's own cost per file, in one process, for two trees alternating in the same run.

    .venv/bin/python benchmarks/blame_cost.py [--before /work/main/tooling] [--after tooling]
        [--files benchmarks/.work/check-10000/postmortems] [--limit 2000] [--rounds 5]

For each tree (`--before`, and `--after`: this checkout's), a child process imports that tree's
`postmortem_kb`, reads the files (the 10,000 generated post-mortems of
benchmarks/check_speed.py by default, `--limit` of them), finds the trigger positions once
(the shared pass of rules.py, not timed), and then times `blame.find` over every file:
`time.process_time`, the best of `--rounds`. This tree is timed twice: with its learned
second opinion off (`blame_model: false`, the patterns alone) and on (the default). The
trees alternate, so that both see the same load. A file without front matter (a published
post-mortem, e.g. `--files /tmp/measure-blame/postmortems`) is given the measuring header
of benchmarks/measure_blame.py.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
HEAD = (
    "---\nid: PM-2026-001\ntitle: Measured text\ntype: other\nseverity: SEV3\n"
    "status: draft\nvisibility: internal\nowner: Measurement\n"
    "occurred_at: 2026-01-01T00:00:00Z\ndetected_at: 2026-01-01T00:00:00Z\n---\n\n"
)

CHILD = r"""
import json, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from postmortem_kb.core import blame, rules
from postmortem_kb.core.config import Config
from postmortem_kb.core.parse import parse_text
files = sorted(Path(sys.argv[2]).rglob("*.md"))[: int(sys.argv[3])]
rounds = int(sys.argv[4])
config = Config(root=Path("."))
prepared = []
HEAD = sys.argv[5]
for path in files:
    text = path.read_text(encoding="utf-8")
    if not text.startswith("---"):
        text = HEAD + text
    pm = parse_text(str(path), text)
    body = len("\n".join(pm.text.split("\n", pm.body_line - 1)[:-1]))
    prepared.append((pm.text, body, rules._triggers(pm, config)))
found = 0
best = scan_best = float("inf")
pms = [parse_text(str(p), t if t.startswith("---") else HEAD + t)
       for p, t in ((p, p.read_text(encoding="utf-8")) for p in files)]
for _ in range(rounds):
    start = time.process_time()
    found = sum(len(blame.find(t, b, h, None, ())) for t, b, h in prepared)
    best = min(best, time.process_time() - start)
    start = time.process_time()
    for pm in pms:
        rules._triggers(pm, config)
    scan_best = min(scan_best, time.process_time() - start)
print(json.dumps({"us_per_file": best / len(prepared) * 1e6, "files": len(prepared),
                  "scan_us_per_file": scan_best / len(prepared) * 1e6,
                  "findings": found, "module": blame.__file__}))
"""


def run(tree: Path, files: Path, limit: int, rounds: int) -> dict:
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            CHILD,
            str(tree),
            str(files),
            str(limit),
            str(rounds),
            HEAD,
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, default=Path("/work/main/tooling"))
    parser.add_argument("--after", type=Path, default=REPO / "tooling")
    parser.add_argument(
        "--files", type=Path, default=HERE / ".work" / "check-10000" / "postmortems"
    )
    parser.add_argument("--limit", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    this = args.after
    results: dict[str, list[float]] = {"before": [], "after": []}
    scans: dict[str, list[float]] = {"before": [], "after": []}
    for _ in range(args.repeat):
        for name, tree in (("before", args.before), ("after", this)):
            result = run(tree, args.files, args.limit, args.rounds)
            results[name].append(result["us_per_file"])
            scans[name].append(result["scan_us_per_file"])
            print(
                f"{name:8} find {result['us_per_file']:7.1f} us a file, trigger scan "
                f"{result['scan_us_per_file']:7.1f} us ({result['files']} files, "
                f"{result['findings']} findings; {result['module']})",
                flush=True,
            )
    print(
        "medians: "
        + ", ".join(
            f"{k}: find {sorted(v)[len(v) // 2]:.1f} us, "
            f"scan {sorted(scans[k])[len(v) // 2]:.1f} us"
            for k, v in results.items()
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
