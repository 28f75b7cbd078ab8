"""People split by their first widget or referral code, and the stages each group reached."""

from __future__ import annotations

import pytest

from journeykit.journey import reports as metrics

from .people_helpers import T0, day, log

BREAKDOWN = "/journeykit/api/v1/admin/metrics/breakdown"
PERIOD = (T0.date(), day(10).date())


def _visitor(name: str) -> str:
    return f"breakdown-visitor-{name}"


def _group(value, people, consideration=0, purchase=0, retention=0, advocacy=0):
    reached = {"consideration": consideration, "purchase": purchase, "retention": retention, "advocacy": advocacy}
    return {"value": value, "people": people, "reached": reached, "conversion": round(purchase / people, 4)}


@pytest.fixture
def history(app):
    """Six people; p5 was first seen before the period, p4 buys after it."""
    log(app, "widget_viewed", visitor=_visitor("p1"), at=day(0), widget="reviews", source="browser")
    log(app, "product_viewed", visitor=_visitor("p1"), at=day(1))
    log(app, "purchase", visitor=_visitor("p1"), at=day(2), source="stripe")
    log(app, "widget_viewed", visitor=_visitor("p2"), at=day(0), widget="reviews", source="browser")
    log(app, "widget_viewed", visitor=_visitor("p3"), at=day(1), widget="testimonials", source="browser")
    log(app, "widget_viewed", visitor=_visitor("p3"), at=day(2), widget="reviews", source="browser")
    log(app, "product_viewed", visitor=_visitor("p3"), at=day(1), referral_code="FRIEND")
    log(app, "purchase", visitor=_visitor("p3"), at=day(3), source="stripe")
    log(app, "page_viewed", visitor=_visitor("p4"), at=day(1), referral_code="FRIEND")
    log(app, "purchase", visitor=_visitor("p4"), at=day(11), source="stripe")
    log(app, "widget_viewed", visitor=_visitor("p5"), at=day(-2), widget="reviews", source="browser")
    log(app, "page_viewed", customer="c-6", at=day(1), referral_code="PAL")
    log(app, "purchase", customer="c-6", at=day(2), source="stripe")
    log(app, "purchase", customer="c-6", at=day(3), source="stripe")
    return app


def test_by_first_widget_in_the_period(history):
    with history.app_context():
        groups = metrics.breakdown("first_widget", *PERIOD)
    assert groups == [
        _group("reviews", 2, consideration=1, purchase=1),  # p1 bought, p2 only looked; p5 came before the period
        _group(None, 2, consideration=1, purchase=1, retention=1),  # p4 bought after the period; c-6 twice
        _group("testimonials", 1, consideration=1, purchase=1),  # p3: the first widget decides, not the later one
    ]


def test_by_referral_code_in_the_period(history):
    with history.app_context():
        groups = metrics.breakdown("referral_code", *PERIOD)
    assert groups == [
        _group("FRIEND", 2, consideration=1, purchase=1),
        _group(None, 2, consideration=1, purchase=1),
        _group("PAL", 1, consideration=1, purchase=1, retention=1),
    ]


def test_without_a_period_everyone_and_every_stage_counts(history):
    with history.app_context():
        assert metrics.breakdown("first_widget")[0] == _group("reviews", 3, consideration=1, purchase=1)
        everyone = [_group(None, 3, consideration=1, purchase=1), _group("FRIEND", 2, consideration=2, purchase=2)]
        assert metrics.breakdown("referral_code")[:2] == everyone  # p4's purchase after the period counts now
        assert metrics.breakdown("referral_code", limit=1) == everyone[:1]
        with pytest.raises(ValueError, match="first_widget, referral_code"):
            metrics.breakdown("email")


def test_the_api_answers_the_same_and_refuses_bad_input(history, admin_headers):
    client = history.test_client()
    # The metrics count only real referral codes: FRIEND is c-6's; PAL is none (too short to be one), so c-6
    # joins the people without a code.
    put = client.put("/journeykit/api/v1/admin/referrals/customers/c-6/code", json={"code": "FRIEND"},
                     headers=admin_headers)
    assert put.status_code == 200
    response = client.get(f"{BREAKDOWN}?by=referral_code&from=2026-03-02&to=2026-03-11&limit=2", headers=admin_headers)
    assert response.status_code == 200
    assert response.json == {"from": "2026-03-02", "to": "2026-03-11", "by": "referral_code", "groups": [
        {**_group(None, 3, consideration=2, purchase=2, retention=1), "conversion": 0.6667},
        _group("FRIEND", 2, consideration=1, purchase=1)]}
    for query in ("", "?by=email", "?by=first_widget&limit=0", "?by=first_widget&limit=x", "?by=first_widget&from=2026-02-30"):
        refused = client.get(BREAKDOWN + query, headers=admin_headers)
        assert refused.status_code == 422, query
    assert client.get(f"{BREAKDOWN}?by=first_widget").status_code == 401


def test_an_empty_shop_has_no_groups(client, admin_headers):
    assert client.get(f"{BREAKDOWN}?by=first_widget", headers=admin_headers).json["groups"] == []
