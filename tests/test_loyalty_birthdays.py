"""The birthday bonus: month and day from the shopper, points once a year on the day, never for a birthday set lately."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from journeykit import loyalty
from journeykit.core.db import utcnow
from journeykit.journey import ensure_customer
from journeykit.loyalty import birthdays
from journeykit.loyalty.ledger import check
from journeykit.models import PointsBalance, PointsEntry

from .conftest import SERVER_BACKENDS
from .loyalty_helpers import customer, entries
from .threads import at_once

API = "/journeykit/api/v1/me/loyalty/birthday"
BONUS = {"JOURNEYKIT_POINTS_BIRTHDAY": 100}
UTC = dt.timezone.utc


def _noon(year: int, month: int, day: int) -> dt.datetime:
    return dt.datetime(year, month, day, 12, tzinfo=UTC)


def _set(app, shop_id: str, month: int, day: int, at: dt.datetime) -> None:
    """Give the customer a birthday as if they had set it at ``at``."""
    with app.app_context():
        birthdays.set_birthday(ensure_customer(shop_id), month, day, now=at)
        app.extensions["sqlalchemy"].session.commit()


def _run(app, now: dt.datetime) -> int:
    with app.app_context():
        return birthdays.run(now)["granted"]


def _keys(app) -> list[tuple[str, int, str]]:
    with app.app_context():
        return [(row.shop_customer_id, row.points, row.key) for row in app.extensions["sqlalchemy"].session.execute(
            sa.text("SELECT c.shop_customer_id, e.points, e.key FROM journeykit_points_entries e "
                    "JOIN journeykit_customers c ON c.id = e.customer_id ORDER BY e.id"))]


def test_a_shopper_sets_month_and_day_and_bad_dates_change_nothing(app, client, shopper):
    headers = shopper("c-1")
    assert client.get(API, headers=headers).json == {"month": None, "day": None}
    assert client.put(API, json={"month": 2, "day": 29}, headers=headers).json == {"month": 2, "day": 29}
    for wrong in ({"month": 2, "day": 30}, {"month": 4, "day": 31}, {"month": 13, "day": 1}, {"month": 0, "day": 1},
                  {"month": 5, "day": 0}, {"month": "5", "day": 1}, {"month": True, "day": 1}, {"month": 5.5, "day": 1},
                  {"month": 5}, {"month": 5, "day": 1, "year": 1990}, [5, 1]):
        answer = client.put(API, json=wrong, headers=headers)
        assert answer.status_code == 422, wrong
        assert answer.json["error"]["code"] == "validation_error"
    assert client.put(API, json={"month": 2, "day": 30}, headers=headers).json["error"]["fields"] == {
        "day": ["February has no day 30."]}
    assert client.get(API, headers=headers).json == {"month": 2, "day": 29}


def test_only_a_signed_in_shopper_has_a_birthday(app, client):
    for method in (client.get, client.put):
        answer = method(API, json={"month": 1, "day": 1})
        assert answer.status_code == 401 and answer.json["error"]["code"] == "customer_required"
    with app.app_context():
        assert app.extensions["sqlalchemy"].session.scalar(sa.select(sa.func.count()).select_from(PointsBalance)) == 0


def test_changing_the_birthday_restarts_its_30_days_and_setting_the_same_one_does_not(app, client, shopper):
    headers = shopper("c-1")
    client.put(API, json={"month": 6, "day": 15}, headers=headers)

    def set_at() -> dt.datetime:
        with app.app_context():
            return app.extensions["sqlalchemy"].session.scalar(sa.select(PointsBalance.birthday_set_at))

    first = set_at()
    client.put(API, json={"month": 6, "day": 15}, headers=headers)
    assert set_at() == first
    client.put(API, json={"month": 6, "day": 16}, headers=headers)
    assert set_at() > first


def test_the_bonus_is_given_on_the_day_once_a_year_never_for_a_birthday_set_lately(shop_factory):
    app, _, _ = shop_factory(BONUS)
    today = _noon(2026, 6, 15)
    _set(app, "old-friend", 6, 15, today - dt.timedelta(days=40))
    _set(app, "just-set", 6, 15, today - dt.timedelta(days=10))  # set for the points: nothing this year
    _set(app, "tomorrow", 6, 16, today - dt.timedelta(days=400))
    _set(app, "exactly-30", 6, 15, today - dt.timedelta(days=30))
    assert _run(app, today) == 2
    assert _run(app, today + dt.timedelta(hours=6)) == 0  # cron ran twice: nothing more
    assert _run(app, today + dt.timedelta(days=1)) == 1  # tomorrow's
    assert _run(app, _noon(2027, 6, 15)) == 3  # next year, "just-set" too
    assert sorted(_keys(app)) == sorted([
        ("old-friend", 100, "birthday:2026"), ("exactly-30", 100, "birthday:2026"), ("tomorrow", 100, "birthday:2026"),
        ("old-friend", 100, "birthday:2027"), ("exactly-30", 100, "birthday:2027"), ("just-set", 100, "birthday:2027")])
    assert entries(app, "old-friend")[0] == (100, "birthday")
    with app.app_context():
        assert check() == []


@pytest.mark.parametrize(("day", "given"), [
    (_noon(2027, 2, 28), True),  # a common year: the 28th stands in for the 29th
    (_noon(2027, 3, 1), False),
    (_noon(2028, 2, 28), False),  # a leap year has the day itself
    (_noon(2028, 2, 29), True),
])
def test_a_29_february_birthday_is_kept_on_28_february_in_common_years(shop_factory, day, given):
    app, _, _ = shop_factory(BONUS)
    _set(app, "leap", 2, 29, day - dt.timedelta(days=365))
    assert _run(app, day) == int(given)


def test_no_bonus_while_the_owner_has_not_turned_it_on(app):
    now = utcnow()
    _set(app, "c-1", now.month, now.day, now - dt.timedelta(days=60))
    assert _run(app, now) == 0 and entries(app) == []


def test_the_command_gives_todays_bonuses(shop_factory):
    app, _, _ = shop_factory(BONUS)
    now = utcnow()
    _set(app, "c-1", now.month, now.day, now - dt.timedelta(days=60))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["journeykit", "loyalty", "birthdays"])
    assert result.exit_code == 0 and result.output.strip() == "Gave the birthday bonus to 1 customer(s)."
    result = runner.invoke(args=["journeykit", "loyalty", "birthdays"])
    assert result.output.strip() == "Gave the birthday bonus to 0 customer(s)."
    with app.app_context():
        assert app.extensions["sqlalchemy"].session.scalar(
            sa.select(PointsEntry.source_type).where(PointsEntry.customer_id == customer(app).id)) == "birthday"


@pytest.mark.parametrize("backend", SERVER_BACKENDS, indirect=True)
def test_two_runs_at_once_give_each_bonus_once(shop_factory):
    app, _, _ = shop_factory(BONUS)
    today = _noon(2026, 6, 15)
    for n in range(20):
        _set(app, f"c-{n}", 6, 15, today - dt.timedelta(days=60))
    granted = at_once([lambda: _run(app, today)] * 3)
    assert sum(granted) == 20
    assert len(_keys(app)) == 20
    with app.app_context():
        assert check() == []


def test_the_birthday_is_in_the_customers_privacy_export_and_forgotten_with_them(app, client, shopper, admin_headers):
    client.put(API, json={"month": 7, "day": 4}, headers=shopper("c-1"))
    export = client.get("/journeykit/api/v1/admin/customers/c-1/export", headers=admin_headers).json
    assert export["loyalty"]["birthday"] == {"month": 7, "day": 4}
    with app.app_context():
        loyalty.forget(customer(app).id)  # what journeykit.privacy's forget calls
        app.extensions["sqlalchemy"].session.commit()
    export = client.get("/journeykit/api/v1/admin/customers/c-1/export", headers=admin_headers).json
    assert export["loyalty"]["birthday"] is None
