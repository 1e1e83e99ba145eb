"""`postmortem build` and `postmortem serve`: the incident library site, through MkDocs.

Both call MkDocs' Python API with the knowledge base's mkdocs.yml; the `postmortems` plugin
does the work, so plain `mkdocs build` / `mkdocs serve` give the same site. The audience is
passed as POSTMORTEM_AUDIENCE, the variable the plugin reads, for the length of the call.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from ..core.config import AUDIENCE_ENV, CONFIG_FILE
from ..core.errors import ConfigError, PostmortemError, UsageError
from ..core.model import VISIBILITIES
from .common import handle_errors, load_kb, root_option
from .main import cli
from .progress import Progress, Stages, progress

DRAFTS_ENV = "POSTMORTEM_DRAFTS"  # "1": drafts in, "0": drafts out (read by the plugin)

# What `postmortem build` counts at each stage of the plugin's progress (mkdocs/plugin.py).
BUILD_STAGES = {"reading": "post-mortems", "rendering": "pages", "writing": "pages"}
BUILD_REDRAW_EVERY = 0.25  # seconds: a few lines a second, nothing the build would feel

audience_option = click.option(
    "--audience",
    type=click.Choice(VISIBILITIES),
    default=None,
    help="Who the site is for: it shows only post-mortems of this visibility or lower "
    "(default: POSTMORTEM_AUDIENCE, else the `audience` setting in mkdocs.yml).",
)


class _EchoHandler(logging.Handler):
    """MkDocs' log lines on stderr, as `mkdocs` itself prints them (a progress line erased
    first: it is drawn again at the next step)."""

    def __init__(self, level: int) -> None:
        super().__init__(level)
        self.shown: Progress | None = None

    def emit(self, record: logging.LogRecord) -> None:
        try:
            if self.shown is not None:
                self.shown.close()
            click.echo(f"{record.levelname:<8}-  {record.getMessage()}", err=True)
        except Exception:  # pragma: no cover - never let logging break a build
            self.handleError(record)


@contextlib.contextmanager
def _mkdocs_session(audience: str | None, drafts: bool | None) -> Iterator[_EchoHandler]:
    logger = logging.getLogger("mkdocs")
    handler = _EchoHandler(logging.INFO)
    saved = {k: os.environ.get(k) for k in (AUDIENCE_ENV, "NO_MKDOCS_2_WARNING", DRAFTS_ENV)}
    old_level, old_propagate = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    if audience:
        os.environ[AUDIENCE_ENV] = audience
    if drafts is not None:
        os.environ[DRAFTS_ENV] = "1" if drafts else "0"
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
        logger.propagate = old_propagate
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _mkdocs_errors(exc: BaseException) -> PostmortemError:
    from mkdocs.exceptions import Abort, ConfigurationError

    if isinstance(exc, ConfigurationError):
        return ConfigError(f"{CONFIG_FILE}: {exc}")
    if isinstance(exc, Abort):
        return PostmortemError(f"the site was not built: {exc}")
    return PostmortemError(f"the site was not built: {exc}")


def _check_site_dir(docs: Path, site_dir: Path) -> None:
    """A site folder of its own: MkDocs empties it before writing, so it must neither be nor
    hold nor sit inside the post-mortems folder."""
    target, docs = site_dir.resolve(), docs.resolve()
    if target == docs:
        why = "is the post-mortems folder"
    elif target.is_relative_to(docs):
        why = "is inside the post-mortems folder"
    elif docs.is_relative_to(target):
        why = "holds the post-mortems folder"
    else:
        return
    raise UsageError(
        f"--site-dir {site_dir} {why} ({docs}): the build empties the site folder "
        "and writes pages into it; choose a folder of its own, e.g. site"
    )


@cli.command()
@audience_option
@click.option(
    "--site-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where to write the site (default: site/ next to mkdocs.yml).",
)
@click.option(
    "--strict",
    is_flag=True,
    help="Fail (exit 1) when any post-mortem has an error or MkDocs warns, after listing them all.",
)
@click.option("--drafts", is_flag=True, help="Include draft post-mortems (with a banner).")
@root_option
@handle_errors
def build(audience: str | None, site_dir: Path | None, strict: bool, drafts: bool) -> None:
    """Build the incident library site for one audience.

    An audience sees only post-mortems of its visibility or lower (public < internal <
    restricted) and nothing of the others anywhere in the output; blocks marked for a higher
    audience are cut out. Exit 1 when --strict finds a problem.
    """
    from mkdocs.commands.build import build as mkdocs_build
    from mkdocs.config import load_config
    from mkdocs.exceptions import MkDocsException

    kb = load_kb()
    options: dict[str, Any] = {"config_file": str(kb.root / CONFIG_FILE), "strict": strict}
    if site_dir is not None:
        _check_site_dir(kb.docs_path, site_dir)
        options["site_dir"] = str(site_dir.resolve())
    with _mkdocs_session(audience, True if drafts else None) as echo:
        try:
            config = load_config(**options)
        except MkDocsException as exc:
            raise ConfigError(
                f"{CONFIG_FILE} is not a valid MkDocs configuration: {exc}",
                path=str(kb.root / CONFIG_FILE),
            ) from None
        if "postmortems" not in config.plugins:
            click.echo(
                f"Warning: the `postmortems` plugin is not listed in {CONFIG_FILE}: "
                "post-mortems are neither checked nor kept from other audiences",
                err=True,
            )
        plugin = config.plugins.get("postmortems")
        with progress("reading") as shown:
            if shown is not None and plugin is not None:
                # The plugin tells the stage and the count; the line is drawn here.
                plugin.progress = Stages(shown, BUILD_STAGES, BUILD_REDRAW_EVERY)
                echo.shown = shown
            try:
                config.plugins.on_startup(command="build", dirty=False)
                try:
                    mkdocs_build(config)
                finally:
                    config.plugins.on_shutdown()
            except MkDocsException as exc:
                raise _mkdocs_errors(exc) from None
            finally:
                echo.shown = None
                if plugin is not None:
                    plugin.progress = None
    click.echo(f"Site written to {config.site_dir}", err=True)


@cli.command()
@audience_option
@click.option(
    "--dev-addr",
    "-a",
    metavar="IP:PORT",
    default="127.0.0.1:8000",
    show_default=True,
    help="Where to serve the preview.",
)
@click.option("--no-drafts", is_flag=True, help="Leave drafts out of the preview too.")
@root_option
@handle_errors
def serve(audience: str | None, dev_addr: str, no_drafts: bool) -> None:
    """Preview the site with live reload: pages rebuild when a post-mortem changes.

    Drafts are shown, with a banner, unless --no-drafts.
    """
    from mkdocs.commands.serve import serve as mkdocs_serve
    from mkdocs.exceptions import MkDocsException

    kb = load_kb()
    with _mkdocs_session(audience, False if no_drafts else None):
        try:
            mkdocs_serve(config_file=str(kb.root / CONFIG_FILE), livereload=True, dev_addr=dev_addr)
        except MkDocsException as exc:
            raise _mkdocs_errors(exc) from None
        except KeyboardInterrupt:  # pragma: no cover - the user stopped the preview
            pass
