"""`postmortem evidence add` and `postmortem evidence verify`: evidence with its SHA-256."""

from __future__ import annotations

import sys

import click

from ..core.evidence import (
    add_evidence,
    manifest_link,
    orphan_folders,
    read_manifest,
    verify,
)
from ..core.export import text_table
from ..core.knowledge_base import find_postmortem
from ..core.rules import ID_PATTERN
from .common import emit_json, handle_errors, load_kb, root_option
from .follow import load_postmortems
from .main import cli
from .progress import progress


@cli.group()
def evidence() -> None:
    """Evidence kept with a post-mortem, each item recorded with its SHA-256.

    Files are copied into postmortems/<YYYY>/<ID>/evidence/ and recorded in
    manifest.json there; `verify` re-hashes them. Evidence files never go into a site.
    """


@evidence.command("add")
@click.argument("pm_id", metavar="ID")
@click.argument("source", metavar="FILE|URL")
@click.option("--note", default="", help="What this is and where it came from.")
@click.option(
    "--sha256",
    "sha256",
    metavar="HEX",
    help="The expected SHA-256: recorded for a URL, checked for a file.",
)
@click.option(
    "--force",
    is_flag=True,
    help="Record a note or URL even though it looks like it holds a secret.",
)
@root_option
@handle_errors
def add(pm_id: str, source: str, note: str, sha256: str | None, force: bool) -> None:
    """Record FILE or URL as evidence of post-mortem ID.

    \b
    A file is copied into postmortems/<YYYY>/<ID>/evidence/ (never over another file:
    a second file of the same name gets a distinct name) and recorded in manifest.json
    with its SHA-256, size, original name, the time (UTC), who added it (git's
    user.name and user.email) and the note. A file larger than evidence_max_bytes
    (mkdocs.yml; 10 MB by default) is not copied, since git is no evidence store for
    large files: it is recorded by hash, size and location. A URL is recorded with
    the hash given by --sha256, if any. Symlinks and paths with `..` are refused.
    A note or URL that holds a secret (PM401) is refused unless --force: the secret
    is not echoed; write [REDACTED] in its place.
    """
    config = load_kb()
    pm = find_postmortem(config, pm_id)
    item = add_evidence(config, pm, source, note=note, sha256=sha256, force=force)
    if item.kind == "file":
        click.echo(
            f"Copied to {pm.id}/evidence/{item.name} ({item.size} bytes, SHA-256 {item.sha256})."
        )
    elif item.kind == "external":
        click.echo(
            f"Too large to copy ({item.size} bytes > {config.evidence_max_bytes}): "
            f"recorded by hash at {item.location} (SHA-256 {item.sha256})."
        )
    else:
        click.echo(
            f"Recorded URL {item.location}" + (f" (SHA-256 {item.sha256})." if item.sha256 else ".")
        )
    pm_link = manifest_link(pm)
    if pm_link not in pm.text:
        click.echo(
            f"Link the manifest from section 2 of {pm.path}: [evidence manifest]({pm_link})",
            err=True,
        )


@evidence.command("list")
@click.argument("pm_id", metavar="[ID]", required=False)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="table for people, json for scripts.",
)
@root_option
@handle_errors
def list_command(pm_id: str | None, fmt: str) -> None:
    """List the recorded evidence (of ID, or of every post-mortem): names, hashes, sizes,
    when and by whom it was added. Reads the manifests only; `verify` re-hashes."""
    config = load_kb()
    postmortems = [find_postmortem(config, pm_id)] if pm_id else load_postmortems(config)
    entries = [
        (pm, item)
        for pm in postmortems
        if ID_PATTERN.match(pm.id)
        for item in read_manifest(config, pm)
    ]
    if fmt == "json":
        emit_json([{"postmortem": pm.id, **item.as_dict()} for pm, item in entries])
    elif not entries:
        click.echo("No evidence recorded.")
    else:
        click.echo(
            text_table(
                ("POSTMORTEM", "EVIDENCE", "KIND", "BYTES", "SHA-256", "ADDED", "BY", "NOTE"),
                (
                    [
                        pm.id,
                        item.label,
                        item.kind,
                        "" if item.size is None else item.size,
                        item.sha256,
                        item.added_at,
                        item.added_by,
                        item.note,
                    ]
                    for pm, item in entries
                ),
                wrap=64,
            )
        )


@evidence.command("verify")
@click.argument("pm_id", metavar="[ID]", required=False)
@click.option("--quiet", "-q", is_flag=True, help="Print only what failed.")
@root_option
@handle_errors
def verify_command(pm_id: str | None, quiet: bool) -> None:
    """Re-hash every recorded evidence file (of ID, or of every post-mortem).

    \b
    Exit 1 naming every file whose SHA-256 no longer matches, that is gone, that is
    in an evidence folder without being recorded (e.g. renamed), or that is a symlink
    or a path outside its folder. Files too large to copy are checked where they were
    recorded when that place is reachable; URLs are not fetched.
    """
    config = load_kb()
    postmortems = [find_postmortem(config, pm_id)] if pm_id else load_postmortems(config)
    with progress("verifying the evidence of") as shown:
        results = verify(config, postmortems, progress=shown)
    if not pm_id:
        for folder in orphan_folders(config, postmortems):
            click.echo(
                f"Warning: {config.relative(folder)}: no post-mortem has this id; "
                "its evidence is not verified",
                err=True,
            )
    failed = [r for r in results if r.failed]
    for r in results:
        if r.failed:
            click.echo(f"FAILED {r.outcome}: {r.path}: {r.detail}")
        elif not quiet:
            click.echo(f"{r.outcome}: {r.path}: {r.detail}")
    checked = sum(r.outcome in ("ok", "changed", "missing") for r in results)
    summary = f"{len(failed)} failed of {len(results)} evidence entries ({checked} hashed)."
    if failed:
        click.echo(summary, err=True)
        sys.exit(1)
    if not quiet:
        click.echo(summary if results else "No evidence recorded.")
