"""The user's story: init a knowledge base, scaffold a post-mortem, check it."""

from __future__ import annotations

import json
import os
import pty
import select
import sys
import time
from pathlib import Path

import pytest
import yaml

from conftest import complete_postmortem_text, run_cli, run_process
from postmortem_kb.cli.main import cli

SECURITY_STEPS = [
    "Acknowledge and Categorize the Incident",
    "Preserve Evidence Immediately",
    "Assign Roles and Notify Key Parties",
    "Review Containment and Eradication Measures",
    "Conduct Root Cause Analysis (RCA)",
    "Identify Control Failures",
    "Review Audit Logs and Monitoring Gaps",
    "Validate Access Control Effectiveness",
    "Assess Backup and Recovery Function",
    "Document Customer or User Impact",
    "Implement Corrective Actions",
    "Update Policies and Playbooks",
    "Conduct Awareness Session",
    "Re-Test Controls and Resilience",
    "Archive the Postmortem",
]


def front_matter(path: Path) -> dict:
    return yaml.safe_load(path.read_text().split("---\n")[1])


def test_init_writes_a_working_knowledge_base(tmp_path: Path) -> None:
    result = run_process("init", str(tmp_path / "kb"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    for rel in (
        "mkdocs.yml",
        "postmortems/templates/security.md",
        "postmortems/templates/outage.md",
        "postmortems/index.md",
    ):
        assert (tmp_path / "kb" / rel).is_file(), rel
    check = run_process("check", cwd=tmp_path / "kb")
    assert check.returncode == 0 and "No findings in 0 post-mortems" in check.stdout


def test_init_refuses_to_overwrite(tmp_path: Path) -> None:
    target = tmp_path / "kb"
    target.mkdir()
    (target / "mkdocs.yml").write_text("site_name: mine\n")
    result = run_process("init", str(target), cwd=tmp_path)
    assert result.returncode == 2 and "mkdocs.yml" in result.stderr
    assert (target / "mkdocs.yml").read_text() == "site_name: mine\n"
    assert not (target / "postmortems").exists()


def test_new_writes_a_draft_with_every_section(kb: Path) -> None:
    result = run_process(
        "new",
        "--type",
        "data-breach",
        "--severity",
        "SEV2",
        "--no-git",
        "--occurred",
        "2026-08-03T22:15:00+02:00",
        cwd=kb,
    )
    assert result.returncode == 0, result.stderr
    rel = result.stdout.strip().splitlines()[-1]
    assert rel == "postmortems/2026/PM-2026-001-post-mortem-data-breach-2026-q3.md"
    path = kb / rel
    meta = front_matter(path)
    assert meta["id"] == "PM-2026-001" and meta["status"] == "draft"
    assert meta["visibility"] == "internal" and meta["severity"] == "SEV2"
    assert meta["title"] == "Post-mortem – Data breach – 2026-Q3"
    assert meta["occurred_at"] == meta["detected_at"] == "2026-08-03T20:15:00Z"
    headings = [line[3:] for line in path.read_text().splitlines() if line.startswith("## ")]
    assert headings == ["Summary", "Timeline"] + [
        f"{i}. {t}" for i, t in enumerate(SECURITY_STEPS, 1)
    ]
    assert "incident id PM-2026-001" in path.read_text()  # template variables filled
    assert run_process("check", cwd=kb).returncode == 0


def test_new_draft_lists_what_is_missing_once_in_review(kb: Path) -> None:
    rel = (
        run_process("new", "--type", "phishing", "--severity", "SEV3", "--no-git", cwd=kb)
        .stdout.strip()
        .splitlines()[-1]
    )
    path = kb / rel
    path.write_text(path.read_text().replace("status: draft", "status: in-review"))
    result = run_process("check", "--format", "json", cwd=kb)
    assert result.returncode == 1
    findings = json.loads(result.stdout)["findings"]
    rules = {f["rule"] for f in findings}
    assert rules == {"PM101", "PM203", "PM205"}
    sections = [f for f in findings if f["rule"] == "PM203"]
    # Summary + steps 1-13; the timeline has its own rule, and steps 14-15 happen after
    # publication (`<!-- due: archived -->` in the template)
    assert len(sections) == 14
    assert all(f["path"] == rel and f["line"] > 1 for f in findings)


def test_second_new_takes_the_next_id(kb: Path) -> None:
    first = run_process(
        "new",
        "--type",
        "malware",
        "--severity",
        "SEV1",
        "--no-git",
        "--title",
        "Ransomware on a build agent",
        cwd=kb,
    )
    second = run_process(
        "new",
        "--type",
        "malware",
        "--severity",
        "SEV1",
        "--no-git",
        "--title",
        "Ransomware on a build agent",
        cwd=kb,
    )
    assert first.stdout.strip().endswith("PM-2026-001-ransomware-on-a-build-agent.md")
    assert second.stdout.strip().endswith("PM-2026-002-ransomware-on-a-build-agent.md")


def test_new_never_overwrites(kb: Path) -> None:
    first = run_process(
        "new",
        "--type",
        "malware",
        "--severity",
        "SEV1",
        "--no-git",
        "--id",
        "PM-2026-005",
        "--occurred",
        "2026-01-02T00:00:00Z",
        cwd=kb,
    )
    assert first.returncode == 0
    path = kb / first.stdout.strip()
    path.write_text(path.read_text() + "\nMy notes.\n")
    again = run_process(
        "new",
        "--type",
        "malware",
        "--severity",
        "SEV1",
        "--no-git",
        "--id",
        "PM-2026-005",
        "--occurred",
        "2026-01-02T00:00:00Z",
        cwd=kb,
    )
    assert again.returncode == 2 and "PM-2026-005" in again.stderr
    assert path.read_text().endswith("My notes.\n")


def test_new_user_values_are_text_not_template(kb: Path) -> None:
    result = run_process(
        "new",
        "--type",
        "other",
        "--severity",
        "SEV4",
        "--no-git",
        "--title",
        'Quote " and {{ id }} and: colon',
        "--owner",
        "Team {{ type }}",
        cwd=kb,
    )
    assert result.returncode == 0, result.stderr
    meta = front_matter(kb / result.stdout.strip())
    assert meta["title"] == 'Quote " and {{ id }} and: colon'
    assert meta["owner"] == "Team {{ type }}"


@pytest.mark.parametrize(
    "args, named",
    [
        (["--severity", "SEV2"], "--type"),
        (["--type", "malware"], "--severity"),
        (["--type", "nope", "--severity", "SEV2"], "nope"),
        (["--type", "malware", "--severity", "SEV9"], "SEV9"),
        (["--type", "malware", "--severity", "SEV2", "--occurred", "last tuesday"], "--occurred"),
        (
            [
                "--type",
                "malware",
                "--severity",
                "SEV2",
                "--occurred",
                "2026-03-01T10:00:00Z",
                "--detected",
                "2026-02-01T10:00:00Z",
            ],
            "detected",
        ),
        (["--type", "malware", "--severity", "SEV2", "--template", "nope"], "nope"),
        (["--type", "malware", "--severity", "SEV2", "--id", "pm-1"], "pm-1"),
    ],
)
def test_new_without_terminal_fails_with_exit_2_naming_it(
    kb: Path, args: list[str], named: str
) -> None:
    result = run_process("new", "--no-git", *args, cwd=kb, input="")
    assert result.returncode == 2, result.stdout + result.stderr
    assert named in result.stderr and "Traceback" not in result.stderr
    assert not list((kb / "postmortems").glob("20*/*.md"))


def test_new_asks_on_a_terminal(kb: Path) -> None:
    exe = Path(sys.executable).parent / "postmortem"
    pid, fd = pty.fork()
    if pid == 0:  # the child: a real terminal on stdin and stdout
        os.chdir(kb)
        os.execv(str(exe), [str(exe), "new", "--no-git", "--occurred", "2026-02-03T04:05:00Z"])
    answers = iter(["phishing\n", "SEV3\n", "Support Engineering\n", "\n"])
    output = b""
    deadline = time.time() + 60
    while time.time() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            output += chunk
            if chunk.rstrip().endswith((b":", b"]:", b"):")):
                os.write(fd, next(answers, "\n").encode())
    os.waitpid(pid, 0)
    text = output.decode(errors="replace")
    assert "Incident type" in text and "Severity" in text and "Owner" in text
    (path,) = (kb / "postmortems" / "2026").glob("PM-2026-001-*.md")
    meta = front_matter(path)
    assert (meta["type"], meta["severity"], meta["owner"]) == (
        "phishing",
        "SEV3",
        "Support Engineering",
    )
    assert meta["title"] == "Post-mortem – Phishing – 2026-Q1"


def test_new_outage_template(kb: Path) -> None:
    result = run_process(
        "new",
        "--type",
        "service-disruption",
        "--severity",
        "SEV2",
        "--template",
        "outage",
        "--no-git",
        cwd=kb,
    )
    path = kb / result.stdout.strip()
    assert front_matter(path)["template"] == "outage"
    assert "## Where We Got Lucky" in path.read_text()
    assert run_process("check", cwd=kb).returncode == 0


def test_team_owned_template_is_used(kb: Path) -> None:
    own = kb / "postmortems" / "templates" / "security.md"
    own.write_text(own.read_text().replace("## Summary", "## Summary\n\n## Executive Brief", 1))
    result = run_process("new", "--type", "malware", "--severity", "SEV2", "--no-git", cwd=kb)
    path = kb / result.stdout.strip()
    assert "## Executive Brief" in path.read_text()
    path.write_text(
        path.read_text()
        .replace("## Executive Brief\n", "")
        .replace("status: draft", "status: in-review")
    )
    findings = json.loads(run_process("check", "--format", "json", cwd=kb).stdout)["findings"]
    assert any(f["rule"] == "PM201" and "Executive Brief" in f["message"] for f in findings)


def test_check_text_groups_by_file_with_summary_line(kb: Path, write_pm) -> None:
    write_pm(complete_postmortem_text())
    write_pm(
        complete_postmortem_text("PM-2026-002")
        .replace("owner: Security Operations\n", "")
        .replace("## Summary\n", "## Summary\n\nA case of human error.\n"),
        name="PM-2026-002-x.md",
    )
    result = run_process("check", cwd=kb)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0] == "postmortems/2026/PM-2026-002-x.md"
    assert "PM101" in lines[1] and "error" in lines[1]
    assert lines[-1] == "1 error, 1 warning in 1 of 2 post-mortems"


def test_check_github_annotations(kb: Path, write_pm) -> None:
    write_pm(complete_postmortem_text().replace("severity: SEV2", "severity: SEV7"))
    result = run_process("check", "--format", "github", cwd=kb)
    assert result.returncode == 1
    first = result.stdout.splitlines()[0]
    assert first.startswith(
        "::error file=postmortems/2026/PM-2026-001-test.md,line=5,title=PM102::"
    )


def test_check_paths_and_folders(kb: Path, write_pm) -> None:
    write_pm(complete_postmortem_text())
    write_pm(
        complete_postmortem_text("PM-2025-001").replace("2026-", "2025-"),
        name="PM-2025-001-x.md",
        year="2025",
    )
    assert (
        run_process("check", "--format", "json", "postmortems/2025", cwd=kb).stdout.count(
            '"files": 1'
        )
        == 1
    )
    data = json.loads(run_process("check", "--format", "json", "postmortems", cwd=kb).stdout)
    assert data == {"files": 2, "findings": []}


def test_check_a_file_through_a_link_to_the_knowledge_base(
    kb: Path, tmp_path: Path, write_pm
) -> None:
    """The same file reached through a link to the root is not a second file outside it
    (it was PM107 and a PM106 duplicate of itself)."""
    path = write_pm(complete_postmortem_text())
    link = tmp_path / "link"
    link.symlink_to(kb)
    through = link / path.relative_to(kb)
    for cwd, args in (
        (link, ["check", "--format", "json", str(through)]),
        (link, ["check", "--format", "json", through.relative_to(link).as_posix()]),
        (kb, ["check", "--format", "json", str(through)]),
        (tmp_path, ["-C", str(link), "check", "--format", "json", str(through)]),
    ):
        result = run_process(*args, "--no-cache", cwd=cwd)
        assert json.loads(result.stdout) == {"files": 1, "findings": []}, (cwd, args)
    # a link below the root keeps its own name: it is not the file it points to
    (kb / "postmortems" / "2027").symlink_to(kb / "postmortems" / "2026")
    result = run_process(
        "check", "--format", "json", "--no-cache", "postmortems/2027/" + path.name, cwd=kb
    )
    assert {f["rule"] for f in json.loads(result.stdout)["findings"]} >= {"PM106"}


def test_dash_c_from_anywhere(kb: Path, tmp_path: Path, write_pm) -> None:
    write_pm(complete_postmortem_text().replace("severity: SEV2", "severity: SEV7"))
    for args in (["-C", str(kb), "check"], ["check", "-C", str(kb)]):
        result = run_process(*args, cwd=tmp_path)
        assert result.returncode == 1 and "PM102" in result.stdout
    nested = kb / "postmortems" / "2026"
    assert run_process("check", cwd=nested).returncode == 1  # found upward


def test_every_command_has_help() -> None:
    import click

    from postmortem_kb.cli.main import COMMAND_MODULES, load_all_commands

    load_all_commands()
    assert set(cli.commands) == set(COMMAND_MODULES)  # every command is reachable lazily

    def walk(command: click.Command, path: list[str]):
        yield path, command
        if isinstance(command, click.Group):
            for name, sub in command.commands.items():
                yield from walk(sub, path + [name])

    for path, command in walk(cli, []):
        assert command.help, f"postmortem {' '.join(path)} has no help text"
        result = run_cli(*path, "--help")
        assert result.exit_code == 0 and "Usage:" in result.output
        if path:
            assert "-C" in result.output or isinstance(command, click.Group) or path == ["init"], (
                f"postmortem {' '.join(path)} lacks -C"
            )


def test_sample_knowledge_base_passes() -> None:
    repo = Path(__file__).resolve().parent.parent
    result = run_process("check", "--format", "json", cwd=repo)
    assert result.returncode == 0, result.stdout
    data = json.loads(result.stdout)
    assert data["files"] >= 10 and [f for f in data["findings"] if f["severity"] == "error"] == []
    metas = [front_matter(p) for p in (repo / "postmortems").glob("20*/*.md")]
    assert {m["status"] for m in metas} == {"draft", "in-review", "published", "archived"}
    assert {m["visibility"] for m in metas} == {"public", "internal", "restricted"}
    assert {m["severity"] for m in metas} == {"SEV1", "SEV2", "SEV3", "SEV4"}
    assert len({m["type"] for m in metas}) >= 6
    assert len({str(m["occurred_at"])[:4] for m in metas}) >= 2


def test_title_format_and_id_prefix_from_configuration(kb: Path) -> None:
    config = kb / "mkdocs.yml"
    config.write_text(
        config.read_text().replace(
            "      id_prefix: PM\n",
            '      id_prefix: SEC\n      title_format: "{severity} {type_name} in {quarter}"\n',
        )
    )
    result = run_process(
        "new",
        "--type",
        "third-party",
        "--severity",
        "SEV3",
        "--no-git",
        "--occurred",
        "2025-12-31T23:30:00-02:00",
        cwd=kb,
    )
    assert result.returncode == 0, result.stderr
    meta = front_matter(kb / result.stdout.strip())
    assert meta["id"] == "SEC-2026-001"  # 2026-01-01T01:30Z: the year of occurred_at in UTC
    assert meta["title"] == "SEV3 Third party in 2026-Q1"


def test_new_files_get_ordinary_permissions(kb: Path) -> None:
    result = run_process("new", "--type", "other", "--severity", "SEV4", "--no-git", cwd=kb)
    mode = (kb / result.stdout.strip()).stat().st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    assert mode == 0o666 & ~umask
    assert (kb / "mkdocs.yml").stat().st_mode & 0o777 == 0o666 & ~umask


def test_repository_templates_are_the_shipped_ones() -> None:
    repo = Path(__file__).resolve().parent.parent
    for name in ("security", "outage"):
        assert (repo / "postmortems" / "templates" / f"{name}.md").read_bytes() == (
            repo / "tooling" / "postmortem_kb" / "templates" / f"{name}.md"
        ).read_bytes(), name
