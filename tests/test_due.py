"""Checklist items know when they are due: `<!-- due: archived -->` in a template.

What must be true to publish is demanded by `published`; what happens afterwards (the
re-test, the archive steps) by `archived`, so that a complete, on-time post-mortem is
published without marking future steps N/A.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest

from conftest import REPO, complete_postmortem_text, run_cli
from postmortem_kb.core.errors import PostmortemError
from postmortem_kb.core.model import section_key
from postmortem_kb.core.rules import excerpt
from postmortem_kb.core.templates import load_template, schema_of

SHIPPED = REPO / "tooling" / "postmortem_kb" / "templates"

# Sections 12-15 as a team has them on the day it publishes: the plan is written, the
# session scheduled; the changes, the session itself, the re-test and the archive are ahead.
ON_PUBLICATION = """## 12. Update Policies and Playbooks

The secret-exposure playbook will say to export the commit before rewriting history; the
Secrets Management Standard will ban long-lived CI tokens.

- [ ] Incident response playbook updated <!-- due: archived -->
- [ ] Affected policies updated and re-approved <!-- due: archived -->

## 13. Conduct Awareness Session

A session for Developer Experience and Security Operations is booked for 2026-07-03.

- [x] Awareness session scheduled
- [ ] Recording and notes shared <!-- due: archived -->
- [ ] Attendance confirmed from all relevant teams <!-- due: archived -->

## 14. Re-Test Controls and Resilience

<!-- due: archived -->

- [ ] Failed controls re-tested under real conditions
- [ ] Results recorded and linked

## 15. Archive the Postmortem

<!-- due: archived -->

