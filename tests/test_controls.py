"""`postmortem controls`: the roll-up of failed controls across incidents."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from conftest import REPO, run_cli
from test_stats import minimal_postmortem, write


@pytest.fixture
def controls_kb(kb: Path) -> Path:
    write(
        kb,
        "PM-2026-001",
        minimal_postmortem(
            "PM-2026-001",
            controls=("SOC2:CC6.1", "ISO27001:A.8.2"),
            actions=(
                (
                    "A1",
                    "Enforce MFA on the admin console (SOC2:CC6.1)",
                    "Identity",
                    "2026-03-01",
                    "open",
                ),
                ("A2", "Write the runbook", "SecOps", "2026-02-01", "done"),
            ),
            retest="A red-team exercise re-tested SOC2:CC6.1 on 2026-04-02: blocked.",
        ),
    )
    # A second spelling of the same control; the fix is named in an extra Control column;
    # section 14 names no control but has every checklist item checked.
    text = minimal_postmortem(
        "PM-2026-002",
        occurred="2026-02-01T00:00:00Z",
        controls=("soc2:cc6.1", "NIST-CSF:PR.AC-1"),
        actions=(
            ("B1", "Quarterly access review", "IAM", "2026-03-01", "done", "", "NIST-CSF:PR.AC-1"),
        ),
        retest="- [x] Failed controls re-tested under real conditions\n- [x] Results recorded",
    )
    text = text.replace(
        "| ID | Action | Owner | Due | Status | Tracking |\n|---|---|---|---|---|---|",
        "| ID | Action | Owner | Due | Status | Tracking | Control |\n"
        "|---|---|---|---|---|---|---|",
    )
    write(kb, "PM-2026-002", text)
    # CC6.10 is not CC6.1; a malformed id is reported, not counted.
    write(
        kb,
        "PM-2026-003",
        minimal_postmortem(
            "PM-2026-003",
            occurred="2026-03-01T00:00:00Z",
            controls=("SOC2:CC6.10", "not a control"),
            actions=(("C1", "Tighten SOC2:CC6.10 scoping", "GRC", "2026-03-01", "open"),),
            retest="- [ ] Failed controls re-tested under real conditions",
        ),
    )
    return kb


def rollup_json(kb: Path) -> list[dict]:
    result = run_cli("-C", str(kb), "controls", "--format", "json", "--as-of", "2026-06-01")
    assert result.exit_code == 0, result.stderr
    return result.json()


def test_rollup_counts_fixes_and_retests(controls_kb: Path) -> None:
    data = rollup_json(controls_kb)
    assert [c["control"] for c in data] == [
        "SOC2:CC6.1",
        "ISO27001:A.8.2",
        "NIST-CSF:PR.AC-1",
        "SOC2:CC6.10",
    ]
    cc61, a82, prac1, cc610 = data
    assert cc61["failures"] == 2 and cc61["incidents"] == ["PM-2026-001", "PM-2026-002"]
    assert [(f["postmortem"], f["id"]) for f in cc61["fixes"]] == [("PM-2026-001", "A1")]
    assert cc61["fixes"][0]["overdue"] is True
    assert cc61["open_fixes"] == ["PM-2026-001/A1"]
    assert cc61["retested_in"] == ["PM-2026-001", "PM-2026-002"]
    assert a82["fixes"] == [] and a82["retested_in"] == []
    assert a82["not_retested"] == ["PM-2026-001"]
    assert a82["open_actions_in_incidents"] == ["PM-2026-001/A1"]
    assert prac1["framework"] == "NIST-CSF"
    assert [f["id"] for f in prac1["fixes"]] == ["B1"] and prac1["open_fixes"] == []
    assert prac1["retested_in"] == ["PM-2026-002"]
    assert cc610["incidents"] == ["PM-2026-003"]
    assert [f["id"] for f in cc610["fixes"]] == ["C1"]
    assert cc610["retested_in"] == []


def test_malformed_control_is_a_warning_with_file_and_line(controls_kb: Path) -> None:
    result = run_cli("-C", str(controls_kb), "controls")
    assert result.exit_code == 0
    assert "postmortems/2026/PM-2026-003-incident.md:" in result.stderr
    assert "'not a control' is not a control id" in result.stderr


def test_text_csv_and_markdown(controls_kb: Path) -> None:
    text = run_cli("-C", str(controls_kb), "controls", "--as-of", "2026-06-01").output
    assert "SOC2:CC6.1: failed 2x in PM-2026-001, PM-2026-002" in text
    assert "still open: PM-2026-001/A1" in text
    assert "not re-tested in: PM-2026-001" in text  # ISO27001:A.8.2
    rows = list(
        csv.DictReader(
            io.StringIO(run_cli("-C", str(controls_kb), "controls", "--format", "csv").output)
        )
    )
    assert rows[0]["control"] == "SOC2:CC6.1" and rows[0]["failures"] == "2"
    assert rows[0]["re-tested_in"] == "PM-2026-001, PM-2026-002"
    md = run_cli("-C", str(controls_kb), "controls", "--format", "markdown").output
    assert md.splitlines()[0].startswith("| Control | Failures |")


def test_no_controls(kb: Path) -> None:
    write(kb, "PM-2026-001", minimal_postmortem("PM-2026-001"))
    assert "No post-mortem names a failed control" in run_cli("-C", str(kb), "controls").output
    assert rollup_json(kb) == []


def test_sample_knowledge_base_rolls_up() -> None:
    result = run_cli("-C", str(REPO), "controls", "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = result.json()
    assert data, "the samples name failed controls"
    assert all(c["failures"] == len(c["incidents"]) >= 1 for c in data)
    assert [c["failures"] for c in data] == sorted((c["failures"] for c in data), reverse=True)


def test_controls_page_for_the_site_links_what_it_may(controls_kb: Path) -> None:
    from datetime import date

    from postmortem_kb.core.config import load_config
    from postmortem_kb.core.controls import rollup
    from postmortem_kb.core.export import controls_markdown
    from postmortem_kb.core.knowledge_base import load

    postmortems, _ = load(load_config(controls_kb))
    result, _ = rollup(postmortems, as_of=date(2026, 6, 1))
    page = controls_markdown(result, link=lambda pm_id: "../a/" if pm_id == "PM-2026-001" else None)
    first = page.splitlines()[2]
    assert first.startswith("| SOC2:CC6.1 | 2 | [PM-2026-001](../a/), PM-2026-002 |")
    assert "[PM-2026-001/A1](../a/)" in first
    assert controls_markdown([]).startswith("No post-mortem names")
    cli_page = run_cli(
        "-C", str(controls_kb), "controls", "--format", "markdown", "--as-of", "2026-06-01"
    ).output
    assert cli_page.strip() == controls_markdown(result)
