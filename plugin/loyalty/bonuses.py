"""Bonus points for what a customer does besides buying: signing up, a review published, a friend referred.

Each bonus is ``JOURNEYKIT_POINTS_<NAME>`` points (or the owner's value in
the admin, :mod:`.rules`), 0 (off) until the owner turns it on, and is
written inside the transaction of what earned it (the journey's
``signup_handlers``, the reviews' ``publication_handlers``, the referrals'
call of :func:`referral_bonus`).  Bonuses are not multiplied by the tier's
bonus (that multiplies purchase points only), but they count towards tiers.
The birthday bonus is given by a daily command (:mod:`.birthdays`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import ledger, rules, tiers
from .models import EntryKind

if TYPE_CHECKING:
    from ..journey.models import Customer
    from ..reviews.models import Review

#: The longest referral id :func:`referral_bonus` takes (its entry's key adds a prefix and a suffix).
MAX_REFERRAL_ID = 200


def _setting(name: str) -> int:
    return int(rules.value(name))


def on_signup(customer: Customer) -> None:
    """The welcome bonus, once per customer."""
    points = _setting("signup")
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
    change = _setting("review") if published and held == 0 else -held if not published else 0
    key = f"review:{review.id}:{ledger.count_from(customer.id, source)}"
    if change > 0:
        tiers.earn(customer, change, EntryKind.REVIEW, key=key, source=source)
    elif change < 0:
        ledger.take_back(customer, -change, EntryKind.REVIEW, key=key, source=source)


def referral_bonus(referrer: Customer, referral_id: str) -> None:
    """Give the referrer ``JOURNEYKIT_POINTS_REFERRAL`` points for the referral ``referral_id``, once, however often called.

    For the referrals capability, in its transaction (it commits), when a
    referred friend's first order is paid.  Nothing for a guest referrer
    (no shop customer id) or while the bonus is 0.  A referral whose bonus
    was revoked (:func:`referral_bonus_revoked`) earns nothing again.
    """
    source = _referral(referral_id)
    points = _setting("referral")
    if points > 0 and referrer.shop_customer_id is not None:
        tiers.earn(referrer, points, EntryKind.REFERRAL, key=f"referral:{referral_id}", source=source)


def referral_bonus_revoked(referrer: Customer, referral_id: str) -> None:
    """Take back the bonus of the referral ``referral_id`` (its order refunded, a fraudulent friend), once.

    What goes back is what was given, even if the setting changed since;
    nothing if no bonus was given.  Points the referrer already spent are
    written off unless the owner allows negative balances, as for refunds.
    """
    source = _referral(referral_id)
    ledger.locked_balance(referrer)  # before reading what the referral gave: revocations take turns
    given = ledger.total_from(referrer.id, source, EntryKind.REFERRAL)
    if given > 0:
        ledger.take_back(referrer, given, EntryKind.REFERRAL, key=f"referral:{referral_id}:revoked", source=source)


def referral_bonus_reversed(referrer: Customer, referral_id: str, reversed_amount: int, paid: int) -> int:
    """Take back the part of the referral's bonus that the friend's order lost: the points taken now.

    ``reversed_amount`` is what refunds and lost disputes took of the
    friend's order so far (Stripe's cumulative figure), ``paid`` its total.
    The referral keeps ``floor(bonus given × reversed ÷ paid)`` taken back
    in all, as an order's own points are (:mod:`.earning`): the bonus as it
    was given, whatever the setting is now, and the same end whatever order
    refunds arrive in or how often.  Nothing before the bonus is given.
    """
    source = _referral(referral_id)
    if paid <= 0 or reversed_amount <= 0:
        return 0
    ledger.locked_balance(referrer)  # before reading what was given and taken: reversals take turns
    given = ledger.points_of(referrer.id, f"referral:{referral_id}")
    kept = ledger.total_from(referrer.id, source, EntryKind.REFERRAL)  # the bonus less what was taken back
    owed = given * min(reversed_amount, paid) // paid - (given - kept)
    if owed <= 0:
        return 0
    ledger.take_back(referrer, owed, EntryKind.REFERRAL, key=f"referral:{referral_id}:reversed:{reversed_amount}",
                     source=source)
    return owed


def _referral(referral_id: str) -> tuple[str, str]:
    """The referral's source, or :class:`ValueError` for an id that is no text of 1 to 200 characters."""
    if not isinstance(referral_id, str) or not 0 < len(referral_id) <= MAX_REFERRAL_ID:
        raise ValueError(f"referral_id must be a text of 1 to {MAX_REFERRAL_ID} characters, not {referral_id!r}")
    return ("referral", referral_id)
