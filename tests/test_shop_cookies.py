"""JourneyKit's answers leave the shop's cookies alone, outside the owner's pages (plugin/core/shop_cookies.py).

The embed script's beacon leaves as a page closes, with that page's cookies: as
a shopper sends the shop's sign-in form, its answer may come after the sign-in's.
With a session cookie in it (Flask-Login rewrites the session it finds), the
browser would keep that one and sign the shopper out again.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from http.cookies import SimpleCookie
from pathlib import Path

import pytest
from flask import Flask, Response, session
from flask.testing import FlaskClient

from examples.bookshop import create_app
from examples.bookshop.extensions import db
from examples.bookshop.seed import PASSWORD, seed

BEACON = {"visitor_id": "v-cookies-0123456789ab", "events": [{"name": "product_viewed", "product_id": "1"}]}


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[Flask]:
    """The bookshop (Flask-Login, Flask-WTF), with a shop hook that sets a cookie of its own on every answer."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/shop.db", "SECRET_KEY": "cookie-test"})

    @app.after_request
    def remember_the_currency(response: Response) -> Response:
        response.set_cookie("currency", "EUR")
        return response

    with app.app_context():
        seed()
    yield app
    with app.app_context():
        db.engine.dispose()


def _login_page(client: FlaskClient, then: str) -> str:
    """The sign-in form's CSRF token (the shop keeps it in the session: the page sets a session cookie)."""
    page = client.get(f"/login?next={then}")
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]


def _cookies_set(response: Response) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    for header in response.headers.getlist("Set-Cookie"):
        jar.load(header)
    return {name: morsel.value for name, morsel in jar.items()}


def test_a_beacon_sent_as_the_sign_in_page_closes_does_not_sign_the_owner_out(shop: Flask):
    browser = shop.test_client()
    token = _login_page(browser, "/journeykit/admin/")
    before_sign_in = browser.get_cookie("session").value  # type: ignore[union-attr]
    signed_in = browser.post("/login?next=/journeykit/admin/", data={"email": "owner@example.com", "password": PASSWORD,
                                                                     "csrf_token": token})
    assert signed_in.status_code == 302
    # The beacon left the sign-in page with its cookies, and its answer comes last.
    late = shop.test_client()
    late.set_cookie("session", before_sign_in)
    beacon = late.post("/journeykit/api/v1/events", json=BEACON)
    assert beacon.status_code == 202
    assert _cookies_set(beacon) == {}  # neither the shop's session nor its own cookie
    for name, value in _cookies_set(beacon).items():  # what a browser does with the late answer
        browser.set_cookie(name, value)
    dashboard = browser.get("/journeykit/admin/")
    assert dashboard.status_code == 200 and "Sign in" not in dashboard.text


@pytest.mark.parametrize("path", ["/journeykit/api/v1/products/1/rating", "/journeykit/widgets/reviews?product=1",
                                  "/journeykit/api/v1/nowhere"])
def test_no_journeykit_answer_rewrites_a_permanent_session(shop: Flask, path: str):
    @shop.before_request
    def keep_shoppers_signed_in() -> None:
        session.permanent = True  # Flask then sends the session cookie again with every answer

    shopper = shop.test_client()
    _login_page(shopper, "/")
    assert "session" in _cookies_set(shopper.get("/"))  # the shop's own pages: as the shop wants
    answer = shopper.get(path)
    assert answer.status_code in (200, 404)
    assert "session" not in _cookies_set(answer) and "currency" not in _cookies_set(answer)


def test_the_owners_pages_still_keep_their_form_token_in_the_session_and_the_shops_cookies(shop: Flask):
    owner = shop.test_client()
    token = _login_page(owner, "/")
    owner.post("/login", data={"email": "owner@example.com", "password": PASSWORD, "csrf_token": token})
    page = owner.get("/journeykit/admin/reviews")
    assert page.status_code == 200
    assert {"session", "currency"} <= set(_cookies_set(page))  # the review cards' forms carry a new CSRF token


def test_a_referral_link_still_sets_journeykits_own_visitor_cookie(shop: Flask):
    answer = shop.test_client().get("/journeykit/r/NO-SUCH-CODE", headers={"User-Agent": "Mozilla/5.0 Firefox/120.0"})
    assert answer.status_code == 302
    assert set(_cookies_set(answer)) == {"journeykit_visitor"}
