"""One test per rule: a file that breaks it and the complete file that does not."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import complete_postmortem_text, run_cli


def sub(pattern: str, repl: str, count: int = 1) -> Callable[[str], str]:
    def mutate(text: str) -> str:
        changed, n = re.subn(pattern, repl, text, count=count, flags=re.M)
        assert n, f"fixture lacks {pattern!r}"
        return changed

    return mutate


def status(value: str) -> Callable[[str], str]:
    return sub(r"^status: published$", f"status: {value}")


def both(*mutations: Callable[[str], str]) -> Callable[[str], str]:
    def mutate(text: str) -> str:
        for m in mutations:
            text = m(text)
        return text

    return mutate


# rule -> a mutation of the complete post-mortem that breaks exactly that rule
BREAKS: dict[str, Callable[[str], str]] = {
    "PM101": sub(r"^owner: .*\n", ""),
    "PM102": sub(r"^severity: SEV2$", "severity: critical"),
    "PM103": sub(r"^owner:", "reviewer: Security Lead\nowner:"),
    "PM104": sub(r"^detected_at: .*$", "detected_at: 2026-05-19 10:31"),
    "PM105": sub(r"^contained_at: .*$", "contained_at: 2026-05-19T10:20:00Z"),
    "PM107": sub(r"^occurred_at: 2026", "occurred_at: 2025"),
    "PM110": sub(r"^status:", "template: nonexistent\nstatus:"),
    "PM201": sub(r"^## 9\. Assess Backup and Recovery Function$", "## Backups"),
    "PM202": lambda t: _swap_sections(t, "## 12. Update Policies", "## 13. Conduct Awareness"),
    "PM203": sub(
        r"(## 10\. Document Customer or User Impact\n)(?:.*\n)*?(?=## 11)",
        r"\1\n<!-- to be written -->\n\n",
    ),
    "PM204": sub(r"^## Summary\n", "## Summary\n\nImpact: TBD.\n"),
    "PM205": sub(r"^\| 2026-\d\d-\d\d \d\d:\d\d \|.*\n", "", count=0),
    "PM206": sub(r"^\| 2026-05-19 10:09 \|", "| yesterday |"),
    "PM207": sub(r"^\| 2026-05-19 10:09 \|", "| 2026-05-19 09:09 |"),
    "PM301": sub(r"^- \[x\] Security team notified", "- [ ] Security team notified"),
    "PM302": sub(r"^(\| A1 \|[^|]*\|)[^|]*\|", r"\1  |"),
    "PM303": sub(r"^(\| A1 \|[^|]*\|[^|]*\|)[^|]*\|", r"\1 next sprint |"),
    "PM304": sub(r"^(\| A1 \|[^|]*\|[^|]*\|[^|]*\|)[^|]*\|", r"\1 finished |"),
    "PM401": sub(r"^## Summary\n", "## Summary\n\nThe key was AKIAQYLPMN3ZR7WXJ2KD.\n"),
    "PM402": sub(r"^## Summary\n", "## Summary\n\n<img src=x onerror=alert(1)>\n"),
    "PM501": sub(r"^## Summary\n", "## Summary\n\nThe root cause was human error.\n"),
}
# (every rule's own examples, from the catalogue, run in test_catalogue.py)


def _swap_sections(text: str, first: str, second: str) -> str:
    a = text.index(first)
    b = text.index(second)
    c = text.index("\n## ", b + 1)
    return text[:a] + text[b : c + 1] + text[a:b] + text[c + 1 :]


def check_json(kb: Path) -> dict:
    result = run_cli("-C", str(kb), "check", "--format", "json")
    assert result.exit_code in (0, 1), result.stderr
    return result.json()


def test_complete_postmortem_has_no_finding(kb: Path, write_pm) -> None:
    write_pm(complete_postmortem_text())
    data = check_json(kb)
    assert data == {"files": 1, "findings": []}


@pytest.mark.parametrize("state", ["draft", "in-review", "published", "archived"])
def test_complete_postmortem_passes_every_status(kb: Path, write_pm, state: str) -> None:
    write_pm(complete_postmortem_text(status=state))
    assert check_json(kb)["findings"] == []


@pytest.mark.parametrize("rule", sorted(BREAKS))
def test_rule_breaks(kb: Path, write_pm, rule: str) -> None:
    write_pm(BREAKS[rule](complete_postmortem_text()))
    findings = check_json(kb)["findings"]
    rules = {f["rule"] for f in findings}
    assert rule in rules, findings
    hit = next(f for f in findings if f["rule"] == rule)
    assert hit["path"] == "postmortems/2026/PM-2026-001-test.md"
    assert hit["line"] >= 1
    assert hit["severity"] == ("warning" if rule in {"PM103", "PM501"} else "error")
    assert len(hit["message"]) > 20


def test_duplicate_id(kb: Path, write_pm) -> None:
    write_pm(complete_postmortem_text())
    write_pm(complete_postmortem_text(), name="PM-2026-001-copy.md")
    findings = check_json(kb)["findings"]
    assert {(f["rule"], f["path"]) for f in findings} == {
        ("PM106", "postmortems/2026/PM-2026-001-copy.md"),
        ("PM106", "postmortems/2026/PM-2026-001-test.md"),
    }


def test_duplicate_id_seen_when_checking_one_path(kb: Path, write_pm) -> None:
    one = write_pm(complete_postmortem_text())
    write_pm(complete_postmortem_text(), name="PM-2026-001-copy.md")
    result = run_cli("-C", str(kb), "check", str(one), "--format", "json")
    assert result.exit_code == 1
    assert [f["rule"] for f in result.json()["findings"]] == ["PM106"]
    assert result.json()["files"] == 1


def test_line_numbers_point_at_the_problem(kb: Path, write_pm) -> None:
    text = BREAKS["PM301"](complete_postmortem_text())
    write_pm(text)
    finding = next(f for f in check_json(kb)["findings"] if f["rule"] == "PM301")
    line = text.split("\n")[finding["line"] - 1]
    assert line == "- [ ] Security team notified"


def test_status_decides_what_is_demanded(kb: Path, write_pm) -> None:
    broken = BREAKS["PM301"](BREAKS["PM203"](complete_postmortem_text()))
    write_pm(status("draft")(broken))
    assert check_json(kb)["findings"] == []
    write_pm(status("in-review")(broken))
    assert {f["rule"] for f in check_json(kb)["findings"]} == {"PM203"}
    write_pm(broken)
    assert {f["rule"] for f in check_json(kb)["findings"]} == {"PM203", "PM301"}


def test_not_applicable_with_reason_resolves_an_item(kb: Path, write_pm) -> None:
    text = sub(
        r"^- \[x\] Security team notified",
        "- [ ] Security team notified — N/A: the security team led the response",
    )(complete_postmortem_text())
    write_pm(text)
    assert check_json(kb)["findings"] == []
    write_pm(sub(r"N/A: the security team led the response", "N/A:")(text))
    assert [f["rule"] for f in check_json(kb)["findings"]] == ["PM301"]


def test_headings_match_ignoring_case_and_number(kb: Path, write_pm) -> None:
    text = sub(
        r"^## 9\. Assess Backup and Recovery Function$",
        "##   assess backup and recovery function  ",
    )(complete_postmortem_text())
    write_pm(text)
    assert check_json(kb)["findings"] == []


def test_headings_in_code_blocks_and_comments_do_not_count(kb: Path, write_pm) -> None:
    text = sub(
        r"^## 9\. Assess Backup and Recovery Function$",
        "```\n## 9. Assess Backup and Recovery Function\n```\n"
        "<!--\n## 9. Assess Backup and Recovery Function\n-->",
    )(complete_postmortem_text())
    write_pm(text)
    assert "PM201" in {f["rule"] for f in check_json(kb)["findings"]}


def test_placeholders_in_comments_are_guidance(kb: Path, write_pm) -> None:
    write_pm(
        sub(r"^## Summary\n", "## Summary\n\n<!-- TODO: {{ summary }} -->\n")(
            complete_postmortem_text()
        )
    )
    assert check_json(kb)["findings"] == []


def test_redacted_secrets_pass(kb: Path, write_pm) -> None:
    write_pm(
        sub(
            r"^## Summary\n",
            "## Summary\n\nThe key AKIA[REDACTED] and `password = [REDACTED]` were "
            "rotated; token: ghp_[REDACTED].\n",
        )(complete_postmortem_text())
    )
    assert check_json(kb)["findings"] == []


@pytest.mark.parametrize(
    "secret",
    [
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYzq8Mv2Tk1",
        "-----BEGIN RSA PRIVATE KEY-----",
        "-----BEGIN OPENSSH PRIVATE KEY-----",
        "token: ghp_" + "a1B2" * 9,
        "password: Hunter2024!",
        "DB_PASSWORD=s3cr3tP4ss",
        "slack xoxb-1234567890-abcdefghij",
    ],
)
def test_secrets_are_errors_at_every_status(kb: Path, write_pm, secret: str) -> None:
    write_pm(
        status("draft")(
            sub(r"^## Summary\n", f"## Summary\n\n```\n{secret}\n```\n")(complete_postmortem_text())
        )
    )
    findings = check_json(kb)["findings"]
    assert [f["rule"] for f in findings] == ["PM401"]
    assert secret.split()[-1] not in findings[0]["message"]


@pytest.mark.parametrize(
    "html",
    [
        "<script>alert(1)</script>",
        '<a href="#" onclick="steal()">x</a>',
        "[click](javascript:alert(1))",
        '<iframe src="https://example.com"></iframe>',
    ],
)
def test_active_html_is_an_error(kb: Path, write_pm, html: str) -> None:
    write_pm(sub(r"^## Summary\n", f"## Summary\n\n{html}\n")(complete_postmortem_text()))
    assert [f["rule"] for f in check_json(kb)["findings"]] == ["PM402"]


def test_html_shown_as_code_is_harmless(kb: Path, write_pm) -> None:
    write_pm(
        sub(
            r"^## Summary\n",
            "## Summary\n\nThe payload was `<script>alert(1)</script>`."
            "\n\n```html\n<img src=x onerror=alert(1)>\n```\n",
        )(complete_postmortem_text())
    )
    assert check_json(kb)["findings"] == []


@pytest.mark.parametrize(
    "phrase",
    [
        "human error",
        "was careless",
        "should have known",
        "was negligent",
        "it was Bob's fault",
        "we blame the vendor",
        "forgot to rotate",
    ],
)
def test_blame_language_warns_with_a_rewording(kb: Path, write_pm, phrase: str) -> None:
    write_pm(
        sub(r"^## Summary\n", f"## Summary\n\nNote: {phrase} here.\n")(complete_postmortem_text())
    )
    result = run_cli("-C", str(kb), "check", "--format", "json")
    assert result.exit_code == 0  # warnings do not fail
    (finding,) = result.json()["findings"]
    assert finding["rule"] == "PM501" and finding["severity"] == "warning"
    assert "describe" in finding["message"] or "say" in finding["message"]


def test_blame_language_can_be_silenced_on_one_line(kb: Path, write_pm) -> None:
    write_pm(
        sub(
            r"^## Summary\n",
            "## Summary\n\nThe root cause was human error. "
            "<!-- postmortem-ignore PM501 -->\n\nIt was human error again.\n",
        )(complete_postmortem_text())
    )
    findings = check_json(kb)["findings"]
    assert [f["rule"] for f in findings] == ["PM501"]
    assert findings[0]["message"].startswith('blame-laden wording "human error"')


def test_blame_terms_extend_from_configuration(kb: Path, write_pm) -> None:
    config = kb / "mkdocs.yml"
    config.write_text(
        config.read_text().replace(
            "      id_prefix: PM\n",
            "      id_prefix: PM\n      blame_terms:\n        rookie mistake: describe the missing "
            "onboarding step\n",
        )
    )
    write_pm(sub(r"^## Summary\n", "## Summary\n\nA rookie mistake.\n")(complete_postmortem_text()))
    (finding,) = check_json(kb)["findings"]
    assert "missing onboarding step" in finding["message"]


def test_custom_incident_types_from_configuration(kb: Path, write_pm) -> None:
    config = kb / "mkdocs.yml"
    config.write_text(
        config.read_text().replace(
            "      id_prefix: PM\n", "      id_prefix: PM\n      types: [insider-threat]\n"
        )
    )
    write_pm(complete_postmortem_text())
    (finding,) = check_json(kb)["findings"]
    assert finding["rule"] == "PM102" and "insider-threat" in finding["message"]


@pytest.mark.parametrize(
    "rule, expected_line_start",
    [
        ("PM102", "severity:"),
        ("PM105", "contained_at:"),
        ("PM202", "## 12. Update Policies"),
        ("PM203", "## 10. Document Customer"),
        ("PM206", "| yesterday |"),
        ("PM207", "| 2026-05-19 09:09 |"),
        ("PM302", "| A1 |"),
        ("PM401", "The key was AKIA"),
        ("PM501", "The root cause was human error"),
    ],
)
def test_findings_name_the_line_of_the_problem(
    kb: Path, write_pm, rule: str, expected_line_start: str
) -> None:
    text = BREAKS[rule](complete_postmortem_text())
    write_pm(text)
    finding = next(f for f in check_json(kb)["findings"] if f["rule"] == rule)
    assert text.split("\n")[finding["line"] - 1].startswith(expected_line_start)


def test_crlf_keeps_line_numbers(kb: Path, write_pm) -> None:
    text = BREAKS["PM301"](complete_postmortem_text())
    path = write_pm(text)
    path.write_bytes(text.replace("\n", "\r\n").encode())
    finding = next(f for f in check_json(kb)["findings"] if f["rule"] == "PM301")
    assert text.split("\n")[finding["line"] - 1] == "- [ ] Security team notified"


def test_a_bare_ignore_marker_silences_warnings_but_not_errors(kb: Path, write_pm) -> None:
    write_pm(
        sub(
            r"^## Summary\n",
            "## Summary\n\nhuman error AKIAQYLPMN3ZR7WXJ2KD <!-- postmortem-ignore -->\n",
        )(complete_postmortem_text())
    )
    assert [f["rule"] for f in check_json(kb)["findings"]] == ["PM401"]
    write_pm(
        sub(
            r"^## Summary\n",
            "## Summary\n\nhuman error AKIAQYLPMN3ZR7WXJ2KD "
            "<!-- postmortem-ignore PM401 PM501 -->\n",
        )(complete_postmortem_text())
    )
    assert check_json(kb)["findings"] == []
