"""The `postmortems` MkDocs plugin (entry point): routes MkDocs events to the core.

It validates every post-mortem with `core.knowledge_base.check` (the findings of
`postmortem check`, logged so that `--strict` fails after listing them all), keeps out of the
build every file the audience may not see, adds the generated library pages with
`File.generated` (nothing is written into docs_dir), adds the theme shipped with the package
(`mkdocs/theme.py`) and fills `page.meta` for its templates. What the pages say is computed
in `core.library`, `core.metrics` and `core.audience`; this module only places it.
"""

from __future__ import annotations

import gc
import logging
import os
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date
from html import escape, unescape
from pathlib import Path
from typing import Any

from mkdocs.config import config_options as c
from mkdocs.config.base import Config as BaseConfig
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, CombinedEvent, event_priority, get_plugin_logger
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.pages import Page
from mkdocs.utils import get_build_date

from ..core import attachments, library, metrics, render_cost, sanitize, search_facets
from ..core import audience as aud
from ..core.audience_markdown import AudienceExtension, AudienceGuard
from ..core.config import Config, config_from_options, dot_names_left_out
from ..core.errors import PostmortemError
from ..core.knowledge_base import (
    PARALLEL_FROM,
    CheckReport,
    in_child,
    load_then_check,
    template_for,
)
from ..core.leaks import (
    LeakScan,
    audience_safety_errors,
    kb_year_pattern,
    other_pages,
    readable,
    site_files,
)
from . import search_index, shared_partials, theme
from .incremental import Preview
from .search_index import LiveIndex, PagefindError, write_bundle

log = get_plugin_logger("postmortems")
# What an incident page's content is between `on_page_content` and `on_page_context`, while
# its body is sanitized on the other core; a page written with it fails the build.
PENDING_BODY = "<!-- postmortems: body being sanitized -->"
DRAFTS_ENV = "POSTMORTEM_DRAFTS"  # set by `postmortem build --drafts` / `serve --no-drafts`


class PostmortemsConfig(BaseConfig):
    """The plugin's settings: the knowledge base's configuration (see core/config.py)."""

    id_prefix = c.Type(str, default="PM")
    default_template = c.Type(str, default="security")
    title_format = c.Type(str, default="Post-mortem – {type_name} – {quarter}")
    types = c.Optional(c.Type((list, dict)))
    blame_terms = c.Optional(c.Type((list, dict)))
    blame_disable = c.Optional(c.Type((list, str)))
    audience = c.Choice(("public", "internal", "restricted"), default="internal")
    include_drafts = c.Type(bool, default=False)
    evidence_max_bytes = c.Type(int, default=10 * 1024 * 1024)
    overdue_fail_days = c.Type(int, default=30)
    select = c.Optional(c.Type((list, str)))
    ignore = c.Optional(c.Type((list, str)))


