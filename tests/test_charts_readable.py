"""Charts that read well: labels of at least 12 px (13 user units, and the page never shrinks
a chart), ticks on the y-axis, legend entries that do not overlap."""

from __future__ import annotations

import re

from postmortem_kb.core import charts

SERIES = [
    ("Unauthorized access", [1, 0, 3]),
    ("Service disruption", [2, 1, 0]),
    ("Data breach", [0, 4, 1]),
    ("Misconfiguration", [1, 1, 1]),
    ("Third party", [0, 0, 2]),
    ("Failed control", [1, 0, 0]),
]


def test_text_is_at_least_12_px():
    for svg in (
        charts.stacked_bars(["2026-Q1", "2026-Q2", "2026-Q3"], SERIES, "t"),
        charts.horizontal_bars([("auth-api", 3)], "t"),
        charts.distributions([("Detect", [1.0, 2.0])], "t"),
    ):
        size = re.search(r'<svg[^>]* font-size="(\d+)"', svg)
        assert size and int(size.group(1)) >= 12
        assert "font-size=" not in svg.split(">", 1)[1]  # nothing smaller inside


def test_y_axis_has_ticks_between_zero_and_the_top():
    svg = charts.stacked_bars(["2026-Q1", "2026-Q2", "2026-Q3"], SERIES, "t")
    labels = [int(t) for t in re.findall(r'text-anchor="end">(\d+)</text>', svg)]
    assert labels[0] == 0 and labels[-1] >= 7 and len(labels) >= 3  # highest bar: 7
    assert labels == sorted(labels)


def test_legend_entries_do_not_overlap():
    svg = charts.stacked_bars(["2026-Q1", "2026-Q2", "2026-Q3"], SERIES, "t")
    legend = re.findall(
        r'<rect x="([\d.]+)" y="([\d.]+)" width="12" height="12" fill="[^"]+"/>'
        r'<text x="[\d.]+" y="[\d.]+" fill="currentColor">([^<]+)</text>',
        svg,
    )
    assert len(legend) == len(SERIES)
    rows: dict[str, list[tuple[float, str]]] = {}
    for x, y, name in legend:
        rows.setdefault(y, []).append((float(x), name))
    assert len(rows) > 1  # six long names wrap onto a second line
    for entries in rows.values():
        for (x1, name), (x2, _) in zip(entries, entries[1:], strict=False):
            assert x2 >= x1 + 17 + charts.CHAR_W * len(name)
        last_x, last_name = entries[-1]
        assert last_x + 17 + charts.CHAR_W * len(last_name) <= 640
