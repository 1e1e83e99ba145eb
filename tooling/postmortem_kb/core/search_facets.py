"""The search filters' data: type, severity, status, quarter and services of every page that
Pagefind indexed, keyed by the id Pagefind gives each hit (its fragment's name).

Pagefind's own filters (`data-pagefind-filter`) are written in a different order on every
run, so two builds of the same knowledge base would differ byte for byte; these filters are
our own, from the library's entries, in a fixed order. The browser loads this file only when
a reader chooses a filter, so it costs nothing before the first unfiltered result.
"""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Callable, Sequence
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

from .model import SEVERITIES, STATUSES

if TYPE_CHECKING:
    from .config import Config
    from .library import Entry

FACETS_JSON = "library/search-facets.json"
FIELDS = ("type", "severity", "status", "quarter", "services")
_URL = re.compile(rb'"url":"((?:[^"\\]|\\.)*)"')
_SIGNATURE = b"pagefind_dcd"


def fragment_urls(folder: Path) -> dict[str, str]:
    """The page URL (as Pagefind wrote it, from the site root: `/2026/PM-…/`) -> the hit id
    Pagefind's search returns for it (the fragment file's name without `.pf_fragment`).
    Only the start of each gzip fragment is unpacked: the URL comes first."""
    found: dict[str, str] = {}
    if not folder.is_dir():
        return found
    for path in sorted(folder.glob("*.pf_fragment")):
        data = path.read_bytes()
        try:
            head = zlib.decompressobj(wbits=31).decompress(data, 4096)
        except zlib.error:
            continue  # not a gzip file: not a fragment Pagefind wrote
        match = _URL.search(head)
        if match is None or not head.startswith(_SIGNATURE):
            # not the layout this reader knows: unpack it all and parse it properly
            try:
                whole = zlib.decompress(data, wbits=31)
                url = json.loads(whole[len(_SIGNATURE) :])["url"]
            except (zlib.error, ValueError, KeyError, TypeError):
                continue
        else:
            url = json.loads(b'"' + match.group(1) + b'"')
        found[str(url)] = path.name[: -len(".pf_fragment")]
    return found


LABELS = {
    "type": "Type",
    "severity": "Severity",
    "status": "Status",
    "quarter": "Quarter",
    "services": "Service",
}


def filter_values(items: Sequence[Entry], config: Config) -> dict[str, list[str]]:
    """Each filter's choices among ITEMS, in the order a reader expects: types as the
    configuration lists them, severities worst first, statuses in their order, quarters
    newest first, services alphabetically."""
    used: dict[str, set[str]] = {name: set() for name in FIELDS}
    for e in items:
        pm = e.pm
        used["type"].add(pm.type)
        used["severity"].add(pm.severity)
        used["status"].add(pm.status)
        used["quarter"].add(pm.quarter)
        used["services"].update(pm.services)

    def ordered(known: Sequence[str], found: set[str]) -> list[str]:
        first = [v for v in known if v in found]
        return first + sorted(found - set(first))

    return {
        "type": ordered(list(config.types), used["type"]),
        "severity": ordered(SEVERITIES, used["severity"]),
        "status": ordered(STATUSES, used["status"]),
        "quarter": sorted(used["quarter"], reverse=True),
        "services": sorted(used["services"], key=lambda s: (s.casefold(), s)),
    }


def facets_json(
    items: Sequence[Entry],
    config: Config,
    link: Callable[[str], str],
    hit_ids: dict[str, str],
) -> str:
    """The filters' data, aligned with `library/entries.json` (same entries, same order):
    `values` lists each filter's choices (`filter_values`; `labels` names the types), and
    each row of `rows` is [hit id or null, type, severity, status, quarter, [services]],
    the values as indexes into `values`. LINK gives an entry's URL from the site root;
    HIT_IDS maps Pagefind's page URLs to its hit ids (`fragment_urls`)."""
    values = filter_values(items, config)
    index = {name: {v: i for i, v in enumerate(vs)} for name, vs in values.items()}
    rows = []
    for e in items:
        pm = e.pm
        href = "/" + link(e.uri).lstrip("./")
        rows.append(
            [
                hit_ids.get(href),
                index["type"][pm.type],
                index["severity"][pm.severity],
                index["status"][pm.status],
                index["quarter"][pm.quarter],
                [index["services"][s] for s in dict.fromkeys(pm.services)],
            ]
        )
    labels = {t: config.type_name(t) for t in values["type"]}
    return json.dumps(
        {"fields": list(FIELDS), "values": values, "labels": {"type": labels}, "rows": rows},
        ensure_ascii=False,
        separators=(",", ":"),
    )


def filters_html(items: Sequence[Entry], config: Config) -> str:
    """The full results page's filters as form fields (search.js reads and keeps them in
    the page's address, with the query)."""
    values = filter_values(items, config)
    fields = []
    for name in FIELDS:
        options = "".join(
            f'<option value="{escape(v)}">'
            f"{escape(config.type_name(v) if name == 'type' else v)}</option>"
            for v in values[name]
        )
        fields.append(
            f'<label>{LABELS[name]}<select name="{name}">'
            f'<option value="">All</option>{options}</select></label>'
        )
    return "".join(fields)
