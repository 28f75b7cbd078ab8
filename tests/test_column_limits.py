"""Text one character over what its column holds, through every path that writes it.

SQLite stores anything; PostgreSQL refuses the whole transaction. So each
path must refuse the value up front (the shop's own calls: ValueError; the
API: a 4xx naming the field) or, where the news must be kept anyway (Stripe's
webhook, a shop's customer loader), leave the value out or cut it to fit.
A new text column fails :func:`test_every_text_column_has_its_paths` until
its paths are listed here.
"""

from __future__ import annotations

from typing import Any, Callable

import pytest
import sqlalchemy as sa

from journeykit import models as jk
from journeykit.core.db import metadata
from journeykit.core.limits import length
from journeykit.loyalty import MAX_KEY
from journeykit.models import (
    Customer,
    Order,
    OrderItem,
    Person,
    PointsEntry,
    Review,
    ReviewVote,
    WebhookEndpoint,
)

from .conftest import ADMIN_KEY

ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}
API = "/journeykit/api/v1"
VISITOR = "visitor-0123456789ab"

#: Columns written only from values JourneyKit makes itself, and from where.
INTERNAL = {
    "journeykit_stripe_events.event_id": "Stripe's event id, refused over 200 characters by the webhook",
    "journeykit_stripe_events.type": "Stripe's event type, cut to 100 characters when stored",
    "journeykit_stripe_events.object_ref": "Stripe's payment intent id, refused over 200 characters by the webhook",
    "journeykit_orders.checkout_session_id": "Stripe's session id, refused over 200 characters by the webhook",
    "journeykit_orders.payment_intent_id": "Stripe's payment intent id, refused over 200 characters by the webhook",
    "journeykit_orders.currency": "Stripe's ISO 4217 code, refused unless three letters by the webhook",
    "journeykit_journey_events.source": "server, browser or stripe",
    "journeykit_journey_events.dedupe_key": "a prefix and an id refused over 200 characters",
    "journeykit_people.visitor_id": "a visitor id already stored",
    "journeykit_webhook_endpoints.secret_seed": "secrets.token_hex",
    "journeykit_webhook_deliveries.event_id": "evt_ and a random hex id",
    "journeykit_webhook_deliveries.event_type": "a type of the catalogue",
    "journeykit_webhook_deliveries.last_error": "cut to 500 characters",
    "journeykit_webhook_attempts.error": "cut to 500 characters",
    "journeykit_webhook_attempts.response_excerpt": "the first 300 bytes of the answer",
    "journeykit_review_photos.storage_key": "a random key",
    "journeykit_review_photos.content_type": "one of three image types",
    "journeykit_reviews.imported_from": "the name of an import format",
    "journeykit_audit_log.action": "an action name of JourneyKit's own",
    "journeykit_audit_log.target": "a kind of thing and an id, each already stored",
    "journeykit_points_entries.source_type": "a kind of source of JourneyKit's own: order, award, review, referral…",
    "journeykit_points_entries.source_id": "Stripe's session id, an award's key or a referral id, each refused over 200 "
                                           "characters; a review's or customer's id; a year",
    "journeykit_points_balances.tier": "a tier name of JOURNEYKIT_LOYALTY_TIERS, refused over 40 characters at start",
    "journeykit_read_versions.scope": "a scope name of read_cache and a product id already stored (255 at most)",
    "journeykit_settings.key": "a config key of config_checks.SETTINGS, named by the admin's settings groups; any other name "
                               "is refused (422)",
    "journeykit_referral_codes.friend_reward_key": "a digest JourneyKit derives of the friend's reward (16 hex digits)",
    "journeykit_loyalty_redemptions.currency": "a currency of JOURNEYKIT_LOYALTY_REWARDS, three letters checked at start",
    "journeykit_loyalty_redemptions.stripe_promotion_code_id": "Stripe's promo_ id, as Stripe answered it",
    "journeykit_loyalty_redemptions.stripe_coupon_id": "Stripe's coupon id, as Stripe answered it",
    "journeykit_referral_codes.flag_reason": "JourneyKit's own words for a spike of clicks (referrals.spikes), fitted",
    "journeykit_referral_codes.stripe_promotion_code_id": "Stripe's promo_ id, as Stripe answered it",
    "journeykit_referrals.referrer_coupon_code": "a code JourneyKit derives (JK-R and 10 letters)",
    "journeykit_referrals.decided_by": "the owner who decided (the admin's actor), cut to fit by referrals.rewards",
    "journeykit_referrals.referrer_promotion_code_id": "Stripe's promo_ id, as Stripe answered it",
    "journeykit_referral_codes.code": "8 letters made by referrals.codes, or a vanity code refused (422) unless 4 to 32 "
                                      "of A-Z, 0-9 and hyphens",
    "journeykit_referral_attributions.visitor_id": "a visitor id from the cookie, checked (16 to 64 characters) or made",
    "journeykit_referral_clicks.visitor_id": "a visitor id from the cookie, checked (16 to 64 characters) or made",
    "journeykit_referrals.checkout_session_id": "an order's session id, already stored",
    "journeykit_referrals.code_text": "a checkout's code, already stored in journeykit_orders.referral_code (64), cut to fit",
    "journeykit_referrals.currency": "an order's currency, already stored",
}


