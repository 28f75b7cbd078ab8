"""The Stripe event store: keep every verified event, apply each exactly once.

A verified event is committed to ``journeykit_stripe_events`` before anything
else happens, so nothing acknowledged is ever lost.  Applying it then runs in
one transaction that first *claims* the row with a conditional UPDATE: on
PostgreSQL the row lock makes a concurrent delivery of the same event wait and
then find it done; on SQLite the database-wide write lock does the same.  A
failure rolls the effects back and marks the event ``failed`` for a retry.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Iterable

import sqlalchemy as sa

from journeykit import orders
from journeykit.core import signals
from journeykit.core.db import insert_if_absent, session, utcnow
from journeykit.core.prometheus import grouped, source

from .models import StripeEvent, StripeEventStatus

log = logging.getLogger("journeykit.stripe")

#: Outcome of a delivery whose event was already handled.
DUPLICATE = "duplicate"
_OUTCOMES = {
    orders.PROCESSED: StripeEventStatus.PROCESSED,
    orders.DEFERRED: StripeEventStatus.DEFERRED,
    orders.IGNORED: StripeEventStatus.IGNORED,
}
_CLAIMABLE = (StripeEventStatus.RECEIVED, StripeEventStatus.FAILED)


def store(event: dict[str, Any], payload: bytes) -> None:
    """Commit a verified event (a second delivery of the same id changes nothing)."""
    values = {
        "event_id": event["id"],
        "type": str(event.get("type", ""))[:100],
        "livemode": bool(event.get("livemode")),
        "created": orders.stripe_time(event.get("created")),
        "object_ref": orders.object_ref(event),
        "payload": payload.decode("utf-8"),
        "status": StripeEventStatus.RECEIVED,
        "attempts": 0,
        "received_at": utcnow(),
    }
    insert_if_absent(StripeEvent.__table__, values, on=["event_id"])
    session().commit()


def apply(event_id: str, *, ignore_reason: str | None = None, statuses: Iterable[StripeEventStatus] = _CLAIMABLE) -> str:
    """Apply a stored event once; returns its new status value, or ``duplicate``.

    ``ignore_reason`` stores the event as ignored without applying it (e.g.
    the wrong livemode).  Raises what applying raised, after marking the
    event failed.
    """
    claim = (
        sa.update(StripeEvent)
        .where(StripeEvent.event_id == event_id, StripeEvent.status.in_(list(statuses)))
        .values(attempts=StripeEvent.attempts + 1)
    )
    if session().execute(claim).rowcount == 0:
        signals.rollback()
        return DUPLICATE
    row = session().scalars(
        sa.select(StripeEvent).where(StripeEvent.event_id == event_id).execution_options(populate_existing=True)
    ).one()
    try:
        status = StripeEventStatus.IGNORED if ignore_reason else _apply_row(row)
        _finish(row, status, ignore_reason)
        signals.commit()
    except Exception as exc:
        signals.rollback()
        _mark_failed(event_id, exc)
        raise
    return row.status.value


def _apply_row(row: StripeEvent) -> StripeEventStatus:
    event = json.loads(row.payload)
    status = _OUTCOMES[orders.apply_event(event)]
    if status is StripeEventStatus.PROCESSED and row.type.startswith("checkout.session."):
        apply_deferred(orders.object_ref(event))
    return status


def _finish(row: StripeEvent, status: StripeEventStatus, error: str | None = None) -> None:
    row.status = status
    row.processed_at = utcnow()
    row.last_error = error


def apply_deferred(payment_intent: str | None) -> None:
    """Apply, in Stripe's order, the events that were waiting for this payment's order."""
    if not payment_intent:
        return
    waiting = session().scalars(
        sa.select(StripeEvent)
        .where(StripeEvent.object_ref == payment_intent, StripeEvent.status == StripeEventStatus.DEFERRED)
        .order_by(StripeEvent.created, StripeEvent.id)
        .with_for_update()
    ).all()
    for row in waiting:
        status = _OUTCOMES[orders.apply_event(json.loads(row.payload))]
        row.attempts += 1
        _finish(row, status)
        log.info("stripe event %s %s: deferred, now %s", row.event_id, row.type, status.value)


def _mark_failed(event_id: str, exc: Exception) -> None:
    session().execute(
        sa.update(StripeEvent)
        .where(StripeEvent.event_id == event_id)
        .values(
            status=StripeEventStatus.FAILED,
            attempts=StripeEvent.attempts + 1,
            last_error=f"{type(exc).__name__}: {exc}"[:2000],
        )
    )
    session().commit()


@source("stripe_events", "gauge", "Stripe webhook events stored, by processing status (failed ones need a replay).", ("status",))
def _stripe_events_by_status():
    return grouped(StripeEvent.status)
