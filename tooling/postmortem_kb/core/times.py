"""Dates and times as post-mortems write them: ISO-8601 with a zone, or YYYY-MM-DD HH:MM UTC."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

_TABLE_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}(?::\d{2})?)(?:\s*UTC)?$")


def parse_datetime(value: Any) -> datetime | None:
    """A zone-aware datetime, or None when the value is missing, malformed or naive."""
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else None
    if not isinstance(value, str):
        return None
    text = value.strip()
    if text.endswith("Z") or text.endswith("z"):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def has_zone_problem(value: Any) -> bool:
    """True when the value is a valid date-time but carries no zone."""
    if isinstance(value, datetime):
        return value.tzinfo is None
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.strip()).tzinfo is None
        except ValueError:
            return False
    return False


def parse_table_time(text: str) -> datetime | None:
    """A timeline cell: `YYYY-MM-DD HH:MM` (UTC) or ISO-8601 with a zone."""
    text = text.strip().strip("`*")
    if len(text) == 16 and text[10] == " ":  # the common `YYYY-MM-DD HH:MM`, without a regex
        try:
            return datetime.fromisoformat(text).replace(tzinfo=UTC)
        except ValueError:
            return None
    match = _TABLE_TIME.match(text)
    if match:
        try:
            naive = datetime.fromisoformat(f"{match.group(1)}T{match.group(2)}")
        except ValueError:
            return None
        return naive.replace(tzinfo=UTC)
    return parse_datetime(text)


def parse_date(text: str) -> date | None:
    text = text.strip()
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def iso_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def now_utc() -> datetime:
    return datetime.now(UTC).replace(second=0, microsecond=0)
