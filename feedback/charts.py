"""Charts drawn on the server as inline SVG: no JavaScript chart library, readable
without scripts, printable, and every number also in a table next to it."""

import math
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

PALETTE = ("#0b6bcb", "#cf222e", "#1a7f37", "#9a6700", "#8250df")


@dataclass
class Series:
    label: str
    values: list  # numbers; None leaves a gap in the line


def _axis(value: float, percent: bool) -> tuple[float, float]:
    """(top, step) of the y axis: steps of 1, 2 or 5 times a power of ten, about four
    gridlines, whole numbers for counts."""
    if percent:
        return 1.0, 0.25
    if value <= 0:
        return 1, 1
    rough = value / 4
    magnitude = 10 ** math.floor(math.log10(rough)) if rough >= 1 else 1
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= rough)
    return step * math.ceil(value / step), step


def _fmt(value: float, percent: bool) -> str:
    if percent:
        return f"{value * 100:.0f}%"
    return f"{value:,.0f}" if value >= 10 or value == int(value) else f"{value:.1f}"


def line_chart(
    *,
    labels: list[str],
    series: list[Series],
    title: str,
    percent: bool = False,
    width: int = 760,
    height: int = 220,
) -> SafeString:
    """A line chart with axes, gridlines, a legend and a <title> for screen readers."""
    left, right, top, bottom = 52, 12, 28, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [v for s in series for v in s.values if v is not None]
    ymax, ystep = _axis(max(values, default=0), percent)
    count = max(len(labels), 1)

    def x(i: int) -> float:
        return left + (plot_w * i / (count - 1) if count > 1 else plot_w / 2)

    def y(v: float) -> float:
        return top + plot_h - plot_h * (v / ymax)

    parts = [
        f'<svg class="kb-chart" role="img" viewBox="0 0 {width} {height}" '
        f'width="100%" preserveAspectRatio="xMidYMid meet" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
    ]
    for i in range(round(ymax / ystep) + 1):
        v = ystep * i
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(v):.1f}" y2="{y(v):.1f}" '
            f'stroke="#d8dee4" stroke-width="1"/>'
            f'<text x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end" '
            f'font-size="11" fill="#59636e">{_fmt(v, percent)}</text>'
        )
    step = max(1, -(-count // 8))
    for i, label in enumerate(labels):
        last = i == count - 1 and (count - 1) % step >= step / 2
        if i % step == 0 or last:
            parts.append(
                f'<text x="{x(i):.1f}" y="{height - 8}" text-anchor="middle" '
                f'font-size="11" fill="#59636e">{escape(label)}</text>'
            )
    legend_x = left
    for n, s in enumerate(series):
        color = PALETTE[n % len(PALETTE)]
        segments, current = [], []
        for i, v in enumerate(s.values):
            if v is None:
                if current:
                    segments.append(current)
                current = []
            else:
                current.append(f"{x(i):.1f},{y(v):.1f}")
        if current:
            segments.append(current)
        for points in segments:
            if len(points) == 1:
                cx, cy = points[0].split(",")
                parts.append(f'<circle cx="{cx}" cy="{cy}" r="2.5" fill="{color}"/>')
            else:
                parts.append(
                    f'<polyline fill="none" stroke="{color}" stroke-width="2" '
                    f'stroke-linejoin="round" points="{" ".join(points)}"/>'
                )
        parts.append(
            f'<rect x="{legend_x}" y="8" width="12" height="4" fill="{color}"/>'
            f'<text x="{legend_x + 16}" y="14" font-size="12" fill="#1f2328">'
            f"{escape(s.label)}</text>"
        )
        legend_x += 24 + 9 * len(s.label) + 7 * sum(ord(c) > 0x2E80 for c in s.label)
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


def sparkline(values: list[int], *, width: int = 120, height: int = 24) -> SafeString:
    """A tiny trend line for a table cell."""
    if not values:
        return mark_safe("")
    top = max(values) or 1
    count = len(values)
    points = " ".join(
        f"{(width - 2) * i / max(count - 1, 1) + 1:.1f},"
        f"{height - 2 - (height - 4) * v / top:.1f}"
        for i, v in enumerate(values)
    )
    return mark_safe(  # noqa: S308 - numbers only
        f'<svg class="kb-spark" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" aria-hidden="true" xmlns="http://www.w3.org/2000/svg">'
        f'<polyline fill="none" stroke="#0b6bcb" stroke-width="1.5" '
        f'points="{points}"/></svg>'
    )
