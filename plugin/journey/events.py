"""Journey events as they arrive: from storefronts (``POST /api/v1/events``) and from the shop's code.

The storefront endpoint is built for ``navigator.sendBeacon``, which can send
neither headers nor JSON's content type: the visitor id and the customer
token may come in the body, and ``text/plain`` bodies are read as JSON.
Beacons are fire-and-forget, so what a bot sends is acknowledged and
dropped rather than refused (a refusal would only be retried).
"""

from __future__ import annotations

import json
import threading
import weakref
from dataclasses import dataclass
from typing import Any, Sequence

from crawlerdetect import CrawlerDetect
from flask import current_app, has_request_context, request
from werkzeug.exceptions import HTTPException

from ..core import products, rate_limits, signals
from ..core.config import as_list
from ..core.dialects import retry_deadlocks
from ..core.errors import ValidationError
from ..core.group_commit import GroupCommit
from ..core.identity import Shopper, current_visitor_id, is_visitor_id, read_token
from ..core.inputs import load_json
from . import people, schemas
from .customers import check_customer_id, customer_for, ensure_customer
from .stage_rules import IGNORED_EVENTS
from .tracking import lock_visitors, record_event

_batch_schema = schemas.EventBatchSchema()
_event_schema = schemas.EventSchema()
#: One detector for the process: its patterns compile once and its answers are cached.
_crawlers = CrawlerDetect()
#: One group commit of beacons per app in this process.
_committers: weakref.WeakKeyDictionary[Any, GroupCommit[_Beacon]] = weakref.WeakKeyDictionary()
_committers_lock = threading.Lock()


def is_bot(user_agent: str | None) -> bool:
    """Whether a user agent is a crawler, link preview or script; browsers always send one."""
    return not user_agent or _crawlers.is_crawler(user_agent)


def ignored_agent(user_agent: str) -> bool:
    """Whether what this user agent does goes unrecorded: a bot's, unless the shop keeps them all or names it (its own tests).

    Also what a referral link's click asks (:mod:`journeykit.referrals.links`).
    """
    config = current_app.config
    if config["JOURNEYKIT_TRACK_BOTS"]:
        return False
    kept = [name.lower() for name in as_list(config["JOURNEYKIT_TRACK_USER_AGENTS"])]
    return is_bot(user_agent) and not any(name in user_agent.lower() for name in kept)


def owner_request() -> bool:
    """Whether this request is the shop owner's or an admin's (the shop's ``admin_guard`` says yes) and so goes unrecorded.

    With ``JOURNEYKIT_EXCLUDE_ADMIN_TRAFFIC`` (the default) the owner
    checking their own shop never counts as a shopper: not their widget
    views, not their beacons, not ``journey.track`` in their requests.  Only
    the guard decides (the shop's own login); an admin API key names a
    script, not a person browsing.  A guard that refuses by raising an HTTP
    error says "not an admin".
    """
    if not has_request_context() or not current_app.config["JOURNEYKIT_EXCLUDE_ADMIN_TRAFFIC"]:
        return False
    guard = current_app.extensions["journeykit"].journey._admin_guard
    if guard is None:
        return False
    try:
        return bool(guard())
    except HTTPException:
        return False


def receive_batch() -> dict[str, int]:
    """Validate, rate-limit and store a storefront's batch; returns what was accepted and ignored."""
    batch = load_json(_batch_schema, allow_text_plain=True)
    shopper = _batch_shopper(batch)
    visitor_id = current_visitor_id() or batch["visitor_id"]
    if shopper is None and visitor_id is None:
        raise ValidationError(
            "Name the visitor (X-JourneyKit-Visitor or visitor_id) or the customer "
            "(X-JourneyKit-Customer or customer_token).",
            error_code="anonymous_event",
        )
    unknown = {f"events.{n}.product_id": ["The shop has no such product."]
               for n, event in enumerate(batch["events"]) if event["product_id"] and products.describe(event["product_id"]) is None}
    if unknown:
        raise ValidationError("Some events name products the shop does not have.", error_code="unknown_product", fields=unknown)
    rate_limits.hit("events", "JOURNEYKIT_EVENTS_RATE_LIMIT", *_limit_keys(shopper, visitor_id))
    if ignored_agent(request.user_agent.string) or owner_request():
        return {"accepted": 0, "ignored": len(batch["events"])}
    check_customer_id(shopper)
    signals.commit()  # the request's own transaction ends: another request's thread may write this batch
    committer().submit(_Beacon(shopper, visitor_id, batch["events"]), _store_group)
    return {"accepted": len(batch["events"]), "ignored": 0}


