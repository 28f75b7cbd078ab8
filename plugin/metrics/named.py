"""The dashboard's lists in the shop's words: products by the product loader's names, customers by theirs.

Each item carries a ``{"name", "detail"}`` (see :func:`journeykit.core.names.person`
and :func:`product`): the name the owner knows first, the id beneath it, so
nothing is shown as a bare id or code where the shop has a name for it.  A
product loader that fails or knows nothing leaves the id as the name
(:func:`journeykit.core.products.label`): the page always renders.
"""

from __future__ import annotations

from typing import Any

from flask import url_for

from .. import orders, referrals, reviews
from ..core import names, products


def product(product_id: str) -> dict[str, Any]:
    """The product's name (the loader's, else its id), its id as the detail when named, and its reviews in the inbox."""
    label = products.label(product_id)
    return {"name": label["name"], "detail": product_id if label["named"] else None, "url": label["url"],
            "reviews": url_for("journeykit.admin.reviews", status="all", product=product_id)}


def top_products(limit: int) -> list[dict[str, Any]]:
    """The best-rated products (:func:`journeykit.reviews.top_rated_products`), named."""
    return [{"product_id": rating.product_id, "product": product(rating.product_id), "average": rating.total / rating.count,
             "count": rating.count} for rating in reviews.top_rated_products(limit)]


def waiting(newest: int) -> dict[str, Any]:
    """How many reviews wait for moderation, and the newest: named, each linked to its card in the inbox.

    The link filters the inbox to the review's product, so the review is
    among few, and jumps to its card (``#review-<id>``).
    """
    found = reviews.waiting(newest)
    return {"count": found["count"], "newest": [_waiting(review) for review in found["newest"]]}


def _waiting(review: Any) -> dict[str, Any]:
    who = review.customer  # their name, else the one they gave with the review; their e-mail and id beneath
    author = names.person(review.author) if who is None else names.person(
        who.name or review.author, who.email, who.shop_customer_id)
    link = url_for("journeykit.admin.reviews", status="pending", product=review.product_id, _anchor=f"review-{review.id}")
    return {"id": review.id, "rating": review.rating, "title": review.title, "body": review.body,
            "product": product(review.product_id), "author": author, "link": link}


def latest_orders(limit: int) -> list[dict[str, Any]]:
    """The newest orders, each with its customer and products named."""
    return [{"order": order, "customer": names.customer(order.customer),
             "products": [product(product_id) for product_id in order.product_ids]}
            for order in orders.latest_orders(limit)]


def advocates(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """:func:`journeykit.referrals.summary`'s top advocates, each with ``person`` naming them."""
    return [{**row, "person": names.person(row["name"], row["email"], row["customer"])} for row in rows]


def referral_codes(groups: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The breakdown by referral code, each real code with ``owner``: the customer whose code it is (or ``None``)."""
    owners = referrals.code_owners(group["value"] for group in groups if group["value"] is not None)
    return [{**group, "owner": _owner(owners.get(group["value"]))} for group in groups]


def _owner(row: dict[str, Any] | None) -> dict[str, str | None] | None:
    return None if row is None else names.person(row["name"], row["email"], row["customer"])

