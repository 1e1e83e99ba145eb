"""Input that could make a command deep, huge or slow is refused with a finding and its line.

Front matter: duplicate keys, anchors and aliases (an alias "bomb"), deep nesting and size
are errors (PM003) before anything is built; an unclosed quote or bracket is reported where it
opens. Body: patterns stay linear (unclosed comments, headings full of `#`). Times at the edge
of the calendar are errors with their line, never an overflow.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest

from conftest import complete_postmortem_text, run_cli, run_process
from postmortem_kb.core.audience import _attr_class_starts, _html_class_starts
from postmortem_kb.core.parse import MAX_DEPTH, ParseProblem, mask, parse_text

GOOD = complete_postmortem_text()
LINES = GOOD.split("\n")


def line_of(text: str, start: str) -> int:
    return next(i for i, line in enumerate(text.split("\n"), start=1) if line.startswith(start))


def problem(text: str) -> tuple[str, int, str]:
    with pytest.raises(ParseProblem) as caught:
        parse_text("x.md", text)
    finding = caught.value.finding
    return finding.rule, finding.line, finding.message


def findings(kb: Path) -> list[dict]:
    result = run_process("check", "--format", "json", cwd=kb)
    assert "Traceback" not in result.stderr, result.stderr
    return json.loads(result.stdout)["findings"]


# --- duplicate keys ----------------------------------------------------------------------


def test_duplicate_visibility_is_an_error_on_the_second_line() -> None:
    text = GOOD.replace("visibility: internal", "visibility: restricted", 1).replace(
        "owner: Security Operations", "owner: Security Operations\nvisibility: public", 1
    )
    rule, line, message = problem(text)
    assert (rule, line) == ("PM003", line_of(text, "visibility: public"))
    assert "`visibility` appears twice" in message
    assert f"first on line {line_of(text, 'visibility: restricted')}" in message


def test_duplicate_key_in_complex_front_matter_is_an_error() -> None:
    # quotes with escapes send the front matter to libyaml: the duplicate is still found
    text = GOOD.replace("title: CI", 'title: "CI \\"x\\""\n"title": CI', 1)
    rule, line, message = problem(text)
    assert (rule, line) == ("PM003", 4) and "`title` appears twice" in message


def test_duplicate_nested_key_is_an_error() -> None:
    text = GOOD.replace("tags:\n", "extra:\n  a: 1\n  a: 2\ntags:\n", 1)
    rule, line, message = problem(text)
    assert (rule, line) == ("PM003", line_of(text, "extra:") + 2) and "`a` appears twice" in message


def test_same_key_in_two_mappings_is_fine() -> None:
    text = GOOD.replace("tags:\n", "extra:\n  - {a: 1}\n  - {a: 2}\ntags:\n", 1)
    assert parse_text("x.md", text).meta["extra"] == [{"a": "1"}, {"a": "2"}]


def test_duplicate_visibility_never_builds_public(kb: Path, write_pm) -> None:
    text = complete_postmortem_text(visibility="restricted").replace(
        "owner: Security Operations", "owner: Security Operations\nvisibility: public", 1
    )
    write_pm(text)
    found = [(f["rule"], f["line"]) for f in findings(kb)]
    assert found == [("PM003", line_of(text, "visibility: public"))]


# --- anchors, aliases, depth, size -------------------------------------------------------


def alias_bomb(levels: int = 9) -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]")
    return "\n".join(lines)


def test_alias_bomb_is_refused_without_expanding_it(kb: Path, write_pm) -> None:
    text = GOOD.replace("tags:\n", alias_bomb() + "\ntags:\n", 1)
    write_pm(text)
    assert [(f["rule"], f["line"]) for f in findings(kb)] == [("PM003", line_of(text, "a0:"))]
    for command in (
        ["stats", "--format", "json"],
        ["export", "-o", "out.json"],
        ["build", "--site-dir", "site"],
    ):
        result = run_process(*command, cwd=kb)
        assert "Traceback" not in result.stderr, result.stderr


def test_alias_alone_is_refused_on_its_line() -> None:
    text = GOOD.replace("tags:\n", "base: &b x\ncopy: *b\ntags:\n", 1)
    rule, line, message = problem(text)
    assert (rule, line) == ("PM003", line_of(text, "base:")) and "&b" in message
    text = GOOD.replace("tags:\n", "copy: *b\ntags:\n", 1)
    rule, line, message = problem(text)  # an undefined alias is an error too
    assert rule == "PM003" and line == line_of(text, "copy:")


@pytest.mark.parametrize("opening, closing", [("[", "]"), ("{x: ", "}"), ("\n" + " " * 0, "")])
def test_deep_nesting_is_refused(opening: str, closing: str) -> None:
    if opening.startswith("\n"):
        nested = "".join(f"\n{'  ' * (i + 1)}k{i}:" for i in range(100)) + " v"
    else:
        nested = opening * 500 + "v" + closing * 500
    text = GOOD.replace("tags:\n", f"deep: {nested}\ntags:\n", 1)
    rule, line, message = problem(text)
    assert rule == "PM003" and f"deeper than {MAX_DEPTH}" in message
    assert line_of(text, "deep:") <= line < line_of(text, "tags:")


def test_nesting_within_the_limit_is_read() -> None:
    text = GOOD.replace(
        "tags:\n", "deep: " + "[" * (MAX_DEPTH - 1) + "v" + "]" * (MAX_DEPTH - 1) + "\ntags:\n", 1
    )
    assert parse_text("x.md", text).meta["deep"] is not None


def test_deep_front_matter_does_not_crash_any_command(kb: Path, write_pm) -> None:
    write_pm(GOOD.replace("tags:\n", "deep: " + "[" * 500 + "]" * 500 + "\ntags:\n", 1))
    for command in (
        ["check"],
        ["stats"],
        ["export", "-o", "out.json"],
        ["status", "PM-2026-001", "archived"],
    ):
        result = run_process(*command, cwd=kb)
        assert "Traceback" not in result.stderr and "RecursionError" not in result.stderr
        assert result.returncode in (0, 1, 2), (command, result.stderr)
        assert "deeper than" in result.stdout + result.stderr, command


def test_huge_front_matter_is_refused() -> None:
    text = GOOD.replace("tags:\n", "".join(f"k{i}: {'v' * 60}\n" for i in range(1200)) + "tags:\n")
    rule, line, message = problem(text)
    assert (rule, line) == ("PM003", 1) and "KB limit" in message


def test_more_than_one_document_is_refused() -> None:
    rule, line, message = problem("---\nid: x\n--- other: y\n---\nbody\n")
    assert (rule, line) == ("PM003", 3) and "one YAML document" in message


# --- PM003 where a quote or bracket opens ------------------------------------------------


@pytest.mark.parametrize(
    "broken, what",
    [
        ('title: "CI registry token', "a quote"),
        ("title: 'CI registry token", "a quote"),
        ("title: [CI registry token", "a `[` list"),
        ("title: {CI: registry token", "a `{` mapping"),
    ],
)
def test_unclosed_quote_or_bracket_is_reported_where_it_opens(broken: str, what: str) -> None:
    text = GOOD.replace(
        "title: CI registry token committed to a public repository and used "
        "to download private packages",
        broken,
        1,
    )
    rule, line, message = problem(text)
    assert (rule, line) == ("PM003", 3)
    assert f"{what} opened on this line is not closed" in message
    assert "parsing stopped on line" in message  # the line where libyaml gave up, as context


def test_unclosed_quote_among_quoted_values_is_reported_where_it_opens(kb: Path) -> None:
    # what `new` writes quotes its values: a quote left open runs on to the next `"`, and
    # libyaml gives up on a later line
    result = run_cli(
        "new",
        "--type",
        "malware",
        "--severity",
        "SEV2",
        "--no-git",
        "--occurred",
        "2026-03-01T10:00:00Z",
        "--title",
        "Quoted title",
        cwd=kb,
    )
    path = kb / result.output.strip().splitlines()[-1]
    text = path.read_text()
    title_line = line_of(text, "title:")
    path.write_text(
        text.replace("title: ", 'title: "', 1)
        if 'title: "' not in text
        else text.replace('Quoted title"', "Quoted title", 1)
    )
    (finding,) = [f for f in findings(kb) if f["rule"] == "PM003"]
    assert finding["line"] == title_line
    assert "a quote opened on this line is not closed" in finding["message"]


@pytest.mark.parametrize(
    "line, what",
    [
        ('title: "a', "a quote"),
        ("title: 'a", "a quote"),
        ("tags: [a, b", "a `[` list"),
        ("tags: {a: b", "a `{` mapping"),
        ('  - "x', "a quote"),
        ('title: "a \\" b', "a quote"),
        ('title: "a"', None),
        ("title: 'it''s'", None),
        ("tags: [a, [b], c]", None),
        ("title: plain [text", None),
        ('tags: ["]", x]', None),
    ],
)
def test_which_lines_open_without_closing(line: str, what: str | None) -> None:
    from postmortem_kb.core.parse import _unclosed_on

    assert _unclosed_on(line) == what


def test_other_yaml_errors_keep_the_line_where_parsing_failed() -> None:
    text = GOOD.replace("  - artifact-registry", " - artifact-registry", 1)
    rule, line, message = problem(text)
    assert rule == "PM003" and line == line_of(text, " - artifact-registry")


# --- the body: linear masking and headings -----------------------------------------------


def test_unclosed_comments_are_not_masked_and_are_fast() -> None:
    body = "<!--" * 25_000 + "\n## Summary\ntext\n"
    assert mask(body) == body
    pm = parse_text("x.md", "---\nid: PM-2026-001\n---\n" + body)
    assert [s.title for s in pm.sections] == ["Summary"]


@pytest.mark.parametrize(
    "body, masked",
    [
        ("a <!-- x\ny --> b\n", "a \n b\n"),
        ("<!-- a --> <!-- b\n", " <!-- b\n"),
        ("```\n<!-- x\n```\ny -->\n", "\n\n\ny -->\n"),
        ("<!-- ```\n --> x\n```\nz\n", "\n x\n\n\n"),
        ("~~~~\n~~~\nx\n~~~~~\nafter\n", "\n\n\n\nafter\n"),
        ("text ``` not a fence\n", "text ``` not a fence\n"),
        ("```", "```"),
    ],
)
def test_mask_blanks_comments_and_fences_keeping_lines(body: str, masked: str) -> None:
    assert mask(body) == masked


def test_heading_full_of_hashes_is_read() -> None:
    pm = parse_text("x.md", "---\nid: PM-2026-001\n---\n## Summary" + " #" * 20_000 + " x #\n")
    assert pm.sections[0].title == "Summary" + " #" * 20_000 + " x"
    pm = parse_text("x.md", "---\nid: PM-2026-001\n---\n## Summary ## \n")
    assert pm.sections[0].title == "Summary"


# --- times at the edge of the calendar ---------------------------------------------------

EDGES = ["9999-12-31T23:59:59-23:59", "0001-01-01T00:30:00+23:59"]


@pytest.mark.parametrize("moment", EDGES)
def test_new_refuses_a_time_out_of_range(kb: Path, moment: str) -> None:
    result = run_cli(
        "new", "--type", "malware", "--severity", "SEV2", "--no-git", "--occurred", moment, cwd=kb
    )
    assert result.exit_code == 2 and "out of range" in result.stderr
    assert not list((kb / "postmortems").glob("*/PM-*.md"))


@pytest.mark.parametrize("moment", EDGES)
def test_intake_refuses_a_time_out_of_range(kb: Path, moment: str) -> None:
    payload = json.dumps({"type": "malware", "severity": "SEV2", "occurred_at": moment})
    result = run_cli("intake", "--from", "json", "--no-git", input=payload, cwd=kb)
    assert result.exit_code == 2 and "out of range" in result.stderr


@pytest.mark.parametrize("moment", EDGES)
@pytest.mark.parametrize("key", ["detected_at", "resolved_at"])
def test_front_matter_time_out_of_range_is_pm104_on_its_line(
    kb: Path, write_pm, moment: str, key: str
) -> None:
    text = GOOD.replace(f"{key}: 2026-05-", f"{key}: {moment}\nx_{key}: 2026-05-", 1)
    text = text.replace("contained_at: 2026-05-19T10:48:00Z\n", "", 1)  # a later time missing
    text = text.replace("status: published", "status: draft", 1)
    write_pm(text)
    found = [(f["rule"], f["line"]) for f in findings(kb) if f["rule"] == "PM104"]
    assert found == [("PM104", line_of(text, f"{key}:"))]
    for command in (
        ["stats", "--format", "json"],
        ["export", "-o", "out.json"],
        ["actions"],
        ["build", "--site-dir", "site"],
    ):
        result = run_cli(*command, cwd=kb)
        assert result.exit_code in (0, 1), (command, result.stderr)


def test_timeline_time_out_of_range_is_pm206(kb: Path, write_pm) -> None:
    text = GOOD.replace("| 2026-05-19 10:31 |", "| 9999-12-31T23:59:59-23:59 |", 1)
    assert text != GOOD
    write_pm(text)
    found = [f for f in findings(kb) if f["rule"] == "PM206"]
    assert len(found) == 1 and "between the years" in found[0]["message"]


# --- intake payloads ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "payload, words",
    [
        ("[" * 100_000 + "]" * 100_000, "nested deeper"),
        ('{"type": "malware", "severity": "SEV2", "x": ' + "9" * 5000 + "}", "not JSON"),
        ('{"type": "malware", "severity": NaN}', "not JSON"),
        ('{"type": "malware", "severity": "SEV2", "title": ["a"]}', "must be text"),
    ],
)
def test_intake_json_that_json_reads_oddly_is_exit_2(kb: Path, payload: str, words: str) -> None:
    result = run_cli("intake", "--from", "json", "--no-git", input=payload, cwd=kb)
    assert result.exit_code == 2 and words in result.stderr, result.stderr
    assert not list((kb / "postmortems").glob("*/PM-*.md"))


def test_issue_form_heading_with_long_trailing_space_is_read(kb: Path) -> None:
    body = (
        "### Incident type" + " " * 100_000 + "\n\nmalware\n\n### Severity\n\nSEV2\n\n"
        "### Title" + " \t" * 50_000 + "x\n\nA title\n"
    )
    result = run_cli("intake", "--from", "issue-form", "--no-git", input=body, cwd=kb)
    assert result.exit_code == 0, result.stderr
    assert "malware" in result.output


# --- rules stay linear in the length of a line -------------------------------------------


def test_placeholders_are_found_as_the_pattern_would_find_them() -> None:
    import random
    import re

    from postmortem_kb.core.rules import _placeholders_in

    pattern = re.compile(r"\{\{.*?\}\}|\b(?:TODO|TBD|FIXME)\b")  # the definition, slow form
    atoms = ["{{", "}}", "{", "}", "TODO", "TBD", "FIXME", " ", "\n", "a", "xTODO", "_"]
    rng = random.Random(10)
    for _ in range(20_000):
        text = "".join(rng.choice(atoms) for _ in range(rng.randint(0, 14)))
        expected = [(m.start(), m.group(0)) for m in pattern.finditer(text)]
        assert list(_placeholders_in(text)) == expected, text


def test_a_line_of_unclosed_placeholders_is_checked(kb: Path, write_pm) -> None:
    text = GOOD.replace("## Summary\n", "## Summary\n\n" + "{{" * 25_000 + "\n\n{{ owner }}\n", 1)
    write_pm(text)
    found = [(f["rule"], f["line"]) for f in findings(kb) if f["rule"] == "PM204"]
    assert found == [("PM204", line_of(text, "{{ owner }}"))]


def test_line_numbers_of_many_findings_in_a_large_file(kb: Path, write_pm) -> None:
    filler = "".join(f"Line {i} of a long log excerpt.\n" for i in range(20_000))
    text = GOOD.replace("## Summary\n", "## Summary\n\n" + filler + "TODO here\n", 1)
    write_pm(text)
    found = [(f["rule"], f["line"]) for f in findings(kb) if f["rule"] == "PM204"]
    assert found == [("PM204", line_of(text, "TODO here"))]


# --- audience classes in HTML and attribute lists: one pass, the regex's answers ----------

_OLD_HTML_CLASS = re.compile(
    r"<[A-Za-z][^>]*?\bclass\s*=\s*(?:\"[^\"]*|'[^']*|[^\s>]*)"
    r"(?<![A-Za-z0-9])(?:restricted|internal)(?![A-Za-z0-9])",
    re.I,
)
_OLD_ATTR_CLASS = re.compile(r"\{[^}\n]*\.(?:restricted|internal)(?![A-Za-z0-9_-])[^}\n]*\}", re.I)


def _line_starts(text: str, offsets: list[int]) -> set[int]:
    return {text.rfind("\n", 0, at) + 1 for at in offsets}


def test_audience_class_passes_find_what_the_patterns_find() -> None:
    atoms = ["<a", "<div ", "<", ">", "class=", "CLASS = ", "class", "=", '"', "'", " ", "\n",
             "restricted", "Internal", "xrestricted", "restricted9", ".restricted", ".internal-x",
             "{", "}", "{: ", ".", "x", "a>b"]  # fmt: skip
    rng = random.Random(11)
    for _ in range(30_000):
        text = "".join(rng.choice(atoms) for _ in range(rng.randint(0, 16)))
        html = _line_starts(text, [m.start() for m in _OLD_HTML_CLASS.finditer(text)])
        attr = _line_starts(text, [m.start() for m in _OLD_ATTR_CLASS.finditer(text)])
        assert _line_starts(text, _html_class_starts(text)) == html, repr(text)
        assert _line_starts(text, _attr_class_starts(text)) == attr, repr(text)


@pytest.mark.parametrize(
    "line",
    [
        "{a: {b: {c: " * 6_000,  # the fuzzer's find: 17 s in `check`, one 72 KB line
        "<a " * 25_000,
        "<a class=" * 10_000,
        '<a class="x' * 10_000 + '">',  # closed, or the value runs on to the next quote
        "<a class=restricted " * 5_000,
        "{ .restricted " * 6_000 + "}",
    ],
)
def test_a_long_line_of_tag_or_attribute_openers_is_checked(kb: Path, write_pm, line: str) -> None:
    text = GOOD.replace("## Summary\n", "## Summary\n\n" + line + "\n\n", 1)
    write_pm(text)
    pm701 = {f["line"] for f in findings(kb) if f["rule"] == "PM701"}
    named = "restricted" in line
    assert pm701 == ({line_of(text, line[:12])} if named else set())


# --- PM501 on a long line: each hit costs the same, whatever the line's length ----------

RUN_ON = {
    # a 218 KB line without a sentence break, full of blame-laden phrases
    "acts": "the engineer deleted the table ",
    # the same with inline code on the line: its code spans are found once, not per hit
    "code": "`x` the engineer deleted it ",
    # the same among comments: the masked spans are looked up, not searched one by one
    "comments": "<!-- x --> the engineer deleted it ",
    # one token of 218 KB made of trigger words
    "token": "fault-",
    # hindsight after a name, over and over
    "names": "Sergei should have known ",
}


@pytest.mark.parametrize("unit", RUN_ON.values(), ids=RUN_ON.keys())
def test_a_run_on_line_is_judged_in_stretches(kb: Path, write_pm, unit: str) -> None:
    line = (unit * (218_000 // len(unit) + 1))[:218_000]
    text = GOOD.replace("## Summary\n", "## Summary\n\n" + line + "\n", 1)
    write_pm(text)
    found = [f for f in findings(kb) if f["rule"] == "PM501"]
    at = line_of(text, line[:20])
    assert {f["line"] for f in found} <= {at}
    # one finding per stretch of 600 characters at most, not one per phrase (7,013 before)
    assert len(found) <= 218_000 // 600 + 2
    if unit != "fault-":
        assert len(found) >= 218_000 // 600 - 2


def test_code_spans_of_a_long_line_are_found_once(monkeypatch) -> None:
    from postmortem_kb.core import blame
    from postmortem_kb.core.config import Config
    from postmortem_kb.core.rules import _triggers

    calls = []
    real = blame.code_spans

    def counted(text: str, start: int, end: int) -> list[tuple[int, int]]:
        calls.append(start)
        return real(text, start, end)

    monkeypatch.setattr(blame, "code_spans", counted)
    line = "`x` the engineer deleted it " * 2_000 + "`"
    text = GOOD.replace("## Summary\n", "## Summary\n\n" + line + "\n\n`the engineer deleted`\n", 1)
    pm = parse_text("postmortems/2026/PM-2026-001-x.md", text)
    body_start = text.index("\n---\n", 4) + 5
    found = blame.find(text, body_start, _triggers(pm, Config(root=Path("."))))
    assert len(calls) == 2  # the long line once, the short one once
    assert len(found) >= 2000 * 28 // 600 - 2
    assert all(f.phrase == "the engineer deleted" for f in found)
    assert all(f.offset < text.index("`the engineer deleted`") for f in found)


def test_code_spans_agree_with_the_scanner() -> None:
    import random

    from postmortem_kb.core.blame import code_spans
    from postmortem_kb.core.parse import in_code_span

    atoms = ["`", "``", "```", "a", " ", "b"]
    rng = random.Random(8)
    for _ in range(20_000):
        line = "".join(rng.choice(atoms) for _ in range(rng.randint(0, 12)))
        spans = code_spans(line, 0, len(line))
        for i, char in enumerate(line):
            if char != "`":
                inside = any(lo <= i < hi for lo, hi in spans)
                assert inside == in_code_span(line, i, i + 1), (line, i)


@pytest.mark.parametrize("piece", ["@", "&#", "eyJ", "password=", "\\"])
def test_a_long_line_of_secret_triggers_is_checked_in_one_pass(
    kb: Path, write_pm, piece: str
) -> None:
    # each trigger once looked for its line's ends from scratch: 15 s for 900 KB of `@`
    line = piece * (300_000 // len(piece))
    secret = "ghp_" + "Zq8R2mW7xT4kP9nB3vL6yH1cJ5dF0sG8aE2u"
    text = GOOD.replace("## Summary\n", f"## Summary\n\n{line}\n\nThe token was {secret}.\n", 1)
    write_pm(text)
    assert line_of(text, "The token was") in {
        f["line"] for f in findings(kb) if f["rule"] == "PM401"
    }


# --- PM005: paragraphs Python-Markdown would take minutes to render ----------------------
# One paragraph of 10,000 `[` took 9 s to render, 20,000 took 35 s, 300 KB over five minutes
# (Python-Markdown #798, #1619). `check` reports it before anything renders; `build` refuses.

COSTLY = {
    "brackets": "[",  # each `[` is scanned to the end of the paragraph
    "words in brackets": "[a ",
    "images": "![",
    "nested": None,  # `[[[…]]]`: each scan runs to its own `]`
    "link without )": "[a](",
    "angle destination": "[a](<",
    "references": "[a][",
    "tag starts": "a<b ",  # each `<b` is scanned to the next `>`, of which there is none
    "links": "[x](y) ",  # one 300 KB paragraph of links: each one rebuilds the paragraph
    "many paragraphs": "[" * 99 + "\n\n",  # quadratic in each: 2.5 s in all
    # the block parser splits a block at each heading, admonition or rule and searches the
    # rest again: quadratic in lines that follow each other with no blank line between
    "headings": "## Step\n",
    "rules": "- - -\n",
    "admonitions": '!!! note "x"\n',
    "text and headings": "Some words here.\n# Heading\n",
    # linear, but each emphasis costs: 300 KB of short paragraphs of them, 2 s
    "emphasis": "*a* " * 20 + "\n\n",
    # a carriage return is read as a line break: 1 MB of them, 1 MB of blank lines, took 12 s
    "carriage returns": "\r",
}


def costly_paragraph(unit: str | None, size: int = 300_000) -> str:
    if unit is None:
        return "[" * (size // 2) + "]" * (size // 2)
    return (unit * (size // len(unit) + 1))[:size]


@pytest.mark.parametrize("unit", COSTLY.values(), ids=COSTLY.keys())
def test_a_paragraph_too_costly_to_render_is_pm005_on_its_line(
    kb: Path, write_pm, unit: str | None
) -> None:
    paragraph = costly_paragraph(unit)
    text = GOOD.replace("## Summary\n\n", "## Summary\n\nIntro.\n\n" + paragraph + "\n\n", 1)
    write_pm(text)
    found = [(f["rule"], f["line"], f["severity"]) for f in findings(kb) if f["rule"] == "PM005"]
    if unit == "\r":  # blank lines all over: the file as a whole, no one paragraph
        assert [(rule, severity) for rule, _, severity in found] == [("PM005", "error")]
        return
    assert found == [("PM005", line_of(text, paragraph.split("\n", 1)[0][:12]), "error")]


WRITTEN = {
    # the same marks as people write them, at the same size: closed, or paragraphs apart
    "short paragraphs": "Step [1] of [2]: see [the log](../log/) and [x].\n\n",
    "closed brackets": "See [the runbook](https://runbooks.example/db) and [PM-2026-001]. ",
    "checklist": "- [x] Rotated the key (`aws iam update-access-key`)\n",
    "action table": "| A-1 | Rotate keys | Security | 2026-12-01 | open | [SEC-1](../x/) |\n",
    "comparisons": "p99 < 200 ms, error rate <1%, queue <= 5 and a => b.\n\n",
    "tags": "<kbd>Ctrl</kbd>+<kbd>C</kbd> stopped it. ",
}


@pytest.mark.parametrize("unit", WRITTEN.values(), ids=WRITTEN.keys())
def test_large_ordinary_text_is_not_pm005(kb: Path, write_pm, unit: str) -> None:
    size = 40_000 if unit.endswith(" ") else 300_000  # one paragraph: 40 KB
    body = (unit * (size // len(unit) + 1))[:size]
    if unit.startswith("|"):
        body = (
            "| ID | Action | Owner | Due | Status | Tracking |\n|---|---|---|---|---|---|\n" + body
        )
    write_pm(GOOD.replace("## Summary\n\n", "## Summary\n\n" + body + "\n\n", 1))
    assert "PM005" not in {f["rule"] for f in findings(kb)}


def test_pm005_is_never_silenced(kb: Path, write_pm) -> None:
    paragraph = costly_paragraph("[a ", 60_000)
    text = GOOD.replace(
        "## Summary\n\n",
        "## Summary\n\n" + paragraph + " <!-- postmortem-ignore PM005 -->" + "\n\n",
        1,
    )
    write_pm(text)
    config = kb / "mkdocs.yml"
    config.write_text(
        config.read_text(encoding="utf-8").replace(
            "  - postmortems:\n", "  - postmortems:\n      ignore: [PM005, PM402]\n", 1
        ),
        encoding="utf-8",
    )
    assert "ignore: [PM005" in config.read_text(encoding="utf-8")
    assert [f["rule"] for f in findings(kb) if f["rule"] == "PM005"] == ["PM005"]


def test_build_refuses_a_costly_paragraph_before_rendering(kb: Path, write_pm) -> None:
    paragraph = costly_paragraph("[", 300_000)  # over five minutes to render
    text = GOOD.replace("## Summary\n\n", "## Summary\n\n" + paragraph + "\n\n", 1)
    path = write_pm(text)
    result = run_process("build", "--site-dir", "site", cwd=kb)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    where = f"{path.relative_to(kb).as_posix()}:{line_of(text, '[[[[')}: PM005"
    assert where in result.stderr, result.stderr
    assert not (kb / "site" / "2026").exists()


def test_build_refuses_a_costly_paragraph_in_another_page(kb: Path) -> None:
    page = kb / "postmortems" / "notes.md"
    page.write_text("# Notes\n\nFine.\n\n" + costly_paragraph("[a](", 200_000) + "\n", "utf-8")
    result = run_process("build", "--site-dir", "site", cwd=kb)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert "postmortems/notes.md:5: PM005" in result.stderr, result.stderr


def test_a_costly_paragraph_in_another_page_is_named_on_its_line_in_the_file(kb: Path) -> None:
    page = kb / "postmortems" / "notes.md"
    page.write_text(
        "---\ntitle: Notes\n---\n\n# Notes\n\nFine.\n\n" + costly_paragraph("[a](", 200_000) + "\n",
        "utf-8",
    )
    result = run_process("build", "--site-dir", "site", cwd=kb)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert "postmortems/notes.md:9: PM005" in result.stderr, result.stderr


@pytest.mark.parametrize(
    ("text", "steps"),
    [
        ("[" * 100, 100 * 101 // 2),  # each `[` to the end of the paragraph
        ("[" * 100 + "\n\n" + "[" * 100, 2 * (100 * 101 // 2)),  # paragraphs apart
        ("[" * 50 + "]" * 50, sum(2 * k + 1 for k in range(50))),  # each to its own `]`
        ("[x] " * 100, 2 * 100),
        # `[a]` closes at once; each `(` is scanned to the end: the `(`s after it nest
        ("[a](" * 10, 10 * 2 + sum(36 - 4 * i for i in range(10))),
        ("a<b " * 10, sum(39 - 4 * i for i in range(10)) // 5),  # to the end: no `>`
        ("a<b " * 10 + ">", sum(39 - 4 * i for i in range(10)) // 5),  # to the `>`
        ("a<b " * 10 + ">" + "x" * 100, sum(39 - 4 * i for i in range(10)) // 5),
    ],
)
def test_render_cost_counts_the_scans(text: str, steps: int) -> None:
    from postmortem_kb.core import render_cost

    elements = sum(text.count(c) for c in "*_&`[<|\\") * 40  # each costs, once
    elements += text.count("\n\n") * 100  # and each block
    assert render_cost.estimate(text)[0] == steps + elements


def test_render_cost_joins_paragraphs_that_html_spans_join() -> None:
    from postmortem_kb.core import render_cost

    apart = "[" * 100 + "\n\n" + "[" * 100
    joined = '<p markdown="1">\n' + apart + "\n</p>"
    # one paragraph of 200 `[`: each of the first 100 also scans the other 100 (10,000)
    assert render_cost.estimate(joined)[0] > render_cost.estimate(apart)[0] + 9_000
    # and the shortcut knows it: short paragraphs apart pass, joined by HTML they do not
    many = ("[" * 60 + "\n\n") * 100
    assert render_cost.costly_block(many) is None
    assert render_cost.costly_block('<p markdown="1">\n' + many + "</p>\n") is not None


@pytest.mark.parametrize("before", [0, 1, 7, 40, 41, 100])
def test_a_costly_paragraph_among_short_ones_is_found_wherever_it_stands(before: int) -> None:
    """The shortcut's bound on the longest paragraph comes from blank lines sought some way
    apart: the paragraph over the limit is still found, at any distance from them."""
    from postmortem_kb.core import render_cost

    short = "Some words in a short paragraph. " * 3 + "\n\n"  # 101 characters
    costly = "[" * 2_100  # about 2.2 million steps: over the limit on its own
    text = short * before + costly + "\n\n" + short * 60
    assert render_cost.costly_block(text) == len(short) * before
    assert render_cost.costly_block(text.replace(costly, "[" * 1_000)) is None


def test_the_bound_on_the_longest_paragraph_is_never_below_it() -> None:
    from postmortem_kb.core import render_cost

    rng = random.Random(8)
    pieces = ["x", "[", "\n", "\n\n", "\n\n\n", " \n"]
    for _ in range(500):
        raw = "".join(
            rng.choice(pieces) * rng.choice([1, 3, 200, 1_000, 1_023, 1_024, 3_000])
            for _ in range(rng.randrange(1, 30))
        ).encode()
        assert render_cost._longest_at_most(raw) >= max(map(len, raw.split(b"\n\n")))
