"""The theme ships with the package: `init` copies none of it, the plugin adds it, a team's
overrides win, and a knowledge base made by an older `init` (with copies) still builds and
gets the new theme."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from conftest import FIXTURES, REPO, complete_postmortem_text
from postmortem_kb.mkdocs import theme
from test_site_support import build

OLD = FIXTURES / "old_overrides"  # overrides/ as the last `init` before this change wrote it
PACKAGE_CSS = (theme.THEME_DIR / theme.CSS).read_bytes()


def add_postmortem(kb: Path) -> Path:
    year = kb / "postmortems" / "2026"
    year.mkdir(parents=True, exist_ok=True)
    path = year / "PM-2026-001-leaked-token.md"
    path.write_text(
        complete_postmortem_text("PM-2026-001", "published", "public"), encoding="utf-8"
    )
    return path


def incident_page(site: Path) -> str:
    return next(site.glob("2026/PM-2026-001-*/index.html")).read_text(encoding="utf-8")


def test_init_copies_no_theme_and_the_site_uses_the_package_theme(kb: Path, tmp_path: Path):
    assert sorted(p.name for p in (kb / "overrides").rglob("*") if p.is_file()) == ["README.md"]
    add_postmortem(kb)
    site = build(kb, tmp_path / "site", "--strict")
    assert (site / theme.CSS).read_bytes() == PACKAGE_CSS
    html = incident_page(site)
    for asset in (theme.CSS, theme.LIBRARY_JS, theme.SEARCH_JS):
        assert f"../../{asset}" in html
    assert html.count("data-pagefind-body") == 1
    assert "pm-blameless" in html  # the footer of the package's postmortems.html


def test_knowledge_base_made_before_the_change_builds_with_the_new_theme(kb: Path, tmp_path: Path):
    shutil.copytree(OLD, kb / "overrides", dirs_exist_ok=True)
    stale, own = theme.overridden(str(kb / "overrides"))
    assert (
        stale
        == ["assets/postmortems/library.js", "assets/postmortems/postmortems.css", "main.html"]
        and own == []
    )
    add_postmortem(kb)
    site = build(kb, tmp_path / "site", "--strict")
    assert (site / theme.CSS).read_bytes() == PACKAGE_CSS  # upgraded, not the old copy
    html = incident_page(site)
    assert f"../../{theme.SEARCH_JS}" in html
    assert html.count("data-pagefind-body") == 1 and "pm-blameless" in html


def test_a_changed_old_copy_is_the_teams_own_and_still_wins(kb: Path, tmp_path: Path):
    shutil.copytree(OLD, kb / "overrides", dirs_exist_ok=True)
    main = kb / "overrides" / "main.html"
    main.write_text(
        main.read_text(encoding="utf-8").replace(
            "{% block content %}",
            "{% block announce %}zzteamannounce{% endblock %}\n{% block content %}",
        ),
        encoding="utf-8",
    )
    assert theme.overridden(str(kb / "overrides"))[1] == ["main.html"]
    add_postmortem(kb)
    site = build(kb, tmp_path / "site", "--strict")
    html = incident_page(site)
    assert "zzteamannounce" in html and "pm-blameless" in html


def test_a_teams_override_extends_the_package_page_and_wins(kb: Path, tmp_path: Path):
    (kb / "overrides" / "main.html").write_text(
        '{% extends "postmortems.html" %}\n{% block announce %}zzteamannounce{% endblock %}\n',
        encoding="utf-8",
    )
    css = kb / "overrides" / "assets" / "postmortems" / "postmortems.css"
    css.parent.mkdir(parents=True)
    css.write_text("/* zzteamcss */\n", encoding="utf-8")
    add_postmortem(kb)
    site = build(kb, tmp_path / "site", "--strict")
    html = incident_page(site)
    assert "zzteamannounce" in html
    assert html.count("data-pagefind-body") == 1 and "pm-blameless" in html
    assert (site / theme.CSS).read_text(encoding="utf-8") == "/* zzteamcss */\n"


def test_the_repository_keeps_no_copy_of_the_theme():
    assert sorted(p.name for p in (REPO / "overrides").rglob("*") if p.is_file()) == ["README.md"]


def test_the_wheel_ships_the_theme(tmp_path: Path):
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(REPO)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    wheel = next(tmp_path.glob("postmortem_kb-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {f"postmortem_kb/theme/{rel}" for rel in theme.theme_files()}
    assert {
        "postmortem_kb/theme/main.html",
        "postmortem_kb/theme/postmortems.html",
        f"postmortem_kb/theme/{theme.CSS}",
        f"postmortem_kb/theme/{theme.SEARCH_JS}",
    } <= shipped
    assert shipped <= names
    assert not any(n.startswith("postmortem_kb/templates/skeleton/overrides/assets") for n in names)
