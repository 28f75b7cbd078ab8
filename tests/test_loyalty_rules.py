"""Earning rules in the admin: the owner's values override the config everywhere rules are read, validated, audited."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from journeykit.core.audit import AuditEntry
from journeykit.loyalty import EntryKind, program, rules
from journeykit.models import PointsEntry
from journeykit.testing import deliver

from .conftest import ADMIN_KEY
from .loyalty_helpers import entries

API = "/journeykit/api/v1"
RULES = f"{API}/admin/loyalty/rules"
PAGE = "/journeykit/admin/loyalty/rules"
ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}


def _values(client) -> dict:
    return {rule["name"]: (rule["value"], rule["overridden"]) for rule in client.get(RULES, headers=ADMIN).json["rules"]}


def _audits(app) -> list[tuple[dict, dict]]:
    with app.app_context():
        return [(row.before, row.after) for row in app.extensions["sqlalchemy"].session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == "loyalty_rules.change").order_by(AuditEntry.id))]


def _sign_up(app, journey, shop_id: str) -> None:
    with app.test_request_context():
        token = journey.customer_token(shop_id)
    assert app.test_client().get(f"{API}/me/loyalty", headers={"X-JourneyKit-Customer": token}).status_code == 200


def test_the_rules_read_the_config_until_the_owner_changes_them(shop_factory):
    app, _, _ = shop_factory({"JOURNEYKIT_POINTS_REVIEW": 15})
    client = app.test_client()
    assert _values(client) == {"points_per_unit": (1, False), "signup": (0, False), "review": (15, False),
                               "birthday": (0, False), "referral": (0, False), "pending_days": (0, False)}
    assert client.get(RULES).status_code == 401


def test_the_owners_values_are_what_earning_uses_and_what_the_program_says(shop_factory, stripe_events):
    app, _, journey = shop_factory()
    client = app.test_client()
    answer = client.put(RULES, json={"signup": 100, "points_per_unit": {"eur": 3}, "pending_days": {"purchase": 30}},
                        headers=ADMIN)
    assert answer.status_code == 200
    changed = {rule["name"]: rule for rule in answer.json["rules"]}
    assert changed["signup"]["value"] == 100 and changed["signup"]["config_value"] == 0
    assert changed["signup"]["updated_by"] == f"API key …{ADMIN_KEY[-4:]}" and changed["review"]["updated_by"] is None
    _sign_up(app, journey, "c-1")
    for currency in ("eur", "usd"):
        event_ = stripe_events.checkout_completed(customer_id="c-1", amount_total=1000, currency=currency)
        assert deliver(client, event_, secret="whsec_test_secret").status_code == 200
    assert entries(app) == [(100, "signup"), (30, "purchase")]
    with app.app_context():
        waits = app.extensions["sqlalchemy"].session.execute(
            sa.select(PointsEntry.spendable_at, PointsEntry.created_at).order_by(PointsEntry.id)).all()
    assert waits[0][0] is None and waits[1][0] - waits[1][1] == dt.timedelta(days=30)
    with app.test_request_context():
        assert [(way["rule"], way["points"]) for way in program.ways_to_earn()] == [("purchase", 3), ("signup", 100)]
    assert _audits(app) == [({"signup": 0, "points_per_unit": 1, "pending_days": 0},
                             {"signup": 100, "points_per_unit": {"eur": 3}, "pending_days": {"purchase": 30}})]


def test_null_puts_a_rule_back_to_the_config(shop_factory):
    app, _, _ = shop_factory({"JOURNEYKIT_POINTS_REVIEW": 15})
    client = app.test_client()
    client.put(RULES, json={"review": 40}, headers=ADMIN)
    assert _values(client)["review"] == (40, True)
    assert client.put(RULES, json={"review": None}, headers=ADMIN).status_code == 200
    assert _values(client)["review"] == (15, False)
    app.config["JOURNEYKIT_POINTS_REVIEW"] = 25  # the config is in force again
    assert _values(client)["review"] == (25, False)


@pytest.mark.parametrize(("body", "field"), [
    ({"signup": 50, "review": -1}, "review"), ({"signup": 2.5}, "signup"), ({"signup": True}, "signup"),
    ({"signup": "10"}, "signup"), ({"birthday": 1_000_001}, "birthday"),
    ({"points_per_unit": {"EUR": 1}}, "points_per_unit"),
    ({"pending_days": {"shipping": 3}}, "pending_days"), ({"pending_days": 3651}, "pending_days"),
    ({"bogus": 1}, "bogus"), ({}, "_schema"), ([1], "_schema"),
])
def test_a_bad_value_is_refused_and_changes_nothing(app, client, body, field):
    answer = client.put(RULES, json=body, headers=ADMIN)
    assert answer.status_code == 422 and field in answer.json["error"]["fields"]
    assert all(not overridden for _, overridden in _values(client).values())
    assert _audits(app) == []


def test_malformed_json_and_strangers_are_refused(app, client):
    assert client.put(RULES, data="{", content_type="application/json", headers=ADMIN).status_code == 400
    assert client.put(RULES, json={"signup": 5}).status_code == 401
    assert client.put(RULES, json={"signup": 5}, headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert all(not overridden for _, overridden in _values(client).values())


def test_the_rules_are_read_once_per_request_not_once_per_call(app, db):
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        if "journeykit_settings" in statement:
            statements.append(statement)

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            for _ in range(3):
                assert rules.value("signup") == 0 and rules.pending_days(EntryKind.PURCHASE) == 0
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
    assert len(statements) == 1


def _token(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_the_owner_changes_rules_on_the_admin_page(app, client):
    page = client.get(PAGE, headers=ADMIN)
    assert page.status_code == 200 and "Earning rules" in page.text
    form = {"csrf_token": _token(page.text), "points_per_unit": "1", "signup": "0", "review": "20", "birthday": "0",
            "referral": "0", "pending_days": '{"purchase": 14}'}
    saved = client.post(PAGE, data=form, headers=ADMIN)
    assert saved.status_code == 303
    assert "Saved 2 changes." in client.get(saved.headers["Location"], headers=ADMIN).text
    assert _values(client)["review"] == (20, True) and _values(client)["pending_days"] == ({"purchase": 14}, True)
    page = client.get(PAGE, headers=ADMIN).text
    assert "value='{\"purchase\": 14}'" in page and "Set here by API key" in page
    wrong = client.post(PAGE, data={**form, "review": "-3", "signup": "5"}, headers=ADMIN)
    assert wrong.status_code == 422 and "Review bonus must be a whole number of points" in wrong.text
    assert _values(client)["signup"] == (0, False)  # nothing of a refused form is kept
    reset = client.post(PAGE, data={**form, "reset_review": "1"}, headers=ADMIN)
    assert reset.status_code == 303 and _values(client)["review"] == (0, False)
    assert len(_audits(app)) == 2


def test_the_page_refuses_a_form_without_the_owners_token(app, client):
    client.get(PAGE, headers=ADMIN)
    answer = client.post(PAGE, data={"csrf_token": "forged", "signup": "500"}, headers=ADMIN)
    assert answer.status_code == 400 and _values(client)["signup"] == (0, False)
    assert client.get(PAGE).status_code == 401
