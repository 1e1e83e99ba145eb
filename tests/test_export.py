"""`postmortem export` and `postmortem report`: what an auditor or leadership is handed."""

from __future__ import annotations

import csv
import io
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conftest import REPO, complete_postmortem_text, run_cli, run_process
from test_stats import build_fixture, minimal_postmortem, write


@pytest.fixture
def audience_kb(kb: Path) -> Path:
    for number, visibility in (("001", "public"), ("002", "internal"), ("003", "restricted")):
        pm_id = f"PM-2026-{number}"
        write(
            kb,
            pm_id,
            minimal_postmortem(
                pm_id,
                visibility=visibility,
                occurred="2026-02-01T10:00:00Z",
                detected="2026-02-01T10:30:00Z",
                contained="2026-02-01T11:00:00Z",
                resolved="2026-02-02T10:30:00Z",
                title=f"{visibility} incident",
            ),
        )
    return kb


def export_ids(kb: Path, *args: str, env: dict[str, str] | None = None) -> list[str]:
    if env is not None:
        done = run_process("export", *args, cwd=kb, env=env)
        assert done.returncode == 0, done.stderr
        import json

        return [r["id"] for r in json.loads(done.stdout)]
    result = run_cli("-C", str(kb), "export", *args)
    assert result.exit_code == 0, result.stderr
    return [r["id"] for r in result.json()]


def test_audience_sees_its_visibility_or_lower(audience_kb: Path) -> None:
    assert export_ids(audience_kb, "--audience", "public") == ["PM-2026-001"]
    assert export_ids(audience_kb, "--audience", "internal") == ["PM-2026-001", "PM-2026-002"]
    assert export_ids(audience_kb, "--audience", "restricted") == [
        "PM-2026-001",
        "PM-2026-002",
        "PM-2026-003",
    ]
    # Default: the knowledge base's audience (internal), which the environment overrides.
    assert export_ids(audience_kb) == ["PM-2026-001", "PM-2026-002"]
    assert export_ids(audience_kb, env={"POSTMORTEM_AUDIENCE": "public"}) == ["PM-2026-001"]


def test_nothing_of_a_hidden_postmortem_leaks_into_an_export(audience_kb: Path) -> None:
    for fmt in ("json", "csv"):
        out = run_cli(
            "-C", str(audience_kb), "export", "--format", fmt, "--audience", "public"
        ).output
        assert "restricted incident" not in out and "PM-2026-003" not in out
        assert "internal incident" not in out and "PM-2026-002" not in out


def test_json_record_holds_metadata_durations_completeness_actions(kb: Path) -> None:
    write(kb, "PM-2026-001", complete_postmortem_text())
    (record,) = run_cli("-C", str(kb), "export", "--as-of", "2026-09-01").json()
    assert record["id"] == "PM-2026-001" and record["status"] == "published"
    assert record["path"] == "postmortems/2026/PM-2026-001-incident.md"
    assert record["occurred_at"] == "2026-05-19T10:02:00+00:00"
    # 10:02 -> 10:31 -> 10:48 -> 23 May 16:00: 29 min, 17 min, 4 days 5 h 29 min.
    assert record["ttd_hours"] == round(29 / 60, 4)
    assert record["ttc_hours"] == round(17 / 60, 4)
    assert record["ttr_hours"] == round((4 * 24 * 60 + 5 * 60 + 29) / 60, 4)
    assert record["controls"][0] == "SOC2:CC6.1"
    assert record["completeness"]["percent"] == 100
    assert record["completeness"]["errors"] == 0
    assert record["completeness"]["sections"] == record["completeness"]["sections_total"] == 17
    assert [a["id"] for a in record["actions"]] == ["A1", "A3", "A2", "A4"]  # by due date
    a2 = next(a for a in record["actions"] if a["id"] == "A2")
    assert a2["overdue"] is True and a2["tracking"].startswith("[PLAT-1388]")


def test_incomplete_postmortem_shows_its_errors(kb: Path) -> None:
    write(kb, "PM-2026-001", minimal_postmortem("PM-2026-001"))
    (record,) = run_cli("-C", str(kb), "export").json()
    assert record["completeness"]["errors"] > 0
    assert record["completeness"]["percent"] < 50
    assert record["contained_at"] is None and record["ttc_hours"] is None


def test_csv_reads_back(kb: Path) -> None:
    write(kb, "PM-2026-001", complete_postmortem_text())
    write(
        kb,
        "PM-2026-002",
        minimal_postmortem(
            "PM-2026-002",
            title='=HYPERLINK("http://evil.example","x"), with "quotes"',
            services=("api", "web, east"),
            occurred="2026-06-01T00:00:00Z",
            actions=(
                ("B1", "Fix", "ops", "2026-01-01", "open"),
                ("B2", "Done", "ops", "2026-01-01", "done"),
            ),
        ),
    )
    result = run_cli("-C", str(kb), "export", "--format", "csv", "--as-of", "2026-09-01")
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert [r["id"] for r in rows] == ["PM-2026-001", "PM-2026-002"]
    first, second = rows
    assert first["ttd_hours"] == str(round(29 / 60, 4))
    assert first["completeness_percent"] == "100"
    assert first["actions_total"] == "4" and first["actions_open"] == "2"
    assert first["actions_overdue"] == "1"
    assert first["services"] == "ci-runner; artifact-registry; internal-sdk"
    assert second["title"] == '\'=HYPERLINK("http://evil.example","x"), with "quotes"'
    assert second["services"] == "api; web, east"
    assert second["contained_at"] == "" and second["ttc_hours"] == ""
    assert (second["actions_total"], second["actions_open"], second["actions_overdue"]) == (
        "2",
        "1",
        "1",
    )


