"""The server-rendered referral widget and the friend's banner: the offer, a shopper's own link and figures, inert text."""

from __future__ import annotations

import html as markup
import pathlib
import re
import shutil
import subprocess
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import render_template_string

from journeykit.testing import deliver

OFFER = {
    "JOURNEYKIT_POINTS_REFERRAL": 100,
    "JOURNEYKIT_REFERRAL_FRIEND_REWARD": {"amount_off": 500, "currency": "usd"},
    "JOURNEYKIT_LOYALTY_SIGNUP_URL": "https://shop.example/join?from=friends&x=<y>",
}
FRAGMENT = "/journeykit/widgets/referral"
#: A browser's user agent: the test client's own is taken for a script, whose clicks are not counted.
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
STATIC = pathlib.Path(__file__).resolve().parents[1] / "widgets" / "static" / "journeykit"


@pytest.fixture
def shop(shop_factory):
    return shop_factory(OFFER)


def _text(html: str) -> str:
    """The words a reader sees, tags dropped and spaces squeezed."""
    return markup.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip())


def _code(app, journey, customer_id: str) -> str:
    with app.app_context():
        return journey.referrals.code_for(customer_id)


def _shares(html: str) -> dict[str, str]:
    """Each share link's accessible name → its href, unescaped."""
    return {name: markup.unescape(href) for href, name in
            re.findall(r'<a href="([^"]+)" aria-label="([^"]+)"', html)}


def test_an_anonymous_visitor_sees_the_offer_and_a_call_to_join(app, client):
    html = client.get(FRAGMENT).get_data(as_text=True)
    text = _text(html)
    assert '<section class="journeykit-referral-card" aria-label="Refer a friend">' in html
    assert "Give your friends 5.00 USD off their first order, and get 100 points for each friend who buys." in text
    assert '<a href="https://shop.example/join?from=friends&amp;x=&lt;y&gt;">Join to get your link</a>' in html
    assert "<input" not in html and "<button" not in html and "data-signed-in" not in html

    app.config.update(JOURNEYKIT_LOYALTY_SIGNUP_URL=None, JOURNEYKIT_POINTS_REFERRAL=0,
                      JOURNEYKIT_REFERRAL_REFERRER_COUPON={"amount_off": 1000, "currency": "eur"})
    html = client.get(FRAGMENT).get_data(as_text=True)
    assert "<a " not in html and "Create an account to get your link." in html
    assert "Give your friends 5.00 USD off their first order, and get a 10.00 EUR off coupon for each friend who buys." in _text(html)
    app.config.update(JOURNEYKIT_REFERRAL_FRIEND_REWARD={"percent_off": 12.5}, JOURNEYKIT_REFERRAL_REFERRER_COUPON=None)
    assert "Give your friends 12.5% off their first order." in _text(client.get(FRAGMENT).get_data(as_text=True))


def test_a_signed_in_shopper_gets_their_absolute_link_a_copy_button_and_share_links(app, client, journey, shopper):
    response = client.get(FRAGMENT, headers=shopper("ann"))
    html = response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "private, no-store"
    code = _code(app, journey, "ann")  # made on first use by the widget, and kept
    link = f"http://localhost/journeykit/r/{code}"
    assert 'aria-label="Refer a friend" data-signed-in>' in html
    label = re.search(r'<label for="([^"]+)">Your link</label>', html)
    assert label and f'<input id="{label.group(1)}" type="text" readonly value="{link}" data-jk="link">' in html
    assert '<button type="button" class="journeykit-copy">Copy link</button>' in html
    assert '<p class="journeykit-status" role="status" aria-live="polite" data-jk="status"></p>' in html
    shares = _shares(html)
    assert list(shares) == ["Share by e-mail", "Share on WhatsApp", "Share on X", "Share on Facebook"]
    message = "Get 5.00 USD off your first order with my link:"
    mail = urlsplit(shares["Share by e-mail"])
    assert mail.scheme == "mailto" and "+" not in mail.query  # spaces as %20: mail clients read + literally
    assert parse_qs(mail.query) == {"subject": ["A shop I think you will like"], "body": [f"{message} {link}"]}
    assert shares["Share on WhatsApp"].startswith("https://wa.me/?text=")
    assert parse_qs(urlsplit(shares["Share on WhatsApp"]).query) == {"text": [f"{message} {link}"]}
    assert shares["Share on X"].startswith("https://twitter.com/intent/tweet?")
    assert parse_qs(urlsplit(shares["Share on X"]).query) == {"text": [message], "url": [link]}
    encoded = link.replace(":", "%3A").replace("/", "%2F")
    assert shares["Share on Facebook"] == f"https://www.facebook.com/sharer/sharer.php?u={encoded}"
    assert "<script" not in html and "<iframe" not in html  # plain links: no third-party share script
    assert "Clicks 0 Friends who bought 0" in _text(html)
    again = client.get(FRAGMENT, headers=shopper("ann")).get_data(as_text=True)
    assert link in again  # the same code each time


def test_the_figures_count_clicks_and_friends_who_bought(app, client, journey, shopper, stripe_events, deliver_stripe_event):
    code = _code(app, journey, "ann")
    for visitor in ("v" * 22, "w" * 22):  # two friends follow the link; one buys
        friend = app.test_client()
        friend.set_cookie(app.config["JOURNEYKIT_VISITOR_COOKIE"], visitor)
        assert friend.get(f"/journeykit/r/{code.lower()}", headers={"User-Agent": BROWSER}).status_code == 302
    paid = deliver_stripe_event(stripe_events.checkout_completed(customer_id="bo", email="bo@example.org", visitor_id="v" * 22,
                                                                 referral_code=code, amount_total=4000))
    assert paid.status_code == 200
    text = _text(client.get(FRAGMENT, headers=shopper("ann")).get_data(as_text=True))
    assert "Clicks 2 Friends who bought 1" in text
    assert "Rewards earned 100 points" in text


