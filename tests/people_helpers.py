"""Helpers for the stage tests: log events as the shop would, read people back, count signals."""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any, Iterator

import sqlalchemy as sa

from journeykit import signals
from journeykit.core.db import session
from journeykit.core.dialects import retry_deadlocks
from journeykit.journey.customers import ensure_customer
from journeykit.journey.rebuild import rebuild
from journeykit.journey.stage_rules import current_rules
from journeykit.journey.tracking import ensure_visitor, record_event
from journeykit.models import Person

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.timezone.utc)  # a Monday


def day(n: float) -> dt.datetime:
    """``n`` days after :data:`T0`."""
    return T0 + dt.timedelta(days=n)


def log(app: Any, name: str, *, customer: str | None = None, visitor: str | None = None, at: dt.datetime | None = None,
        source: str = "server", **properties: Any) -> None:
    """One event, committed (a customer is named by the shop's id), as one of JourneyKit's requests logs it."""

    @retry_deadlocks
    def request() -> None:
        who = ensure_customer(customer) if customer is not None else None
        record_event(name, customer=who, visitor_id=visitor, at=at, source=source, properties=properties)
        signals.commit()

    with app.app_context():
        request()


def join(app: Any, visitor: str, customer: str) -> None:
    """The visitor id arrives with the customer (a token or the shop's login)."""

    @retry_deadlocks
    def request() -> None:
        ensure_visitor(visitor, ensure_customer(customer))
        signals.commit()

    with app.app_context():
        request()


def person(app: Any, *, customer: str | None = None, visitor: str | None = None) -> dict[str, Any] | None:
    """The person's row as a dict (``None`` if there is none)."""
    with app.app_context():
        query = sa.select(Person)
        if customer is not None:
            from journeykit.models import Customer

            query = query.join(Customer, Customer.id == Person.customer_id).where(Customer.shop_customer_id == customer)
        else:
            query = query.where(Person.visitor_id == visitor)
        found = session().scalars(query).first()
        if found is None:
            return None
        return {column.key: getattr(found, column.key) for column in sa.inspect(Person).columns}


def check(app: Any) -> int:
    """How many differences ``stages rebuild --check`` finds."""
    with app.app_context():
        return rebuild(current_rules(), check=True).differences


@contextlib.contextmanager
def stage_signals() -> Iterator[list[dict[str, Any]]]:
    """Collect ``stage_changed`` as ``{"customer_id", "visitor_id", "old", "new"}``."""
    received: list[dict[str, Any]] = []

    def receiver(sender: Any, **extra: Any) -> None:
        received.append(extra)

    signals.stage_changed.connect(receiver)
    try:
        yield received
    finally:
        signals.stage_changed.disconnect(receiver)
