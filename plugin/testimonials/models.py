"""Testimonials: short quotes from customers that the owner curates onto a wall."""

from __future__ import annotations

import datetime as dt
import enum
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.db import Base, BigIntPK, UTCDateTime, utcnow, value_enum

if TYPE_CHECKING:
    from ..journey.models import Customer

#: Sorts after every real pin position (positions are validated far below it).
UNPINNED = 2**31 - 1


class TestimonialStatus(str, enum.Enum):
    """Same words as a review's status, but its own type: the two workflows may diverge."""

    PENDING = "pending"
    PUBLISHED = "published"
    REJECTED = "rejected"


class Testimonial(Base):
    """One quote, collected by a form (with consent) or promoted from a published review."""

    __tablename__ = "journeykit_testimonials"
    __table_args__ = (
        sa.CheckConstraint("consent", name="consent_given"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    #: ``None`` when collected by link from someone the shop did not identify.
    customer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("journeykit_customers.id", ondelete="CASCADE"), index=True)
    body: Mapped[str] = mapped_column(sa.Text)
    #: The display name, as the author chose it.
    name: Mapped[str] = mapped_column(sa.String(80))
    role: Mapped[str | None] = mapped_column(sa.String(80))
    company: Mapped[str | None] = mapped_column(sa.String(80))
    #: Permission to show the quote publicly: never stored without it.
    consent: Mapped[bool] = mapped_column(sa.Boolean)
    consent_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    status: Mapped[TestimonialStatus] = mapped_column(
        value_enum(TestimonialStatus, "testimonial_status"), default=TestimonialStatus.PENDING
    )
    featured: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    #: The owner's pin order (lowest first); ``None`` for unpinned ones, shown after.
    position: Mapped[int | None] = mapped_column(sa.Integer)
    #: The review this was promoted from: a review is promoted at most once.
    source_review_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("journeykit_reviews.id", ondelete="SET NULL"), unique=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    customer: Mapped[Customer | None] = relationship()
    tag_rows: Mapped[list[TestimonialTag]] = relationship(
        cascade="all, delete-orphan", order_by="TestimonialTag.tag", lazy="selectin"
    )
    #: The pin order as a non-null sort key (``position``, else :data:`UNPINNED`), so keyset paging orders
    #: "pinned first" portably and the wall is read in its index's order.  Stored, not computed per row:
    #: :func:`_rank` sets it whenever ``position`` changes (MariaDB indexes no expressions).
    pin_rank: Mapped[int] = mapped_column(sa.Integer, default=UNPINNED, server_default=sa.text(str(UNPINNED)))

    @property
    def tags(self) -> list[str]:
        return [row.tag for row in self.tag_rows]


@sa.event.listens_for(Testimonial.position, "set")
def _rank(target: Testimonial, value: int | None, _old: object, _initiator: object) -> None:
    """Keep ``pin_rank`` equal to ``coalesce(position, UNPINNED)`` on every change of the position."""
    target.pin_rank = UNPINNED if value is None else value


#: The wall's order (:data:`journeykit.testimonials.lifecycle.WALL_ORDER`: pin rank up, then newest), read
#: backwards: the rank is held descending, so it ascends while the rest descends.
sa.Index("ix_journeykit_testimonials_wall", Testimonial.status, Testimonial.pin_rank.desc(), Testimonial.published_at,
         Testimonial.id)


class TestimonialTag(Base):
    """One tag of a testimonial; the ``tag`` index makes filtering the wall by tag a lookup."""

    __tablename__ = "journeykit_testimonial_tags"

    testimonial_id: Mapped[int] = mapped_column(
        sa.ForeignKey("journeykit_testimonials.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(sa.String(32), primary_key=True, index=True)
