"""The shop owner's view of the Stripe event store: what failed, what waits, and replays."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, render_template, request
from marshmallow import Schema, fields

from journeykit.core import audit, openapi
from journeykit.core.admin_access import admin_required
from journeykit.core.db import session
from journeykit.core.errors import NotFound, ValidationError
from journeykit.core.inputs import int_arg

from . import store
from .models import StripeEvent, StripeEventStatus


class StripeEventSchema(Schema):
    id = fields.String(attribute="event_id")
    type = fields.String()
    status = fields.Function(lambda row: row.status.value)
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)
    created = fields.DateTime()
    received_at = fields.DateTime()
    processed_at = fields.DateTime(allow_none=True)


_schema = StripeEventSchema()
#: What the admin page lists: what needs the owner's eye.
NEEDS_ATTENTION = (StripeEventStatus.FAILED, StripeEventStatus.DEFERRED)


def events_query(statuses: list[StripeEventStatus], limit: int, before: int | None = None) -> list[StripeEvent]:
    query = sa.select(StripeEvent).order_by(StripeEvent.id.desc()).limit(limit)
    if statuses:
        query = query.where(StripeEvent.status.in_(statuses))
    if before is not None:
        query = query.where(StripeEvent.id < before)
    return list(session().scalars(query))


def _statuses() -> list[StripeEventStatus]:
    try:
        return [StripeEventStatus(value) for value in request.args.getlist("status")]
    except ValueError:
        allowed = ", ".join(status.value for status in StripeEventStatus)
        raise ValidationError(f"status must be one of {allowed}.", fields={"status": ["Not a valid status."]})


@openapi.documented(response=openapi.page(StripeEventSchema), query=[
    openapi.query("status", "Only events in these states (repeatable).", many=True,
                  enum=[status.value for status in StripeEventStatus]),
    *openapi.paged(default=50, maximum=200, cursor="before"),
])
@admin_required
def list_events() -> dict[str, Any]:
    """``GET /api/v1/admin/stripe/events?status=failed&status=deferred``, newest first."""
    limit = int_arg("limit", default=50, low=1, high=200)
    rows = events_query(_statuses(), limit + 1, int_arg("before", default=None, low=1, high=2**63 - 1))
    page = rows[:limit]
    return {"items": _schema.dump(page, many=True), "next": str(page[-1].id) if len(rows) > limit else None}


@openapi.documented(response=openapi.json_object(id={"type": "string"}, outcome={"type": "string"}))
@admin_required
def replay_event(event_id: str) -> dict[str, Any]:
    """Re-apply one stored event now (its effects are state: a repeat changes nothing)."""
    if session().scalar(sa.select(StripeEvent.id).where(StripeEvent.event_id == event_id)) is None:
        raise NotFound(f"No stored Stripe event {event_id!r}.", error_code="event_not_found")
    audit.record("stripe_event.replay", f"stripe_event:{event_id}")
    session().commit()
    outcome = store.apply(event_id, statuses=list(StripeEventStatus))
    return {"id": event_id, "outcome": outcome}


@admin_required
def events_page() -> str:
    return render_template("journeykit/admin/stripe_events.html", events=events_query(list(NEEDS_ATTENTION), 200))


def register_api(bp: Blueprint) -> None:
    bp.add_url_rule("/admin/stripe/events", view_func=list_events, methods=["GET"])
    bp.add_url_rule("/admin/stripe/events/<event_id>/replay", view_func=replay_event, methods=["POST"])


def register_pages(bp: Blueprint) -> None:
    bp.add_url_rule("/stripe", view_func=events_page, endpoint="stripe_events")
