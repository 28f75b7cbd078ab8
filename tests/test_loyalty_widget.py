"""The server-rendered loyalty widget: the program for anyone, a signed-in shopper's own points, inert shop text."""

from __future__ import annotations

import html as markup
import re

import pytest
from flask import render_template_string

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'
PROGRAM = {
    "JOURNEYKIT_POINTS_PER_UNIT": 1,
    "JOURNEYKIT_POINTS_REVIEW": 25,
    "JOURNEYKIT_LOYALTY_REWARDS": [{"id": "5-off", "points": 100, "amount_off": 500, "currency": "usd"},
                                   {"id": "20-off", "points": 1000, "amount_off": 2000, "currency": "usd"}],
    "JOURNEYKIT_LOYALTY_TIERS": [{"name": "Silver", "points": 300, "bonus_percent": 10},
                                 {"name": "Gold", "points": 2000, "bonus_percent": 25}],
    "JOURNEYKIT_LOYALTY_SIGNUP_URL": "https://shop.example/join?from=points&x=<y>",
}
FRAGMENT = "/journeykit/widgets/loyalty"


@pytest.fixture
def shop(shop_factory):
    """A shop with a program, making its own codes (no Stripe)."""
    app, db, journey = shop_factory(PROGRAM)
    journey.loyalty.code_maker(lambda customer_id, reward, *, key, expires_at: f"SHOP-{customer_id}-{len(key)}")
    return app, db, journey


def _text(html: str) -> str:
    """The words a reader sees, tags dropped and spaces squeezed."""
    return markup.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip())


def test_an_anonymous_visitor_sees_the_program_and_a_call_to_join(app, client):
    html = client.get(FRAGMENT).get_data(as_text=True)
    text = _text(html)
    assert '<section class="journeykit-loyalty-card" aria-label="Rewards for our customers">' in html
    assert "1 point for every 1 unit of the order's currency you spend" in text
    assert "25 points for each review you write that we publish" in text
    assert "5.00 USD off 100 points" in text and "20.00 USD off 1,000 points" in text
    assert "Silver from 300 points earned, 10% more points on orders" in text
    assert '<a href="https://shop.example/join?from=points&amp;x=&lt;y&gt;">Join and start earning</a>' in html
    assert "<button" not in html and "Your points" not in html and "progressbar" not in html

    app.config["JOURNEYKIT_LOYALTY_SIGNUP_URL"] = None
    html = client.get(FRAGMENT).get_data(as_text=True)
    assert "<a " not in html and "Create an account to start earning." in html


def test_a_signed_in_shopper_sees_balance_tier_rewards_codes_and_history(app, client, journey, shopper):
    with app.app_context():
        journey.loyalty.award("c-1", 150, "Came to our summer party", key="party")
        journey.loyalty.award("c-1", 40, HOSTILE, key="hostile")
    headers = shopper("c-1")
    made = client.post("/journeykit/api/v1/me/loyalty/redemptions", json={"reward": "5-off", "key": "k-1"}, headers=headers)
    assert made.status_code == 201, made.json
    html = client.get(FRAGMENT, headers=headers).get_data(as_text=True)
    text = _text(html)
    assert 'aria-label="Your points" data-signed-in>' in html
    assert "Your points 90 points 90 ready to spend" in text
    assert "Tier: Member" in text
    meter = re.search(r'<div class="journeykit-meter" role="progressbar"([^>]*)>', html).group(1)
    assert 'aria-label="Progress to Silver"' in meter and 'aria-valuemax="100"' in meter and 'aria-valuenow="63"' in meter
    assert 'aria-valuetext="110 points more to reach Silver"' in meter and "110 points more to reach Silver" in text
    # Both rewards cost more than the 90 points left: each button is disabled, the reason beside it.
    buttons = re.findall(r"<button[^>]*>Redeem</button>", html)
    assert len(buttons) == 2 and all(" disabled " in button for button in buttons)
    assert 'aria-label="Redeem 100 points for 5.00 USD off" disabled aria-describedby="journeykit-loyalty-1-why-1"' in html
    assert '<span class="journeykit-why journeykit-muted" id="journeykit-loyalty-1-why-1">You need 10 points more</span>' in html
    assert "SHOP-c-1-3 5.00 USD off Ready to use, until" in text
    history = re.findall(r'<li><span class="journeykit-delta">(.*?)</span> <span>(.*?)</span>', html)
    assert history == [("−100", "Turned into a code for 5.00 USD off"), ("+40", HOSTILE.replace("<", "&lt;").replace(">", "&gt;")
                       .replace('"', "&#34;")), ("+150", "Came to our summer party")]
    assert "<script>" not in html and "<img" not in html


def test_an_affordable_reward_has_a_live_button(app, client, journey, shopper):
    with app.app_context():
        journey.loyalty.award("c-2", 120, "Thanks", key="t")
    html = client.get(FRAGMENT, headers=shopper("c-2")).get_data(as_text=True)
    first, second = re.findall(r"<li data-reward=.*?</li>", html, re.S)
    assert 'data-reward="5-off" data-points="100"' in first and "disabled" not in first and "hidden" in first
    assert "disabled" in second and "You need 880 points more" in _text(second)


def test_the_shops_own_page_knows_its_signed_in_shopper_and_works_without_javascript(app, journey):
    journey.customer_loader(lambda: ("c-3", "c3@example.com", "Cleo"))
    with app.app_context():
        journey.loyalty.award("c-3", 2500, "Imported from the old shop", key="old")
    with app.test_request_context():
        html = render_template_string("{{ journeykit.loyalty() }}")
    text = _text(html)
    assert "Your points 2,500 points 2,500 ready to spend" in text and "Tier: Gold" in text
    assert "You are in our top tier." in text and "progressbar" not in html
    assert "<noscript><p class=\"journeykit-muted\">Redeeming a reward needs JavaScript turned on.</p></noscript>" in html
    assert "None yet." in text and "+2,500 Imported from the old shop" in text
    assert html.count('rel="stylesheet"') == 1  # the final layout comes with its styles, no script needed


def test_a_shopper_journeykit_has_not_met_gets_their_record_and_welcome_points(shop_factory):
    app, _, journey = shop_factory({**PROGRAM, "JOURNEYKIT_POINTS_SIGNUP": 50})
    journey.customer_loader(lambda: ("new-1", "new@example.com"))
    with app.test_request_context():
        html = render_template_string("{{ journeykit.loyalty() }}")
    assert "+50 Welcome points" in _text(html)
    with app.app_context():
        assert journey.loyalty.balance("new-1") == 50  # committed, not just shown


def test_the_fragment_is_private_and_refuses_a_tampered_token(client, shopper):
    anonymous = client.get(FRAGMENT)
    assert anonymous.status_code == 200 and anonymous.headers["Cache-Control"] == "private, no-store"
    tampered = client.get(FRAGMENT, headers={"X-JourneyKit-Customer": shopper("c-1")["X-JourneyKit-Customer"] + "x"})
    assert tampered.status_code == 401
