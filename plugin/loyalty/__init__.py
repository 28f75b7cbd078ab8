"""Loyalty points: an exact, append-only ledger that orders feed and reversals take back from.

:mod:`.ledger` alone writes the points tables; :mod:`.earning` turns paid
and reversed orders into entries through the orders' handlers, in the
transaction that changes the order.  The shop's Python reaches it as
``journey.loyalty`` (:class:`Loyalty`).  Bonuses (:mod:`.bonuses`), VIP
tiers (:mod:`.tiers`), holds and spending (:mod:`.spending`) and expiry
(:mod:`.expiry`) build on the ledger; :mod:`.redemptions` turns points
into one-time discount codes (Stripe promotion codes, or the shop's own).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import current_app

from .. import journey, orders, reviews
from ..core import limits, signals
from . import bonuses, earning, ledger, program, redemptions, spending, tiers
from .birthdays import forget
from .bonuses import referral_bonus, referral_bonus_reversed, referral_bonus_revoked
from .models import EntryKind
from .redemptions import CodeMaker, apply_stripe_event
from .reports import referral_points, summary  # and loyalty's Prometheus families

if TYPE_CHECKING:
    from ..journey.models import Customer

#: The most points one award may give (far beyond any real bonus; stops a typo's extra zeros).
MAX_AWARD = 1_000_000_000
#: The longest key a shop may give an award (stored with a prefix that keeps it apart from orders' keys).
MAX_KEY = 200


def install() -> None:
    """Let payments, reversals, sign-ups and review publications move points (once, however many apps mount JourneyKit)."""
    for handlers, handler in ((orders.purchase_handlers, earning.on_purchase),
                              (orders.purchase_handlers, tiers.on_purchase),  # after the points: money tiers
                              (orders.reversal_handlers, earning.on_reversal),
                              (journey.signup_handlers, bonuses.on_signup),
                              (reviews.publication_handlers, bonuses.on_review_publication)):
        if handler not in handlers:
            handlers.append(handler)


def program_for_anyone() -> dict[str, Any]:
    """The program as anyone may read it: ways to earn, rewards, tiers, where to join."""
    return program.describe()


def for_shopper(customer: Customer) -> dict[str, Any]:
    """Everything one shopper sees of their points (``GET /me/loyalty``), times as datetimes."""
    row = ledger.balance_row(customer.id)
    balance, tier = (row.balance, row.tier) if row is not None else (0, None)
    spendable = spending.spendable(customer, balance)
    return {
        "balance": balance, "spendable": spendable, "pending": spending.pending(customer.id),
        "tier": tier or tiers.MEMBER, "next_tier": tiers.progress(customer.id, tier),
        "history": ledger.history(customer.id),
        "rewards": [{**reward, "affordable": reward["points"] <= spendable} for reward in program.rewards()],
        "codes": [redemptions.view(made) for made in redemptions.codes_of(customer.id)],
        "ways_to_earn": program.ways_to_earn(),
    }


def redeem_for(customer: Customer, reward_id: str, key: str) -> tuple[dict[str, Any], bool]:
    """Spend points on a reward's code and commit: ``(the code and what is left, made now)``.

    The code comes from the shop's ``@journey.loyalty.code_maker`` if it has
    one, else from Stripe.  Errors are :mod:`journeykit.core.errors` (4xx, 502, 503).
    """
    maker = current_app.extensions["journeykit"].journey.loyalty.maker
    made, created = redemptions.redeem(customer, reward_id, key, maker)
    signals.commit()
    balance = ledger.balance_of(customer.id)
    return {**redemptions.view(made), "balance": balance, "spendable": spending.spendable(customer, balance)}, created


def personal_data(customer_id: int) -> dict[str, object]:
    """The customer's points for a privacy export: the balance, every entry, every code bought with points and the
    birthday they gave (or ``None``)."""
    entries = [{**entry, "created_at": entry["created_at"].isoformat()} for entry in ledger.history(customer_id, limit=None)]
    row = ledger.balance_row(customer_id)
    birthday = ({"month": row.birthday_month, "day": row.birthday_day}
                if row is not None and row.birthday_month is not None else None)
    codes = [{**code, "created_at": code["created_at"].isoformat(),
              "expires_at": code["expires_at"].isoformat() if code["expires_at"] else None}
             for code in map(redemptions.view, redemptions.codes_of(customer_id, limit=None))]
    return {"loyalty": {"balance": row.balance if row is not None else 0, "entries": entries, "birthday": birthday,
                        "codes": codes}}


class Loyalty:
    """``journey.loyalty``: the shop's customers' points, by the shop's own customer ids (needs an app context)."""

    def __init__(self) -> None:
        #: The shop's own code maker (:meth:`code_maker`); ``None``: codes are Stripe promotion codes.
        self.maker: CodeMaker | None = None

    def code_maker(self, maker: CodeMaker) -> CodeMaker:
        """Register the function that makes the shop's own discount codes, instead of Stripe promotion codes.

        Called as ``maker(customer_id, reward, key=…, expires_at=…)`` inside
        the redemption's transaction (``reward`` is the option of
        ``JOURNEYKIT_LOYALTY_REWARDS`` with its ``label``); it returns the code
        (1 to 64 characters), one-time, valid until ``expires_at``.  ``key`` is
        the same for a retried request: make the same code for it.  Raising
        spends nothing and the shopper is asked to try again.  Tell JourneyKit
        when a code is used with :meth:`code_used`; unused ones give their
        points back when they expire.
        """
        self.maker = maker
        return maker

    def code_used(self, code: str) -> bool:
        """Mark the shop's own code used at a checkout and commit; ``False`` if no open code has it."""
        found = redemptions.issued_with_code(code)
        done = found is not None and redemptions.close(found, redemptions.RedemptionStatus.USED)
        signals.commit()
        return done

    def redeem(self, customer_id: str, reward_id: str, *, key: str) -> dict[str, Any]:
        """Spend a customer's points on a reward's code, as ``POST /me/loyalty/redemptions`` does; the code.

        Idempotent by ``key``.  Raises :class:`journeykit.core.errors.APIError`
        subclasses (``insufficient_points``, ``unknown_reward``, Stripe's 502/503).
        """
        return redeem_for(journey.ensure_customer(str(customer_id)), reward_id, key)[0]

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


__all__ = ["MAX_AWARD", "MAX_KEY", "CodeMaker", "EntryKind", "Loyalty", "apply_stripe_event", "for_shopper", "forget", "install",
           "personal_data", "program_for_anyone", "redeem_for", "referral_bonus", "referral_bonus_reversed",
           "referral_bonus_revoked", "referral_points", "summary"]
