"""The funnel, stages over time, cohorts and time between stages, over a small history counted by hand."""

from __future__ import annotations

import datetime as dt

import pytest

from .people_helpers import day, log

METRICS = "/journeykit/api/v1/admin/metrics"
D = [day(n).date() for n in range(15)]  # D[0] is Monday 2 March 2026


def _history(app) -> None:
    """Five visitors (anonymous, so no "customer created" today muddles March):

    a: aware d0, considers d1, buys d10 · b: aware and considers d5 · c: buys d12 (first seen then)
    d: aware d3, a published review d11 (advocacy, which counts every stage) · e: aware d11
    """
    story = [
        ("a", "page_viewed", 0), ("a", "product_viewed", 1), ("a", "purchase", 10),
        ("b", "page_viewed", 5), ("b", "product_viewed", 5.2),
        ("c", "purchase", 12),
        ("d", "page_viewed", 3), ("d", "review_published", 11),
        ("e", "page_viewed", 11),
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
        assert _counts(funnel()) == [(5, None), (4, 0.8), (3, 0.75), (1, 0.3333), (1, 1.0)]
        # the second week: a and d were aware before it and moved on inside it; b did nothing in it
        assert _counts(funnel(day(7), day(13))) == [(4, None), (3, 0.75), (3, 1.0), (1, 0.3333), (1, 1.0)]
        assert _counts(funnel(D[7], D[14])) == _counts(funnel(day(7), day(13)))  # dates, or times within days
        assert _counts(funnel(D[0], D[7])) == [(3, None), (2, 0.6667), (0, 0.0), (0, None), (0, None)]
        assert _counts(funnel(D[10], D[11])) == [(1, None), (1, 1.0), (1, 1.0), (0, 0.0), (0, None)]
        assert _counts(funnel(start=D[12])) == [(1, None), (1, 1.0), (1, 1.0), (0, 0.0), (0, None)]
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
            {"period": "2026-03-02", "awareness": 3, "consideration": 2, "purchase": 0, "retention": 0, "advocacy": 0},
            {"period": "2026-03-09", "awareness": 2, "consideration": 2, "purchase": 3, "retention": 1, "advocacy": 1},
        ]
        daily = metrics.stages_over_time(D[0], D[14])
        assert len(daily) == 14 and (daily[12]["period"], daily[12]["purchase"]) == ("2026-03-14", 1)
        assert [row["awareness"] for row in daily] == [1, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 1, 1, 0]
        assert metrics.stages_over_time(D[0], D[14], interval="month")[0]["purchase"] == 3
        first, second = metrics.cohorts(D[0], D[14])
        assert (first["week"], first["size"], first["reached"]) == (
            "2026-03-02", 3, {"consideration": 3, "purchase": 2, "retention": 1, "advocacy": 1},
        )
        assert [(w["offset"], w["people"], w["share"]) for w in first["active"]] == [(0, 3, 1.0), (1, 2, 0.6667)]
        assert (second["size"], second["reached"]["purchase"], [w["people"] for w in second["active"]]) == (2, 1, [2])
        times = metrics.time_between_stages(D[0], D[14])
        assert times["consideration"] == {"people": 4, "median_seconds": 51840.0, "p90_seconds": 509760.0}
        assert times["retention"] == {"people": 1, "median_seconds": 0.0, "p90_seconds": 0.0}
        assert metrics.time_between_stages(D[13], D[14])["purchase"] == {
            "people": 0, "median_seconds": None, "p90_seconds": None,
        }


def test_the_admin_endpoints_answer_the_period_asked(app, client, admin_headers):
    _history(app)
    response = client.get(f"{METRICS}/stages?from=2026-03-09&to=2026-03-15&interval=week", headers=admin_headers)
    assert response.status_code == 200
    body = response.json
    assert (body["from"], body["to"], body["interval"]) == ("2026-03-09", "2026-03-15", "week")
    assert body["funnel"]["purchase"] == {"count": 3, "conversion": 1.0}
    assert [row["period"] for row in body["series"]] == ["2026-03-09"]
    cohorts = client.get(f"{METRICS}/cohorts?from=2026-03-02&to=2026-03-08", headers=admin_headers).json["cohorts"]
    assert [(c["week"], c["size"]) for c in cohorts] == [("2026-03-02", 3)]
    times = client.get(f"{METRICS}/times?from=2026-03-02&to=2026-03-15", headers=admin_headers).json
    assert times["stages"]["consideration"]["people"] == 4
    everything = client.get(f"{METRICS}/stages", headers=admin_headers).json
    assert (everything["from"], everything["funnel"]["awareness"]["count"]) == (None, 5)


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
