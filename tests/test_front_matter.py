"""The fast reader of simple front matter gives exactly what libyaml's base loader gives,
or declines and leaves the file to libyaml."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from postmortem_kb.core.parse import _NULLS, _simple_front_matter, split_front_matter

REPO = Path(__file__).resolve().parent.parent


def libyaml(raw: str) -> dict | list:
    meta = yaml.load(raw, Loader=yaml.CBaseLoader) or {}
    if not isinstance(meta, dict):
        return meta
    return {k: (None if isinstance(v, str) and v in _NULLS else v) for k, v in meta.items()}


SIMPLE = [
    "id: PM-2026-001\ntitle: Token leaked\n",
    'id: "PM-2026-001"\ntitle: "Post-mortem – Data breach – 2026-Q3"\nowner: \'Sec Ops\'\n',
    "services: []\ntags: [a, b-c, d_e]\ncontrols: [SOC2:CC6.1, ISO27001:A.8.2]\n",
    "services:\n  - auth-api\n  - edge-proxy\ntags:\n- x\n- y\n",
    "contained_at:\nresolved_at: ~\narchived_at: null\nowner: ''\n",
    "occurred_at: 2026-05-19T10:02:00Z\ndetected_at: 2026-05-19T10:31:00+02:00\n",
    "title: 100% of 2 things, a/b (c) & d\n",
    "title: a: b\n",
    "title: a #comment\n",
    "# comment\nid: x\n",
    "title: x\n  continued\n",
    'title: "esc \\" aped"\n',
    "title: 'it''s'\n",
    "anchor: &a x\nref: *a\n",
    "tags: [a, [b]]\n",
    "tags: [a,]\n",
    "services:\n  - a\n    - b\n",
    "services:\n  nested: x\n",
    "title: |\n  block\n",
    "title: >\n  folded\n",
    "key : value\n",
    "- a\n- b\n",
    "title: x\ntitle: y\n",
    "list:\n  - a\n\n  - b\n",
    "t: -x\n",
    "t: ?x\n",
    "t: yes\n",
    "t: 012\n",
    't: ""\n',
    "t: x:\n",
    'tags: ["a", b]\n',
    "t:\tx\n",
    "services:\n  - \n",
    "title: x  \t\nowner:   \n",
    "services:\n  - a  \n  - b\t\n",
    "t: a \t b \t\n",
    "services:\n  - \tapi\n",  # libyaml refuses a tab there: the fast reader must decline
    "services:\n  -  \tapi\n",
]


@pytest.mark.parametrize("raw", SIMPLE)
def test_fast_reader_agrees_with_libyaml_or_declines(raw: str) -> None:
    fast = _simple_front_matter(raw)
    try:
        expected = libyaml(raw)
    except yaml.YAMLError:
        assert fast is None  # only libyaml reports errors
        return
    if fast is not None:
        assert fast[0] == expected


@settings(max_examples=400, deadline=None)
@given(st.lists(st.text(alphabet="ab-: \t#'[],", max_size=12), max_size=4))
def test_fast_reader_agrees_with_libyaml_on_generated_lines(values: list[str]) -> None:
    keys = "".join(f"k{i}: {v}\n" for i, v in enumerate(values))
    test_fast_reader_agrees_with_libyaml_or_declines(keys)
    items = "".join(f"  - {v}\n" for v in values)
    test_fast_reader_agrees_with_libyaml_or_declines("s:\n" + items)


def test_simple_front_matter_is_read_fast() -> None:
    # the common cases must not decline, or the fast path is dead code
    for raw in SIMPLE[:6]:
        assert _simple_front_matter(raw) is not None, raw


def test_every_sample_agrees() -> None:
    files = [*sorted((REPO / "postmortems").glob("20*/*.md")), REPO / "tests/fixtures/complete.md"]
    read_fast = 0
    for path in files:
        text = path.read_text(encoding="utf-8")
        raw = text.split("---\n", 2)[1]
        meta, lines, _ = split_front_matter(path.name, text)
        assert meta == libyaml(raw), path.name
        read_fast += _simple_front_matter(raw) is not None
        for key, line in lines.items():
            assert text.split("\n")[line - 1].startswith(f"{key}:"), (path.name, key)
    assert read_fast == len(files)
