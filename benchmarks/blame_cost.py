"""PM501's own cost per file, in one process, for two trees alternating in the same run.

    .venv/bin/python benchmarks/blame_cost.py [--before /work/main/tooling] [--after tooling]
        [--files benchmarks/.work/check-10000/postmortems] [--limit 2000] [--rounds 5]

For each tree (`--before`, and `--after`: this checkout's), a child process imports that tree's
`postmortem_kb`, reads the files (the 10,000 generated post-mortems of
benchmarks/check_speed.py by default, `--limit` of them), finds the trigger positions once
(the shared pass of rules.py, not timed), and then times `blame.find` over every file:
`time.process_time`, the best of `--rounds`. This tree is timed twice: as configured by
default, and with `blame_model: true` (the learned second opinion). The trees alternate,
so that both see the same load.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent

CHILD = r"""
import json, sys, time, inspect
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from postmortem_kb.core import blame, rules
from postmortem_kb.core.config import Config
from postmortem_kb.core.parse import parse_text
files = sorted(Path(sys.argv[2]).rglob("*.md"))[: int(sys.argv[3])]
rounds, model = int(sys.argv[4]), sys.argv[5] == "1"
config = Config(root=Path("."))
prepared = []
for path in files:
    pm = parse_text(str(path), path.read_text(encoding="utf-8"))
    body = len("\n".join(pm.text.split("\n", pm.body_line - 1)[:-1]))
    prepared.append((pm.text, body, rules._triggers(pm, config)))
extra = {"model": True} if model else {}
if model:
    assert "model" in inspect.signature(blame.find).parameters
found = 0
best = float("inf")
for _ in range(rounds):
    start = time.process_time()
    found = sum(len(blame.find(t, b, h, None, (), **extra)) for t, b, h in prepared)
    best = min(best, time.process_time() - start)
print(json.dumps({"us_per_file": best / len(prepared) * 1e6, "files": len(prepared),
                  "findings": found, "module": blame.__file__}))
"""


def run(tree: Path, files: Path, limit: int, rounds: int, model: bool) -> dict:
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            CHILD,
            str(tree),
            str(files),
            str(limit),
            str(rounds),
            "1" if model else "0",
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
    results: dict[str, list[float]] = {"before": [], "after": [], "after, blame_model": []}
    for _ in range(args.repeat):
        for name, tree, model in (
            ("before", args.before, False),
            ("after", this, False),
            ("after, blame_model", this, True),
        ):
            result = run(tree, args.files, args.limit, args.rounds, model)
            results[name].append(result["us_per_file"])
            print(
                f"{name:20} {result['us_per_file']:7.1f} us a file "
                f"({result['files']} files, {result['findings']} findings; "
                f"{result['module']})",
                flush=True,
            )
    print(
        "medians: " + ", ".join(f"{k} {sorted(v)[len(v) // 2]:.1f} us" for k, v in results.items())
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
