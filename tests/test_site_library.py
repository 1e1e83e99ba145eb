"""What the site shows, computed in the core (no MkDocs): entries, completeness, indexes,
related incidents, charts, escaping; and every link of real builds leading somewhere."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pytest

from conftest import REPO, complete_postmortem_text
from postmortem_kb.core import charts, library
from postmortem_kb.core.config import Config
from postmortem_kb.core.parse import parse_text
from postmortem_kb.core.templates import load_template
from test_site_support import build, use_material_search, write_kb

CONFIG = Config(root=Path("."))


def pm(pm_id: str = "PM-2026-001", **changes: str):
    text = complete_postmortem_text(pm_id, "published", "public")
    for old, new in changes.items():
        text = text.replace(old.replace("_", " "), new)
    return parse_text(f"postmortems/2026/{pm_id}-x.md", text)


def entry(p):
    template = load_template(REPO / "postmortems", "security")
    return library.entries([p], CONFIG, lambda _: template)[0]


def link(target: str) -> str:
    return "/" + target


def test_completeness_counts_sections_and_checklist_items():
    template = load_template(REPO / "postmortems", "security")
    full = library.completeness(pm(), template)
    assert full.sections_done == full.sections_total == len(template.keys)
    assert full.items_done == full.items_total > 0 and full.percent == 100
    text = complete_postmortem_text("PM-2026-001", "draft", "public").replace("- [x]", "- [ ]")
    half = library.completeness(parse_text("postmortems/2026/x.md", text), template)
    assert half.items_done < half.items_total and half.percent < 100  # N/A items stay resolved


def test_titles_services_and_tags_are_escaped_everywhere():
    nasty = "<img src=x onerror=alert(1)>"
    text = re.sub(r"(?m)^title: .*$", f'title: "{nasty} title"', complete_postmortem_text())
    p = parse_text(
        "postmortems/2026/PM-2026-001-x.md", text.replace("  - ci-runner", f'  - "{nasty}"')
    )
    assert nasty in p.title and nasty in p.services
    e = entry(p)
    for html in (
        library.library_table([e], link),
        library.header_html(e, CONFIG, link),
        library.entry_list([e], link),
    ):
        assert "<img" not in html and "&lt;img" in html
    page = library.index_page([e], "service", CONFIG, link)
    assert "<img" not in page.markdown and "<img" not in "".join(page.slots.values())


def test_groups_in_reader_order():
    items = [entry(pm("PM-2026-001")), entry(pm("PM-2025-002", **{"2026-05-19": "2025-02-01"}))]
    assert [g for g, _ in library.groups(items, "quarter", CONFIG)] == ["2026-Q2", "2025-Q1"]
    assert [g for g, _ in library.groups(items, "type", CONFIG)] == ["Unauthorized access"]
    services = dict(library.groups(items, "service", CONFIG))
    assert len(services["ci-runner"]) == 2


def test_related_prefers_shared_services_and_is_capped():
    many = [entry(pm(f"PM-2026-{n:03d}")) for n in range(1, 12)]
    related = library.related(many)
    assert len(related["PM-2026-001"]) == library.RELATED_MAX
    assert all(why.startswith("same service") for _, why in related["PM-2026-001"])
    assert all(r.pm.id != "PM-2026-001" for r, _ in related["PM-2026-001"])


def test_quarter_range_fills_quiet_quarters():
    assert library.quarter_range(["2025-Q4", "2026-Q2"]) == ["2025-Q4", "2026-Q1", "2026-Q2"]
    assert library.quarter_range([]) == []


def test_timeline_table_gets_its_class_only():
    html = "<h2>Timeline</h2>" + library.TIMELINE_MARK + "<table><tr></tr></table><table>"
    marked = library.mark_timeline(html)
    assert marked.count('<table class="pm-timeline">') == 1 and marked.endswith("<table>")
    assert library.mark_timeline("<table>") == "<table>"


def test_charts_are_deterministic_self_contained_svg():
    a = charts.stacked_bars(["2026-Q1", "2026-Q2"], [("SEV1", [1, 0]), ("SEV2", [2, 3])], "t")
    assert a == charts.stacked_bars(
        ["2026-Q1", "2026-Q2"], [("SEV1", [1, 0]), ("SEV2", [2, 3])], "t"
    )
    for svg in (
        a,
        charts.horizontal_bars([("api", 3)], "t"),
        charts.distributions([("Detect", [0.5, 2.0, 30.0]), ("Contain", [])], "t"),
    ):
        assert svg.startswith('<svg class="pm-chart" role="img"') and "<title>" in svg
        assert "http" not in svg.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "&lt;b&gt;" in charts.horizontal_bars([("<b>", 1)], "t")


# --- every internal link of a real build leads to a file of the site ---------------------

_HREF = re.compile(r'(?:href|src)="([^"#?]*)[^"]*"')


def broken_links(site: Path) -> list[str]:
    broken = []
    for page in site.rglob("*.html"):
        for target in _HREF.findall(page.read_text(encoding="utf-8")):
            if not target or re.match(r"^[a-z]+:", target) or target.startswith("//"):
                continue
            path = (
                (site / target.lstrip("/"))
                if target.startswith("/")
                else (page.parent / unquote(target))
            )
            if target.endswith("/") or path.is_dir():
                path = path / "index.html"
            if not path.exists():
                broken.append(f"{page.relative_to(site)} -> {target}")
    return broken


@pytest.mark.parametrize("directory_urls", [True, False])
def test_every_internal_link_resolves(tmp_path: Path, directory_urls: bool):
    root = use_material_search(write_kb(tmp_path / "kb"))
    if not directory_urls:
        config = root / "mkdocs.yml"
        config.write_text(
            config.read_text(encoding="utf-8") + "use_directory_urls: false\n", encoding="utf-8"
        )
    site = build(root, tmp_path / "site", "--strict", "--audience", "restricted")
    assert broken_links(site) == []
    assert len(list(site.rglob("*.html"))) > 10


# --- golden files: the rendered header, library table and metrics page -------------------

GOLDEN = Path(__file__).resolve().parent / "golden" / "library"


def _golden(name: str, text: str) -> None:
    """Compare with tests/golden/library/NAME; UPDATE_GOLDEN=1 rewrites it (review the diff)."""
    import os

    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no golden file {name}: run with UPDATE_GOLDEN=1 and review it"
    assert text == path.read_text(encoding="utf-8"), f"{name} changed: UPDATE_GOLDEN=1 to accept"


GOLDEN_PM = """---
id: {id}
title: Golden <incident> & friends
type: misconfiguration
severity: {sev}
status: published
visibility: internal
owner: Platform Security
occurred_at: {day}T08:00:00Z
detected_at: {day}T09:30:00Z
contained_at: {day}T11:00:00Z
resolved_at: {day}T18:00:00Z
impact: "Sign-ins failed for 2 hours <b>for</b> everyone"
roles:
  incident_commander: Dana Ruiz
  scribe: [Lee Park, Ana Obi]
