"""JourneyKit's core tables: customers, visitors, orders and the journey event log.

Times are timezone-aware UTC (:class:`~journeykit.db.UTCDateTime`); money is an
integer in the currency's minor unit (cents, or yen for zero-decimal
currencies), never a float.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, BigIntPK, JSONType, UTCDateTime, utcnow, value_enum
from ..errors import JourneyKitError
from ..stages import Stage



class OrderStatus(str, enum.Enum):
    """Where a checkout's payment stands; refunds and disputes are tracked beside it."""

    PENDING = "pending"  # completed checkout, payment not yet confirmed (e.g. SEPA debit)
    PAID = "paid"
    FAILED = "failed"  # an asynchronous payment that did not go through
    EXPIRED = "expired"  # an abandoned checkout


class DisputeStatus(str, enum.Enum):
    OPEN = "open"
    WON = "won"
    LOST = "lost"


class Customer(Base):
    """A shopper known to the shop (by its own id), to Stripe, or by e-mail."""

    __tablename__ = "journeykit_customers"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    #: The shop's own customer id, as a string (``None`` for a buyer known only by e-mail).
    shop_customer_id: Mapped[str | None] = mapped_column(sa.String(255), unique=True)
    #: Lower-cased and stripped, so the same person is found however they typed it.
    email: Mapped[str | None] = mapped_column(sa.String(320), index=True)
    name: Mapped[str | None] = mapped_column(sa.String(200))
    stripe_customer_id: Mapped[str | None] = mapped_column(sa.String(255), unique=True)
    stage: Mapped[Stage] = mapped_column(value_enum(Stage, "stage"), default=Stage.AWARENESS)
    stage_changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    visitors: Mapped[list[Visitor]] = relationship(back_populates="customer")
    orders: Mapped[list[Order]] = relationship(back_populates="customer")

    def __repr__(self) -> str:
        return f"<Customer {self.id} shop_id={self.shop_customer_id!r} stage={self.stage}>"


class Visitor(Base):
    """An anonymous browser, joined to a customer once we learn who it is."""

    __tablename__ = "journeykit_visitors"

    #: The random id the embed script or the visitor cookie carries.
    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    customer_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("journeykit_customers.id", ondelete="SET NULL"), index=True
    )
    first_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    joined_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    customer: Mapped[Customer | None] = relationship(back_populates="visitors")


class Order(Base):
    """One Stripe Checkout Session and what became of its payment."""

    __tablename__ = "journeykit_orders"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    #: Stripe's ``cs_…`` id: one order per checkout session, however often Stripe tells us.
    checkout_session_id: Mapped[str] = mapped_column(sa.String(255), unique=True)
    payment_intent_id: Mapped[str | None] = mapped_column(sa.String(255), unique=True)
    customer_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("journeykit_customers.id", ondelete="SET NULL"), index=True
    )
    visitor_id: Mapped[str | None] = mapped_column(sa.String(64))
    referral_code: Mapped[str | None] = mapped_column(sa.String(64))
    status: Mapped[OrderStatus] = mapped_column(value_enum(OrderStatus, "order_status"))
    #: In the currency's minor unit (cents; yen for JPY).
    amount_total: Mapped[int] = mapped_column(sa.BigInteger)
    #: Stripe's cumulative ``amount_refunded``: state, not a sum of deltas.
    amount_refunded: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    #: ISO 4217, lower case as Stripe sends it.
    currency: Mapped[str] = mapped_column(sa.String(3))
    dispute_status: Mapped[DisputeStatus | None] = mapped_column(value_enum(DisputeStatus, "dispute_status"))
    livemode: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    #: The session's metadata named no products: they are fetched from Stripe's
    #: line items later, off the webhook's path (``flask journeykit stripe line-items``).
    products_pending: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    paid_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    customer: Mapped[Customer | None] = relationship(back_populates="orders")
    items: Mapped[list[OrderItem]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderItem.id"
    )

    @property
    def product_ids(self) -> list[str]:
        return [item.product_id for item in self.items]


class OrderItem(Base):
    """A product (by the shop's product id) bought in an order."""

    __tablename__ = "journeykit_order_items"
    __table_args__ = (sa.UniqueConstraint("order_id", "product_id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("journeykit_orders.id", ondelete="CASCADE"))
    product_id: Mapped[str] = mapped_column(sa.String(255), index=True)
    quantity: Mapped[int] = mapped_column(sa.Integer, default=1)
    #: The line's total in the order's currency, when Stripe told us.
    amount_total: Mapped[int | None] = mapped_column(sa.BigInteger)

    order: Mapped[Order] = relationship(back_populates="items")


class JourneyEvent(Base):
    """One thing a person did, in an append-only log.

    Rows are never updated or deleted (see the mapper guards below): stages
    and metrics can always be rebuilt from this log.
    """

    __tablename__ = "journeykit_journey_events"
    #: A joined visitor's anonymous events (visitor id, no customer) are found without
    #: reading every anonymous event, as an index on the visitor id alone would.
    __table_args__ = (sa.Index("ix_journeykit_journey_events_visitor_customer", "visitor_id", "customer_id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(64))
    customer_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("journeykit_customers.id", ondelete="SET NULL"), index=True
    )
    visitor_id: Mapped[str | None] = mapped_column(sa.String(64))
    product_id: Mapped[str | None] = mapped_column(sa.String(255))
    properties: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    #: Where it came from: ``server`` (journey.track), ``browser`` or ``stripe``.
    source: Mapped[str] = mapped_column(sa.String(16), default="server")
    #: Set for effects that must be logged once only (e.g. ``purchase:cs_…``).
    dedupe_key: Mapped[str | None] = mapped_column(sa.String(255), unique=True)
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


@event.listens_for(JourneyEvent, "before_update")
@event.listens_for(JourneyEvent, "before_delete")
def _refuse_rewriting_history(mapper: Any, connection: Any, target: JourneyEvent) -> None:
    raise JourneyKitError("The journey event log is append-only: events are never changed or deleted")
