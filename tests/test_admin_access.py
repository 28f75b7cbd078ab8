"""The admin API and pages: bearer keys or the shop's guard, nothing else."""

from __future__ import annotations

from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit, urlunsplit

import pytest
from flask import request

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


# -- a browser at an owner's page: the shop's login, or a page that says who may come in ----------

OWNER_PAGES = ["/journeykit/admin/", "/journeykit/admin/reviews?status=pending", "/journeykit/admin/loyalty/rules",
               "/journeykit/admin/webhooks"]


def _login_target(response) -> tuple[str, str]:
    """The path of a redirect's ``Location`` and its ``next`` (exactly one)."""
    location = urlsplit(response.headers["Location"])
    [back] = parse_qs(location.query)["next"]
    return location.path, back


@pytest.fixture
def guarded(shop_factory):
    """A shop with a login at ``/login``; the guard lets in the visitor whose ``X-Who`` is ``owner``."""

    def make(config=None, *, signed_in=False):
        app, _, journey = shop_factory({"JOURNEYKIT_ADMIN_LOGIN_URL": "/login", **(config or {})})
        app.add_url_rule("/login", "shop_login", lambda: "the shop's login")
        journey.admin_guard(lambda: "Olive" if request.headers.get("X-Who") == "owner" else False)
        journey.customer_loader(lambda: (request.headers["X-Who"], "c@example.com") if "X-Who" in request.headers
                                else None)
        return app, journey

    return make


@pytest.mark.parametrize("path", OWNER_PAGES)
def test_an_anonymous_visitor_at_an_owner_page_is_sent_to_the_login_and_back(guarded, path):
    app, _ = guarded()
    client = app.test_client()
    response = client.get(path)
    assert response.status_code == 302
    assert _login_target(response) == ("/login", path)
    assert client.get(path, headers={"X-Who": "owner"}).status_code == 200  # back from the login, signed in


def test_the_json_api_never_redirects(guarded):
    app, _ = guarded()
    client = app.test_client()
    for headers, status, code in (({}, 403, "admin_forbidden"), ({"X-Who": "c-1"}, 403, "admin_forbidden"),
                                  ({"Authorization": "Bearer nope"}, 401, "invalid_api_key")):
        response = client.get(CUSTOMERS, headers=headers)
        assert response.status_code == status and "Location" not in response.headers
        assert response.json["error"]["code"] == code
    assert client.post("/journeykit/api/v1/admin/webhooks", json={"url": "https://x.example"}).status_code == 403


def test_next_is_always_a_path_on_this_site(guarded):
    app, _ = guarded()
    client = app.test_client()
    sneaky = client.get("/journeykit/admin/?next=https://evil.example/&x=//evil.example")
    assert _login_target(sneaky) == ("/login", "/journeykit/admin/?next=https://evil.example/&x=//evil.example")
    # A form sent after the session ended goes back to the page it came from, if that page is on this site.
    form = "/journeykit/admin/loyalty/rules"
    for referrer, back in ((f"http://localhost{form}?saved=1", f"{form}?saved=1"),
                           ("https://evil.example/journeykit/admin/webhooks", "/journeykit/admin/"),
                           ("http://localhost/\t/evil.example", "/journeykit/admin/"),
                           ("http://localhost/\\evil.example", "/journeykit/admin/"), (None, "/journeykit/admin/")):
        sent = client.post(form, data={"signup": "5"}, headers={"Referer": referrer} if referrer else {})
        assert sent.status_code == 303 and _login_target(sent) == ("/login", back), referrer
    for response in (sneaky, sent):
        location = urlsplit(response.headers["Location"])
        assert (location.scheme, location.netloc) == ("", "")


@pytest.mark.parametrize("login, location, back", [
    ("shop_login", "/login", "/journeykit/admin/"),  # an endpoint name, as Flask-Login's login_view
    ("/account/login?lang=fr&next=/elsewhere", "/account/login?lang=fr", "/journeykit/admin/"),
    ("https://accounts.example/sso", "https://accounts.example/sso", "http://localhost/journeykit/admin/"),
])
def test_the_login_may_be_an_endpoint_a_path_with_a_query_or_another_host(guarded, login, location, back):
    app, _ = guarded({"JOURNEYKIT_ADMIN_LOGIN_URL": login})
    response = app.test_client().get("/journeykit/admin/")
    assert response.status_code == 302
    parts = urlsplit(response.headers["Location"])
    kept = [(key, value) for key, value in parse_qsl(parts.query) if key != "next"]
    assert urlunsplit(parts._replace(query=urlencode(kept))) == location
    assert parse_qs(parts.query)["next"] == [back]


