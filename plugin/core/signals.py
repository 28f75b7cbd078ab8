"""Blinker signals a shop can subscribe to (``from journeykit import signals``).

Each is sent by the Flask app (``sender=current_app``) after the change it
reports has been committed, never from inside a transaction that may still
roll back; receivers take ``(sender, **extra)``.  They run in an app context,
not always in the request of the change: storefront beacons are written in
groups (:mod:`.group_commit`), so the signals of one beacon may be sent from
the thread of another that arrived with it.  Read what a receiver needs from
its arguments, not from ``flask.request``.
"""

from __future__ import annotations

from typing import Any, Callable

from blinker import NamedSignal, Namespace
from flask import current_app

from .db import session

__all__ = [
    "commit",
    "points_changed",
    "points_expiring",
    "purchase_recorded",
    "queue",
    "queue_listeners",
    "referral_converted",
    "refund_recorded",
    "review_published",
    "review_request_due",
    "review_submitted",
    "rollback",
    "stage_changed",
    "tier_changed",
]

_signals = Namespace()

#: A person moved to a later stage. Keyword arguments: ``customer_id`` (the
#: shop's id, or ``None``), ``visitor_id``, ``old`` and ``new`` (:class:`~journeykit.Stage`).
stage_changed = _signals.signal("stage-changed")
#: An order was paid for the first time. Keyword arguments: ``order`` (an
#: :class:`~journeykit.orders.models.Order`) and ``customer`` (or ``None``).
purchase_recorded = _signals.signal("purchase-recorded")
#: More of an order was refunded (or lost in a dispute). Keyword arguments:
#: ``order``, ``amount`` (this refund, minor units) and ``total_refunded``.
refund_recorded = _signals.signal("refund-recorded")
#: A shopper submitted a review. Keyword argument: ``review``.
review_submitted = _signals.signal("review-submitted")
#: A review became visible on the storefront. Keyword argument: ``review``.
review_published = _signals.signal("review-published")
#: A paid order is old enough to ask its buyer for reviews (``JOURNEYKIT_REVIEW_REQUEST_DAYS``).
#: Keyword arguments: ``order``, ``customer``, ``products`` (product ids) and ``url`` (a signed
#: one-click link to a review form for them). Send the e-mail your own way.
review_request_due = _signals.signal("review-request-due")
#: A loyalty balance changed. Keyword arguments: ``customer_id``, ``delta``, ``balance``.
points_changed = _signals.signal("points-changed")
#: ``points_expiring(app, customer_id=…, customer=…, points=…, expires_at=…)``: a customer's points expire soon
#: unless they earn or spend (sent once per expiry by ``flask journeykit loyalty expire``).
points_expiring = _signals.signal("points-expiring")
#: ``tier_changed(app, customer_id=…, customer=…, old=…, new=…)``: a customer went up or down a VIP tier.
tier_changed = _signals.signal("tier-changed")
#: A referred friend's first paid order converted through a real code (sent by ``journeykit.referrals``, once per
#: order, when the referral is paid or held). Keyword arguments: ``code`` (as stored), ``order`` (the friend's),
#: ``referrer`` (the referrer's shop customer id) and ``referral`` (the referral row).
referral_converted = _signals.signal("referral-converted")

_PENDING = "journeykit_pending_signals"

#: Called by :func:`queue` with ``(signal, extra)`` *inside* the transaction, so what they
#: write commits or rolls back with the change (the webhook outbox registers here).
queue_listeners: list[Callable[[NamedSignal, dict[str, Any]], None]] = []


def queue(signal: NamedSignal, **extra: Any) -> None:
    """Send ``signal`` once the current transaction commits through :func:`commit`."""
    for listener in queue_listeners:
        listener(signal, extra)
    session().info.setdefault(_PENDING, []).append((signal, extra))


def commit() -> None:
    """Commit the shared session, then send the signals queued in that transaction."""
    db_session = session()
    db_session.commit()
    pending = db_session.info.pop(_PENDING, [])
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    for signal, extra in pending:
        signal.send(app, **extra)


def rollback() -> None:
    """Roll back the shared session and forget the signals queued in it."""
    db_session = session()
    db_session.rollback()
    db_session.info.pop(_PENDING, None)
