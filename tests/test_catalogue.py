"""The rule catalogue is the one declaration of every rule: its examples run as tests, and
the README table, `postmortem rules`, `check --explain`, severities, gating and
select/ignore all come from it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import REPO, complete_postmortem_text, run_cli
from gitrepo import commit_all, git, git_home, git_kb  # noqa: F401
from postmortem_kb.core import catalogue
from postmortem_kb.core.catalogue import CATALOGUE, RULES, Example, Rule
from postmortem_kb.core.model import STATUSES, status_rank

PM_PATH = "postmortems/2026/PM-2026-001-test.md"


def _front_matter(text: str, lines: str) -> str:
    head, rest = text.split("\n---\n", 1)
    for line in lines.strip("\n").split("\n"):
        key = line.split(":", 1)[0]
        head, n = re.subn(
            rf"^{re.escape(key)}:.*$", line.replace("\\", "\\\\"), head, count=1, flags=re.M
        )
        if not n:
            head += "\n" + line
    return head + "\n---\n" + rest


def _section_bounds(text: str, first: str, last: str) -> tuple[int, int]:
    def heading(name: str) -> re.Match[str]:
        pattern = rf"^## {re.escape(name)}\. .*$" if name.isdigit() else rf"^## {name}$"
        match = re.search(pattern, text, flags=re.M)
        assert match, f"the complete post-mortem has no section {name}"
        return match

    start = heading(first).start()
    after = re.search(r"^## ", text[heading(last).end() :], flags=re.M)
    end = heading(last).end() + after.start() if after else len(text)
    return start, end


def place(example: Example, text: str) -> str:
    """The complete post-mortem TEXT with EXAMPLE put where its `where` says."""
    where = example.where
    if where.startswith("summary"):
        times = re.fullmatch(r"summary, ([\d,]+) times", where)
        body = example.text * int(times.group(1).replace(",", "")) if times else example.text
        return text.replace("## Summary\n\n", f"## Summary\n\n{body}\n\n", 1)
    if where == "front matter":
        return _front_matter(text, example.text)
    if where == "file":
        return example.text
    match = re.fullmatch(r"sections? (\w+)(?:-(\w+))?", where)
    assert match, f"unknown example place {where!r}"
    start, end = _section_bounds(text, match.group(1), match.group(2) or match.group(1))
    return text[:start] + example.text.rstrip("\n") + "\n\n" + text[end:]


def findings_of(kb: Path, *args: str) -> list[dict]:
    result = run_cli("-C", str(kb), "check", "--format", "json", *args)
    assert result.exit_code in (0, 1), result.output + result.stderr
    return result.json()["findings"]


def run_example(rule: Rule, example: Example, kb: Path, tmp_path: Path) -> list[dict]:
    """Put EXAMPLE into a knowledge base and check it; the findings."""
    complete = complete_postmortem_text()
    target = kb / PM_PATH
    target.parent.mkdir(parents=True, exist_ok=True)
    where = example.where
    if where == "symlink":
        if "->" in example.text:
            outside = tmp_path / "elsewhere.md"
            outside.write_text(complete, encoding="utf-8")
            target.symlink_to(outside)
        else:
            target.write_text(complete, encoding="utf-8")
    elif where == "second file":
        target.write_text(complete, encoding="utf-8")
        second = _front_matter(complete, example.text)
        other_id = re.search(r"^id: (\S+)", second, flags=re.M).group(1)  # type: ignore[union-attr]
        (target.parent / f"{other_id}-copy.md").write_text(second, encoding="utf-8")
    elif where == "evidence":
        evidence = target.parent / "PM-2026-001" / "evidence"
        evidence.mkdir(parents=True)
        (evidence / "manifest.json").write_text('{"files": []}\n', encoding="utf-8")
        start, end = _section_bounds(complete, "2", "2")
        target.write_text(complete[:start] + example.text + "\n" + complete[end:], encoding="utf-8")
    elif where == "archived change":
        return _archived_change(example, kb)
    elif where == "misfiled":
        target.write_text(complete, encoding="utf-8")
        place_at = kb / example.text
        place_at.parent.mkdir(parents=True, exist_ok=True)
        place_at.write_text(complete.replace("PM-2026-001", "PM-2026-050"), encoding="utf-8")
    elif where == "docs symlink":
        target.write_text(complete, encoding="utf-8")
        link = kb / example.text.split(" ")[0]
        if "->" in example.text:
            link.symlink_to(kb / example.text.split(" -> ")[1])
        else:
            link.write_text("# Notes\n", encoding="utf-8")
    else:
        encoding = "latin-1" if where.endswith("Latin-1") else "utf-8"
        target.write_bytes(place(example, complete).encode(encoding, "replace"))
    return findings_of(kb)


def _archived_change(example: Example, kb: Path) -> list[dict]:
    git(kb, "init", "-q", "-b", "main")
    archived = complete_postmortem_text(status="archived")
    path = kb / PM_PATH
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(archived, encoding="utf-8")
    commit_all(kb, "An archived post-mortem")
    git(kb, "switch", "-q", "-c", "change")
    if example.text.startswith("## "):
        changed = archived.rstrip("\n") + "\n\n" + example.text
    else:
        changed = place(Example(example.text), archived)
    path.write_text(changed, encoding="utf-8")
    commit_all(kb, "Change it")
    return findings_of(kb, "--base", "main")


CASES = [
    pytest.param(rule, kind, id=f"{rule.id}-{kind}")
    for rule in CATALOGUE
    for kind in ("bad", "good")
]


@pytest.mark.parametrize("rule,kind", CASES)
def test_every_rule_example(
    rule: Rule, kind: str, kb: Path, tmp_path: Path, git_home: Path
) -> None:
    example = rule.bad if kind == "bad" else rule.good
    findings = run_example(rule, example, kb, tmp_path)
    hits = [f for f in findings if f["rule"] == rule.id]
    if kind == "bad":
        assert hits, f"{rule.id}'s bad example yields no {rule.id}: {findings}"
        assert all(f["severity"] == rule.severity for f in hits)
        assert all(len(f["message"]) > 20 for f in hits)
    else:
        assert not hits, f"{rule.id}'s good example yields {hits}"


GATED = [
    r
    for r in CATALOGUE
    if r.applies_from in ("in-review", "published")
    and r.bad.where
    not in ("archived change", "second file", "symlink", "evidence", "misfiled", "docs symlink")
]


@pytest.mark.parametrize("rule", GATED, ids=[r.id for r in GATED])
def test_a_rule_does_not_apply_before_its_status(rule: Rule, kb: Path, tmp_path: Path) -> None:
    """The bad example at the status before the rule's own does not yield it."""
    earlier = STATUSES[status_rank(rule.applies_from) - 1]
    text = place(rule.bad, complete_postmortem_text(status=earlier))
    if status_rank(earlier) < status_rank("in-review"):
        text = re.sub(r"^contained_at:.*\n", "", text, flags=re.M)
    (kb / PM_PATH).parent.mkdir(parents=True, exist_ok=True)
    (kb / PM_PATH).write_text(text, encoding="utf-8")
    assert rule.id not in {f["rule"] for f in findings_of(kb)}
    (kb / PM_PATH).write_text(
        place(rule.bad, complete_postmortem_text(status=rule.applies_from)), encoding="utf-8"
    )
    assert rule.id in {f["rule"] for f in findings_of(kb)}


