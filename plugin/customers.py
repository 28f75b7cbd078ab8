"""Finding and creating JourneyKit's record of a shop's customer."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from .db import insert_if_absent, session, utcnow
from .models import Customer
from .stages import Stage


def normalize_email(email: str | None) -> str | None:
    """Strip and lower-case an address, so ``Jo@Shop.com `` and ``jo@shop.com`` match."""
    if email is None:
        return None
    email = email.strip().lower()
    return email or None


def ensure_customer(
    shop_customer_id: str, *, email: str | None = None, name: str | None = None, seen_at: dt.datetime | None = None
) -> Customer:
    """The customer with the shop's id ``shop_customer_id``, created if new.

    Safe under concurrency: two first requests of one shopper insert one row.
    A known e-mail or name is updated when the shop tells us a new one.  A new
    customer is logged as ``customer_created`` (once), dated ``seen_at`` when
    the news is older than its arrival (a Stripe event is dated by Stripe), so
    a late webhook does not make the customer look active this week.
    """
    shop_customer_id = str(shop_customer_id)
    email = normalize_email(email)
    now = utcnow()
    values = {
        "shop_customer_id": shop_customer_id,
        "email": email,
        "name": name,
        "stage": Stage.AWARENESS,
        "stage_changed_at": now,
        "created_at": now,
        "updated_at": now,
    }
    table = Customer.__table__
    created = insert_if_absent(table, values, on=["shop_customer_id"])
    customer = session().scalars(
        sa.select(Customer).where(Customer.shop_customer_id == shop_customer_id)
    ).one()
    if email and customer.email != email:
        customer.email = email
    if name and customer.name != name:
        customer.name = name
    if created:
        from .tracking import record_event  # noqa: PLC0415 - tracking builds on this module

        record_event("customer_created", customer=customer, dedupe_key=f"customer_created:{customer.id}", at=seen_at or now)
    return customer