# --- the quarterly report ----------------------------------------------------------------


@pytest.fixture
def fixture_kb(kb: Path) -> Path:
    return build_fixture(kb)


def test_report_markdown_with_hand_computed_figures(fixture_kb: Path) -> None:
    result = run_cli(
        "-C", str(fixture_kb), "report", "--quarter", "2026-Q1", "--as-of", "2026-07-02"
    )
    assert result.exit_code == 0, result.stderr
    md = result.output
    assert md.startswith("# Post-mortem report 2026-Q1\n")
    assert "- Incidents: 2" in md
    assert "- By severity: SEV1 1, SEV2 1" in md
    # detect [1, 0.5] -> 0.75 h; contain [2, 0.5] -> 1.25 h; resolve [24, 4] -> 14 h.
    assert "- Median time to detect: 45m" in md
    assert "- Median time to contain: 1.2h" in md
    assert "- Median time to resolve: 14.0h" in md
    assert "- api: PM-2026-001, PM-2026-002" in md
    assert "web:" not in md  # web's second incident is in Q3, after this quarter
    assert "## Overdue action items as of 2026-07-02" in md
    assert "| PM-2026-001 | A2 | Rotate the signing keys | Team Y | 2026-06-30 | open | 2 |" in md
    assert "| PM-2026-002 | B1 |" in md
    assert "| PM-2026-001 | Incident PM-2026-001 | SEV2 | malware | published |" in md
    assert "PM-2026-003" not in md.split("## Incidents")[1]


def test_report_follow_through_defaults_to_the_quarter_end(fixture_kb: Path) -> None:
    md = run_cli("-C", str(fixture_kb), "report", "--quarter", "2026-Q1").output
    assert "## Overdue action items as of 2026-03-31" in md
    assert "None." in md.split("## Overdue action items")[1].split("##")[0]


def test_report_later_quarter_sees_repeats_from_earlier_ones(fixture_kb: Path) -> None:
    md = run_cli(
        "-C", str(fixture_kb), "report", "--quarter", "2026-Q3", "--as-of", "2026-09-30"
    ).output
    assert "- Incidents: 1" in md  # the Q3 draft is left out
    assert "- web: PM-2026-002, PM-2026-003" in md
    assert "left out" not in md
    assert "Median time to contain: n/a" in md


def test_report_of_an_empty_quarter(fixture_kb: Path) -> None:
    md = run_cli("-C", str(fixture_kb), "report", "--quarter", "2025-Q2").output
    assert "- Incidents: 0" in md and "No incidents this quarter." in md


@pytest.mark.parametrize("quarter", ["2026-Q5", "2026Q1", "Q1-2026", "2026-q1x"])
def test_report_bad_quarter_exit_2(fixture_kb: Path, quarter: str) -> None:
    result = run_cli("-C", str(fixture_kb), "report", "--quarter", quarter)
    assert result.exit_code == 2 and "2026-Q3" in result.stderr


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []
        self.attrs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += [name for name, _ in attrs]

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_report_html_escapes_everything(kb: Path) -> None:
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)> & "q"'
    write(
        kb,
        "PM-2026-001",
        minimal_postmortem(
            "PM-2026-001",
            title=hostile,
            services=("<b>api</b>",),
            occurred="2026-08-01T00:00:00Z",
            controls=("SOC2:CC6.1",),
            actions=(("A1", hostile, "<i>ops</i>", "2026-08-02", "open"),),
        ),
    )
    write(
        kb,
        "PM-2026-002",
        minimal_postmortem(
            "PM-2026-002", occurred="2026-08-03T00:00:00Z", services=("<b>api</b>",)
        ),
    )
    result = run_cli(
        "-C", str(kb), "report", "--quarter", "2026-Q3", "--format", "html", "--as-of", "2026-09-01"
    )
    assert result.exit_code == 0
    page = result.output
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page and "<img" not in page and "<b>" not in page
    assert "&lt;script&gt;" in page
    parsed = _Collect()
    parsed.feed(page)
    assert set(parsed.tags) <= {
        "html",
        "head",
        "meta",
        "title",
        "style",
        "body",
        "h1",
        "h2",
        "p",
        "ul",
        "li",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
    }
    assert not [a for a in parsed.attrs if a.startswith("on")]
    text = "".join(parsed.text)
    assert hostile in text  # shown to the reader as written, never run
    assert "<b>api</b>: PM-2026-001, PM-2026-002" in text


