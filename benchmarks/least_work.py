"""The least work any checker must do (PERFORMANCE.md): read every post-mortem, parse its
front matter with libyaml, find its H2 headings and task-list lines with one regex each."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

H2 = re.compile(r"^## .*$", re.M)
TASK = re.compile(r"^\s*[-*] \[[ xX]\] .*$", re.M)


def main(docs: Path) -> None:
    headings = tasks = files = 0
    for path in sorted(docs.glob("[0-9][0-9][0-9][0-9]/*.md")):
        text = path.read_text(encoding="utf-8")
        _, front, body = text.split("---\n", 2)
        yaml.load(front, Loader=yaml.CSafeLoader)
        headings += len(H2.findall(body))
        tasks += len(TASK.findall(body))
        files += 1
    print(files, headings, tasks)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
