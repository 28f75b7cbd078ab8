"""Loyalty points: an exact, append-only ledger that orders feed and reversals take back from.

:mod:`.ledger` alone writes the points tables; :mod:`.earning` turns paid
and reversed orders into entries through the orders' handlers, in the
transaction that changes the order.  The shop's Python reaches it as
``journey.loyalty`` (:class:`Loyalty`).  Bonuses (:mod:`.bonuses`), VIP
tiers (:mod:`.tiers`), holds and spending (:mod:`.spending`) and expiry
(:mod:`.expiry`) build on the ledger.  Still to come (issue 13):
redemptions into discount codes, the owner's per-customer pages and the widget.
"""

from __future__ import annotations

from .. import journey, orders, reviews
from ..core import limits, signals
from . import bonuses, earning, ledger, tiers
from .models import EntryKind
from .reports import summary  # and loyalty's Prometheus families

#: The most points one award may give (far beyond any real bonus; stops a typo's extra zeros).
MAX_AWARD = 1_000_000_000
#: The longest key a shop may give an award (stored with a prefix that keeps it apart from orders' keys).
MAX_KEY = 200


def install() -> None:
    """Let payments, reversals, sign-ups and review publications move points (once, however many apps mount JourneyKit)."""
    for handlers, handler in ((orders.purchase_handlers, earning.on_purchase),
                              (orders.reversal_handlers, earning.on_reversal),
                              (journey.signup_handlers, bonuses.on_signup),
                              (reviews.publication_handlers, bonuses.on_review_publication)):
        if handler not in handlers:
            handlers.append(handler)


def personal_data(customer_id: int) -> dict[str, object]:
    """The customer's points for a privacy export: the balance and every entry."""
    entries = [{**entry, "created_at": entry["created_at"].isoformat()} for entry in ledger.history(customer_id, limit=None)]
    return {"loyalty": {"balance": ledger.balance_of(customer_id), "entries": entries}}


class Loyalty:
    """``journey.loyalty``: the shop's customers' points, by the shop's own customer ids (needs an app context)."""

    def balance(self, customer_id: str) -> int:
        """The customer's points now (0 for a customer JourneyKit has not seen)."""
        customer = journey.find_customer(str(customer_id))
        return ledger.balance_of(customer.id) if customer is not None else 0

    def award(self, customer_id: str, points: int, reason: str, *, key: str) -> int:
        """Give points for the shop's own activities and commit; the customer's new balance.

        Idempotent by ``key`` (the shop's own name for the occasion, e.g.
        ``"newsletter-2026-12"``): awarding it again changes nothing.
        ``reason`` is what the shopper's history shows.  A bad argument raises
        :class:`ValueError` and changes nothing.
        """
        if isinstance(points, bool) or not isinstance(points, int) or not 0 < points <= MAX_AWARD:
            raise ValueError(f"points must be a whole number from 1 to {MAX_AWARD:,}, not {points!r}")
        for name, value, most in (("reason", reason, limits.length("journeykit_points_entries.description")),
                                  ("key", key, MAX_KEY)):
            if not isinstance(value, str) or not value.strip() or len(value.strip()) > most:
                raise ValueError(f"{name} must be a text of 1 to {most} characters, not {value!r}")
        customer = journey.ensure_customer(str(customer_id))
        tiers.earn(customer, points, EntryKind.AWARD, key=f"award:{key.strip()}", description=reason.strip(),
                   source=("award", key.strip()))
        balance = ledger.locked_balance(customer).balance
        signals.commit()
        return balance


__all__ = ["MAX_AWARD", "MAX_KEY", "EntryKind", "Loyalty", "install", "personal_data", "summary"]
