"""The pull-request machinery: workflows, PR template, issue form, pre-commit hook.

The workflows' own shell steps are run here for real, in real repositories, with the
values GitHub would substitute; only `actions/*` steps are left to GitHub.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import REPO, complete_postmortem_text, run_cli
from gitrepo import commit_all, git, git_home, git_kb  # noqa: F401
from postmortem_kb.core.errors import UsageError
from postmortem_kb.core.intake import from_issue_form, from_json, parse_report

WORKFLOWS = ("postmortem-review.yml", "publish.yml", "postmortem-intake.yml")
BIN = str(Path(sys.executable).parent)


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def step(workflow: dict[str, Any], name: str) -> dict[str, Any]:
    for job in workflow["jobs"].values():
        for item in job["steps"]:
            if item.get("name") == name or item.get("id") == name:
                return item  # type: ignore[no-any-return]
    raise AssertionError(f"no step {name!r}")


def run_step(
    item: dict[str, Any], cwd: Path, values: dict[str, str], extra_env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """A `run:` step as GitHub runs it: bash -eo pipefail, expressions substituted in env."""

    def substitute(text: str) -> str:
        return re.sub(r"\$\{\{\s*(.+?)\s*\}\}", lambda m: values[m.group(1)], text)

    env = {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}", **extra_env}
    env.update({k: substitute(str(v)) for k, v in (item.get("env") or {}).items()})
    assert "${{" not in item["run"], "expressions go through env, never into the script"
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", item["run"]],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


# --- what init writes, and this repository's own copy -----------------------------------


def test_init_writes_the_review_machinery(kb: Path) -> None:
    github = kb / ".github"
    for name in WORKFLOWS:
        workflow = load_yaml(github / "workflows" / name)
        assert workflow["jobs"], name
    assert not (github / "workflows" / "tests.yml").exists()
    template = (github / "PULL_REQUEST_TEMPLATE.md").read_text(encoding="utf-8")
    for words in ("blameless", "hashed", "owner, a due date", "impact", "restricted"):
        assert words in template
    assert "/postmortems/" in (github / "CODEOWNERS").read_text(encoding="utf-8")
    assert load_yaml(github / "ISSUE_TEMPLATE" / "postmortem.yml")["body"]


def test_this_repository_ships_the_same_workflows(tmp_path: Path) -> None:
    init = tmp_path / "kb"
    assert run_cli("init", str(init)).exit_code == 0

    def normal(text: str) -> str:
        text = re.sub(r"(?:\n  # [^\n]*)+\n  POSTMORTEM_KB: [^\n]*\n", "\n", text)
        return text.replace('      - "tooling/**"\n', "")

    for name in WORKFLOWS:
        ours = (REPO / ".github" / "workflows" / name).read_text(encoding="utf-8")
        theirs = (init / ".github" / "workflows" / name).read_text(encoding="utf-8")
        assert normal(ours) == normal(theirs), name
        assert 'POSTMORTEM_KB: "."' in ours
    for name in ("PULL_REQUEST_TEMPLATE.md", "CODEOWNERS", "ISSUE_TEMPLATE/postmortem.yml"):
        assert (REPO / ".github" / name).read_text() == (init / ".github" / name).read_text()
    assert load_yaml(REPO / ".github" / "workflows" / "tests.yml")["jobs"]


# --- the pull-request workflow, run -------------------------------------------------------


@pytest.fixture
def pull_request(git_kb: Path, tmp_path: Path) -> Path:
    """A CI checkout of a pull request that adds an incomplete post-mortem."""
    ci = tmp_path / "ci"
    git(tmp_path, "clone", "-q", str(git_kb), str(ci))
    git(ci, "switch", "-q", "-c", "postmortem/PM-2026-001")
    text = complete_postmortem_text(status="in-review").replace("contained_at:", "x_contained_at:")
    path = ci / "postmortems" / "2026" / "PM-2026-001-ci-token.md"
    path.parent.mkdir(parents=True)
    path.write_text(text, encoding="utf-8")
    commit_all(ci, "Add PM-2026-001")
    git(ci, "checkout", "-q", "--detach")
    return ci


def test_review_workflow_annotates_and_summarises(pull_request: Path, tmp_path: Path) -> None:
    workflow = load_yaml(pull_request / ".github" / "workflows" / "postmortem-review.yml")
    checkout = workflow["jobs"]["check"]["steps"][0]
    assert checkout["uses"].startswith("actions/checkout@")
    assert checkout["with"]["fetch-depth"] == 0
    summary = tmp_path / "summary.md"
    summary.write_text("", encoding="utf-8")
    values = {"github.base_ref": "main"}
    env = {"GITHUB_STEP_SUMMARY": str(summary)}

    checked = run_step(step(workflow, "Check the changed post-mortems"), pull_request, values, env)
    assert checked.returncode == 1, checked.stderr
    lines = checked.stdout.splitlines()
    assert any(
        line.startswith("::error file=postmortems/2026/PM-2026-001-ci-token.md,")
        and "contained_at" in line
        for line in lines
    )
    assert all("file=" not in line or "PM-2026-001-ci-token.md" in line for line in lines)

    summarised = run_step(step(workflow, "Job summary"), pull_request, values, env)
    assert summarised.returncode == 0, summarised.stderr
    written = summary.read_text(encoding="utf-8")
    assert "| Post-mortem | Status | Sections written | Checklist resolved |" in written
    assert "**PM-2026-001**" in written and "| in-review |" in written


def test_publish_workflow_builds_strict_and_deploys_to_pages(kb: Path) -> None:
    workflow = load_yaml(kb / ".github" / "workflows" / "publish.yml")
    build, deploy = workflow["jobs"]["build"], workflow["jobs"]["deploy"]
    runs = " ".join(s.get("run", "") for s in build["steps"])
    assert "postmortem build --strict" in runs and '--audience "$AUDIENCE"' in runs
    assert "'public'" in step(workflow, "Build the site")["env"]["AUDIENCE"]
    uses = [s.get("uses", "") for s in build["steps"] + deploy["steps"]]
    assert any(u.startswith("actions/upload-pages-artifact@") for u in uses)
    assert any(u.startswith("actions/deploy-pages@") for u in uses)
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["needs"] == "build"


def test_publish_workflow_build_step_runs(git_kb: Path) -> None:
    (git_kb / "postmortems" / "2026").mkdir(parents=True)
    (git_kb / "postmortems" / "2026" / "PM-2026-001-public.md").write_text(
        complete_postmortem_text(visibility="public"), encoding="utf-8"
    )
    (git_kb / "postmortems" / "2026" / "PM-2026-002-internal.md").write_text(
        complete_postmortem_text("PM-2026-002"), encoding="utf-8"
    )
    commit_all(git_kb, "Two published post-mortems")
    workflow = load_yaml(git_kb / ".github" / "workflows" / "publish.yml")
    upload = next(
        s
        for s in workflow["jobs"]["build"]["steps"]
        if s.get("uses", "").startswith("actions/upload-pages-artifact@")
    )
    built = run_step(
        step(workflow, "Build the site"),
        git_kb,
        {"vars.POSTMORTEM_AUDIENCE || 'public'": "public"},
        {},
    )
    assert built.returncode == 0, built.stderr
    site = git_kb / upload["with"]["path"]
    pages = {p.relative_to(site).as_posix() for p in site.rglob("*.html")}
    assert any("PM-2026-001" in p for p in pages)
    assert not any("PM-2026-002" in p for p in pages)  # internal: not on a public site


# --- creation without a terminal ----------------------------------------------------------


def issue_body(answers: dict[str, str], form: dict[str, Any]) -> str:
    """An issue body as GitHub renders a filled form: `### Label`, blank line, answer."""
    parts = []
    for field in form["body"]:
        if field["type"] == "markdown":
            continue
        value = answers.get(field["id"], "")
        parts.append(f"### {field['attributes']['label']}\n\n{value or '_No response_'}")
    return "\n\n".join(parts) + "\n"


@pytest.fixture
def form(kb: Path) -> dict[str, Any]:
    return load_yaml(kb / ".github" / "ISSUE_TEMPLATE" / "postmortem.yml")  # type: ignore[no-any-return]


def test_issue_form_fields_are_what_intake_reads(form: dict[str, Any]) -> None:
    ids = [f["id"] for f in form["body"] if f["type"] != "markdown"]
    assert ids == ["type", "severity", "title", "occurred", "detected", "owner", "visibility"]
    answers = {
        "type": "phishing",
        "severity": "SEV2",
        "title": "Mailbox | phish",
        "occurred": "2026-03-14T09:12:00Z",
        "owner": "SecOps",
        "visibility": "public",
    }
    assert from_issue_form(issue_body(answers, form)) == answers
    types = next(f for f in form["body"] if f.get("id") == "type")["attributes"]["options"]
    from postmortem_kb.core.model import DEFAULT_TYPES

    assert types == list(DEFAULT_TYPES)


def test_intake_from_an_issue_commits_on_a_branch(
    git_kb: Path, form: dict[str, Any], tmp_path: Path
) -> None:
    body = issue_body(
        {
            "type": "phishing",
            "severity": "SEV2",
            "title": "Invoice $(touch pwned) `touch pwned2`",
            "occurred": "2026-03-14T09:12:00Z",
            "owner": "Finance Security",
        },
        form,
    )
    source = tmp_path / "issue.md"
    source.write_text(body, encoding="utf-8")
    result = run_cli("-C", str(git_kb), "intake", str(source))
    assert result.exit_code == 0, result.stderr
    rel = result.output.strip().splitlines()[-1]
    assert git(git_kb, "branch", "--show-current") == "postmortem/PM-2026-001"
    text = (git_kb / rel).read_text(encoding="utf-8")
    assert 'title: "Invoice $(touch pwned) `touch pwned2`"' in text
    assert 'owner: "Finance Security"' in text and 'occurred_at: "2026-03-14T09:12:00Z"' in text


@pytest.mark.parametrize("event", ["issues", "repository_dispatch"])
def test_intake_workflow_step_runs_without_a_terminal(
    git_kb: Path, form: dict[str, Any], tmp_path: Path, event: str
) -> None:
    ci = tmp_path / "ci"
    git(tmp_path, "clone", "-q", str(git_kb), str(ci))
    workflow = load_yaml(ci / ".github" / "workflows" / "postmortem-intake.yml")
    assert "author_association" in workflow["jobs"]["scaffold"]["if"]
    runner_temp, output = tmp_path / "runner", tmp_path / "output"
    runner_temp.mkdir()
    answers = {
        "type": "malware",
        "severity": "SEV1",
        "title": "$(touch pwned) `touch pwned`",
        "occurred": "2026-05-02T07:00:00Z",
        "owner": "IR",
    }
    values = {
        "github.event_name": event,
        "github.event.issue.body": "",
        "toJSON(github.event.client_payload)": "null",
    }
    if event == "issues":
        values["github.event.issue.body"] = issue_body(answers, form)
    else:
        values["toJSON(github.event.client_payload)"] = json.dumps(answers, indent=2)
    done = run_step(
        step(workflow, "scaffold"),
        ci,
        values,
        {"RUNNER_TEMP": str(runner_temp), "GITHUB_OUTPUT": str(output)},
    )
    assert done.returncode == 0, done.stderr
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines())
    assert outputs["branch"] == "postmortem/PM-2026-001"
    assert outputs["path"].startswith("postmortems/2026/PM-2026-001-")
    assert git(ci, "log", "-1", "--format=%an") == "github-actions[bot]"
    assert 'severity: "SEV1"' in (ci / outputs["path"]).read_text(encoding="utf-8")
    assert not (ci / "pwned").exists()


@pytest.mark.parametrize(
    "text, words",
    [
        ("### Incident type\n\nphishing\n", "lacks severity"),
        ('{"severity": "SEV1"}', "lacks type"),
        ("{not json", "not JSON"),
        ('["type"]', "JSON object"),
        ('{"type": "phishing", "severity": "SEV2", "owner": {"a": 1}}', "`owner` must be text"),
    ],
)
def test_intake_refuses_what_it_cannot_use(text: str, words: str) -> None:
    with pytest.raises(UsageError, match=re.escape(words)):
        parse_report(text, "auto")


def test_intake_json_from_an_incident_tool(kb: Path) -> None:
    payload = (
        '{"type": "data-breach", "severity": "sev1", "occurred_at": '
        '"2026-06-01T12:00:00Z", "detected_at": "2026-06-01T12:30:00Z", '
        '"owner": "IR", "incident_url": "https://tool.example/inc/42"}'
    )
    assert from_json(payload)["severity"] == "SEV1"
    result = run_cli("-C", str(kb), "intake", "-", input=payload)
    assert result.exit_code == 0, result.stderr
    text = (kb / result.output.strip().splitlines()[-1]).read_text(encoding="utf-8")
    assert 'detected_at: "2026-06-01T12:30:00Z"' in text and "PM-2026-001" in text
    missing = run_cli("-C", str(kb), "intake", "-", input='{"type": "malware"}')
    assert missing.exit_code == 2 and "lacks severity" in missing.stderr


# --- pre-commit ---------------------------------------------------------------------------


def test_pre_commit_hook_checks_the_postmortems_a_commit_touches(kb: Path, write_pm) -> None:
    hooks = load_yaml(REPO / ".pre-commit-hooks.yaml")
    hook = next(h for h in hooks if h["id"] == "postmortem-check")
    files = re.compile(hook["files"])
    assert files.search("postmortems/2026/PM-2026-001-a.md")
    assert files.search("kb/postmortems/2026/PM-2026-001-a.md")
    for other in (
        "postmortems/index.md",
        "postmortems/templates/security.md",
        "postmortems/2026/PM-2026-001/evidence.md",
    ):
        assert not files.search(other), other
    good = write_pm(complete_postmortem_text())
    bad = write_pm(
        complete_postmortem_text("PM-2026-002").replace("resolved_at:", "x:"),
        name="PM-2026-002-bad.md",
    )
    env = {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}"}

    def run(*paths: Path) -> subprocess.CompletedProcess[str]:
        args = [p.relative_to(kb).as_posix() for p in paths]
        return subprocess.run(
            [*hook["entry"].split(), *args],
            cwd=kb,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )

    assert run(good).returncode == 0
    failed = run(good, bad)
    assert failed.returncode == 1 and "PM-2026-002-bad.md" in failed.stdout
