"""Audiences: one source, several sites. The leak tests are the most important tests of the
site: marker strings of post-mortems and blocks above an audience are searched for in every
output file of that audience's build (compressed files unpacked), ids and slugs included."""

from __future__ import annotations

import pytest

from conftest import complete_postmortem_text
from postmortem_kb.core.audience import (
    cut_marked_blocks,
    in_build,
    may_see,
    site_file_allowed,
    unlink_evidence,
    withhold,
)
from postmortem_kb.core.parse import parse_text
from test_site_support import (
    DRAFT,
    EVIDENCE,
    INTERNAL,
    INTERNAL_BLOCK,
    PUBLIC,
    RESTRICTED,
    RESTRICTED_BLOCK,
    build,
    leaks,
    output_texts,
    use_material_search,
    write_kb,
)


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    """The fixture knowledge base built once per audience (and once with drafts)."""
    base = tmp_path_factory.mktemp("audience")
    root = use_material_search(write_kb(base / "kb"))
    built = {}
    for audience in ("public", "internal", "restricted"):
        built[audience] = output_texts(
            build(root, base / f"site-{audience}", "--strict", "--audience", audience)
        )
    built["public+drafts"] = output_texts(
        build(root, base / "site-drafts", "--audience", "public", "--drafts")
    )
    pagefind_root = write_kb(base / "kb-pagefind")  # Pagefind: the default
    for audience in ("public", "internal"):
        built[f"{audience}+pagefind"] = output_texts(
            build(
                pagefind_root,
                base / f"site-pagefind-{audience}",
                "--strict",
                "--audience",
                audience,
            )
        )
    return built


# --- what each audience must never see ---------------------------------------------------


def test_public_build_holds_nothing_internal_or_restricted(sites):
    assert leaks(sites["public"], INTERNAL + RESTRICTED + INTERNAL_BLOCK + RESTRICTED_BLOCK) == []


def test_internal_build_holds_nothing_restricted(sites):
    assert leaks(sites["internal"], RESTRICTED + RESTRICTED_BLOCK) == []


def test_pagefind_index_holds_nothing_above_the_audience(sites):
    public, internal = sites["public+pagefind"], sites["internal+pagefind"]
    assert any(rel.endswith(".pf_fragment") for rel in public), "Pagefind did not run"
    assert (
        leaks(public, INTERNAL + RESTRICTED + INTERNAL_BLOCK + RESTRICTED_BLOCK + EVIDENCE + DRAFT)
        == []
    )
    assert leaks(internal, RESTRICTED + RESTRICTED_BLOCK + EVIDENCE + DRAFT) == []
    fragments = "".join(t for rel, t in public.items() if rel.endswith(".pf_fragment"))
    assert "zzpublicbody" in fragments  # the index does hold what the audience may see
    internal_fragments = "".join(t for rel, t in internal.items() if rel.endswith(".pf_fragment"))
    assert "zzinternalbody" in internal_fragments and "zzinternalblock" in internal_fragments


def test_link_into_evidence_is_unlinked(sites):
    page = next(
        t for rel, t in sites["restricted"].items() if rel.endswith("zzpublicslug/index.html")
    )
    assert "evidence manifest (evidence, kept out of the site)" in page
    assert "evidence/manifest.json" not in page


@pytest.mark.parametrize("audience", ["public", "internal", "restricted", "public+drafts"])
def test_evidence_never_reaches_any_build(sites, audience):
    assert leaks(sites[audience], EVIDENCE) == []


@pytest.mark.parametrize("audience", ["public", "internal", "restricted"])
def test_drafts_are_left_out_unless_asked_for(sites, audience):
    assert leaks(sites[audience], DRAFT) == []


# --- and what they do see (so the tests above cannot pass on an empty site) -------------


def test_public_build_shows_public_post_mortem_and_attachment(sites):
    found = leaks(sites["public"], PUBLIC)
    assert {f.split(" in ")[0] for f in found} == set(PUBLIC)


