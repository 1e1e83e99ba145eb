"""The red-team suite: an attacker and a careless author against the audiences.

Canaries (unique lower-case strings) are placed wherever a lower audience must not read them:
in every front-matter field of a hidden post-mortem, in restricted blocks after look-alike
comments and fences, in action tables and checklists inside restricted blocks, in every
spelling of an audience marker, in misfiled and symlinked files. Each case either builds (or
outputs) without a single canary in any byte a lower audience receives (compressed files
unpacked), or is refused with an error naming the file, the line and the fix.
"""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import markdown
import pytest

from conftest import complete_postmortem_text, run_cli
from postmortem_kb.core.audience import (
    cut_marked_blocks,
    marker_problems,
    site_file_allowed,
    withhold,
)
from postmortem_kb.core.audience_markdown import AudienceExtension, AudienceGuard
from postmortem_kb.core.leaks import LeakScan, readable
from postmortem_kb.core.parse import parse_text
from test_site_support import leaks, output_texts

# --- canaries -----------------------------------------------------------------------------

HIDDEN_PM = (
    "PM-2026-003",
    "zzrtslug",
    "zzrttitle",
    "zzrtowner",
    "zzrtservice",
    "zzrttag",
    "zzrtbody",
    "zzctl:canary-1",
    "zzrtattachment",
)
HIDDEN_BLOCK = (
    "zzblockafterspan",
    "zzblockafterprose",
    "zzblockafterjs",
    "zzblockafterstrike",
    "zzhiddenaction",
    "zzhiddencheck",
    "zzhiddenrow",
    "zzhiddenfile",
    "zzhiddenattachcontent",
)
PUBLIC_SHOWN = ("zzpublicvisible", "zzcodeexample", "zzshownattachment")

# Text that merely looks like the start of a comment or a fence, each before a well-formed
# restricted block (Why 2 of issue 9).
LOOK_ALIKES = """
!!! restricted "Restricted action items"
    | ID | Action | Owner | Due | Status | Tracking |
    |---|---|---|---|---|---|
    | A9 | Rotate zzhiddenaction keys | zzhiddenowner | 2020-01-01 | open | |

    - [x] zzhiddencheck is done

    The capture is in [the hidden file](PM-2026-001/zzhiddenfile.txt).

    | Time (UTC) | Event |
    |---|---|
    | 2026-05-19 10:05 | zzhiddenrow |

Open a comment with `<!--` in HTML.

!!! restricted "After a code span"
    zzblockafterspan

A <!-- in prose does not open anything.

!!! restricted "After prose"
    zzblockafterprose

```js``` is how some people write a language name.

!!! restricted "After a fake fence"
    zzblockafterjs

~~~ strike ~~~

!!! restricted "After tildes"
    zzblockafterstrike

```markdown
!!! restricted
    an example inside code stays: zzcodeexample
```

Visible text zzpublicvisible. See the restricted incident PM-2026-003, pm-2026-003,
PM-2026-003_x, [the write-up](PM-2026-003-zzrtslug.md), <https://kb.example.com/2026/PM-2026-003-zzrtslug/>
and https://kb.example.com/2026/pm-2026-003-zzrtslug/ for more.
"""


def _public(text: str) -> str:
    text = text.replace(
        "title: CI registry token committed to a public repository and used "
        "to download private packages",
        "title: Follow-up of PM-2026-003 in the CI fleet",
    )
    text = text.replace(
        "| A4 | Alert on artifact-registry access",
        "| A4 | Close pm-2026-003_x: alert on artifact-registry access",
    )
    text = text.replace(
        "[SEC-1940](https://tracker.example.com/SEC-1940)",
        "<https://kb.example.com/2026/PM-2026-003-zzrtslug/>",
    )
    # the attachment that the public may see is linked (an unlinked one is left out)
    text = text.replace("## Summary\n", "## Summary\n\nThe [capture](PM-2026-001/shown.txt).\n", 1)
    return text.replace("## Timeline\n", LOOK_ALIKES + "\n## Timeline\n", 1)


