"""The demo shop's referrals: seeded through the link's own code path and the webhook over the demo's weeks, and a
friend's visit and first order."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask

from examples.demoshop import models as shop
from examples.demoshop.catalog import REFERRAL_CODES, REFERRERS
from journeykit import models as jk

from .demo_shop import BROWSER, completed_order, demo, form_token, rows, shop_customer, sign_in

__all__ = ["demo"]  # the fixture, imported for these tests


def test_seeded_referrals_went_through_the_link_and_the_webhook(demo: Flask) -> None:
    with demo.app_context():
        session = shop.db.session
        codes = {row.code: row for row in session.scalars(sa.select(jk.ReferralCode).where(jk.ReferralCode.vanity))}
        rewarded = session.scalars(sa.select(jk.Referral).where(jk.Referral.status == jk.ReferralStatus.REWARDED)).all()
        clicks = session.scalar(sa.select(sa.func.count()).select_from(jk.JourneyEvent)
                                .where(jk.JourneyEvent.name == "referral_clicked"))
        owners = {code: session.get(jk.Customer, row.customer_id).email for code, row in codes.items()}
        brought = {code: len([r for r in rewarded if r.code_id == row.id]) for code, row in codes.items()}
    assert owners == REFERRERS  # the owner's vanity codes, on the customers the catalogue names
    assert rewarded and clicks >= len(REFERRAL_CODES)  # real clicks of the link; real conversions of friends' first orders
    # Friends came over the demo's weeks, each buying after their click, not all on the day of the seed.
    days = {referral.created_at.date() for referral in rewarded}
    assert len(days) >= 3, days
    code, count = max(brought.items(), key=lambda item: item[1])
    referrer = shop_customer(demo, REFERRERS[code])
    client = demo.test_client()
    sign_in(client, referrer)
    account = client.get("/account").get_data(as_text=True)
    assert f'value="http://localhost/journeykit/r/{code}"' in account  # the referrer's widget: their link to copy
    assert f"<dt>Friends who bought</dt><dd>{count}</dd>" in account
    assert f"<dt>Rewards earned</dt><dd>{100 * count} points</dd>" in account  # JOURNEYKIT_POINTS_REFERRAL each
    assert "Give your friends 5.00 USD off their first order, and get 100 points for each friend who buys." in account


def test_a_friend_follows_a_link_sees_the_offer_and_their_order_rewards_the_referrer(demo: Flask) -> None:
    referrer = shop_customer(demo, REFERRERS["AMARA-FRIENDS"])
    journey = demo.extensions["journeykit"].journey
    with demo.app_context():
        before = journey.loyalty.balance(referrer.id)
    friend = demo.test_client()
    landed = friend.get("/journeykit/r/amara-friends", headers={"User-Agent": BROWSER})
    assert landed.status_code == 302 and landed.headers["Location"] == "/?ref=AMARA-FRIENDS"
    home = friend.get(landed.headers["Location"], headers={"User-Agent": BROWSER}).get_data(as_text=True)
    assert "Welcome, friend!" in home and "You get 5.00 USD off your first order" in home
    assert 'aria-label="Refer a friend"' in home and '<a href="/signin">Join to get your link</a>' in home
    assert "Welcome, friend!" not in demo.test_client().get("/").get_data(as_text=True)  # nobody sent this visitor

    token = form_token(friend, "/products/mug-stoneware")
    assert "Welcome, friend!" in friend.get("/products/mug-stoneware").get_data(as_text=True)  # every page while attributed
    friend.post("/cart", data={"sku": "mug-stoneware", "quantity": "1", "add": "1", "csrf_token": token})
    mug = rows(demo, sa.select(shop.Product.price_cents).where(shop.Product.sku == "mug-stoneware"))[0]
    checkout = friend.get("/checkout").get_data(as_text=True)
    assert "Your friend's discount (first order)" in checkout and f"Pay ${(mug - 500) // 100}.{mug % 100:02d}" in checkout
    paid = friend.post("/checkout", data={"csrf_token": token, "name": "Noor Haddad", "email": "noor.haddad@example.net"})
    complete = friend.get(paid.headers["Location"]).get_data(as_text=True)
    assert "Your friend's discount" in complete and "−$5.00" in complete
    with demo.app_context():
        assert journey.loyalty.balance(referrer.id) == before + 100  # the friend's first order, through the webhook
        order = shop.db.session.get(shop.Order, completed_order(paid))
        assert (order.status, order.total_cents) == ("paid", mug - 500)

    # A made-up ?ref= takes nothing off, and a second order of the same friend is not a first order.
    forger = demo.test_client()
    forger.get("/?ref=FREE-MONEY", headers={"User-Agent": BROWSER})
    token = form_token(forger, "/products/mug-stoneware")
    forger.post("/cart", data={"sku": "mug-stoneware", "quantity": "1", "add": "1", "csrf_token": token})
    assert "Your friend's discount" not in forger.get("/checkout").get_data(as_text=True)
    token = form_token(friend, "/products/mug-stoneware")
    friend.post("/cart", data={"sku": "mug-stoneware", "quantity": "1", "add": "1", "csrf_token": token})
    again = friend.post("/checkout", data={"csrf_token": token, "name": "Noor Haddad", "email": "noor.haddad@example.net"})
    with demo.app_context():
        assert shop.db.session.get(shop.Order, completed_order(again)).total_cents == mug
        assert journey.loyalty.balance(referrer.id) == before + 100