def over(column: str, *, alphabet: str = "x") -> str:
    """One character more than ``column`` holds."""
    return alphabet * (length(column) + 1)


def _refused(response: Any, status: int, field: str | None = None) -> None:
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    if field is not None:
        assert field in response.json["error"]["fields"], response.json


def _count(db: Any, model: Any) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


# -- the paths, one function each: (app, client, db, journey, deliver_stripe_event, stripe_events) -----------


def customer_id_in_checkout_params(ctx: Any) -> None:
    with ctx.app.test_request_context():
        with pytest.raises(ValueError, match="customer_id"):
            ctx.journey.checkout_params(customer_id=over("journeykit_customers.shop_customer_id"))


def customer_id_in_a_token(ctx: Any) -> None:
    with ctx.app.test_request_context():
        with pytest.raises(ValueError, match="customer_id"):
            ctx.journey.customer_token(over("journeykit_customers.shop_customer_id"))


def customer_id_in_track(ctx: Any) -> None:
    with ctx.app.app_context():
        with pytest.raises(ValueError, match="customer id"):
            ctx.journey.track("page_viewed", customer_id=over("journeykit_customers.shop_customer_id"))
    assert _count(ctx.db, Customer) == 0


def reason_and_key_of_an_award(ctx: Any) -> None:
    """A shop's award with a reason or key longer than the ledger keeps is refused, whole; at the limit it is kept."""
    reason, key = "r" * length("journeykit_points_entries.description"), "k" * MAX_KEY
    with ctx.app.app_context():
        for too_long in ({"reason": reason + "r", "key": key}, {"reason": reason, "key": key + "k"}):
            with pytest.raises(ValueError, match="must be a text"):
                ctx.journey.loyalty.award("c-1", 5, **too_long)
        assert _count(ctx.db, PointsEntry) == 0
        assert ctx.journey.loyalty.award("c-1", 5, reason, key=key) == 5


def customer_id_from_the_loader(ctx: Any) -> None:
    ctx.journey.customer_loader(lambda: (over("journeykit_customers.shop_customer_id"), "a@example.com"))
    _refused(ctx.client.get(f"{API}/me/loyalty"), 400)
    assert _count(ctx.db, Customer) == 0


def customer_id_as_the_client_reference(ctx: Any) -> None:
    event = ctx.stripe_events.checkout_completed(customer_id=None, email="guest@example.com")
    event["data"]["object"]["client_reference_id"] = over("journeykit_customers.shop_customer_id")
    assert ctx.deliver(event).status_code == 200
    customer = ctx.db.session.scalars(sa.select(Customer)).one()
    assert (customer.shop_customer_id, customer.email) == (None, "guest@example.com")


def customer_id_in_an_import(ctx: Any) -> None:
    csv = "product_id,rating,title,body,author,email,customer_id,status\n" \
          f"sku-1,5,Hi,Lovely,Ann,ann@example.com,{over('journeykit_customers.shop_customer_id')},published\n"
    response = ctx.client.post(f"{API}/admin/reviews/import?format=journeykit", data=csv.encode(),
                               headers=ADMIN, content_type="text/csv")
    _refused(response, 422)
    assert _count(ctx.db, Review) == 0


