"""What a maintainer expects of the distribution: one version, a licence, a changelog, the
Python versions CI tests, and this repository's own pre-commit hooks."""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from typing import Any

import yaml

import postmortem_kb
from conftest import REPO, run_cli

PYPROJECT: dict[str, Any] = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))
PROJECT: dict[str, Any] = PYPROJECT["project"]


def test_the_version_is_written_once() -> None:
    assert "version" not in PROJECT and "version" in PROJECT["dynamic"]
    assert PYPROJECT["tool"]["setuptools"]["dynamic"]["version"] == {
        "attr": "postmortem_kb.__version__"
    }
    assert metadata.version("postmortem-kb") == postmortem_kb.__version__
    shown = run_cli("--version").output
    assert postmortem_kb.__version__ in shown
    written = [
        p
        for p in (REPO / "tooling").rglob("*.py")
        if re.search(r"^__version__\s*=", p.read_text("utf-8"), re.M)
    ]
    assert [p.name for p in written] == ["__init__.py"]


def test_licence_and_metadata() -> None:
    assert PROJECT["license"] == "MIT"
    assert (REPO / "LICENSE").read_text("utf-8").startswith("MIT License")
    meta = metadata.metadata("postmortem-kb")
    classifiers = meta.get_all("Classifier") or []
    assert "Typing :: Typed" in classifiers and (REPO / "tooling/postmortem_kb/py.typed").exists()
    assert any(c.startswith("Topic :: Security") for c in classifiers)


def test_python_versions_are_the_ones_ci_tests() -> None:
    workflow = yaml.safe_load((REPO / ".github/workflows/tests.yml").read_text("utf-8"))
    tested = workflow["jobs"]["test"]["strategy"]["matrix"]["python-version"]
    assert PROJECT["requires-python"] == f">={tested[0]}"
    declared = [
        c.rsplit(" ", 1)[-1]
        for c in PROJECT["classifiers"]
        if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)
    ]
    assert declared == tested
    assert PYPROJECT["tool"]["ruff"]["target-version"] == "py" + tested[0].replace(".", "")
    assert PYPROJECT["tool"]["mypy"]["python_version"] == tested[0]


def test_the_changelog_has_a_place_for_the_next_change() -> None:
    text = (REPO / "CHANGELOG.md").read_text("utf-8")
    assert "## [Unreleased]" in text
    assert f"## [{postmortem_kb.__version__}]" in text


def test_this_repository_runs_its_own_linters_before_commits() -> None:
    config = yaml.safe_load((REPO / ".pre-commit-config.yaml").read_text("utf-8"))
    entries = [h["entry"] for repo in config["repos"] for h in repo["hooks"]]
    assert any("ruff check" in e for e in entries)
    assert any("mypy" in e for e in entries)
    assert any("postmortem check" in e for e in entries)
