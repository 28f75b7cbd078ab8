"""The journey's stages are ordered by the journey, not by their names."""

import itertools

from journeykit import Stage


def test_stages_compare_by_their_place_in_the_journey():
    order = [Stage.AWARENESS, Stage.CONSIDERATION, Stage.PURCHASE, Stage.RETENTION, Stage.ADVOCACY]
    assert sorted(reversed(order)) == order
    for a, b in itertools.product(order, repeat=2):
        i, j = order.index(a), order.index(b)
        assert ((a < b), (a <= b), (a > b), (a >= b)) == ((i < j), (i <= j), (i > j), (i >= j)), (a, b)
    assert [stage.value for stage in order] == ["awareness", "consideration", "purchase", "retention", "advocacy"]
