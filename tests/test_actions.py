"""`postmortem actions`: the tracker of action items across every incident."""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
import yaml

from conftest import REPO, run_cli
from postmortem_kb.core.config import load_config
from postmortem_kb.core.knowledge_base import load
from postmortem_kb.core.metrics import action_rows
from test_stats import build_fixture, minimal_postmortem, write

KEYS = ["postmortem", "id", "action", "owner", "due", "status", "overdue"]


@pytest.fixture
def fixture_kb(kb: Path) -> Path:
    return build_fixture(kb)


def actions(kb: Path, *args: str) -> list[dict]:
    result = run_cli("-C", str(kb), "actions", "--format", "json", *args)
    assert result.exit_code == 0, result.stderr
    data = result.json()
    assert all(list(item) == KEYS for item in data)
    return data


def ids(items: list[dict]) -> list[str]:
    return [f"{i['postmortem']}/{i['id']}" for i in items]


def test_open_means_open_and_in_progress_soonest_due_first(fixture_kb: Path) -> None:
    items = actions(fixture_kb, "--as-of", "2026-07-01")
    assert ids(items) == ["PM-2026-001/A2", "PM-2026-002/B1", "PM-2026-001/A3"]
    assert items[0] == {
        "postmortem": "PM-2026-001",
        "id": "A2",
        "action": "Rotate the signing keys",
        "owner": "Team Y",
        "due": "2026-06-30",
        "status": "open",
        "overdue": True,
    }
    # Due on the as-of day itself is not overdue yet.
    assert items[1]["overdue"] is False


def test_overdue_is_open_with_due_before_as_of(fixture_kb: Path) -> None:
    assert ids(actions(fixture_kb, "--status", "overdue", "--as-of", "2026-07-01")) == [
        "PM-2026-001/A2"
    ]
    assert ids(actions(fixture_kb, "--status", "overdue", "--as-of", "2026-07-02")) == [
        "PM-2026-001/A2",
        "PM-2026-002/B1",
    ]
    assert actions(fixture_kb, "--status", "overdue", "--as-of", "2026-06-30") == []


def test_all_lists_closed_items_too_and_drafts_only_when_asked(fixture_kb: Path) -> None:
    everything = actions(fixture_kb, "--status", "all", "--as-of", "2026-07-01")
    assert sorted(ids(everything)) == [
        "PM-2026-001/A1",
        "PM-2026-001/A2",
        "PM-2026-001/A3",
        "PM-2026-001/A4",
        "PM-2026-002/B1",
    ]
    assert {i["status"] for i in everything} == {"open", "in-progress", "done", "wont-do"}
    with_drafts = actions(fixture_kb, "--status", "all", "--include-drafts")
    assert "PM-2026-004/D1" in ids(with_drafts)


def test_owner_filter_ignores_case(fixture_kb: Path) -> None:
    assert ids(actions(fixture_kb, "--owner", "TEAM X", "--as-of", "2026-07-01")) == [
        "PM-2026-002/B1",
        "PM-2026-001/A3",
    ]
    assert actions(fixture_kb, "--owner", "Nobody") == []


def test_csv_reads_back_with_the_csv_module(fixture_kb: Path) -> None:
    result = run_cli(
        "-C",
        str(fixture_kb),
        "actions",
        "--status",
        "all",
        "--format",
        "csv",
        "--as-of",
        "2026-07-01",
    )
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert list(rows[0]) == KEYS
    by_id = {r["id"]: r for r in rows}
    assert by_id["A2"] == {
        "postmortem": "PM-2026-001",
        "id": "A2",
        "action": "Rotate the signing keys",
        "owner": "Team Y",
        "due": "2026-06-30",
        "status": "open",
        "overdue": "true",
    }
    assert by_id["A1"]["overdue"] == "false"


def test_csv_neutralises_formulas_and_keeps_commas_and_quotes(kb: Path) -> None:
    write(
        kb,
        "PM-2026-001",
        minimal_postmortem(
            "PM-2026-001",
            actions=(
                (
                    "A1",
                    '=HYPERLINK("http://x.example"), then "quote", comma',
                    "@ops",
                    "2026-02-01",
                    "open",
                ),
            ),
        ),
    )
    result = run_cli("-C", str(kb), "actions", "--format", "csv")
    row = next(csv.DictReader(io.StringIO(result.output)))
    assert row["action"] == '\'=HYPERLINK("http://x.example"), then "quote", comma'
    assert row["owner"] == "'@ops"


