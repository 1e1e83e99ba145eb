"""The Pagefind index, fed page by page while MkDocs renders (mkdocs/search_index.py): the
same fragments `pagefind --site` makes of the finished site, the same bundle on every build,
and a build that still succeeds, with a warning, when Pagefind cannot run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from test_site_support import build, pagefind_site, write_kb

EPOCH = "1790812800"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("search-index")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", EPOCH)
        root = write_kb(tmp / "kb")
        first = build(root, tmp / "site-1", "--strict", "--audience", "restricted")
        second = build(root, tmp / "site-2", "--strict", "--audience", "restricted")
    return {"root": root, "first": first, "second": second, "tmp": tmp}


def _files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_the_fragments_are_those_pagefind_makes_of_the_finished_site(built):
    """Every page a reader can find, with the same URL, title and text: the fragments (one
    per page) are byte for byte those of `pagefind --site` over the same HTML."""
    site = built["first"]
    ours, theirs = site / "pagefind", pagefind_site(site, built["tmp"])
    assert _files(ours / "fragment") == _files(theirs / "fragment")
    assert len(_files(ours / "fragment")) >= 4  # post-mortems and the guide
    count = json.loads((ours / "pagefind-entry.json").read_text())["languages"]["en"]
    assert count["page_count"] == len(_files(ours / "fragment"))
    assert {n for n in _files(ours) if not n.startswith(("index/", "fragment/"))} - {
        n for n in _files(theirs) if not n.startswith(("index/", "fragment/"))
    } <= {n for n in _files(ours) if n.endswith(".pf_meta")}


def test_every_build_writes_the_same_bundle(built):
    """Pages are fed in MkDocs' build order, the rest sorted: no file-system order, no
    race between pages, so the bundle (index chunks included) is the same bytes."""
    first = _files(built["first"] / "pagefind")
    assert first and first == _files(built["second"] / "pagefind")


def test_a_build_without_pagefind_warns_and_still_writes_the_site(tmp_path, monkeypatch):
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(tmp_path / "no-such-pagefind"))
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    from conftest import run_cli

    root = write_kb(tmp_path / "kb")
    site = tmp_path / "site"
    result = run_cli("build", "-C", str(root), "--site-dir", str(site))
    assert result.exit_code == 0, result.stderr
    assert "the site has no search index: Pagefind failed" in result.stderr
    assert (site / "index.html").is_file() and not (site / "pagefind").exists()
    strict = run_cli("build", "-C", str(root), "--site-dir", str(tmp_path / "s2"), "--strict")
    assert strict.exit_code == 1  # a site without its search is not published by CI


def test_checks_in_a_forked_process_report_what_check_reports(tmp_path):
    """The build's checks run in a forked process while the pages are prepared: the same
    findings as `postmortem check`, errors included, and the same parses for the pages."""
    from postmortem_kb.core.config import load_config
    from postmortem_kb.core.knowledge_base import check, load_and_check, load_then_check

    root = write_kb(tmp_path / "kb")
    broken = root / "postmortems" / "2026" / "PM-2026-009-broken.md"
    broken.write_text("---\nid: PM-2026-009\nvisibility: public\n---\n# x\n", encoding="utf-8")
    config = load_config(root)
    forked, report = load_then_check(config, background=True, from_files=1)
    here, same = load_and_check(config)
    expected = check(config, jobs=1)
    got = report()
    assert got.findings and got.findings == same.findings == expected.findings
    assert any(f.path.endswith("PM-2026-009-broken.md") for f in got.findings)
    assert got.paths == expected.paths and got.files == expected.files
    assert [pm.path for pm in forked] == [pm.path for pm in here]
