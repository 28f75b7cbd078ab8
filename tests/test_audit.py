"""Every change in the admin is in the audit log: who, what, when, before and after; never edited, exportable."""

from __future__ import annotations

import csv
import io

import pytest
import sqlalchemy as sa

from journeykit.core.errors import JourneyKitError
from journeykit.models import AuditEntry

API = "/journeykit/api/v1"


def _review(client, shopper, customer: str = "c-1") -> int:
    response = client.post(f"{API}/products/sku-1/reviews", json={"rating": 2, "body": "Too small."},
                           headers=shopper(customer))
    return response.json["id"]


def _entries(client, admin_headers, **query) -> list[dict]:
    return client.get(f"{API}/admin/audit", query_string=query, headers=admin_headers).json["items"]


def test_moderation_is_logged_with_who_what_and_the_change(client, admin_headers, shopper):
    review = _review(client, shopper)
    client.post(f"{API}/admin/reviews/{review}/reject", json={"reason": "off_topic"}, headers=admin_headers)
    client.post(f"{API}/admin/reviews/{review}/publish", headers=admin_headers)
    client.post(f"{API}/admin/reviews/{review}/pin", json={"pinned": True}, headers=admin_headers)
    publish, reject = _entries(client, admin_headers, target=f"review:{review}")[1:]
    assert (publish["action"], reject["action"]) == ("review.publish", "review.reject")
    assert publish["actor"] == "API key …6789" and publish["address"] == "127.0.0.1"
    assert (publish["before"]["status"], publish["after"]["status"]) == ("rejected", "published")
    assert (reject["before"]["rejection_reason"], reject["after"]["rejection_reason"]) == (None, "off_topic")
    assert [entry["action"] for entry in _entries(client, admin_headers, action="review.pin")] == ["review.pin"]


def test_the_shops_guard_names_who_acted(shop_factory):
    app, _, journey = shop_factory()
    journey.admin_guard(lambda: "morgan@shop.example")
    client = app.test_client()
    with app.test_request_context():
        token = journey.customer_token("c-1")
    review = _review(client, lambda customer: {"X-JourneyKit-Customer": token})
    client.post(f"{API}/admin/reviews/{review}/publish")
    [entry] = client.get(f"{API}/admin/audit").json["items"]
    assert entry["actor"] == "morgan@shop.example"


def test_a_refused_change_leaves_no_entry(client, admin_headers, shopper):
    review = _review(client, shopper)
    refused = client.post(f"{API}/admin/reviews/bulk", json={"ids": [review, 999], "action": "publish"},
                          headers=admin_headers)
    assert refused.status_code == 422
    assert _entries(client, admin_headers) == []
    client.post(f"{API}/admin/reviews/bulk", json={"ids": [review], "action": "reject", "reason": "spam"},
                headers=admin_headers)
    assert [entry["action"] for entry in _entries(client, admin_headers)] == ["review.reject"]


def test_webhook_changes_are_logged_without_their_secret(client, admin_headers):
    created = client.post(f"{API}/admin/webhooks", json={"url": "http://localhost:9/in"}, headers=admin_headers).json
    client.patch(f"{API}/admin/webhooks/{created['id']}", json={"rotate_secret": True, "active": False},
                 headers=admin_headers)
    client.delete(f"{API}/admin/webhooks/{created['id']}", headers=admin_headers)
    delete, update, create = _entries(client, admin_headers)
    assert [create["action"], update["action"], delete["action"]] == ["webhook.create", "webhook.update", "webhook.delete"]
    assert (update["before"]["active"], update["after"]["active"], update["after"]["secret"]) == (True, False, "rotated")
    export = client.get(f"{API}/admin/audit/export.csv", headers=admin_headers).get_data(as_text=True)
    assert created["secret"] not in export and created["secret"] not in str(_entries(client, admin_headers))


def test_the_log_is_exported_as_csv_and_shown_to_the_owner_only(client, admin_headers, shopper):
    review = _review(client, shopper)
    client.post(f"{API}/admin/reviews/{review}/reply", json={"body": "<b>Sorry</b>"}, headers=admin_headers)
    rows = list(csv.DictReader(io.StringIO(client.get(f"{API}/admin/audit/export.csv", headers=admin_headers)
                                           .get_data(as_text=True))))
    assert [(row["action"], row["target"]) for row in rows] == [("review.reply", f"review:{review}")]
    assert '"reply": "<b>Sorry</b>"' in rows[0]["after"]
    page = client.get("/journeykit/admin/audit", headers=admin_headers).get_data(as_text=True)
    assert "review.reply" in page and "&lt;b&gt;Sorry&lt;/b&gt;" in page and "<b>Sorry</b>" not in page
    assert client.get(f"{API}/admin/audit").status_code == 401
    assert client.get("/journeykit/admin/audit").status_code == 401


def test_entries_are_never_changed_or_deleted(app, db, client, admin_headers, shopper):
    client.post(f"{API}/admin/reviews/{_review(client, shopper)}/publish", headers=admin_headers)
    with app.app_context():
        entry = db.session.scalars(sa.select(AuditEntry)).one()
        entry.actor = "someone else"
        with pytest.raises(JourneyKitError, match="append-only"):
            db.session.commit()
        db.session.rollback()
        db.session.delete(db.session.scalars(sa.select(AuditEntry)).one())
        with pytest.raises(JourneyKitError, match="append-only"):
            db.session.commit()
