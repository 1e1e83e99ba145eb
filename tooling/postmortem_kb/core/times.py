"""Dates and times as post-mortems write them: ISO-8601 with a zone, or YYYY-MM-DD HH:MM UTC.

The forms are matched here, not left to `datetime.fromisoformat`, whose accepted forms
widened in Python 3.11 (`20260314T091200Z`, week dates, `+0100`): the same file must pass or
fail alike on every supported Python.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

_TABLE_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}(?::\d{2})?)(?:\s*UTC)?$")
# YYYY-MM-DDTHH:MM[:SS[.fraction]] then Z or ±HH:MM (a space may stand for the T).
_DATETIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?"
    r"(?:([Zz])|([+-])(\d{2}):(\d{2}))?"
)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# read with the offset, a naive time gets the UTC zone (the same `UTC` object) in a tenth
# of the time `.replace(tzinfo=UTC)` takes
_UTC_OFFSET = "+00:00"


def _read_datetime(text: str) -> tuple[datetime | None, bool]:
    """(the date-time, whether it had a zone); (None, False) when it is not one. Not
    bounded: see `_in_range`."""
    text = text.strip()
    if (
        len(text) == 20
        and text[19] == "Z"
        and text[10] == "T"
        and text[4] == text[7] == "-"
        and text[13] == text[16] == ":"
        and text[:4].isdigit()
    ):
        # The form `new` writes and most files hold: fromisoformat reads it alike everywhere.
        try:
            return datetime.fromisoformat(text[:19] + _UTC_OFFSET), True
        except ValueError:
            return None, False
    match = _DATETIME.fullmatch(text)
    if match is None:
        return None, False
    year, month, day, hour, minute, second, fraction, z, sign, off_h, off_m = match.groups()
    zone = None
    if z:
        zone = UTC
    elif sign:
        if int(off_h) > 23 or int(off_m) > 59:
            return None, False
        offset = timedelta(hours=int(off_h), minutes=int(off_m))
        zone = timezone(-offset if sign == "-" else offset)
    try:
        moment = datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            int(second or 0),
            int((fraction or "0").ljust(6, "0")[:6]),
            tzinfo=zone,
        )
    except ValueError:
        return None, False
    return moment, zone is not None


# Times the tool can compute with: converting to UTC, comparing, adding days and writing a
# four-digit year all work inside these bounds. `9999-12-31T23:59:59-23:59` is a valid
# ISO-8601 time, but in UTC it falls in the year 10000, which Python cannot represent.
EARLIEST = datetime(1000, 1, 1, tzinfo=UTC)
LATEST = datetime(9998, 12, 31, 23, 59, 59, tzinfo=UTC)
RANGE_HINT = "a time between the years 1000 and 9998 (UTC)"


def _in_range(moment: datetime) -> datetime | None:
    """MOMENT when it lies between EARLIEST and LATEST, else None (never an overflow)."""
    offset = moment.utcoffset()
    if offset is None:
        return None
    if not (EARLIEST.year < moment.year < LATEST.year):  # near an edge: compare naively
        naive = moment.replace(tzinfo=None)
        try:
            utc = naive - offset
        except OverflowError:
            return None
        if not (EARLIEST.replace(tzinfo=None) <= utc <= LATEST.replace(tzinfo=None)):
            return None
    return moment


def out_of_range(value: Any) -> bool:
    """True when VALUE is a valid zone-aware time that lies outside what can be computed."""
    if isinstance(value, datetime):
        moment: datetime | None = value
    elif isinstance(value, str):
        moment = parse_table_time(value, bounded=False)
    else:
        return False
    return moment is not None and moment.tzinfo is not None and _in_range(moment) is None


def parse_datetime(value: Any) -> datetime | None:
    """A zone-aware datetime, or None when the value is missing, malformed, naive or out of
    range (see `out_of_range` for telling the last apart)."""
    if isinstance(value, datetime):
        return _in_range(value) if value.tzinfo is not None else None
    if not isinstance(value, str):
        return None
    moment, zoned = _read_datetime(value)
    return _in_range(moment) if moment is not None and zoned else None


def has_zone_problem(value: Any) -> bool:
    """True when the value is a valid date (and time) but carries no zone."""
    if isinstance(value, datetime):
        return value.tzinfo is None
    if isinstance(value, str):
        if _DATE.fullmatch(value.strip()):
            return parse_date(value) is not None
        moment, zoned = _read_datetime(value)
        return moment is not None and not zoned
    return False


def parse_table_time(text: str, bounded: bool = True) -> datetime | None:
    """A timeline cell: `YYYY-MM-DD HH:MM` (UTC) or ISO-8601 with a zone."""
    text = text.strip().strip("`*")
    moment: datetime | None
    if len(text) == 16 and text[10] == " " and text[4] == text[7] == "-" and text[13] == ":":
        # the common `YYYY-MM-DD HH:MM`, without a regex
        try:
            moment = datetime.fromisoformat(text + _UTC_OFFSET)
        except ValueError:
            return None
    else:
        match = _TABLE_TIME.match(text)
        if match:
            try:
                naive = datetime.fromisoformat(f"{match.group(1)}T{match.group(2)}")
            except ValueError:
                return None
            moment = naive.replace(tzinfo=UTC)
        elif not bounded:
            unbounded, zoned = _read_datetime(text)
            return unbounded if zoned else None
        else:
            return parse_datetime(text)
    return _in_range(moment) if bounded else moment


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
