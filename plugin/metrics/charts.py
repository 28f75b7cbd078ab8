"""Chart geometry for the admin dashboard, drawn as inline SVG by ``admin/_charts.html``.

The dashboard must work offline and load nothing from a CDN, so charts are
computed here (plain numbers in, coordinates out) and drawn by Jinja macros
as SVG: no JavaScript, crisp at any zoom, printable, and each chart comes
with its numbers as a table for screen readers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Sequence


@dataclass
class Bar:
    label: str
    value: float
    x: float
    y: float
    width: float
    height: float
    note: str = ""


@dataclass
class Series:
    name: str
    points: list[tuple[float, float]]
    values: list[float]

    @property
    def path(self) -> str:
        return " ".join(f"{x:.1f},{y:.1f}" for x, y in self.points)


@dataclass
class LineChart:
    width: float
    height: float
    series: list[Series]
    x_labels: list[tuple[float, str]]
    y_ticks: list[tuple[float, str]]
    labels: list[str] = field(default_factory=list)


@dataclass
class Interval:
    """An estimate with its confidence interval, placed on a shared horizontal scale."""

    label: str
    estimate: float
    low: float
    high: float
    x: float
    x_low: float
    x_high: float
    y: float


def nice_ticks(top: float, count: int = 4) -> list[float]:
    """Round tick values from 0 to at least ``top`` (1, 2, 2.5 or 5 times a power of ten apart)."""
    if top <= 0:
        return [0.0, 1.0]
    raw = top / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    return [step * i for i in range(math.ceil(top / step - 1e-9) + 1)]


def _short(value: float) -> str:
    """``1200`` as ``1.2k``: axis labels stay narrow."""
    for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= limit:
            return f"{value / limit:.3g}{suffix}"
    return f"{value:.3g}"


def funnel_bars(
    stages: Sequence[tuple[str, int, float | None, str | None]], *, width: float = 560, bar_height: float = 34
) -> list[Bar]:
    """Horizontal bars, one per stage ``(label, count, conversion, stage it converts from)``, as wide as its share of the widest.

    The note names the stage the conversion is a share of: retention and
    advocacy are both shares of purchase, not of the bar above them.
    """
    top = max((count for _, count, _, _ in stages), default=0) or 1
    bars = []
    for index, (label, count, conversion, source) in enumerate(stages):
        bar_width = max(2.0, width * count / top) if count else 0.0
        note = f"{conversion:.0%} of {source}" if conversion is not None and source is not None else ""
        bars.append(Bar(label, count, (width - bar_width) / 2, index * (bar_height + 10), bar_width, bar_height, note))
    return bars


def line_chart(
    labels: Sequence[str], series: dict[str, Sequence[float]], *, width: float = 640, height: float = 220
) -> LineChart:
    """One polyline per series over shared x labels (e.g. days), with a zero-based y axis."""
    top = max((max(values, default=0) for values in series.values()), default=0)
    ticks = nice_ticks(top)
    scale = ticks[-1] or 1
    step = width / max(1, len(labels) - 1)
    lines = [
        Series(name, [(i * step, height - height * v / scale) for i, v in enumerate(values)], list(values))
        for name, values in series.items()
    ]
    every = max(1, math.ceil(len(labels) / 8))
    x_labels = [(i * step, label) for i, label in enumerate(labels) if i % every == 0]
    y_ticks = [(height - height * t / scale, _short(t)) for t in ticks]
    return LineChart(width, height, lines, x_labels, y_ticks, list(labels))


def intervals(
    rows: Sequence[tuple[str, float, float, float]], *, width: float = 560, row_height: float = 36
) -> tuple[list[Interval], float]:
    """Estimates with confidence intervals on one scale symmetric around zero; returns them and x of zero."""
    reach = max((max(abs(low), abs(high)) for _, _, low, high in rows), default=0) or 0.01
    half = width / 2

    def x(value: float) -> float:
        return half + half * value / reach

    placed = [
        Interval(label, est, low, high, x(est), x(low), x(high), index * row_height + row_height / 2)
        for index, (label, est, low, high) in enumerate(rows)
    ]
    return placed, half


def shade(share: float | None) -> float:
    """Opacity of a heat-map cell for a share from 0 to 1 (empty cells stay blank)."""
    if share is None:
        return 0.0
    return round(0.08 + 0.92 * max(0.0, min(1.0, share)), 3)