class PostmortemsPlugin(BasePlugin[PostmortemsConfig]):
    """Validates post-mortems and generates the incident library pages."""

    supports_multiple_instances = False

    def __init__(self) -> None:
        self.serving = False
        self.kb: Config | None = None
        self.drafts = False
        self.entries: dict[str, library.Entry] = {}  # by docs path
        self.hidden: set[str] = set()
        self.home: library.GeneratedPage | None = None
        self.generated: dict[str, library.GeneratedPage] = {}
        self.related: dict[str, list[tuple[library.Entry, str]]] = {}
        self.history: dict[str, Any] = {}
        self.pagefind = False
        self.as_of = date.today()
        self.guide = False
        self._urls: dict[str, str] = {}  # docs path -> site URL
        self.csp_hashes: set[str] = set()
        self.csp_pages: list[tuple[str, str]] = []  # written pages and their policy
        self.guard: AudienceGuard | None = None
        self.leak_scan: LeakScan | None = None
        self._leak_scan_for: Callable[[], LeakScan] | None = None
        self.theme_files: set[str] = set()  # site paths copied verbatim from the theme
        self.search: LiveIndex | None = None  # Pagefind, fed page by page (search_index.py)
        self.search_problem = ""
        self.nav: Any = None
        self.preview = Preview()  # serve: what a rebuild keeps of the last (incremental.py)
        self._inputs: dict[str, tuple[str, Any]] = {}  # post-mortem page inputs
        # Incident bodies sanitized in a thread (nh3 releases the GIL) while MkDocs renders
        # the next pages: src_uri -> (sanitized body, the header to place under the H1).
        self._sanitizer: ThreadPoolExecutor | None = None
        self._bodies: dict[str, tuple[Future[str], str]] = {}
        self._finished: set[str] = set()  # pages whose content is final (`_finish_page`)
        self._order: list[str] = []  # pages as written, in MkDocs' order (site paths)
        # Pagefind fed ahead (`_feed_ready`): the language, the pages in MkDocs' order, and
        # how many of them were handled; no language: pages are fed as they are written.
        self._ahead_lang: str | None = None
        self._ahead_files: list[File] | None = None
        self._ahead_next = 0
        self._frozen = False
        # Set by `postmortem build` (cli/site.py), None otherwise: told `(stage, done, total)`
        # as the build goes: "reading" post-mortems, then "rendering" and "writing" pages.
        self.progress: Callable[[str, int, int], None] | None = None
        self._pages = [0, 0, 0]  # pages rendered, pages written, pages in the build

    # --- configuration ---------------------------------------------------------------

    def on_startup(self, *, command: str, dirty: bool) -> None:
        self.serving = command == "serve"
        self.preview = Preview()  # MkDocs keeps the instance for later sessions in a process

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        # MkDocs reuses a plugin instance for every build in a process (serve rebuilds,
        # several builds in one run): nothing of an earlier build may carry over.
        self._urls = {}
        self.entries, self.generated, self.related, self.history = {}, {}, {}, {}
        self.hidden, self.home = set(), None
        self.csp_hashes, self.csp_pages = set(), []
        root = Path(config.config_file_path or ".").resolve().parent
        options = {k: v for k, v in self.config.items() if v is not None}
        docs_dir = os.path.relpath(config.docs_dir, root)
        try:
            self.kb = config_from_options(
                root, options, docs_dir=docs_dir, site_url=config.site_url or ""
            )
        except PostmortemError as exc:
            raise PluginError(f"postmortems: {exc}") from None
        spec = config.exclude_docs
        patterns = [getattr(p, "pattern", None) or "" for p in spec.patterns] if spec else []
        self.kb.dot_names_left_out = dot_names_left_out(patterns)
        # Drafts show (with a banner) in the live preview; builds leave them out unless asked.
        wanted = os.environ.get(DRAFTS_ENV)
        self.drafts = (
            wanted == "1" if wanted in ("0", "1") else (self.kb.include_drafts or self.serving)
        )
        # Without Material's search plugin the site is searched with Pagefind (chunked, so
        # the download before the first result stays small at any size; BENCHMARKS.md).
        self.pagefind = not ({"search", "material/search"} & set(config.plugins))
        stale, own = theme.install(config, search=self.pagefind)
        if stale:
            where = os.path.relpath(config.theme.custom_dir or ".", root)
            note = (
                "ignored"
                if not own
                else f"still used, because the folder also holds your own {', '.join(own)}"
            )
            log.info(
                f"{where}: {', '.join(stale)} are unchanged copies of an older "
                f"postmortem-kb theme ({note}); the theme now ships with the package, "
                "so you may delete them"
            )
        for extension in ("attr_list", "md_in_html"):
            if extension not in config.markdown_extensions:
                config.markdown_extensions.append(extension)
        # The renderer's own parse enforces the audience cut (core/audience_markdown.py).
        self.guard = AudienceGuard(self.kb.audience)
        config.markdown_extensions.append(AudienceExtension(self.guard))  # type: ignore[arg-type]
        # A knowledge base's mkdocs.yml keeps the year folders out of the docs, so that an
        # engine without this plugin publishes no post-mortem; the plugin takes them back in.
        self._include_year_folders(config)
        if config.nav is None:
            config.nav = self._nav(config)
            # Post-mortems are reached through the library, indexes and search; an automatic
            # nav would put every one of them on every page (see PERFORMANCE.md).
            config.validation.nav.omitted_files = logging.DEBUG
        return config

    def _include_year_folders(self, config: MkDocsConfig) -> None:
        spec = config.exclude_docs
        patterns = [getattr(p, "pattern", None) for p in spec.patterns] if spec else []
        kept = [p for p in patterns if p is not None and p.strip() != kb_year_pattern()]
        if spec is None or len(kept) == len(patterns):
            log.warning(
                f"mkdocs.yml does not keep the year folders out of the docs: an engine "
                f"that does not run this plugin (Zensical, for one) would publish "
                f"every post-mortem to everyone. Add the line `{kb_year_pattern()}` "
                "under `exclude_docs: |` (as `postmortem init` writes it)"
            )
            return
        config.exclude_docs = type(spec).from_lines(kept)

    def _nav(self, config: MkDocsConfig) -> list[Any]:
        """Home, the knowledge base's own pages, then the generated ones."""
        assert self.kb is not None
        docs = Path(config.docs_dir)
        own = []
        for path in sorted(docs.glob("*.md")):
            if path.name not in ("index.md", "README.md") and not self.kb.left_out(path.name):
                own.append(path.name)
        guides = sorted(
            p.relative_to(docs).as_posix()
            for p in docs.glob("*/*.md")
            if not p.parent.name.isdigit()
            and p.parent.name != "templates"
            and p.parent.name != library.FOLDER
            and not self.kb.left_out(p.name)
            and not self.kb.left_out(p.parent.name)
        )
        nav: list[Any] = [{"Home": "index.md"}, *own]
        if guides:
            nav.append({"Guides": guides})
        nav.append({"Indexes": [{t: u} for u, _, t in library.INDEXES.values()]})
        nav.append({"Action tracker": library.TRACKER})
        nav.append({"Metrics": library.METRICS})
        if self.pagefind:
            nav.append({"Search": library.SEARCH})
        return nav

    # --- files -----------------------------------------------------------------------

    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files:
        kb = self.kb
        assert kb is not None
        # One parse for validation and pages; the checks run in a forked process (the
        # other core) while the pages are prepared, and stop the build before any is made.
        if self.serving:
            postmortems, report = self.preview.load(kb)
        else:
            told = self.progress
            postmortems, report = load_then_check(
                kb,
                background=True,
                progress=None if told is None else lambda n, total: told("reading", n, total),
            )
        try:
            kept = self._prepare(files, config, postmortems)
        except BaseException:
            self._validate(report())  # an audience error is the better explanation
            raise
        self._validate(report())
        if self.serving:
            self._inputs = self.preview.select(
                kept, config, self.entries, lambda e, url: self._incident_page(e, url, config)
            )
        if self.pagefind and not self.preview.incremental:
            self._start_search()
            if self.search is not None and not self.serving:
                self._ahead_lang = _language(config)
        # The parses, views and pages prepared live until the build ends: the cyclic
        # collector need not walk them again at every full collection while pages render.
        gc.freeze()
        self._frozen = True
        return kept

    def _prepare(self, files: Files, config: MkDocsConfig, postmortems: list[Any]) -> Files:
        kb = self.kb
        assert kb is not None
        shown_files = [pm for pm in postmortems if aud.in_build(pm, kb.audience, self.drafts)]
        self.hidden = aud.hidden_ids(postmortems, shown_files)
        # What the audience sees of each shown post-mortem: hidden blocks cut, hidden ids
        # withheld; every page, index, count and the tracker read these views.
        shown = aud.audience_views(shown_files, kb.audience, self.hidden)
        in_site = {id(pm) for pm in shown_files}
        withheld = [pm for pm in postmortems if id(pm) not in in_site]
        attachments_hidden = {pm.id.upper() for pm in withheld if pm.id}
        entries = library.entries(shown, kb, lambda pm: template_for(kb, pm))
        shown_pages = {e.uri for e in entries}
        shown_ids = {e.pm.id for e in entries}
        docs_dir = os.path.abspath(config.docs_dir)
        self.theme_files = {
            f.dest_uri
            for f in files
            if f.generated_by is None and f.src_dir and os.path.abspath(f.src_dir) != docs_dir
        }
        # What the output scan looks for, worked out in a forked process (the other core)
        # while the pages are rendered, for a knowledge base large enough to be worth it.
        self.leak_scan = None
        hidden = set(self.hidden)

        def leak_scan() -> LeakScan:
            return LeakScan.for_build(
                withheld, shown_files, shown, kb.audience, other_pages(kb), hidden
            )

        forked = not self.serving and len(postmortems) >= PARALLEL_FROM
        self._leak_scan_for = in_child(leak_scan) if forked else leak_scan

        # Attachments linked only from blocks above the audience go with the blocks.
        prefix = kb.docs_dir.strip("/") + "/"
        linked_hidden: set[str] = set()
        for pm in shown_files:
            uri = pm.path[len(prefix) :] if pm.path.startswith(prefix) else pm.path
            linked_hidden |= aud.hidden_attachments(pm, kb.audience, uri)
        kept = Files(
            [
                f
                for f in files
                if f.generated_by is not None
                or (
                    f.src_uri not in linked_hidden
                    and aud.site_file_allowed(f.src_uri, shown_pages, shown_ids, attachments_hidden)
                    # a named pipe would hang the build (PM001 names it)
                    and (f.abs_src_path is None or os.path.isfile(f.abs_src_path))
                )
            ]
        )
        kept = self._without_unlinked_attachments(kept, shown, prefix)
        self.entries = {e.uri: e for e in entries if kept.get_file_from_path(e.uri)}
        ordered = list(self.entries.values())
        self.related = library.related(ordered)
        self.history = self._history(kb)
        self.guide = kept.get_file_from_path(library.GUIDE) is not None

        def link_from(uri: str) -> library.Link:
            return self._linker(File(uri, "", "", config.use_directory_urls).url, config)

        as_of = self.as_of = date.fromisoformat(get_build_date())
        self.generated = {}
        for dimension in library.INDEXES:
            page = library.index_page(
                ordered, dimension, kb, link_from(library.INDEXES[dimension][0])
            )
            self.generated[page.uri] = page
        shown_pms = [e.pm for e in ordered]
        uri_of = {e.pm.path: e.uri for e in ordered}
        tracker = library.tracker_page(
            metrics.action_rows(shown_pms, "open", as_of=as_of, include_drafts=self.drafts),
            metrics.action_rows(shown_pms, "overdue", as_of=as_of, include_drafts=self.drafts),
            as_of,
            uri_of,
            link_from(library.TRACKER),
        )
        self.generated[tracker.uri] = tracker
        stats = metrics.compute_stats(shown_pms, include_drafts=self.drafts, as_of=as_of)
        page = library.metrics_page(
            stats,
            library.cross_counts(shown_pms, "type", self.drafts),
            library.cross_counts(shown_pms, "severity", self.drafts),
            kb,
            link_from(library.METRICS),
        )
        self.generated[page.uri] = page

        if self.pagefind:
            search = library.GeneratedPage(library.SEARCH, "")
            form = library.search_form(
                link_from(library.SEARCH), search_facets.filters_html(ordered, kb)
            )
            search.markdown = library.search_page(link_from(library.SEARCH), search.slot(form))
            self.generated[search.uri] = search

        for uri, page in self.generated.items():
            if kept.get_file_from_path(uri) is not None:
                log.warning(
                    f"{kb.docs_dir}/{uri} exists; the generated page of that name "
                    "is not added (rename or remove the file)"
                )
                continue
            kept.append(File.generated(config, uri, content=page.markdown))
        home = library.GeneratedPage(library.HOME, "")
        home.markdown = home.slot(library.library_table(ordered, link_from(library.HOME)))
        if kept.get_file_from_path(library.ENTRIES_JSON) is None:
            kept.append(
                File.generated(
                    config,
                    library.ENTRIES_JSON,
                    content=library.library_json(ordered, link_from(library.HOME)),
                )
            )
        self.home = home
        if kept.get_file_from_path(library.HOME) is None:
            kept.append(
                File.generated(
                    config, library.HOME, content=library.home_markdown(None, home.markdown)
                )
            )
            self.generated[library.HOME] = home
        return kept

    def _without_unlinked_attachments(self, kept: Files, shown: list[Any], prefix: str) -> Files:
        """Attachment files that no page of this site links stay out, with a warning that
        names each and the fix (core/attachments.py)."""
        assert self.kb is not None
        candidates = [
            f.src_uri
            for f in kept
            if f.generated_by is None and attachments.is_attachment(f.src_uri)
        ]
        if not candidates:
            return kept
        pages = [(pm.path.removeprefix(prefix), pm.text) for pm in shown]
        for f in kept:
            if f.generated_by is None and f.src_uri.endswith(".md") and f.abs_src_path:
                if f.src_uri.split("/")[0].isdigit():
                    continue  # post-mortems: their audience views are above
                text = Path(f.abs_src_path).read_text(encoding="utf-8", errors="replace")
                pages.append((f.src_uri, aud.cut_marked_blocks(text, self.kb.audience)))
        dropped = set(attachments.unlinked(candidates, attachments.linked(pages)))
        for uri in sorted(dropped):
            log.warning(
                f"{self.kb.docs_dir}/{uri}: no page of the {self.kb.audience} site links this "
                "attachment, so it is left out; link it from its post-mortem to publish it, "
                "or delete it"
            )
        return Files([f for f in kept if f.src_uri not in dropped]) if dropped else kept

    # --- Content-Security-Policy ------------------------------------------------------
    # Every page carries the policy as a meta tag, with the hashes of the theme's inline
    # scripts. Instant navigation runs later pages under the first page's policy, so each
    # page gets every hash known when it is written (Material's base-URL script is hashed
    # for every depth at once); a page written before a new hash turned up is rewritten at
    # the end. The live preview has none: its reload script is injected after the build.

    def _page_policy(self, output: str, *, page: Page, config: MkDocsConfig) -> str:
        uri = page.file.src_uri
        if uri in self._bodies or (uri in self.entries and PENDING_BODY in (page.content or "")):
            raise PluginError(
                f"postmortems: {page.file.src_uri}: the page was about to be written "
                "without its sanitized body"
            )
        if self.serving:
            return output
        content = page.content or ""
        at = search_index.content_at(output, content)
        skip = (at, at + len(content)) if at >= 0 else (0, 0)
        return self._with_policy(output, page.file.abs_dest_path, skip)

    @event_priority(-100)  # last: the page as it is written
    def _page_to_search(self, output: str, *, page: Page, config: MkDocsConfig) -> str:
        if self.progress is not None:
            self._pages[1] += 1
            self.progress("writing", self._pages[1], self._pages[2])
        if self.search is not None:
            self._order.append(page.file.dest_uri)
            try:
                self.search.written(page.file.dest_uri, output)
            except PagefindError as exc:
                self.search_problem = str(exc)
                self._stop_search()
        return output

    on_post_page = CombinedEvent(_page_policy, _page_to_search)

    def on_nav(self, nav: Any, *, config: MkDocsConfig, files: Files) -> Any:
        self.nav = nav
        self._pages = [0, 0, len(files.documentation_pages())]
        return nav

    def on_env(self, env: Any, *, config: MkDocsConfig, files: Files) -> Any:
        if self.serving:
            self.preview.templates(env)
        # The navigation partials, once per year folder for the post-mortems.
        shared_partials.share(env, self.nav, set(self.entries))
        if self.serving:
            self.preview.pages_ready(config, files, self.nav)
        if self._ahead_lang is not None:
            self._feed_ready(files, None)
            if self.search is not None and self._ahead_lang is not None:
                self.search.ask()  # built on the other core while the pages are written
        return env

    def _feed_ready(self, files: Files, reading: Page | None) -> None:
        """Pagefind fed ahead (search_index.py): each page MkDocs has read, in MkDocs' order,
        as soon as its content is final (an incident body back from the sanitizing thread),
        while MkDocs reads the next ones; every page once MkDocs has read them all (READING
        None, `on_env`). A page whose content has no title of its own sends the build back
        to feeding each page as it is written."""
        if self._ahead_files is None:
            pages = files.documentation_pages(inclusion=InclusionLevel.is_included)
            self._ahead_files = list(pages)
        lang = self._ahead_lang
        pages = self._ahead_files
        while lang is not None and self.search is not None and self._ahead_next < len(pages):
            file = pages[self._ahead_next]
            if reading is not None:
                pending = self._bodies.get(file.src_uri)
                if file is reading.file or (pending is not None and not pending[0].done()):
                    return
            self._ahead_next += 1
            page = file.page
            if page is None:
                continue
            self._finish_page(page)
            content = page.content
            if content is None or not _indexed(page):
                continue
            if not search_index.can_feed_ahead(content):
                log.debug(f"Pagefind: pages are fed as they are written ({file.src_uri})")
                self._ahead_lang = None
                self._start_search()  # a new index, fed page by page
                return
            try:
                self.search.feed_ahead(file.dest_uri, content, lang)
            except PagefindError as exc:
                self.search_problem = str(exc)
                self._stop_search()

    def on_serve(self, server: Any, *, config: MkDocsConfig, builder: Any) -> Any:
        return self.preview.attach(server, config, builder)

    def on_post_template(
        self, output_content: str, *, template_name: str, config: MkDocsConfig
    ) -> str:
        if self.serving or not template_name.endswith(".html"):
            return output_content
        return self._with_policy(
            output_content, os.path.join(config.site_dir, template_name), (0, 0)
        )

    def _with_policy(self, output: str, path: str, skip: tuple[int, int]) -> str:
        self.csp_hashes |= sanitize.inline_script_hashes(output, skip)
        policy = sanitize.content_security_policy(self.csp_hashes)
        self.csp_pages.append((path, policy))
        return sanitize.with_csp_meta(output, escape(policy, quote=False))

    def _write_csp(self, site_dir: str) -> None:
        final = sanitize.content_security_policy(self.csp_hashes)
        for path, written in self.csp_pages:
            if written == final:
                continue
            try:
                data = Path(path).read_bytes()
            except OSError:
                continue
            Path(path).write_bytes(
                data.replace(
                    escape(written, quote=False).encode(), escape(final, quote=False).encode(), 1
                )
            )
        # The same policy as a web server header (plus frame-ancestors, header-only), in
        # the `_headers` form that Netlify and Cloudflare Pages read; README shows nginx.
        header = sanitize.content_security_policy(self.csp_hashes, header=True)
        Path(site_dir, "_headers").write_text(
            f"/*\n  Content-Security-Policy: {header}\n", encoding="utf-8"
        )

    # --- search index and output scan ---------------------------------------------------

    def on_pre_build(self, *, config: MkDocsConfig) -> None:
        if self.serving:
            assert self.kb is not None
            self.preview.before_build(config, editor_files=self.kb.dot_names_left_out)
        self._stop_search()
        self._end_build_helpers()
        self.search_problem = ""
        self._finished, self._order = set(), []
        self._ahead_lang, self._ahead_files, self._ahead_next = None, None, 0

    def _end_build_helpers(self) -> None:
        """The sanitizing thread stopped, and the heap given back to the cyclic collector."""
        self._bodies = {}
        sanitizer, self._sanitizer = self._sanitizer, None
        if sanitizer is not None:
            sanitizer.shutdown(wait=True, cancel_futures=True)
        if self._frozen:
            self._frozen = False
            gc.unfreeze()

    def _start_search(self) -> None:
        """Started once the checks' process is forked (no threads to fork with)."""
        self._stop_search()
        try:
            self.search = LiveIndex.start()
        except PagefindError as exc:
            self.search_problem = str(exc)

    def _stop_search(self) -> None:
        search, self.search = self.search, None
        if search is not None:
            search.close()

    def on_build_error(self, *, error: Exception) -> None:
        self._stop_search()
        self.preview.failed()
        self._end_build_helpers()

    def on_shutdown(self) -> None:
        self._stop_search()
        self.preview.wait()
        self._end_build_helpers()

    def on_post_build(self, *, config: MkDocsConfig) -> None:
        try:
            if self.preview.incremental:
                self.preview.finish(self, config)
                return
            self._post_build(config)
        finally:
            self._end_build_helpers()

    def _post_build(self, config: MkDocsConfig) -> None:
        site = Path(config.site_dir)
        if not self.serving:
            self._write_csp(config.site_dir)
        written = site_files(site)
        pending = None
        if self.search is not None:
            try:
                pending = self.search.finish(site, written)
                if pending is None:
                    log.debug(
                        f"Pagefind: the index fed ahead is not used ({self.search.doubt}); "
                        "indexing the pages as written"
                    )
                    self._stop_search()
                    self.search = LiveIndex.from_site(site, self._order, written)
                    pending = self.search.build()
            except PagefindError as exc:
                self.search_problem = str(exc)
        # The site's own files are scanned while Pagefind builds its index (on the other
        # core), then the index's files, before they are written.
        if self._leak_scan_for is not None:
            self.leak_scan, self._leak_scan_for = self._leak_scan_for(), None
        found = self._scan(site, written)
        bundle: list[tuple[str, bytes]] = []
        if self.search is not None and pending is not None:
            try:
                bundle, problems = self.search.files(pending)
                for problem in problems:
                    log.warning(f"Pagefind: {problem}")
            except PagefindError as exc:
                self.search_problem = str(exc)
        self._stop_search()
        if self.pagefind and self.search_problem:
            log.warning(
                f"the site has no search index: Pagefind failed ({self.search_problem}); "
                "install it with `pip install 'pagefind[bin]'` or enable Material's "
                "`search` plugin"
            )
        folder = library.PAGEFIND_FOLDER
        if self.leak_scan is not None:
            for rel, data in bundle:
                found += self.leak_scan.scan_text(readable(data), f"{folder}/{rel}")
        if not found and bundle:
            try:
                write_bundle(site / folder, bundle)
            except PagefindError as exc:
                raise PluginError(f"postmortems: {exc}") from None
        if self.pagefind and not self.search_problem and not found:
            self._write_search_facets(config)  # reads the fragments just written
        before = set(written) | {f"{folder}/{rel}" for rel, _ in bundle}
        found += self._scan(site, [rel for rel in site_files(site) if rel not in before])
        self._verify_output(config.site_dir, found)
        if self.serving:
            self.preview.commit(dict(self.leak_scan.needles) if self.leak_scan else None)

    def _scan(self, site: Path, rels: list[str]) -> list[str]:
        if self.leak_scan is None:
            return []
        return self.leak_scan.scan_files(site, [r for r in rels if r not in self.theme_files])

    def _verify_output(self, site_dir: str, found: list[str]) -> None:
        """Every file the build wrote was scanned for what it withheld; on a find, empty
        the site folder and fail, naming the file and the item."""
        if not found or self.leak_scan is None:
            return
        from mkdocs.utils import clean_directory

        clean_directory(site_dir)
        listed = "; ".join(found[:10]) + (
            f"; and {len(found) - 10} more" if len(found) > 10 else ""
        )
        raise PluginError(
            f"postmortems: the {self.leak_scan.audience} build wrote what it "
            f"withholds, so the site folder was emptied: {listed}"
        )

    def _write_search_facets(self, config: MkDocsConfig) -> None:
        """The search filters' data (core/search_facets.py), keyed by Pagefind's hit ids."""
        assert self.kb is not None
        site = Path(config.site_dir)
        hits = search_facets.fragment_urls(site / library.PAGEFIND_FOLDER / "fragment")
        link = self._linker(File(library.HOME, "", "", config.use_directory_urls).url, config)
        data = search_facets.facets_json(list(self.entries.values()), self.kb, link, hits)
        target = site / search_facets.FACETS_JSON
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(data, encoding="utf-8")

    def _validate(self, report: CheckReport) -> None:
        """Every finding of `postmortem check`: errors as warnings (so `--strict` fails once
        all are listed), the checker's own warnings as information. Errors that put an
        audience at risk (`leaks.AUDIENCE_RULES`) stop the build, strict or not."""
        refused = audience_safety_errors(report.findings)
        if refused:
            lines = "\n".join(f"  {f.path}:{f.line}: {f.rule} {f.message}" for f in refused)
            raise PluginError(
                f"postmortems: the site was not built: {len(refused)} error(s) "
                f"would put an audience at risk:\n{lines}"
            )
        costly = [f for f in report.findings if f.rule == render_cost.RULE]
        if costly:
            lines = "\n".join(f"  {f.path}:{f.line}: {f.rule} {f.message}" for f in costly)
            raise PluginError(f"postmortems: the site was not built:\n{lines}")
        for f in report.findings:
            message = f"{f.path}:{f.line}: {f.rule} {f.message}"
            if f.severity == "error":
                log.warning(message)
            else:
                log.info(f"{message} (warning)")
        if report.findings:
            log.info(
                f"{report.errors} error(s), {report.warnings} warning(s) in "
                f"{report.files} post-mortem(s)"
            )

    def _history(self, kb: Config) -> dict[str, Any]:
        """Git history from the review issue's `core.history`, when it is there."""
        try:
            from ..core import history as git_history
        except ImportError:
            return {}
        try:
            found = git_history.history(kb)
        except Exception as exc:  # history is a nicety: never fail a build for it
            log.info(f"no git history on pages: {exc}")
            return {}
        return dict(found or {})

    # --- pages -----------------------------------------------------------------------

    def on_page_markdown(
        self, markdown: str, *, page: Page, config: MkDocsConfig, files: Files
    ) -> str:
        kb = self.kb
        assert kb is not None
        uri = page.file.src_uri
        if self.guard is not None:
            self.guard.page = page.file.src_uri
        entry = self.entries.get(uri)
        if entry is not None:
            known = self._inputs.pop(uri, None)
            markdown, page.meta = known or self._incident_page(entry, page.url, config)
            return markdown
        if uri in self.generated:
            return markdown
        problems = aud.marker_problems(markdown)
        if problems:
            line, message = problems[0]
            line += _front_matter_lines(page, markdown)
            raise PluginError(f"postmortems: {kb.docs_dir}/{uri}:{line}: PM701 {message}")
        costly = render_cost.costly_block(markdown)
        if costly is not None:
            line = markdown.count("\n", 0, costly) + 1 + _front_matter_lines(page, markdown)
            raise PluginError(
                f"postmortems: {kb.docs_dir}/{uri}:{line}: {render_cost.RULE} {render_cost.MESSAGE}"
            )
        markdown = aud.unlink_evidence(
            aud.withhold(aud.cut_marked_blocks(markdown, kb.audience), self.hidden)
        )
        if uri == library.HOME and self.home is not None:
            page.meta.setdefault("hide", ["navigation", "toc"])
            return library.home_markdown(markdown, self.home.markdown)
        return markdown

    def _incident_page(
        self, entry: library.Entry, url: str, config: MkDocsConfig
    ) -> tuple[str, dict[str, Any]]:
        """What a post-mortem's page is rendered from: its Markdown and its page data."""
        assert self.kb is not None
        meta = self._incident_meta({}, entry, self._linker(url, config))
        return library.incident_markdown(entry.pm, self.kb.audience, self.hidden, self.as_of), meta

    def _incident_meta(self, meta: Any, entry: library.Entry, link: library.Link) -> dict[str, Any]:
        """Theme data. The front matter moves under `postmortem`: keys such as `template`
        and `status` mean something else to MkDocs and Material."""
        kb = self.kb
        assert kb is not None
        pm = entry.pm
        history = self.history.get(pm.path)
        return {
            # Material writes these into the page unescaped (<title>, the H1, the header,
            # the description, `<span class="md-tag">`): front matter is text, so escaped.
            "title": escape(f"{pm.id}: {pm.title}"),
            "description": escape(f"{kb.type_name(pm.type)} · {pm.severity} · {pm.quarter}"),
            "tags": [escape(tag) for tag in pm.tags],
            "hide": ["navigation", "tags"],  # the header lists the tags, linked
            "postmortem": {
                "id": pm.id,
                "title": pm.title,
                "type": pm.type,
                "type_name": entry.type_name,
                "severity": pm.severity,
                "status": pm.status,
                "visibility": pm.visibility,
                "owner": pm.owner,
                "quarter": pm.quarter,
                "services": list(pm.services),
                "tags": list(pm.tags),
                "completeness": entry.completeness.percent,
                "header_html": library.header_html(entry, kb, link, self.as_of),
                "banner_html": library.banner_html(pm),
                "footer_html": library.footer_html(
                    entry, self.related.get(pm.id, []), history, link, self.guide
                ),
            },
        }

    def _link(self, page: Page, config: MkDocsConfig) -> library.Link:
        return self._linker(page.url, config)

    def _linker(self, page_url: str, config: MkDocsConfig) -> library.Link:
        """Links from the page at PAGE_URL: up to the site root, then down to the target.
        Not the shortest href, but the same for every page of a depth, and cheap."""
        up = "../" * page_url.lstrip("./").count("/")
        urls = self._urls

        def link(target: str) -> str:
            url = urls.get(target)
            if url is None:
                url = urls[target] = File(target, "", "", config.use_directory_urls).url
            return (up + url) or "./"

        return link

    def on_pre_page(self, page: Page, *, config: MkDocsConfig, files: Files) -> Page:
        if self.serving:
            self.preview.pre_page(page)
        return page

    def on_page_content(self, html: str, *, page: Page, config: MkDocsConfig, files: Files) -> str:
        if self._ahead_lang is not None:
            self._feed_ready(files, page)
        if self.progress is not None:
            self._pages[0] += 1
            self.progress("rendering", self._pages[0], self._pages[2])
        if not self.serving or page.file.src_uri not in self.entries:
            return self._page_content(html, page, config)
        kept = self.preview.kept_content(page)
        if kept is not None:
            return kept
        result = self._page_content(html, page, config)
        self.preview.keep(page, html, result)
        return result

    def _page_content(self, html: str, page: Page, config: MkDocsConfig) -> str:
        if self.guard is not None and self.guard.problems:
            problems, self.guard.problems = self.guard.problems, []
            raise PluginError("postmortems: " + "; ".join(problems))
        uri = page.file.src_uri
        generated = self.generated.get(uri) or (self.home if uri == library.HOME else None)
        if generated is not None:
            for key, value in generated.slots.items():
                html = html.replace(key, value, 1)
            return html
        meta = page.meta.get("postmortem") if uri in self.entries else None
        if not meta:
            return library.label_checkboxes(html)
        # The body as the browser gets it: only what the allow-list keeps, whatever the
        # checks said (PM402 reports the same removals on the source lines).
        html = library.mark_timeline(html)
        _escape_toc(page.toc)
        top = (
            [item for item in page.toc for item in (item.children or [item]) if item.level == 2]
            if page.toc
            else []
        )
        header = str(meta["header_html"]) + library.contents_html(
            [(unescape(item.title), item.url) for item in top]
        )
        if self.serving:  # a preview may render one page alone: at once, here
            return _incident_body(sanitize.clean(html), header)
        # A build sanitizes on the other core while MkDocs renders the next pages (nh3
        # releases the GIL); the body takes the page's place in `on_page_context`.
        if self._sanitizer is None:
            self._sanitizer = ThreadPoolExecutor(1, thread_name_prefix="postmortems-sanitize")
        self._bodies[uri] = (self._sanitizer.submit(sanitize.clean, html), header)
        return PENDING_BODY

    @event_priority(100)  # first: every later event sees the finished body
    def on_page_context(self, context: Any, *, page: Page, config: MkDocsConfig, nav: Any) -> Any:
        self._finish_page(page)
        return context

    def _finish_page(self, page: Page) -> None:
        """The page's final content: an incident body back from the sanitizing thread,
        and the content marked for Pagefind unless the page is kept out of search. Once
        per page and build (`on_env` when the index is fed ahead, else `on_page_context`)."""
        uri = page.file.src_uri
        if uri in self._finished:
            return
        self._finished.add(uri)
        pending = self._bodies.pop(uri, None)
        if pending is not None:
            if page.content != PENDING_BODY:
                log.warning(
                    f"{page.file.src_uri}: another plugin changed this incident page's "
                    "HTML after the postmortems plugin; the change is not kept (change "
                    "incident pages in `on_page_context` or `on_post_page` instead)"
                )
            body, header = pending
            page.content = _incident_body(body.result(), header)
        if page.content is not None and _indexed(page):
            page.content = search_index.marked(page.content)


