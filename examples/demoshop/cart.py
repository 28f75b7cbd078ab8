"""The shopping cart, kept in the shop's signed session cookie as ``{sku: quantity}``."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask import session

from .models import Customer, DiscountCode, Order, OrderLine, Product, db

#: Most of one product a cart may hold.
MAX_QUANTITY = 20


@dataclass(frozen=True)
class CartLine:
    product: Product
    quantity: int

    @property
    def total_cents(self) -> int:
        return self.product.price_cents * self.quantity


def _raw() -> dict[str, int]:
    cart = session.get("cart")
    return dict(cart) if isinstance(cart, dict) else {}


def lines() -> list[CartLine]:
    """The cart's products in the order they were added; unknown SKUs are dropped."""
    raw = _raw()
    if not raw:
        return []
    products = {
        p.sku: p for p in db.session.scalars(sa.select(Product).where(Product.sku.in_(raw)))
    }
    return [CartLine(products[sku], qty) for sku, qty in raw.items() if sku in products and qty > 0]


def count() -> int:
    return sum(qty for qty in _raw().values() if isinstance(qty, int))


def total_cents(cart_lines: list[CartLine]) -> int:
    return sum(line.total_cents for line in cart_lines)


def set_quantity(product: Product, quantity: int, *, add: bool = False) -> None:
    """Put ``quantity`` of ``product`` in the cart (that many more, with ``add``); 0 removes it."""
    raw = _raw()
    wanted = (raw.get(product.sku, 0) if add else 0) + quantity
    wanted = max(0, min(MAX_QUANTITY, wanted))
    if wanted:
        raw[product.sku] = wanted
    else:
        raw.pop(product.sku, None)
    session["cart"] = raw


def clear() -> None:
    session.pop("cart", None)


def place_order(
    cart_lines: list[CartLine], *, customer: Customer | None, email: str, name: str,
    discount: DiscountCode | None = None, friend_off: int = 0,
) -> Order:
    """A pending order for the cart's contents, at today's prices, less ``discount`` (which it then holds).

    ``friend_off``: a referred friend's cents off their first order.
    """
    off = (discount.amount_off_cents if discount is not None else 0) + friend_off
    order = Order(
        customer=customer,
        email=email,
        name=name,
        status="pending",
        currency="usd",
        total_cents=max(total_cents(cart_lines) - off, 0),
        lines=[
            OrderLine(
                product=line.product,
                quantity=line.quantity,
                unit_price_cents=line.product.price_cents,
            )
            for line in cart_lines
        ],
    )
    db.session.add(order)
    if discount is not None:
        db.session.flush()
        discount.order_id = order.id
    db.session.commit()
    return order
