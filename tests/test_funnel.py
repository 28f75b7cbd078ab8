"""The funnel, stages over time, cohorts and time between stages, over a small history counted by hand."""

from __future__ import annotations

import datetime as dt

import pytest

from journeykit.journey.waits import RELATIVE_ERROR

from .people_helpers import day, log

METRICS = "/journeykit/api/v1/admin/metrics"
D = [day(n).date() for n in range(15)]  # D[0] is Monday 2 March 2026


def _history(app) -> None:
    """Seven visitors (anonymous, so no "customer created" today muddles March):

    a: aware d0, considers d1, buys d10 · b: aware and considers d5 · c: buys d12 (first seen then)
    d: aware d3, a published review d11 (not a buyer: that is consideration) · e: aware d11
    f: aware d1, buys d2, a published review d9 (a one-time buyer who reviews: advocacy, not retention)
    g: a review published d3, then buys d4 and d8 (an advocate from their first purchase, retained at the second)
    """
    story = [
        ("a", "page_viewed", 0), ("a", "product_viewed", 1), ("a", "purchase", 10),
        ("b", "page_viewed", 5), ("b", "product_viewed", 5.2),
        ("c", "purchase", 12),
        ("d", "page_viewed", 3), ("d", "review_published", 11),
        ("e", "page_viewed", 11),
        ("f", "page_viewed", 1), ("f", "purchase", 2), ("f", "review_published", 9),
        ("g", "review_published", 3), ("g", "purchase", 4), ("g", "purchase", 8),
    ]
    for who, name, when in reversed(story):  # arrival order does not matter
        log(app, name, visitor=f"visitor-{who}-0123456789abcdef", at=day(when))


def _counts(funnel: dict) -> list[tuple[int, float | None]]:
    return [(stage["count"], stage["conversion"]) for stage in funnel.values()]


def test_the_funnel_of_each_period_counts_people_who_reached_a_stage_in_it(app, journey):
    _history(app)
    with app.app_context():
        funnel = journey.metrics.funnel
        assert list(funnel()) == ["awareness", "consideration", "purchase", "retention", "advocacy"]
        # retention and advocacy are both shares of purchase: g is both, f only an advocate, d neither
        assert _counts(funnel()) == [(7, None), (6, 0.8571), (4, 0.6667), (1, 0.25), (2, 0.5)]
        assert [(stage["from"], stage["entered"]) for stage in funnel().values()] == [
            (None, 7), ("awareness", 6), ("consideration", 4), ("purchase", 1), ("purchase", 2)]
        # the second week: a, d, f and g were aware before it and moved on inside it (g retained, f advocating:
        # both count as buyers of the week, though they first bought before it); b did nothing in it
        second_week = funnel(day(7), day(13))
        assert _counts(second_week) == [(6, None), (5, 0.8333), (4, 0.8), (1, 0.25), (1, 0.25)]
        assert [stage["entered"] for stage in second_week.values()] == [2, 2, 2, 1, 1]
        assert _counts(funnel(D[7], D[14])) == _counts(second_week)  # dates, or times within days
        assert _counts(funnel(D[0], D[7])) == [(5, None), (4, 0.8), (2, 0.5), (0, 0.0), (1, 0.5)]
        assert _counts(funnel(D[10], D[11])) == [(1, None), (1, 1.0), (1, 1.0), (0, 0.0), (0, 0.0)]
        assert _counts(funnel(start=D[12])) == [(1, None), (1, 1.0), (1, 1.0), (0, 0.0), (0, 0.0)]
        assert _counts(funnel(end=D[1])) == [(1, None), (0, 0.0), (0, None), (0, None), (0, None)]
        assert _counts(funnel(D[14], D[14])) == [(0, None)] + [(0, None)] * 4


def test_naive_datetimes_are_refused(app, journey):
    with app.app_context(), pytest.raises(ValueError, match="timezone"):
        journey.metrics.funnel(dt.datetime(2026, 3, 1))