def _hidden(text: str) -> str:
    text = text.replace(
        "title: CI registry token committed to a public repository and used "
        "to download private packages",
        "title: Incident zzrttitle",
    )
    text = text.replace("owner: Security Operations", "owner: zzrtowner")
    text = text.replace("services:\n", "services:\n  - zzrtservice\n", 1)
    text = text.replace("tags:\n", "tags:\n  - zzrttag\n", 1)
    text = text.replace("controls:\n", "controls:\n  - ZZCTL:CANARY-1\n", 1)
    return text.replace(
        "## Summary\n",
        "## Summary\n\nThe zzrtbody marker is here. [Diagram](PM-2026-003/diagram.txt).\n",
        1,
    )


def redteam_kb(root: Path) -> Path:
    result = run_cli("init", str(root))
    assert result.exit_code == 0, result.stderr
    year = root / "postmortems" / "2026"
    year.mkdir(parents=True, exist_ok=True)
    (year / "PM-2026-001-public.md").write_text(
        _public(complete_postmortem_text("PM-2026-001", "published", "public")), encoding="utf-8"
    )
    (year / "PM-2026-003-zzrtslug.md").write_text(
        _hidden(complete_postmortem_text("PM-2026-003", "published", "restricted")),
        encoding="utf-8",
    )
    attachments = year / "PM-2026-003"
    attachments.mkdir()
    (attachments / "diagram.txt").write_text("zzrtattachment\n", encoding="utf-8")
    own = year / "PM-2026-001"
    own.mkdir()
    (own / "zzhiddenfile.txt").write_text("zzhiddenattachcontent\n", encoding="utf-8")
    (own / "shown.txt").write_text("zzshownattachment\n", encoding="utf-8")
    return root


def site_build(root: Path, site: Path, audience: str, *args: str):  # type: ignore[no-untyped-def]
    return run_cli("build", "-C", str(root), "--site-dir", str(site), "--audience", audience, *args)


@pytest.fixture(scope="module")
def redteam(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    base = tmp_path_factory.mktemp("redteam")
    root = redteam_kb(base / "kb")
    built: dict[str, object] = {"root": root}
    for audience in ("public", "restricted"):
        result = site_build(root, base / f"site-{audience}", audience, "--strict")
        assert result.exit_code == 0, result.stderr
        built[audience] = output_texts(base / f"site-{audience}")
    return built


# --- the site: nothing withheld in any byte -------------------------------------------------


def test_public_site_holds_no_canary_in_any_byte(redteam):
    found = leaks(redteam["public"], HIDDEN_PM + HIDDEN_BLOCK + ("zzhiddenowner",))
    assert found == []


def test_public_site_shows_what_it_may(redteam):
    texts = redteam["public"]
    assert {f.split(" in ")[0] for f in leaks(texts, PUBLIC_SHOWN)} == set(PUBLIC_SHOWN)
    page = next(
        t for rel, t in texts.items() if rel.lower().endswith("pm-2026-001-public/index.html")
    )
    assert "follow-up of [withheld] in the ci fleet" in page
    assert any(rel.endswith(".pf_fragment") for rel in texts), "Pagefind did not run"


def test_restricted_site_shows_every_canary(redteam):
    # (controls are not on incident pages; `controls --audience restricted` lists them)
    wanted = tuple(c for c in HIDDEN_PM + HIDDEN_BLOCK if c != "zzctl:canary-1")
    assert {f.split(" in ")[0] for f in leaks(redteam["restricted"], wanted)} == set(wanted)


def test_hidden_checklist_items_do_not_count_in_the_public_meter(redteam, tmp_path: Path):
    # The authoring meter shows on in-review (and draft) incident pages only.
    root = tmp_path / "kb"
    shutil.copytree(redteam["root"], root)
    path = root / "postmortems" / "2026" / "PM-2026-001-public.md"
    path.write_text(
        path.read_text(encoding="utf-8").replace("status: published", "status: in-review", 1),
        encoding="utf-8",
    )

    def items(audience: str) -> int:
        site = tmp_path / f"site-{audience}"
        assert site_build(root, site, audience).exit_code == 0
        html = (site / "2026" / "PM-2026-001-public" / "index.html").read_text(encoding="utf-8")
        title = html[html.index('<meter class="pm-meter"') :]
        title = title[title.index('title="') :]
        return int(title.split(",")[1].strip().split("/")[1].split(" ")[0])

    # The restricted build counts one more checklist item (the hidden one).
    assert items("restricted") == items("public") + 1


# --- the CLI's audience outputs ---------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("export", "--audience", "public"),
        ("export", "--audience", "public", "--format", "csv"),
        ("actions", "--audience", "public", "--status", "all", "--format", "json"),
        ("actions", "--audience", "public", "--status", "all"),
        ("report", "--quarter", "2026-Q2", "--audience", "public"),
        ("report", "--quarter", "2026-Q2", "--audience", "public", "--format", "html"),
        ("controls", "--audience", "public", "--format", "json"),
        ("stats", "--audience", "public", "--format", "json"),
    ],
)
def test_cli_audience_outputs_hold_no_canary(redteam, args):
    result = run_cli(*args, "-C", str(redteam["root"]))
    assert result.exit_code == 0, result.stderr
    text = result.output.casefold()
    assert [c for c in HIDDEN_PM + HIDDEN_BLOCK + ("zzhiddenowner",) if c.casefold() in text] == []
    assert "pm-2026-001" in text or args[0] == "stats"


