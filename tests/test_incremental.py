"""The live preview's incremental rebuilds (issue 13, Deliver 1): after each edit, addition,
deletion, rename and visibility change, the site `serve` holds is, byte for byte, the one a
full build of the same sources writes; a template change rebuilds everything.

`serve` runs for real (MkDocs' serve command, our plugin, Pagefind); only the web server's
loop is replaced by the steps of the test, which call the builder the file watcher calls.
The full builds to compare with run in another process, from the same files.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from mkdocs.commands.serve import serve
from mkdocs.livereload import LiveReloadServer

from postmortem_kb.mkdocs.incremental import Preview, _closure

REPO = Path(__file__).resolve().parent.parent
URL = "http://127.0.0.1:8765/"
FULL_BUILD = """
import sys
from mkdocs.commands.build import build
from mkdocs.config import load_config
config = load_config(config_file=sys.argv[1], site_dir=sys.argv[2])
config.plugins.on_startup(command="serve", dirty=False)
config.site_url = sys.argv[3]
try:
    build(config, serve_url=sys.argv[3])
finally:
    config.plugins.on_shutdown()
"""


@pytest.fixture
def kb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The repository's sample knowledge base: post-mortems of every visibility and status,
    attachments, related incidents, guides."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1790812800")
    monkeypatch.setenv("NO_MKDOCS_2_WARNING", "1")
    for var in ("POSTMORTEM_AUDIENCE", "POSTMORTEM_DRAFTS"):
        monkeypatch.delenv(var, raising=False)
    root = tmp_path / "kb"
    root.mkdir()
    shutil.copy(REPO / "mkdocs.yml", root / "mkdocs.yml")
    shutil.copytree(REPO / "overrides", root / "overrides")
    shutil.copytree(REPO / "postmortems", root / "postmortems")
    return root


def tree(site: Path) -> dict[str, bytes]:
    return {
        p.relative_to(site).as_posix(): p.read_bytes()
        for p in sorted(site.rglob("*"))
        if p.is_file()
    }


def full_build(root: Path, out: Path) -> dict[str, bytes]:
    shutil.rmtree(out, ignore_errors=True)
    done = subprocess.run(
        [sys.executable, "-c", FULL_BUILD, str(root / "mkdocs.yml"), str(out), URL],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return tree(out)


def assert_same(incremental: dict[str, bytes], full: dict[str, bytes]) -> None:
    missing = sorted(set(full) - set(incremental))
    extra = sorted(set(incremental) - set(full))
    differ = sorted(k for k in set(full) & set(incremental) if full[k] != incremental[k])
    assert (missing, extra, differ) == ([], [], [])


def run_serve(root: Path, steps: Callable[[Callable[[], None], Preview, Path], None]) -> None:
    """`mkdocs serve` on ROOT, with STEPS in place of the web server's loop."""

    def loop(server: LiveReloadServer, open_in_browser: bool = False) -> None:
        preview = _closure(server.builder).get("self")
        assert isinstance(preview, Preview), "the plugin did not put its builder in place"

        def rebuild() -> None:
            server.builder()
            preview.wait()

        steps(rebuild, preview, Path(server.root))

    original = LiveReloadServer.serve
    LiveReloadServer.serve = loop  # type: ignore[method-assign]
    try:
        serve(config_file=str(root / "mkdocs.yml"), livereload=True, dev_addr="127.0.0.1:8765")
    finally:
        LiveReloadServer.serve = original  # type: ignore[method-assign]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_incremental_preview_equals_full_build_after_each_change(kb: Path, tmp_path: Path):
    docs = kb / "postmortems"
    year = docs / "2026"
    first = year / "PM-2026-002-payments-gateway-ddos.md"
    other = year / "PM-2026-008-supplier-invoice-phishing.md"
    seen: list[tuple[str, str, list[str]]] = []
    pages: dict[str, set[str]] = {}

    def steps(rebuild: Callable[[], None], preview: Preview, site: Path) -> None:
        def check(what: str) -> dict[str, bytes]:
            rebuild()
            seen.append((what, preview.mode, list(preview.rendered)))
            now = tree(site)
            pages[what] = {p for p in now if p.startswith("20") and p.endswith("/index.html")}
            assert_same(now, full_build(kb, tmp_path / "full"))
            return now

        untouched = site / "2026" / "PM-2026-008-supplier-invoice-phishing" / "index.html"
        before = untouched.stat().st_mtime_ns
        # An edit of the title: its page, the home table, the indexes, related pages.
        edit(first, "title: ", "title: Zzedited ")
        check("edit")
        assert untouched.stat().st_mtime_ns == before  # not rendered again
        # A new post-mortem, copied from another with a new id.
        added = year / "PM-2026-090-zzadded.md"
        text = other.read_text(encoding="utf-8").replace("PM-2026-008", "PM-2026-090")
        added.write_text(text, encoding="utf-8")
        check("add")
        # A rename.
        renamed = year / "PM-2026-090-zzrenamed.md"
        added.rename(renamed)
        check("rename")
        # A visibility change: public -> restricted, out of the internal preview.
        edit(first, "visibility: public", "visibility: restricted")
        check("visibility")
        edit(first, "visibility: restricted", "visibility: public")
        check("visibility back")
        # A deletion.
        renamed.unlink()
        check("delete")
        # A body edit that breaks a rule: still shown, still the same as a full build.
        edit(other, "## Summary", "## Summary\n\nTODO zzbody edit\n")
        check("body")
        # An attachment (not a post-mortem): a full build; then an edit beside it.
        (year / "PM-2026-008").mkdir()
        (year / "PM-2026-008" / "zzlog.txt").write_text("a log line\n", encoding="utf-8")
        edit(other, "## Summary\n", "## Summary\n\nThe [log](PM-2026-008/zzlog.txt).\n")
        check("attachment")
        edit(other, "title: ", "title: Zzagain ")
        check("after attachment")
        # A guide page: a full build.
        edit(docs / "guide" / "index.md", "\n", "\nZzguide edit.\n")
        check("guide")
        # A template change: everything again.
        custom = kb / "overrides" / "main.html"
        if custom.exists():
            custom.write_text(custom.read_text(encoding="utf-8") + "\n", encoding="utf-8")
        else:
            (kb / "mkdocs.yml").write_text(
                (kb / "mkdocs.yml").read_text(encoding="utf-8") + "\n# zz\n", encoding="utf-8"
            )
        check("template")

    run_serve(kb, steps)
    modes = {what: mode for what, mode, _ in seen}
    assert modes == {
        "edit": "incremental",
        "add": "incremental",
        "rename": "incremental",
        "visibility": "incremental",
        "visibility back": "incremental",
        "delete": "incremental",
        "body": "incremental",
        "attachment": "full",
        "after attachment": "incremental",
        "guide": "full",
        "template": "full",
    }
    rendered = {what: pages for what, _, pages in seen}
    assert rendered["body"] == ["2026/PM-2026-008-supplier-invoice-phishing.md"]
    assert len(rendered["template"]) == len(pages["template"]) > 5