def test_the_catalogue_is_well_formed() -> None:
    assert len(RULES) == len(CATALOGUE), "a rule id is declared twice"
    assert [r.id for r in CATALOGUE] == sorted(RULES)
    names = [r.name for r in CATALOGUE]
    assert len(set(names)) == len(names)
    for rule in CATALOGUE:
        assert re.fullmatch(r"PM\d{3}", rule.id)
        assert rule.severity in ("error", "warning")
        assert rule.applies_from in STATUSES
        assert re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", rule.name)
        assert rule.summary and "\n" not in rule.summary and rule.fix and "\n" not in rule.fix
        assert rule.bad.text != rule.good.text or rule.bad.where != rule.good.where


def test_readme_rules_table_is_the_catalogue() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    table = catalogue.markdown_table()
    assert table in readme, (
        "README's rules table differs from the catalogue: replace it "
        "with the output of `postmortem rules --format markdown`"
    )


def test_no_call_site_chooses_a_severity() -> None:
    """Findings get their severity from the catalogue (`catalogue.finding`,
    `_Collector.add`), never from a literal at the call site."""
    offenders = []
    for path in (REPO / "tooling" / "postmortem_kb").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"Finding\([^()]*?[\"'](?:error|warning)[\"']", text, re.S):
            offenders.append(f"{path.name}:{text.count(chr(10), 0, match.start()) + 1}")
    assert offenders == []