def test_table_and_markdown(fixture_kb: Path) -> None:
    table = run_cli("-C", str(fixture_kb), "actions", "--as-of", "2026-07-01").output
    assert table.splitlines()[0].split() == [
        "POSTMORTEM",
        "ID",
        "ACTION",
        "OWNER",
        "DUE",
        "STATUS",
        "OVERDUE",
    ]
    assert "1d" in table and "3 open action item(s) as of 2026-07-01." in table
    md = run_cli(
        "-C",
        str(fixture_kb),
        "actions",
        "--status",
        "overdue",
        "--as-of",
        "2026-07-01",
        "--format",
        "markdown",
    ).output
    assert md.startswith("### Overdue action items as of 2026-07-01: 1")
    assert "| PM-2026-001 | A2 | Rotate the signing keys | Team Y | 2026-06-30 | open | 1 |" in md
    empty = run_cli(
        "-C", str(fixture_kb), "actions", "--status", "overdue", "--as-of", "2026-01-01"
    ).output
    assert "No overdue action items as of 2026-01-01." in empty


def test_markdown_cells_cannot_break_the_table_or_inject_html(kb: Path) -> None:
    write(
        kb,
        "PM-2026-001",
        minimal_postmortem(
            "PM-2026-001",
            actions=(
                ("A1", "Block <script>alert(1)</script> in \\| pipes", "ops", "2026-02-01", "open"),
            ),
        ),
    )
    md = run_cli("-C", str(kb), "actions", "--format", "markdown").output
    assert "<script>" not in md and "&lt;script&gt;" in md


@pytest.mark.parametrize(
    "as_of,limit,code",
    [
        ("2026-07-01", "0", 1),  # A2 is 1 day overdue: more than 0
        ("2026-07-01", "1", 0),  # 1 day is not more than 1
        ("2026-06-30", "0", 0),  # nothing overdue yet
    ],
)
def test_fail_after_days(fixture_kb: Path, as_of: str, limit: str, code: int) -> None:
    result = run_cli(
        "-C",
        str(fixture_kb),
        "actions",
        "--status",
        "overdue",
        "--as-of",
        as_of,
        "--fail-after-days",
        limit,
    )
    assert result.exit_code == code
    if code:
        assert re.search(
            r"postmortems/2026/PM-2026-001-incident\.md:\d+: PM-2026-001 A2 "
            r"\(Team Y\) is 1 days overdue",
            result.stderr,
        )


def test_fail_overdue_uses_the_configured_days(fixture_kb: Path) -> None:
    # overdue_fail_days defaults to 30: A2 (due 30 June) is 31 days overdue on 31 July.
    assert (
        run_cli(
            "-C", str(fixture_kb), "actions", "--fail-overdue", "--as-of", "2026-07-30"
        ).exit_code
        == 0
    )
    assert (
        run_cli(
            "-C", str(fixture_kb), "actions", "--fail-overdue", "--as-of", "2026-07-31"
        ).exit_code
        == 1
    )
    config = fixture_kb / "mkdocs.yml"
    text = config.read_text(encoding="utf-8")
    assert "  - postmortems" in text or "- postmortems:" in text
    config.write_text(
        re.sub(
            r"^(\s*)- postmortems:?\s*$",
            r"\1- postmortems:\n\1    overdue_fail_days: 60",
            text,
            count=1,
            flags=re.M,
        ),
        encoding="utf-8",
    )
    assert load_config(fixture_kb).overdue_fail_days == 60
    assert (
        run_cli(
            "-C", str(fixture_kb), "actions", "--fail-overdue", "--as-of", "2026-07-31"
        ).exit_code
        == 0
    )


@pytest.mark.parametrize(
    "args",
    [
        ["--as-of", "tomorrow"],
        ["--status", "late"],
        ["--fail-after-days", "-1"],
        ["--format", "xml"],
    ],
)
def test_bad_options_exit_2(fixture_kb: Path, args: list[str]) -> None:
    result = run_cli("-C", str(fixture_kb), "actions", *args)
    assert result.exit_code == 2
    assert "Traceback" not in result.output + result.stderr


def test_undated_and_empty_rows(kb: Path) -> None:
    write(
        kb,
        "PM-2026-001",
        minimal_postmortem(
            "PM-2026-001",
            actions=(
                ("A1", "No date yet", "ops", "next sprint", "open"),
                ("", "", "", "", ""),
                ("A2", "Dated", "ops", "2026-01-02", "open"),
            ),
        ),
    )
    items = actions(kb, "--as-of", "2026-07-01")
    assert [(i["id"], i["due"], i["overdue"]) for i in items] == [
        ("A2", "2026-01-02", True),
        ("A1", "next sprint", False),
    ]


# --- the sample knowledge base shipped in this repository --------------------------------


