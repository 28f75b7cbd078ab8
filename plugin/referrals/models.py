"""Referral codes, the visitors they brought, and the referrals (a friend's first paid order) they converted."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..core.db import Base, BigIntPK, UTCDateTime, utcnow, value_enum


class ReferralCode(Base):
    """A customer's referral code: made on first use, or a vanity code the owner set.  Never deleted; disabled.

    ``code`` is stored upper-case (codes are case-insensitive); a customer
    has one code in use at a time (the newest not disabled).
    """

    __tablename__ = "journeykit_referral_codes"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    customer_id: Mapped[int] = mapped_column(sa.ForeignKey("journeykit_customers.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    #: Set by the owner (``SUMMER-ANN``) rather than drawn at random.
    vanity: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: A disabled code still lands its visitors on the shop, with no attribution and no reward.
    disabled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    #: Why the owner should look at it: clicks far above its usual rate (leaked to a coupon site).
    flagged_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    flag_reason: Mapped[str | None] = mapped_column(sa.String(200))
    #: The friend's discount in Stripe: a promotion code of the same text, first-time orders only.
    stripe_promotion_code_id: Mapped[str | None] = mapped_column(sa.String(255))
    #: Which friend's reward that promotion code gives (a digest of the setting): a changed reward makes a new one.
    friend_reward_key: Mapped[str | None] = mapped_column(sa.String(16))


class Attribution(Base):
    """A visitor who came through a referral link, and until when their purchase counts for the code (last click wins)."""

    __tablename__ = "journeykit_referral_attributions"

    visitor_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    code_id: Mapped[int] = mapped_column(sa.ForeignKey("journeykit_referral_codes.id", ondelete="CASCADE"), index=True)
    clicked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class ClickDay(Base):
    """How many visitors clicked a code's link on one day (UTC): its usual rate, against which spikes are flagged."""

    __tablename__ = "journeykit_referral_click_days"

    code_id: Mapped[int] = mapped_column(sa.ForeignKey("journeykit_referral_codes.id", ondelete="CASCADE"),
                                         primary_key=True)
    day: Mapped[dt.date] = mapped_column(sa.Date, primary_key=True)
    clicks: Mapped[int] = mapped_column(sa.Integer, default=0)


class ReferralStatus(str, enum.Enum):
    """Where a referral stands; only ``rewarded`` (and ``held`` on its way there) pays anyone."""

    REVIEW = "review"  # suspicious: waits for the owner's approve or deny
    HELD = "held"  # approved; the referrer's reward waits for the refund window
    REWARDED = "rewarded"
    DENIED = "denied"  # the owner said no, or a rule did (self-referral, the cap)
    UNKNOWN_CODE = "unknown_code"  # the checkout named a code that is not (or no longer) a referral code
    REVERSED = "reversed"  # the friend's order was fully refunded or lost in a dispute: all clawed back


class Referral(Base):
    """One friend's first paid order through a referrer's code: converted once, scored, rewarded or not.

    ``checkout_session_id`` is unique, so an order converts at most once
    whatever Stripe delivers.
    """

    __tablename__ = "journeykit_referrals"
    __table_args__ = (sa.Index("ix_journeykit_referrals_status_created_at", "status", "created_at"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    checkout_session_id: Mapped[str] = mapped_column(sa.String(255), unique=True)
    #: The code as the checkout named it (upper-cased), and the code row it matched (``None``: unknown).
    code_text: Mapped[str] = mapped_column(sa.String(64))
    code_id: Mapped[int | None] = mapped_column(sa.ForeignKey("journeykit_referral_codes.id", ondelete="SET NULL"),
                                                index=True)
    referrer_customer_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("journeykit_customers.id", ondelete="SET NULL"), index=True)
    friend_customer_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("journeykit_customers.id", ondelete="SET NULL"), index=True)
    status: Mapped[ReferralStatus] = mapped_column(value_enum(ReferralStatus, "referral_status"))
    #: 0 (nothing odd) to 100; ``risk_reasons`` says why, in the owner's words.
    risk_score: Mapped[int] = mapped_column(sa.SmallInteger, default=0)
    risk_reasons: Mapped[list[Any]] = mapped_column(sa.JSON, default=list)
    #: The friend's order: what was paid, and what refunds and lost disputes took back so far (Stripe's cumulative).
    amount_total: Mapped[int] = mapped_column(sa.BigInteger)
    amount_reversed: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    currency: Mapped[str] = mapped_column(sa.String(3))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: The referrer's reward is paid when this passes (``JOURNEYKIT_REFERRAL_HOLD_DAYS``), if still due.
    reward_due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    rewarded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    #: The owner's decision on a reviewed referral, and who made it.
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    decided_by: Mapped[str | None] = mapped_column(sa.String(254))
    #: The referrer's one-time coupon (``JOURNEYKIT_REFERRAL_REFERRER_COUPON``): its code and Stripe promotion code.
    referrer_coupon_code: Mapped[str | None] = mapped_column(sa.String(64))
    referrer_promotion_code_id: Mapped[str | None] = mapped_column(sa.String(255))


class ReferralClick(Base):
    """One visitor's click on a code's link on one (UTC) day: a code's clicks, counted once per visitor per day.

    The primary key is the dedupe: a second click the same day inserts
    nothing.  Clicks per code and day are what the shopper's stats, the
    owner's reports and the spike check read.
    """

    __tablename__ = "journeykit_referral_clicks"

    code_id: Mapped[int] = mapped_column(sa.ForeignKey("journeykit_referral_codes.id", ondelete="CASCADE"),
                                         primary_key=True)
    day: Mapped[dt.date] = mapped_column(sa.Date, primary_key=True)
    visitor_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    clicked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
