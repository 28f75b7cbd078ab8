"""The Stripe event store: keep every verified event, apply each exactly once.

A verified event is committed to ``journeykit_stripe_events`` before anything
else happens, so nothing acknowledged is ever lost.  Applying it then runs in
one transaction that first *claims* the row with a conditional UPDATE: on
PostgreSQL the row lock makes a concurrent delivery of the same event wait and
then find it done; on SQLite the database-wide write lock does the same.  A
failure rolls the effects back and marks the event ``failed`` for a retry.

A refund or dispute that names a payment with no order yet is stored as
``deferred``.  Its purchase may be committing at that very moment, unseen by
either transaction, so *both* look again after they commit: a deferred event
retries itself once its deferral is committed, and a purchase retries the
events deferred on its payment once the order is committed.  Whichever of the
two commits last then sees the other, so no deferral is left behind.

Loyalty reads the same events, in the same transaction, for the discount
codes it made: used by a paid checkout, or deactivated in Stripe unused.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Iterable

import sqlalchemy as sa

from journeykit import loyalty, orders
from journeykit.core import signals
from journeykit.core.db import session, utcnow
from journeykit.core.dialects import insert_if_absent
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
    event failed.  Events deferred on the same payment are retried after
    commit (see the module's docstring).
    """
    row = _apply_once(event_id, ignore_reason, statuses)
    if row is None:
        return DUPLICATE
    if row.status is StripeEventStatus.DEFERRED or (
        row.status is StripeEventStatus.PROCESSED and row.type.startswith("checkout.session.")
    ):
        retry_deferred(row.object_ref)
    return row.status.value


def _apply_once(event_id: str, ignore_reason: str | None, statuses: Iterable[StripeEventStatus]) -> StripeEvent | None:
    """Claim, apply and commit one event; ``None`` when it is not in ``statuses`` (done, or being applied)."""
    claim = (
        sa.update(StripeEvent)
        .where(StripeEvent.event_id == event_id, StripeEvent.status.in_(list(statuses)))
        .values(attempts=StripeEvent.attempts + 1)
    )
    if session().execute(claim).rowcount == 0:
        signals.rollback()
        return None
    row = session().scalars(
        sa.select(StripeEvent).where(StripeEvent.event_id == event_id).execution_options(populate_existing=True)
    ).one()
    try:
        status = StripeEventStatus.IGNORED if ignore_reason else _applied(json.loads(row.payload))
        _finish(row, status, ignore_reason)
        signals.commit()
    except Exception as exc:
        signals.rollback()
        _mark_failed(event_id, exc)
        raise
    return row


def _applied(event: dict[str, Any]) -> StripeEventStatus:
    """Apply the event to the orders, then to the loyalty codes it names (a checkout that used one, a code deactivated)."""
    outcome = _OUTCOMES[orders.apply_event(event)]
    if loyalty.apply_stripe_event(event) and outcome is StripeEventStatus.IGNORED:
        return StripeEventStatus.PROCESSED
    return outcome


def _finish(row: StripeEvent, status: StripeEventStatus, error: str | None = None) -> None:
    row.status = status
    row.processed_at = utcnow()
    row.last_error = error


def retry_deferred(payment_intent: str | None = None) -> dict[str, int]:
    """Apply, in Stripe's order and each in its own transaction, the events deferred on this payment
    (every deferred event when ``None``); returns how many are now ``applied`` and still ``waiting``.

    One whose payment still has no order stays deferred, so this is safe to
    run at any time (``flask journeykit stripe replay --deferred``).
    """
    query = sa.select(StripeEvent.event_id).where(StripeEvent.status == StripeEventStatus.DEFERRED)
    if payment_intent is not None:
        query = query.where(StripeEvent.object_ref == payment_intent)
    waiting = session().scalars(query.order_by(StripeEvent.created, StripeEvent.id)).all()
    session().rollback()  # a fresh snapshot for each claim below
    counts = {"applied": 0, "waiting": 0}
    for event_id in waiting:
        row = _apply_once(event_id, None, (StripeEventStatus.DEFERRED,))
        if row is None:
            continue
        if row.status is StripeEventStatus.DEFERRED:
            counts["waiting"] += 1
        else:
            counts["applied"] += 1
            log.info("stripe event %s %s: deferred, now %s", row.event_id, row.type, row.status.value)
    return counts


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


@source("stripe_oldest_deferred_age_seconds", "gauge", "Age of the oldest Stripe event still waiting for its "
        "purchase (0: none); alert when it grows: the purchase's event never arrived (run `stripe sync`).")
def _oldest_deferred_age():
    oldest = session().scalar(
        sa.select(sa.func.min(StripeEvent.received_at)).where(StripeEvent.status == StripeEventStatus.DEFERRED))
    return [((), max((utcnow() - oldest).total_seconds(), 0.0) if oldest else 0.0)]
