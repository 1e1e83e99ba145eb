"""`postmortem init`: the knowledge base it writes installs, in CI, the tool that wrote it.

The origin of the running tool comes from its `direct_url.json` (PEP 610). The last test
does what a new team does: install the tool from a git URL into a fresh virtual environment,
`init`, `new`, write the post-mortem, open a pull request, and run the review workflow's own
install line and check in another fresh environment, as GitHub would.
"""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import REPO, complete_postmortem_text, run_cli
from postmortem_kb.core.codeowners import teams as codeowner_teams
from postmortem_kb.core.errors import UsageError
from postmortem_kb.core.origin import from_direct_url, parse_spec, running_tool

WORKFLOWS = ("overdue-actions.yml", "postmortem-intake.yml", "postmortem-review.yml", "publish.yml")
SHA = "0123456789abcdef0123456789abcdef01234567"


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def installed_requirements(kb: Path) -> set[str]:
    return {
        load_yaml(kb / ".github" / "workflows" / name)["env"]["POSTMORTEM_KB"] for name in WORKFLOWS
    }


# --- where the tool came from ------------------------------------------------------------


def test_a_git_install_is_pinned_to_its_commit() -> None:
    tool = from_direct_url(
        {
            "url": "https://git.example.org/sec/postmortem-kb.git",
            "vcs_info": {"vcs": "git", "commit_id": SHA, "requested_revision": "v0.1.0"},
        },
        "0.1.0",
    )
    url = "https://git.example.org/sec/postmortem-kb.git"
    assert tool.requirement == f"postmortem-kb @ git+{url}@{SHA}"
    assert tool.usable_in_ci and tool.pinned and not tool.warnings
    assert (tool.git_url, tool.git_rev) == ("https://git.example.org/sec/postmortem-kb.git", SHA)


def test_a_git_install_from_a_subdirectory_keeps_it() -> None:
    tool = from_direct_url(
        {
            "url": "https://git.example.org/tools.git",
            "subdirectory": "pm",
            "vcs_info": {"vcs": "git", "commit_id": SHA},
        },
        "0.1.0",
    )
    assert tool.requirement.endswith(f"@{SHA}#subdirectory=pm")


def test_an_index_install_is_pinned_to_its_version() -> None:
    tool = from_direct_url(None, "1.4.2")
    assert tool.requirement == "postmortem-kb==1.4.2" and tool.usable_in_ci and tool.pinned


def test_an_archive_url_keeps_its_hash() -> None:
    tool = from_direct_url(
        {
            "url": "https://files.example.org/postmortem_kb-0.1.0.tar.gz",
            "archive_info": {"hashes": {"sha256": "ab" * 32}},
        },
        "0.1.0",
    )
    assert tool.requirement == (
        f"postmortem-kb @ https://files.example.org/postmortem_kb-0.1.0.tar.gz#sha256={'ab' * 32}"
    )
    assert tool.usable_in_ci


@pytest.mark.parametrize(
    "info",
    [
        {"url": "file:///home/ada/postmortem-kb", "dir_info": {"editable": True}},
        {"url": "file:///home/ada/postmortem-kb", "dir_info": {}},
        {"url": "file:///home/ada/dist/postmortem_kb-0.1.0-py3-none-any.whl", "archive_info": {}},
    ],
)
def test_a_local_install_cannot_work_in_ci(info: dict[str, Any]) -> None:
    assert not from_direct_url(info, "0.1.0").usable_in_ci


def test_a_git_repository_on_this_machine_is_written_with_a_warning() -> None:
    tool = from_direct_url(
        {"url": "file:///srv/git/postmortem-kb.git", "vcs_info": {"vcs": "git", "commit_id": SHA}},
        "0.1.0",
    )
    assert tool.usable_in_ci and any("file://" in w for w in tool.warnings)


def test_this_test_run_is_an_editable_install() -> None:
    tool = running_tool()
    assert not tool.usable_in_ci and "editable" in tool.described