def email_in_checkout_params(ctx: Any) -> None:
    with ctx.app.test_request_context():
        with pytest.raises(ValueError, match="email"):
            ctx.journey.checkout_params(email=over("journeykit_customers.email"))


def email_from_stripe(ctx: Any) -> None:
    event = ctx.stripe_events.checkout_completed(customer_id="c-mail")
    event["data"]["object"]["customer_details"]["email"] = over("journeykit_customers.email")
    assert ctx.deliver(event).status_code == 200
    assert ctx.db.session.scalars(sa.select(Customer.email)).one() is None


def email_in_a_token(ctx: Any) -> None:
    with ctx.app.test_request_context():
        token = ctx.journey.customer_token("c-token", email=over("journeykit_customers.email"))
    assert ctx.client.get(f"{API}/me/loyalty", headers={"X-JourneyKit-Customer": token}).status_code == 200
    assert ctx.db.session.scalars(sa.select(Customer.email)).one() is None


def name_from_stripe(ctx: Any) -> None:
    event = ctx.stripe_events.checkout_completed(customer_id="c-name")
    event["data"]["object"]["customer_details"]["name"] = over("journeykit_customers.name", alphabet="n")
    assert ctx.deliver(event).status_code == 200
    assert ctx.db.session.scalars(sa.select(Customer.name)).one() == "n" * length("journeykit_customers.name")


def name_in_a_token_signs_reviews(ctx: Any) -> None:
    with ctx.app.test_request_context():
        token = ctx.journey.customer_token("c-long-name", name=over("journeykit_customers.name", alphabet="n"))
    response = ctx.client.post(f"{API}/products/sku-1/reviews", json={"rating": 5, "body": "Lovely."},
                               headers={"X-JourneyKit-Customer": token})
    assert response.status_code == 201
    assert response.json["author"] == "n" * length("journeykit_reviews.author")


def stripe_customer_id_from_stripe(ctx: Any) -> None:
    event = ctx.stripe_events.checkout_completed(customer_id="c-stripe")
    event["data"]["object"]["customer"] = "cus_" + "x" * 190  # within Stripe's ids, over nothing: kept
    assert ctx.deliver(event).status_code == 200
    assert ctx.db.session.scalars(sa.select(Customer.stripe_customer_id)).one() == "cus_" + "x" * 190


def product_id_in_a_review(ctx: Any, headers: dict[str, str]) -> None:
    response = ctx.client.post(f"{API}/products/{over('journeykit_reviews.product_id')}/reviews",
                               json={"rating": 5, "body": "Lovely."}, headers=headers)
    _refused(response, 422)
    assert _count(ctx.db, Review) == 0


def product_id_in_checkout_params(ctx: Any) -> None:
    with ctx.app.test_request_context():
        with pytest.raises(ValueError, match="product id"):
            ctx.journey.checkout_params(products=[over("journeykit_order_items.product_id")])


def product_id_in_stripe_metadata(ctx: Any) -> None:
    event = ctx.stripe_events.checkout_completed(customer_id="c-prod", products=["sku-1"])
    event["data"]["object"]["metadata"]["journeykit_products"] = f"sku-1,{over('journeykit_order_items.product_id')}"
    assert ctx.deliver(event).status_code == 200
    assert ctx.db.session.scalars(sa.select(OrderItem.product_id)).all() == ["sku-1"]


def product_id_in_an_event(ctx: Any) -> None:
    response = ctx.client.post(f"{API}/events", json={"visitor_id": VISITOR, "events": [
        {"name": "product_viewed", "product_id": over("journeykit_journey_events.product_id")}]})
    _refused(response, 422)


def product_id_in_track(ctx: Any) -> None:
    with ctx.app.app_context():
        with pytest.raises(ValueError, match="product_id"):
            ctx.journey.track("product_viewed", visitor_id=VISITOR, product_id=over("journeykit_journey_events.product_id"))


def event_name(ctx: Any) -> None:
    response = ctx.client.post(f"{API}/events", json={"visitor_id": VISITOR, "events": [
        {"name": over("journeykit_journey_events.name", alphabet="a")}]})
    _refused(response, 422)


