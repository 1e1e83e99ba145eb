"""The search filters' data (core/search_facets.py): Pagefind's hit ids read from its
fragments, and each post-mortem's values in a fixed order, aligned with entries.json."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from conftest import complete_postmortem_text
from postmortem_kb.core import library, search_facets
from postmortem_kb.core.config import Config
from postmortem_kb.core.parse import parse_text


def _fragment(folder: Path, name: str, data: dict[str, object], first: bool = True) -> None:
    body = json.dumps(data if first else {"content": "x", **data}).encode()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.pf_fragment").write_bytes(gzip.compress(b"pagefind_dcd" + body))


def test_fragment_urls_reads_the_url_of_each_fragment(tmp_path: Path):
    folder = tmp_path / "fragment"
    _fragment(folder, "en_1", {"url": "/2026/PM-2026-001-a/", "content": "a"})
    # another layout (the URL not first): read by a whole parse
    _fragment(folder, "en_2", {"url": "/guide/"}, first=False)
    (folder / "en_3.pf_fragment").write_bytes(b"not gzip")  # unreadable: left out
    assert search_facets.fragment_urls(folder) == {
        "/2026/PM-2026-001-a/": "en_1",
        "/guide/": "en_2",
    }
    assert search_facets.fragment_urls(tmp_path / "missing") == {}


def _entry(pm_id: str, severity: str, services: list[str]) -> library.Entry:
    text = complete_postmortem_text(pm_id, "published", "public").replace(
        "severity: SEV2", f"severity: {severity}"
    )
    text = text.replace("services:\n", "services:\n" + "".join(f"  - {s}\n" for s in services), 1)
    pm = parse_text(f"postmortems/2026/{pm_id}-x.md", text)
    return library.Entry(pm, f"2026/{pm_id}-x.md", "Unauthorized access", None)  # type: ignore[arg-type]


def test_facets_follow_the_entries_and_a_fixed_order():
    config = Config(root=Path("."))
    items = [_entry("PM-2026-002", "SEV3", ["zeta"]), _entry("PM-2026-001", "SEV1", ["Alpha"])]
    hits = {"/2026/PM-2026-002-x/": "en_b"}
    data = json.loads(search_facets.facets_json(items, config, lambda uri: uri[:-3] + "/", hits))
    assert data["fields"] == ["type", "severity", "status", "quarter", "services"]
    assert data["values"]["severity"] == ["SEV1", "SEV3"]  # worst first
    assert data["values"]["services"][0] == "Alpha"  # alphabetical, case aside
    first, second = data["rows"]
    assert first[0] == "en_b" and second[0] is None  # no fragment: no hit id
    assert data["values"]["severity"][first[2]] == "SEV3"
    assert "zeta" in [data["values"]["services"][i] for i in first[5]]
    html = search_facets.filters_html(items, config)
    assert html.count("<select") == 5 and '<option value="SEV1">SEV1</option>' in html
