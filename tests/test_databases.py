"""Every supported database gives the same answers: exact ids, every character, microseconds.

MySQL's defaults would differ from PostgreSQL's and SQLite's in each of these
(case- and accent-blind comparisons, three-byte "utf8", whole seconds), so
they are asserted on every backend, through JourneyKit's public API.
"""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from journeykit.models import Customer, Order, OrderStatus

from .conftest import MARIADB

API = "/journeykit/api/v1"


def test_customer_ids_differing_only_in_case_or_accent_are_two_customers(client, shopper, app, db):
    for shop_id in ("ann", "Ann", "ånn"):
        answer = client.post(f"{API}/products/sku-1/reviews", json={"rating": 5, "body": f"By {shop_id}."},
                             headers=shopper(shop_id))
        assert answer.status_code == 201, answer.json
    with app.app_context():
        assert sorted(db.session.scalars(sa.select(Customer.shop_customer_id))) == ["Ann", "ann", "ånn"]


def test_emoji_and_every_script_come_back_as_written(client, shopper, admin_headers):
    body = "Парфюм 香水 عطر 🫖☕️ — love it"
    created = client.post(f"{API}/products/sku-1/reviews", json={"rating": 5, "body": body}, headers=shopper("c-1"))
    assert created.status_code == 201, created.json
    assert client.post(f"{API}/admin/reviews/{created.json['id']}/publish", headers=admin_headers).status_code == 200
    assert [review["body"] for review in client.get(f"{API}/products/sku-1/reviews").json["items"]] == [body]


def test_times_keep_their_microseconds(app, db):
    paid = dt.datetime(2026, 11, 22, 12, 0, 0, 123456, tzinfo=dt.timezone.utc)
    with app.app_context():
        db.session.add(Order(checkout_session_id="cs_1", status=OrderStatus.PAID, amount_total=100, currency="usd",
                             paid_at=paid))
        db.session.commit()
        db.session.expire_all()
        assert db.session.scalars(sa.select(Order.paid_at)).one() == paid


@pytest.mark.parametrize("backend", [MARIADB], indirect=True)
def test_on_mysql_journeykits_tables_are_binary_utf8mb4_and_the_shops_keep_their_own_settings(app, db):
    """SQLite and PostgreSQL compare exactly and store every character already (the tests above show it)."""
    with app.app_context():
        rows = db.session.execute(sa.text(
            "SELECT table_name, table_collation FROM information_schema.tables WHERE table_schema = DATABASE()")).all()
    collations = dict(rows)
    ours = {name: collation for name, collation in collations.items() if name.startswith("journeykit_")}
    assert ours and set(ours.values()) == {"utf8mb4_bin"}
    assert collations["products"] == "utf8mb4_unicode_ci"  # the test database's default, as the shop set it
