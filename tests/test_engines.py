"""Fail closed in any engine: a knowledge base written by `postmortem init` publishes no
post-mortem when built by an engine that does not run the `postmortems` plugin (Zensical
reads mkdocs.yml and skips plugins it does not know), because its mkdocs.yml keeps the year
folders out of the docs and only the plugin takes them back in."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, run_cli
from test_site_support import leaks, output_texts, write_kb

ZENSICAL = shutil.which("zensical", path=str(Path(sys.executable).parent)) or shutil.which(
    "zensical"
)
IN_CI = bool(os.environ.get("CI"))
# Every marker of every post-mortem of the fixture knowledge base, whatever its visibility.
ALL_POSTMORTEMS = (
    "PM-2026-001",
    "PM-2026-002",
    "PM-2026-003",
    "PM-2026-004",
    "zzpublicbody",
    "zzinternalbody",
    "zzrestrictedbody",
    "zzrestrictedblock",
    "zzpublicattachment",
    "zzrestrictedattachment",
)


def zensical_build(root: Path) -> Path:
    if ZENSICAL is None:
        if IN_CI:
            pytest.fail("zensical is not installed (it is in the [test] extra)")
        pytest.skip("zensical is not installed here (pip install zensical); CI runs this")
    done = subprocess.run(
        [ZENSICAL, "build"], cwd=root, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return root / "site"


def test_zensical_publishes_no_post_mortem_of_a_new_knowledge_base(tmp_path):
    root = write_kb(tmp_path / "kb")
    site = zensical_build(root)
    texts = output_texts(site)
    assert any(rel.endswith(".html") for rel in texts), "Zensical built nothing"
    assert leaks(texts, ALL_POSTMORTEMS) == []


def test_zensical_would_publish_everything_without_the_exclusion(tmp_path):
    """The test above can fail: take the line out and Zensical publishes every post-mortem."""
    root = write_kb(tmp_path / "kb")
    config = root / "mkdocs.yml"
    text = config.read_text(encoding="utf-8")
    assert "  /[0-9][0-9][0-9][0-9]/\n" in text
    config.write_text(text.replace("  /[0-9][0-9][0-9][0-9]/\n", ""), encoding="utf-8")
    site = zensical_build(root)
    assert "zzrestrictedbody" in {
        f.split(" in ")[0] for f in leaks(output_texts(site), ALL_POSTMORTEMS)
    }


def test_the_repository_and_the_skeleton_keep_the_year_folders_out():
    for path in (REPO / "mkdocs.yml", REPO / "tooling/postmortem_kb/templates/skeleton/mkdocs.yml"):
        assert "  /[0-9][0-9][0-9][0-9]/\n" in path.read_text(encoding="utf-8"), path


def test_an_old_mkdocs_yml_gets_a_message_to_adopt_it(tmp_path):
    root = write_kb(tmp_path / "kb")
    config = root / "mkdocs.yml"
    config.write_text(
        config.read_text(encoding="utf-8").replace("  /[0-9][0-9][0-9][0-9]/\n", ""),
        encoding="utf-8",
    )
    result = run_cli(
        "build", "-C", str(root), "--site-dir", str(tmp_path / "site"), "--audience", "public"
    )
    assert result.exit_code == 0, result.stderr
    assert "/[0-9][0-9][0-9][0-9]/" in result.stderr and "Zensical" in result.stderr
    # The plugin still builds the audience's post-mortems either way.
    assert leaks(output_texts(tmp_path / "site"), ("zzpublicbody",))


PROPERDOCS = shutil.which("properdocs", path=str(Path(sys.executable).parent))


def test_properdocs_builds_exactly_what_mkdocs_builds(tmp_path):
    """ProperDocs keeps the plugin API: the same site, byte for byte, but the generator tag;
    and the same audience cut (the public site holds nothing restricted)."""
    if PROPERDOCS is None:
        if IN_CI:
            pytest.fail("properdocs is not installed (it is in the [test] extra)")
        pytest.skip("properdocs is not installed here (pip install properdocs); CI runs this")
    root = write_kb(tmp_path / "kb")
    env = {
        **os.environ,
        "POSTMORTEM_AUDIENCE": "public",
        "SOURCE_DATE_EPOCH": "1790812800",
        "NO_MKDOCS_2_WARNING": "1",
    }
    mkdocs = str(Path(sys.executable).parent / "mkdocs")
    for tool, site in ((PROPERDOCS, "site-properdocs"), (mkdocs, "site-mkdocs")):
        done = subprocess.run(
            [tool, "build", "-q", "-f", "mkdocs.yml", "-d", site],
            cwd=root,
            capture_output=True,
            text=True,
            env=env,
            timeout=600,
        )
        assert done.returncode == 0, done.stdout + done.stderr

    def files(site: Path) -> dict[str, bytes]:
        out = {}
        for path in sorted(site.rglob("*")):
            if path.is_file():
                data = path.read_bytes()
                out[path.relative_to(site).as_posix()] = b"\n".join(
                    line for line in data.split(b"\n") if b'name="generator"' not in line
                )
        return out

    ours, theirs = files(root / "site-properdocs"), files(root / "site-mkdocs")
    assert sorted(ours) == sorted(theirs)
    assert [name for name in ours if ours[name] != theirs[name]] == []
    texts = output_texts(root / "site-properdocs")
    assert leaks(texts, ("zzrestrictedbody", "zzinternalbody", "zzrestrictedblock")) == []
    assert leaks(texts, ("zzpublicbody",))