def test_a_referrers_coupons_are_listed_with_their_points(shop_factory, fake_stripe, stripe_events):
    app, _, journey = shop_factory({**OFFER, "JOURNEYKIT_STRIPE_API_KEY": "sk_test_fake", "JOURNEYKIT_STRIPE_API_BASE": fake_stripe.url,
                                    "JOURNEYKIT_REFERRAL_REFERRER_COUPON": {"amount_off": 1000, "currency": "usd"}})
    code = _code(app, journey, "ann")
    paid = deliver(app.test_client(), stripe_events.checkout_completed(customer_id="bo", email="bo@example.org", referral_code=code),
                   secret=app.config["JOURNEYKIT_STRIPE_WEBHOOK_SECRET"])
    assert paid.status_code == 200
    with app.test_request_context():
        token = journey.customer_token("ann", email="ann@example.com")
    html = app.test_client().get(FRAGMENT, headers={"X-JourneyKit-Customer": token}).get_data(as_text=True)
    text = _text(html)
    assert "Give your friends 5.00 USD off their first order, and get 100 points and a 10.00 USD off coupon for each friend who buys." in text
    assert "Friends who bought 1 Rewards earned 100 points and 1 coupon" in text
    coupon = next(iter(fake_stripe.promotion_codes.values()))["code"]
    assert '<section class="journeykit-loyalty-part" aria-label="Your coupons">' in html and f"<li><code>{coupon}</code></li>" in html


def test_the_shops_own_page_knows_its_signed_in_shopper(app, journey):
    journey.customer_loader(lambda: ("cleo", "cleo@example.com", "Cleo"))
    with app.test_request_context("/account", base_url="https://shop.example"):
        html = render_template_string("{{ journeykit.loyalty() }}{{ journeykit.referral() }}")
    code = _code(app, journey, "cleo")
    assert f'value="https://shop.example/journeykit/r/{code}"' in html  # absolute, on the shop's own host
    assert html.count('rel="stylesheet"') == 1
    assert re.search(r'<label for="journeykit-referral-1-link">', html)


def test_the_banner_is_for_the_shops_own_pages_only(client):
    refused = client.get("/journeykit/widgets/referral_banner")
    assert refused.status_code == 404 and "No widget called &#39;referral_banner&#39;" in refused.get_data(as_text=True)


def test_a_tampered_token_is_refused(client, shopper):
    tampered = client.get(FRAGMENT, headers={"X-JourneyKit-Customer": shopper("ann")["X-JourneyKit-Customer"] + "x"})
    assert tampered.status_code == 401


def _page(app, path: str, *, cookie: str | None = None) -> str:
    headers = {"Cookie": f"{app.config['JOURNEYKIT_VISITOR_COOKIE']}={cookie}"} if cookie else {}
    with app.app_context(), app.test_request_context(path, headers=headers):  # a page of its own (its own g)
        return render_template_string("{{ journeykit.referral_banner() }}{{ journeykit.rating('sku-1') }}")


def test_the_banner_greets_only_a_referred_visitor(app, journey):
    code = _code(app, journey, "ann")
    nobody = _page(app, "/")
    assert "journeykit-banner" not in nobody
    assert nobody.count('rel="stylesheet"') == 1  # the hidden banner left the stylesheet's link to the rating
    for forged in ("NOTACODE", "<script>alert(1)</script>", "x" * 5000, "ÄÖÜ", ""):
        html = _page(app, f"/?ref={forged}")
        assert "journeykit-banner" not in html and "alert" not in html

    html = _page(app, f"/?ref={code.lower()}")  # the landing page after a link: the code in the query
    assert '<aside class="journeykit journeykit-banner" aria-label="Your friend\'s offer"' in html
    assert "Welcome, friend! You get 5.00 USD off your first order: it comes off at checkout." in _text(html)
    assert html.count('rel="stylesheet"') == 1

    app.config["JOURNEYKIT_REFERRAL_FRIEND_REWARD"] = None
    assert "A friend of yours shops here" in _text(_page(app, f"/?ref={code}"))


def test_the_banner_follows_a_visitor_who_came_through_a_link(app, journey):
    code = _code(app, journey, "ann")
    friend = app.test_client()
    friend.set_cookie(app.config["JOURNEYKIT_VISITOR_COOKIE"], "f" * 22)
    landed = friend.get(f"/journeykit/r/{code}", headers={"User-Agent": BROWSER})
    assert landed.status_code == 302
    assert "journeykit-banner" in _page(app, "/products/sku-1", cookie="f" * 22)  # any page, while attributed
    assert "journeykit-banner" not in _page(app, "/products/sku-1", cookie="g" * 22)
    assert "journeykit-banner" not in _page(app, "/", cookie="not a visitor id")


def test_the_embed_script_and_styles_stay_small():
    """The budget a shop's pages pay for every widget: under 15,000 bytes with ``gzip -9`` (as servers send them)."""
    if shutil.which("gzip") is None:
        pytest.skip("no gzip command to measure with")
    data = (STATIC / "embed.js").read_bytes() + (STATIC / "widgets.css").read_bytes()
    assert len(subprocess.run(["gzip", "-9"], input=data, capture_output=True, check=True).stdout) < 15_000
