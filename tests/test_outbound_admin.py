"""The owner's webhook endpoints: admin API (validation, secrets, ping, delete) and page."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from markupsafe import escape

from journeykit import signals
from journeykit.core.db import session
from journeykit.hooks import deliver_due, verify_signature
from journeykit.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

from .hook_receiver import closed_port, receiver  # noqa: F401 - the fixture

API = "/journeykit/api/v1/admin/webhooks"


def _count(app, model) -> int:
    with app.app_context():
        return session().scalar(sa.select(sa.func.count()).select_from(model))


def test_the_owner_adds_lists_changes_and_deletes_an_endpoint(app, client, admin_headers):
    created = client.post(API, json={"url": "https://crm.example/hooks", "description": "CRM",
                                     "event_types": ["purchase.recorded", "purchase.recorded", "review.published"]},
                          headers=admin_headers)
    assert created.status_code == 201
    endpoint = created.json
    assert endpoint["event_types"] == ["purchase.recorded", "review.published"] and endpoint["active"] is True
    assert endpoint["secret"].startswith("jkwh_") and endpoint["deliveries"] == []
    listed = client.get(API, headers=admin_headers).json["items"]
    assert [(e["id"], e["url"]) for e in listed] == [(endpoint["id"], "https://crm.example/hooks")]
    assert "secret" not in listed[0]
    changed = client.patch(f"{API}/{endpoint['id']}", json={"event_types": [], "description": "All"}, headers=admin_headers)
    assert changed.status_code == 200 and changed.json["event_types"] == [] and changed.json["secret"] == endpoint["secret"]
    rotated = client.patch(f"{API}/{endpoint['id']}", json={"rotate_secret": True}, headers=admin_headers).json
    assert rotated["secret"] != endpoint["secret"] and rotated["description"] == "All"
    with app.app_context():
        signals.queue(signals.points_changed, customer_id="c-1", delta=1, balance=1)
        signals.commit()
    assert _count(app, WebhookDelivery) == 1
    assert client.delete(f"{API}/{endpoint['id']}", headers=admin_headers).status_code == 204
    assert client.get(f"{API}/{endpoint['id']}", headers=admin_headers).status_code == 404
    assert (_count(app, WebhookEndpoint), _count(app, WebhookDelivery)) == (0, 0)


def test_bad_input_is_refused_with_422_and_unknown_ids_with_404(app, client, admin_headers):
    bad = [
        {"url": "ftp://files.example/hook"},
        {"url": "javascript:alert(1)"},
        {"url": "https://"},
        {"url": "https://user:pass@crm.example/hook"},
        {"url": "https://crm.example/" + "a" * 2048},
        {"url": "https://crm.example/a b"},
        {"url": "https://crm.example:99999/hook"},
        {"url": ""},
        {},
        {"url": 42},
        {"url": "https://crm.example/hook", "event_types": ["order.shipped"]},
        {"url": "https://crm.example/hook", "event_types": "purchase.recorded"},
        {"url": "https://crm.example/hook", "active": "yes"},
        {"url": "https://crm.example/hook", "secret": "mine"},
        {"url": "https://crm.example/hook", "description": "x" * 201},
    ]
    for body in bad:
        response = client.post(API, json=body, headers=admin_headers)
        assert response.status_code == 422, body
        assert response.json["error"]["code"] == "validation_error" and response.json["error"]["fields"], body
    assert client.post(API, data="{", content_type="application/json", headers=admin_headers).status_code == 400
    endpoint = client.post(API, json={"url": "https://crm.example/hook"}, headers=admin_headers).json
    for body in ({"url": "gopher://x"}, {"rotate_secret": "please"}, {"url": None}):
        assert client.patch(f"{API}/{endpoint['id']}", json=body, headers=admin_headers).status_code == 422, body
    assert client.get(f"{API}/{endpoint['id']}", headers=admin_headers).json["url"] == "https://crm.example/hook"
    assert _count(app, WebhookEndpoint) == 1
    for method, path in [("get", f"{API}/999"), ("patch", f"{API}/999"), ("delete", f"{API}/999"),
                         ("post", f"{API}/999/test"), ("get", f"{API}/deliveries/999"),
                         ("post", f"{API}/deliveries/999/retry"), ("get", f"{API}/abc")]:
        response = getattr(client, method)(path, json={}, headers=admin_headers)
        assert response.status_code == 404 and response.json["error"]["code"].endswith("not_found"), path


def test_plain_http_is_for_localhost_only_outside_debug_and_testing(shop_factory):
    app, _, _ = shop_factory(config={"TESTING": False})
    client = app.test_client()
    headers = {"Authorization": "Bearer test-admin-key-0123456789"}
    refused = client.post(API, json={"url": "http://crm.example/hook"}, headers=headers)
    assert refused.status_code == 422 and "https" in refused.json["error"]["fields"]["url"][0]
    for url in ("http://localhost:8000/hook", "http://127.0.0.1:9/hook", "https://crm.example/hook"):
        assert client.post(API, json={"url": url}, headers=headers).status_code == 201, url


def test_without_admin_access_nothing_is_shown_or_changed(app, client, admin_headers):
    endpoint = client.post(API, json={"url": "https://crm.example/hook"}, headers=admin_headers).json
    for method, path in [("get", API), ("post", API), ("get", f"{API}/{endpoint['id']}"),
                         ("patch", f"{API}/{endpoint['id']}"), ("delete", f"{API}/{endpoint['id']}"),
                         ("post", f"{API}/{endpoint['id']}/test"), ("post", f"{API}/deliveries/1/retry"),
                         ("get", "/journeykit/admin/webhooks")]:
        for headers in ({}, {"Authorization": "Bearer wrong"}):
            response = getattr(client, method)(path, json={"url": "https://evil.example"}, headers=headers)
            assert response.status_code == 401, (method, path)
            assert "jkwh_" not in response.get_data(as_text=True)
    assert _count(app, WebhookEndpoint) == 1 and _count(app, WebhookDelivery) == 0


def test_a_ping_is_sent_signed_now_and_a_failed_ping_is_not_retried(app, client, admin_headers, receiver):
    endpoint = client.post(API, json={"url": receiver.url, "event_types": ["purchase.recorded"]}, headers=admin_headers).json
    pinged = client.post(f"{API}/{endpoint['id']}/test", headers=admin_headers)
    assert pinged.status_code == 200 and pinged.json["status"] == "delivered" and pinged.json["event_type"] == "ping"
    assert pinged.json["log"][0]["status_code"] == 200 and pinged.json["payload"]["type"] == "ping"
    [hook] = receiver.received
    assert verify_signature(hook.body, hook.headers["JourneyKit-Signature"], endpoint["secret"])
    rotated = client.patch(f"{API}/{endpoint['id']}", json={"rotate_secret": True}, headers=admin_headers).json
    client.post(f"{API}/{endpoint['id']}/test", headers=admin_headers)
    second = receiver.received[-1]
    assert verify_signature(second.body, second.headers["JourneyKit-Signature"], rotated["secret"])
    assert not verify_signature(second.body, second.headers["JourneyKit-Signature"], endpoint["secret"])
    down = client.patch(f"{API}/{endpoint['id']}", json={"url": f"http://127.0.0.1:{closed_port()}/x"}, headers=admin_headers)
    assert down.status_code == 200
    failed = client.post(f"{API}/{endpoint['id']}/test", headers=admin_headers).json
    assert failed["status"] == "failed" and failed["log"][0]["status_code"] is None and failed["log"][0]["error"]
    with app.app_context():
        assert deliver_due()["failed"] == 0
    detail = client.get(f"{API}/{endpoint['id']}", headers=admin_headers).json
    assert [d["status"] for d in detail["deliveries"]] == ["failed", "delivered", "delivered"]
    assert _count(app, WebhookAttempt) == 3


def test_the_admin_page_lists_endpoints_and_their_deliveries_escaped(app, client, admin_headers, receiver):
    endpoint = client.post(API, json={"url": receiver.url, "description": "<script>alert(1)</script>"},
                           headers=admin_headers).json
    client.post(f"{API}/{endpoint['id']}/test", headers=admin_headers)
    page = client.get("/journeykit/admin/webhooks", headers=admin_headers)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and receiver.url in html
    assert endpoint["secret"] not in html and "jkwh_" not in html  # shown once, when it was made
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    assert 'data-status="delivered"' in html and "ping" in html
    assert "/journeykit/admin/webhooks" in client.get("/journeykit/admin/", headers=admin_headers).get_data(as_text=True)
    # The API's paths as the app mounts them, prefix and host included.
    for path in ("http://localhost/journeykit/api/v1/admin/webhooks</code>",
                 "http://localhost/journeykit/api/v1/admin/webhooks/&lt;id&gt;/test",
                 "http://localhost/journeykit/api/v1/admin/webhooks/deliveries/&lt;id&gt;/retry",
                 "http://localhost/journeykit/api/v1/openapi.json"):
        assert path in html, path
    assert "POST /api/v1/admin/webhooks" not in html


# -- the owner's page: forms that work without JavaScript ------------------------------

PAGE = "/journeykit/admin/webhooks"
STALE = "This form expired or came from elsewhere"


def _html(client, headers, path: str = PAGE) -> str:
    return client.get(path, headers=headers).get_data(as_text=True)


def _token(client, headers) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', _html(client, headers)).group(1)


def _active(client, headers, endpoint_id: int) -> bool:
    return client.get(f"{API}/{endpoint_id}", headers=headers).json["active"]


def _audit(client, headers) -> list[tuple[str, str]]:
    items = client.get("/journeykit/api/v1/admin/audit", headers=headers).json["items"]
    return [(item["action"], item["target"]) for item in reversed(items)]


def _state(app) -> list[tuple]:
    """Every endpoint as stored, secret seed included, and the deliveries: what no refused form may change."""
    with app.app_context():
        endpoints = session().execute(sa.select(WebhookEndpoint.id, WebhookEndpoint.url, WebhookEndpoint.active,
                                                WebhookEndpoint.secret_seed).order_by(WebhookEndpoint.id)).all()
        deliveries = session().execute(sa.select(WebhookDelivery.id, WebhookDelivery.status,
                                                 WebhookDelivery.attempts).order_by(WebhookDelivery.id)).all()
    return [tuple(row) for row in endpoints + deliveries]


def _add(client, headers, **fields):
    return client.post(PAGE, data={"csrf_token": _token(client, headers), "events": "all", **fields}, headers=headers)


def _failing_delivery(app, client, headers, receiver) -> tuple[int, int]:
    """An endpoint whose receiver answered 500 to one event: (endpoint id, delivery id), waiting for a retry."""
    endpoint = client.post(API, json={"url": receiver.url}, headers=headers).json
    receiver.status = 500
    with app.app_context():
        signals.queue(signals.points_changed, customer_id="c-1", delta=5, balance=5)
        signals.commit()
        assert deliver_due()["retrying"] == 1
        delivery_id = session().scalar(sa.select(WebhookDelivery.id))
    return endpoint["id"], delivery_id


def test_the_owner_adds_an_endpoint_and_sees_its_secret_once(app, client, admin_headers):
    added = _add(client, admin_headers, url="  https://crm.example/hooks  ", description="Our CRM", events="chosen",
                 event_types=["purchase.recorded", "review.published"])
    assert added.status_code == 303
    [endpoint] = client.get(API, headers=admin_headers).json["items"]
    assert added.headers["Location"] == f"/journeykit/admin/webhooks/{endpoint['id']}?done=added"
    assert (endpoint["url"], endpoint["description"], endpoint["event_types"], endpoint["active"]) == (
        "https://crm.example/hooks", "Our CRM", ["purchase.recorded", "review.published"], True)
    secret = client.get(f"{API}/{endpoint['id']}", headers=admin_headers).json["secret"]
    first = client.get(added.headers["Location"], headers=admin_headers).get_data(as_text=True)
    assert secret in first and "Copy it now" in first and "Endpoint added." in first
    again = client.get(added.headers["Location"], headers=admin_headers).get_data(as_text=True)
    assert secret not in again and "jkwh_" not in again and "Endpoint added." in again
    assert secret not in client.get(PAGE, headers=admin_headers).get_data(as_text=True)
    assert _audit(client, admin_headers) == [("webhook.create", f"webhook:{endpoint['id']}")]
    every = _add(client, admin_headers, url="https://mail.example/in", event_types=["refund.recorded"])  # "all" wins
    assert every.status_code == 303
    assert client.get(API, headers=admin_headers).json["items"][1]["event_types"] == []


@pytest.mark.parametrize("fields, field, message", [
    ({"url": "ftp://files.example/hook"}, "url", "Use an http:// or https:// URL with a host name."),
    ({"url": "https://user:pass@crm.example/hook"}, "url", "Do not put credentials in the URL"),
    ({"url": "https://crm.example/a b"}, "url", "A URL may not contain spaces"),
    ({"url": "https://crm.example:99999/hook"}, "url", "This is not a valid URL."),
    ({"url": ""}, "url", "Length must be between 1 and 2048."),
    ({"url": "https://crm.example/" + "a" * 2048}, "url", "Length must be between 1 and 2048."),
    ({"url": "https://crm.example/hook", "description": "x" * 201}, "description", "Longer than maximum length 200."),
    ({"url": "https://crm.example/hook", "events": "chosen"}, "event_types", "Choose at least one event"),
    ({"url": "https://crm.example/hook", "events": "chosen", "event_types": ["order.shipped"]}, "event_types",
     "Must be one of"),
])
def test_a_bad_add_form_is_shown_again_and_changes_nothing(app, client, admin_headers, fields, field, message):
    refused = _add(client, admin_headers, **fields)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and message in html and f'id="{field.replace("_types", "s")}-error"' in html
    assert f'value="{escape(fields["url"].strip())}"' in html  # what the owner typed is kept
    assert _state(app) == [] and _audit(client, admin_headers) == []


def test_no_more_endpoints_than_the_cap(app, client, admin_headers, monkeypatch):
    monkeypatch.setattr("journeykit.hooks.outbound.endpoints.MAX_ENDPOINTS", 1)
    assert _add(client, admin_headers, url="https://one.example/hook").status_code == 303
    refused = _add(client, admin_headers, url="https://two.example/hook")
    assert refused.status_code == 409 and "At most 1 webhook endpoints." in refused.get_data(as_text=True)
    assert [row[1] for row in _state(app)] == ["https://one.example/hook"]


def test_every_form_refuses_a_stale_or_foreign_token_with_400_and_changes_nothing(app, client, admin_headers,
                                                                                  receiver):
    endpoint_id, delivery_id = _failing_delivery(app, client, admin_headers, receiver)
    token = _token(client, admin_headers)
    before = (_state(app), len(receiver.received), _audit(client, admin_headers))
    forms = [PAGE, *(f"{PAGE}/{endpoint_id}/{action}" for action in ("test", "pause", "resume", "delete", "roll-secret")),
             f"{PAGE}/deliveries/{delivery_id}/retry"]
    form = {"url": "https://evil.example/x", "events": "all"}
    for path in forms:
        for data, headers in (({}, admin_headers), ({"csrf_token": "stale"}, admin_headers),
                              ({"csrf_token": token}, {**admin_headers, "Origin": "https://evil.example"})):
            refused = client.post(path, data={**data, **form}, headers=headers)
            assert refused.status_code == 400 and STALE in refused.get_data(as_text=True), (path, data)
    other_session = app.test_client()  # a token is good with its own session only
    assert other_session.post(PAGE, data={"csrf_token": token, **form}, headers=admin_headers).status_code == 400
    assert (_state(app), len(receiver.received), _audit(client, admin_headers)) == before


def test_unknown_ids_are_404(client, admin_headers):
    token = _token(client, admin_headers)
    for method, path in [("get", f"{PAGE}/999"), ("post", f"{PAGE}/999/test"), ("post", f"{PAGE}/999/pause"),
                         ("post", f"{PAGE}/999/resume"), ("get", f"{PAGE}/999/delete"),
                         ("post", f"{PAGE}/999/delete"), ("get", f"{PAGE}/999/roll-secret"),
                         ("post", f"{PAGE}/999/roll-secret"), ("post", f"{PAGE}/deliveries/999/retry"),
                         ("get", f"{PAGE}/abc")]:
        response = getattr(client, method)(path, data={"csrf_token": token}, headers=admin_headers)
        assert response.status_code == 404, (method, path)
    assert _audit(client, admin_headers) == []


def test_send_a_test_then_pause_and_resume_from_the_page(app, client, admin_headers, receiver):
    endpoint_id = client.post(API, json={"url": receiver.url}, headers=admin_headers).json["id"]
    token = _token(client, admin_headers)
    tested = client.post(f"{PAGE}/{endpoint_id}/test", data={"csrf_token": token}, headers=admin_headers)
    assert tested.status_code == 303 and tested.headers["Location"].startswith(f"{PAGE}?done=tested&delivery=")
    assert tested.headers["Location"].endswith(f"#endpoint-{endpoint_id}")
    [ping] = receiver.received
    assert ping.json["type"] == "ping"
    told = _html(client, admin_headers, tested.headers["Location"])
    assert "The test event was delivered: the endpoint answered HTTP 200." in told
    paused = client.post(f"{PAGE}/{endpoint_id}/pause", data={"csrf_token": token, "back": "endpoint"},
                         headers=admin_headers)
    assert paused.status_code == 303 and paused.headers["Location"] == f"{PAGE}/{endpoint_id}?done=paused"
    assert "Paused: nothing is sent" in _html(client, admin_headers, paused.headers["Location"])
    again = client.post(f"{PAGE}/{endpoint_id}/pause", data={"csrf_token": token}, headers=admin_headers)
    assert again.status_code == 303
    with app.app_context():
        signals.queue(signals.points_changed, customer_id="c-1", delta=5, balance=5)  # paused: not kept for it
        signals.commit()
    assert _count(app, WebhookDelivery) == 1 and not _active(client, admin_headers, endpoint_id)
    assert ">Resume</button>" in _html(client, admin_headers)
    resumed = client.post(f"{PAGE}/{endpoint_id}/resume", data={"csrf_token": token}, headers=admin_headers)
    assert resumed.status_code == 303 and _active(client, admin_headers, endpoint_id)
    target = f"webhook:{endpoint_id}"
    assert _audit(client, admin_headers) == [("webhook.create", target), ("webhook.test", target),
                                             ("webhook.pause", target), ("webhook.resume", target)]  # one pause


def test_delete_asks_first_then_removes_the_endpoint_and_its_log(app, client, admin_headers, receiver):
    endpoint_id, _ = _failing_delivery(app, client, admin_headers, receiver)
    asked = client.get(f"{PAGE}/{endpoint_id}/delete", headers=admin_headers)
    html = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "Delete this endpoint?" in html and receiver.url in html
    assert f'action="{PAGE}/{endpoint_id}/delete"' in html and _count(app, WebhookEndpoint) == 1
    deleted = client.post(f"{PAGE}/{endpoint_id}/delete", data={"csrf_token": _token(client, admin_headers)},
                          headers=admin_headers)
    assert deleted.status_code == 303 and deleted.headers["Location"] == f"{PAGE}?done=deleted"
    assert (_count(app, WebhookEndpoint), _count(app, WebhookDelivery), _count(app, WebhookAttempt)) == (0, 0, 0)
    assert _audit(client, admin_headers)[-1] == ("webhook.delete", f"webhook:{endpoint_id}")
    assert "Endpoint deleted" in client.get(deleted.headers["Location"], headers=admin_headers).get_data(as_text=True)


def test_a_new_signing_secret_is_asked_for_and_shown_once(app, client, admin_headers):
    endpoint = client.post(API, json={"url": "https://crm.example/hook"}, headers=admin_headers).json
    asked = client.get(f"{PAGE}/{endpoint['id']}/roll-secret", headers=admin_headers).get_data(as_text=True)
    assert "Make a new signing secret?" in asked and "jkwh_" not in asked
    rolled = client.post(f"{PAGE}/{endpoint['id']}/roll-secret", data={"csrf_token": _token(client, admin_headers)},
                         headers=admin_headers)
    assert rolled.status_code == 303
    new = client.get(f"{API}/{endpoint['id']}", headers=admin_headers).json["secret"]
    shown = client.get(rolled.headers["Location"], headers=admin_headers).get_data(as_text=True)
    assert new != endpoint["secret"] and new in shown and endpoint["secret"] not in shown
    assert new not in client.get(rolled.headers["Location"], headers=admin_headers).get_data(as_text=True)
    assert _audit(client, admin_headers)[-1] == ("webhook.update", f"webhook:{endpoint['id']}")


def test_the_log_shows_what_failed_and_a_retry_sends_it_once(app, client, admin_headers, receiver):
    endpoint_id, delivery_id = _failing_delivery(app, client, admin_headers, receiver)
    html = client.get(f"{PAGE}/{endpoint_id}", headers=admin_headers).get_data(as_text=True)
    row = re.search(rf'<tr data-delivery-id="{delivery_id}" data-status="pending">.*?</tr>', html, re.S).group(0)
    assert "points.changed" in row and "HTTP 500" in row and "next try" in row
    assert f"deliveries/{delivery_id}/retry" in row
    receiver.status = 200
    token = _token(client, admin_headers)
    retried = client.post(f"{PAGE}/deliveries/{delivery_id}/retry", data={"csrf_token": token, "back": "endpoint"},
                          headers=admin_headers)
    assert retried.status_code == 303
    assert retried.headers["Location"] == f"{PAGE}/{endpoint_id}?done=retried&delivery={delivery_id}"
    page = client.get(retried.headers["Location"], headers=admin_headers).get_data(as_text=True)
    assert "The retry was delivered: the endpoint answered HTTP 200." in page
    assert f"deliveries/{delivery_id}/retry" not in page
    again = client.post(f"{PAGE}/deliveries/{delivery_id}/retry", data={"csrf_token": token}, headers=admin_headers)
    assert again.headers["Location"].startswith(f"{PAGE}?done=already")  # a second click sends nothing more
    assert len(receiver.received) == 2
    assert _audit(client, admin_headers)[-1] == ("webhook_delivery.retry", f"webhook_delivery:{delivery_id}")
    # A delivery that failed for good shows why, and may be retried too.
    client.patch(f"{API}/{endpoint_id}", json={"url": f"http://127.0.0.1:{closed_port()}/x"}, headers=admin_headers)
    failed = client.post(f"{API}/{endpoint_id}/test", headers=admin_headers).json
    row = re.search(rf'<tr data-delivery-id="{failed["id"]}" data-status="failed">.*?</tr>',
                    client.get(PAGE, headers=admin_headers).get_data(as_text=True), re.S).group(0)
    assert "ConnectionError" in row and f"deliveries/{failed['id']}/retry" in row


def test_the_log_pages_through_older_deliveries_and_filters_by_status(app, client, admin_headers, receiver):
    endpoint_id = client.post(API, json={"url": receiver.url}, headers=admin_headers).json["id"]
    with app.app_context():
        for n in range(30):
            signals.queue(signals.points_changed, customer_id=f"c-{n}", delta=1, balance=1)
        signals.commit()
    html = client.get(f"{PAGE}/{endpoint_id}", headers=admin_headers).get_data(as_text=True)
    first = re.findall(r'data-delivery-id="(\d+)"', html)
    assert len(first) == 25 and first == sorted(first, key=int, reverse=True)
    older = re.search(r'href="([^"]+)" rel="next"', html).group(1).replace("&amp;", "&")
    rest = re.findall(r'data-delivery-id="(\d+)"', client.get(older, headers=admin_headers).get_data(as_text=True))
    assert len(rest) == 5 and not set(rest) & set(first)
    for query, count in (("status=pending", 25), ("status=failed", 0), ("status=bogus", 25), ("before=abc", 25),
                         (f"before={2**64}", 25), (f"done=tested&delivery={2**64}", 25), ("done=retried&delivery=x", 25)):
        listed = client.get(f"{PAGE}/{endpoint_id}?{query}", headers=admin_headers)
        rows = re.findall(r'data-delivery-id="', listed.get_data(as_text=True))
        assert listed.status_code == 200 and len(rows) == count, query


def test_the_api_lists_an_endpoints_deliveries_and_pausing_reads_as_such_in_the_log(app, client, admin_headers,
                                                                                     receiver):
    endpoint_id, delivery_id = _failing_delivery(app, client, admin_headers, receiver)
    listed = client.get(f"{API}/{endpoint_id}/deliveries?status=pending&limit=1", headers=admin_headers)
    assert listed.status_code == 200 and [d["id"] for d in listed.json["items"]] == [delivery_id]
    assert listed.json["next"] is None and listed.json["items"][0]["last_status_code"] == 500
    assert client.get(f"{API}/{endpoint_id}/deliveries?status=delivered", headers=admin_headers).json["items"] == []
    for query in ("status=lost", "limit=0", "limit=101", "before=x"):
        assert client.get(f"{API}/{endpoint_id}/deliveries?{query}", headers=admin_headers).status_code == 422, query
    assert client.get(f"{API}/999/deliveries", headers=admin_headers).status_code == 404
    assert client.get(f"{API}/{endpoint_id}/deliveries").status_code == 401
    client.patch(f"{API}/{endpoint_id}", json={"active": False}, headers=admin_headers)
    assert _audit(client, admin_headers)[-1] == ("webhook.pause", f"webhook:{endpoint_id}")
    paths = client.get("/journeykit/api/v1/openapi.json").json["paths"]
    spec = paths["/admin/webhooks/{endpoint_id}/deliveries"]["get"]
    assert {"200", "401", "403", "404", "422"} <= set(spec["responses"]) and spec["security"] == [{"adminKey": []}]


def test_a_shops_flask_wtf_leaves_the_pages_forms_to_their_own_token(shop_factory, admin_headers):
    from flask_wtf.csrf import CSRFProtect

    app, _, _ = shop_factory({"TESTING": False})
    CSRFProtect(app)
    client = app.test_client()
    assert _add(client, admin_headers, url="https://crm.example/hook").status_code == 303
    without_token = client.post(PAGE, data={"url": "https://crm.example/two", "events": "all"}, headers=admin_headers)
    assert without_token.status_code == 400