services: [edge-proxy, auth-api]
tags: [tls]
---

# {id}: Golden

## Summary

Text.

## Timeline

| Time (UTC) | Event |
|---|---|
| {day} 08:00 | Began. |

## 11. Implement Corrective Actions

- [x] Done
- [ ] N/A: not needed here

| ID | Action | Owner | Due | Status | Tracking |
|---|---|---|---|---|---|
| A1 | Rotate | Platform Security | 2026-06-01 | open | |
| A2 | Alert | SRE | 2026-12-01 | done | |
"""


def golden_entries():
    made = [
        parse_text(
            f"postmortems/{day[:4]}/{pm_id}-golden.md", GOLDEN_PM.format(id=pm_id, sev=sev, day=day)
        )
        for pm_id, sev, day in (
            ("PM-2026-001", "SEV2", "2026-05-19"),
            ("PM-2025-002", "SEV1", "2025-11-02"),
        )
    ]
    return library.entries(made, CONFIG, lambda _: None)


def test_rendered_output_matches_golden_files():
    from datetime import date

    from postmortem_kb.core.metrics import compute_stats

    items = golden_entries()
    _golden("header.html", library.header_html(items[0], CONFIG, link, date(2026, 10, 1)) + "\n")
    _golden("library_table.html", library.library_table(items, link) + "\n")
    pms = [e.pm for e in items]
    page = library.metrics_page(
        compute_stats(pms, as_of=date(2026, 10, 1)),
        library.cross_counts(pms, "type"),
        library.cross_counts(pms, "severity"),
        CONFIG,
        link,
    )
    rendered = page.markdown
    for key, html in page.slots.items():
        rendered = rendered.replace(key, html)
    _golden("metrics.md", rendered)
