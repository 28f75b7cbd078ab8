"""People and their stages: the rules (default and configured), late events, joins, and stage_changed."""

from __future__ import annotations

import itertools
import json

import pytest
import sqlalchemy as sa

from journeykit import Stage
from journeykit.core.db import session
from journeykit.journey.stage_rules import NO_REACH, Rules, advance, fold, week_of
from journeykit.models import JourneyEvent

from .people_helpers import check, day, join, log, person, stage_signals

VISITOR = "visitor-0123456789abcdef"
EVENTS = "/journeykit/api/v1/events"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
STORE = "https://store.example"


def _reached(row: dict) -> list:
    return [row[f"reached_{stage.value}_at"] for stage in Stage]


def test_each_default_rule_moves_a_visitor_and_a_non_buyers_review_is_consideration(app):
    with stage_signals() as received:
        log(app, "page_viewed", visitor=VISITOR, at=day(0))
        assert person(app, visitor=VISITOR)["stage"] is Stage.AWARENESS
        log(app, "widget_viewed", visitor=VISITOR, at=day(1), widget="reviews")
        log(app, "widget_viewed", visitor=VISITOR, at=day(1), widget="loyalty")
        log(app, "checkout_started", visitor=VISITOR, at=day(2))
        log(app, "review_published", visitor=VISITOR, at=day(3))  # not a buyer: no advocate, and no buyer either
    row = person(app, visitor=VISITOR)
    assert (row["stage"], row["first_widget"], row["paid_orders"]) == (Stage.CONSIDERATION, "reviews", 0)
    assert _reached(row) == [day(0), day(2), None, None, None]
    assert [(s["old"], s["new"], s["visitor_id"], s["customer_id"]) for s in received] == [
        (Stage.AWARENESS, Stage.CONSIDERATION, VISITOR, None),
    ]
    assert check(app) == 0


@pytest.mark.parametrize("name", ["review_published", "testimonial_published", "referral_converted"])
def test_a_non_buyers_advocacy_event_is_engagement(app, name):
    log(app, name, customer="c-1", at=day(1))
    row = person(app, customer="c-1")
    assert (row["stage"], _reached(row)) == (Stage.CONSIDERATION, [day(1), day(1), None, None, None])
    assert check(app) == 0


def test_a_one_time_buyer_who_reviews_is_an_advocate_and_not_retained(app):
    with stage_signals() as received:
        log(app, "purchase", customer="c-1", at=day(1), source="stripe")
        log(app, "review_published", customer="c-1", at=day(3))
        row = person(app, customer="c-1")
        assert (row["stage"], row["paid_orders"]) == (Stage.ADVOCACY, 1)
        assert _reached(row) == [day(1), day(1), day(1), None, day(3)]
        log(app, "purchase", customer="c-1", at=day(5), source="stripe")  # now retained too: still an advocate
    row = person(app, customer="c-1")
    assert (row["stage"], _reached(row)) == (Stage.ADVOCACY, [day(1), day(1), day(1), day(5), day(3)])
    assert [(s["old"], s["new"]) for s in received] == [(Stage.AWARENESS, Stage.PURCHASE), (Stage.PURCHASE, Stage.ADVOCACY)]
    assert check(app) == 0


@pytest.mark.parametrize("review_first", [True, False], ids=["review-arrives-first", "purchase-arrives-first"])
def test_a_review_published_before_the_first_paid_order_makes_an_advocate_at_that_order(app, review_first):
    """Whatever order the events arrive in (Stripe's are dated by Stripe): a buyer with a published review
    is an advocate from the moment both hold, their first paid order."""
    story = [("review_published", day(1), "server"), ("purchase", day(4), "stripe")]
    for name, at, source in story if review_first else reversed(story):
        log(app, name, customer="c-1", at=at, source=source)
    assert _reached(person(app, customer="c-1")) == [day(1), day(1), day(4), None, day(4)]
    log(app, "purchase", customer="c-1", at=day(2), source="stripe")  # an earlier order, delivered late
    assert _reached(person(app, customer="c-1")) == [day(1), day(1), day(2), day(4), day(2)]
    log(app, "testimonial_published", customer="c-1", at=day(0))  # an even earlier one changes nothing further
    row = person(app, customer="c-1")
    assert (row["stage"], _reached(row)) == (Stage.ADVOCACY, [day(0), day(0), day(2), day(4), day(2)])
    assert check(app) == 0


def test_a_late_first_purchase_moves_an_advocacy_pinned_to_the_old_one(app):
    log(app, "purchase", customer="c-1", at=day(5), source="stripe")
    log(app, "review_published", customer="c-1", at=day(6))
    log(app, "purchase", customer="c-1", at=day(2), source="stripe")  # advocacy came after both: it stays
    assert _reached(person(app, customer="c-1"))[2:] == [day(2), day(5), day(6)]
    log(app, "purchase", customer="c-2", at=day(5), source="stripe")
    log(app, "review_published", customer="c-2", at=day(3))  # before the purchase: pinned to it
    log(app, "purchase", customer="c-2", at=day(4), source="stripe")  # the pin moves to the earlier order
    assert _reached(person(app, customer="c-2"))[2:] == [day(4), day(5), day(4)]
    assert check(app) == 0