def test_cli_outputs_for_the_restricted_audience_hold_the_hidden_action(redteam):
    result = run_cli(
        "actions", "--audience", "restricted", "--status", "all", "-C", str(redteam["root"])
    )
    assert "zzhiddenaction" in result.output and "PM-2026-003" in result.output
    controls = run_cli("controls", "--audience", "restricted", "-C", str(redteam["root"]))
    assert "ZZCTL:CANARY-1" in controls.output


# --- every spelling that is not the canonical one ------------------------------------------

NOT_CANONICAL = [
    "!!!restricted",
    "???restricted",
    "!!! Restricted",
    "!!! RESTRICTED",
    "!!! restricted café",
    "> !!! restricted",
    '!!! restricted "T" extra',
    "!!! restricted: T",
    '<div class="admonition restricted" markdown>',
    '<details class="restricted">',
    "- !!! restricted",
    "    !!! restricted",
    "??? internal",
    "???+ restricted",
    "!!! note restricted",
    "Text { .restricted }",
]


@pytest.mark.parametrize("spelling", NOT_CANONICAL)
def test_every_other_spelling_is_an_error_with_its_line(kb, write_pm, spelling):
    text = complete_postmortem_text("PM-2026-001", "published", "public")
    text = text.replace("## Timeline\n", f"{spelling}\n    zzspellingcanary\n\n## Timeline\n", 1)
    write_pm(text)
    line = text.split("\n").index(spelling) + 1
    result = run_cli("check", "-C", str(kb), "--format", "json")
    assert result.exit_code == 1
    found = [f for f in result.json()["findings"] if f["rule"] == "PM701"]
    assert [f["line"] for f in found] == [line]
    assert '!!! restricted "Title"' in found[0]["message"]


@pytest.mark.parametrize(
    "spelling", ['!!! restricted "Forensics"', "!!! internal", '!!! note "Internal tooling"']
)
def test_the_canonical_spelling_and_ordinary_notes_are_no_error(kb, write_pm, spelling):
    text = complete_postmortem_text("PM-2026-001", "published", "public")
    write_pm(text.replace("## Timeline\n", f"{spelling}\n    fine\n\n## Timeline\n", 1))
    result = run_cli("check", "-C", str(kb), "--format", "json")
    assert [f for f in result.json()["findings"] if f["rule"] == "PM701"] == []


def test_a_look_alike_inside_fenced_code_is_an_example(kb, write_pm):
    text = complete_postmortem_text("PM-2026-001", "published", "public")
    write_pm(
        text.replace("## Timeline\n", "```markdown\n!!!restricted\n    x\n```\n\n## Timeline\n", 1)
    )
    result = run_cli("check", "-C", str(kb), "--format", "json")
    assert [f for f in result.json()["findings"] if f["rule"] == "PM701"] == []