# Material's language (`<html lang>`), as its base template says it.
_LANGUAGE = '{% import "partials/language.html" as lang with context %}{{ lang.t("language") }}'


def _language(config: MkDocsConfig) -> str | None:
    """The language the theme writes into `<html lang>`; None when it cannot be told (a
    theme without Material's language partial: its pages are fed as they are written)."""
    try:
        return str(config.theme.get_env().from_string(_LANGUAGE).render(config=config)).strip()
    except Exception as exc:
        log.debug(f"Pagefind: pages are fed as they are written ({exc})")
        return None


def _indexed(page: Page) -> bool:
    """Whether Pagefind indexes the page: not if its front matter says `search: exclude`
    (the library's generated listings do), as Material's search plugin reads it."""
    search = page.meta.get("search") if isinstance(page.meta, dict) else None
    return not (isinstance(search, dict) and search.get("exclude"))


def _incident_body(clean_html: str, header: str) -> str:
    """The sanitized body with its checklist boxes labelled and the header under the H1."""
    html = library.label_checkboxes(clean_html)
    head, sep, rest = html.partition("</h1>")
    if sep:
        return head + sep + header + rest
    return header + html


def _escape_toc(items: Any) -> None:
    """Table-of-contents titles as text: MkDocs places them in the page unescaped."""
    for item in items or ():
        item.title = sanitize.text_only(item.title)
        _escape_toc(getattr(item, "children", ()))


def _front_matter_lines(page: Page, markdown: str) -> int:
    """Lines of the page's source before MARKDOWN (MkDocs hands the Markdown over without its
    front matter), so that a message names the line in the file the author has open."""
    try:
        with open(page.file.abs_src_path or "", encoding="utf-8-sig") as handle:
            source = handle.read()
    except (OSError, UnicodeDecodeError):
        return 0
    at = source.rfind(markdown) if markdown else -1
    return source.count("\n", 0, at) if at > 0 else 0