def test_internal_build_shows_internal_but_not_restricted_blocks(sites):
    assert {f.split(" in ")[0] for f in leaks(sites["internal"], INTERNAL + INTERNAL_BLOCK)} == set(
        INTERNAL + INTERNAL_BLOCK
    )


def test_restricted_build_shows_everything_but_drafts_and_evidence(sites):
    wanted = INTERNAL + RESTRICTED + INTERNAL_BLOCK + RESTRICTED_BLOCK + PUBLIC
    assert {f.split(" in ")[0] for f in leaks(sites["restricted"], wanted)} == set(wanted)


def test_drafts_build_shows_the_draft_with_a_banner(sites):
    page = next(t for rel, t in sites["public+drafts"].items() if "zzdraftslug/index.html" in rel)
    assert "pm-banner--draft" in page
    assert leaks(sites["public+drafts"], INTERNAL + RESTRICTED) == []


def test_code_examples_of_markers_are_kept(sites):
    assert leaks(sites["public"], ("zzcodeexample",))


def test_public_home_counts_only_what_it_shows(sites):
    home = sites["public"]["index.html"]
    assert "1 post-mortem<" in home
    assert "3 post-mortems" in sites["restricted"]["index.html"]


def test_link_to_hidden_post_mortem_is_unlinked_and_id_withheld(sites):
    page = next(t for rel, t in sites["public"].items() if rel.endswith("zzpublicslug/index.html"))
    assert "the restricted one" in page
    assert "[withheld]" in page


# --- the core functions, one case that breaks and one that does not ----------------------


def test_may_see_orders_audiences():
    assert may_see("internal", "public") and may_see("internal", "internal")
    assert not may_see("internal", "restricted")
    assert not may_see("public", "bogus")  # an unknown visibility counts as the highest


def test_in_build_leaves_out_drafts_and_higher_visibility():
    pm = parse_text(
        "postmortems/2026/x.md", complete_postmortem_text("PM-2026-001", "draft", "public")
    )
    assert not in_build(pm, "restricted", include_drafts=False)
    assert in_build(pm, "public", include_drafts=True)
    hidden = parse_text(
        "postmortems/2026/y.md", complete_postmortem_text("PM-2026-002", "published", "restricted")
    )
    assert not in_build(hidden, "internal", include_drafts=True)
    assert in_build(hidden, "restricted", include_drafts=False)


@pytest.mark.parametrize(
    "src_uri,allowed",
    [
        ("index.md", True),
        ("guide/how-to.md", True),
        ("templates/security.md", False),
        ("2026/PM-2026-001-shown.md", True),
        ("2026/PM-2026-009-hidden.md", False),
        ("2026/PM-2026-001/diagram.png", True),
        ("2026/PM-2026-001/evidence/log.txt", False),
        ("2026/PM-2026-001/evidence/manifest.json", False),
        ("2026/PM-2026-001/sub/evidence/x.txt", False),
        ("2026/PM-2026-009/diagram.png", False),
        ("2026/stray.txt", False),
    ],
)
def test_site_file_allowed(src_uri, allowed):
    assert site_file_allowed(src_uri, {"2026/PM-2026-001-shown.md"}, {"PM-2026-001"}) is allowed


BLOCKS = """Before.

!!! restricted "Secret"
    hidden one

    hidden two

!!! internal
    internal text

!!! restricted
    hidden three
After.
    ```
    !!! restricted
        inside code
    ```
"""


def test_cut_marked_blocks_per_audience():
    public = cut_marked_blocks(BLOCKS, "public")
    assert "hidden" not in public.replace("inside code", "") and "internal text" not in public
    assert "Before." in public and "After." in public
    internal = cut_marked_blocks(BLOCKS, "internal")
    assert "internal text" in internal and "hidden one" not in internal
    assert cut_marked_blocks(BLOCKS, "restricted") == BLOCKS
    # Lines are blanked, not removed: line numbers stay for every model and finding.
    assert public.count("\n") == BLOCKS.count("\n")


