"""The demo shop's own tables: products, customers and orders.

They belong to the shop (its own ``db``, no ``journeykit_`` prefix), exactly as
in a real storefront: JourneyKit never creates or touches them, and the shop's
``db.create_all()`` never sees JourneyKit's tables.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class ShopBase(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=ShopBase)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class Product(db.Model):  # type: ignore[name-defined]
    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The product id JourneyKit knows: widgets, reviews and orders name products by SKU.
    sku: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    tagline: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text)
    #: US cents; money is never a float.
    price_cents: Mapped[int]
    #: Which drawing the product image uses (see :mod:`.images`), and its colour.
    shape: Mapped[str] = mapped_column(sa.String(32))
    color: Mapped[str] = mapped_column(sa.String(7))


class Customer(db.Model):  # type: ignore[name-defined]
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    email: Mapped[str] = mapped_column(sa.String(320), unique=True)
    #: The shop owner may open JourneyKit's admin (see the ``admin_guard`` in the app).
    is_owner: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    @property
    def first_name(self) -> str:
        return self.name.split()[0]


class Order(db.Model):  # type: ignore[name-defined]
    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: ``None`` for a guest checkout (JourneyKit then matches the buyer by e-mail).
    customer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("customers.id"))
    email: Mapped[str] = mapped_column(sa.String(320))
    name: Mapped[str] = mapped_column(sa.String(120))
    #: ``pending`` until the payment is confirmed, then ``paid``.
    status: Mapped[str] = mapped_column(sa.String(16), default="pending")
    total_cents: Mapped[int]
    currency: Mapped[str] = mapped_column(sa.String(3), default="usd")
    #: The Stripe Checkout Session (real, or the offline demo's) that paid for it.
    stripe_session_id: Mapped[str | None] = mapped_column(sa.String(255), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    paid_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))

    customer: Mapped[Customer | None] = relationship()
    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", cascade="all, delete-orphan"
    )

    @property
    def skus(self) -> list[str]:
        return [line.product.sku for line in self.lines]


class OrderLine(db.Model):  # type: ignore[name-defined]
    __tablename__ = "order_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id"))
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id"))
    quantity: Mapped[int]
    #: The price when ordered, so later price changes do not rewrite history.
    unit_price_cents: Mapped[int]

    order: Mapped[Order] = relationship(back_populates="lines")
    product: Mapped[Product] = relationship()

    @property
    def total_cents(self) -> int:
        return self.quantity * self.unit_price_cents


class DiscountCode(db.Model):  # type: ignore[name-defined]
    """A one-time discount the shop made for a customer who spent loyalty points (offline demo, no Stripe).

    Written by JourneyKit's ``code_maker`` callback inside the redemption's own
    transaction (JourneyKit shares the shop's session), so the code exists if
    and only if the points were spent.
    """

    __tablename__ = "discount_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(64), unique=True)
    customer_id: Mapped[int] = mapped_column(sa.ForeignKey("customers.id"))
    amount_off_cents: Mapped[int]
    expires_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))
    #: The order that used it (a code works once).
    order_id: Mapped[int | None] = mapped_column(sa.ForeignKey("orders.id"))