def test_rules_lists_the_catalogue() -> None:
    result = run_cli("rules")
    assert result.exit_code == 0
    lines = result.output.strip().split("\n")
    assert [line.split()[0] for line in lines] == [r.id for r in CATALOGUE]
    assert "PM501  warning  draft" in result.output
    data = run_cli("rules", "--format", "json").json()
    assert data[0]["id"] == "PM001" and {"severity", "applies_from", "fix"} <= set(data[0])
    assert run_cli("rules", "--format", "markdown").output == catalogue.markdown_table()


def test_rules_marks_what_a_knowledge_base_leaves_out(kb: Path) -> None:
    _configure(kb, "      ignore: [PM5]\n")
    result = run_cli("-C", str(kb), "rules")
    assert result.exit_code == 0
    assert [line for line in result.output.split("\n") if line.endswith("(off)")] == [
        line for line in result.output.split("\n") if line.startswith("PM501")
    ]
    data = run_cli("-C", str(kb), "rules", "--format", "json").json()
    assert [r["id"] for r in data if not r["enabled"]] == ["PM501"]


def test_explain_a_rule() -> None:
    result = run_cli("check", "--explain", "pm302")
    assert result.exit_code == 0
    assert result.output.startswith(
        "PM302 action-without-owner (error, from status `published` on)"
    )
    assert "Breaks it (section 11):" in result.output and "| next sprint |" not in result.output
    unknown = run_cli("check", "--explain", "PM999")
    assert unknown.exit_code == 2 and "PM999" in unknown.stderr


BLAME_AND_TODO = "## Summary\n\nImpact: TBD. The root cause was human error.\n\n"


def _broken(kb: Path) -> None:
    text = complete_postmortem_text().replace("## Summary\n\n", BLAME_AND_TODO, 1)
    (kb / PM_PATH).parent.mkdir(parents=True, exist_ok=True)
    (kb / PM_PATH).write_text(text, encoding="utf-8")


def _configure(kb: Path, settings: str) -> None:
    config = kb / "mkdocs.yml"
    text = config.read_text(encoding="utf-8")
    assert "  - postmortems:\n" in text
    config.write_text(
        text.replace("  - postmortems:\n", "  - postmortems:\n" + settings, 1), encoding="utf-8"
    )


def test_select_and_ignore_on_the_command_line(kb: Path) -> None:
    _broken(kb)
    assert {f["rule"] for f in findings_of(kb)} == {"PM204", "PM501"}
    assert {f["rule"] for f in findings_of(kb, "--ignore", "PM501")} == {"PM204"}
    assert {f["rule"] for f in findings_of(kb, "--select", "PM5")} == {"PM501"}
    assert {f["rule"] for f in findings_of(kb, "--select", "PM204,PM501", "--ignore", "PM204")} == {
        "PM501"
    }
    bad = run_cli("-C", str(kb), "check", "--ignore", "PM5010")
    assert bad.exit_code == 2 and "PM5010" in bad.stderr


