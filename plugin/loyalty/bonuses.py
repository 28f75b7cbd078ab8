"""Bonus points for what a customer does besides buying: signing up, having a review published.

Each bonus is ``JOURNEYKIT_POINTS_<NAME>`` points, 0 (off) until the owner
turns it on, and is written inside the transaction of what earned it (the
journey's ``signup_handlers``, the reviews' ``publication_handlers``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import current_app

from . import ledger, tiers
from .models import EntryKind

if TYPE_CHECKING:
    from ..journey.models import Customer
    from ..reviews.models import Review


def _setting(name: str) -> int:
    return int(current_app.config[f"JOURNEYKIT_POINTS_{name}"])


def on_signup(customer: Customer) -> None:
    """The welcome bonus, once per customer."""
    points = _setting("SIGNUP")
    if points > 0:
        tiers.earn(customer, points, EntryKind.SIGNUP, key="signup", source=("customer", str(customer.id)))


def on_review_publication(review: Review, published: bool) -> None:
    """A published review earns the bonus once; unpublished, it gives it back; published again, it earns it again.

    The review's bonus entries sum to the bonus while it is on the storefront
    and to zero while it is not, whatever the owner does in between; the
    bonus given back is the one given, even if the setting changed since.
    """
    customer = review.customer
    if customer is None or customer.shop_customer_id is None:
        return
    source = ("review", str(review.id))
    ledger.locked_balance(customer)  # before reading the review's entries: publications take turns
    held = ledger.total_from(customer.id, source, EntryKind.REVIEW)
    change = _setting("REVIEW") if published and held == 0 else -held if not published else 0
    if change:
        posted = ledger.count_from(customer.id, source)
        tiers.earn(customer, change, EntryKind.REVIEW, key=f"review:{review.id}:{posted}", source=source)
