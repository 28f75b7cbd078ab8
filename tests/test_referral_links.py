"""The referral link ``/journeykit/r/<code>``: a click once per visitor and day, bots ignored, the last click wins
within its window, a plain landing for anything else, never another site; ``checkout_params`` carries the code."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from journeykit.core.db import utcnow
from journeykit.models import Attribution, ClickDay, JourneyEvent, Referral, ReferralCode, ReferralStatus
from journeykit.referrals import codes, links
from journeykit.testing import StripeEvents, deliver

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"
COOKIE = "journeykit_visitor"


def follow(client, code: str, *, user_agent: str = BROWSER):
    return client.get(f"/journeykit/r/{code}", headers={"User-Agent": user_agent})


def make_code(app, journey, customer: str = "c-ann") -> str:
    with app.app_context():
        return journey.referrals.code_for(customer)


def visitor_of(client) -> str:
    return client.get_cookie(COOKIE).value


def clicks(app) -> list[tuple[str, str]]:
    with app.app_context():
        db = app.extensions["sqlalchemy"].session
        return [(event.visitor_id, event.properties["referral_code"])
                for event in db.scalars(sa.select(JourneyEvent).where(JourneyEvent.name == "referral_clicked"))]


def attributions(app) -> dict[str, str]:
    with app.app_context():
        db = app.extensions["sqlalchemy"].session
        return dict(db.execute(sa.select(Attribution.visitor_id, ReferralCode.code)
                               .join(ReferralCode, ReferralCode.id == Attribution.code_id)).all())


def test_a_click_lands_on_the_shop_with_the_code_and_counts_once_per_visitor_and_day(app, journey):
    code = make_code(app, journey)
    ann, bob = app.test_client(), app.test_client()
    first = follow(ann, code.lower())
    assert first.status_code == 302 and first.headers["Location"] == f"/?ref={code}"
    assert first.headers["Cache-Control"] == "no-store"
    cookie = ann.get_cookie(COOKIE)
    assert cookie.http_only and len(cookie.value) >= 16
    follow(ann, code)  # again the same day: the same visitor, not counted twice
    follow(bob, code)
    assert sorted(clicks(app)) == sorted([(visitor_of(ann), code), (visitor_of(bob), code)])
    assert attributions(app) == {visitor_of(ann): code, visitor_of(bob): code}
    with app.app_context():
        db = app.extensions["sqlalchemy"].session
        row = codes.find(code)
        links.click(row, visitor_of(ann), at=utcnow() + dt.timedelta(days=1))  # tomorrow counts again
        db.commit()
        assert db.scalar(sa.select(sa.func.sum(ClickDay.clicks))) == 3
    assert len(clicks(app)) == 3


@pytest.mark.parametrize("user_agent", ["Googlebot/2.1 (+http://www.google.com/bot.html)", "facebookexternalhit/1.1",
                                        "WhatsApp/2.23.20.0", ""])
def test_bots_and_link_previews_land_without_a_click_or_attribution(app, journey, user_agent):
    code = make_code(app, journey)
    landed = follow(app.test_client(), code, user_agent=user_agent)
    assert landed.status_code == 302 and landed.headers["Location"] == f"/?ref={code}"
    assert clicks(app) == [] and attributions(app) == {}


def test_the_last_click_wins(app, journey):
    ann_code, bob_code = make_code(app, journey, "c-ann"), make_code(app, journey, "c-bob")
    friend = app.test_client()
    follow(friend, ann_code)
    follow(friend, bob_code)
    assert attributions(app) == {visitor_of(friend): bob_code}
    with app.app_context():
        assert links.attributed_code(visitor_of(friend)) == bob_code
        assert journey.referrals.attributed_code(visitor_of(friend)) == bob_code


def test_an_unknown_or_disabled_code_lands_without_the_code_or_attribution(app, db, journey):
    code = make_code(app, journey)
    with app.app_context():
        codes.set_disabled(codes.find(code), True)
        db.session.commit()
    for text in (code, "NOSUCHCODE", "abc"):
        landed = follow(app.test_client(), text)
        assert landed.status_code == 302 and landed.headers["Location"] == "/"
    assert clicks(app) == [] and attributions(app) == {}


HOSTILE = ["//evil.example", "https://evil.example/", "%2F%2Fevil.example", "..%2F..%2Fadmin", "%5Cevil.example",
           "\\\\evil.example", "@evil.example", "A" * 5000, "ÅÄÖ-ЖЖ", "%F0%9F%98%80", "%ZZ", "a/b/c", "%0d%0aSet-Cookie:x=1",
           "CODE?next=https://evil.example", "%00", "..", "%E2%80%AE"]


@pytest.mark.parametrize("text", HOSTILE)
def test_no_code_of_any_length_or_alphabet_errs_or_leaves_the_site(app, journey, text):
    make_code(app, journey)
    response = app.test_client().get(f"/journeykit/r/{text}", headers={"User-Agent": BROWSER})
    assert response.status_code < 500
    if response.status_code in (301, 302, 303, 307, 308):
        location = urlsplit(response.headers["Location"])
        assert (location.scheme, location.netloc) in (("", ""), ("http", "localhost"))
        assert not response.headers["Location"].startswith("//")
        assert location.path == "/" or location.path.startswith("/journeykit/r/")  # werkzeug merges the slashes
    assert attributions(app) == {}


def test_the_landing_path_is_the_shops_and_keeps_its_query(shop_factory):
    app, _, journey = shop_factory({"JOURNEYKIT_REFERRAL_LANDING_PATH": "/welcome?utm_source=referral"})
    code = make_code(app, journey)
    assert follow(app.test_client(), code).headers["Location"] == f"/welcome?utm_source=referral&ref={code}"
    assert follow(app.test_client(), "nope").headers["Location"] == "/welcome?utm_source=referral"


@pytest.mark.parametrize("path", ["//evil.example", "https://evil.example", "/\\evil.example", "\\\\evil.example",
                                  "welcome", "/\t/evil.example", "/a b", "", None, 5, "javascript:alert(1)"])
def test_a_landing_path_that_could_leave_the_site_is_refused_at_start(shop_factory, path):
    with pytest.raises(ValueError, match="JOURNEYKIT_REFERRAL_LANDING_PATH"):
        shop_factory({"JOURNEYKIT_REFERRAL_LANDING_PATH": path})


@pytest.mark.parametrize("days", [0, -1, 3651, "30", 1.5, True, None])
def test_the_attribution_window_is_checked_at_start(shop_factory, days):
    with pytest.raises(ValueError, match="JOURNEYKIT_REFERRAL_ATTRIBUTION_DAYS"):
        shop_factory({"JOURNEYKIT_REFERRAL_ATTRIBUTION_DAYS": days})


def _purchase_at(app, moment: dt.datetime, visitor: str, customer: str) -> str:
    """A paid checkout of the visitor dated ``moment`` by Stripe, delivered now; its session id."""
    events = StripeEvents(clock=lambda: moment.timestamp())
    event = events.checkout_completed(customer_id=customer, email=f"{customer}@example.com", visitor_id=visitor)
    assert deliver(app.test_client(), event, secret="whsec_test_secret").status_code == 200
    return event["data"]["object"]["id"]


def test_a_purchase_counts_until_the_window_closes_and_not_a_second_after(shop_factory):
    app, db, journey = shop_factory({"JOURNEYKIT_REFERRAL_ATTRIBUTION_DAYS": 7})
    code = make_code(app, journey)
    clicked = (utcnow() - dt.timedelta(days=10)).replace(microsecond=0)
    inside, outside = "visitor-inside-0000001", "visitor-outside-000001"
    with app.app_context():
        for visitor in (inside, outside):
            links.click(codes.find(code), visitor, at=clicked)
        db.session.commit()
    end = clicked + dt.timedelta(days=7)
    counted = _purchase_at(app, end - dt.timedelta(seconds=1), inside, "c-friend-1")
    late = _purchase_at(app, end + dt.timedelta(seconds=1), outside, "c-friend-2")
    with app.app_context():
        found = dict(db.session.execute(sa.select(Referral.checkout_session_id, Referral.status)).all())
    assert found == {counted: ReferralStatus.REWARDED}
    assert late not in found


def test_checkout_params_carry_the_attributed_code_unless_the_shop_names_one(app, journey):
    code = make_code(app, journey)
    friend = app.test_client()
    follow(friend, code)
    visitor = visitor_of(friend)
    with app.test_request_context(headers={"Cookie": f"{COOKIE}={visitor}"}):
        metadata = journey.checkout_params(products=["sku-1"])["metadata"]
        assert (metadata["journeykit_referral"], metadata["journeykit_visitor"]) == (code, visitor)
        assert journey.checkout_params(referral_code="SHOPS-OWN")["metadata"]["journeykit_referral"] == "SHOPS-OWN"
        assert "discounts" not in journey.checkout_params()  # no friend's reward configured
        assert "journeykit_referral" not in journey.checkout_params(customer_id="c-ann").get("metadata", {})
    with app.test_request_context():
        assert "journeykit_referral" not in journey.checkout_params(visitor_id="visitor-never-referred").get("metadata", {})


def test_checkout_params_give_the_friend_their_discount_as_a_first_time_promotion_code(shop_factory, fake_stripe):
    app, _, journey = shop_factory({"JOURNEYKIT_STRIPE_API_KEY": "sk_test_fake", "JOURNEYKIT_STRIPE_API_BASE": fake_stripe.url,
                                    "JOURNEYKIT_REFERRAL_FRIEND_REWARD": {"amount_off": 500, "currency": "usd"}})
    code = make_code(app, journey)
    friend = app.test_client()
    follow(friend, code)
    with app.test_request_context(headers={"Cookie": f"{COOKIE}={visitor_of(friend)}"}):
        first = journey.checkout_params(products=["sku-1"])
        again = journey.checkout_params(products=["sku-1"])
    [promotion] = fake_stripe.promotion_codes.values()
    assert first["discounts"] == again["discounts"] == [{"promotion_code": promotion["id"]}]
    assert first["metadata"]["journeykit_referral"] == code
    assert promotion["code"] == code
    with app.test_request_context():
        assert "discounts" not in journey.checkout_params(products=["sku-1"])  # nobody referred this visitor


def test_a_click_from_the_shops_history_is_recorded_back_dated(app, journey):
    code = make_code(app, journey)
    visitor, when = "v" * 24, utcnow() - dt.timedelta(days=40)
    with app.app_context():
        assert journey.referrals.record_click(code.lower(), visitor, at=when) is True
        assert journey.referrals.record_click("NOPE2345", visitor, at=when) is False
        assert journey.referrals.record_click(code, "not a visitor id", at=when) is False
        db = app.extensions["sqlalchemy"].session
        event = db.scalars(sa.select(JourneyEvent).where(JourneyEvent.name == "referral_clicked")).one()
        assert (event.visitor_id, event.occurred_at) == (visitor, when)
        # The 30-day window ran from the click: open 20 days after it, closed now.
        assert journey.referrals.attributed_code(visitor, when + dt.timedelta(days=20)) == code
        assert journey.referrals.attributed_code(visitor) is None
