"""Progress on long work (issue 13): a line on standard error when it is a terminal (a real
pseudo-terminal here), none when it is piped, in CI or with `--format json`; standard output
the same byte for byte either way.

The commands run as separate processes with their standard error on a pseudo-terminal. The
line appears only after `SHOW_AFTER` seconds of work, so that quick commands never flash;
these runs set it to 0 (through a small launcher) so that a three-file knowledge base shows
it, with no timing in the test.
"""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import complete_postmortem_text
from postmortem_kb.cli import progress as progress_module

LAUNCH = (
    "import sys; import postmortem_kb.cli.progress as p; p.SHOW_AFTER = float(sys.argv.pop(1)); "
    "from postmortem_kb.cli.main import cli; cli(prog_name='postmortem')"
)
FILES = 3


@pytest.fixture
def three(kb: Path, write_pm) -> Path:  # type: ignore[no-untyped-def]
    for n in range(1, FILES + 1):
        write_pm(complete_postmortem_text(f"PM-2026-00{n}"), name=f"PM-2026-00{n}-x.md")
    return kb


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "POSTMORTEM_PROGRESS")}
    return {**env, **extra}


def run(
    root: Path, *args: str, tty: bool, after: float = 0.0, **env: str
) -> tuple[int, bytes, bytes]:
    """(exit code, stdout, stderr) of `postmortem -C ROOT ARGS`; stderr on a pseudo-terminal
    when TTY, else a pipe. stdout is always a pipe."""
    cmd = [sys.executable, "-c", LAUNCH, str(after), "-C", str(root), *args]
    if not tty:
        done = subprocess.run(cmd, capture_output=True, env=_env(**env), timeout=300)
        return done.returncode, done.stdout, done.stderr
    master, slave = pty.openpty()
    try:
        process = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave, env=_env(**env)
        )
        os.close(slave)
        slave = -1
        assert process.stdout is not None
        out = process.stdout.read()
        err = b""
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: every holder of the terminal's other end has gone
                break
            if not chunk:
                break
            err += chunk
        code = process.wait(timeout=300)
    finally:
        os.close(master)
        if slave >= 0:
            os.close(slave)
    return code, out, err


@pytest.mark.parametrize(
    ("args", "verb"),
    [
        (("check", "--no-cache"), b"checking"),
        (("check",), b"checking"),
        (("stats",), b"reading"),
        (("actions", "--status", "all"), b"reading"),
        (("controls",), b"reading"),
        (("export", "--format", "csv"), b"reading"),
        (("report", "--quarter", "2026-Q1"), b"reading"),
        (("evidence", "verify"), b"reading"),
    ],
)
def test_progress_shows_on_a_terminal_and_nowhere_else(three: Path, args, verb) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run(three, *args, tty=True)
    assert verb + f" {FILES}/{FILES} post-mortems".encode() in err, err
    assert err.count(b"\r") >= 2  # drawn in place, then erased
    piped = run(three, *args, tty=False)
    assert piped[0] == code
    assert piped[1] == out  # stdout byte for byte the same
    assert verb not in piped[2] and b"\r" not in piped[2]
    in_ci = run(three, *args, tty=True, CI="true")
    assert in_ci[1] == out and verb not in in_ci[2] and b"\r" not in in_ci[2]
    turned_off = run(three, *args, tty=True, POSTMORTEM_PROGRESS="0")
    assert turned_off[1] == out and verb not in turned_off[2]


@pytest.mark.parametrize(
    "args",
    [
        ("check", "--format", "json"),
        ("stats", "--format", "json"),
        ("actions", "--format", "json"),
        ("controls", "--format", "json"),
        ("export",),  # json unless told otherwise
    ],
)
def test_no_progress_with_json_output(three: Path, args) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run(three, *args, tty=True)
    assert b"\r" not in err and b"post-mortems" not in err, err
    assert run(three, *args, tty=False)[:2] == (code, out)


def test_quick_work_shows_no_line(three: Path) -> None:
    """Under SHOW_AFTER seconds of work nothing is drawn (here: an hour)."""
    _, _, err = run(three, "check", tty=True, after=3600.0)
    assert b"checking" not in err and b"\r" not in err


def test_the_line_is_erased_and_redrawn_in_place() -> None:
    class Terminal:
        def __init__(self) -> None:
            self.text = ""

        def write(self, text: str) -> None:
            self.text += text

        def flush(self) -> None:
            pass

    terminal = Terminal()
    shown = progress_module.Progress("checking", "post-mortems", terminal)  # type: ignore[arg-type]
    shown.started -= progress_module.SHOW_AFTER
    shown(9, 10_000)
    shown(10_000, 10_000)  # the last is always drawn
    shown.close()
    assert terminal.text.startswith("\rchecking 9/10,000 post-mortems")
    assert "\rchecking 10,000/10,000 post-mortems" in terminal.text
    assert terminal.text.endswith("\r" + " " * len("checking 10,000/10,000 post-mortems") + "\r")


def test_build_shows_its_stages_on_a_terminal_and_nowhere_else(three: Path, tmp_path: Path) -> None:
    """`build`: the plugin tells the stage and the count (mkdocs/plugin.py), the command
    draws it: post-mortems read, then pages rendered and written; MkDocs' own log lines
    start on a clean line (the progress line erased before each)."""
    site = str(tmp_path / "site")
    code, out, err = run(three, "build", "--site-dir", site, tty=True)
    assert code == 0, err
    assert f"reading {FILES}/{FILES} post-mortems".encode() in err, err
    rendering = [line for line in err.split(b"\r") if line.startswith(b"rendering ")]
    writing = [line for line in err.split(b"\r") if line.startswith(b"writing ")]
    assert rendering and writing, err
    pages = int(rendering[-1].split()[1].split(b"/")[1].replace(b",", b""))
    assert pages > FILES  # the post-mortems' pages and the generated ones
    assert f"rendering {pages:,}/{pages:,} pages".encode() in err, err
    assert f"writing {pages:,}/{pages:,} pages".encode() in err, err
    logged = [line for line in err.split(b"\n") if b"-  " in line]
    assert logged, err  # MkDocs' INFO lines
    for line in logged:  # each starts on a clean line: the progress line erased before it
        assert line.rstrip(b"\r").split(b"\r")[-1].startswith((b"INFO", b"WARNING")), err
    for tty, extra in ((False, {}), (True, {"CI": "true"}), (True, {"POSTMORTEM_PROGRESS": "0"})):
        quiet = run(three, "build", "--site-dir", site, tty=tty, **extra)
        assert quiet[0] == code and quiet[1] == out
        said = quiet[2].replace(b"\r\n", b"\n")  # a terminal ends its lines with \r\n
        assert b"\r" not in said and b"rendering" not in said and b"reading" not in said, said
