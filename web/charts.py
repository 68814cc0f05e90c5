"""Bar charts as geometry for server-rendered SVG: no JavaScript and nothing fetched from elsewhere."""

from __future__ import annotations

from dataclasses import dataclass

LABEL_WIDTH = 240
BAR_SPACE = 300
BAR_HEIGHT = 16
GAP = 6
GROUP_GAP = 12


@dataclass(frozen=True)
class Bar:
    label: str  # shown only on the first bar of a group
    value: int
    series: int  # index into the legend; drawn with the CSS class series-N
    x: int
    y: int
    width: int
    height: int = BAR_HEIGHT

    @property
    def text_y(self) -> int:
        return self.y + self.height - 3


@dataclass(frozen=True)
class BarChart:
    title: str
    bars: list[Bar]
    legend: list[str]
    width: int
    height: int
    total: int


def bar_chart(title: str, groups: list[tuple[str, list[int]]], legend: list[str] | None = None) -> BarChart:
    """Horizontal bars: one group per label, one bar per series within it, scaled to the largest value."""
    peak = max((v for _, values in groups for v in values), default=0) or 1
    bars, y = [], 4
    for label, values in groups:
        for index, value in enumerate(values):
            width = round(BAR_SPACE * value / peak) if value else 0
            bars.append(Bar(label if index == 0 else "", value, index, LABEL_WIDTH, y, max(width, 1 if value else 0)))
            y += BAR_HEIGHT + GAP
        y += GROUP_GAP - GAP
    total = sum(v for _, values in groups for v in values)
    return BarChart(title, bars, legend or [], LABEL_WIDTH + BAR_SPACE + 60, y + 4, total)
