"""Chart geometry for the admin dashboard, drawn by ``admin/_charts.html``.

The dashboard must work offline and load nothing from a CDN, so charts are
computed here (plain numbers in, coordinates out) and drawn by Jinja macros:
no JavaScript, crisp at any zoom, printable, and each chart comes with its
numbers as a table for screen readers.  Lines and intervals are inline SVG;
the funnel is HTML bars under HTML labels, because its labels are the
figures and must stay readable and apart at a phone's width, where an SVG
scaled to fit would shrink its text or push labels into each other.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Sequence


@dataclass
class FunnelStep:
    """One stage of the funnel: its people, its share of the stage it follows, and its bar's width in percent."""

    stage: str
    count: int
    conversion: float | None
    source: str | None
    entered: int | None
    width: float
    #: Another stage follows the same stage (retention and advocacy: both from purchase).
    branch: bool = False

    @property
    def note(self) -> str:
        """``"15% of consideration"``: the share, and what it is a share of."""
        if self.conversion is None or self.source is None:
            return ""
        return f"{percent(self.conversion)} of {self.source}"


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


def percent(share: float | None) -> str:
    """``0.053`` as ``5.3%``, ``0.4`` as ``40%`` (one decimal below 10%, where it matters); ``None`` as ``—``."""
    if share is None:
        return "—"
    value = share * 100
    return f"{value:.0f}%" if value >= 10 or value == 0 else f"{value:.1f}%"


def funnel_steps(stages: Sequence[dict[str, Any]]) -> list[FunnelStep]:
    """One step per stage (``{"stage", "count", "conversion", "from", "entered"}``), bars as wide as their share of the widest.

    A stage with people always gets a visible sliver, however small beside
    the widest; a stage with none gets no bar.  Stages that follow the same
    stage are branches of it (retention and advocacy both follow purchase).
    """
    top = max((row["count"] for row in stages), default=0) or 1
    sources = Counter(row["from"] for row in stages if row["from"] is not None)
    return [
        FunnelStep(row["stage"], row["count"], row["conversion"], row["from"], row.get("entered"),
                   round(max(0.5, 100 * row["count"] / top), 2) if row["count"] else 0.0,
                   branch=sources[row["from"]] > 1)
        for row in stages
    ]


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
    rows: Sequence[tuple[str, float, float, float]], *, width: float = 560, row_height: float = 48
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
