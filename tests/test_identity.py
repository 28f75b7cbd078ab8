"""Who is on the page: customer tokens, the shop's loader, visitor ids."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from journeykit.models import Customer

LOYALTY = "/journeykit/api/v1/me/loyalty"


def _token_header(token: str) -> dict[str, str]:
    return {"X-JourneyKit-Customer": token}


def test_a_customer_token_names_the_shopper(client, db, journey):
    token = journey.customer_token("c-1", email="  Jo@Example.COM ", name="Jo")
    response = client.get(LOYALTY, headers=_token_header(token))
    assert response.status_code == 200
    assert response.json == {"balance": 0, "tier": "member", "history": []}
    customer = db.session.scalars(sa.select(Customer)).one()
    assert (customer.shop_customer_id, customer.email, customer.name) == ("c-1", "jo@example.com", "Jo")


def _flip_signature_char(token: str) -> str:
    """Change one character well inside the signature (the last ones may only hold padding bits)."""
    changed = "A" if token[-5] != "A" else "B"
    return token[:-5] + changed + token[-4:]


@pytest.mark.parametrize("mangle", [_flip_signature_char, lambda t: "x" + t, lambda t: "garbage"])
def test_a_tampered_token_is_401(client, journey, db, mangle):
    response = client.get(LOYALTY, headers=_token_header(mangle(journey.customer_token("c-1"))))
    assert response.status_code == 401
    assert response.json["error"]["code"] == "token_invalid"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Customer)) == 0


def test_an_expired_token_is_401(app, client, db):
    serializer = URLSafeTimedSerializer("shop-secret", salt="journeykit.customer-token")

    class SignedYesterday(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - 25 * 3600

    old = URLSafeTimedSerializer("shop-secret", salt="journeykit.customer-token", signer=SignedYesterday).dumps({"c": "c-1"})
    fresh = serializer.dumps({"c": "c-1"})
    assert client.get(LOYALTY, headers=_token_header(fresh)).status_code == 200
    response = client.get(LOYALTY, headers=_token_header(old))
    assert response.status_code == 401 and response.json["error"]["code"] == "token_expired"


def test_a_token_with_the_wrong_payload_is_401(client):
    forged = URLSafeTimedSerializer("shop-secret", salt="journeykit.customer-token").dumps(["not", "a", "dict"])
    assert client.get(LOYALTY, headers=_token_header(forged)).json["error"]["code"] == "token_invalid"


def test_no_shopper_is_401(client):
    response = client.get(LOYALTY)
    assert response.status_code == 401 and response.json["error"]["code"] == "customer_required"


def test_the_shops_customer_loader_is_used_on_its_own_pages(app, client, journey, db):
    @journey.customer_loader
    def from_shop_login():
        return ("shop-7", "seven@example.com") if client.get_cookie("shop_login") else None

    assert client.get(LOYALTY).status_code == 401
    client.set_cookie("shop_login", "yes")
    assert client.get(LOYALTY).status_code == 200
    assert db.session.scalars(sa.select(Customer.shop_customer_id)).all() == ["shop-7"]


def test_a_malformed_visitor_header_is_400(client):
    for bad in ("short", "x" * 65, "has spaces in it!!!", "<script>alert(1)</script>"):
        response = client.post("/journeykit/api/v1/events", json={"events": [{"name": "page_viewed"}]},
                               headers={"X-JourneyKit-Visitor": bad})
        assert response.status_code == 400 and response.json["error"]["code"] == "invalid_visitor_id"
