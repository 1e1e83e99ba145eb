"""Material's navigation partials rendered once per year folder (mkdocs/shared_partials.py):
the site is byte for byte the one rendered page by page, with a nav of its own or not."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import run_cli
from postmortem_kb.mkdocs import shared_partials
from test_site_support import write_kb

EPOCH = "1790812800"


def _site(root: Path, site: Path) -> dict[str, bytes]:
    result = run_cli("build", "-C", str(root), "--site-dir", str(site), "--audience", "restricted")
    assert result.exit_code == 0, result.stderr
    return {
        p.relative_to(site).as_posix(): p.read_bytes()
        for p in sorted(site.rglob("*.html"))
        if "pagefind" not in p.parts
    }


@pytest.mark.parametrize("nav", ["generated", "own nav linking a post-mortem"])
def test_shared_navigation_is_the_page_by_page_one(tmp_path, monkeypatch, nav):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    root = write_kb(tmp_path / "kb")
    if nav != "generated":
        config = root / "mkdocs.yml"
        config.write_text(
            config.read_text(encoding="utf-8")
            + "nav:\n  - index.md\n  - 2026/PM-2026-002-zzinternalslug.md\n",
            encoding="utf-8",
        )
    renders: list[str] = []
    original = shared_partials._once_per_key

    def counted(render, key):  # type: ignore[no-untyped-def]
        def counting(context):  # type: ignore[no-untyped-def]
            renders.append(context["page"].file.src_uri if context.get("page") else "")
            return render(context)

        return original(counting, key)

    monkeypatch.setattr(shared_partials, "_once_per_key", counted)
    shared = _site(root, tmp_path / "shared")
    monkeypatch.setattr(shared_partials, "share", lambda *args: None)
    alone = _site(root, tmp_path / "alone")
    assert shared.keys() == alone.keys() and len(shared) > 5
    assert [k for k in shared if shared[k] != alone[k]] == []
    postmortems = [u for u in renders if u.startswith("2026/PM-")]
    if nav == "generated":
        # Four post-mortems of 2026 in the restricted build, two partials: rendered once each.
        assert len(postmortems) == 2
    else:
        # The nav links into 2026/: nothing shared there, every page rendered on its own.
        assert len(postmortems) == 2 * 3