def test_build_refuses_another_spelling_without_strict_and_writes_nothing(tmp_path):
    root = redteam_kb(tmp_path / "kb")
    path = root / "postmortems" / "2026" / "PM-2026-001-public.md"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("## Timeline\n", "!!! Restricted\n    zzspellingcanary\n\n## Timeline\n", 1),
        encoding="utf-8",
    )
    result = site_build(root, tmp_path / "site", "public")
    assert result.exit_code == 1
    assert "postmortems/2026/PM-2026-001-public.md:" in result.stderr
    assert "PM701" in result.stderr and '!!! restricted "Title"' in result.stderr
    site = tmp_path / "site"
    assert not site.exists() or leaks(output_texts(site), ("zzspellingcanary",)) == []


@pytest.mark.parametrize("spelling", NOT_CANONICAL[:10])
def test_the_renderer_drops_what_the_cut_missed_and_says_so(spelling):
    """The net under the cut: each spelling rendered with no cut at all."""
    guard = AudienceGuard("public")
    guard.page = "x.md"
    source = f"Before.\n\n{spelling}\n    zzrendercanary\n\n</div>\n</details>\n\nAfter.\n"
    html = markdown.markdown(
        source,
        extensions=[
            "admonition",
            "attr_list",
            "md_in_html",
            "pymdownx.details",
            "pymdownx.superfences",
            AudienceExtension(guard),
        ],
    )
    assert "zzrendercanary" not in html
    assert guard.problems and "x.md" in guard.problems[0]
    assert "After." in html


def test_the_renderer_leaves_canonical_blocks_to_a_higher_audience():
    guard = AudienceGuard("restricted")
    html = markdown.markdown(
        '!!! restricted "T"\n    shown\n', extensions=["admonition", AudienceExtension(guard)]
    )
    assert "shown" in html and guard.problems == []


def test_the_cut_is_not_fooled_by_look_alikes():
    out = cut_marked_blocks(LOOK_ALIKES, "public")
    for canary in HIDDEN_BLOCK:
        assert canary not in out
    assert "zzcodeexample" in out and "zzpublicvisible" in out
    assert out.count("\n") == LOOK_ALIKES.count("\n")


def test_marker_problems_name_lines():
    assert (
        marker_problems("ok\n\n!!!restricted\n    x\n", 10)
        and marker_problems("ok\n\n!!!restricted\n    x\n", 10)[0][0] == 12
    )


# --- hidden ids everywhere ------------------------------------------------------------------


def test_withhold_catches_any_case_suffix_and_url():
    text = (
        "PM-2026-101_x, pm-2026-101, PM-2026-1010, <https://kb/PM-2026-101-slug/>, "
        "https://kb/2026/pm-2026-101-slug/ and [t](../2026/PM-2026-101-slug.md)"
    )
    out = withhold(text, {"PM-2026-101"})
    assert "2026-101" not in out.replace("2026-1010", "") and "slug" not in out
    assert "PM-2026-1010" in out and out.count("[withheld]") == 4


def test_duplicate_id_never_publishes_the_hidden_attachments():
    assert not site_file_allowed(
        "2026/PM-2026-001/diagram.png", {"2026/PM-2026-001-a.md"}, {"PM-2026-001"}, {"PM-2026-001"}
    )


def test_duplicate_id_refuses_the_build(tmp_path):
    root = redteam_kb(tmp_path / "kb")
    year = root / "postmortems" / "2026"
    (year / "PM-2026-001-copy.md").write_text(
        _hidden(complete_postmortem_text("PM-2026-001", "published", "restricted")),
        encoding="utf-8",
    )
    result = site_build(root, tmp_path / "site", "public")
    assert result.exit_code == 1 and "PM106" in result.stderr


# --- duplicate keys, misfiled and symlinked files ------------------------------------------


