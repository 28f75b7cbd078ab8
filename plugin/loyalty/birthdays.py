"""The birthday bonus: a shopper gives their birthday (month and day, never the year), the shop gives points on it.

``PUT {prefix}/api/v1/me/loyalty/birthday`` stores it (``GET`` reads it
back).  ``flask journeykit loyalty birthdays``, from a daily cron, runs
:func:`run`: ``JOURNEYKIT_POINTS_BIRTHDAY`` points (or the owner's value in
the admin; 0, the default, gives nothing) to every customer whose birthday is
today in UTC, a 29 February birthday on 28 February in other years.  A
birthday set or changed in the last 30 days earns nothing this year (no
setting it to today for the points).  The entry's key is ``birthday:<year>``,
so a customer gets it once a year however often, or from however many
processes, the command runs.
"""

from __future__ import annotations

import calendar
import datetime as dt
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask import Blueprint
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from .. import journey
from ..core import openapi, signals
from ..core.db import session, utcnow
from ..core.inputs import StrictInteger, load_json
from ..core.paging import keyset_batches
from . import ledger, rules, tiers
from .models import EntryKind, PointsBalance

if TYPE_CHECKING:
    from ..journey.models import Customer

#: A birthday set more recently than this earns no bonus yet.
SETTLING = dt.timedelta(days=30)


class BirthdaySchema(Schema):
    """A birthday without a year: 29 February is allowed."""

    month = StrictInteger(required=True, validate=validate.Range(1, 12))
    day = StrictInteger(required=True, validate=validate.Range(1, 31))

    @validates_schema
    def _real_date(self, data: dict[str, Any], **kwargs: Any) -> None:
        if "month" in data and "day" in data and data["day"] > calendar.monthrange(2000, data["month"])[1]:  # a leap year
            raise ValidationError(f"{calendar.month_name[data['month']]} has no day {data['day']}.", "day")


class BirthdayOutSchema(Schema):
    month = fields.Integer(required=True, allow_none=True)
    day = fields.Integer(required=True, allow_none=True)


_birthday = BirthdaySchema()


def set_birthday(customer: Customer, month: int, day: int, *, now: dt.datetime | None = None) -> None:
    """Store the customer's birthday; a different one than before counts as set ``now`` (the same again changes nothing).

    The caller commits.  ``month`` and ``day`` must make a date (see :class:`BirthdaySchema`).
    """
    row = ledger.locked_balance(customer)
    if (row.birthday_month, row.birthday_day) != (month, day):
        row.birthday_month, row.birthday_day, row.birthday_set_at = month, day, now or utcnow()


def forget(customer_id: int) -> None:
    """Erase the customer's birthday (right to erasure; their points stay, anonymous).  The caller commits."""
    session().execute(sa.update(PointsBalance).where(PointsBalance.customer_id == customer_id)
                      .values(birthday_month=None, birthday_day=None, birthday_set_at=None))


def _celebrated(today: dt.date) -> list[tuple[int, int]]:
    """The birthdays ``today`` celebrates: its own, and 29 February on 28 February of a common year."""
    days = [(today.month, today.day)]
    if (today.month, today.day) == (2, 28) and not calendar.isleap(today.year):
        days.append((2, 29))
    return days


def run(now: dt.datetime | None = None) -> dict[str, int]:
    """Give today's birthday bonuses (today: ``now``'s UTC date); how many were given.

    Batched by customer id; each customer in a transaction of their own,
    under their balance lock, with the birthday read again there.
    """
    points = int(rules.value("birthday"))
    if points <= 0:
        return {"granted": 0}
    now = now or utcnow()
    today = now.astimezone(dt.timezone.utc).date()
    celebrated = _celebrated(today)
    due = sa.select(PointsBalance.customer_id.label("id")).where(
        sa.or_(*(sa.and_(PointsBalance.birthday_month == month, PointsBalance.birthday_day == day)
                 for month, day in celebrated)),
        PointsBalance.birthday_set_at <= now - SETTLING)
    granted = 0
    for batch in keyset_batches(due, PointsBalance.customer_id):
        ids = [row.id for row in batch]
        session().rollback()  # the batch was read; each customer is then changed in a transaction of its own
        for customer in journey.customers_by_id(ids).values():
            granted += _give(customer, points, today, celebrated, now)
            signals.commit()
    return {"granted": granted}


def _give(customer: Customer, points: int, today: dt.date, celebrated: list[tuple[int, int]], now: dt.datetime) -> int:
    row = ledger.locked_balance(customer)  # read again under the lock: the birthday may have changed since
    if (customer.shop_customer_id is None or (row.birthday_month, row.birthday_day) not in celebrated
            or row.birthday_set_at is None or row.birthday_set_at > now - SETTLING):
        return 0
    key = f"birthday:{today.year}"
    if ledger.posted(customer.id, key) is not None:
        return 0
    tiers.earn(customer, points, EntryKind.BIRTHDAY, key=key, source=("birthday", str(today.year)), at=now)
    return 1


@openapi.documented(response=BirthdayOutSchema, errors={401: "Not signed in (customer_required)."})
def my_birthday() -> dict[str, Any]:
    """The signed-in shopper's birthday (month and day; both null if they never gave it)."""
    _, customer = journey.signed_in_customer()
    row = ledger.balance_row(customer.id)
    return {"month": row.birthday_month if row else None, "day": row.birthday_day if row else None}


@openapi.documented(body=BirthdaySchema, response=BirthdayOutSchema,
                    errors={401: "Not signed in (customer_required)."})
def set_my_birthday() -> dict[str, Any]:
    """Give or change the shopper's birthday, for the birthday bonus.

    Month and day only (29 February allowed; a day the month does not have is a 422).  A birthday given or changed
    in the last 30 days earns no bonus yet.
    """
    data = load_json(_birthday)
    _, customer = journey.signed_in_customer()
    set_birthday(customer, data["month"], data["day"])
    signals.commit()
    return {"month": data["month"], "day": data["day"]}


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/me/loyalty/birthday", view_func=my_birthday, methods=["GET"])
    bp.add_url_rule("/me/loyalty/birthday", view_func=set_my_birthday, methods=["PUT"])