def test_what_it_withholds_changes_so_every_file_is_scanned_again(
    kb: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
):
    """A file the incremental build does not write again names a post-mortem that a
    visibility change has just withheld: the output scan of every file catches it, as a
    full build's does, and the site folder is emptied. Without the file, the same change
    builds."""
    notes = kb / "postmortems" / "assets" / "notes.txt"
    notes.parent.mkdir()
    notes.write_text("see PM-2026-002 for the details\n", encoding="utf-8")
    target = kb / "postmortems" / "2026" / "PM-2026-002-payments-gateway-ddos.md"
    outcome: list[str] = []

    def steps(rebuild: Callable[[], None], preview: Preview, site: Path) -> None:
        assert (site / "assets" / "notes.txt").exists()  # shown: no leak yet
        edit(target, "visibility: public", "visibility: restricted")
        with pytest.raises(Exception, match="Aborted"):
            rebuild()
        said = "\n".join(r.getMessage() for r in caplog.records if r.levelname == "ERROR")
        assert "wrote what it withholds" in said
        assert 'the id of PM-2026-002 ("pm-2026-002") in assets/notes.txt' in said
        assert not any(site.iterdir())  # emptied
        outcome.append(preview.planned)
        # The file gone, the next build (a full one: the last failed) succeeds.
        notes.unlink()
        rebuild()
        outcome.append(preview.planned)
        assert_same(tree(site), full_build(kb, tmp_path / "full"))

    run_serve(kb, steps)
    assert outcome == ["incremental", "full"]


def test_with_materials_search_plugin_every_save_rebuilds_everything(kb: Path):
    """Material's search plugin reads pages only as they are written: an incremental build
    would lose the kept pages from its index, so a knowledge base that uses it gets full
    builds. Without it (the default, Pagefind), the same save is incremental."""
    config = kb / "mkdocs.yml"
    target = kb / "postmortems" / "2026" / "PM-2026-008-supplier-invoice-phishing.md"
    planned: list[str] = []

    def steps(rebuild: Callable[[], None], preview: Preview, site: Path) -> None:
        edit(target, "title: ", "title: Zzone ")
        rebuild()
        planned.append(preview.planned)
        edit(config, "plugins:\n", "plugins:\n  - search\n")
        rebuild()
        planned.append(preview.planned)
        edit(target, "title: ", "title: Zztwo ")
        rebuild()
        planned.append(preview.planned)
        page = site / "2026" / "PM-2026-008-supplier-invoice-phishing" / "index.html"
        assert "Zztwo" in page.read_text(encoding="utf-8")

    run_serve(kb, steps)
    assert planned == ["incremental", "full", "full"]


def test_an_editors_swap_and_lock_files_do_not_rebuild_everything(kb: Path, tmp_path: Path):
    """Vim rewrites `.x.md.swp` as the author types, Emacs makes `.#x.md` on the first
    change: both are left out of the site (a dot name), so the save that follows is still
    incremental, a swap file rewritten alone rebuilds nothing, and the site is the same as a
    full build's. Any other new file (here `.pages`, which a navigation plugin reads)
    rebuilds everything."""
    year = kb / "postmortems" / "2026"
    target = year / "PM-2026-008-supplier-invoice-phishing.md"
    planned: list[str] = []

    def steps(rebuild: Callable[[], None], preview: Preview, site: Path) -> None:
        (year / f".{target.name}.swp").write_bytes(b"b0VIM 9.1\x00swap")
        (year / f".#{target.name}").symlink_to("author@laptop.4242:1790000000")
        edit(target, "title: ", "title: Zzswap ")
        rebuild()
        planned.append(preview.planned)
        (year / f".{target.name}.swp").write_bytes(b"b0VIM 9.1\x00swap, typed on")
        page = site / "2026" / "PM-2026-008-supplier-invoice-phishing" / "index.html"
        written = page.stat().st_mtime_ns
        rebuild()
        planned.append(preview.planned)
        assert page.stat().st_mtime_ns == written  # not written again
        (year / ".pages").write_text("nav: []\n", encoding="utf-8")
        rebuild()
        planned.append(preview.planned)
        assert_same(tree(site), full_build(kb, tmp_path / "full"))

    run_serve(kb, steps)
    assert planned == ["incremental", "none", "full"]
