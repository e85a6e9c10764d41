"""Small server-side SVG charts for the editors' overview: no script, no CDN."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.text import Truncator

WIDTH = 640
LABEL_WIDTH = 250
VALUE_WIDTH = 70
ROW_HEIGHT = 26
BAR_HEIGHT = 16


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    shown: str  # the value as the chart prints it


def bar_chart(title: str, bars: Sequence[Bar], *, chart_id: str) -> SafeString:
    """A horizontal bar chart as inline SVG, its title as the accessible name."""
    height = max(1, len(bars)) * ROW_HEIGHT + 8
    top = max((bar.value for bar in bars), default=0) or 1
    span = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    rows = format_html_join(
        "",
        '<g transform="translate(0,{})">'
        '<text x="{}" y="{}" text-anchor="end" class="chart-label">{}</text>'
        '<rect x="{}" y="{}" width="{}" height="{}" rx="3" class="chart-bar"></rect>'
        '<text x="{}" y="{}" class="chart-value">{}</text></g>',
        (
            (
                4 + i * ROW_HEIGHT,
                LABEL_WIDTH - 8,
                BAR_HEIGHT - 3,
                Truncator(bar.label).chars(34),
                LABEL_WIDTH,
                0,
                round(max(bar.value, 0) / top * span, 1),
                BAR_HEIGHT,
                LABEL_WIDTH + round(max(bar.value, 0) / top * span, 1) + 6,
                BAR_HEIGHT - 3,
                bar.shown,
            )
            for i, bar in enumerate(bars)
        ),
    )
    if not bars:
        rows = format_html(
            '<text x="{}" y="{}" class="chart-label">Nothing in this period yet.</text>', 8, 18
        )
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="engagement-chart" role="img" '
        'aria-labelledby="{}" viewBox="0 0 {} {}" width="{}" height="{}">'
        '<title id="{}">{}</title>{}</svg>',
        chart_id,
        WIDTH,
        height,
        WIDTH,
        height,
        chart_id,
        title,
        rows,
    )
