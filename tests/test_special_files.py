"""A named pipe (or socket, or device) in the docs folder: opening it for reading waits for a
writer, for ever. Every command names it (PM001) and goes on; nothing waits on it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from test_site_support import write_kb

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The console script, stopped after a minute: a test that waits is a failure here."""
    exe = Path(sys.executable).parent / "postmortem"
    return subprocess.run([str(exe), *args], cwd=cwd, capture_output=True, text=True, timeout=60)


@pytest.fixture()
def piped(tmp_path: Path) -> Path:
    root = write_kb(tmp_path / "kb")
    docs = root / "postmortems"
    os.mkfifo(docs / "2026" / "PM-2026-009-pipe.md")  # where a post-mortem goes
    os.mkfifo(docs / "notes.md")  # a page of the site
    os.mkfifo(docs / "2026" / "PM-2026-001" / "capture.txt")  # an attachment
    return root


def test_check_names_every_named_pipe_and_waits_on_none(piped):
    result = _run("check", "--format", "json", "--no-cache", cwd=piped)
    found = [f["path"] for f in json.loads(result.stdout)["findings"] if f["rule"] == "PM001"]
    assert sorted(found) == [
        "postmortems/2026/PM-2026-001/capture.txt",
        "postmortems/2026/PM-2026-009-pipe.md",
        "postmortems/notes.md",
    ]
    assert result.returncode == 1
    again = _run("check", cwd=piped)  # through the cache, and a single file
    assert again.returncode == 1 and "PM-2026-009-pipe.md" in again.stdout
    one = _run("check", "postmortems/2026/PM-2026-001-zzpublicslug.md", cwd=piped)
    assert one.returncode in (0, 1), one.stderr


def test_follow_through_skips_a_named_pipe_with_a_warning(piped):
    result = _run("export", "--format", "json", cwd=piped)
    assert result.returncode == 0, result.stderr
    assert "PM-2026-009-pipe.md" in result.stderr and "not a regular file" in result.stderr


def test_build_leaves_named_pipes_out_and_strict_refuses(piped, tmp_path):
    built = _run("build", "--site-dir", str(tmp_path / "site"), cwd=piped)
    assert built.returncode == 0, built.stderr
    assert "PM001" in built.stderr and (tmp_path / "site" / "index.html").is_file()
    strict = _run("build", "--strict", "--site-dir", str(tmp_path / "s2"), cwd=piped)
    assert strict.returncode == 1 and "notes.md" in strict.stderr


def test_a_knowledge_base_without_them_has_no_such_finding(tmp_path):
    root = write_kb(tmp_path / "kb")
    result = _run("check", "--format", "json", "--no-cache", cwd=root)
    assert "PM001" not in result.stdout
