"""JSON from untrusted files (evidence manifests, intake payloads), read without surprises.

`json.loads` accepts `NaN` and `Infinity`, turns `1e999` into infinity, raises a bare
ValueError on an integer of thousands of digits and a RecursionError on deep nesting. Here
every one of those is a `BadJson` with the line, and numbers can be checked for range.
"""

from __future__ import annotations

import json
from typing import Any

MAX_DEPTH = 64


class BadJson(ValueError):
    """Text that is not acceptable JSON; `line` is where, when known."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.line = line


def _no_constant(name: str) -> Any:
    raise BadJson(f"`{name}` is not a number JSON allows")


def _depth(text: str) -> int:
    """The deepest nesting of [ and { outside strings (a cheap scan before parsing)."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def loads(text: str) -> Any:
    """Parse TEXT; raise BadJson for anything `json` would accept oddly or fail on."""
    if (
        "[" * 8 in text or "{" * 8 in text or text.count("[") + text.count("{") > MAX_DEPTH
    ) and _depth(text) > MAX_DEPTH:
        raise BadJson(f"nested deeper than {MAX_DEPTH} levels")
    try:
        return json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise BadJson(exc.msg, exc.lineno) from None
    except RecursionError:
        raise BadJson(f"nested deeper than {MAX_DEPTH} levels") from None
    except BadJson:
        raise
    except ValueError as exc:  # e.g. an integer longer than Python converts
        raise BadJson(str(exc).split(";")[0]) from None


def whole_number(value: Any, most: int = 1 << 62) -> int | None:
    """VALUE when it is a whole number from 0 to MOST (not a float, not a bool), else None."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= most:
        return None
    return value
