"""The lift interval against the published worked examples (Newcombe 1998, Table II)."""

from __future__ import annotations

import pytest

from journeykit.metrics.lift_stats import lift, wilson


@pytest.mark.parametrize(
    ("successes", "trials", "low", "high"),
    [(81, 263, 0.2553, 0.3662), (15, 148, 0.0624, 0.1605), (0, 20, 0.0, 0.1611), (1, 29, 0.0061, 0.1718)],
)
def test_wilson_intervals_match_the_literature(successes, trials, low, high):
    assert wilson(successes, trials) == pytest.approx((low, high), abs=1e-4)


@pytest.mark.parametrize(
    ("a", "m", "b", "n", "low", "high"),
    [
        (56, 70, 48, 80, 0.0524, 0.3339),  # Newcombe's example (a)
        (9, 10, 3, 10, 0.1705, 0.8090),  # example (b)
        (5, 56, 0, 29, -0.0381, 0.1926),  # example (d): no conversions at all in one group
    ],
)
def test_the_difference_interval_matches_newcombes_method_10(a, m, b, n, low, high):
    result = lift(m, a, n, b)
    assert result.difference == pytest.approx(a / m - b / n)
    assert (result.low, result.high) == pytest.approx((low, high), abs=1e-4)


def test_an_interval_excluding_zero_is_significant_and_one_spanning_it_is_not():
    assert lift(70, 56, 80, 48).significant
    assert not lift(56, 5, 29, 0).significant
    assert lift(100, 5, 100, 40).significant  # a widget that hurts is significant too


def test_without_a_hold_out_group_there_is_no_lift_to_show():
    result = lift(120, 30, 0, 0)
    assert (result.difference, result.low, result.high, result.significant) == (None, None, None, False)
