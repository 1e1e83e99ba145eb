"""Attachments no page links stay out of the site (fail closed), with a warning that names
the file and the fix; linked ones are published; links inside blocks an audience does not
see do not count for it. Real knowledge bases, real builds."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import complete_postmortem_text, run_cli
from postmortem_kb.core import attachments
from test_site_support import output_texts

BODY = """
The [timeline export](PM-2026-001/linked.txt) and ![a graph](PM-2026-001/graph%20one.svg).

!!! internal "Internal detail"
    The [internal log](PM-2026-001/inside.txt).

"""


@pytest.fixture(scope="module")
def kb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("attachments") / "kb"
    result = run_cli("init", str(root))
    assert result.exit_code == 0, result.output + result.stderr
    year = root / "postmortems" / "2026"
    year.mkdir(parents=True, exist_ok=True)
    text = complete_postmortem_text("PM-2026-001", "published", "public")
    (year / "PM-2026-001-attachments.md").write_text(
        text.replace("## Summary\n", "## Summary\n" + BODY, 1), encoding="utf-8"
    )
    folder = year / "PM-2026-001"
    folder.mkdir()
    for name, content in (
        ("linked.txt", "zzlinkedfile"),
        ("graph one.svg", '<svg xmlns="http://www.w3.org/2000/svg"><title>zzgraph</title></svg>'),
        ("inside.txt", "zzinsidefile"),
        ("stray.txt", "zzstrayfile"),
        ("guide-linked.txt", "zzguidelinked"),
    ):
        (folder / name).write_text(content + "\n", encoding="utf-8")
    guide = root / "postmortems" / "guide" / "index.md"
    guide.write_text(
        guide.read_text(encoding="utf-8")
        + "\n\nAn example: [a linked file](../2026/PM-2026-001/guide-linked.txt).\n",
        encoding="utf-8",
    )
    return root


def _build(root: Path, site: Path, audience: str, *extra: str):  # type: ignore[no-untyped-def]
    return run_cli(
        "build", "-C", str(root), "--site-dir", str(site), "--audience", audience, *extra
    )


def test_unlinked_attachment_is_left_out_with_a_warning_naming_it(kb: Path, tmp_path: Path):
    result = _build(kb, tmp_path / "public", "public")
    assert result.exit_code == 0, result.output + result.stderr
    said = result.output + result.stderr
    assert "postmortems/2026/PM-2026-001/stray.txt: no page of the public site links" in said
    assert "link it from its post-mortem to publish it" in said
    texts = "\n".join(output_texts(tmp_path / "public").values())
    assert "zzstrayfile" not in texts
    # linked files (also with a space in the name, and from a guide) are published
    for shown in ("zzlinkedfile", "zzgraph", "zzguidelinked"):
        assert shown in texts, shown
    # linked only from a block above the audience: out, and not warned about as stray
    assert "zzinsidefile" not in texts
    assert "inside.txt: no page" not in said


def test_a_block_the_audience_sees_publishes_its_links(kb: Path, tmp_path: Path):
    result = _build(kb, tmp_path / "internal", "internal")
    assert result.exit_code == 0, result.output + result.stderr
    texts = "\n".join(output_texts(tmp_path / "internal").values())
    assert "zzinsidefile" in texts and "zzstrayfile" not in texts


def test_strict_build_refuses_an_unlinked_attachment(kb: Path, tmp_path: Path):
    result = _build(kb, tmp_path / "strict", "public", "--strict")
    assert result.exit_code != 0
    assert "stray.txt" in result.output + result.stderr


def test_attachment_paths_and_links():
    assert attachments.is_attachment("2026/PM-2026-001/a.png")
    assert not attachments.is_attachment("2026/PM-2026-001-x.md")
    assert not attachments.is_attachment("guide/a.png")
    links = attachments.linked(
        [
            ("2026/PM-2026-001-x.md", "[a](PM-2026-001/a.png) <img src='PM-2026-001/b.png'>"),
            ("guide/index.md", "[ref]: ../2026/PM-2026-001/c.txt"),
        ]
    )
    assert links >= {"2026/PM-2026-001/a.png", "2026/PM-2026-001/b.png", "2026/PM-2026-001/c.txt"}
    assert attachments.unlinked(
        ["2026/PM-2026-001/a.png", "2026/PM-2026-001/d.png", "index.md"], links
    ) == ["2026/PM-2026-001/d.png"]
