"""Attachments that no page links: a file in a post-mortem's attachment folder reaches a site
only when a page that site shows links or embeds it.

Fail closed: a forgotten screenshot or a log dropped into `postmortems/<YYYY>/<ID>/` and never
linked is what nobody reviewed for this audience, so it stays out of the build, and the
build says which file and how to publish it (link it from the post-mortem). Links inside
blocks the audience does not see do not count (`audience.hidden_attachments`).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable

from .audience import link_targets

_YEAR = re.compile(r"\d{4}")


def is_attachment(src_uri: str) -> bool:
    """A file under a year folder's attachment folder: `<YYYY>/<ID>/…`."""
    parts = src_uri.split("/")
    return len(parts) >= 3 and _YEAR.fullmatch(parts[0]) is not None


def linked(pages: Iterable[tuple[str, str]]) -> set[str]:
    """Docs paths linked or embedded by PAGES: (docs path of the page, the text this
    audience sees of it)."""
    found: set[str] = set()
    for uri, text in pages:
        if "](" in text or "]:" in text or "=" in text:
            found |= link_targets(text, posixpath.dirname(uri))
    return found


def unlinked(src_uris: Iterable[str], links: set[str]) -> list[str]:
    """The attachment files among SRC_URIS that no page links (sorted)."""
    return sorted(uri for uri in src_uris if is_attachment(uri) and uri not in links)
