"""Shared fixtures: a real knowledge base in a temporary folder, the real CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from postmortem_kb.cli.main import cli

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"

# The test venv runs an editable install, which CI cannot install from: `postmortem init`
# refuses it without a tool source (tests/test_init.py proves both). Every other test's
# knowledge base installs this pinned requirement in its workflows.
TEST_TOOL_SOURCE = "postmortem-kb==0.1.0"
os.environ.setdefault("POSTMORTEM_TOOL_SOURCE", TEST_TOOL_SOURCE)


@dataclass
class Result:
    exit_code: int
    output: str  # stdout
    stderr: str

    def json(self):  # type: ignore[no-untyped-def]
        return json.loads(self.output)


def run_cli(*args: str, cwd: Path | None = None, input: str | None = None) -> Result:
    """Run `postmortem ARGS` in-process (fast), as a user would type it."""
    runner = CliRunner()
    old = os.getcwd()
    try:
        if cwd is not None:
            os.chdir(cwd)
        result = runner.invoke(cli, list(args), input=input, catch_exceptions=False)
    finally:
        os.chdir(old)
    return Result(result.exit_code, result.stdout, result.stderr)


def run_process(
    *args: str, cwd: Path, env: dict[str, str] | None = None, input: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the installed `postmortem` console script as a separate process."""
    exe = Path(sys.executable).parent / "postmortem"
    return subprocess.run(
        [str(exe), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        input=input,
        timeout=300,
    )


@pytest.fixture(autouse=True)
def own_state_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The user's own state (e.g. external evidence locations) stays in the test's folder."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


@pytest.fixture
def kb(tmp_path: Path) -> Path:
    """A fresh knowledge base written by `postmortem init`."""
    root = tmp_path / "kb"
    result = run_cli("init", str(root))
    assert result.exit_code == 0, result.output + result.stderr
    return root


def complete_postmortem_text(
    pm_id: str = "PM-2026-001", status: str = "published", visibility: str = "internal"
) -> str:
    """A complete, realistic post-mortem that meets every status."""
    text = (FIXTURES / "complete.md").read_text(encoding="utf-8")
    return (
        text.replace("PM-2026-001", pm_id)
        .replace("status: published", f"status: {status}")
        .replace("visibility: internal", f"visibility: {visibility}")
    )


@pytest.fixture
def write_pm(kb: Path):  # type: ignore[no-untyped-def]
    """Write a post-mortem file into the knowledge base and return its path."""

    def write(text: str, name: str = "PM-2026-001-test.md", year: str = "2026") -> Path:
        path = kb / "postmortems" / year / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    return write
