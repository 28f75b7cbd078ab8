"""The admin API and pages: bearer keys or the shop's guard, nothing else."""

from __future__ import annotations

import pytest

from .conftest import ADMIN_KEY

CUSTOMERS = "/journeykit/api/v1/admin/customers"


@pytest.mark.parametrize("path", [CUSTOMERS, "/journeykit/admin/"])
def test_a_valid_key_opens_and_a_wrong_key_is_401(client, path):
    assert client.get(path, headers={"Authorization": f"Bearer {ADMIN_KEY}"}).status_code == 200
    wrong = client.get(path, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert wrong.headers["WWW-Authenticate"].startswith("Bearer")
    anonymous = client.get(path)
    assert anonymous.status_code == 401
    if path == CUSTOMERS:  # the API answers in JSON; the pages in HTML
        assert wrong.json["error"]["code"] == "invalid_api_key"
        assert anonymous.json["error"]["code"] == "admin_required"


def test_the_shops_guard_decides_without_a_key(client, journey):
    allowed = {"value": False}
    journey.admin_guard(lambda: allowed["value"])
    forbidden = client.get(CUSTOMERS)
    assert forbidden.status_code == 403 and forbidden.json["error"]["code"] == "admin_forbidden"
    allowed["value"] = True
    assert client.get(CUSTOMERS).status_code == 200


def test_keys_may_be_a_comma_separated_string(shop_factory):
    app, _, _ = shop_factory({"JOURNEYKIT_ADMIN_API_KEYS": "first-key, second-key"})
    client = app.test_client()
    assert client.get(CUSTOMERS, headers={"Authorization": "Bearer second-key"}).status_code == 200
    assert client.get(CUSTOMERS, headers={"Authorization": "Bearer first"}).status_code == 401


def test_customers_page_by_cursor(client, journey, admin_headers):
    for n in range(5):
        client.get("/journeykit/api/v1/me/loyalty", headers={"X-JourneyKit-Customer": journey.customer_token(f"c-{n}")})
    first = client.get(f"{CUSTOMERS}?limit=2", headers=admin_headers).json
    assert [c["id"] for c in first["items"]] == ["c-4", "c-3"]
    second = client.get(f"{CUSTOMERS}?limit=2&before={first['next']}", headers=admin_headers).json
    assert [c["id"] for c in second["items"]] == ["c-2", "c-1"]
    one = client.get(f"{CUSTOMERS}/c-3", headers=admin_headers)
    assert one.status_code == 200 and one.json["stage"] == "awareness"


@pytest.mark.parametrize("query", ["limit=abc", "limit=0", "limit=100000", "before=-1", "limit=1.5"])
def test_bad_paging_is_422(client, admin_headers, query):
    response = client.get(f"{CUSTOMERS}?{query}", headers=admin_headers)
    assert response.status_code == 422 and response.json["error"]["fields"]


def test_unknown_customer_is_404_json(client, admin_headers):
    response = client.get(f"{CUSTOMERS}/nobody", headers=admin_headers)
    assert response.status_code == 404 and response.json["error"]["code"] == "customer_not_found"
