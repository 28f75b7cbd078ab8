"""The journey's tables: customers, visitors, the event log, and the people and rollups derived from it.

Everything but the customers, visitors and the event log can be rebuilt
from those (``flask journeykit stages rebuild``): it is derived data, kept
current as events arrive so that the funnel and cohorts cost the days asked,
not the events logged.  Times are timezone-aware UTC.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.db import Base, BigIntPK, JSONType, UTCDateTime, utcnow, value_enum
from ..core.errors import JourneyKitError
from .stages import Stage


class Customer(Base):
    """A shopper known to the shop (by its own id), to Stripe, or by e-mail."""

    __tablename__ = "journeykit_customers"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    #: The shop's own customer id, as a string (``None`` for a buyer known only by e-mail).
    shop_customer_id: Mapped[str | None] = mapped_column(sa.String(255), unique=True)
    #: Lower-cased and stripped, so the same person is found however they typed it.
    email: Mapped[str | None] = mapped_column(sa.String(320), index=True)
    name: Mapped[str | None] = mapped_column(sa.String(200))
    stripe_customer_id: Mapped[str | None] = mapped_column(sa.String(255), unique=True)
    stage: Mapped[Stage] = mapped_column(value_enum(Stage, "stage"), default=Stage.AWARENESS)
    stage_changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    visitors: Mapped[list[Visitor]] = relationship(back_populates="customer")

    def __repr__(self) -> str:
        return f"<Customer {self.id} shop_id={self.shop_customer_id!r} stage={self.stage}>"


def known_customers_index(name: str) -> sa.Index:
    """An index of ``customer_id`` holding only the rows that have one (SQLite, PostgreSQL; MariaDB has no partial
    indexes): most visitors and events are anonymous, and SQLite's statistics of a mostly-NULL column would make
    its planner read the whole table instead (migration ``b5c9e3f7a2d8``)."""
    known = sa.text("customer_id IS NOT NULL")
    return sa.Index(name, "customer_id", sqlite_where=known, postgresql_where=known)


class Visitor(Base):
    """An anonymous browser, joined to a customer once we learn who it is."""

    __tablename__ = "journeykit_visitors"
    __table_args__ = (known_customers_index("ix_journeykit_visitors_customer_id"),)

    #: The random id the embed script or the visitor cookie carries.
    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    customer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("journeykit_customers.id", ondelete="SET NULL"))
    first_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    joined_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    customer: Mapped[Customer | None] = relationship(back_populates="visitors")


class JourneyEvent(Base):
    """One thing a person did, in an append-only log.

    Rows are never updated or deleted (see the mapper guards below): stages
    and metrics can always be rebuilt from this log.
    """

    __tablename__ = "journeykit_journey_events"
    #: A joined visitor's anonymous events (visitor id, no customer) are found without
    #: reading every anonymous event, as an index on the visitor id alone would.
    __table_args__ = (sa.Index("ix_journeykit_journey_events_visitor_customer", "visitor_id", "customer_id"),
                      known_customers_index("ix_journeykit_journey_events_customer_id"))

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(64))
    customer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("journeykit_customers.id", ondelete="SET NULL"))
    visitor_id: Mapped[str | None] = mapped_column(sa.String(64))
    product_id: Mapped[str | None] = mapped_column(sa.String(255))
    properties: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    #: Where it came from: ``server`` (journey.track), ``browser`` or ``stripe``.
    source: Mapped[str] = mapped_column(sa.String(16), default="server")
    #: Set for effects that must be logged once only (e.g. ``purchase:cs_…``).
    dedupe_key: Mapped[str | None] = mapped_column(sa.String(255), unique=True)
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


@event.listens_for(JourneyEvent, "before_update")
@event.listens_for(JourneyEvent, "before_delete")
def _refuse_rewriting_history(mapper: Any, connection: Any, target: JourneyEvent) -> None:
    raise JourneyKitError("The journey event log is append-only: events are never changed or deleted")


class Person(Base):
    """A customer (with every visitor joined to it), or an anonymous visitor not yet joined.

    The ``reached_*_at`` columns are the person's history of transitions: when
    each stage's rule first held for them (:mod:`.stage_rules`).  A later stage
    implies awareness and consideration, so theirs are never later; retention
    and advocacy both follow purchase and either may be empty while the other
    is set (a one-time buyer who reviews has no retention).
    """

    __tablename__ = "journeykit_people"
    __table_args__ = (
        sa.CheckConstraint("(customer_id IS NULL) <> (visitor_id IS NULL)", name="one_identity"),
        # No index on the later stages' times: the time between stages reads its per-day histograms
        # (:class:`StageWait`), and nothing else asks for people by when they reached a later stage.
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    customer_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("journeykit_customers.id", ondelete="CASCADE"), unique=True
    )
    #: Only for an anonymous person; a joined visitor belongs to its customer's person.
    visitor_id: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    stage: Mapped[Stage] = mapped_column(value_enum(Stage, "stage"), default=Stage.AWARENESS)
    reached_awareness_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)
    reached_consideration_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    reached_purchase_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    reached_retention_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    reached_advocacy_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: How many purchase events the person's log holds.
    paid_orders: Mapped[int] = mapped_column(sa.Integer, default=0)
    #: ``properties["widget"]`` of the person's first ``widget_viewed`` event (by arrival).
    first_widget: Mapped[str | None] = mapped_column(sa.String(64))
    #: The first ``properties["referral_code"]`` seen in the person's events (by arrival).
    referral_code: Mapped[str | None] = mapped_column(sa.String(64))
    #: The latest week (its Monday) with an event: later events of that week need no marker.
    last_active_week: Mapped[dt.date | None] = mapped_column(sa.Date)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        who = f"customer={self.customer_id}" if self.customer_id is not None else f"visitor={self.visitor_id!r}"
        return f"<Person {self.id} {who} stage={self.stage}>"


class PersonWeek(Base):
    """A week (its Monday, UTC) in which a person did anything: each person counts once per active week."""

    __tablename__ = "journeykit_person_weeks"

    person_id: Mapped[int] = mapped_column(
        BigIntPK, sa.ForeignKey("journeykit_people.id", ondelete="CASCADE"), primary_key=True
    )
    week: Mapped[dt.date] = mapped_column(sa.Date, primary_key=True)


class StageDay(Base):
    """People who reached ``stage`` on ``day`` (UTC) whose reach just before it, in time, was on ``previous_day``.

    For awareness ``previous_day`` is ``day``; for retention or advocacy it is
    the day of purchase or of the other one, whichever came last before it
    (:func:`.rollups.stage_contributions`).  The previous day is what lets a
    funnel over a period count the people who were aware before it and bought
    inside it (see :mod:`.reports`).
    """

    __tablename__ = "journeykit_stage_days"
    __table_args__ = (sa.Index("ix_journeykit_stage_days_day", "day"),)

    stage: Mapped[Stage] = mapped_column(value_enum(Stage, "stage"), primary_key=True)
    day: Mapped[dt.date] = mapped_column(sa.Date, primary_key=True)
    previous_day: Mapped[dt.date] = mapped_column(sa.Date, primary_key=True)
    people: Mapped[int] = mapped_column(sa.Integer)


class StageWait(Base):
    """People who reached ``stage`` on ``day`` (UTC) after a wait, since the stage it is timed from, in ``bucket``.

    Buckets are log-spaced (:mod:`.waits`), so the quantiles of any period's
    waits come from the summed rows within a stated relative error, at a cost
    that follows the days asked, not the people.
    """

    __tablename__ = "journeykit_stage_waits"
    __table_args__ = (sa.Index("ix_journeykit_stage_waits_day", "day"),)

    stage: Mapped[Stage] = mapped_column(value_enum(Stage, "stage"), primary_key=True)
    day: Mapped[dt.date] = mapped_column(sa.Date, primary_key=True)
    #: :func:`.waits.bucket_of` the wait; -1 for no wait at all (both stages reached at the same moment).
    bucket: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=False)
    people: Mapped[int] = mapped_column(sa.Integer)


class CohortStage(Base):
    """People first seen in ``cohort_week`` who reached ``stage`` (at any time)."""

    __tablename__ = "journeykit_cohort_stages"

    cohort_week: Mapped[dt.date] = mapped_column(sa.Date, primary_key=True)
    stage: Mapped[Stage] = mapped_column(value_enum(Stage, "stage"), primary_key=True)
    people: Mapped[int] = mapped_column(sa.Integer)


class CohortActivity(Base):
    """People first seen in ``cohort_week`` who did anything in ``week``."""

    __tablename__ = "journeykit_cohort_activity"

    cohort_week: Mapped[dt.date] = mapped_column(sa.Date, primary_key=True)
    week: Mapped[dt.date] = mapped_column(sa.Date, primary_key=True)
    people: Mapped[int] = mapped_column(sa.Integer)
