"""The points ledger: one entry per change of a customer's points, and each customer's balance row."""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, mapped_column

from ..core.db import Base, BigIntPK, UTCDateTime, utcnow, value_enum
from ..core.errors import JourneyKitError


class EntryKind(str, enum.Enum):
    """Why points changed; the shopper's history says it in words (:data:`journeykit.loyalty.ledger.WORDS`)."""

    PURCHASE = "purchase"
    REVERSAL = "reversal"  # a refund or a lost dispute took back part of a purchase's points
    WRITE_OFF = "write_off"  # reversed points the customer had already spent, forgiven
    AWARD = "award"  # the shop's own activities: journey.loyalty.award
    ADJUSTMENT = "adjustment"  # the owner's correction, with a reason
    # The ledger's whole vocabulary is fixed here, so the rules still to come need no change of its CHECK:
    REVIEW = "review"  # a published review's bonus (and its return if unpublished)
    SIGNUP = "signup"
    BIRTHDAY = "birthday"
    REFERRAL = "referral"
    REDEMPTION = "redemption"  # points turned into a discount code
    CODE_RETURNED = "code_returned"  # a code cancelled or expired unused gives its points back
    EXPIRY = "expiry"
    IMPORT = "import"  # balances brought from another loyalty program


class PointsEntry(Base):
    """One change of one customer's points; entries are never changed or deleted (corrections are new entries).

    ``key`` is unique per customer: posting the same key again changes
    nothing, which makes every source of points idempotent (a webhook
    delivered twice, a shop's award retried).
    """

    __tablename__ = "journeykit_points_entries"
    __table_args__ = (
        sa.UniqueConstraint("customer_id", "key"),
        sa.Index("ix_journeykit_points_entries_source", "source_type", "source_id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    customer_id: Mapped[int] = mapped_column(sa.ForeignKey("journeykit_customers.id", ondelete="CASCADE"))
    #: Signed: earned points are positive, spent or taken back negative.
    points: Mapped[int] = mapped_column(sa.BigInteger)
    kind: Mapped[EntryKind] = mapped_column(value_enum(EntryKind, "points_entry_kind"))
    #: What the shopper reads in their history (the shop's words for an award, the owner's for an adjustment).
    description: Mapped[str] = mapped_column(sa.String(200), default="")
    #: What the points came from: ``("order", checkout session id)``, ``("review", id)``…
    source_type: Mapped[str | None] = mapped_column(sa.String(16))
    source_id: Mapped[str | None] = mapped_column(sa.String(255))
    key: Mapped[str] = mapped_column(sa.String(255))
    #: Who made a manual entry (the owner's name or e-mail, as the admin guard gave it).
    actor: Mapped[str | None] = mapped_column(sa.String(254))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: Earned points are pending (counted in the balance, not yet spendable) until then: the rule's
    #: ``JOURNEYKIT_POINTS_PENDING_DAYS``, e.g. the shop's return window.  ``None``: spendable at once.
    spendable_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


@event.listens_for(PointsEntry, "before_update")
@event.listens_for(PointsEntry, "before_delete")
def _append_only(mapper: object, connection: object, entry: PointsEntry) -> None:
    raise JourneyKitError("The points ledger is append-only: entries are never changed or deleted; post a correction")


class PointsBalance(Base):
    """A customer's points now: the sum of their entries, kept in step in the same transaction as each entry.

    The row is also the customer's lock: every posting locks it first, so
    concurrent postings for one customer take turns and never overspend.
    """

    __tablename__ = "journeykit_points_balances"

    customer_id: Mapped[int] = mapped_column(sa.ForeignKey("journeykit_customers.id", ondelete="CASCADE"),
                                             primary_key=True)
    balance: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    #: Every point ever earned (positive entries but write-offs), for tiers and the owner's figures.
    earned: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    #: The VIP tier held (a name of ``JOURNEYKIT_LOYALTY_TIERS``); ``None`` for a plain member.
    tier: Mapped[str | None] = mapped_column(sa.String(40))
    #: The customer's last earning or spending (refunds and corrections are not theirs): points expire after
    #: ``JOURNEYKIT_POINTS_EXPIRE_AFTER_DAYS`` without any.
    last_activity_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), index=True)
    #: The expiry the customer was last warned of (``points_expiring``), so a warning goes out once.
    warned_of_expiry_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    #: The customer's birthday, month and day only (never the year), and when they set it: the birthday
    #: bonus is not given for a birthday set in the last 30 days.
    birthday_month: Mapped[int | None] = mapped_column(sa.SmallInteger)
    birthday_day: Mapped[int | None] = mapped_column(sa.SmallInteger)
    birthday_set_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class RedemptionStatus(str, enum.Enum):
    """Where a discount code bought with points stands."""

    ISSUED = "issued"  # made and handed to the customer, not used yet
    USED = "used"  # a paid checkout used it
    RETURNED = "returned"  # cancelled, or expired unused: its points were given back


class Redemption(Base):
    """Points turned into a one-time discount code (a Stripe promotion code, or one the shop's callback made).

    The points leave through a ``redemption`` entry posted in the same
    transaction; a code cancelled or expired unused gives them back through a
    ``code_returned`` entry, once.  ``key`` is unique per customer, so a
    retried request makes one code.
    """

    __tablename__ = "journeykit_loyalty_redemptions"
    __table_args__ = (
        sa.UniqueConstraint("customer_id", "key"),
        sa.Index("ix_journeykit_loyalty_redemptions_status_expires_at", "status", "expires_at"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    customer_id: Mapped[int] = mapped_column(sa.ForeignKey("journeykit_customers.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(sa.String(255))
    #: The reward chosen (an ``id`` of ``JOURNEYKIT_LOYALTY_REWARDS``), and what it cost and gives.
    reward: Mapped[str] = mapped_column(sa.String(40))
    points: Mapped[int] = mapped_column(sa.BigInteger)
    amount_off: Mapped[int] = mapped_column(sa.BigInteger)  # minor units of ``currency``
    currency: Mapped[str] = mapped_column(sa.String(3))
    #: What the shopper types at checkout.
    code: Mapped[str] = mapped_column(sa.String(64), index=True)
    #: Stripe's ``promo_…`` and coupon ids (``None`` for a code the shop's callback made).
    stripe_promotion_code_id: Mapped[str | None] = mapped_column(sa.String(255), unique=True)
    stripe_coupon_id: Mapped[str | None] = mapped_column(sa.String(255))
    status: Mapped[RedemptionStatus] = mapped_column(value_enum(RedemptionStatus, "redemption_status"),
                                                     default=RedemptionStatus.ISSUED)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    #: When it was used at a checkout, or its points given back.
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
