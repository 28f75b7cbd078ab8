"""The owner's webhook endpoints: admin API (validation, secrets, ping, delete) and page."""

from __future__ import annotations

import sqlalchemy as sa

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
    assert page.status_code == 200 and receiver.url in html and endpoint["secret"] in html
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    assert 'data-status="delivered"' in html and "ping" in html
    assert "/journeykit/admin/webhooks" in client.get("/journeykit/admin/", headers=admin_headers).get_data(as_text=True)
