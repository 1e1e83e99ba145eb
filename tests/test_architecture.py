"""The shape the project promises: a core that imports neither click nor MkDocs, typed."""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "tooling" / "postmortem_kb"
CORE = [*sorted((PACKAGE / "core").glob("*.py")), PACKAGE / "git.py"]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_core_imports_neither_click_nor_mkdocs() -> None:
    for path in CORE:
        assert not imported_modules(path) & {"click", "mkdocs", "material"}, path.name


def test_only_git_py_talks_to_git() -> None:
    for path in PACKAGE.rglob("*.py"):
        if path.name != "git.py":
            assert "git" not in imported_modules(path), path


def test_package_is_strictly_typed() -> None:
    """mypy with the repository's settings (pyproject.toml: strict, the whole package)."""
    root = PACKAGE.parent.parent
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-error-summary"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_settings_are_strict() -> None:
    settings = tomllib.loads((PACKAGE.parent.parent / "pyproject.toml").read_text("utf-8"))
    mypy = settings["tool"]["mypy"]
    assert mypy["strict"] is True
    assert "tooling/postmortem_kb" in mypy["files"]