def test_select_and_ignore_in_mkdocs_yml(kb: Path) -> None:
    _broken(kb)
    _configure(kb, "      ignore: [PM501]\n")
    assert {f["rule"] for f in findings_of(kb)} == {"PM204"}
    result = run_cli("-C", str(kb), "check")
    assert result.exit_code == 1
    _configure(kb, "      select: [PM501, PM204]\n")
    assert {f["rule"] for f in findings_of(kb)} == {"PM204"}  # ignore still holds


@pytest.mark.parametrize(
    "setting,message",
    [
        ("      ignore: [PM999]\n", "no rule 'PM999'"),
        ("      select: [blame]\n", "is not a rule id"),
        ("      ignore: {PM501: true}\n", "must be a list of rule ids"),
    ],
)
def test_a_wrong_rule_setting_is_a_configuration_error(
    kb: Path, setting: str, message: str
) -> None:
    _configure(kb, setting)
    result = run_cli("-C", str(kb), "check")
    assert result.exit_code == 2
    assert message in result.stderr and "mkdocs.yml" in result.stderr


SECRET_LINE = "The key was AKIAQYLPMN5HHHFPZAM2."


def _with_summary_line(kb: Path, line: str) -> None:
    text = complete_postmortem_text().replace("## Summary\n\n", f"## Summary\n\n{line}\n\n", 1)
    (kb / PM_PATH).parent.mkdir(parents=True, exist_ok=True)
    (kb / PM_PATH).write_text(text, encoding="utf-8")


@pytest.mark.parametrize(
    "line,silenced",
    [
        (f"{SECRET_LINE} <!-- postmortem-ignore PM401 -->", True),
        (f"{SECRET_LINE} <!-- postmortem-ignore PM501, PM401 -->", True),
        (f"{SECRET_LINE} <!-- postmortem-ignore PM4010 -->", False),
        (f"{SECRET_LINE} <!-- postmortem-ignore XPM401 -->", False),
        (f"{SECRET_LINE} <!-- postmortem-ignore PM40 -->", False),
        (f"{SECRET_LINE} <!-- postmortem-ignore -->", False),  # a bare marker: warnings only
        (f"{SECRET_LINE} `<!-- postmortem-ignore PM401 -->`", False),  # shown as code
        (f"{SECRET_LINE} ``x <!-- postmortem-ignore PM401 --> y``", False),
        (f"`code` {SECRET_LINE} <!-- postmortem-ignore PM401 --> `more`", True),
        (f"{SECRET_LINE} <!-- postmortem-ignore\n PM401 -->", True),
        (f"```\n{SECRET_LINE} <!-- postmortem-ignore PM401 -->\n```", None),  # in a fence
    ],
)
def test_silencing_markers_name_exact_ids_in_real_comments(
    kb: Path, line: str, silenced: bool | None
) -> None:
    _with_summary_line(kb, line)
    rules = {f["rule"] for f in findings_of(kb)}
    if silenced is None:
        # the secret in a fence is still a secret (the page shows it); the marker there is
        # code, so it does not silence it
        assert "PM401" in rules
    else:
        assert ("PM401" not in rules) is silenced


@pytest.mark.parametrize(
    "line,silenced",
    [
        ("The root cause was human error. <!-- postmortem-ignore -->", True),
        ("The root cause was human error. <!-- postmortem-ignore PM501 -->", True),
        ("The root cause was human error. <!-- postmortem-ignore PM5011 -->", False),
        ("The root cause was human error. `<!-- postmortem-ignore -->`", False),
    ],
)
def test_a_bare_marker_silences_warnings(kb: Path, line: str, silenced: bool) -> None:
    _with_summary_line(kb, line)
    assert ("PM501" not in {f["rule"] for f in findings_of(kb)}) is silenced