def test_purchases_and_retention_follow_the_configured_rules(shop_factory):
    app, _, journey = shop_factory({
        "JOURNEYKIT_STAGE_EVENTS": {"consideration": ["quiz_done"], "purchase": ["order_paid"]},
        "JOURNEYKIT_RETENTION_PURCHASES": 3,
    })
    log(app, "product_viewed", customer="c-1", at=day(0))
    assert person(app, customer="c-1")["stage"] is Stage.AWARENESS  # no longer a consideration event
    log(app, "quiz_done", customer="c-1", at=day(1))
    log(app, "purchase", customer="c-1", at=day(2), source="stripe")  # not a purchase here
    assert person(app, customer="c-1")["stage"] is Stage.CONSIDERATION
    for n in range(2):
        log(app, "order_paid", customer="c-1", at=day(3 + n))
    assert (person(app, customer="c-1")["stage"], person(app, customer="c-1")["paid_orders"]) == (Stage.PURCHASE, 2)
    log(app, "order_paid", customer="c-1", at=day(9))
    with app.app_context():
        assert journey.metrics.customer_stage("c-1") is Stage.RETENTION
        assert journey.metrics.customer_stage("nobody") is Stage.AWARENESS
    assert _reached(person(app, customer="c-1"))[2:4] == [day(3), day(9)]
    assert check(app) == 0


@pytest.mark.parametrize("retention", [1, 2, 3])
def test_each_purchase_moves_retention_as_the_whole_history_would_reading_it_only_when_the_reach_cannot_tell(retention):
    """Every order of five paid orders' times (two alike), one at a time: a regular customer's next order, no
    earlier than their Nth, reads no history; nor does a second order when two make a repeat customer."""
    rules = Rules.from_config({"JOURNEYKIT_RETENTION_PURCHASES": retention})
    times = [day(3), day(1), day(4), day(1), day(5)]
    for order in set(itertools.permutations(times)):
        reach, reads = NO_REACH, []
        for count, moment in enumerate(order, 1):
            history = [("purchase", "stripe", at, {}) for at in order[:count]]
            nth = fold(history, rules).reach[3]
            reach = advance(reach, "purchase", "stripe", moment, rules, paid_orders=count,
                            nth_purchase=lambda nth=nth: reads.append(count) or nth, first_advocacy=lambda: None)
            assert reach == fold(history, rules).reach, (order, count)
        assert all(count >= retention for count in reads), (order, reads)
        later = [count for count, moment in enumerate(order, 1)
                 if count > retention and moment >= sorted(order[:count - 1])[retention - 1]]
        assert not set(reads) & set(later), (order, reads)
        if retention == 2:
            assert 2 not in reads, (order, reads)


def test_bad_stage_rules_are_refused():
    with pytest.raises(ValueError, match="retension"):
        Rules.from_config({"JOURNEYKIT_STAGE_EVENTS": {"retension": ["x"]}})
    with pytest.raises(ValueError, match="RETENTION_PURCHASES"):
        Rules.from_config({"JOURNEYKIT_RETENTION_PURCHASES": 0})


def test_a_storefront_cannot_fake_a_purchase_or_a_review(shop_factory):
    app, _, _ = shop_factory({"JOURNEYKIT_ALLOWED_ORIGINS": [STORE]})
    body = {"visitor_id": VISITOR, "events": [{"name": "purchase"}, {"name": "review_published"}, {"name": "product_viewed"}]}
    response = app.test_client().post(
        EVENTS, data=json.dumps(body), content_type="text/plain", headers={"User-Agent": BROWSER, "Origin": STORE}
    )
    assert response.status_code == 202
    row = person(app, visitor=VISITOR)
    assert (row["stage"], row["paid_orders"]) == (Stage.CONSIDERATION, 0)


def test_late_events_move_reach_times_earlier_without_a_second_signal(app):
    with stage_signals() as received:
        log(app, "purchase", customer="c-1", at=day(5), source="stripe")
        log(app, "product_viewed", customer="c-1", at=day(1))  # arrives late: earlier than the purchase
        log(app, "purchase", customer="c-1", at=day(3), source="stripe")  # the second purchase, dated first
    row = person(app, customer="c-1")
    with app.app_context():
        created = session().scalar(sa.select(JourneyEvent.occurred_at).where(JourneyEvent.name == "customer_created"))
    assert _reached(row) == [day(1), day(1), day(3), day(5), None]
    assert row["stage"] is Stage.RETENTION and created > day(5)  # customer_created is "now", later than the story
    assert [(s["old"], s["new"]) for s in received] == [
        (Stage.AWARENESS, Stage.PURCHASE), (Stage.PURCHASE, Stage.RETENTION),
    ]
    assert check(app) == 0


