"""The owner sees failed and deferred Stripe events, and can replay one."""

from __future__ import annotations

from .stripe_fixtures import linked_family

EVENTS = "/journeykit/api/v1/admin/stripe/events"


def test_deferred_events_are_listed_for_the_owner(client, admin_headers, deliver_stripe_event):
    refund = linked_family()["refund_partial"]
    deliver_stripe_event(refund)
    response = client.get(f"{EVENTS}?status=deferred", headers=admin_headers)
    assert response.status_code == 200
    assert [(item["id"], item["status"]) for item in response.json["items"]] == [(refund["id"], "deferred")]
    page = client.get("/journeykit/admin/stripe", headers=admin_headers)
    assert page.status_code == 200 and refund["id"] in page.get_data(as_text=True)


def test_the_event_admin_is_guarded_and_validated(client, admin_headers):
    assert client.get(EVENTS).status_code == 401
    assert client.get("/journeykit/admin/stripe").status_code == 401
    bad = client.get(f"{EVENTS}?status=exploded", headers=admin_headers)
    assert bad.status_code == 422 and "status" in bad.json["error"]["fields"]
    missing = client.post(f"{EVENTS}/evt_nope/replay", headers=admin_headers)
    assert missing.status_code == 404 and missing.json["error"]["code"] == "event_not_found"


def test_replaying_a_processed_event_changes_nothing(client, admin_headers, deliver_stripe_event, stripe_events):
    event = stripe_events.checkout_completed(customer_id="c-9")
    deliver_stripe_event(event)
    response = client.post(f"{EVENTS}/{event['id']}/replay", headers=admin_headers)
    assert response.status_code == 200 and response.json["outcome"] == "processed"
    customers = client.get("/journeykit/api/v1/admin/customers", headers=admin_headers).json["items"]
    assert [(c["id"], c["stage"]) for c in customers] == [("c-9", "purchase")]