- [ ] Post-mortem reviewed and approved by the security lead
- [ ] Evidence retention period set and recorded
- [ ] Archive date agreed (once the last action item is closed)
"""


def on_publication(status: str) -> str:
    """The fixture on time: its open action A2 due in two months, not already past."""
    text = complete_postmortem_text(status=status).replace(
        "| 2026-08-31 | in-progress |", f"| {date.today() + timedelta(days=60)} | in-progress |"
    )
    return text[: text.index("## 12.")] + ON_PUBLICATION


def write(kb: Path, text: str) -> Path:
    path = kb / "postmortems" / "2026" / "PM-2026-001-ci-token.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def findings(kb: Path, *args: str) -> list[dict[str, object]]:
    result = run_cli("-C", str(kb), "check", "--format", "json", *args)
    assert result.exit_code in (0, 1), result.stderr
    found: list[dict[str, object]] = result.json()["findings"]
    return found


# --- the template declares ----------------------------------------------------------------


def test_the_security_template_defers_what_happens_after_publication() -> None:
    template = schema_of(
        "security", "security.md", (SHIPPED / "security.md").read_text(encoding="utf-8")
    )
    by_title = {s.title.split(". ", 1)[-1]: s for s in template.sections}
    assert by_title["Re-Test Controls and Resilience"].due == "archived"
    assert by_title["Archive the Postmortem"].due == "archived"
    awareness = by_title["Conduct Awareness Session"]
    assert awareness.due == "published"
    assert awareness.due_of("Awareness session scheduled") == "published"
    assert awareness.due_of("Recording and notes shared — [notes](https://x.example)") == "archived"
    for title in (
        "Preserve Evidence Immediately",
        "Conduct Root Cause Analysis (RCA)",
        "Document Customer or User Impact",
    ):
        section = by_title[title]
        assert section.due == "published" and not section.item_due, title


def test_the_outage_template_demands_everything_to_publish() -> None:
    template = schema_of("outage", "outage.md", (SHIPPED / "outage.md").read_text(encoding="utf-8"))
    assert all(s.due == "published" and not s.item_due for s in template.sections)


@pytest.mark.parametrize(
    "marker", ["<!-- due: someday -->", "<!-- due: draft -->", "<!-- due: in-review -->"]
)
def test_a_template_with_an_unknown_due_status_is_broken(marker: str) -> None:
    text = f"---\nid: x\n---\n\n## Summary\n\n{marker}\n\n- [ ] Told\n"
    with pytest.raises(PostmortemError, match="is not one of published, archived") as caught:
        schema_of("team", "team.md", text)
    assert caught.value.line == 7


def test_a_knowledge_base_template_may_defer_its_own_items(kb: Path) -> None:
    own = kb / "postmortems" / "templates" / "security.md"
    text = own.read_text(encoding="utf-8").replace(
        "- [ ] Incident ticket linked\n\n## 2.",
        "- [ ] Incident ticket linked <!-- due: archived -->\n\n## 2.",
    )
    own.write_text(text, encoding="utf-8")
    template = load_template(kb / "postmortems", "security")
    key = section_key("1. Acknowledge and Categorize the Incident")
    assert template.due_of(key, "Incident ticket linked") == "archived"
    assert template.due_of(key, "Severity agreed with the incident commander") == "published"


# --- check and status apply it -------------------------------------------------------------


def test_an_on_time_postmortem_is_published_without_marking_future_steps_na(kb: Path) -> None:
    path = write(kb, on_publication("in-review"))
    assert "N/A" not in ON_PUBLICATION
    assert findings(kb) == []
    moved = run_cli("-C", str(kb), "status", "PM-2026-001", "published")
    assert moved.exit_code == 0, moved.output + moved.stderr
    assert "status: published" in path.read_text(encoding="utf-8")


def test_archiving_demands_what_was_deferred(kb: Path) -> None:
    write(kb, on_publication("published"))
    refused = run_cli("-C", str(kb), "status", "PM-2026-001", "archived")
    assert refused.exit_code == 1
    out = refused.output
    assert re.search(
        r"PM301 +checklist item `Failed controls re-tested under real conditions` "
        r"is open \(due by `archived`\)",
        out,
    ), out
    assert out.count("PM301") == 9  # 2 + 2 in sections 12-13, 2 in 14, 3 in 15
    assert "PM203" in out and "Re-Test Controls" in out  # section 14 still to be written


def test_an_item_due_by_publication_is_still_demanded(kb: Path) -> None:
    write(
        kb,
        on_publication("published").replace(
            "- [x] Awareness session scheduled", "- [ ] Awareness session scheduled"
        ),
    )
    found = findings(kb)
    assert [(f["rule"], f["severity"]) for f in found] == [("PM301", "error")]
    assert "`Awareness session scheduled` is open: check it" in str(found[0]["message"])


def test_a_postmortem_section_the_template_lacks_is_due_by_publication(kb: Path) -> None:
    write(kb, on_publication("published") + "\n## Notes\n\n- [ ] Thank the on-call team\n")
    assert [f["rule"] for f in findings(kb)] == ["PM301"]


def test_postmortem_new_carries_the_markers(kb: Path) -> None:
    made = run_cli(
        "-C",
        str(kb),
        "new",
        "--type",
        "malware",
        "--severity",
        "SEV2",
        "--occurred",
        "2026-02-01T10:00:00Z",
        "--owner",
        "Security Operations",
    )
    assert made.exit_code == 0, made.stderr
    text = (kb / made.output.strip().splitlines()[-1]).read_text(encoding="utf-8")
    section_14 = text[text.index("## 14.") : text.index("## 15.")]
    assert "<!-- due: archived -->" in section_14
    assert "- [ ] Recording and notes shared <!-- due: archived -->" in text


# --- messages quote items whole, or cut at a word -----------------------------------------


def test_long_items_are_cut_at_a_word_with_an_ellipsis() -> None:
    item = (
        "Affected customers notified, or the decision not to notify recorded with its "
        "reason and the approval of the legal and compliance team"
    )
    cut = excerpt(item)
    assert cut.endswith("…") and len(cut) <= 101
    assert item.startswith(cut[:-1]) and item[len(cut) - 1] == " "
    assert excerpt("Incident ticket linked") == "Incident ticket linked"


def test_checklist_messages_quote_the_item_whole_or_cut_at_a_word(kb: Path) -> None:
    whole = "Affected customers notified, or the decision not to notify recorded with its reason"
    long = (
        "Regulators in every jurisdiction where affected customers live notified within "
        "the statutory deadline, with the notification letters attached as evidence"
    )
    text = complete_postmortem_text().replace("## 4.", f"- [ ] {whole}\n- [ ] {long}\n\n## 4.", 1)
    write(kb, text)
    quoted = [
        re.search(r"`(.*?)`", str(f["message"])).group(1)  # type: ignore[union-attr]
        for f in findings(kb)
        if f["rule"] == "PM301"
    ]
    assert quoted[0] == whole
    assert quoted[1].endswith("…") and long.startswith(quoted[1][:-1])
    assert long[len(quoted[1]) - 1] == " "  # cut between words
