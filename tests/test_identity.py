"""Who is on the page: customer tokens, the shop's loader, visitor ids."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa
from flask import request
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from journeykit.models import Customer, JourneyEvent

LOYALTY = "/journeykit/api/v1/me/loyalty"
EVENTS = "/journeykit/api/v1/events"
#: What identity.py signs with; tests sign their own tokens to control the secret and the time.
TOKEN_SALT = "journeykit.customer-token"


def _token_header(token: str) -> dict[str, str]:
    return {"X-JourneyKit-Customer": token}


def _signed(payload: object, *, secret: str = "shop-secret", age: int = 0) -> str:
    """A token as JourneyKit would sign it with ``secret``, ``age`` seconds ago."""

    class SignedEarlier(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - age

    return URLSafeTimedSerializer(secret, salt=TOKEN_SALT, signer=SignedEarlier).dumps(payload)


def _customers(db) -> list[Customer]:
    return db.session.scalars(sa.select(Customer)).all()


def _assert_401(response, code: str) -> None:
    assert response.status_code == 401, response.get_data(as_text=True)
    assert response.json["error"]["code"] == code and response.json["error"]["message"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_customer_token_names_the_shopper(client, db, journey):
    _assert_401(client.get(LOYALTY), "customer_required")  # no token and no customer_loader
    token = journey.customer_token("c-1", email="  Jo@Example.COM ", name="Jo")
    response = client.get(LOYALTY, headers=_token_header(token))
    assert response.status_code == 200
    mine = response.json
    assert (mine["balance"], mine["spendable"], mine["tier"], mine["history"], mine["codes"]) == (0, 0, "member", [], [])
    [customer] = _customers(db)
    assert (customer.shop_customer_id, customer.email, customer.name) == ("c-1", "jo@example.com", "Jo")
    assert client.get(LOYALTY, headers=_token_header(token)).status_code == 200
    assert len(_customers(db)) == 1


def _flip_signature_char(token: str) -> str:
    """Change one character well inside the signature (the last ones may only hold padding bits)."""
    changed = "A" if token[-5] != "A" else "B"
    return token[:-5] + changed + token[-4:]


def _swap_payload(token: str) -> str:
    """Keep the signature but name another customer."""
    other = _signed({"c": "someone-else"})
    return other.split(".")[0] + "." + ".".join(token.split(".")[1:])


def test_a_tampered_token_is_401(client, journey, db):
    token = journey.customer_token("c-1")
    for tampered in (_flip_signature_char(token), _swap_payload(token), "x" + token, token[:-1], "garbage", "a.b.c"):
        assert tampered != token
        _assert_401(client.get(LOYALTY, headers=_token_header(tampered)), "token_invalid")
    # Signed with the right key, but not a payload JourneyKit ever signs.
    for payload in (["not", "a", "dict"], {"c": 7}, {"e": "jo@example.com"}, "c-1", None):
        _assert_401(client.get(LOYALTY, headers=_token_header(_signed(payload))), "token_invalid")
    assert _customers(db) == []


def test_a_token_signed_with_another_secret_is_401(client, db):
    _assert_401(client.get(LOYALTY, headers=_token_header(_signed({"c": "c-1"}, secret="another-shop"))), "token_invalid")
    assert _customers(db) == []


def test_journeykit_secret_key_takes_over_from_the_apps(shop_factory):
    app, _, journey = shop_factory({"JOURNEYKIT_SECRET_KEY": "journeykit-only"})
    client = app.test_client()
    with app.test_request_context():
        token = journey.customer_token("c-1")
    assert client.get(LOYALTY, headers=_token_header(token)).status_code == 200
    assert URLSafeTimedSerializer("journeykit-only", salt=TOKEN_SALT).loads(token) == {"c": "c-1"}
    _assert_401(client.get(LOYALTY, headers=_token_header(_signed({"c": "c-1"}))), "token_invalid")


def test_a_token_expires_after_the_configured_max_age(shop_factory):
    app, db, _ = shop_factory({"JOURNEYKIT_CUSTOMER_TOKEN_MAX_AGE": 60})
    client = app.test_client()
    assert client.get(LOYALTY, headers=_token_header(_signed({"c": "c-1"}, age=30))).status_code == 200
    _assert_401(client.get(LOYALTY, headers=_token_header(_signed({"c": "c-2"}, age=90))), "token_expired")
    with app.app_context():
        assert [c.shop_customer_id for c in _customers(db)] == ["c-1"]


@pytest.fixture
def shop_login(journey):
    """The shop's own same-origin login: a cookie its ``customer_loader`` reads."""

    @journey.customer_loader
    def from_shop_login():
        user = request.cookies.get("shop_login")
        return (user, f"{user}@Example.com") if user else None


def test_the_shops_customer_loader_is_used_on_its_own_pages(client, db, shop_login):
    _assert_401(client.get(LOYALTY), "customer_required")
    client.set_cookie("shop_login", "shop-7")
    assert client.get(LOYALTY).status_code == 200
    [customer] = _customers(db)
    assert (customer.shop_customer_id, customer.email) == ("shop-7", "shop-7@example.com")


def test_a_token_wins_over_the_loader_and_a_bad_one_never_falls_back_to_it(client, db, journey, shop_login):
    client.set_cookie("shop_login", "shop-7")
    assert client.get(LOYALTY, headers=_token_header(journey.customer_token("from-token"))).status_code == 200
    _assert_401(client.get(LOYALTY, headers=_token_header("garbage")), "token_invalid")
    assert [c.shop_customer_id for c in _customers(db)] == ["from-token"]


def test_a_malformed_visitor_header_is_400(client, db):
    for bad in ("", "short", "x" * 65, "has spaces in it!!!", "<script>alert(1)</script>", "é" * 20):
        response = client.post(EVENTS, json={"events": [{"name": "page_viewed"}]}, headers={"X-JourneyKit-Visitor": bad})
        assert response.status_code == 400 and response.json["error"]["code"] == "invalid_visitor_id", bad
    assert db.session.scalar(sa.select(sa.func.count()).select_from(JourneyEvent)) == 0


def test_the_visitor_cookie_names_a_visitor_and_a_malformed_one_is_ignored(client, db):
    client.set_cookie("journeykit_visitor", "not valid!")
    ignored = client.post(EVENTS, json={"events": [{"name": "page_viewed"}]})
    assert ignored.status_code == 422 and ignored.json["error"]["code"] == "anonymous_event"
    client.set_cookie("journeykit_visitor", "cookie-visitor-0123456789")
    assert client.post(EVENTS, json={"events": [{"name": "page_viewed"}]}).status_code == 202
    assert db.session.scalars(sa.select(JourneyEvent.visitor_id)).all() == ["cookie-visitor-0123456789"]


def test_a_shoppers_events_join_their_visitor_to_them(client, db, journey):
    headers = {"X-JourneyKit-Visitor": "visitor-0123456789ab", **_token_header(journey.customer_token("c-1"))}
    assert client.post(EVENTS, json={"events": [{"name": "product_viewed", "product_id": "sku-1"}]}, headers=headers).status_code == 202
    event = db.session.scalars(sa.select(JourneyEvent).where(JourneyEvent.name == "product_viewed")).one()
    [customer] = _customers(db)
    assert (event.customer_id, event.visitor_id) == (customer.id, "visitor-0123456789ab")
    assert [v.id for v in customer.visitors] == ["visitor-0123456789ab"]