@pytest.mark.parametrize(
    ("spec", "requirement", "pinned"),
    [
        ("postmortem-kb==0.2.0", "postmortem-kb==0.2.0", True),
        ("postmortem_kb >= 0.2, <1", "postmortem-kb>=0.2,<1", False),
        (
            "git+https://github.com/sec/postmortem-kb@v0.2.0",
            "postmortem-kb @ git+https://github.com/sec/postmortem-kb@v0.2.0",
            True,
        ),
        (
            "postmortem-kb @ git+ssh://git@github.com/sec/postmortem-kb",
            "postmortem-kb @ git+ssh://git@github.com/sec/postmortem-kb",
            False,
        ),
    ],
)
def test_tool_source_spec(spec: str, requirement: str, pinned: bool) -> None:
    tool = parse_spec(spec)
    assert (tool.requirement, tool.pinned) == (requirement, pinned)
    assert bool(tool.warnings) is not pinned


@pytest.mark.parametrize(
    "spec",
    [
        "mkdocs==1.6",
        "postmortem-kb",
        "/home/ada/postmortem-kb",
        "postmortem-kb @ ../postmortem-kb",
        "pip install x",
    ],
)
def test_tool_source_spec_that_is_not_one(spec: str) -> None:
    with pytest.raises(UsageError, match="--tool-source"):
        parse_spec(spec)


# --- init -------------------------------------------------------------------------------


def test_init_refuses_an_editable_origin_without_a_tool_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("POSTMORTEM_TOOL_SOURCE", raising=False)
    result = run_cli("init", str(tmp_path / "kb"))
    assert result.exit_code == 2
    assert "editable install" in result.stderr and "--tool-source" in result.stderr
    assert not (tmp_path / "kb").exists()


