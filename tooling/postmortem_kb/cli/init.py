"""`postmortem init DIR`: a new, working knowledge base."""

from __future__ import annotations

from pathlib import Path

import click

from ..core.scaffold import init_knowledge_base
from .common import handle_errors
from .main import cli


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@handle_errors
def init(directory: Path) -> None:
    """Write a new knowledge base into DIRECTORY (mkdocs.yml, templates, home page,
    GitHub workflows and PR template). Refuses to overwrite any existing file."""
    written = init_knowledge_base(directory)
    for path in written:
        click.echo(f"  created {path.relative_to(directory).as_posix()}")
    click.echo(f"Knowledge base ready in {directory}. Next: cd {directory} && "
               "postmortem new --type <type> --severity <SEV1-4>")
