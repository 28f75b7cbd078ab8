"""Chart geometry: scales that start at zero, round ticks, bars proportional to their values, funnel branches."""

from __future__ import annotations

import pytest

from journeykit.metrics import charts


@pytest.mark.parametrize(
    ("top", "ticks"),
    [(0, [0.0, 1.0]), (7, [0, 2, 4, 6, 8]), (100, [0, 25, 50, 75, 100]), (1234, [0, 500, 1000, 1500]), (0.3, [0, 0.1, 0.2, 0.3])],
)
def test_ticks_are_round_and_cover_the_top(top, ticks):
    assert charts.nice_ticks(top) == pytest.approx(ticks)


def _stage(stage, count, conversion=None, source=None, entered=None):
    return {"stage": stage, "count": count, "conversion": conversion, "from": source, "entered": entered}


def test_funnel_bars_are_as_wide_as_their_share_of_the_widest_stage():
    steps = charts.funnel_steps([_stage("awareness", 200), _stage("consideration", 50, 0.25, "awareness"),
                                 _stage("purchase", 1, 0.02, "consideration"), _stage("retention", 0, 0.0, "purchase")])
    assert [step.width for step in steps] == [100, 25, 0.5, 0]  # a stage with people always shows a sliver
    assert [step.note for step in steps] == ["", "25% of awareness", "2.0% of consideration", "0% of purchase"]


def test_retention_and_advocacy_are_branches_of_purchase_and_say_so():
    steps = charts.funnel_steps([_stage("awareness", 20), _stage("consideration", 10, 0.5, "awareness"),
                                 _stage("purchase", 10, 1.0, "consideration"), _stage("retention", 2, 0.2, "purchase"),
                                 _stage("advocacy", 5, 0.5, "purchase")])
    assert [(step.stage, step.branch) for step in steps] == [
        ("awareness", False), ("consideration", False), ("purchase", False), ("retention", True), ("advocacy", True)]
    assert [step.note for step in steps[2:]] == ["100% of consideration", "20% of purchase", "50% of purchase"]


@pytest.mark.parametrize(("share", "words"), [(None, "—"), (0, "0%"), (0.053, "5.3%"), (0.1, "10%"), (0.4, "40%"),
                                              (1, "100%")])
def test_shares_read_as_percentages(share, words):
    assert charts.percent(share) == words


def test_a_line_chart_maps_values_onto_a_zero_based_axis():
    chart = charts.line_chart(["d1", "d2", "d3"], {"awareness": [0, 5, 10], "purchase": [0, 1, 2]}, width=200, height=100)
    assert chart.series[0].points == [(0, 100), (100, 50), (200, 0)]
    assert chart.series[1].points == [(0, 100), (100, 90), (200, 80)]
    assert chart.series[0].path == "0.0,100.0 100.0,50.0 200.0,0.0"
    assert [label for _, label in chart.y_ticks] == ["0", "2.5", "5", "7.5", "10"]
    assert [label for _, label in chart.x_labels] == ["d1", "d2", "d3"]


def test_long_series_label_every_few_points_and_shorten_large_numbers():
    chart = charts.line_chart([f"d{i}" for i in range(30)], {"awareness": [i * 1000 for i in range(30)]})
    assert len(chart.x_labels) <= 8 and chart.y_ticks[-1][1] == "30k"


def test_intervals_share_a_scale_symmetric_around_zero():
    rows, zero = charts.intervals([("reviews", 0.1, 0.05, 0.2), ("loyalty", -0.05, -0.1, 0.0)], width=400)
    assert zero == 200
    assert (rows[0].x_low, rows[0].x, rows[0].x_high) == (250, 300, 400)
    assert (rows[1].x_low, rows[1].x, rows[1].x_high) == (100, 150, 200)


def test_heat_map_shades_grow_with_the_share_and_empty_cells_stay_blank():
    assert charts.shade(None) == 0 and charts.shade(0) < charts.shade(0.5) < charts.shade(1) == 1
