"""The `postmortem` command group; each command lives in its own module."""

from __future__ import annotations

from pathlib import Path

import click

from .. import __version__
from .common import KBContext


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="postmortem")
@click.option("-C", "directory", type=click.Path(file_okay=False, path_type=Path),
              help="The knowledge base root (default: the nearest folder upward with mkdocs.yml).")
@click.pass_context
def cli(ctx: click.Context, directory: Path | None) -> None:
    """Blameless, security-focused incident post-mortems as Markdown in git.

    Start with `postmortem init DIR`, scaffold with `postmortem new`, and let
    `postmortem check` tell you (and CI) what each status still lacks.
    """
    ctx.ensure_object(KBContext).directory = directory


def _register() -> None:
    from . import check, init, new  # noqa: F401  (each module adds its commands)

    for module in ("status", "intake", "follow", "evidence", "site", "export"):
        try:
            __import__(f"{__package__}.{module}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__package__}.{module}":
                raise


_register()


def main() -> None:
    cli(prog_name="postmortem")
