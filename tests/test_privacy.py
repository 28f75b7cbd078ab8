"""A customer's privacy requests: everything JourneyKit holds on them, and forgetting it while the figures stay."""

from __future__ import annotations

import json

import sqlalchemy as sa

from journeykit.core.db import metadata
from journeykit.models import PointsBalance

from .hook_receiver import receiver  # noqa: F401 - the fixture

API = "/journeykit/api/v1"
#: What names the person, in every form JourneyKit might keep it.
PERSONAL = ("cust-zed-4417", "zed.quill@example.com", "Zed Quillfeather", "cus_ZEDQ4417", "12 Quill Lane",
            "Loved the mug, Zed here", "Quill mug title", "Zed Q.", "Zed's testimonial words")


def _person_everywhere(client, admin_headers, shopper, stripe_events, deliver_stripe_event, receiver) -> None:  # noqa: F811
    """One customer who bought, reviewed, voted, gave a testimonial and was sent webhooks about."""
    client.post(f"{API}/admin/webhooks", json={"url": receiver.url}, headers=admin_headers)
    purchase = stripe_events.checkout_completed(customer_id="cust-zed-4417", products=["sku-1"], amount_total=2500)
    obj = purchase["data"]["object"]
    obj["customer"] = "cus_ZEDQ4417"
    obj["customer_details"] = {"email": "zed.quill@example.com", "name": "Zed Quillfeather",
                               "address": {"line1": "12 Quill Lane", "city": "Leeds"}}
    deliver_stripe_event(purchase)
    deliver_stripe_event(stripe_events.charge_refunded(purchase, amount_refunded=500))
    with client.application.test_request_context():
        journey = client.application.extensions["journeykit"].journey
        token = journey.customer_token("cust-zed-4417", email="zed.quill@example.com", name="Zed Quillfeather")
    headers = {"X-JourneyKit-Customer": token}
    review = client.post(f"{API}/products/sku-1/reviews", headers=headers,
                         json={"rating": 4, "title": "Quill mug title", "body": "Loved the mug, Zed here", "author": "Zed Q."})
    client.post(f"{API}/admin/reviews/{review.json['id']}/publish", headers=admin_headers)
    other = client.post(f"{API}/products/sku-1/reviews", headers=shopper("c-other"), json={"rating": 2, "body": "Meh."})
    client.post(f"{API}/admin/reviews/{other.json['id']}/publish", headers=admin_headers)
    client.post(f"{API}/reviews/{other.json['id']}/helpful", headers=headers)
    client.post(f"{API}/testimonials", headers=headers,
                json={"name": "Zed Quillfeather", "body": "Zed's testimonial words", "consent": True})
    assert client.put(f"{API}/me/loyalty/birthday", headers=headers, json={"month": 7, "day": 23}).status_code == 200


def _figures(client, admin_headers) -> dict:
    return {
        "rating": client.get(f"{API}/products/sku-1/rating").json,
        "funnel": client.get(f"{API}/admin/metrics/stages", headers=admin_headers).json["funnel"],
        "sales": client.get(f"{API}/admin/metrics/sales", headers=admin_headers).json["revenue"],
        "helpful": [item["helpful"] for item in client.get(f"{API}/products/sku-1/reviews").json["items"]],
    }


def _everything_stored(app, db) -> str:
    """Every value of every row of every JourneyKit table, as one text to search."""
    with app.app_context():
        db.session.expire_all()
        return "\n".join(json.dumps([list(map(str, row)) for row in db.session.execute(sa.select(table))])
                         for table in metadata.sorted_tables)


