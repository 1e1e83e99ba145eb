"""The live preview's incremental rebuild (issue 13, Deliver 1).

In `serve` (`postmortem serve` or `mkdocs serve`) the plugin instance lives across rebuilds.
After a save, the preview's builder compares every file it watches (the docs folder, the
configuration, the theme's custom folder, `watch:` entries) with what the last good build
read, by content. When only post-mortems changed (added, edited, deleted, renamed), it runs
MkDocs' own build in its `dirty` mode with the plugin deciding which pages are rebuilt:

- every post-mortem is parsed and checked again only if its bytes changed (`core.incremental`);
  the plugin then works out everything as in a full build (audience views, entries, related
  links, generated pages, the leak scan's needles);
- a post-mortem page is rendered again when what MkDocs renders it from changed: its
  Markdown, its page data (header, banner, footer, related links, history), its URL; or
  when a file was added or removed whose name its Markdown mentions (a link that now
  resolves, or no longer does);
- every other page (home, guides, indexes, tracker, metrics, search) is rendered again, so
  are the theme's pages; files of the last build that are no longer in the site are removed;
- if a navigation title changed or a Material tags listing is anywhere, every page is
  rendered again;
- the output scan runs on every file the build wrote; on every file of the site if its
  needles changed;
- Pagefind indexes the whole site again, in MkDocs' page order, from the files as written,
  after the page is served (in a background thread; the next build waits for it), and the
  new bundle replaces the old one only after the scan passes.

Anything else (a template, mkdocs.yml, an attachment, a guide page, a first build, a failed
build) is a full rebuild, as before. The result is the tree a full build writes
(tests/test_incremental.py compares them byte for byte).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import jinja2
import jinja2.bccache
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.plugins import get_plugin_logger
from mkdocs.structure.files import Files

from ..core import library, search_facets
from ..core.incremental import EDITOR_FILE, FileMemo, tree_digests
from ..core.knowledge_base import load_then_check
from ..core.leaks import readable, site_files
from .search_index import LiveIndex, PagefindError, write_bundle

log = get_plugin_logger("postmortems")
_POSTMORTEM = re.compile(r"\d{4}/[^/]+\.md")
TAGS_LISTING = "material/tags"  # Material's tags listing marker (its default directive)


# What the incremental build knows it keeps right: plugins that see every page through the
# events it still runs (Material's search plugin, for one, reads pages only as they are
# written, so its index would lose the pages kept), and Markdown extensions that read
# nothing but the page (pymdownx.snippets reads other files).
SAFE_PLUGINS = {"postmortems", "tags", "material/tags"}
SAFE_EXTENSIONS = {
    *(
        f"{prefix}{name}"
        for prefix in ("", "markdown.extensions.")
        for name in (
            "abbr",
            "admonition",
            "attr_list",
            "def_list",
            "extra",
            "fenced_code",
            "footnotes",
            "legacy_attrs",
            "legacy_em",
            "md_in_html",
            "meta",
            "nl2br",
            "sane_lists",
            "smarty",
            "tables",
            "toc",
            "wikilinks",
            "codehilite",
        )
    ),
    *(
        f"pymdownx.{name}"
        for name in (
            "arithmatex",
            "betterem",
            "blocks.admonition",
            "blocks.details",
            "blocks.tab",
            "caret",
            "critic",
            "details",
            "emoji",
            "escapeall",
            "highlight",
            "inlinehilite",
            "keys",
            "magiclink",
            "mark",
            "progressbar",
            "saneheaders",
            "smartsymbols",
            "superfences",
            "tabbed",
            "tasklist",
            "tilde",
        )
    ),
    "material.extensions.emoji",
}


def unsafe_parts(config: MkDocsConfig) -> list[str]:
    """The plugins and Markdown extensions of CONFIG that an incremental build may not keep
    right: with any, every save rebuilds everything."""
    from ..core.audience_markdown import AudienceExtension

    found = [f"plugin {name}" for name in config.plugins if name not in SAFE_PLUGINS]
    for ext in config.markdown_extensions:
        if isinstance(ext, AudienceExtension):
            continue
        if not isinstance(ext, str) or ext not in SAFE_EXTENSIONS:
            found.append(f"Markdown extension {ext if isinstance(ext, str) else type(ext)}")
    return found


def _true() -> bool:
    return True


def _false() -> bool:
    return False


class _Compiled(jinja2.BytecodeCache):
    """The theme's compiled templates, kept between builds: MkDocs makes a new Jinja
    environment for each, which compiled every template again. Jinja checks each entry
    against its template's source, so an edited template is compiled again."""

    def __init__(self) -> None:
        self._store: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        data = self._store.get(bucket.key)
        if data is not None:
            bucket.bytecode_from_string(data)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._store[bucket.key] = bucket.bytecode_to_string()


