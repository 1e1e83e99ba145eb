"""`postmortem stats`: figures checked against values computed by hand.

The fixture knowledge base (times in hours, by hand):

| pm | status | quarter (as written) | detect | contain | resolve |
|---|---|---|---|---|---|
| A PM-2026-001 | published | 2026-Q1 | 1 | 2 | 24 |
| B PM-2026-002 | published | 2026-Q1 (22:00 -05:00 31 March, 03:00 UTC 1 April) | 0.5 | 0.5 | 4 |
| C PM-2026-003 | published, no contained_at | 2026-Q3 | 4 | - | 24 |
| D PM-2026-004 | draft (left out unless asked) | 2026-Q3 | 10 | - | - |
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from conftest import run_cli
from postmortem_kb.core.config import load_config
from postmortem_kb.core.knowledge_base import load
from postmortem_kb.core.metrics import compute_stats, format_hours, quarter_bounds


def minimal_postmortem(
    pm_id: str,
    *,
    status: str = "published",
    type_: str = "malware",
    severity: str = "SEV2",
    visibility: str = "internal",
    occurred: str = "2026-01-10T10:00:00Z",
    detected: str | None = None,
    contained: str | None = None,
    resolved: str | None = None,
    services: tuple[str, ...] = (),
    controls: tuple[str, ...] = (),
    actions: tuple[tuple[str, ...], ...] = (),
    title: str | None = None,
    retest: str = "",
    evidence: str = "",
) -> str:
    """A small post-mortem: front matter, a summary, the evidence, action and re-test
    sections. Enough for the tracker and the figures (not for `check` at in-review)."""
    lines = [
        "---",
        f"id: {pm_id}",
        f"title: {title or 'Incident ' + pm_id}",
        f"type: {type_}",
        f"severity: {severity}",
        f"status: {status}",
        f"visibility: {visibility}",
        "owner: Security Operations",
        f"occurred_at: {occurred}",
        f"detected_at: {detected or occurred}",
    ]
    if contained:
        lines.append(f"contained_at: {contained}")
    if resolved:
        lines.append(f"resolved_at: {resolved}")
    if services:
        lines += ["services:"] + [f"  - {s}" for s in services]
    if controls:
        lines += ["controls:"] + [f"  - {c}" for c in controls]
    lines += [
        "---",
        "",
        f"# {pm_id}",
        "",
        "## Summary",
        "",
        "What happened.",
        "",
        "## 2. Preserve Evidence Immediately",
        "",
        evidence or "Logs were kept.",
        "",
        "## 11. Implement Corrective Actions",
        "",
        "| ID | Action | Owner | Due | Status | Tracking |",
        "|---|---|---|---|---|---|",
    ]
    lines += ["| " + " | ".join(row + ("",) * (6 - len(row))) + " |" for row in actions]
    lines += ["", "## 14. Re-Test Controls and Resilience", "", retest or "Not yet.", ""]
    return "\n".join(lines)


def write(kb: Path, pm_id: str, text: str) -> Path:
    year = pm_id.split("-")[1]
    path = kb / "postmortems" / year / f"{pm_id}-incident.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def build_fixture(kb: Path) -> Path:
    write(
        kb,
        "PM-2026-001",
        minimal_postmortem(
            "PM-2026-001",
            occurred="2026-01-10T10:00:00Z",
            detected="2026-01-10T11:00:00Z",
            contained="2026-01-10T13:00:00Z",
            resolved="2026-01-11T11:00:00Z",
            services=("api",),
            actions=(
                ("A1", "Patch the API gateway", "Team X", "2026-02-01", "done"),
                ("A2", "Rotate the signing keys", "Team Y", "2026-06-30", "open"),
                ("A3", "Alert on token reuse", "team x", "2026-12-31", "in-progress"),
                ("A4", "Rewrite the gateway", "Team Y", "2026-01-05", "wont-do"),
            ),
        ),
    )
    # Occurred late on 31 March in New York (Q1 as written, Q2 in UTC); detected in Berlin.
    write(
        kb,
        "PM-2026-002",
        minimal_postmortem(
            "PM-2026-002",
            type_="phishing",
            severity="SEV1",
            occurred="2026-03-31T22:00:00-05:00",
            detected="2026-04-01T05:30:00+02:00",
            contained="2026-04-01T04:00:00Z",
            resolved="2026-04-01T07:30:00Z",
            services=("api", "web"),
            actions=(("B1", "Phishing-resistant MFA for support", "Team X", "2026-07-01", "open"),),
        ),
    )
    write(
        kb,
        "PM-2026-003",
        minimal_postmortem(
            "PM-2026-003",
            occurred="2026-07-01T00:00:00Z",
            detected="2026-07-01T04:00:00Z",
            resolved="2026-07-02T04:00:00Z",
            services=("web",),
        ),
    )
    write(
        kb,
        "PM-2026-004",
        minimal_postmortem(
            "PM-2026-004",
            status="draft",
            type_="other",
            severity="SEV4",
            occurred="2026-08-01T00:00:00Z",
            detected="2026-08-01T10:00:00Z",
            services=("batch",),
            actions=(("D1", "Draft idea", "Team Z", "2026-01-01", "open"),),
        ),
    )
    return kb


@pytest.fixture
def fixture_kb(kb: Path) -> Path:
    return build_fixture(kb)


def stats_json(kb: Path, *extra: str) -> dict:
    result = run_cli("-C", str(kb), "stats", "--format", "json", "--as-of", "2026-07-01", *extra)
    assert result.exit_code == 0, result.stderr
    return result.json()


def test_stats_json_has_the_contract_keys_and_hand_computed_figures(fixture_kb: Path) -> None:
    data = stats_json(fixture_kb)
    assert list(data)[:7] == [
        "count",
        "by_quarter",
        "by_type",
        "by_severity",
        "mttd_hours",
        "mttc_hours",
        "mttr_hours",
    ]
    assert data["count"] == 3
    # B counts in 2026-Q1, the quarter of occurred_at as written, though UTC says Q2.
    assert data["by_quarter"] == {"2026-Q1": 2, "2026-Q3": 1}
    assert data["by_type"] == {"malware": 2, "phishing": 1}
    assert data["by_severity"] == {"SEV1": 1, "SEV2": 2}
    assert data["mttd_hours"] == 1.0  # odd count: [0.5, 1, 4]
    assert data["mttc_hours"] == 1.25  # even count, C lacks contained_at: [0.5, 2]
    assert data["mttr_hours"] == 24.0  # [4, 24, 24]
    assert data["left_out"]["mttc_hours"] == ["PM-2026-003"]
    assert data["left_out"]["mttd_hours"] == []
    assert data["durations_hours"]["mttd_hours"] == {
        "PM-2026-001": 1.0,
        "PM-2026-002": 0.5,
        "PM-2026-003": 4.0,
    }
    # Inclusive quartiles: [0.5, 1, 4] -> 0.75, 1, 2.5; [0.5, 2] -> 0.875, 1.25, 1.625.
    assert data["quartiles_hours"]["mttd_hours"] == [0.75, 1.0, 2.5]
    assert data["quartiles_hours"]["mttc_hours"] == [0.875, 1.25, 1.625]
    assert data["repeated_services"] == {
        "api": ["PM-2026-001", "PM-2026-002"],
        "web": ["PM-2026-002", "PM-2026-003"],
    }
    # Five action items in scope (the draft's left out): A1 done and A4 wont-do closed.
    assert data["actions"] == {
        "total": 5,
        "closed": 2,
        "open": 3,
        "overdue": 1,
        "closure_rate": 0.4,
        "as_of": "2026-07-01",
    }


def test_drafts_count_only_when_asked(fixture_kb: Path) -> None:
    data = stats_json(fixture_kb, "--include-drafts")
    assert data["count"] == 4
    assert data["by_quarter"] == {"2026-Q1": 2, "2026-Q3": 2}
    assert data["mttd_hours"] == 2.5  # even count: [0.5, 1, 4, 10] -> (1 + 4) / 2
    assert data["left_out"]["mttr_hours"] == ["PM-2026-004"]
    assert data["mttr_hours"] == 24.0


def test_text_output_shows_medians_quartiles_and_what_was_left_out(fixture_kb: Path) -> None:
    result = run_cli("-C", str(fixture_kb), "stats", "--as-of", "2026-07-01")
    assert result.exit_code == 0
    out = result.output
    assert "Post-mortems: 3" in out
    assert "Time to detect: median 1.0h (quartiles 45m – 2.5h; 3 post-mortems)" in out
    assert "Time to contain: median 1.2h" in out
    assert "left out, lacking a time: PM-2026-003" in out
    assert "api (PM-2026-001, PM-2026-002)" in out
    assert "closed 2 (40%)" in out


def test_markdown_output_is_a_list(fixture_kb: Path) -> None:
    result = run_cli("-C", str(fixture_kb), "stats", "--format", "markdown")
    assert result.exit_code == 0
    assert result.output.startswith("### Post-mortem statistics")
    assert "- Post-mortems: 3" in result.output


def test_times_out_of_order_are_no_figure(kb: Path) -> None:
    write(
        kb,
        "PM-2026-001",
        minimal_postmortem(
            "PM-2026-001", occurred="2026-01-10T10:00:00Z", detected="2026-01-10T09:00:00Z"
        ),
    )
    data = stats_json(kb)
    assert data["mttd_hours"] is None
    assert data["left_out"]["mttd_hours"] == ["PM-2026-001"]
    assert data["quartiles_hours"]["mttd_hours"] is None


def test_single_incident_is_its_own_quartiles(kb: Path) -> None:
    write(
        kb,
        "PM-2026-001",
        minimal_postmortem(
            "PM-2026-001", occurred="2026-01-10T10:00:00Z", detected="2026-01-10T10:45:00Z"
        ),
    )
    data = stats_json(kb)
    assert data["mttd_hours"] == 0.75
    assert data["quartiles_hours"]["mttd_hours"] == [0.75, 0.75, 0.75]


def test_empty_knowledge_base(kb: Path) -> None:
    data = stats_json(kb)
    assert data["count"] == 0 and data["by_quarter"] == {}
    assert data["mttd_hours"] is None
    assert data["actions"]["closure_rate"] is None
    text = run_cli("-C", str(kb), "stats").output
    assert "n/a" in text


def test_unparseable_file_is_named_and_skipped(fixture_kb: Path) -> None:
    (fixture_kb / "postmortems" / "2026" / "PM-2026-009-broken.md").write_text(
        "---\nid: [\n---\n", encoding="utf-8"
    )
    result = run_cli("-C", str(fixture_kb), "stats", "--format", "json")
    assert result.exit_code == 0
    assert result.json()["count"] == 3
    assert "PM-2026-009-broken.md" in result.stderr


def test_bad_as_of_is_a_usage_error(fixture_kb: Path) -> None:
    result = run_cli("-C", str(fixture_kb), "stats", "--as-of", "2026-02-30")
    assert result.exit_code == 2
    assert "YYYY-MM-DD" in result.stderr


def test_core_function_matches_the_command(fixture_kb: Path) -> None:
    """The site calls compute_stats; it must give what the command prints."""
    postmortems, _ = load(load_config(fixture_kb))
    stats = compute_stats(postmortems, as_of=date(2026, 7, 1))
    assert stats.as_dict() == stats_json(fixture_kb)
    assert stats.mttc_hours == 1.25 and stats.closure_rate == 0.4


@pytest.mark.parametrize(
    "hours,text", [(None, "n/a"), (0.5, "30m"), (3.25, "3.2h"), (49.5, "2d 1.5h")]
)
def test_format_hours(hours: float | None, text: str) -> None:
    assert format_hours(hours) == text


def test_quarter_bounds() -> None:
    assert quarter_bounds("2026-Q1") == (date(2026, 1, 1), date(2026, 3, 31))
    assert quarter_bounds("2026-Q4") == (date(2026, 10, 1), date(2026, 12, 31))
    with pytest.raises(ValueError):
        quarter_bounds("2026-Q5")


def test_audience_filter_counts_only_what_that_site_shows(fixture_kb: Path) -> None:
    path = fixture_kb / "postmortems" / "2026" / "PM-2026-002-incident.md"
    path.write_text(path.read_text().replace("visibility: internal", "visibility: restricted"))
    assert stats_json(fixture_kb, "--audience", "restricted")["count"] == 3
    assert stats_json(fixture_kb)["count"] == 2  # the site's audience (internal) by default
    internal = stats_json(fixture_kb, "--audience", "internal")
    assert internal["count"] == 2 and internal["by_severity"] == {"SEV2": 2}
    assert internal["mttd_hours"] == 2.5  # [1, 4]
    assert stats_json(fixture_kb, "--audience", "public")["count"] == 0
    rows = run_cli(
        "-C", str(fixture_kb), "actions", "--format", "json", "--audience", "internal"
    ).json()
    assert "PM-2026-002" not in {r["postmortem"] for r in rows}


def test_sample_knowledge_base_medians_match_an_independent_computation() -> None:
    """The medians a person computes by hand: front matter read with plain YAML here."""
    import statistics
    from datetime import datetime

    import yaml

    from conftest import REPO

    def moment(value: object) -> datetime | None:
        if isinstance(value, datetime):
            return value
        if isinstance(value, str):
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        return None

    spans: dict[str, list[float]] = {"mttd_hours": [], "mttc_hours": [], "mttr_hours": []}
    pairs = {
        "mttd_hours": ("occurred_at", "detected_at"),
        "mttc_hours": ("detected_at", "contained_at"),
        "mttr_hours": ("detected_at", "resolved_at"),
    }
    count = 0
    for path in sorted((REPO / "postmortems").glob("[0-9][0-9][0-9][0-9]/*.md")):
        meta = yaml.safe_load(path.read_text(encoding="utf-8").split("---")[1])
        if meta["status"] == "draft":
            continue
        count += 1
        for key, (start, end) in pairs.items():
            a, b = moment(meta.get(start)), moment(meta.get(end))
            if a and b and b >= a:
                spans[key].append((b - a).total_seconds() / 3600)
    result = run_cli("-C", str(REPO), "stats", "--format", "json", "--audience", "restricted")
    assert result.exit_code == 0, result.stderr
    data = result.json()
    assert data["count"] == count
    for key, values in spans.items():
        assert data[key] == pytest.approx(statistics.median(values), abs=1e-4), key
