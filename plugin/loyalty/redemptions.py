"""Points turned into one-time discount codes, and given back when a code goes unused.

A redemption is one transaction: the customer's balance row is locked, the
``redemption`` entry posted (never more than the customer may spend), the
code made, the :class:`~.models.Redemption` stored, then the commit.  If the
code cannot be made (Stripe down or refusing, the shop's maker failing) the
transaction is rolled back: nothing is spent and the shopper is told to try
again.  The caller's ``key`` makes a retried request find its redemption
instead of spending twice; the Stripe calls carry idempotency keys derived
from it, and the code itself is derived from it, so a retry after a lost
answer gets the same code from Stripe rather than a second one.

A code is closed once: *used* by a paid checkout, or *returned* (its points
given back by a ``code_returned`` entry) when cancelled in Stripe or by the
owner, or when it expires unused (``flask journeykit loyalty codes``).
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import hmac
import logging
from typing import TYPE_CHECKING, Any, Callable, Iterable

import sqlalchemy as sa
import stripe
from flask import current_app

from .. import journey
from ..core import signals, stripe_api
from ..core.config import secret_key
from ..core.db import session, utcnow
from ..core.errors import Conflict, ServiceUnavailable, ValidationError
from ..core.paging import keyset_batches
from . import ledger, program, spending
from .models import EntryKind, Redemption, RedemptionStatus

if TYPE_CHECKING:
    from ..journey.models import Customer

log = logging.getLogger("journeykit")

#: ``maker(customer_id, reward, key=…, expires_at=…) -> code``: the shop's own codes instead of Stripe's.
CodeMaker = Callable[..., str]
#: Letters and digits a shopper cannot misread (no 0/O, 1/I/L).
_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
_CODE_LENGTH = 10
#: The longest code a shop's maker may return (the column's size).
MAX_CODE = 64


def find(customer_id: int, key: str) -> Redemption | None:
    """The customer's redemption made with ``key``, if any."""
    return session().scalars(sa.select(Redemption).where(Redemption.customer_id == customer_id,
                                                         Redemption.key == key)).first()


def redeem(customer: Customer, reward_id: str, key: str, maker: CodeMaker | None = None) -> tuple[Redemption, bool]:
    """Spend the reward's points on a new code; ``(redemption, made now)``.  The caller commits.

    The same ``key`` again answers the first redemption and spends nothing.
    Raises 422 ``unknown_reward``, 409 ``insufficient_points``, 502/503 when
    the code could not be made (after rolling back: nothing spent).
    """
    earlier = find(customer.id, key)
    if earlier is not None:
        return earlier, False
    reward = program.reward(reward_id)
    if reward is None:
        raise ValidationError(f"No reward called {reward_id!r}.", fields={"reward": ["Not a reward of this shop."]},
                              error_code="unknown_reward")
    if maker is None and not current_app.config.get("JOURNEYKIT_STRIPE_API_KEY"):
        raise ServiceUnavailable("This shop does not hand out discount codes yet.", error_code="redemptions_unavailable")
    spent = spending.spend(customer, reward["points"], EntryKind.REDEMPTION, key=f"redemption:{key}",
                           description=f"Turned into a code for {reward['label']}", source=("redemption", key))
    if spent is None:  # the same key, spent by a request that committed while this one waited for the lock
        return find(customer.id, key), False  # type: ignore[return-value]
    now = utcnow()
    redemption = Redemption(customer_id=customer.id, key=key, reward=reward["id"], points=reward["points"],
                            amount_off=reward["amount_off"], currency=reward["currency"], created_at=now,
                            expires_at=expiry_for(now))
    try:
        _make_code(redemption, customer, reward, maker)
    except Exception:
        signals.rollback()
        raise
    session().add(redemption)
    session().flush()
    return redemption, True


def expiry_for(now: dt.datetime) -> dt.datetime:
    """When a code made ``now`` expires: ``JOURNEYKIT_LOYALTY_CODE_DAYS`` later, at the end of that day (UTC).

    Whole days read better ("until 3 January"), and a retry on the same day
    sends Stripe the very same parameters, which its idempotency keys require.
    """
    days = current_app.config["JOURNEYKIT_LOYALTY_CODE_DAYS"] + 1
    return dt.datetime.combine(now.date(), dt.time(), tzinfo=dt.timezone.utc) + dt.timedelta(days=days)


def _make_code(redemption: Redemption, customer: Customer, reward: dict[str, Any], maker: CodeMaker | None) -> None:
    if maker is not None:
        redemption.code = _shop_code(maker, customer, reward, redemption)
        return
    redemption.code = derived_code(customer.id, redemption.key)
    with _stripe_errors():
        coupon, promotion = _stripe_promotion_code(redemption, reward)
    redemption.stripe_coupon_id, redemption.stripe_promotion_code_id = coupon, promotion


