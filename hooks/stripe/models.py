"""The Stripe event store's table."""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from journeykit.core.db import Base, BigIntPK, UTCDateTime, utcnow, value_enum


class StripeEventStatus(str, enum.Enum):
    """What became of a verified Stripe event."""

    RECEIVED = "received"  # stored, not yet applied (or being applied right now)
    PROCESSED = "processed"
    IGNORED = "ignored"  # a type JourneyKit does not use, or the wrong livemode
    DEFERRED = "deferred"  # names a payment JourneyKit has not seen yet; applied when it lands
    FAILED = "failed"  # applying raised; Stripe retries, or `flask journeykit stripe replay`


class StripeEvent(Base):
    """Every verified Stripe event, stored before it is acknowledged.

    Unique on Stripe's event id, so a second delivery of one event finds the
    first and changes nothing.
    """

    __tablename__ = "journeykit_stripe_events"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    event_id: Mapped[str] = mapped_column(sa.String(255), unique=True)
    type: Mapped[str] = mapped_column(sa.String(100), index=True)
    livemode: Mapped[bool] = mapped_column(sa.Boolean)
    #: When Stripe created the event.
    created: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    #: The payment intent (or session) the event is about, to find deferred events.
    object_ref: Mapped[str | None] = mapped_column(sa.String(255), index=True)
    #: The verified body, exactly as received.
    payload: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[StripeEventStatus] = mapped_column(value_enum(StripeEventStatus, "stripe_event_status"), index=True)
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    processed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