def visitor_id_in_an_event(ctx: Any) -> None:
    response = ctx.client.post(f"{API}/events", json={"visitor_id": over("journeykit_visitors.id", alphabet="v"),
                                                      "events": [{"name": "page_viewed"}]})
    _refused(response, 422, "visitor_id")


def visitor_id_in_checkout_params(ctx: Any) -> None:
    with ctx.app.test_request_context():
        with pytest.raises(ValueError, match="visitor_id"):
            ctx.journey.checkout_params(visitor_id=over("journeykit_orders.visitor_id", alphabet="v"))


def visitor_id_in_stripe_metadata(ctx: Any) -> None:
    event = ctx.stripe_events.checkout_completed(customer_id="c-visit")
    event["data"]["object"]["metadata"]["journeykit_visitor"] = over("journeykit_orders.visitor_id", alphabet="v")
    assert ctx.deliver(event).status_code == 200
    assert ctx.db.session.scalars(sa.select(Order.visitor_id)).one() is None


def referral_code_in_checkout_params(ctx: Any) -> None:
    with ctx.app.test_request_context():
        with pytest.raises(ValueError, match="referral_code"):
            ctx.journey.checkout_params(referral_code=over("journeykit_orders.referral_code"))


def referral_code_in_stripe_metadata(ctx: Any) -> None:
    event = ctx.stripe_events.checkout_completed(customer_id="c-ref")
    event["data"]["object"]["metadata"]["journeykit_referral"] = over("journeykit_orders.referral_code")
    assert ctx.deliver(event).status_code == 200
    assert ctx.db.session.scalars(sa.select(Order.referral_code)).one() is None


def long_labels_on_a_person(ctx: Any) -> None:
    """A widget name or a referral code in an event's properties is kept to the person's column."""
    response = ctx.client.post(f"{API}/events", json={"visitor_id": VISITOR, "events": [
        {"name": "widget_viewed", "properties": {"widget": over("journeykit_people.first_widget", alphabet="w")}},
        {"name": "referral_clicked", "properties": {"referral_code": over("journeykit_people.referral_code", alphabet="r")}},
    ]})
    assert response.status_code == 202
    person = ctx.db.session.scalars(sa.select(Person)).one()
    assert len(person.first_widget) == length("journeykit_people.first_widget")
    assert len(person.referral_code) == length("journeykit_people.referral_code")


def review_fields(ctx: Any, headers: dict[str, str]) -> None:
    for field, column in (("title", "journeykit_reviews.title"), ("author", "journeykit_reviews.author")):
        body = {"rating": 5, "body": "Lovely.", field: over(column)}
        _refused(ctx.client.post(f"{API}/products/sku-1/reviews", json=body, headers=headers), 422, field)
    assert _count(ctx.db, Review) == 0


def a_vote_by_a_long_customer_id(ctx: Any, headers: dict[str, str]) -> None:
    review = ctx.client.post(f"{API}/products/sku-1/reviews", json={"rating": 5, "body": "Lovely."}, headers=headers)
    ctx.client.post(f"{API}/admin/reviews/{review.json['id']}/publish", headers=ADMIN)
    with ctx.app.test_request_context():
        voter = {"X-JourneyKit-Customer": ctx.journey.customer_token("c" * length("journeykit_customers.shop_customer_id"))}
    for _ in range(2):
        assert ctx.client.post(f"{API}/reviews/{review.json['id']}/helpful", headers=voter).json["helpful"] == 1
    assert _count(ctx.db, ReviewVote) == 1


def fields_of_a_testimonial(ctx: Any) -> None:
    for field in ("name", "role", "company"):
        body = {"name": "Ann", "body": "Lovely shop.", "consent": True, field: over(f"journeykit_testimonials.{field}")}
        _refused(ctx.client.post(f"{API}/testimonials", json=body), 422, field)
    assert _count(ctx.db, jk.Testimonial) == 0


def tag_of_a_testimonial(ctx: Any) -> None:
    created = ctx.client.post(f"{API}/testimonials", json={"name": "Ann", "body": "Lovely shop.", "consent": True})
    tag = over("journeykit_testimonial_tags.tag", alphabet="t")
    response = ctx.client.patch(f"{API}/admin/testimonials/{created.json['id']}", json={"tags": [tag]}, headers=ADMIN)
    _refused(response, 422, "tags")