def test_a_duplicate_visibility_key_never_publishes(tmp_path):
    root = redteam_kb(tmp_path / "kb")
    path = root / "postmortems" / "2026" / "PM-2026-003-zzrtslug.md"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("visibility: restricted", "visibility: restricted\nvisibility: public", 1),
        encoding="utf-8",
    )
    result = site_build(root, tmp_path / "site", "public")
    site = tmp_path / "site"
    if result.exit_code == 0:
        assert leaks(output_texts(site), HIDDEN_PM) == []
    else:
        assert "PM-2026-003-zzrtslug.md" in result.stderr


def test_a_misfiled_post_mortem_is_an_error_and_never_built(tmp_path):
    root = redteam_kb(tmp_path / "kb")
    drafts = root / "postmortems" / "drafts"
    drafts.mkdir()
    (drafts / "PM-2026-050-misfiled.md").write_text(
        _hidden(complete_postmortem_text("PM-2026-050", "draft", "restricted")), encoding="utf-8"
    )
    check = run_cli("check", "-C", str(root), "--format", "json")
    found = [f for f in check.json()["findings"] if f["rule"] == "PM702"]
    assert [f["path"] for f in found] == ["postmortems/drafts/PM-2026-050-misfiled.md"]
    result = site_build(root, tmp_path / "site", "public")
    assert result.exit_code == 1 and "PM702" in result.stderr
    assert "postmortems/<YYYY>/" in result.stderr  # the fix: where to move it
    export = run_cli("export", "-C", str(root), "--audience", "public")
    assert export.exit_code == 1 and export.output == "" and "PM702" in export.stderr


@pytest.mark.parametrize("kind", ["file-inside", "folder-outside"])
def test_a_symlink_in_the_docs_is_an_error_and_never_built(tmp_path, kind):
    root = redteam_kb(tmp_path / "kb")
    docs = root / "postmortems"
    if kind == "file-inside":
        link = docs / "notes.md"
        link.symlink_to(docs / "2026" / "PM-2026-003-zzrtslug.md")
    else:
        outside = tmp_path / "outside"
        outside.mkdir()
        (outside / "secret.md").write_text("# zzoutsidecanary\n", encoding="utf-8")
        link = docs / "shared"
        link.symlink_to(outside, target_is_directory=True)
    check = run_cli("check", "-C", str(root), "--format", "json")
    assert [f["path"] for f in check.json()["findings"] if f["rule"] == "PM703"] == [
        f"postmortems/{link.name}"
    ]
    result = site_build(root, tmp_path / "site", "public")
    assert result.exit_code == 1 and "PM703" in result.stderr
    actions = run_cli("actions", "-C", str(root), "--audience", "public")
    assert actions.exit_code == 1 and "PM703" in actions.stderr


# --- the output scan ------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["here", "forked"])
@pytest.mark.parametrize("plant", ["plain", "gzip"])
def test_the_build_fails_on_a_planted_leak_naming_file_and_item(
    tmp_path, plant, where, monkeypatch
):
    """A static file of the docs folder that names a hidden post-mortem reaches the site
    untouched: only the scan can catch it, with what it looks for worked out in the build's
    process or (a large knowledge base) in a forked one."""
    from postmortem_kb.mkdocs import plugin

    forks: list[object] = []
    if where == "forked":
        monkeypatch.setattr(plugin, "PARALLEL_FROM", 1)
        real = plugin.in_child
        monkeypatch.setattr(plugin, "in_child", lambda f: forks.append(f) or real(f))
    root = redteam_kb(tmp_path / "kb")
    assets = root / "postmortems" / "assets"
    assets.mkdir()
    data = b"see PM-2026-003 for the details\n"
    name = "notes.txt"
    if plant == "gzip":
        data, name = gzip.compress(data), "notes.txt.gz"
    (assets / name).write_bytes(data)
    result = site_build(root, tmp_path / "site", "public")
    assert result.exit_code == 1
    assert f"assets/{name}" in result.stderr and "the id of PM-2026-003" in result.stderr
    assert not any((tmp_path / "site").iterdir())  # emptied: nothing to publish by mistake
    assert len(forks) == (where == "forked")