def test_init_writes_the_tool_source_into_every_workflow(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("POSTMORTEM_TOOL_SOURCE", raising=False)
    spec = "postmortem-kb @ git+https://git.example.org/sec/postmortem-kb@v0.2.0"
    result = run_cli("init", str(tmp_path / "kb"), "--tool-source", spec)
    assert result.exit_code == 0, result.stderr
    assert installed_requirements(tmp_path / "kb") == {spec}
    assert f"Workflows install {spec}" in result.output
    for name in WORKFLOWS:
        text = (tmp_path / "kb" / ".github" / "workflows" / name).read_text(encoding="utf-8")
        assert "@TOOL_REQUIREMENT@" not in text


def test_init_warns_about_an_unpinned_tool_source(tmp_path: Path) -> None:
    result = run_cli("init", str(tmp_path / "kb"), "--tool-source", "postmortem-kb>=0.1")
    assert result.exit_code == 0
    assert "not pinned" in result.stderr


# --- a new team's first pull request, for real -------------------------------------------


def _run(
    *args: str | Path, cwd: Path, env: dict[str, str] | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )
    if check:
        assert done.returncode == 0, f"{args}: {done.stdout}\n{done.stderr}"
    return done


def _clean_env(tmp_path: Path, venv: Path | None = None) -> dict[str, str]:
    """The environment of a user (or runner) with VENV activated, no test settings, and
    its own git identity; pip keeps its usual cache, which is what makes this fast."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("POSTMORTEM_", "GIT_", "VIRTUAL_ENV", "PYTHON"))
    }
    env.update(
        {
            "GIT_CONFIG_GLOBAL": str(tmp_path / "gitconfig"),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_AUTHOR_NAME": "Ada Responder",
            "GIT_AUTHOR_EMAIL": "ada@example.com",
            "GIT_COMMITTER_NAME": "Ada Responder",
            "GIT_COMMITTER_EMAIL": "ada@example.com",
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        }
    )
    if venv is not None:
        env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
        env["VIRTUAL_ENV"] = str(venv)
    return env


@pytest.mark.install
def test_a_new_team_installs_from_git_and_its_first_pull_request_passes(tmp_path: Path) -> None:
    (tmp_path / "gitconfig").write_text("[init]\n\tdefaultBranch = main\n", encoding="utf-8")
    env = _clean_env(tmp_path)

    # The tool, published as a git repository (this checkout's HEAD).
    tool_repo = tmp_path / "postmortem-kb.git"
    _run("git", "init", "-q", "--bare", "-b", "main", tool_repo, cwd=tmp_path, env=env)
    _run("git", "push", "-q", tool_repo, "HEAD:refs/heads/main", cwd=REPO, env=env)
    commit = _run("git", "rev-parse", "HEAD", cwd=REPO).stdout.strip()

    # A responder installs it from the git URL into a fresh environment, pinned as
    # `pipx install git+https://…@v1.0` would be (pip then caches the wheel it builds). The
    # host is written out, `file://localhost/`, which older pips (23.2, bundled with Python
    # 3.11) also accept in a requirement.
    url = f"git+file://localhost{tool_repo}@{commit}"
    laptop = tmp_path / "laptop-venv"
    _run(sys.executable, "-m", "venv", "--without-pip", laptop, cwd=tmp_path, env=env)
    _run(
        sys.executable,
        "-m",
        "pip",
        "--python",
        laptop / "bin" / "python",
        "install",
        "--quiet",
        url,
        cwd=tmp_path,
        env=env,
    )
    laptop_env = _clean_env(tmp_path, laptop)

    # ... and starts a knowledge base in a fresh repository with an origin.
    origin = tmp_path / "origin.git"
    _run("git", "init", "-q", "--bare", "-b", "main", origin, cwd=tmp_path, env=env)
    team = tmp_path / "team-kb"
    _run("git", "init", "-q", "-b", "main", team, cwd=tmp_path, env=env)
    _run("git", "remote", "add", "origin", origin, cwd=team, env=env)
    started = _run("postmortem", "init", ".", cwd=team, env=laptop_env)
    requirement = f"postmortem-kb @ {url}"
    assert f"Workflows install {requirement}" in started.stdout
    assert "file://" in started.stderr  # a git URL on this machine: said, not hidden
    assert installed_requirements(team) == {requirement}
    hooks = load_yaml(team / ".pre-commit-config.yaml")["repos"][0]["hooks"]
    assert hooks[0]["additional_dependencies"] == [requirement]
    _run("git", "add", "-A", cwd=team, env=env)
    _run("git", "commit", "-q", "-m", "Knowledge base", cwd=team, env=env)
    _run("git", "push", "-q", "origin", "main", cwd=team, env=env)

    # The first post-mortem, on its own branch, written and pushed.
    created = _run(
        "postmortem",
        "new",
        "--type",
        "unauthorized-access",
        "--severity",
        "SEV2",
        "--id",
        "PM-2026-001",
        "--occurred",
        "2026-05-19T10:02:00Z",
        "--owner",
        "Security Operations",
        "--title",
        "CI registry token leaked",
        cwd=team,
        env=laptop_env,
    )
    path = team / created.stdout.strip().splitlines()[-1]
    path.write_text(complete_postmortem_text(status="in-review"), encoding="utf-8")
    _run("git", "commit", "-q", "-am", "PM-2026-001: written", cwd=team, env=env)
    _run("git", "push", "-q", "origin", "postmortem/PM-2026-001", cwd=team, env=env)

    # The pull request's checkout (fetch-depth 0), and a fresh runner environment.
    ci = tmp_path / "ci"
    _run(
        "git",
        "clone",
        "-q",
        "--branch",
        "postmortem/PM-2026-001",
        origin,
        ci,
        cwd=tmp_path,
        env=env,
    )
    runner = tmp_path / "runner-venv"
    # Its pip is a current one, as on GitHub's runners, installed from pip's cache (the pip
    # bundled with Python 3.11.7 keeps another cache format and would download everything).
    _run(sys.executable, "-m", "venv", "--without-pip", runner, cwd=tmp_path, env=env)
    _run(
        sys.executable,
        "-m",
        "pip",
        "--python",
        runner / "bin" / "python",
        "install",
        "--quiet",
        f"pip=={metadata.version('pip')}",
        cwd=tmp_path,
        env=env,
    )
    runner_env = _clean_env(tmp_path, runner)

    # Every workflow's install line, as written, then the review workflow's check.
    for name in WORKFLOWS:
        workflow = load_yaml(ci / ".github" / "workflows" / name)
        installs = [
            s
            for job in workflow["jobs"].values()
            for s in job["steps"]
            if "pip install" in s.get("run", "")
        ]
        assert installs, name
        for install in installs:
            done = _run(
                "bash",
                "--noprofile",
                "--norc",
                "-eo",
                "pipefail",
                "-c",
                install["run"],
                cwd=ci,
                env={**runner_env, **workflow["env"]},
            )
            assert done.returncode == 0
    shown = _run(
        runner / "bin" / "python", "-m", "pip", "show", "postmortem-kb", cwd=ci, env=runner_env
    ).stdout
    assert re.search(r"^Version: ", shown, re.M)
    review = load_yaml(ci / ".github" / "workflows" / "postmortem-review.yml")
    check = next(
        s
        for s in review["jobs"]["check"]["steps"]
        if s.get("name") == "Check the changed post-mortems"
    )
    step_env = {
        k: v.replace("${{ github.base_ref }}", "main") for k, v in check.get("env", {}).items()
    }
    checked = _run(
        "bash",
        "--noprofile",
        "--norc",
        "-eo",
        "pipefail",
        "-c",
        check["run"],
        cwd=ci,
        env={**runner_env, **review["env"], **step_env},
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "::error" not in checked.stdout
    whole = _run("postmortem", "check", cwd=ci, env=runner_env, check=False)
    assert whole.returncode == 0, whole.stdout + whole.stderr
    # Nothing generated was edited: the tree is the one `init` and `new` wrote, plus the text.
    assert _run("git", "status", "--porcelain", cwd=team, env=env).stdout == ""


def test_init_here_says_what_to_do_next_without_cd(tmp_path: Path) -> None:
    result = run_cli("init", ".", cwd=tmp_path)
    assert result.exit_code == 0
    last = result.output.strip().splitlines()[-1]
    assert "cd " not in last and "this folder" in last and "postmortem new" in last


def test_init_elsewhere_says_where_to_go(tmp_path: Path) -> None:
    result = run_cli("init", "incident kb", cwd=tmp_path)
    assert "Next: cd 'incident kb' && git init && git add -A && " in result.output
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    result = run_cli("init", "kb", cwd=tmp_path / "repo")
    assert "Next: cd kb && git add -A && " in result.output


# --- a knowledge base that brings its habits ------------------------------------------------


def test_init_writes_a_pre_commit_hook_pinned_like_the_workflows(tmp_path: Path) -> None:
    spec = "postmortem-kb @ git+https://git.example.org/sec/postmortem-kb@v0.2.0"
    assert run_cli("init", str(tmp_path / "kb"), "--tool-source", spec).exit_code == 0
    config = load_yaml(tmp_path / "kb" / ".pre-commit-config.yaml")
    (repo,) = config["repos"]
    (hook,) = repo["hooks"]
    assert repo["repo"] == "local"
    assert (
        hook["additional_dependencies"] == [spec] == list(installed_requirements(tmp_path / "kb"))
    )
    (published,) = load_yaml(REPO / ".pre-commit-hooks.yaml")
    for key in ("id", "name", "entry", "language", "files", "require_serial"):
        assert hook[key] == published[key], key
    files = re.compile(hook["files"])
    assert files.search("postmortems/2026/PM-2026-001-ci-token.md")
    assert not files.search("postmortems/templates/security.md")
    assert not files.search("postmortems/2026/PM-2026-001/evidence.md")


def test_init_writes_the_guide_and_a_readme(kb: Path) -> None:
    guide = kb / "postmortems" / "guide" / "index.md"
    assert guide.read_text(encoding="utf-8") == (
        REPO / "postmortems" / "guide" / "index.md"
    ).read_text(encoding="utf-8")
    readme = (kb / "README.md").read_text(encoding="utf-8")
    for words in (
        "postmortem new",
        "postmortem check",
        "pull request",
        "in-review",
        "published",
        "archived",
        "postmortems/guide/index.md",
    ):
        assert words in readme, words


def test_init_keeps_a_readme_that_is_there(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("# Our security team\n", encoding="utf-8")
    result = run_cli("init", ".", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "README.md").read_text(encoding="utf-8") == "# Our security team\n"
    assert "kept    README.md" in result.output
    (tmp_path / "mkdocs.yml").unlink()
    (tmp_path / "README.md").unlink()
    again = run_cli("init", ".", cwd=tmp_path)  # everything else still refuses
    assert again.exit_code == 2 and "refusing to overwrite" in again.stderr


def test_the_initialised_site_builds_strict_with_the_guide(kb: Path) -> None:
    built = run_cli("-C", str(kb), "build", "--strict", "--site-dir", str(kb / "site"))
    assert built.exit_code == 0, built.output + built.stderr
    assert (kb / "site" / "guide" / "index.html").is_file()


# --- the owner offered is a team from CODEOWNERS, never a person ---------------------------


def test_codeowners_teams_for_the_docs_come_first(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github" / "CODEOWNERS").write_text(
        "# owners\n*.py  @acme/platform\n/postmortems/  @acme/security-review @jdoe "
        "ada@example.com\n/postmortems/templates/ @acme/security-leads\n"
        "/.github/ @your-org/security-leads\n",
        encoding="utf-8",
    )
    kb = tmp_path / "kb"
    kb.mkdir()
    assert codeowner_teams(kb) == [
        "@acme/security-review",
        "@acme/security-leads",
        "@acme/platform",
    ]


def test_no_codeowners_offers_no_team(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    assert codeowner_teams(tmp_path) == []


def _answer_on_a_terminal(
    kb: Path, answers: list[str], env: dict[str, str], git: bool = False
) -> str:
    exe = Path(sys.executable).parent / "postmortem"
    args = [
        str(exe),
        "new",
        "--type",
        "phishing",
        "--severity",
        "SEV3",
        "--title",
        "Invoice phishing",
        "--occurred",
        "2026-02-03T04:05:00Z",
    ]
    pid, fd = pty.fork()
    if pid == 0:  # the child: a real terminal on stdin and stdout
        os.chdir(kb)
        os.execve(str(exe), args if git else [*args, "--no-git"], env)
    pending = iter(answers)
    output = b""
    while True:
        ready, _, _ = select.select([fd], [], [], 30)
        if not ready:
            break
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
        if chunk.rstrip().endswith(b":"):
            os.write(fd, next(pending, "\n").encode())
    os.waitpid(pid, 0)
    return output.decode(errors="replace")


def test_the_owner_prompt_offers_the_codeowners_team(kb: Path) -> None:
    (kb / ".github" / "CODEOWNERS").write_text(
        "/postmortems/ @acme/security-review\n", encoding="utf-8"
    )
    text = _answer_on_a_terminal(kb, ["\n"], dict(os.environ))
    assert "Owner: the team or role that drives it [@acme/security-review]:" in text
    (path,) = (kb / "postmortems" / "2026").glob("PM-2026-001-*.md")
    assert 'owner: "@acme/security-review"' in path.read_text(encoding="utf-8")


def test_the_owner_prompt_never_offers_a_person(kb: Path, tmp_path: Path) -> None:
    (kb / ".github" / "CODEOWNERS").unlink()
    config = tmp_path / "gitconfig"
    config.write_text(
        "[user]\n\tname = Ada Responder\n\temail = ada@example.com\n"
        "[init]\n\tdefaultBranch = main\n",
        encoding="utf-8",
    )
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("GIT_")},
        "GIT_CONFIG_GLOBAL": str(config),
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "Knowledge base"]):
        subprocess.run(["git", *args], cwd=kb, env=env, check=True)
    # git knows the author's name; an empty answer is not taken: there is no default.
    text = _answer_on_a_terminal(kb, ["\n", "Fraud Operations\n"], env, git=True)
    assert "Ada" not in text
    assert text.count("Owner: the team or role that drives it:") == 2
    (path,) = (kb / "postmortems" / "2026").glob("PM-2026-001-*.md")
    assert 'owner: "Fraud Operations"' in path.read_text(encoding="utf-8")