def independent_overdue(docs: Path, as_of: date) -> set[tuple[str, str]]:
    """Overdue items read straight from the files, without the package's parser."""
    found = set()
    for path in sorted(docs.glob("[0-9][0-9][0-9][0-9]/*.md")):
        text = path.read_text(encoding="utf-8")
        front = text.split("\n---", 1)[0]
        status = re.search(r"^status:\s*(\S+)", front, re.M)
        pm_id = re.search(r"^id:\s*(\S+)", front, re.M)
        assert status and pm_id, path
        if status.group(1) == "draft":
            continue
        in_table = False
        for line in text.splitlines():
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if re.match(r"^\|\s*ID\s*\|\s*Action\s*\|", line, re.I):
                in_table = True
                continue
            if not line.startswith("|"):
                in_table = False
            if not in_table or len(cells) < 5 or not re.fullmatch(r"\d{4}-\d\d-\d\d", cells[3]):
                continue
            if cells[4] in ("open", "in-progress") and date.fromisoformat(cells[3]) < as_of:
                found.add((pm_id.group(1), cells[0]))
    return found


def test_sample_knowledge_base_overdue_as_of_2027(tmp_path: Path) -> None:
    docs = REPO / "postmortems"
    expected = independent_overdue(docs, date(2027, 1, 1))
    assert len(expected) >= 5, "the samples should hold overdue items"
    result = run_cli(
        "-C",
        str(REPO),
        "actions",
        "--status",
        "overdue",
        "--as-of",
        "2027-01-01",
        "--format",
        "json",
        "--audience",
        "restricted",
    )
    assert result.exit_code == 0, result.stderr
    listed = [(i["postmortem"], i["id"]) for i in result.json()]
    assert len(listed) == len(set(listed))
    assert set(listed) == expected
    assert all(i["overdue"] for i in result.json())


def test_site_function_agrees_with_the_command() -> None:
    postmortems, _ = load(load_config(REPO))
    rows = action_rows(postmortems, status="overdue", as_of=date(2027, 1, 1))
    result = run_cli(
        "-C",
        str(REPO),
        "actions",
        "--status",
        "overdue",
        "--as-of",
        "2027-01-01",
        "--format",
        "json",
        "--audience",
        "restricted",
    )
    assert [r.as_dict() for r in rows] == result.json()


# --- the scheduled workflow ---------------------------------------------------------------


def workflow_script(root: Path) -> str:
    data = yaml.safe_load((root / ".github/workflows/overdue-actions.yml").read_text())
    steps = data["jobs"]["overdue"]["steps"]
    step = next(s for s in steps if "postmortem actions" in s.get("run", ""))
    assert step.get("shell") == "bash"
    return step["run"]


