"""Charts as inline SVG made at build time: nothing is fetched when a page is viewed.

Each chart is a plain string of SVG with a <title> and <desc> for screen readers; the site
places a table with the same numbers beside it. Colours are fixed per series so the same
type or severity always has the same colour; text uses `currentColor` so the light and dark
themes both read well. Output depends only on the input (same numbers, same bytes).
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)
SEVERITY_COLOURS = {"SEV1": "#b71c1c", "SEV2": "#e65100", "SEV3": "#f9a825", "SEV4": "#2e7d32"}


# Text in user units; the page shows charts at their own width (a narrow screen scrolls the
# chart's box), so a label is never drawn smaller than 13 px.
FONT = 13
CHAR_W = 7.5  # the width of a character at FONT, for laying out legends


def colour(index: int, name: str = "") -> str:
    return SEVERITY_COLOURS.get(name) or PALETTE[index % len(PALETTE)]


def _num(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _svg(width: int, height: int, title: str, desc: str, body: list[str]) -> str:
    return (
        f'<svg class="pm-chart" role="img" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg" '
        f'font-family="sans-serif" font-size="{FONT}">'
        f"<title>{escape(title)}</title><desc>{escape(desc)}</desc>" + "".join(body) + "</svg>"
    )


def _nice_max(value: float) -> float:
    return value if value > 0 else 1


def _ticks(top: float) -> list[float]:
    """Round values from 0 to at least TOP for a count axis: 0, 1, 2 … or 0, 5, 10 …"""
    import math

    if top <= 0:
        return [0, 1]
    raw = top / 4
    power = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    step = max(step, 1)
    count = math.ceil(top / step)
    return [i * step for i in range(count + 1)]


def stacked_bars(
    categories: Sequence[str], series: Sequence[tuple[str, Sequence[int]]], title: str
) -> str:
    """Vertical bars, one per category, stacked by series; a legend below."""
    width, left, top, plot_h = 640, 40, 12, 180
    totals = [sum(values[i] for _, values in series) for i in range(len(categories))]
    ticks = _ticks(max(totals, default=0))
    ymax = ticks[-1]
    slot = (width - left - 10) / max(len(categories), 1)
    bar = min(40.0, slot * 0.7)
    axis = []
    for tick in ticks:  # y-axis ticks with light grid lines
        ty = top + plot_h - plot_h * tick / ymax
        axis.append(
            f'<text x="{left - 6}" y="{ty + 4:.1f}" text-anchor="end">{_num(tick)}'
            f'</text><line x1="{left}" y1="{ty:.1f}" x2="{width - 10}" y2="{ty:.1f}" '
            f'stroke="currentColor" stroke-opacity="{0.4 if tick == 0 else 0.12}"/>'
        )
    body = [f'<g fill="currentColor">{"".join(axis)}</g>']
    for i, category in enumerate(categories):
        x = left + i * slot + (slot - bar) / 2
        y: float = top + plot_h
        for s, (name, values) in enumerate(series):
            value = values[i]
            if not value:
                continue
            h = plot_h * value / ymax
            y -= h
            body.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                f'fill="{colour(s, name)}"><title>{escape(category)}: '
                f"{escape(name)} {value}</title></rect>"
            )
        if len(categories) <= 24 or i % max(1, len(categories) // 12) == 0:
            body.append(
                f'<text x="{x + bar / 2:.1f}" y="{top + plot_h + 16}" '
                f'text-anchor="middle" fill="currentColor">{escape(category)}</text>'
            )
    legend_y = top + plot_h + 40
    x = float(left)
    for s, (name, _) in enumerate(series):
        needed = 18 + CHAR_W * len(name) + 14
        if x > left and x + needed > width - 10:  # wrap: entries never overlap
            x = left
            legend_y += 20
        body.append(
            f'<rect x="{x:.1f}" y="{legend_y - 11}" width="12" height="12" '
            f'fill="{colour(s, name)}"/><text x="{x + 17:.1f}" y="{legend_y}" '
            f'fill="currentColor">{escape(name)}</text>'
        )
        x += needed
    desc = "; ".join(f"{c}: {t}" for c, t in zip(categories, totals, strict=True))
    return _svg(width, legend_y + 10, title, desc, body)


def horizontal_bars(rows: Sequence[tuple[str, float]], title: str, unit: str = "") -> str:
    """One horizontal bar per row, its value written at its end."""
    width, label_w, row_h = 640, 220, 24
    vmax = max((v for _, v in rows), default=0) or 1
    body = []
    for i, (label, value) in enumerate(rows):
        y = 6 + i * row_h
        w = (width - label_w - 60) * value / vmax
        short = label if len(label) <= 27 else label[:26] + "…"
        body.append(
            f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end" '
            f'fill="currentColor">{escape(short)}</text>'
            f'<rect x="{label_w}" y="{y + 2}" width="{w:.1f}" height="{row_h - 6}" '
            f'fill="{colour(0)}"/><text x="{label_w + w + 4:.1f}" y="{y + 15}" '
            f'fill="currentColor">{_num(value)}{escape(unit)}</text>'
        )
    desc = "; ".join(f"{label}: {_num(v)}{unit}" for label, v in rows)
    return _svg(width, 12 + len(rows) * row_h, title, desc, body)


def distributions(rows: Sequence[tuple[str, Sequence[float]]], title: str, unit: str = "h") -> str:
    """One row per measure: every value as a dot on a log scale, a box from the first to the
    third quartile and a line at the median (medians and spread, never a mean)."""
    import math
    import statistics

    width, label_w, row_h = 640, 130, 40
    values = [v for _, vs in rows for v in vs if v > 0]
    lo = math.log10(min(values)) if values else 0.0
    hi = math.log10(max(values)) if values else 1.0
    lo, hi = math.floor(lo), max(math.ceil(hi), math.floor(lo) + 1)
    plot_w = width - label_w - 20

    def xpos(v: float) -> float:
        v = max(v, 10**lo)
        return label_w + plot_w * (math.log10(v) - lo) / (hi - lo)

    body = []
    for i, (label, vs) in enumerate(rows):
        y = 8 + i * row_h
        mid = y + row_h / 2 - 6
        body.append(
            f'<text x="{label_w - 8}" y="{mid + 4:.1f}" text-anchor="end" '
            f'fill="currentColor">{escape(label)}</text>'
        )
        if not vs:
            continue
        ordered = sorted(vs)
        if len(ordered) > 1:
            q1, med, q3 = statistics.quantiles(ordered, n=4, method="inclusive")
        else:
            q1 = med = q3 = ordered[0]
        body.append(
            f'<rect x="{xpos(q1):.1f}" y="{mid - 9:.1f}" '
            f'width="{max(xpos(q3) - xpos(q1), 1):.1f}" height="18" fill="{colour(0)}" '
            f'fill-opacity="0.25" stroke="{colour(0)}"/>'
            f'<line x1="{xpos(med):.1f}" y1="{mid - 11:.1f}" x2="{xpos(med):.1f}" '
            f'y2="{mid + 11:.1f}" stroke="{colour(3)}" stroke-width="3"/>'
        )
        for v in ordered:
            body.append(
                f'<circle cx="{xpos(v):.1f}" cy="{mid:.1f}" r="2.5" '
                f'fill="currentColor" fill-opacity="0.6"/>'
            )
    axis_y = 8 + len(rows) * row_h
    body.append(
        f'<line x1="{label_w}" y1="{axis_y}" x2="{label_w + plot_w}" y2="{axis_y}" '
        f'stroke="currentColor" stroke-opacity="0.4"/>'
    )
    for power in range(lo, hi + 1):
        value = 10**power
        text = f"{_num(value) if value >= 1 else round(value * 60)}{unit if value >= 1 else 'm'}"
        body.append(
            f'<text x="{xpos(value):.1f}" y="{axis_y + 16}" text-anchor="middle" '
            f'fill="currentColor">{escape(text)}</text>'
        )
    desc = "; ".join(f"{label}: {len(vs)} values" for label, vs in rows)
    return _svg(width, axis_y + 26, title, desc, body)