def test_report_audience_filter(kb: Path) -> None:
    write(
        kb,
        "PM-2026-001",
        minimal_postmortem("PM-2026-001", visibility="public", title="Public one"),
    )
    write(
        kb,
        "PM-2026-002",
        minimal_postmortem(
            "PM-2026-002",
            visibility="restricted",
            title="Secret one",
            actions=(("A1", "Hidden fix", "ops", "2026-01-01", "open"),),
        ),
    )
    md = run_cli(
        "-C",
        str(kb),
        "report",
        "--quarter",
        "2026-Q1",
        "--audience",
        "public",
        "--as-of",
        "2026-06-01",
    ).output
    assert "Public one" in md
    assert "Secret one" not in md and "Hidden fix" not in md and "PM-2026-002" not in md


def test_report_on_the_sample_knowledge_base() -> None:
    for fmt in ("markdown", "html"):
        result = run_cli(
            "-C",
            str(REPO),
            "report",
            "--quarter",
            "2026-Q2",
            "--format",
            fmt,
            "--audience",
            "restricted",
            "--as-of",
            "2027-01-01",
        )
        assert result.exit_code == 0, result.stderr
        assert "2026-Q2" in result.output and "Traceback" not in result.output


def test_output_file_is_written_once_and_never_overwritten(
    fixture_kb: Path, tmp_path: Path
) -> None:
    target = tmp_path / "q1.html"
    args = (
        "-C",
        str(fixture_kb),
        "report",
        "--quarter",
        "2026-Q1",
        "--format",
        "html",
        "-o",
        str(target),
    )
    assert run_cli(*args).exit_code == 0
    assert target.read_text().startswith("<!DOCTYPE html>")
    target.write_text("auditor's notes")
    again = run_cli(*args)
    assert again.exit_code == 2 and "not overwritten" in again.stderr
    assert target.read_text() == "auditor's notes"
    out = tmp_path / "all.csv"
    assert (
        run_cli("-C", str(fixture_kb), "export", "--format", "csv", "-o", str(out)).exit_code == 0
    )
    assert next(csv.reader(io.StringIO(out.read_text())))[0] == "id"


def test_an_export_in_json_is_what_json_dumps_writes() -> None:
    """The export's own encoder (pure `json` is slow once it indents) writes what
    `json.dumps(records, indent=2, ensure_ascii=False)` writes, for every kind of value a
    record can hold and some it cannot (left to `json`): 2,000 random exports."""
    import json
    import random

    from postmortem_kb.core.export import export_json_pieces

    class Tag(str):
        pass

    atoms = [None, True, False, 0, -1, 2**70, 1.5, 0.1, 1e-05, 1e300, float("nan"),
             float("inf"), -float("inf"), -0.0, "", "a", 'é\u2028\x00\x1f"\\/', "\ud800",
             "emoji \U0001f600", Tag("x"), (1, "t")]  # fmt: skip
    rng = random.Random(11)

    def value(depth: int) -> object:
        roll = rng.random()
        if depth > 3 or roll < 0.5:
            return rng.choice(atoms)
        if roll < 0.75:
            return [value(depth + 1) for _ in range(rng.randint(0, 3))]
        keys = ["id", "é", "", 'k"x', 7]
        return {rng.choice(keys): value(depth + 1) for _ in range(rng.randint(0, 3))}

    for _ in range(2000):
        records = [{"id": f"PM-{i}", "v": value(0)} for i in range(rng.randint(0, 10))]
        expected = json.dumps(records, indent=2, ensure_ascii=False)
        assert "".join(export_json_pieces(iter(records))) == expected


def test_a_text_table_in_pieces_is_the_table_and_cells_are_made_one_line() -> None:
    """`actions` writes its table a few thousand rows at a time: the pieces joined are the
    table, whatever the piece size; a cell with tabs, line breaks, no-break or repeated
    spaces is put on one line with single spaces, one already so is left as it is."""
    from postmortem_kb.core.export import text_table, text_table_pieces

    rows = [
        ["PM-2026-001", "A1", "Rotate\tthe  key\n(now)", "Ana", None, "open", 3],
        ["PM-2026-002", "A2", " leading and trailing ", "Bo\u00a0Li", "2026-01-02", "done", ""],
        ["PM-2026-003", "A3", "x" * 80, "plain owner", "2026-01-03", "open", ""],
    ]
    header = ("POSTMORTEM", "ID", "ACTION", "OWNER", "DUE", "STATUS", "OVERDUE")
    whole = text_table(header, rows)
    lines = whole.split("\n")
    assert "A1  Rotate the key (now)" in lines[2] and "A2  leading and trailing  " in lines[3]
    assert "Bo Li" in lines[3] and "x" * 59 + "…" in lines[4]
    assert "\t" not in whole and "\u00a0" not in whole
    for size in (1, 2, 3, 2000):
        pieces = list(text_table_pieces(header, rows, lines=size))
        assert "".join(pieces) == whole
        assert len(pieces) == 1 + -(-len(rows) // size)
