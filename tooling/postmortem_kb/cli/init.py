"""`postmortem init DIR`: a new, working knowledge base."""

from __future__ import annotations

import shlex
from pathlib import Path

import click

from ..core.origin import tool_source
from ..core.scaffold import KEPT_IF_PRESENT, init_knowledge_base
from .common import handle_errors
from .main import cli


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--tool-source",
    "spec",
    metavar="SPEC",
    envvar="POSTMORTEM_TOOL_SOURCE",
    help="What the generated workflows and pre-commit hook install: a pip requirement "
    "such as 'postmortem-kb==0.1.0' or 'postmortem-kb @ git+https://…@v0.1.0'. "
    "Default: where this postmortem-kb was installed from, pinned (required "
    "when that is a local folder or an editable install).",
)
@click.option(
    "--site-url",
    default="",
    metavar="URL",
    help="Where the site will be published, e.g. https://example.github.io/"
    "incident-kb/ (written to mkdocs.yml as site_url; the 404 page and its "
    "links need it when the site lives under a sub-path).",
)
@handle_errors
def init(directory: Path, spec: str | None, site_url: str) -> None:
    """Write a new knowledge base into DIRECTORY (mkdocs.yml, templates, home page,
    GitHub workflows and PR template). Refuses to overwrite any existing file."""
    tool = tool_source(spec)
    written = init_knowledge_base(directory, tool, site_url)
    for path in written:
        click.echo(f"  created {path.relative_to(directory).as_posix()}")
    for name in KEPT_IF_PRESENT:
        if directory / name not in written:
            click.echo(f"  kept    {name} (yours; the knowledge base's README was not written)")
    click.echo(f"Workflows install {tool.requirement} ({tool.described}).")
    for warning in tool.warnings:
        click.echo(f"warning: {warning}", err=True)
    here = directory.resolve() == Path.cwd().resolve()
    go = "" if here else f"cd {shlex.quote(str(directory))} && "
    start = "" if _in_a_git_repository(directory) else "git init && "
    click.echo(
        f"Knowledge base ready in {'this folder' if here else directory}. Next: "
        f"{go}{start}git add -A && git commit -m 'Post-mortem knowledge base', then "
        "postmortem new --type <type> --severity <SEV1-4>"
    )


def _in_a_git_repository(directory: Path) -> bool:
    folder = directory.resolve()
    return any((p / ".git").exists() for p in (folder, *folder.parents))
