"""Times are read by the project's own rules, alike on every supported Python: only
ISO-8601's extended form with a zone (`Z` or ±HH:MM) in front matter."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from postmortem_kb.core.times import has_zone_problem, parse_datetime, parse_table_time


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-14T09:12:00Z", datetime(2026, 3, 14, 9, 12, tzinfo=UTC)),
        ("2026-03-14T09:12Z", datetime(2026, 3, 14, 9, 12, tzinfo=UTC)),
        ("2026-03-14 09:12:30z", datetime(2026, 3, 14, 9, 12, 30, tzinfo=UTC)),
        (
            "2026-03-14T09:12:00.25+01:00",
            datetime(2026, 3, 14, 9, 12, 0, 250000, tzinfo=timezone(timedelta(hours=1))),
        ),
        (
            "2026-03-14T22:00:00-05:00",
            datetime(2026, 3, 14, 22, tzinfo=timezone(timedelta(hours=-5))),
        ),
        ("  2026-03-14T09:12:00Z ", datetime(2026, 3, 14, 9, 12, tzinfo=UTC)),
    ],
)
def test_extended_iso_with_a_zone_is_read(text: str, expected: datetime) -> None:
    assert parse_datetime(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "20260314T091200Z",  # basic format: Python 3.11's fromisoformat takes it, 3.10's not
        "2026-03-14T091200Z",
        "2026-W11-6T09:12:00Z",  # week date: the same
        "2026-03-14T09:12:00+0100",
        "2026-03-14T09:12:00+01",
        "2026-03-14T25:12:00Z",
        "2026-02-30T09:12:00Z",
        "2026-03-14T09:12:00+24:00",
        "2026-03-14",
        "yesterday",
    ],
)
def test_other_forms_are_not_times(text: str) -> None:
    assert parse_datetime(text) is None


@pytest.mark.parametrize(
    ("text", "naive"),
    [
        ("2026-03-14T09:12:00", True),
        ("2026-03-14 09:12", True),
        ("2026-03-14", True),
        ("2026-03-14T09:12:00Z", False),
        ("20260314T091200", False),
        ("2026-02-30", False),
    ],
)
def test_a_missing_zone_is_told_apart(text: str, naive: bool) -> None:
    assert has_zone_problem(text) is naive


def test_timeline_cells_follow_the_same_rules() -> None:
    assert parse_table_time("2026-03-14 09:12") == datetime(2026, 3, 14, 9, 12, tzinfo=UTC)
    assert parse_table_time("`2026-03-14T09:12:00+01:00`") == datetime(
        2026, 3, 14, 8, 12, tzinfo=UTC
    )
    assert parse_table_time("20260314T091200Z") is None
    assert parse_table_time("2026-03-14 0912 x") is None


def test_a_basic_format_time_in_front_matter_is_an_error(kb, write_pm) -> None:  # type: ignore[no-untyped-def]
    from conftest import complete_postmortem_text, run_cli

    write_pm(
        complete_postmortem_text().replace(
            "occurred_at: 2026-05-19T10:02:00Z", "occurred_at: 20260519T100200Z"
        )
    )
    found = run_cli("-C", str(kb), "check", "--format", "json").json()["findings"]
    assert any(f["rule"] == "PM104" and "occurred_at" in f["message"] for f in found), found


@pytest.mark.parametrize(
    "text", ["2026-05-19 10:02", "2026-02-30 10:02", "2026-05-19 24:02", "２０２６-05-19 10:02"]
)
def test_the_common_forms_read_fast_are_what_a_replaced_zone_gives(text: str) -> None:
    """`YYYY-MM-DD HH:MM` cells and `…T…Z` values are read with a `+00:00` offset appended
    (faster than `.replace(tzinfo=UTC)`): the same times, the same `UTC` zone, the same
    refusals."""
    try:
        expected: datetime | None = datetime.fromisoformat(text).replace(tzinfo=UTC)
    except ValueError:
        expected = None
    moment = parse_table_time(text)
    assert moment == expected
    assert moment is None or moment.tzinfo is UTC
    front = parse_datetime(text.replace(" ", "T") + ":00Z")
    assert front == expected
    assert front is None or front.tzinfo is UTC
