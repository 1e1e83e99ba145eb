"""The incident at a glance: impact, roles, follow-ups, overdue marks on the incident page
as on the tracker, completeness only while writing; the home page's weight; labelled
checklist boxes; a table of contents inside incident pages."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest

from conftest import REPO, complete_postmortem_text, run_cli
from postmortem_kb.core import library
from postmortem_kb.core.config import Config
from postmortem_kb.core.parse import parse_text
from postmortem_kb.core.templates import load_template
from test_site_support import build

CONFIG = Config(root=Path("."))
AS_OF = date(2026, 10, 1)  # A2 of the fixture (due 2026-08-31, in progress) is 31 days late
IMPACT = 'impact: "Private packages downloaded by an unknown party"\n'
ROLES = 'roles:\n  - "Incident commander: Dana Ruiz"\n  - "Scribe: Lee Park"\n'


def with_front(text: str, extra: str) -> str:
    return text.replace("services:\n", extra + "services:\n", 1)


def entry(text: str) -> library.Entry:
    pm = parse_text("postmortems/2026/PM-2026-001-x.md", text)
    template = load_template(REPO / "postmortems", "security")
    return library.entries([pm], CONFIG, lambda _: template)[0]


def link(target: str) -> str:
    return "/" + target


def header(text: str) -> str:
    return library.header_html(entry(text), CONFIG, link, AS_OF)


def test_header_shows_impact_roles_and_follow_ups():
    html = header(with_front(complete_postmortem_text(), IMPACT + ROLES))
    assert '<p class="pm-impact"><strong>Impact:</strong> Private packages downloaded' in html
    assert "<dt>Incident commander</dt><dd>Dana Ruiz</dd>" in html
    assert "<dt>Scribe</dt><dd>Lee Park</dd>" in html
    assert (
        '<a href="#pm-follow-ups">2 open, <span class="pm-overdue">1 overdue</span>, 2 done</a>'
    ) in html
    assert '<span class="pm-label">Duration</span>' in html


def test_roles_as_a_mapping_read_the_same():
    mapping = "roles:\n  incident_commander: Dana Ruiz\n  scribe: [Lee Park]\n"
    html = header(with_front(complete_postmortem_text(), mapping))
    assert "<dt>Incident commander</dt><dd>Dana Ruiz</dd><dt>Scribe</dt><dd>Lee Park</dd>" in html


def test_header_without_impact_or_roles_shows_neither():
    html = header(complete_postmortem_text())
    assert "pm-impact" not in html and "Incident commander" not in html


@pytest.mark.parametrize(
    "status, shown",
    [("draft", True), ("in-review", True), ("published", False), ("archived", False)],
)
def test_completeness_only_while_the_post_mortem_is_written(status: str, shown: bool):
    html = header(complete_postmortem_text(status=status))
    assert ("<dt>Complete</dt>" in html) is shown


def test_incident_page_marks_overdue_items_as_the_tracker_does():
    pm = parse_text("postmortems/2026/PM-2026-001-x.md", complete_postmortem_text())
    body = library.incident_markdown(pm, "restricted", set(), AS_OF)
    a2 = next(line for line in body.splitlines() if line.startswith("| A2 "))
    assert f"2026-08-31{library.overdue_html(31)} | in-progress" in a2
    a4 = next(line for line in body.splitlines() if line.startswith("| A4 "))
    assert "overdue" not in a4  # due 2027-02-28
    assert f'<div id="{library.FOLLOW_UPS}"></div>' in body
    # nothing is overdue before its due date
    early = library.incident_markdown(pm, "restricted", set(), date(2026, 8, 31))
    assert "pm-overdue" not in early


@pytest.mark.parametrize(
    "front, fine",
    [
        ('impact: "Checkout down for 20 minutes"\n', True),
        ("impact: [a, b]\n", False),
        ("roles:\n  incident_commander: Dana\n  scribe: [Lee, Ana]\n", True),
        ('roles:\n  - "Incident commander: Dana"\n', True),
        ("roles:\n  - Incident commander: Dana\n", True),
        ("roles:\n  - Dana\n", False),
        ("roles: [Dana]\n", False),
        ("roles:\n  incident_commander: {name: Dana}\n", False),
    ],
)
def test_impact_and_roles_are_checked(write_pm, kb: Path, front: str, fine: bool):
    write_pm(with_front(complete_postmortem_text(), front))
    findings = run_cli("check", "--format", "json", "-C", str(kb)).json()["findings"]
    bad = [f for f in findings if f["rule"] in ("PM102", "PM103")]
    assert (bad == []) is fine, bad


def test_checklist_boxes_get_a_label():
    html = (
        '<li class="task-list-item"><label class="task-list-control"><input '
        'type="checkbox" disabled checked/><span class="task-list-indicator"></span>'
        '</label> A</li><li><label><input type="checkbox" disabled/></label> B</li>'
    )
    out = library.label_checkboxes(html)
    assert out.count('aria-label="Done"') == 1 and out.count('aria-label="Not done"') == 1
    sanitized = '<input type="checkbox" disabled="" checked=""><input type="checkbox" disabled="">'
    out = library.label_checkboxes(sanitized)
    assert out.count('aria-label="Done"') == 1 and out.count('aria-label="Not done"') == 1
    assert library.label_checkboxes(out) == out


def test_home_page_holds_the_first_page_and_the_json_holds_all(kb: Path, tmp_path: Path):
    year = kb / "postmortems" / "2026"
    year.mkdir(parents=True, exist_ok=True)
    text = complete_postmortem_text(status="published", visibility="internal")
    for n in range(1, library.HOME_FIRST + 6):
        pm_id = f"PM-2026-{n:03d}"
        (year / f"{pm_id}-x{n}.md").write_text(text.replace("PM-2026-001", pm_id), encoding="utf-8")
    guide = kb / "postmortems" / "guide" / "index.md"
    if not guide.exists():  # `init` ships the guide (firstweek); the page links it when there
        guide.parent.mkdir(parents=True, exist_ok=True)
        guide.write_text("# Writing blameless post-mortems\n", encoding="utf-8")
    site = build(kb, tmp_path / "site", "--strict")
    home = (site / "index.html").read_text(encoding="utf-8")
    assert home.count("<tr data-type=") == library.HOME_FIRST
    assert f"The {library.HOME_FIRST} most recent of {library.HOME_FIRST + 5} " in home
    assert 'href="library/quarters/"' in home  # without scripts, the rest via the indexes
    data = json.loads((site / library.ENTRIES_JSON).read_text(encoding="utf-8"))
    assert data["fields"] == library.ENTRY_FIELDS
    assert len(data["entries"]) == library.HOME_FIRST + 5
    first = dict(zip(data["fields"], data["entries"][0], strict=True))
    assert first["severity"] and (site / first["href"] / "index.html").is_file()
    page = next(site.glob("2026/PM-2026-001-*/index.html")).read_text(encoding="utf-8")
    assert '<details class="pm-contents" data-pagefind-ignore><summary>Contents</summary>' in page
    assert re.search(r'<a href="#1-acknowledge-and-categorize-the-incident">', page)
    assert 'aria-label="Done"' in page and '<table class="pm-action-items">' in page
    assert '<a href="../../guide/">How to write a blameless post-mortem</a>' in page


def test_blame_warning_points_to_the_guide(write_pm, kb: Path):
    write_pm(
        complete_postmortem_text().replace("## Summary\n", "## Summary\n\nIt was human error.\n", 1)
    )
    findings = run_cli("check", "--format", "json", "-C", str(kb)).json()["findings"]
    blame = [f for f in findings if f["rule"] == "PM501"]
    assert blame and "postmortems/guide/index.md" in blame[0]["message"]