def test_cut_marked_blocks_keeps_markers_inside_code():
    text = "```\n!!! restricted\n    shown as code\n```\n"
    assert cut_marked_blocks(text, "public") == text


def test_ordinary_admonitions_stay():
    text = '!!! warning "Careful"\n    kept\n'
    assert cut_marked_blocks(text, "public") == text


def test_withhold_unlinks_and_withholds_only_hidden_ids():
    text = (
        "See [A](../2025/PM-2025-002-secret-slug.md#x), [B](PM-2025-003-ok.md), "
        "PM-2025-002 and PM-2025-003.\n\n[ref]: ../2025/PM-2025-002-secret-slug.md\n"
    )
    out = withhold(text, {"PM-2025-002"})
    assert "secret-slug" not in out and "PM-2025-002" not in out
    assert "[B](PM-2025-003-ok.md)" in out and "PM-2025-003." in out
    assert withhold(text, set()) == text


def test_unlink_evidence_only_touches_evidence_links():
    text = (
        "[Manifest](PM-2026-001/evidence/manifest.json) [Diagram](PM-2026-001/d.png) "
        "[Store](https://evidence.example.com/evidence/x)\n"
    )
    out = unlink_evidence(text)
    assert "Manifest (evidence, kept out of the site)" in out
    assert "[Diagram](PM-2026-001/d.png)" in out and "](https://evidence.example.com" in out
    assert unlink_evidence("no links here") == "no links here"


def _blocks_line_by_line(markdown: str) -> tuple[tuple[int, int, str], ...]:
    """The audience blocks as the renderer sees them, found by walking every line: what the
    searching `_marked_blocks` must give."""
    import re

    from postmortem_kb.core.audience import _CANONICAL, _FENCE_OPEN

    lines = markdown.split("\n")
    fenced = [False] * len(lines)
    index = 0
    while index < len(lines):
        opening = _FENCE_OPEN.match(lines[index]) if lines[index][:3] in ("```", "~~~") else None
        if opening:
            fence = opening.group(1)
            close = re.compile(re.escape(fence[0]) + "{" + str(len(fence)) + r",}[ \t]*$")
            end = next((j for j in range(index + 1, len(lines)) if close.match(lines[j])), None)
            if end is not None:
                for j in range(index, end + 1):
                    fenced[j] = True
                index = end + 1
                continue
        index += 1
    blocks = []
    index = 0
    while index < len(lines):
        match = _CANONICAL.match(lines[index])
        if match is None or fenced[index]:
            index += 1
            continue
        end = index + 1
        while end < len(lines) and (not lines[end].strip() or lines[end][:1] in " \t"):
            end += 1
        while end > index + 1 and not lines[end - 1].strip():
            end -= 1
        blocks.append((index, end, match.group(1)))
        index = end
    return tuple(blocks)


def test_marked_blocks_searched_for_are_those_a_walk_of_the_lines_finds() -> None:
    import random

    from postmortem_kb.core.audience import _marked_blocks

    pieces = [
        "!!! restricted", '!!! internal "Title"', "!!! internal", "!!! note",
        "!!! restricted  ", "!!! restricted\r", "```", "```python", "~~~", "````",
        "``` x", "  indented", "\tTabbed", "", " ", "\u00a0", "text", "    ```",
        "!!!restricted", "~~~~", "``` {.py}", '!!! internal "a"x', "  !!! restricted",
    ]  # fmt: skip
    rng = random.Random(13)
    found_some = 0
    for _ in range(20000):
        lines = [rng.choice(pieces) for _ in range(rng.randint(0, 12))]
        markdown = "\n".join(lines) + rng.choice(["", "\n", "\n\n"])
        expected = _blocks_line_by_line(markdown)
        assert _marked_blocks.__wrapped__(markdown) == expected, repr(markdown)
        found_some += bool(expected)
    assert found_some > 5000  # the cases hold blocks, fenced markers and neither