@dataclass(frozen=True)
class _Beacon:
    """A storefront batch, checked and ready to store: by whom, and what happened."""

    shopper: Shopper | None
    visitor_id: str | None
    events: list[dict[str, Any]]

    @property
    def order(self) -> tuple[str, str]:
        """Groups lock visitors and people in this order: two groups sharing a shopper never wait on each other in a cycle."""
        return (self.visitor_id or "", self.shopper.customer_id if self.shopper else "")


def committer() -> GroupCommit[_Beacon]:
    """This process's group commit of beacons for the current app."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    with _committers_lock:
        return _committers.setdefault(app, GroupCommit())


def _record(beacon: _Beacon) -> None:
    customer = customer_for(beacon.shopper)
    for event in beacon.events:
        record_event(event["name"], customer=customer, visitor_id=beacon.visitor_id, product_id=event["product_id"],
                     properties=event["properties"], source="browser")


@retry_deadlocks
def _store_group(beacons: Sequence[_Beacon]) -> list[None]:
    """Several requests' batches in one transaction, the rollups they move written once (see :mod:`..core.group_commit`)."""
    ordered = sorted(beacons, key=lambda beacon: beacon.order)
    with people.gathered():
        _lock_group(ordered)
        for beacon in ordered:
            _record(beacon)
    signals.commit()
    return [None] * len(beacons)


def _lock_group(beacons: Sequence[_Beacon]) -> None:
    """Lock the group's visitors, then its anonymous people, each kind in one go (their order: see :attr:`_Beacon.order`)."""
    visitors = {visitor.id: visitor for visitor in lock_visitors(beacon.visitor_id for beacon in beacons if beacon.visitor_id)}
    people.lock_anonymous(
        beacon.visitor_id for beacon in beacons
        if beacon.visitor_id and beacon.shopper is None and visitors[beacon.visitor_id].customer_id is None
        and any(event["name"] not in IGNORED_EVENTS for event in beacon.events)
    )


def _batch_shopper(batch: dict[str, Any]) -> Shopper | None:
    """The shopper named by the request's header or loader, else by the body's token (beacons)."""
    shopper = current_app.extensions["journeykit"].journey.current_shopper()
    if shopper is None and batch["customer_token"]:
        shopper = read_token(current_app._get_current_object(), batch["customer_token"])  # type: ignore[attr-defined]
    return shopper


def _limit_keys(shopper: Shopper | None, visitor_id: str | None) -> list[str]:
    who = f"customer:{shopper.customer_id}" if shopper else f"visitor:{visitor_id}"
    return [who, f"address:{rate_limits.client_address()}"]


def track(
    event: str,
    *,
    customer_id: Any = None,
    visitor_id: str | None = None,
    product_id: str | None = None,
    **props: Any,
) -> None:
    """Record one event from the shop's own code and commit it (see :meth:`JourneyKit.track`)."""
    errors = _event_schema.validate({"name": event, "product_id": product_id, "properties": props})
    if visitor_id is not None and not is_visitor_id(visitor_id):
        errors["visitor_id"] = ["Use 16 to 64 URL-safe characters."]
    if errors:
        raise ValueError(f"Not a valid journey event: {errors}")
    json.dumps(props)  # a TypeError now, not a failed commit later
    if owner_request():
        return
    if customer_id is None and visitor_id is None and has_request_context():
        shopper = current_app.extensions["journeykit"].journey.current_shopper()
        customer_id = shopper.customer_id if shopper else None
        visitor_id = current_visitor_id()
    if customer_id is None and visitor_id is None:
        raise ValueError("journey.track() needs a customer_id or a visitor_id (none is known for this request).")
    customer = ensure_customer(str(customer_id)) if customer_id is not None else None
    record_event(event, customer=customer, visitor_id=visitor_id, product_id=product_id, properties=props)
    signals.commit()
