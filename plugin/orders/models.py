"""The orders' tables: one order per Stripe Checkout Session, and the products bought in it.

Money is an integer in the currency's minor unit (cents, or yen for
zero-decimal currencies), never a float; times are timezone-aware UTC.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.db import Base, BigIntPK, UTCDateTime, utcnow, value_enum

if TYPE_CHECKING:
    from ..journey.models import Customer


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

    customer: Mapped[Customer | None] = relationship("Customer")
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
