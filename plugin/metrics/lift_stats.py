"""Confidence intervals for a widget's lift: the difference of two conversion rates.

Shops are small: a hold-out group may have a few dozen people and no
conversions at all, where the textbook normal approximation gives intervals
below zero or of zero width.  Wilson's score interval for each rate, combined
by Newcombe's method (1998, "method 10") for their difference, behaves at
those counts and needs nothing beyond the standard library.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist


def _z(confidence: float) -> float:
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def wilson(successes: int, trials: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson's score interval for ``successes / trials`` (``(0, 1)`` when there were no trials)."""
    if trials == 0:
        return 0.0, 1.0
    z = _z(confidence)
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z / denominator * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials))
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class Lift:
    """Conversion with the widget shown versus held out, and the difference with its interval."""

    shown: int
    shown_converted: int
    held_out: int
    held_out_converted: int
    difference: float | None
    low: float | None
    high: float | None

    @property
    def significant(self) -> bool:
        """Whether the interval excludes zero: the widget made a difference either way."""
        return self.low is not None and self.high is not None and (self.low > 0 or self.high < 0)


def lift(shown: int, shown_converted: int, held_out: int, held_out_converted: int, confidence: float = 0.95) -> Lift:
    """The difference in conversion, shown minus held out, with Newcombe's interval (``None`` without both groups)."""
    if shown == 0 or held_out == 0:
        return Lift(shown, shown_converted, held_out, held_out_converted, None, None, None)
    p1, p0 = shown_converted / shown, held_out_converted / held_out
    l1, u1 = wilson(shown_converted, shown, confidence)
    l0, u0 = wilson(held_out_converted, held_out, confidence)
    difference = p1 - p0
    low = difference - math.sqrt((p1 - l1) ** 2 + (u0 - p0) ** 2)
    high = difference + math.sqrt((u1 - p1) ** 2 + (p0 - l0) ** 2)
    return Lift(shown, shown_converted, held_out, held_out_converted, difference, low, high)