def test_export_holds_everything_on_the_person(app, client, admin_headers, shopper, stripe_events,
                                               deliver_stripe_event, receiver):  # noqa: F811
    _person_everywhere(client, admin_headers, shopper, stripe_events, deliver_stripe_event, receiver)
    data = client.get(f"{API}/admin/customers/cust-zed-4417/export", headers=admin_headers).json
    assert data["customer"]["email"] == "zed.quill@example.com" and data["customer"]["stage"] == "advocacy"
    assert [order["amount_refunded"] for order in data["orders"]] == [500]
    loyalty = data["loyalty"]  # the points the order earned, and those its refund took back
    assert [(entry["points"], entry["kind"]) for entry in loyalty["entries"]][-1][1] == "purchase"
    assert loyalty["balance"] == sum(entry["points"] for entry in loyalty["entries"]) > 0
    assert [review["body"] for review in data["reviews"]] == ["Loved the mug, Zed here"]
    assert len(data["helpful_votes"]["reviews"]) == 1
    assert [t["body"] for t in data["testimonials"]] == ["Zed's testimonial words"]
    assert "12 Quill Lane" in json.dumps(data["stripe_events"]) and data["events"] and data["visitors"] == []
    result = app.test_cli_runner().invoke(args=["journeykit", "customer", "export", "cust-zed-4417"])
    assert result.exit_code == 0 and json.loads(result.output)["customer"]["name"] == "Zed Quillfeather"
    assert client.get(f"{API}/admin/customers/nobody/export", headers=admin_headers).status_code == 404
    assert client.get(f"{API}/admin/customers/cust-zed-4417/export").status_code == 401


def test_forgetting_leaves_nothing_personal_anywhere_and_every_figure_as_it_was(
        app, db, client, admin_headers, shopper, stripe_events, deliver_stripe_event, receiver):  # noqa: F811
    _person_everywhere(client, admin_headers, shopper, stripe_events, deliver_stripe_event, receiver)
    from journeykit.hooks import deliver_due

    with app.app_context():
        deliver_due(100)  # the webhook bodies are in the delivery log too
    stored = _everything_stored(app, db)
    assert all(value in stored for value in PERSONAL), [value for value in PERSONAL if value not in stored]
    before = _figures(client, admin_headers)
    answer = client.post(f"{API}/admin/customers/cust-zed-4417/forget", headers=admin_headers)
    assert answer.status_code == 200 and answer.json["reviews"] == 1 and answer.json["testimonials"] == 1
    stored = _everything_stored(app, db)
    left = {value: [line[max(0, line.find(value) - 120):line.find(value) + 60] for line in stored.split("\n") if value in line]
            for value in PERSONAL if value in stored}
    assert left == {}
    with app.app_context():
        assert set(db.session.scalars(sa.select(PointsBalance.birthday_month))) == {None}  # the birthday is gone too
    assert _figures(client, admin_headers) == before
    replay = app.test_cli_runner().invoke(args=["journeykit", "stripe", "replay", "--since", "2000-01-01T00:00:00"])
    assert replay.exit_code == 0, replay.output  # Stripe's events, replayed, bring no one back
    assert [value for value in PERSONAL if value in _everything_stored(app, db)] == []
    assert _figures(client, admin_headers) == before
    [entry] = client.get(f"{API}/admin/audit", query_string={"action": "customer.forget"}, headers=admin_headers).json["items"]
    assert entry["after"]["reviews"] == 1
    assert client.get(f"{API}/admin/customers/cust-zed-4417/export", headers=admin_headers).status_code == 404


def test_the_command_line_asks_before_forgetting(app, client, shopper):
    client.get(f"{API}/me/loyalty", headers=shopper("cust-cli", name="Cli Person"))
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["journeykit", "customer", "forget", "cust-cli"], input="n\n")
    assert refused.exit_code == 1
    assert runner.invoke(args=["journeykit", "customer", "export", "cust-cli"]).exit_code == 0
    done = runner.invoke(args=["journeykit", "customer", "forget", "cust-cli", "--yes"])
    assert done.exit_code == 0 and "forgotten" in done.output
    missing = runner.invoke(args=["journeykit", "customer", "forget", "cust-cli", "--yes"])
    assert missing.exit_code == 1 and "No customer" in missing.output
