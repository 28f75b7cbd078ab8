"""Widget lift from the event log: who counts as shown, who as held out, and who converted in the period."""

from __future__ import annotations

import pytest

from journeykit.metrics import lift, lift_stats

from .people_helpers import T0, day, join, log

HOLDOUT = {"JOURNEYKIT_HOLDOUT_SHARE": 0.5, "JOURNEYKIT_HOLDOUT_WIDGETS": "reviews"}
LIFT = "/journeykit/api/v1/admin/metrics/lift"
FIRST, LAST = T0.date(), day(9).date()  # ten days, both included


def _visitor(name: str) -> str:
    return f"lift-visitor-{name}-0000"


def _meets(app, who: str, name: str, at: float, widget: str = "reviews", **person) -> None:
    person = person or {"visitor": _visitor(who)}
    log(app, name, at=day(at), source="browser", widget=widget, **person)


def _buys(app, at: float, **person) -> None:
    log(app, "purchase", at=day(at), source="stripe", **person)


@pytest.fixture
def history(shop_factory):
    """Shown: 5 people, 3 bought in the period.  Held out: 4 people, 1 bought."""
    app, _, _ = shop_factory(HOLDOUT)
    for who in ("s1", "s2", "s3", "s5"):
        _meets(app, who, "widget_viewed", 1)
    _meets(app, "s3", "widget_viewed", 3)  # seen twice: still one person
    _buys(app, 2, visitor=_visitor("s1"))
    _buys(app, 0.5, visitor=_visitor("s2"))  # bought in the period, hours before the widget's beacon: converted
    _buys(app, 12, visitor=_visitor("s5"))  # after the period: not converted in it
    _meets(app, "s4", "widget_viewed", 1)  # an anonymous visitor who later signs in and buys as c-4
    join(app, _visitor("s4"), "c-4")
    _buys(app, 4, customer="c-4")
    _buys(app, -2, visitor=_visitor("s6"))  # bought before the period: left out of both groups
    _meets(app, "s6", "widget_viewed", 1)
    _meets(app, "s7", "widget_viewed", -3)  # met the widget before the period only
    for who in ("h1", "h2", "h3"):
        _meets(app, who, "widget_held_out", 1)
    _buys(app, 2, visitor=_visitor("h1"))
    _meets(app, "h3", "widget_viewed", 2)  # later saw a server-rendered fragment: stays held out
    _meets(app, "h4", "widget_held_out", 5, customer="c-h4")  # signed in
    _meets(app, "t1", "widget_viewed", 1, widget="testimonials")  # no hold-out: not listed
    _meets(app, "r1", "widget_held_out", 1, widget="rating")  # held out in the period, though no longer configured
    return app


def _expected(shown: int, shown_converted: int, held_out: int, held_out_converted: int) -> dict:
    stats = lift_stats.lift(shown, shown_converted, held_out, held_out_converted)
    return {
        "shown": shown, "shown_converted": shown_converted, "held_out": held_out, "held_out_converted": held_out_converted,
        "difference": None if stats.difference is None else round(stats.difference, 4),
        "low": None if stats.low is None else round(stats.low, 4),
        "high": None if stats.high is None else round(stats.high, 4),
        "significant": stats.significant,
    }


def test_each_person_counts_once_in_the_group_of_their_first_meeting_with_the_widget(history):
    with history.app_context():
        rows = {row.pop("widget"): row for row in lift.widget_lift(FIRST, day(10).date())}
    assert set(rows) == {"reviews", "rating"}
    assert rows["reviews"] == _expected(5, 3, 4, 1)
    assert rows["reviews"]["difference"] == 0.35  # 3/5 - 1/4
    assert rows["rating"] == _expected(0, 0, 1, 0) and rows["rating"]["difference"] is None


def test_without_a_period_every_meeting_and_purchase_counts(history):
    with history.app_context():
        reviews = next(row for row in history.extensions["journeykit"].journey.metrics.widget_lift() if row["widget"] == "reviews")
    # s5's later purchase, s6 and s7 now count: shown s1..s7 (5 of them bought), held out h1..h4 (1 bought)
    assert (reviews["shown"], reviews["shown_converted"], reviews["held_out"], reviews["held_out_converted"]) == (7, 5, 4, 1)


def test_the_api_answers_the_same_for_the_period_and_refuses_bad_input(history, admin_headers):
    client = history.test_client()
    response = client.get(f"{LIFT}?from={FIRST}&to={LAST}", headers=admin_headers)
    assert response.status_code == 200
    assert response.json["from"] == "2026-03-02" and response.json["to"] == "2026-03-11"
    reviews = next(row for row in response.json["widgets"] if row["widget"] == "reviews")
    assert reviews == {"widget": "reviews", **_expected(5, 3, 4, 1)}
    assert client.get(LIFT).status_code == 401
    refused = client.get(f"{LIFT}?from={LAST}&to={FIRST}", headers=admin_headers)
    assert refused.status_code == 422 and refused.json["error"]["fields"] == {"from": ["After to."]}
    assert client.get(f"{LIFT}?from=yesterday", headers=admin_headers).status_code == 422


def test_an_empty_shop_lists_the_configured_widgets_with_no_data(shop_factory, admin_headers):
    app, _, _ = shop_factory(HOLDOUT)
    response = app.test_client().get(LIFT, headers=admin_headers)
    assert response.json["widgets"] == [{"widget": "reviews", **_expected(0, 0, 0, 0)}]


def test_without_a_hold_out_no_widget_is_listed(client, admin_headers, app):
    log(app, "widget_viewed", visitor=_visitor("x"), widget="reviews", source="browser")
    assert client.get(LIFT, headers=admin_headers).json["widgets"] == []