def derived_code(customer_id: int, key: str) -> str:
    """The code for a redemption: unguessable (keyed by the secret), and the same for a retry of one request."""
    digest = hmac.new(secret_key(current_app).encode(), f"redemption:{customer_id}:{key}".encode(), hashlib.sha256)
    number = int.from_bytes(digest.digest()[:8], "big")
    letters = "".join(_ALPHABET[(number // len(_ALPHABET) ** i) % len(_ALPHABET)] for i in range(_CODE_LENGTH))
    return f"JK-{letters}"


def _idempotency_key(redemption: Redemption, what: str) -> str:
    hashed = base64.b32encode(hashlib.sha256(redemption.key.encode()).digest()).decode()[:32]
    return f"journeykit-redemption-{redemption.customer_id}-{hashed}-{what}"


def _stripe_promotion_code(redemption: Redemption, reward: dict[str, Any]) -> tuple[str, str]:
    """A coupon of the reward's amount, once, and its one-time promotion code expiring with the redemption."""
    api = stripe_api.client()
    expires = int(redemption.expires_at.timestamp())  # type: ignore[union-attr]
    metadata = {"journeykit_redemption": redemption.key[:500], "journeykit_customer": str(redemption.customer_id)}
    coupon = api.v1.coupons.create(params={
        "amount_off": reward["amount_off"], "currency": reward["currency"], "duration": "once", "max_redemptions": 1,
        "redeem_by": expires, "name": reward["label"][:40], "metadata": metadata,
    }, options={"idempotency_key": _idempotency_key(redemption, "coupon")})
    promotion = api.v1.promotion_codes.create(params={
        "promotion": {"type": "coupon", "coupon": coupon.id}, "code": redemption.code, "max_redemptions": 1,
        "expires_at": expires, "metadata": metadata,
    }, options={"idempotency_key": _idempotency_key(redemption, "code")})
    return coupon.id, promotion.id


def _stripe_errors() -> contextlib.AbstractContextManager[None]:
    """Stripe's failures as the shopper's 502/503 (the details go to the log)."""
    return stripe_api.errors(unavailable="Stripe cannot be reached just now; nothing was spent. Try again in a moment.",
                             refused="Stripe refused to make the code; nothing was spent. Try again later.",
                             what="a loyalty code call")


def _shop_code(maker: CodeMaker, customer: Customer, reward: dict[str, Any], redemption: Redemption) -> str:
    try:
        code = maker(customer.shop_customer_id, dict(reward), key=redemption.key, expires_at=redemption.expires_at)
    except Exception as exc:
        log.exception("journeykit: the shop's code maker failed", exc_info=exc)
        raise ServiceUnavailable("The shop could not make a code just now; nothing was spent. Try again later.",
                                 error_code="code_maker_failed") from exc
    if not isinstance(code, str) or not code.strip() or len(code.strip()) > MAX_CODE:
        log.error("journeykit: the shop's code maker returned %r, not a code of 1 to %d characters", code, MAX_CODE)
        raise ServiceUnavailable("The shop could not make a code just now; nothing was spent. Try again later.",
                                 error_code="code_maker_failed")
    return code.strip()


def issued_with_code(code: str) -> Redemption | None:
    """The open redemption with this code (the shop's own codes are matched as the shop made them)."""
    return session().scalars(sa.select(Redemption).where(Redemption.code == code.strip(),
                                                         Redemption.status == RedemptionStatus.ISSUED)).first()


def codes_of(customer_id: int, limit: int | None = 10) -> list[Redemption]:
    """The customer's latest codes (all with ``limit=None``), newest first."""
    return list(session().scalars(sa.select(Redemption).where(Redemption.customer_id == customer_id)
                                  .order_by(Redemption.id.desc()).limit(limit)))


def _locked(redemption_id: int) -> Redemption:
    return session().scalars(sa.select(Redemption).where(Redemption.id == redemption_id).with_for_update()
                             .execution_options(populate_existing=True)).one()


def close(redemption: Redemption, status: RedemptionStatus, at: dt.datetime | None = None) -> bool:
    """Mark an issued code used or returned (returned gives its points back); ``False`` if it was closed already.

    The customer's balance row is locked first, as every posting does, so a
    close and a redemption of one customer always take the locks in one order.
    """
    customer = journey.customers_by_id([redemption.customer_id])[redemption.customer_id]
    ledger.locked_balance(customer)
    row = _locked(redemption.id)
    if row.status is not RedemptionStatus.ISSUED:
        return False
    row.status, row.closed_at = status, at or utcnow()
    if status is RedemptionStatus.RETURNED:
        ledger.post(customer, row.points, EntryKind.CODE_RETURNED, key=f"redemption:{row.key}:returned",
                    source=("redemption", row.key), at=row.closed_at)
    return True


def by_promotion_codes(ids: Iterable[str]) -> list[Redemption]:
    """The redemptions of these Stripe promotion codes."""
    ids = [value for value in ids if value]
    if not ids:
        return []
    return list(session().scalars(sa.select(Redemption).where(Redemption.stripe_promotion_code_id.in_(ids))))


def apply_stripe_event(event: dict[str, Any]) -> bool:
    """Close the codes a Stripe event tells of (in the caller's transaction); whether it was about one.

    A paid checkout that used a promotion code marks it used; a promotion
    code deactivated (in Stripe's dashboard, or by the owner here) and never
    redeemed gives its points back.
    """
    kind, obj = event.get("type"), event["data"]["object"]
    if kind == "checkout.session.completed" and obj.get("payment_status") in ("paid", "no_payment_required") or (
            kind == "checkout.session.async_payment_succeeded"):
        used = by_promotion_codes(_promotion_code_id(discount) for discount in obj.get("discounts") or [])
        return any([close(redemption, RedemptionStatus.USED) for redemption in used])
    if kind == "promotion_code.updated" and obj.get("active") is False and not obj.get("times_redeemed"):
        return any([close(redemption, RedemptionStatus.RETURNED) for redemption in by_promotion_codes([obj.get("id")])])
    return False


def _promotion_code_id(discount: Any) -> str | None:
    code = discount.get("promotion_code") if isinstance(discount, dict) else None
    return code.get("id") if isinstance(code, dict) else code


def cancel(redemption: Redemption) -> bool:
    """The owner cancels an unused code: deactivated in Stripe first, then its points given back."""
    if redemption.status is not RedemptionStatus.ISSUED:
        raise Conflict("This code is closed already.", error_code="code_closed")
    if redemption.stripe_promotion_code_id:
        with _stripe_errors():
            promotion = stripe_api.client().v1.promotion_codes.update(
                redemption.stripe_promotion_code_id, params={"active": False})
        if promotion.to_dict().get("times_redeemed"):
            return close(redemption, RedemptionStatus.USED)
    return close(redemption, RedemptionStatus.RETURNED)


def return_expired(now: dt.datetime | None = None) -> dict[str, int]:
    """Close every issued code past its expiry: used if Stripe counts a redemption, else its points come back.

    Cron-safe: each code is closed once, under its lock, whatever runs at the same time.  A code Stripe
    cannot be asked about stays issued until a later run (``unchecked``).
    """
    now = now or utcnow()
    done = {"returned": 0, "used": 0, "unchecked": 0}
    expired = sa.select(Redemption.id.label("id")).where(Redemption.status == RedemptionStatus.ISSUED,
                                                          Redemption.expires_at <= now)
    for batch in keyset_batches(expired, Redemption.id):
        ids = [row.id for row in batch]
        session().rollback()
        for redemption in session().scalars(sa.select(Redemption).where(Redemption.id.in_(ids))):
            try:
                status = RedemptionStatus.USED if _redeemed_in_stripe(redemption) else RedemptionStatus.RETURNED
            except stripe.StripeError as exc:  # left issued: the next run asks again
                log.error("journeykit: could not ask Stripe about code %s: %s", redemption.code, exc)
                done["unchecked"] += 1
                continue
            if close(redemption, status, at=now):
                done[status.value] += 1
            signals.commit()
    return done


def _redeemed_in_stripe(redemption: Redemption) -> bool:
    """Whether Stripe counts the code as used (a checkout whose webhook never came); never for the shop's own codes."""
    if not redemption.stripe_promotion_code_id:
        return False
    promotion = stripe_api.client().v1.promotion_codes.retrieve(redemption.stripe_promotion_code_id)
    return bool(promotion.to_dict().get("times_redeemed"))


def view(redemption: Redemption) -> dict[str, Any]:
    """A code as the shopper sees it."""
    reward = program.reward(redemption.reward)
    label = reward["label"] if reward else program.label(redemption.amount_off, redemption.currency)
    return {"id": redemption.id, "code": redemption.code, "reward": redemption.reward, "points": redemption.points,
            "amount_off": redemption.amount_off, "currency": redemption.currency, "label": label,
            "status": redemption.status.value, "created_at": redemption.created_at,
            "expires_at": redemption.expires_at}