def test_a_signed_in_customer_who_is_not_the_owner_gets_a_403_page_not_the_login(guarded):
    app, _ = guarded()
    response = app.test_client().get("/journeykit/admin/webhooks", headers={"X-Who": "c-1"})
    html = response.get_data(as_text=True)
    assert response.status_code == 403 and response.mimetype == "text/html"
    assert "This page is for the shop's owner" in html and 'data-refused="admin_forbidden"' in html
    assert "You are signed in" in html and 'href="/login?next=/journeykit/admin/webhooks"' in html
    assert 'href="/">← Back to the shop' in html and "<link" not in html and "jkwh_" not in html


def test_without_a_known_login_an_anonymous_visitor_gets_a_friendly_403_page(guarded):
    app, _ = guarded({"JOURNEYKIT_ADMIN_LOGIN_URL": None})
    response = app.test_client().get("/journeykit/admin/")
    html = response.get_data(as_text=True)
    assert response.status_code == 403 and response.mimetype == "text/html"
    assert "sign in to the shop with the owner's account" in html and "You are signed in" not in html
    assert 'href="/">← Back to the shop' in html


def test_a_login_endpoint_that_does_not_exist_is_a_403_page_not_an_error(guarded, caplog):
    app, _ = guarded({"JOURNEYKIT_ADMIN_LOGIN_URL": "auth.nowhere"})
    response = app.test_client().get("/journeykit/admin/")
    assert response.status_code == 403 and "This page is for the shop" in response.get_data(as_text=True)
    assert "auth.nowhere" in caplog.text


def test_the_shops_own_error_page_answers_a_refusal_if_it_has_one(guarded):
    app, _ = guarded({"JOURNEYKIT_ADMIN_LOGIN_URL": None})
    app.register_error_handler(403, lambda error: (f"The shop's own page: {error.description}", 403))
    response = app.test_client().get("/journeykit/admin/")
    assert response.status_code == 403
    assert response.get_data(as_text=True) == "The shop's own page: This account may not use JourneyKit's admin."


def test_without_a_guard_signing_in_would_not_help_so_there_is_no_redirect(shop_factory):
    app, _, _ = shop_factory({"JOURNEYKIT_ADMIN_LOGIN_URL": "/login"})
    response = app.test_client().get("/journeykit/admin/")
    assert response.status_code == 401 and response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "admin_guard" in response.get_data(as_text=True)


def test_flask_logins_login_view_is_the_default_and_its_user_tells_who_is_signed_in(shop_factory):
    from flask_login import LoginManager, UserMixin, current_user, login_user

    app, _, journey = shop_factory()
    manager = LoginManager(app)
    manager.login_view = "sign_in"

    class User(UserMixin):
        def __init__(self, user_id: str) -> None:
            self.id = user_id

    manager.user_loader(User)
    app.add_url_rule("/sign-in", "sign_in", lambda: "the shop's login")
    app.add_url_rule("/sign-in/<user_id>", "sign_in_as", lambda user_id: str(login_user(User(user_id))))
    journey.admin_guard(lambda: current_user.is_authenticated and current_user.id == "olive")
    client = app.test_client()
    anonymous = client.get("/journeykit/admin/referrals")
    assert anonymous.status_code == 302 and _login_target(anonymous) == ("/sign-in", "/journeykit/admin/referrals")
    client.get("/sign-in/bo")
    refused = client.get("/journeykit/admin/referrals")
    assert refused.status_code == 403 and "You are signed in" in refused.get_data(as_text=True)
    assert client.get(CUSTOMERS).json["error"]["code"] == "admin_forbidden"
    client.get("/sign-in/olive")
    assert client.get("/journeykit/admin/referrals").status_code == 200
