"""Reviews of products, their helpful votes, and each product's rating aggregate."""

from __future__ import annotations

import datetime as dt
import enum
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.db import Base, BigIntPK, UTCDateTime, utcnow, value_enum

if TYPE_CHECKING:
    from ..journey.models import Customer
    from ..orders.models import Order


class ReviewStatus(str, enum.Enum):
    PENDING = "pending"
    PUBLISHED = "published"
    REJECTED = "rejected"


class RejectionReason(str, enum.Enum):
    """The only grounds on which a review may be kept off the storefront.

    These follow what consumer-protection rules on reviews allow (e.g. the EU
    Omnibus directive, the US FTC rule on consumer reviews): a review is never
    rejected for being negative.
    """

    SPAM = "spam"
    OFF_TOPIC = "off_topic"
    ABUSIVE = "abusive"  # hateful, harassing, obscene or threatening
    PERSONAL_DATA = "personal_data"  # names, addresses, phone numbers of others
    NOT_A_CUSTOMER = "not_a_customer"  # the author never had the product
    CONFLICT_OF_INTEREST = "conflict"  # written by staff, a competitor or for pay
    ILLEGAL = "illegal"  # unlawful content or infringing material


class Review(Base):
    """One shopper's review of one product (an edit updates it in place)."""

    __tablename__ = "journeykit_reviews"
    __table_args__ = (
        sa.UniqueConstraint("product_id", "customer_id"),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),
        # One index per storefront order (:data:`.listing.SORTS`, read backwards), so a page of a product's
        # reviews is read in order and stops at the page's end, however many reviews the product has.
        sa.Index("ix_journeykit_reviews_newest", "product_id", "status", "pinned", "published_at", "id"),
        sa.Index("ix_journeykit_reviews_highest", "product_id", "status", "pinned", "rating", "published_at", "id"),
        sa.Index("ix_journeykit_reviews_helpful", "product_id", "status", "pinned", "helpful_count", "published_at", "id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    product_id: Mapped[str] = mapped_column(sa.String(255))
    customer_id: Mapped[int] = mapped_column(sa.ForeignKey("journeykit_customers.id", ondelete="CASCADE"), index=True)
    rating: Mapped[int] = mapped_column(sa.SmallInteger)
    title: Mapped[str] = mapped_column(sa.String(150), default="")
    body: Mapped[str] = mapped_column(sa.Text)
    #: The name shown with the review, as the author chose it.
    author: Mapped[str] = mapped_column(sa.String(80))
    status: Mapped[ReviewStatus] = mapped_column(value_enum(ReviewStatus, "review_status"), default=ReviewStatus.PENDING)
    rejection_reason: Mapped[RejectionReason | None] = mapped_column(value_enum(RejectionReason, "rejection_reason"))
    #: Set by JourneyKit only, from a paid order with the product that was not reversed.
    verified_order_id: Mapped[int | None] = mapped_column(sa.ForeignKey("journeykit_orders.id", ondelete="SET NULL"))
    #: Written in return for a reward (points, a discount): shown as such.
    incentivised: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    #: Where an imported review came from (``judgeme``, ``yotpo``); never verified.
    imported_from: Mapped[str | None] = mapped_column(sa.String(32))
    reply: Mapped[str | None] = mapped_column(sa.Text)
    replied_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    pinned: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    featured: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    helpful_count: Mapped[int] = mapped_column(sa.Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: When its author last changed it (a second review of the product is an edit); shown as "Edited".
    edited_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    customer: Mapped[Customer] = relationship()
    verified_order: Mapped[Order | None] = relationship()
    #: Loaded with the review in one batched query per page (``selectin``); deleting
    #: the review deletes them, and :mod:`.photos` then removes their files.
    photos: Mapped[list[ReviewPhoto]] = relationship(
        back_populates="review", order_by="ReviewPhoto.position", lazy="selectin", cascade="all, delete-orphan"
    )

    @property
    def verified(self) -> bool:
        return self.verified_order_id is not None

    @property
    def visible_photos(self) -> list[ReviewPhoto]:
        """The photos the storefront may show (the owner hid none of them)."""
        return [photo for photo in self.photos if not photo.hidden]


#: "lowest" is pinned first, then fewest stars, then newest: the stars ascend while the rest descend, so its
#: index holds them descending and is read backwards like the others.
sa.Index("ix_journeykit_reviews_lowest", Review.product_id, Review.status, Review.pinned, Review.rating.desc(),
         Review.published_at, Review.id)


class ReviewPhoto(Base):
    """A photo attached to a review; its bytes live in the shop's photo storage under ``storage_key``.

    The bytes were re-encoded by JourneyKit (no EXIF, no metadata), and
    ``content_type`` was decided from them, never from what the client said.
    """

    __tablename__ = "journeykit_review_photos"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    review_id: Mapped[int] = mapped_column(sa.ForeignKey("journeykit_reviews.id", ondelete="CASCADE"), index=True)
    #: Made by JourneyKit (random), never from the client's file name.
    storage_key: Mapped[str] = mapped_column(sa.String(64), unique=True)
    content_type: Mapped[str] = mapped_column(sa.String(32))
    size_bytes: Mapped[int] = mapped_column(sa.Integer)
    width: Mapped[int] = mapped_column(sa.Integer)
    height: Mapped[int] = mapped_column(sa.Integer)
    #: Order within the review (upload order).
    position: Mapped[int] = mapped_column(sa.SmallInteger)
    #: Hidden by the shop owner: kept, but never shown on the storefront.
    hidden: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    review: Mapped[Review] = relationship(back_populates="photos")


class ReviewVote(Base):
    """A "helpful" vote: one per voter (visitor or customer) and review."""

    __tablename__ = "journeykit_review_votes"
    __table_args__ = (sa.UniqueConstraint("review_id", "voter"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    review_id: Mapped[int] = mapped_column(sa.ForeignKey("journeykit_reviews.id", ondelete="CASCADE"))
    #: ``v:<visitor id>`` or ``c:<customer id>``.
    voter: Mapped[str] = mapped_column(sa.String(80))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ProductRating(Base):
    """A product's published ratings, kept current on every change (never recounted per request)."""

    __tablename__ = "journeykit_product_ratings"

    product_id: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    count: Mapped[int] = mapped_column(sa.Integer, default=0)
    total: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    stars_1: Mapped[int] = mapped_column(sa.Integer, default=0)
    stars_2: Mapped[int] = mapped_column(sa.Integer, default=0)
    stars_3: Mapped[int] = mapped_column(sa.Integer, default=0)
    stars_4: Mapped[int] = mapped_column(sa.Integer, default=0)
    stars_5: Mapped[int] = mapped_column(sa.Integer, default=0)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @property
    def average(self) -> float | None:
        return round(self.total / self.count, 2) if self.count else None

    @property
    def histogram(self) -> dict[str, int]:
        return {str(stars): getattr(self, f"stars_{stars}") for stars in range(1, 6)}


class ReviewRequest(Base):
    """That an order's buyer was asked for reviews: one request per order, ever."""

    __tablename__ = "journeykit_review_requests"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("journeykit_orders.id", ondelete="CASCADE"), unique=True)
    sent_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
