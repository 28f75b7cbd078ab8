"""Outbound webhooks: the endpoints a shop owner configures, the outbox, and the delivery log.

One :class:`WebhookDelivery` row per event and endpoint is the outbox: it is
written in the same transaction as the change it reports, and it keeps the
exact body sent on every attempt.  :class:`WebhookAttempt` is the append-only
log of each try.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from journeykit.core.db import Base, BigIntPK, JSONType, UTCDateTime, utcnow, value_enum
from journeykit.core.errors import JourneyKitError


class DeliveryStatus(str, enum.Enum):
    """Where one event's delivery to one endpoint stands."""

    PENDING = "pending"  # waiting for its next attempt (the first one, or a retry)
    DELIVERED = "delivered"  # the endpoint answered 2xx
    FAILED = "failed"  # every attempt failed; kept, the owner may retry it


class WebhookEndpoint(Base):
    """A URL the shop owner wants JourneyKit's events POSTed to."""

    __tablename__ = "journeykit_webhook_endpoints"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    url: Mapped[str] = mapped_column(sa.String(2048))
    description: Mapped[str] = mapped_column(sa.String(200), default="")
    #: Event types sent there (``["purchase.recorded", …]``); empty: every type.
    event_types: Mapped[list[str]] = mapped_column(JSONType, default=list)
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    #: Random, per endpoint; the signing secret is HMAC(JOURNEYKIT_SECRET_KEY, this), so
    #: a copy of the database alone cannot forge hooks (see :func:`journeykit.hooks.outbound.endpoint_secret`).
    secret_seed: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class WebhookDelivery(Base):
    """One event for one endpoint: the outbox row, retried until delivered or failed."""

    __tablename__ = "journeykit_webhook_deliveries"
    __table_args__ = (
        sa.UniqueConstraint("endpoint_id", "event_id"),
        sa.Index("ix_journeykit_webhook_deliveries_due", "status", "next_attempt_at"),
        # An endpoint's newest deliveries (the owner's pages), read in order: deliveries are kept, not pruned.
        sa.Index("ix_journeykit_webhook_deliveries_latest", "endpoint_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(sa.ForeignKey("journeykit_webhook_endpoints.id", ondelete="CASCADE"))
    #: ``evt_…``: the same for every endpoint and every retry, so receivers can dedupe on it.
    event_id: Mapped[str] = mapped_column(sa.String(64))
    event_type: Mapped[str] = mapped_column(sa.String(64))
    #: The JSON body, serialised once: every attempt sends these exact bytes.
    payload: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[DeliveryStatus] = mapped_column(value_enum(DeliveryStatus, "webhook_delivery_status"))
    #: Attempts made so far (a claim counts as one, even if its worker dies).
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    #: When a worker may try next; a claim moves it ahead by a lease, so a dead worker's row comes back.
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_status_code: Mapped[int | None] = mapped_column(sa.Integer)
    last_error: Mapped[str | None] = mapped_column(sa.String(500))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    endpoint: Mapped[WebhookEndpoint] = relationship()


class WebhookAttempt(Base):
    """One try at a delivery, in an append-only log (the ORM refuses to change or delete rows)."""

    __tablename__ = "journeykit_webhook_attempts"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    delivery_id: Mapped[int] = mapped_column(
        sa.ForeignKey("journeykit_webhook_deliveries.id", ondelete="CASCADE"), index=True
    )
    attempt: Mapped[int] = mapped_column(sa.Integer)
    attempted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: The HTTP status the endpoint answered (``None``: no answer, see ``error``).
    status_code: Mapped[int | None] = mapped_column(sa.Integer)
    error: Mapped[str | None] = mapped_column(sa.String(500))
    duration_ms: Mapped[int] = mapped_column(sa.Integer)
    #: The start of the response body, for the owner's eyes (never more).
    response_excerpt: Mapped[str | None] = mapped_column(sa.String(500))


@event.listens_for(WebhookAttempt, "before_update")
def _refuse_rewriting_the_log(mapper: Any, connection: Any, target: WebhookAttempt) -> None:
    raise JourneyKitError("The webhook delivery log is append-only: attempts are never changed")