class _NoDirtyWarning(logging.Filter):
    """MkDocs warns that a dirty build may leave navigation wrong; this one does not."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "'dirty' build" not in record.getMessage()


def _closure(function: Callable[..., Any]) -> dict[str, Any]:
    code = getattr(function, "__code__", None)
    cells = getattr(function, "__closure__", None) or ()
    if code is None:
        return {}
    values = {}
    for name, cell in zip(code.co_freevars, cells, strict=False):
        try:
            values[name] = cell.cell_contents
        except ValueError:
            continue
    return values


def _nav_key(nav: Any) -> list[tuple[str, Any, Any]]:
    found: list[tuple[str, Any, Any]] = []

    def walk(items: Iterable[Any]) -> None:
        for item in items:
            found.append(
                (type(item).__name__, getattr(item, "title", None), getattr(item, "url", None))
            )
            walk(getattr(item, "children", None) or ())

    walk(getattr(nav, "items", ()))
    return found


def _stats(site: Path) -> dict[str, tuple[int, int, int]]:
    found = {}
    for rel in site_files(site):
        try:
            info = os.stat(site / rel)
        except OSError:
            continue
        found[rel] = (info.st_size, info.st_mtime_ns, info.st_ino)
    return found


def _remove(site: Path, rel: str) -> None:
    """A file of the last build no longer in the site, and the folders it leaves empty."""
    path = site / rel
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    parent = path.parent
    while parent != site and site in parent.parents:
        try:
            parent.rmdir()
        except OSError:
            break
        parent = parent.parent


class Preview:
    """What one `serve` process keeps between builds, and the incremental builder."""

    def __init__(self) -> None:
        self.memo = FileMemo()
        self.incremental = False  # the build under way reuses the last one
        self.mode = ""  # the last build's: "full" or "incremental" (tests, benchmark)
        self.planned = ""  # the same, for the last build started (it may have failed), or
        # "none" when nothing it watches had changed
        self.rendered: list[str] = []  # post-mortem pages the last build rendered
        self.full_builder: Callable[[], Any] | None = None
        self._paths: list[str] = []  # what is watched
        self._sources: dict[str, str] | None = None  # watched file -> digest, last good build
        self._pending: dict[str, str] | None = None  # the same, for the build under way
        self._fingerprints: dict[str, str] = {}
        self._pending_fingerprints: dict[str, str] = {}
        self._dests: set[str] = set()
        self._srcs: set[str] = set()
        self._pending_files: tuple[set[str], set[str]] = (set(), set())
        self._nav: Any = None
        self._needles: Any = None
        self._site_stats: dict[str, tuple[int, int, int]] = {}
        self._order: list[str] = []
        self._background: threading.Thread | None = None
        self._docs_dir = ""
        self._config_file = ""
        self._unsafe: list[str] = []
        self._skip: set[str] = set()  # pages of this build kept from the last
        self._renders: dict[str, tuple[str, Any, Any, Any, str]] = {}  # the last's, by page
        self._pending_renders: dict[str, tuple[str, Any, Any, Any, str]] = {}
        self._nav_pending: Any = None
        self._compiled = _Compiled()
        self._editor_files = False  # left out of the site: their changes change nothing

    # --- the builder ---------------------------------------------------------------------

    def attach(self, server: Any, config: MkDocsConfig, builder: Callable[..., Any]) -> Any:
        """Put the incremental builder in place of MkDocs' own (from `on_serve`). MkDocs'
        builder reloads the configuration with the options `serve` was given; it is reused
        as it is, and for every full rebuild. Without what it needs (another MkDocs, `serve
        --clean` or `--dirty`), the preview keeps MkDocs' builder: every save, a full build."""
        cells = _closure(builder)
        get_config, serve_url = cells.get("get_config"), cells.get("serve_url")
        if (
            not callable(get_config)
            or not serve_url
            or cells.get("is_clean")
            or cells.get("is_dirty")
        ):
            return server
        from mkdocs.commands.build import build

        self.full_builder = builder
        self._paths = self._watched(config)
        self._config_file = os.path.abspath(config.config_file_path or config.docs_dir)

        def rebuild() -> None:
            self.wait()
            self.planned = "incremental" if self._plan() else "full"
            if self.incremental and self._pending == self._sources:
                # nothing it watches changed (an editor's swap file, say): the site is as built
                self.planned, self.incremental, self._pending = "none", False, None
                return
            if not self.incremental:
                builder()
                return
            fresh = get_config()
            fresh.site_url = serve_url
            logger, quiet = logging.getLogger("mkdocs.commands.build"), _NoDirtyWarning()
            logger.addFilter(quiet)
            try:
                build(fresh, serve_url=serve_url, dirty=True)
            finally:
                logger.removeFilter(quiet)
                self.incremental = False

        server.builder = rebuild
        return server

    def _watched(self, config: MkDocsConfig) -> list[str]:
        paths = [config.docs_dir, config.config_file_path or ""]
        if config.theme.custom_dir:
            paths.append(config.theme.custom_dir)
        paths += [str(p) for p in config.watch]
        return sorted({os.path.abspath(p) for p in paths if p})

    def _snapshot(self) -> dict[str, str]:
        skip = EDITOR_FILE.fullmatch if self._editor_files else None
        found: dict[str, str] = {}
        for path in self._paths:
            found.update(tree_digests(path, skip))
        return found

    def _plan(self) -> bool:
        """Whether the next build may be incremental: only post-mortems changed since the
        last good build read its files."""
        current = self._pending = self._snapshot()
        prior = self._sources
        self.incremental = False
        if prior is None or not self._paths:
            return False
        if self._unsafe:
            log.info(f"{', '.join(self._unsafe)} in use: rebuilding everything")
            return False
        docs = self._docs_dir
        changed = sorted(p for p in current.keys() | prior.keys() if current.get(p) != prior.get(p))
        for path in changed:
            rel = os.path.relpath(path, docs).replace(os.sep, "/")
            if not _POSTMORTEM.fullmatch(rel):
                where = os.path.relpath(path, os.path.dirname(self._config_file or docs))
                log.info(f"{where} changed (not a post-mortem): rebuilding everything")
                return False
        if changed:
            log.info(f"{len(changed)} post-mortem file(s) changed: rebuilding what they change")
        else:
            log.info("no file the site is built from changed: nothing to rebuild")
        self.incremental = True
        return True

    def wait(self) -> None:
        """Until the last build's search index is written."""
        thread = self._background
        if thread is not None:
            thread.join()
            self._background = None

    def invalidate(self) -> None:
        """The next build is a full one."""
        self._sources = None
        self._fingerprints, self._renders = {}, {}

    # --- the plugin's hooks --------------------------------------------------------------

    def before_build(self, config: MkDocsConfig, editor_files: bool = False) -> None:
        """`on_pre_build`: what the site folder holds, to tell what this build writes.
        EDITOR_FILES: whether editors' lock and swap files are left out of the site (the
        knowledge base's `Config.dot_names_left_out`), so their changes change nothing."""
        self.wait()
        self._docs_dir = os.path.abspath(config.docs_dir)
        self._unsafe = unsafe_parts(config)
        self._paths = self._watched(config)
        self._editor_files = editor_files
        if self._pending is None:
            self._pending = self._snapshot()
        self._site_stats = _stats(Path(config.site_dir)) if self.incremental else {}
        if not self.incremental:  # (the environment's options come from the configuration)
            self._compiled = _Compiled()

    def load(self, kb: Any) -> tuple[list[Any], Callable[[], Any]]:
        """`on_files`: the post-mortems and their check, from the memo where unchanged."""
        if not self.incremental:
            self.memo.clear()
        postmortems, report = load_then_check(kb, background=False, memo=self.memo)
        return postmortems, report

    def select(
        self,
        files: Files,
        config: MkDocsConfig,
        entries: dict[str, Any],
        page_inputs: Callable[[Any, str], tuple[str, dict[str, Any]]],
    ) -> dict[str, tuple[str, dict[str, Any]]]:
        """`on_files`, once the plugin knows the site: the post-mortem pages' inputs (which
        the plugin then renders from), and, in an incremental build, which pages MkDocs
        renders again. Returns the inputs by page."""
        self._skip = set()
        self.memo.prune(os.path.join(config.docs_dir, uri) for uri in entries)
        inputs: dict[str, tuple[str, dict[str, Any]]] = {}
        fingerprints: dict[str, str] = {}
        pages = files.documentation_pages()
        for f in pages:
            entry = entries.get(f.src_uri)
            if entry is None:
                continue
            markdown, meta = inputs[f.src_uri] = page_inputs(entry, f.url)
            fingerprints[f.src_uri] = hashlib.sha256(
                repr((f.url, f.dest_uri, markdown, meta)).encode("utf-8", "surrogatepass")
            ).hexdigest()
        srcs = {f.src_uri for f in files if f.generated_by is None}
        dests = {f.dest_uri for f in files}
        self._pending_fingerprints = fingerprints
        self._pending_files = (srcs, dests)
        self.rendered = [f.src_uri for f in pages if f.src_uri in entries]
        if not self.incremental:
            return inputs
        site = Path(config.site_dir)
        for rel in sorted(self._dests - dests):
            _remove(site, rel)
        names = {uri.rsplit("/", 1)[-1] for uri in srcs ^ self._srcs}
        everything = any(
            TAGS_LISTING in _source(f) for f in pages if f.src_uri not in entries
        ) or any(TAGS_LISTING in markdown for markdown, _ in inputs.values())
        self.rendered, self._skip = [], set()
        for f in pages:
            # Every page is read, so that every plugin sees every page as in a full build
            # (Material's tags export, for one); a page kept from the last build is not
            # converted again (`pre_page`) nor written again (`pages_ready`).
            f.is_modified = _true  # type: ignore[method-assign]
            if f.src_uri not in entries:
                continue
            markdown = inputs[f.src_uri][0]
            same = (
                not everything
                and self._fingerprints.get(f.src_uri) == fingerprints[f.src_uri]
                and f.src_uri in self._renders
                and os.path.isfile(f.abs_dest_path)
                and not (names and ("%" in markdown or any(n in markdown for n in names)))
            )
            if same:
                self._skip.add(f.src_uri)
            else:
                self.rendered.append(f.src_uri)
        return inputs

    def pre_page(self, page: Any) -> None:
        """`on_pre_page`: a page kept from the last build gets its conversion back instead
        of converting its Markdown again."""
        kept = self._renders.get(page.file.src_uri) if page.file.src_uri in self._skip else None
        if kept is None:
            return
        content, toc, title, anchors, _ = kept

        def render(config: Any, files: Any) -> None:
            page.content, page.toc, page._title_from_render = content, toc, title
            page.present_anchor_ids, page.links_to_anchors = set(anchors or ()), None

        page.render = render

    def kept_content(self, page: Any) -> str | None:
        """`on_page_content`: the plugin's result for a page kept from the last build."""
        uri = page.file.src_uri
        if uri not in self._skip:
            return None
        kept = self._renders[uri]
        self._pending_renders[uri] = kept
        return kept[4]

    def keep(self, page: Any, before: str, after: str) -> None:
        """`on_page_content`: a post-mortem page's conversion and the plugin's result."""
        self._pending_renders[page.file.src_uri] = (
            before,
            page.toc,
            getattr(page, "_title_from_render", None),
            page.present_anchor_ids,
            after,
        )

    def templates(self, env: jinja2.Environment) -> None:
        """`on_env`: the theme's templates as compiled by the last build."""
        if env.bytecode_cache is None:
            env.bytecode_cache = self._compiled

    def pages_ready(self, config: MkDocsConfig, files: Files, nav: Any) -> None:
        """`on_env`, once every page MkDocs renders is read: if a navigation title changed,
        the pages skipped so far are read and rendered too."""
        from mkdocs.structure.files import InclusionLevel

        key = _nav_key(nav)
        self._order = [
            f.dest_uri for f in files.documentation_pages(inclusion=InclusionLevel.is_in_serve)
        ]
        if self.incremental and key == self._nav:
            for f in files.documentation_pages():
                if f.src_uri in self._skip:
                    f.is_modified = _false  # type: ignore[method-assign]
        else:
            self.rendered += sorted(self._skip)
        self._nav_pending = key

    def commit(self, needles: Any) -> None:
        """The build succeeded: the next one starts from it."""
        self._sources, self._pending = self._pending, None
        self._fingerprints = self._pending_fingerprints
        self._renders, self._pending_renders = self._pending_renders, {}
        self._srcs, self._dests = self._pending_files
        self._nav = self._nav_pending
        self._needles = needles
        self.mode = "incremental" if self.incremental else "full"

    def failed(self) -> None:
        self._pending = None
        self._pending_renders = {}
        self.invalidate()

    def finish(self, plugin: Any, config: MkDocsConfig) -> None:
        """`on_post_build` of an incremental build: scan what was written (everything if
        the needles changed), then index the site for search after the page is served."""
        site = Path(config.site_dir)
        folder = library.PAGEFIND_FOLDER
        written = [
            rel
            for rel in site_files(site)
            if not rel.startswith(folder + "/") and rel != search_facets.FACETS_JSON
        ]
        if plugin._leak_scan_for is not None:
            plugin.leak_scan, plugin._leak_scan_for = plugin._leak_scan_for(), None
        needles = dict(plugin.leak_scan.needles) if plugin.leak_scan is not None else None
        if needles == self._needles:
            before = self._site_stats
            scan = [rel for rel in written if before.get(rel) != _stat(site / rel)]
        else:
            scan = written
        plugin._verify_output(config.site_dir, plugin._scan(site, scan))
        self.commit(needles)
        if plugin.pagefind:
            order = list(self._order)
            thread = threading.Thread(
                target=self._index, args=(plugin, config, written, order), daemon=True
            )
            self._background = thread
            thread.start()

    def _index(
        self, plugin: Any, config: MkDocsConfig, written: list[str], order: list[str]
    ) -> None:
        """Pagefind over the whole site, as the full build feeds it: the pages in MkDocs'
        order, then the rest sorted; the bundle scanned, then written in place of the old."""
        site = Path(config.site_dir)
        folder = library.PAGEFIND_FOLDER
        problem = ""
        bundle: list[tuple[str, bytes]] = []
        try:
            search = LiveIndex.from_site(site, order, written)
            try:
                bundle, problems = search.files(search.build())
                for text in problems:
                    log.warning(f"Pagefind: {text}")
            finally:
                search.close()
        except PagefindError as exc:
            problem = str(exc)
        except Exception as exc:  # pragma: no cover - a thread must not die silently
            problem = str(exc)
        found: list[str] = []
        if plugin.leak_scan is not None:
            for rel, data in bundle:
                found += plugin.leak_scan.scan_text(readable(data), f"{folder}/{rel}")
        if problem:
            log.warning(
                f"the site has no search index: Pagefind failed ({problem}); "
                "install it with `pip install 'pagefind[bin]'` or enable Material's "
                "`search` plugin"
            )
        keep = {rel for rel, _ in bundle}
        if found or problem:
            keep = set()
        old = site / folder
        if old.is_dir():
            for rel in site_files(old):
                if rel not in keep:
                    _remove(site, f"{folder}/{rel}")
        facets = site / search_facets.FACETS_JSON
        if not found and bundle:
            try:
                write_bundle(site / folder, bundle)
            except PagefindError as exc:
                found.append(str(exc))
        if facets.exists():
            _remove(site, search_facets.FACETS_JSON)
        if not problem and not found:
            plugin._write_search_facets(config)
            found += plugin._scan(site, [search_facets.FACETS_JSON])
        if found:
            from mkdocs.utils import clean_directory

            clean_directory(config.site_dir)
            self.invalidate()
            log.error(
                "postmortems: the preview wrote what it withholds, so the site folder was "
                "emptied: " + "; ".join(found[:10])
            )


def _stat(path: Path) -> tuple[int, int, int] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return (info.st_size, info.st_mtime_ns, info.st_ino)


def _source(f: Any) -> str:
    if f.abs_src_path is None:
        try:
            return str(f.content_string)
        except Exception:
            return ""
    try:
        return Path(f.abs_src_path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