def test_the_scan_reads_pagefind_fragments(redteam, tmp_path):
    """Pagefind's fragments are gzip holding `pagefind_dcd` and JSON; the scan unpacks them."""
    root = redteam["root"]
    site = tmp_path / "site"
    assert site_build(root, site, "restricted").exit_code == 0
    fragments = list((site / "pagefind" / "fragment").glob("*.pf_fragment"))
    assert fragments
    texts = [readable(f.read_bytes()) for f in fragments]
    assert all(t.startswith("pagefind_dcd") for t in texts)
    assert any("zzrtbody" in t for t in texts)
    hidden = parse_text(
        "postmortems/2026/PM-2026-003-zzrtslug.md",
        (root / "postmortems/2026/PM-2026-003-zzrtslug.md").read_text(),
    )
    scan = LeakScan.for_build([hidden], [], [], "public")
    assert scan.scan_tree(site)  # the restricted site, scanned as if it were public, leaks


def test_terms_a_visible_post_mortem_shares_are_no_leak():
    shown = parse_text(
        "postmortems/2026/a.md", complete_postmortem_text("PM-2026-001", "published", "public")
    )
    hidden = parse_text(
        "postmortems/2026/b.md", complete_postmortem_text("PM-2026-002", "published", "restricted")
    )
    scan = LeakScan.for_build([hidden], [shown], [shown], "public")
    assert "pm-2026-002" in scan.needles
    # Same template, owner, services and tags: all common, so only the id and slug remain.
    assert "security operations" not in scan.needles and "ci-runner" not in scan.needles
    assert scan.scan_text("PM-2026-0021 and Security Operations", "x") == []
    assert scan.scan_text("PM-2026-002.", "out.json") == [
        'the id of PM-2026-002 ("pm-2026-002") in out.json'
    ]


def test_export_json_is_refused_when_the_scan_finds_a_leak(redteam, monkeypatch):
    """Whatever produced it, an audience output that holds a withheld item is not written."""
    from postmortem_kb.core import export as export_module

    real = export_module.export_record

    def leaky(*args, **kwargs):  # type: ignore[no-untyped-def]
        record = real(*args, **kwargs)
        record["title"] = "Incident zzrttitle"  # as if a bug copied it
        return record

    monkeypatch.setattr(export_module, "export_record", leaky)
    result = run_cli("export", "-C", str(redteam["root"]), "--audience", "public")
    assert result.exit_code == 1 and result.output == ""
    assert "the title of PM-2026-003" in result.stderr and "in export" in result.stderr


def test_the_quick_view_equals_a_parse_of_the_cut_text():
    """A hidden block of plain prose is cut without a second parse; the sections it leaves
    must be exactly what parsing the cut text gives (content, text), or the meter and the
    controls rollup would differ between the quick path and the full one."""
    from postmortem_kb.core.audience import audience_view

    text = complete_postmortem_text("PM-2026-001", "published", "public")
    start = text.index("## 14. Re-Test Controls and Resilience\n")
    end = text.index("\n## 15.")
    only_hidden = (
        '## 14. Re-Test Controls and Resilience\n\n!!! restricted "Re-test"\n'
        "    Re-tested `SOC2:CC6.1` with a red-team exercise on 2026-06-02.\n"
    )
    text = text[:start] + only_hidden + text[end:]
    text = text.replace(
        "## Summary\n", "## Summary\n\n!!! internal\n    Plain internal prose, nothing else.\n\n", 1
    )
    pm = parse_text("postmortems/2026/PM-2026-001-x.md", text)
    view = audience_view(pm, "public")
    reparsed = parse_text(pm.path, view.text)
    assert view.text == cut_marked_blocks(text, "public")
    assert [(s.key, s.has_content, s.text) for s in view.sections] == [
        (s.key, s.has_content, s.text) for s in reparsed.sections
    ]
    assert not next(s for s in view.sections if s.key.startswith("re-test")).has_content
    assert (view.checklist, view.actions, view.timeline) == (
        reparsed.checklist,
        reparsed.actions,
        reparsed.timeline,
    )
