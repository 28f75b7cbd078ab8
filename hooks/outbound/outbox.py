"""The transactional outbox: webhook rows written with the change, delivered and retried later.

:func:`journeykit.signals.queue` is called inside the transaction of every
change JourneyKit reports; :func:`_on_queue` writes there one
:class:`~.models.WebhookDelivery` per active endpoint subscribed to
the event.  They commit together or not at all, so a process that dies right
after the commit loses nothing, and a rollback sends nothing.

:func:`deliver_due` (``flask journeykit hooks deliver [--loop]``, or
``journey.deliver_hooks()``) sends what is due; with
``JOURNEYKIT_HOOKS_DELIVER_AFTER_RESPONSE`` a request's own events are also
tried once its response has gone out (:func:`_deliver_after_response`).  Each row is *claimed* by a conditional UPDATE in its own short
transaction (only one of several workers matches it); the claim counts the
attempt and moves ``next_attempt_at`` ahead by a lease, so a worker that dies
mid-POST leaves a row that comes back after the lease.  Delivery is thus at
least once: receivers dedupe on the ``JourneyKit-Event-Id`` header.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import random
import secrets
from typing import Any, Iterable

import requests
import sqlalchemy as sa
from blinker import NamedSignal
from flask import Flask, Response, after_this_request, current_app, g, has_request_context
from sqlalchemy.orm import scoped_session

from journeykit.core import read_versions, signals
from journeykit.core.db import session, utcnow
from journeykit.core.dialects import count_where
from journeykit.core.prometheus import grouped, source

from . import payloads, signing
from .models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint

log = logging.getLogger("journeykit.hooks")

#: Seconds to wait after the n-th failed attempt (±20 % jitter): 1 min, 5 min, 30 min,
#: 2 h, 6 h, 12 h, 24 h, 24 h; after the 9th attempt (about 3 days) the delivery fails.
BACKOFF = [60, 300, 1800, 7200, 6 * 3600, 12 * 3600, 24 * 3600, 24 * 3600]
MAX_ATTEMPTS = len(BACKOFF) + 1
#: A claimed row is left alone this long (well beyond the POST's timeout).
LEASE = dt.timedelta(minutes=5)
#: A delivery due longer than this is overdue: no worker seems to be running (a polling worker
#: takes it within seconds, and a claimed row is not due again before its lease ends).
OVERDUE = dt.timedelta(minutes=5)
_ENDPOINTS_CACHE = "journeykit_hook_endpoints"
#: The read cache's scope of the endpoints: each process keeps them until the owner changes one.
ENDPOINTS = "webhook_endpoints"
read_versions.watch(WebhookEndpoint, ENDPOINTS)
#: ``g`` attribute: the ``evt_…`` ids a request queued, tried after its response when configured.
_REQUEST_EVENTS = "journeykit_hook_events"


# -- writing the outbox, inside the change's transaction ---------------------


def _subscribed(event_type: str) -> list[int]:
    """Ids of the active endpoints that want ``event_type``: looked up once per transaction, read from the
    database only when the owner has changed them (:func:`journeykit.core.read_versions.remembered`)."""
    db_session = session()
    if isinstance(db_session, scoped_session):
        db_session = db_session()
    transaction = db_session.get_transaction()
    cached = db_session.info.get(_ENDPOINTS_CACHE)
    if cached is None or cached[0] is not transaction:
        cached = (transaction, read_versions.remembered(ENDPOINTS, _active_endpoints, db_session))
        db_session.info[_ENDPOINTS_CACHE] = cached
    return [endpoint_id for endpoint_id, types in cached[1] if not types or event_type in types]


def _active_endpoints() -> tuple[tuple[int, tuple[str, ...]], ...]:
    rows = session().execute(
        sa.select(WebhookEndpoint.id, WebhookEndpoint.event_types).where(WebhookEndpoint.active.is_(True)))
    return tuple((row.id, tuple(row.event_types or ())) for row in rows)


def _on_queue(signal: NamedSignal, extra: dict[str, Any]) -> None:
    """The :data:`journeykit.signals.queue_listeners` entry: one outbox row per subscribed endpoint."""
    event_type = payloads.event_type(signal)
    if event_type is None:
        return
    endpoint_ids = _subscribed(event_type)
    if endpoint_ids:
        session().flush()  # the payload names new rows by their ids
        event_id = enqueue(event_type, payloads.data(signal, extra), endpoint_ids)
        if has_request_context():
            _deliver_after_response(event_id)


def enqueue(event_type: str, data: dict[str, Any], endpoint_ids: Iterable[int]) -> str:
    """Write one event to the outbox for each endpoint (the caller commits); returns its ``evt_…`` id."""
    event_id = f"evt_{secrets.token_hex(12)}"
    now = utcnow()
    body = json.dumps({"id": event_id, "type": event_type, "created": int(now.timestamp()), "data": data},
                      separators=(",", ":"))
    rows = [
        {"endpoint_id": endpoint_id, "event_id": event_id, "event_type": event_type, "payload": body,
         "status": DeliveryStatus.PENDING, "attempts": 0, "next_attempt_at": now, "created_at": now}
        for endpoint_id in endpoint_ids
    ]
    if rows:
        session().execute(sa.insert(WebhookDelivery), rows)
    return event_id


if _on_queue not in signals.queue_listeners:
    signals.queue_listeners.append(_on_queue)


# -- delivering --------------------------------------------------------------


def deliver_due(limit: int = 100, *, now: dt.datetime | None = None) -> dict[str, int]:
    """Send up to ``limit`` due deliveries once each; returns ``{"delivered", "retrying", "failed"}`` counts.

    Safe to run in several processes at once.  Needs an app context.  Rows
    of a paused (inactive) endpoint wait until it is active again.
    """
    now = now or utcnow()
    return _deliver(_due(now).limit(limit), now)


def _due(now: dt.datetime) -> sa.Select:
    """Ids of the pending deliveries due at ``now`` whose endpoint is active, the longest waiting first."""
    return (
        sa.select(WebhookDelivery.id)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(WebhookDelivery.status == DeliveryStatus.PENDING, WebhookDelivery.next_attempt_at <= now,
               WebhookEndpoint.active.is_(True))
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
    )


def _deliver(due_ids: sa.Select, now: dt.datetime) -> dict[str, int]:
    due = session().scalars(due_ids).all()
    session().commit()
    counts = {"delivered": 0, "retrying": 0, "failed": 0}
    with requests.Session() as http:
        for delivery_id in due:
            status = deliver_one(delivery_id, now=now, http=http)
            if status is not None:
                counts[_OUTCOME[status]] += 1
    return counts


_OUTCOME = {DeliveryStatus.DELIVERED: "delivered", DeliveryStatus.PENDING: "retrying", DeliveryStatus.FAILED: "failed"}


def deliver_events(event_ids: Iterable[str], *, now: dt.datetime | None = None) -> dict[str, int]:
    """Send the due deliveries of these ``evt_…`` ids once each (counts as :func:`deliver_due`)."""
    now = now or utcnow()
    return _deliver(_due(now).where(WebhookDelivery.event_id.in_(list(event_ids))), now)


def deliver_one(delivery_id: int, *, now: dt.datetime | None = None, http: requests.Session | None = None) -> DeliveryStatus | None:
    """Claim and attempt one pending, due delivery; its new status, or ``None`` if another worker has it."""
    now = now or utcnow()
    attempt = _claim(delivery_id, now)
    if attempt is None:
        return None
    row = session().execute(
        sa.select(WebhookDelivery.event_id, WebhookDelivery.event_type, WebhookDelivery.payload,
                  WebhookEndpoint.url, WebhookEndpoint.secret_seed)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(WebhookDelivery.id == delivery_id)
    ).first()
    session().commit()
    if row is None:  # its endpoint was deleted just now
        return None
    sender = http or requests.Session()
    try:
        result = signing.post(sender, row.url, row.payload.encode(), secret=signing.endpoint_secret(row.secret_seed),
                               event_id=row.event_id, event_type=row.event_type, attempt=attempt)
    finally:
        if http is None:
            sender.close()
    status = _record(delivery_id, attempt, result, row.event_type, now)
    log.info("webhook %s %s → %s attempt %d: %s", row.event_id, row.url, result.status_code or result.error,
             attempt, status.value)
    return status


def _claim(delivery_id: int, now: dt.datetime) -> int | None:
    """Take a due row for this worker; returns the attempt number, or ``None`` if it is not ours."""
    claim = (
        sa.update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id, WebhookDelivery.status == DeliveryStatus.PENDING,
               WebhookDelivery.next_attempt_at <= now)
        .values(attempts=WebhookDelivery.attempts + 1, next_attempt_at=now + LEASE)
        .execution_options(synchronize_session=False)
    )
    # Not UPDATE … RETURNING, which MySQL lacks: the row count says whether the claim won, then the row is ours to read.
    attempt = None
    if session().execute(claim).rowcount == 1:
        attempt = session().scalar(sa.select(WebhookDelivery.attempts).where(WebhookDelivery.id == delivery_id))
    session().commit()
    return attempt


def backoff(attempt: int) -> dt.timedelta:
    """How long to wait after failed attempt number ``attempt`` (1-based), with jitter."""
    base = BACKOFF[min(attempt, len(BACKOFF)) - 1]
    return dt.timedelta(seconds=base * random.uniform(0.8, 1.2))  # noqa: S311 - spreading retries, not a secret


def _record(delivery_id: int, attempt: int, result: signing.Attempt, event_type: str, now: dt.datetime) -> DeliveryStatus:
    """Log the attempt and move the row on: delivered, retried later, or failed for good."""
    values: dict[str, Any] = {"last_status_code": result.status_code, "last_error": result.error}
    if result.delivered:
        values.update(status=DeliveryStatus.DELIVERED, delivered_at=now)
    elif attempt >= MAX_ATTEMPTS or event_type == payloads.PING:
        values.update(status=DeliveryStatus.FAILED)
    else:
        values.update(next_attempt_at=now + backoff(attempt))
    updated = session().execute(
        sa.update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id, WebhookDelivery.attempts == attempt)  # not if re-claimed since
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    if updated or session().get(WebhookDelivery, delivery_id) is not None:  # gone: its endpoint was deleted
        session().execute(sa.insert(WebhookAttempt).values(
            delivery_id=delivery_id, attempt=attempt, attempted_at=now, status_code=result.status_code,
            error=result.error, duration_ms=result.duration_ms, response_excerpt=result.excerpt,
        ))
    session().commit()
    return values.get("status", DeliveryStatus.PENDING)


def retry(delivery_id: int) -> DeliveryStatus | None:
    """Try one delivery again now, whatever its status (the owner's retry).

    One more attempt: a failed row that fails again is failed again at once
    (its attempts are used up), a pending one goes on with its schedule.
    """
    now = utcnow()
    session().execute(
        sa.update(WebhookDelivery).where(WebhookDelivery.id == delivery_id)
        .values(status=DeliveryStatus.PENDING, next_attempt_at=now)
        .execution_options(synchronize_session=False)
    )
    session().commit()
    return deliver_one(delivery_id, now=now)


def ping(endpoint_id: int) -> int:
    """Send a ``ping`` event to one endpoint now (tried once, never retried); returns the delivery's id."""
    event_id = enqueue(payloads.PING, {"endpoint": endpoint_id, "message": "JourneyKit test event"}, [endpoint_id])
    session().commit()
    delivery_id = session().scalar(sa.select(WebhookDelivery.id).where(
        WebhookDelivery.endpoint_id == endpoint_id, WebhookDelivery.event_id == event_id))
    deliver_one(delivery_id)
    return delivery_id


# -- after a request's response ------------------------------------------------


def _deliver_after_response(event_id: str) -> None:
    """Try the request's queued events once its response is sent, if ``JOURNEYKIT_HOOKS_DELIVER_AFTER_RESPONSE``.

    For shops without a worker process: the receiver hears of a purchase
    seconds after it happened instead of at the next ``hooks deliver``.  The
    worker (or cron) is still needed for retries.  Only a request that
    queued an event gets the after-request step, so the shop's other routes
    pay nothing for it.
    """
    event_ids = g.get(_REQUEST_EVENTS)
    if event_ids is None:
        event_ids = g.setdefault(_REQUEST_EVENTS, [])
        after_this_request(lambda response: _after(response, event_ids))
    event_ids.append(event_id)


def _after(response: Response, event_ids: list[str]) -> Response:
    if current_app.config["JOURNEYKIT_HOOKS_DELIVER_AFTER_RESPONSE"]:
        target = current_app._get_current_object()  # type: ignore[attr-defined]
        response.call_on_close(lambda: _deliver_quietly(target, event_ids))
    return response


def _deliver_quietly(app: Flask, event_ids: list[str]) -> None:
    """Deliver in a fresh app context (the request's is gone); a failure leaves the rows for the worker."""
    with app.app_context():
        try:
            deliver_events(event_ids)
        except Exception:  # noqa: BLE001 - the response is sent: nobody else would see this
            log.exception("journeykit: delivering webhooks after a response failed; the worker will retry them")
            session().rollback()


def backlog(now: dt.datetime | None = None) -> dict[str, int]:
    """``{"waiting", "overdue"}``: pending deliveries to active endpoints, and those due for over :data:`OVERDUE`."""
    now = now or utcnow()
    pending = (
        sa.select(sa.func.count(), count_where(WebhookDelivery.next_attempt_at < now - OVERDUE))
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(WebhookDelivery.status == DeliveryStatus.PENDING, WebhookEndpoint.active.is_(True))
    )
    waiting, overdue = session().execute(pending).one()
    return {"waiting": waiting, "overdue": overdue}


@source("webhook_deliveries", "gauge", "Outbound webhook deliveries (outbox rows) by status.", ("status",))
def _webhook_deliveries_by_status():
    return grouped(WebhookDelivery.status)


@source("webhook_oldest_pending_age_seconds", "gauge", "Age of the oldest delivery still pending to an "
        "active endpoint (0: none); alert when it grows: the worker is not running, or a receiver is down.")
def _oldest_pending_age():
    oldest = session().scalar(
        sa.select(sa.func.min(WebhookDelivery.created_at))
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(WebhookDelivery.status == DeliveryStatus.PENDING, WebhookEndpoint.active.is_(True))
    )
    return [((), max((utcnow() - oldest).total_seconds(), 0.0) if oldest else 0.0)]
