"""The `postmortem` command group; each command lives in its own module."""

from __future__ import annotations

import importlib
from pathlib import Path

import click

from .. import __version__
from . import common
from .common import KBContext

# Which module defines each command: a command's module (and what it imports: MkDocs for
# `build`, git for `new`) is loaded only when that command runs, so `postmortem check`
# starts in a fraction of the time.
COMMAND_MODULES = {
    "init": "init",
    "new": "new",
    "check": "check",
    "rules": "check",
    "status": "status",
    "intake": "intake",
    "actions": "follow",
    "stats": "follow",
    "controls": "follow",
    "evidence": "evidence",
    "build": "site",
    "serve": "site",
    "export": "export",
    "report": "export",
}


class LazyGroup(click.Group):
    """A group whose commands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(COMMAND_MODULES))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMAND_MODULES:
            importlib.import_module(f"{__package__}.{COMMAND_MODULES[cmd_name]}")
        return super().get_command(ctx, cmd_name)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="postmortem")
@click.option(
    "-C",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    help="The knowledge base root (default: the nearest folder upward with mkdocs.yml).",
)
@click.pass_context
def cli(ctx: click.Context, directory: Path | None) -> None:
    """Blameless, security-focused incident post-mortems as Markdown in git.

    Start with `postmortem init DIR`, scaffold with `postmortem new`, and let
    `postmortem check` tell you (and CI) what each status still lacks.
    """
    ctx.ensure_object(KBContext).directory = directory


def load_all_commands() -> None:
    """Import every command module (for documentation and tests that walk the commands)."""
    for module in sorted(set(COMMAND_MODULES.values())):
        importlib.import_module(f"{__package__}.{module}")


def main() -> None:
    common._EXIT_HARD = True
    try:
        cli(prog_name="postmortem")
    except SystemExit as end:
        common.exit_holding(end.code)  # a follow-through command's records, not freed
        raise