def test_stages_over_time_cohorts_and_times(app, journey):
    _history(app)
    with app.app_context():
        metrics = journey.metrics
        weekly = metrics.stages_over_time(D[0], D[14], interval="week")
        assert weekly == [
            {"period": "2026-03-02", "awareness": 5, "consideration": 4, "purchase": 2, "retention": 0, "advocacy": 1},
            {"period": "2026-03-09", "awareness": 2, "consideration": 2, "purchase": 2, "retention": 1, "advocacy": 1},
        ]
        daily = metrics.stages_over_time(D[0], D[14])
        assert len(daily) == 14 and (daily[12]["period"], daily[12]["purchase"]) == ("2026-03-14", 1)
        assert [row["awareness"] for row in daily] == [1, 1, 0, 2, 0, 1, 0, 0, 0, 0, 0, 1, 1, 0]
        assert metrics.stages_over_time(D[0], D[14], interval="month")[0]["purchase"] == 4
        first, second = metrics.cohorts(D[0], D[14])
        assert (first["week"], first["size"], first["reached"]) == (
            "2026-03-02", 5, {"consideration": 5, "purchase": 3, "retention": 1, "advocacy": 2},
        )
        assert [(w["offset"], w["people"], w["share"]) for w in first["active"]] == [(0, 5, 1.0), (1, 4, 0.8)]
        assert (second["size"], second["reached"]["purchase"], [w["people"] for w in second["active"]]) == (2, 1, [2])
        times = metrics.time_between_stages(D[0], D[14])
        # waits in days: consideration 1, 0.2, 0, 8, 1, 0; purchase 9, 0, 0, 1; retention 4 (g); advocacy 7 (f), 0 (g)
        # within the histograms' stated relative error (journeykit.journey.waits)
        close = lambda seconds: pytest.approx(seconds, rel=RELATIVE_ERROR)  # noqa: E731
        assert times == {
            "consideration": {"from": "awareness", "people": 6, "median_seconds": close(51840.0), "p90_seconds": close(388800.0)},
            "purchase": {"from": "consideration", "people": 4, "median_seconds": close(43200.0), "p90_seconds": close(570240.0)},
            "retention": {"from": "purchase", "people": 1, "median_seconds": close(345600.0), "p90_seconds": close(345600.0)},
            "advocacy": {"from": "purchase", "people": 2, "median_seconds": close(302400.0), "p90_seconds": close(544320.0)},
        }
        assert metrics.time_between_stages(D[13], D[14])["purchase"] == {
            "from": "consideration", "people": 0, "median_seconds": None, "p90_seconds": None,
        }


def test_the_time_between_stages_counts_the_funnels_entered_people(app, journey):
    """Who the two count differently, and why: the funnel also counts people carried in from before the period."""
    _history(app)
    with app.app_context():
        for period in [(None, None), (D[0], D[7]), (D[7], D[14]), (D[3], D[10]), (D[10], D[11]), (D[12], None)]:
            funnel, times = journey.metrics.funnel(*period), journey.metrics.time_between_stages(*period)
            for stage, row in times.items():
                assert row["people"] == funnel[stage]["entered"], (period, stage)
                assert row["from"] == funnel[stage]["from"]
            for stage in ("retention", "advocacy"):  # no stage implies these: the same people
                assert funnel[stage]["count"] == funnel[stage]["entered"], (period, stage)


def test_the_admin_endpoints_answer_the_period_asked(app, client, admin_headers):
    _history(app)
    response = client.get(f"{METRICS}/stages?from=2026-03-09&to=2026-03-15&interval=week", headers=admin_headers)
    assert response.status_code == 200
    body = response.json
    assert (body["from"], body["to"], body["interval"]) == ("2026-03-09", "2026-03-15", "week")
    assert body["funnel"]["purchase"] == {"count": 4, "conversion": 0.8, "from": "consideration", "entered": 2}
    assert body["funnel"]["advocacy"] == {"count": 1, "conversion": 0.25, "from": "purchase", "entered": 1}
    assert [row["period"] for row in body["series"]] == ["2026-03-09"]
    cohorts = client.get(f"{METRICS}/cohorts?from=2026-03-02&to=2026-03-08", headers=admin_headers).json["cohorts"]
    assert [(c["week"], c["size"]) for c in cohorts] == [("2026-03-02", 5)]
    times = client.get(f"{METRICS}/times?from=2026-03-02&to=2026-03-15", headers=admin_headers).json
    assert times["stages"]["consideration"]["people"] == 6 and times["stages"]["advocacy"]["from"] == "purchase"
    everything = client.get(f"{METRICS}/stages", headers=admin_headers).json
    assert (everything["from"], everything["funnel"]["awareness"]["count"]) == (None, 7)


@pytest.mark.parametrize("query, field", [
    ("from=2026-02-30", "from"),
    ("to=yesterday", "to"),
    ("from=2026-3-9", "from"),
    ("from=2026-03-10&to=2026-03-09", "from"),
    ("interval=year", "interval"),
])
def test_bad_periods_are_422_and_strangers_401(app, client, admin_headers, query, field):
    response = client.get(f"{METRICS}/stages?{query}", headers=admin_headers)
    assert response.status_code == 422 and field in response.json["error"]["fields"]
    for path in ("stages", "cohorts", "times"):
        assert client.get(f"{METRICS}/{path}").status_code == 401
        assert client.get(f"{METRICS}/{path}", headers={"Authorization": "Bearer wrong"}).status_code == 401