def test_a_visitors_history_joins_the_customer_who_buys_through_stripe(app, stripe_events, deliver_stripe_event):
    with stage_signals() as received:
        log(app, "widget_viewed", visitor=VISITOR, at=day(0), widget="testimonials")
        log(app, "product_viewed", visitor=VISITOR, at=day(1))
        event = stripe_events.checkout_completed(customer_id="c-9", visitor_id=VISITOR)
        assert deliver_stripe_event(event).status_code == 200
        assert deliver_stripe_event(event).status_code == 200  # a duplicate delivery changes nothing
    assert person(app, visitor=VISITOR) is None
    row = person(app, customer="c-9")
    assert (row["stage"], row["paid_orders"], row["first_widget"]) == (Stage.PURCHASE, 1, "testimonials")
    assert _reached(row)[:2] == [day(0), day(1)]
    assert [(s["customer_id"], s["visitor_id"], s["old"], s["new"]) for s in received] == [
        (None, VISITOR, Stage.AWARENESS, Stage.CONSIDERATION),
        ("c-9", VISITOR, Stage.CONSIDERATION, Stage.PURCHASE),
    ]
    with app.app_context():
        from journeykit.models import Customer

        customer = session().scalars(sa.select(Customer).where(Customer.shop_customer_id == "c-9")).one()
        assert (customer.stage, customer.stage_changed_at) == (Stage.PURCHASE, row["reached_purchase_at"])
    assert check(app) == 0


def test_a_customer_first_seen_in_a_late_webhook_is_dated_by_stripe(app, deliver_stripe_event):
    """Stripe may deliver a purchase weeks late (or a replay brings it): the customer was seen when they paid."""
    from journeykit.testing import StripeEvents

    paid = StripeEvents(clock=lambda: day(0).timestamp()).checkout_completed(customer_id="c-late")
    assert deliver_stripe_event(paid).status_code == 200
    with app.app_context():
        created = session().scalars(sa.select(JourneyEvent).where(JourneyEvent.name == "customer_created")).one()
        assert created.occurred_at == day(0)
        [cohort] = app.extensions["journeykit"].journey.metrics.cohorts()
    assert cohort["size"] == 1 and cohort["week"] == week_of(day(0).date()).isoformat()
    assert [week["people"] for week in cohort["active"]] == [1]  # not active again in the week of delivery


def test_a_customer_token_joins_the_visitor_and_a_merge_signals_only_a_real_rise(shop_factory):
    app, _, journey = shop_factory({"JOURNEYKIT_ALLOWED_ORIGINS": [STORE]})
    log(app, "purchase", customer="c-3", at=day(0), source="stripe")  # bought signed in
    other = "visitor-fedcba9876543210"
    log(app, "purchase", visitor=other, at=day(2), source="stripe")  # bought as a guest on another device
    log(app, "page_viewed", visitor=VISITOR, at=day(1))
    with app.test_request_context():
        token = journey.customer_token("c-3")
    headers = {"User-Agent": BROWSER, "Origin": STORE}
    with stage_signals() as received:
        body = {"visitor_id": VISITOR, "customer_token": token, "events": [{"name": "page_viewed"}]}
        response = app.test_client().post(EVENTS, data=json.dumps(body), content_type="text/plain", headers=headers)
        assert response.status_code == 202
        assert received == []  # the visitor's awareness adds nothing to a buyer
        join(app, other, "c-3")
        join(app, other, "c-3")  # joined already: nothing happens twice
    assert person(app, visitor=VISITOR) is None and person(app, visitor=other) is None
    row = person(app, customer="c-3")
    assert (row["stage"], row["paid_orders"]) == (Stage.RETENTION, 2)
    assert _reached(row) == [day(0), day(0), day(0), day(2), None]
    assert [(s["customer_id"], s["visitor_id"], s["old"], s["new"]) for s in received] == [
        ("c-3", other, Stage.PURCHASE, Stage.RETENTION)
    ]
    assert check(app) == 0


def test_a_visitor_keeps_its_first_customer(app):
    log(app, "product_viewed", visitor=VISITOR, at=day(0))
    join(app, VISITOR, "c-1")
    log(app, "page_viewed", customer="c-2", visitor=VISITOR, at=day(1))  # a shared computer
    log(app, "page_viewed", visitor=VISITOR, at=day(9))  # belongs to c-1, who joined first
    assert person(app, customer="c-1")["stage"] is Stage.CONSIDERATION
    assert person(app, customer="c-2")["stage"] is Stage.AWARENESS
    assert day(7).date() in _weeks(app, "c-1") and day(7).date() not in _weeks(app, "c-2")
    assert check(app) == 0


def _weeks(app, customer: str) -> set:
    from journeykit.models import Customer, Person, PersonWeek

    with app.app_context():
        return set(session().scalars(
            sa.select(PersonWeek.week).join(Person, Person.id == PersonWeek.person_id)
            .join(Customer, Customer.id == Person.customer_id).where(Customer.shop_customer_id == customer)
        ))