def run_workflow_step(kb: Path, tmp_path: Path) -> tuple[int, str, str]:
    """Run the step's script as GitHub would: (exit status, job summary, stdout)."""
    summary = tmp_path / "summary.md"
    bin_dir = Path(sys.executable).parent
    env = {
        **os.environ,
        "GITHUB_STEP_SUMMARY": str(summary),
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    # GitHub runs `shell: bash` as `bash --noprofile --norc -eo pipefail {0}`.
    script = tmp_path / "step.sh"
    script.write_text(workflow_script(kb))
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
        cwd=kb,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done.returncode, summary.read_text() if summary.exists() else "", done.stdout


def test_init_writes_the_overdue_workflow_and_it_fails_on_long_overdue(
    fixture_kb: Path, tmp_path: Path
) -> None:
    data = yaml.safe_load((fixture_kb / ".github/workflows/overdue-actions.yml").read_text())
    assert data[True]["schedule"][0]["cron"].endswith("* * 1")  # weekly (`on` reads as True)
    code, summary, stdout = run_workflow_step(fixture_kb, tmp_path)
    # A2 was due 2026-06-30: far more than 30 days before any day this test runs.
    assert code == 1
    assert "### Overdue action items as of" in summary
    assert "| PM-2026-001 | A2 | Rotate the signing keys |" in summary
    assert "Overdue beyond the limit" in summary
    assert "PM-2026-001 A2 (Team Y)" in stdout
    assert re.search(
        r"^::error file=postmortems/2026/PM-2026-001-incident\.md,line=\d+::"
        r"PM-2026-001 A2 \(Team Y\) is \d+ days overdue",
        stdout,
        re.M,
    )


def test_overdue_workflow_passes_when_nothing_is_late(kb: Path, tmp_path: Path) -> None:
    write(
        kb,
        "PM-2026-001",
        minimal_postmortem("PM-2026-001", actions=(("A1", "Later", "ops", "2099-01-01", "open"),)),
    )
    code, summary, _ = run_workflow_step(kb, tmp_path)
    assert code == 0
    assert ": 0" in summary.splitlines()[0] and "None." in summary


def test_repository_copy_of_the_workflow_matches_the_skeleton() -> None:
    skeleton = REPO / "tooling/postmortem_kb/templates/skeleton/dot-github/workflows"
    ours = yaml.safe_load((REPO / ".github/workflows/overdue-actions.yml").read_text())
    theirs = yaml.safe_load((skeleton / "overdue-actions.yml").read_text())
    assert ours["jobs"] == theirs["jobs"]
    assert ours["env"]["POSTMORTEM_KB"] == "."
    assert shutil.which("bash")


def _with_reader_gone(root: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    """`postmortem ARGS` whose standard output is a pipe nobody reads any more (as after
    `| head -1` has its line): every write to it fails."""
    read, write = os.pipe()
    os.close(read)
    try:
        return subprocess.run(
            [str(Path(sys.executable).parent / "postmortem"), "-C", str(root), *args],
            stdout=write,
            stderr=subprocess.PIPE,
            timeout=300,
        )
    finally:
        os.close(write)


@pytest.mark.parametrize("command", [["actions", "--status", "all"], ["export"]])
def test_a_reader_that_stops_early_gets_no_error(fixture_kb: Path, command: list[str]) -> None:
    """`postmortem actions | head -1`: no "Error: Broken pipe", no traceback; the command
    ends with the status it would have had (0 here; 1 from --fail-after-days)."""
    done = _with_reader_gone(fixture_kb, *command)
    assert done.returncode == 0, done.stderr
    assert done.stderr == b""
    late = _with_reader_gone(
        fixture_kb, "actions", "--status", "overdue", "--as-of", "2026-07-31",
        "--fail-after-days", "0",
    )  # fmt: skip
    assert late.returncode == 1 and b"days overdue" in late.stderr
    assert b"Traceback" not in late.stderr and b"Broken pipe" not in late.stderr


def test_a_reader_that_stops_early_fails_a_command_that_says_less(fixture_kb: Path) -> None:
    """A command that writes with `click.echo` (here `stats`) and loses its reader says
    nothing of it but exits 1: what it had to say was cut."""
    done = _with_reader_gone(fixture_kb, "stats")
    assert done.returncode == 1
    assert b"Traceback" not in done.stderr and b"Broken pipe" not in done.stderr


def _postmortem_process(root: Path, tmp_path: Path, *args: str) -> tuple[int, str, str, bool]:
    """`postmortem -C ROOT ARGS` in a process of its own: its status, output, errors, and
    whether it ended as a Python process usually does (its `atexit` handlers run: one is
    added through a `sitecustomize` module, and says so)."""
    hooks = tmp_path / "hooks"
    hooks.mkdir(exist_ok=True)
    (hooks / "sitecustomize.py").write_text(
        "import atexit, sys\natexit.register(lambda: sys.stderr.write('(ended as usual)\\n'))\n"
    )
    done = subprocess.run(
        [str(Path(sys.executable).parent / "postmortem"), "-C", str(root), *args],
        capture_output=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(hooks)},
    )
    errors = done.stderr.decode()
    usual = errors.endswith("(ended as usual)\n")
    return done.returncode, done.stdout.decode(), errors.removesuffix("(ended as usual)\n"), usual


@pytest.mark.parametrize(
    ("args", "status"),
    [
        (["stats", "--format", "json"], 0),
        (["actions", "--status", "overdue", "--as-of", "2026-07-31", "--fail-after-days", "0"], 1),
        (["export", "--format", "csv"], 0),
        (["controls"], 0),
        (["report", "--quarter", "2026-Q3"], 0),
        (["stats", "--audience", "nobody"], 2),
    ],
)
def test_the_postmortem_process_ends_with_all_its_output_and_its_status(
    fixture_kb: Path, tmp_path: Path, args: list[str], status: int
) -> None:
    """The `postmortem` process of a follow-through command that has read the knowledge
    base ends without freeing what it read (10,000 post-mortems: 60 ms), once its output
    is flushed: what it writes, and its exit status, are those of the same command run in
    a test's process, which ends as usual. One that read nothing ends as usual."""
    code, output, errors, usual = _postmortem_process(fixture_kb, tmp_path, *args)
    here = run_cli("-C", str(fixture_kb), *args)
    assert code == here.exit_code == status, errors
    assert output == here.output and bool(output) == (status != 2)
    assert errors == here.stderr.replace("cli ", "postmortem ")  # (its name in a test)
    assert usual == (status == 2)


def test_an_export_to_a_file_is_whole_when_the_process_ends(
    fixture_kb: Path, tmp_path: Path
) -> None:
    target = tmp_path / "export.json"
    code, _, errors, usual = _postmortem_process(fixture_kb, tmp_path, "export", "-o", str(target))
    assert code == 0 and not usual, errors
    assert target.read_text(encoding="utf-8") == run_cli("-C", str(fixture_kb), "export").output
