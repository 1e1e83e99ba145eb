"""A small knowledge base for the site tests, with marker strings in what some audiences
must never see. Built once per test module (see the module-scoped fixtures)."""

from __future__ import annotations

import contextlib
import gzip
import os
import shutil
import subprocess
import sys
import zlib
from pathlib import Path

from conftest import complete_postmortem_text, run_cli

# Markers: lower-case, unique, found only where the audience may see them.
INTERNAL = (
    "PM-2026-002",
    "zzinternalslug",
    "zzinternaltitle",
    "zzinternaltag",
    "zzinternalservice",
    "zzinternalbody",
    "zzinternalattachment",
)
RESTRICTED = (
    "PM-2026-003",
    "zzrestrictedslug",
    "zzrestrictedtitle",
    "zzrestrictedtag",
    "zzrestrictedservice",
    "zzrestrictedbody",
    "zzrestrictedattachment",
)
INTERNAL_BLOCK = ("zzinternalblock",)
RESTRICTED_BLOCK = ("zzrestrictedblock",)
DRAFT = ("PM-2026-004", "zzdraftslug", "zzdrafttitle")
EVIDENCE = ("zzevidencecontent", "zzevidencename")
PUBLIC = ("PM-2026-001", "zzpublicslug", "zzpublicbody", "zzpublicattachment")


def _with(text: str, title: str, tag: str, service: str, body: str, attachment: bool = True) -> str:
    pm_id = text.split("id: ", 1)[1].split("\n", 1)[0].strip()
    link = f" The [diagram]({pm_id}/diagram.txt)." if attachment else ""
    text = text.replace(
        "title: CI registry token committed to a public repository and used "
        "to download private packages",
        f"title: Incident {title}",
    )
    text = text.replace("tags:\n", f"tags:\n  - {tag}\n", 1)
    text = text.replace("services:\n", f"services:\n  - {service}\n", 1)
    # Each post-mortem links its attachment: an attachment no page links is left out.
    return text.replace(
        "## Summary\n",
        f"## Summary\n\nMarker {body} here.{link}\n",
        1,
    )


PUBLIC_EXTRA = """
!!! restricted "Attacker infrastructure"
    The command-and-control host was zzrestrictedblock.example.

    Second paragraph of the same block, zzrestrictedblock again.

!!! internal "Internal detail"
    Internal only: zzinternalblock.

See also [the restricted one](PM-2026-003-zzrestrictedslug.md) and PM-2026-003, and the
internal [PM-2026-002](PM-2026-002-zzinternalslug.md).

The evidence is listed in the [Evidence manifest](PM-2026-001/evidence/manifest.json).

```markdown
!!! restricted
    an example inside code stays: zzcodeexample
```
"""


def use_material_search(root: Path) -> Path:
    """Switch a knowledge base from Pagefind (the default) to Material's search plugin."""
    config = root / "mkdocs.yml"
    text = config.read_text(encoding="utf-8")
    assert "plugins:\n" in text and "  - search\n" not in text
    config.write_text(text.replace("plugins:\n", "plugins:\n  - search\n", 1), encoding="utf-8")
    return root


def write_kb(root: Path) -> Path:
    """`postmortem init`, then four post-mortems, attachments and evidence."""
    result = run_cli("init", str(root))
    assert result.exit_code == 0, result.output + result.stderr
    year = root / "postmortems" / "2026"
    year.mkdir(parents=True, exist_ok=True)
    public = _with(
        complete_postmortem_text("PM-2026-001", "published", "public"),
        "public zzpublictitle",
        "publictag",
        "publicservice",
        "zzpublicbody",
    )
    public = public.replace("## Timeline\n", PUBLIC_EXTRA + "\n## Timeline\n", 1)
    (year / "PM-2026-001-zzpublicslug.md").write_text(public, encoding="utf-8")
    (year / "PM-2026-002-zzinternalslug.md").write_text(
        _with(
            complete_postmortem_text("PM-2026-002", "published", "internal"),
            "zzinternaltitle",
            "zzinternaltag",
            "zzinternalservice",
            "zzinternalbody",
        ),
        encoding="utf-8",
    )
    (year / "PM-2026-003-zzrestrictedslug.md").write_text(
        _with(
            complete_postmortem_text("PM-2026-003", "published", "restricted"),
            "zzrestrictedtitle",
            "zzrestrictedtag",
            "zzrestrictedservice",
            "zzrestrictedbody",
        ),
        encoding="utf-8",
    )
    (year / "PM-2026-004-zzdraftslug.md").write_text(
        _with(
            complete_postmortem_text("PM-2026-004", "draft", "public"),
            "zzdrafttitle",
            "drafttag",
            "draftservice",
            "zzdraftbody",
            attachment=False,
        ),
        encoding="utf-8",
    )
    for pm_id, marker in (
        ("PM-2026-001", "zzpublicattachment"),
        ("PM-2026-002", "zzinternalattachment"),
        ("PM-2026-003", "zzrestrictedattachment"),
    ):
        folder = year / pm_id
        (folder / "evidence").mkdir(parents=True)
        (folder / "diagram.txt").write_text(f"attachment {marker}\n", encoding="utf-8")
        (folder / "evidence" / "zzevidencename.log").write_text(
            "zzevidencecontent\n", encoding="utf-8"
        )
        (folder / "evidence" / "manifest.json").write_text(
            '{"files": [{"name": "zzevidencename.log", "note": "zzevidencecontent"}]}\n',
            encoding="utf-8",
        )
    return root


def output_texts(site: Path) -> dict[str, str]:
    """Every file of a built site as lower-case text, compressed files unpacked."""
    texts: dict[str, str] = {}
    for dirpath, _, names in os.walk(site):
        for name in names:
            path = Path(dirpath) / name
            data = path.read_bytes()
            if data[:2] == b"\x1f\x8b":
                data = gzip.decompress(data)
            elif data[:1] == b"\x78":
                with contextlib.suppress(zlib.error):
                    data = zlib.decompress(data)
            rel = path.relative_to(site).as_posix()
            texts[rel] = (rel + "\n" + data.decode("utf-8", "replace")).casefold()
    return texts


def leaks(texts: dict[str, str], markers: tuple[str, ...]) -> list[str]:
    return sorted(
        f"{m} in {rel}" for rel, text in texts.items() for m in markers if m.casefold() in text
    )


def build(root: Path, site: Path, *args: str) -> Path:
    result = run_cli("build", "-C", str(root), "--site-dir", str(site), *args)
    assert result.exit_code == 0, result.output + result.stderr
    return site


def pagefind_site(site: Path, tmp: Path) -> Path:
    """`pagefind --site` over a copy of SITE without its bundle (with the options the build
    gives Pagefind): the bundle folder it wrote."""
    again = tmp / f"{site.name}-cli"
    shutil.copytree(site, again, ignore=shutil.ignore_patterns("pagefind"))
    done = subprocess.run(
        [sys.executable, "-m", "pagefind", "--site", str(again), "--output-subdir", "pagefind"]
        + ["--exclude-selectors", ".headerlink", "--quiet"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return again / "pagefind"


def pagefind_bundle(pages: list[tuple[str, str]]) -> list[tuple[str, bytes]]:
    """The bundle Pagefind's service makes of PAGES (site path, HTML as given: no cut)."""
    from postmortem_kb.mkdocs.search_index import LiveIndex

    index = LiveIndex.start()
    try:
        for rel, html in pages:
            index._send_page(rel, html)
        bundle, problems = index.files(index.build())
    finally:
        index.close()
    assert not problems
    return bundle