def webhook_endpoint_fields(ctx: Any) -> None:
    url = "https://hooks.example/" + "p" * length("journeykit_webhook_endpoints.url")
    _refused(ctx.client.post(f"{API}/admin/webhooks", json={"url": url}, headers=ADMIN), 422, "url")
    body = {"url": "https://hooks.example/in", "description": over("journeykit_webhook_endpoints.description")}
    _refused(ctx.client.post(f"{API}/admin/webhooks", json=body, headers=ADMIN), 422, "description")
    assert _count(ctx.db, WebhookEndpoint) == 0


def an_admin_named_at_length(ctx: Any) -> None:
    """The name a shop's admin_guard gives is cut to fit the audit log; so is a proxy's idea of the address."""
    ctx.journey.admin_guard(lambda: over("journeykit_audit_log.actor", alphabet="m"))
    created = ctx.client.post(f"{API}/testimonials", json={"name": "Ann", "body": "Lovely shop.", "consent": True})
    address = over("journeykit_audit_log.address", alphabet="9")
    response = ctx.client.post(f"{API}/admin/testimonials/{created.json['id']}/publish", environ_base={"REMOTE_ADDR": address})
    assert response.status_code == 200
    entry = ctx.client.get(f"{API}/admin/audit").json["items"][0]
    assert entry["actor"] == "m" * length("journeykit_audit_log.actor")
    assert entry["address"] == "9" * length("journeykit_audit_log.address")


def an_admin_named_at_length_adjusts_points(ctx: Any) -> None:
    """The owner's name on a manual adjustment is cut to fit, as in the audit log."""
    ctx.journey.admin_guard(lambda: over("journeykit_points_entries.actor", alphabet="m"))
    with ctx.app.app_context():
        ctx.journey.loyalty.award("c-1", 5, "Welcome", key="welcome")
    answer = ctx.client.post(f"{API}/admin/loyalty/customers/c-1/adjustments", json={"points": 3, "reason": "Sorry"})
    assert answer.status_code == 201, answer.json
    assert answer.json["history"][0]["actor"] == "m" * length("journeykit_points_entries.actor")


def key_reward_and_shop_code_of_a_redemption(ctx: Any, headers: dict[str, str]) -> None:
    """A shopper's key or reward over the limit is refused, whole; so is a shop's code over the column; at it, kept."""
    reward = "r" * length("journeykit_loyalty_redemptions.reward")
    ctx.app.config["JOURNEYKIT_LOYALTY_REWARDS"] = [{"id": reward, "points": 5, "amount_off": 100, "currency": "usd"}]
    code = over("journeykit_loyalty_redemptions.code", alphabet="C")
    ctx.journey.loyalty.code_maker(lambda customer_id, reward, *, key, expires_at: code)
    with ctx.app.app_context():
        ctx.journey.loyalty.award("c-writer", 50, "Welcome", key="welcome")
    path = f"{API}/me/loyalty/redemptions"
    _refused(ctx.client.post(path, json={"reward": reward + "r"}, headers=headers), 422, "reward")
    _refused(ctx.client.post(path, json={"reward": reward, "key": "k" * (MAX_KEY + 1)}, headers=headers), 422, "key")
    assert ctx.client.post(path, json={"reward": reward}, headers=headers).status_code == 503  # the shop's code too long
    assert _count(ctx.db, jk.Redemption) == 0
    code = code[1:]
    made = ctx.client.post(path, json={"reward": reward, "key": "k" * MAX_KEY}, headers=headers)
    assert made.status_code == 201 and made.json["code"] == code


def an_admin_named_at_length_changes_the_rules(ctx: Any) -> None:
    """The owner's name on a changed earning rule is cut to fit, as in the audit log."""
    ctx.journey.admin_guard(lambda: over("journeykit_settings.updated_by", alphabet="m"))
    answer = ctx.client.put(f"{API}/admin/loyalty/rules", json={"signup": 5})
    assert answer.status_code == 200, answer.json
    signup = next(rule for rule in answer.json["rules"] if rule["name"] == "signup")
    assert signup["updated_by"] == "m" * length("journeykit_settings.updated_by")


