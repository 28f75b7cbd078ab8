"""The admin API and pages: bearer keys or the shop's guard, nothing else."""

from __future__ import annotations

import pytest

from .conftest import ADMIN_KEY

CUSTOMERS = "/journeykit/api/v1/admin/customers"
PAGE = "/journeykit/admin/"
ADMIN_PATHS = pytest.mark.parametrize("path", [CUSTOMERS, PAGE])


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def _assert_refused(response, path: str, status: int, code: str) -> None:
    """The API answers in the JSON error shape; the pages answer an HTML page with the same status."""
    assert response.status_code == status, response.get_data(as_text=True)
    if path == CUSTOMERS:
        assert response.json["error"]["code"] == code and response.json["error"]["message"]
    else:
        assert response.mimetype == "text/html"


@ADMIN_PATHS
def test_a_valid_key_opens_and_a_wrong_or_missing_one_is_401(client, path):
    assert client.get(path, headers=_bearer(ADMIN_KEY)).status_code == 200
    assert client.get(path, headers={"Authorization": f"bearer   {ADMIN_KEY}  "}).status_code == 200
    for headers in (_bearer("nope"), _bearer(ADMIN_KEY + "x"), _bearer(ADMIN_KEY[:-1]), _bearer("é")):
        wrong = client.get(path, headers=headers)
        _assert_refused(wrong, path, 401, "invalid_api_key")
        assert wrong.headers["WWW-Authenticate"].startswith("Bearer")
    for headers in ({}, {"Authorization": f"Basic {ADMIN_KEY}"}, {"Authorization": "Bearer "}, {"Authorization": ADMIN_KEY}):
        _assert_refused(client.get(path, headers=headers), path, 401, "admin_required")


@ADMIN_PATHS
def test_the_shops_guard_decides_without_a_key(client, journey, path):
    allowed = {"value": False}
    journey.admin_guard(lambda: allowed["value"])
    _assert_refused(client.get(path), path, 403, "admin_forbidden")
    allowed["value"] = True
    assert client.get(path).status_code == 200
    # A request that shows a key is judged by the key alone: a wrong one never falls back to the guard.
    _assert_refused(client.get(path, headers=_bearer("nope")), path, 401, "invalid_api_key")


def test_keys_may_be_a_comma_separated_string(shop_factory):
    app, _, _ = shop_factory({"JOURNEYKIT_ADMIN_API_KEYS": "first-key, second-key"})
    client = app.test_client()
    for key in ("first-key", "second-key"):
        assert client.get(CUSTOMERS, headers=_bearer(key)).status_code == 200, key
    for key in ("first", "first-key, second-key", "second-key,"):
        assert client.get(CUSTOMERS, headers=_bearer(key)).status_code == 401, key


def test_no_configured_keys_means_no_key_opens(shop_factory):
    app, _, _ = shop_factory({"JOURNEYKIT_ADMIN_API_KEYS": []})
    response = app.test_client().get(CUSTOMERS, headers=_bearer(ADMIN_KEY))
    _assert_refused(response, CUSTOMERS, 401, "invalid_api_key")


def test_customers_page_by_cursor(client, journey, admin_headers):
    for n in range(5):
        client.get("/journeykit/api/v1/me/loyalty", headers={"X-JourneyKit-Customer": journey.customer_token(f"c-{n}")})
    seen, cursor = [], None
    while True:
        query = f"limit=2&before={cursor}" if cursor else "limit=2"
        page = client.get(f"{CUSTOMERS}?{query}", headers=admin_headers).json
        seen.append([c["id"] for c in page["items"]])
        cursor = page["next"]
        if cursor is None:
            break
    assert seen == [["c-4", "c-3"], ["c-2", "c-1"], ["c-0"]]
    everyone = client.get(CUSTOMERS, headers=admin_headers).json
    assert len(everyone["items"]) == 5 and everyone["next"] is None
    one = client.get(f"{CUSTOMERS}/c-3", headers=admin_headers)
    assert one.status_code == 200
    assert (one.json["id"], one.json["stage"]) == ("c-3", "awareness")


def test_bad_paging_is_422(client, admin_headers):
    for query in ("limit=abc", "limit=0", "limit=100000", "limit=", "limit=-1", "limit=1.5", "limit=%C2%B2",
                  "limit=%D9%A1", "before=-1", "before=0", "before=abc", f"before={2**64}"):
        response = client.get(f"{CUSTOMERS}?{query}", headers=admin_headers)
        assert response.status_code == 422, (query, response.status_code)
        assert response.json["error"]["code"] == "validation_error" and response.json["error"]["fields"], query


def test_unknown_customer_is_404_json(client, admin_headers):
    for customer_id in ("nobody", "c-1/../c-2", "x" * 2000, "%E2%9C%93"):
        response = client.get(f"{CUSTOMERS}/{customer_id}", headers=admin_headers)
        assert response.status_code == 404, customer_id
        assert response.json["error"]["code"] == "customer_not_found", customer_id
