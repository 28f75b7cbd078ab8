"""The Stripe event store: keep every verified event, apply each exactly once.

A verified event is stored in ``journeykit_stripe_events`` before it is
acknowledged, so nothing acknowledged is ever lost.  Applying it runs in one
transaction that first *claims* the row: the webhook inserts a new event
already claimed and commits it with its effects (:func:`store` with
``claim``); any other delivery, a replay or a retry claims the stored row
with a conditional UPDATE.  Either way the row lock makes a concurrent
delivery of the same event wait and then find it done (on SQLite the
database-wide write lock does the same).  A failure rolls the effects back
and marks the event ``failed`` (storing it again if the rollback took it) for
a retry.

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

from journeykit import journey, loyalty, orders
from journeykit.core import signals
from journeykit.core.db import session, utcnow
from journeykit.core.dialects import fresh_scalars, insert_if_absent, retry_deadlocks
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
#: The status :func:`store` inserts a claimed event with, before applying it: no other transaction sees it before
#: the commit, which carries the effects (or a rollback takes the row away); another outcome is written over it.
_CLAIMED_AS = StripeEventStatus.PROCESSED


def store(event: dict[str, Any], payload: bytes, *, claim: bool = False) -> bool:
    """Store a verified event; whether this call inserted it (a second delivery of the same id changes nothing).

    Committed at once, unless ``claim``: a new event is then inserted already
    claimed (its first attempt) and processed, and left uncommitted, its row
    locked, for :func:`apply` (``claimed=True``) to commit with its effects:
    two statements and one commit fewer.  A concurrent delivery of the same event
    waits on that row and then finds it applied.  Should applying fail,
    :func:`apply` stores the event again, failed, so Stripe's retry or a
    replay finds it.
    """
    row = _row(event, payload, attempts=1 if claim else 0)
    if claim:  # the usual outcome, made true by the commit with the effects: most events need no second write
        row.update(status=_CLAIMED_AS, processed_at=row["received_at"])
    inserted = insert_if_absent(StripeEvent.__table__, row, on=["event_id"])
    if not (claim and inserted):
        session().commit()
    return inserted


def _row(event: dict[str, Any], payload: bytes, *, attempts: int, status: StripeEventStatus = StripeEventStatus.RECEIVED,
         error: str | None = None) -> dict[str, Any]:
    return {
        "event_id": event["id"],
        "type": str(event.get("type", ""))[:100],
        "livemode": bool(event.get("livemode")),
        "created": orders.stripe_time(event.get("created")),
        "object_ref": orders.object_ref(event),
        "payload": payload.decode("utf-8"),
        "status": status,
        "attempts": attempts,
        "last_error": error,
        "received_at": utcnow(),
    }


def apply(
    event_id: str,
    *,
    ignore_reason: str | None = None,
    statuses: Iterable[StripeEventStatus] = _CLAIMABLE,
    event: dict[str, Any] | None = None,
    claimed: bytes | None = None,
) -> str:
    """Apply a stored event once; returns its new status value, or ``duplicate``.

    ``ignore_reason`` stores the event as ignored without applying it (e.g.
    the wrong livemode).  ``event`` is the stored payload already parsed (the
    webhook's), which spares reading it back; ``claimed`` is its raw payload
    when :func:`store` has just inserted it claimed, in this transaction.
    Raises what applying raised, after marking the event failed.  Events
    deferred on the same payment are retried after commit (see the module's
    docstring).
    """
    done = _apply_once(event_id, ignore_reason, statuses, event, claimed)
    if done is None:
        return DUPLICATE
    status, kind, ref = done
    if status is StripeEventStatus.DEFERRED or (
        status is StripeEventStatus.PROCESSED and kind.startswith("checkout.session.")
    ):
        retry_deferred(ref)
    return status.value


#: What became of an applied event: its new status, its type and its payment (``object_ref``).
Applied = tuple[StripeEventStatus, str, "str | None"]


def _apply_once(
    event_id: str, ignore_reason: str | None, statuses: Iterable[StripeEventStatus],
    event: dict[str, Any] | None = None, claimed: bytes | None = None,
) -> Applied | None:
    """Claim (unless ``claimed``), apply and commit one event; ``None`` when it is not in ``statuses`` (done, or
    being applied).

    The claim's row lock is held to the commit; nothing is read back after it
    (the caller has what it needs), so an event costs its claim and its status.
    """
    if claimed is None and session().execute(_CLAIM, {"event": event_id, "statuses": list(statuses)}).rowcount == 0:
        signals.rollback()
        return None
    if event is None:
        event = json.loads(session().scalar(_PAYLOAD, {"event": event_id}))
    try:
        with journey.shared_rows_last():  # the rollups every purchase moves: locked only for the commit
            status = StripeEventStatus.IGNORED if ignore_reason else _applied(event)
            if claimed is None or status is not _CLAIMED_AS:
                _finish(event_id, status, ignore_reason)
        signals.commit()
    except Exception as exc:
        signals.rollback()
        _mark_failed(event_id, exc, (event, claimed) if claimed is not None else None)
        raise
    return status, str(event.get("type", "")), orders.object_ref(event)


def _applied(event: dict[str, Any]) -> StripeEventStatus:
    """Apply the event to the orders, then to the loyalty codes it names (a checkout that used one, a code deactivated)."""
    outcome = _OUTCOMES[orders.apply_event(event)]
    if loyalty.apply_stripe_event(event) and outcome is StripeEventStatus.IGNORED:
        return StripeEventStatus.PROCESSED
    return outcome


def _finish(event_id: str, status: StripeEventStatus, error: str | None = None) -> None:
    session().execute(_FINISH, {"event": event_id, "new_status": status, "at": utcnow(), "error": error})


_EVENTS = StripeEvent.__table__
# Every event's own statements, built once: a Core statement costs a fraction of building an ORM one each time.
_FINISH = (sa.update(_EVENTS).where(_EVENTS.c.event_id == sa.bindparam("event"))
           .values(status=sa.bindparam("new_status"), processed_at=sa.bindparam("at"), last_error=sa.bindparam("error")))
_CLAIM = (sa.update(_EVENTS).where(_EVENTS.c.event_id == sa.bindparam("event"),
                                    _EVENTS.c.status.in_(sa.bindparam("statuses", expanding=True)))
          .values(attempts=_EVENTS.c.attempts + 1))
_PAYLOAD = sa.select(_EVENTS.c.payload).where(_EVENTS.c.event_id == sa.bindparam("event"))
_DEFERRED = (sa.select(_EVENTS.c.event_id).where(_EVENTS.c.status == StripeEventStatus.DEFERRED)
             .order_by(_EVENTS.c.created, _EVENTS.c.id))
_DEFERRED_ON = _DEFERRED.where(_EVENTS.c.object_ref == sa.bindparam("ref"))


def retry_deferred(payment_intent: str | None = None) -> dict[str, int]:
    """Apply, in Stripe's order and each in its own transaction, the events deferred on this payment
    (every deferred event when ``None``); returns how many are now ``applied`` and still ``waiting``.

    One whose payment still has no order stays deferred, so this is safe to
    run at any time (``flask journeykit stripe replay --deferred``).
    """
    query, parameters = (_DEFERRED, {}) if payment_intent is None else (_DEFERRED_ON, {"ref": payment_intent})
    waiting = fresh_scalars(query, parameters)  # then a fresh snapshot for each claim below
    counts = {"applied": 0, "waiting": 0}
    for event_id in waiting:
        done = _apply_deferred(event_id)
        if done is None:
            continue
        if done[0] is StripeEventStatus.DEFERRED:
            counts["waiting"] += 1
        else:
            counts["applied"] += 1
            log.info("stripe event %s %s: deferred, now %s", event_id, done[1], done[0].value)
    return counts


@retry_deadlocks
def _apply_deferred(event_id: str) -> Applied | None:
    """Apply a deferred event again, and again after a deadlock (which marked it failed): the caller's own event is
    committed, so a deadlock here must not send it back with this one left undone."""
    return _apply_once(event_id, None, (StripeEventStatus.DEFERRED, StripeEventStatus.FAILED))


def _mark_failed(event_id: str, exc: Exception, unstored: tuple[dict[str, Any], bytes] | None = None) -> None:
    """Mark the event failed; ``unstored`` (the event and its payload) when the rollback took its row away too.

    A row another delivery stored and applied meanwhile is left as it is.
    """
    error = f"{type(exc).__name__}: {exc}"[:2000]
    update = sa.update(StripeEvent).where(StripeEvent.event_id == event_id)
    if unstored is not None:
        row = _row(*unstored, attempts=1, status=StripeEventStatus.FAILED, error=error)
        if insert_if_absent(StripeEvent.__table__, row, on=["event_id"]):
            session().commit()
            return
        update = update.where(StripeEvent.status.in_(_CLAIMABLE))
    session().execute(update.values(status=StripeEventStatus.FAILED, attempts=StripeEvent.attempts + 1, last_error=error))
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