#: Each text column a value from outside reaches, and every path that takes it there.
PATHS: dict[str, list[Callable[..., None]]] = {
    "journeykit_customers.shop_customer_id": [customer_id_in_checkout_params, customer_id_in_a_token, customer_id_in_track,
                                              customer_id_from_the_loader, customer_id_as_the_client_reference,
                                              customer_id_in_an_import],
    "journeykit_customers.email": [email_in_checkout_params, email_from_stripe, email_in_a_token],
    "journeykit_customers.name": [name_from_stripe, name_in_a_token_signs_reviews],
    "journeykit_customers.stripe_customer_id": [stripe_customer_id_from_stripe],
    "journeykit_product_ratings.product_id": [product_id_in_a_review],
    "journeykit_reviews.product_id": [product_id_in_a_review],
    "journeykit_order_items.product_id": [product_id_in_checkout_params, product_id_in_stripe_metadata],
    "journeykit_journey_events.product_id": [product_id_in_an_event, product_id_in_track],
    "journeykit_journey_events.name": [event_name],
    "journeykit_journey_events.visitor_id": [visitor_id_in_an_event],
    "journeykit_visitors.id": [visitor_id_in_an_event, visitor_id_in_stripe_metadata],
    "journeykit_orders.visitor_id": [visitor_id_in_checkout_params, visitor_id_in_stripe_metadata],
    "journeykit_orders.referral_code": [referral_code_in_checkout_params, referral_code_in_stripe_metadata],
    "journeykit_people.first_widget": [long_labels_on_a_person],
    "journeykit_people.referral_code": [long_labels_on_a_person],
    "journeykit_reviews.title": [review_fields],
    "journeykit_reviews.author": [review_fields, name_in_a_token_signs_reviews],
    "journeykit_review_votes.voter": [a_vote_by_a_long_customer_id],
    "journeykit_testimonials.name": [fields_of_a_testimonial],
    "journeykit_testimonials.role": [fields_of_a_testimonial],
    "journeykit_testimonials.company": [fields_of_a_testimonial],
    "journeykit_testimonial_tags.tag": [tag_of_a_testimonial],
    "journeykit_webhook_endpoints.url": [webhook_endpoint_fields],
    "journeykit_webhook_endpoints.description": [webhook_endpoint_fields],
    "journeykit_audit_log.actor": [an_admin_named_at_length],
    "journeykit_audit_log.address": [an_admin_named_at_length],
    "journeykit_points_entries.description": [reason_and_key_of_an_award],
    "journeykit_points_entries.key": [reason_and_key_of_an_award],
    "journeykit_points_entries.actor": [an_admin_named_at_length_adjusts_points],
    "journeykit_settings.updated_by": [an_admin_named_at_length_changes_the_rules],
    "journeykit_loyalty_redemptions.key": [key_reward_and_shop_code_of_a_redemption],
    "journeykit_loyalty_redemptions.reward": [key_reward_and_shop_code_of_a_redemption],
    "journeykit_loyalty_redemptions.code": [key_reward_and_shop_code_of_a_redemption],
}


def _text_columns() -> set[str]:
    return {
        f"{table.name}.{column.name}"
        for table in metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, sa.String) and not isinstance(column.type, sa.Enum) and column.type.length
    }


def test_every_text_column_has_its_paths() -> None:
    assert set(PATHS) | set(INTERNAL) == _text_columns()
    assert not set(PATHS) & set(INTERNAL)


class _Context:
    def __init__(self, app: Any, client: Any, db: Any, journey: Any, deliver_stripe_event: Any, stripe_events: Any):
        self.app, self.client, self.db, self.journey = app, client, db, journey
        self.deliver, self.stripe_events = deliver_stripe_event, stripe_events


_CASES = sorted({path for paths in PATHS.values() for path in paths}, key=lambda path: path.__name__)


@pytest.mark.parametrize("path", _CASES, ids=[path.__name__ for path in _CASES])
def test_one_over_the_limit_is_refused_or_fitted(path, app, client, db, journey, shopper, deliver_stripe_event, stripe_events):
    context = _Context(app, client, db, journey, deliver_stripe_event, stripe_events)
    if "headers" in path.__code__.co_varnames[: path.__code__.co_argcount]:
        path(context, shopper("c-writer"))
    else:
        path(context)
