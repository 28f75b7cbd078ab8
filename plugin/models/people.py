"""People and their stages, derived from the journey event log, and the rollups metrics read.

Everything here can be rebuilt from the event log and the visitors table
(``flask journeykit stages rebuild``): it is derived data, kept current as
events arrive so that the funnel and cohorts cost the days asked, not the
events logged.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, BigIntPK, UTCDateTime, utcnow, value_enum
from ..stages import Stage

_STAGES = [stage.value for stage in Stage]


class Person(Base):
    """A customer (with every visitor joined to it), or an anonymous visitor not yet joined.

    The ``reached_*_at`` columns are the person's history of transitions: when
    each stage was (effectively) reached, where reaching a stage counts as
    reaching every stage before it.
    """

    __tablename__ = "journeykit_people"
    __table_args__ = (
        sa.CheckConstraint("(customer_id IS NULL) <> (visitor_id IS NULL)", name="one_identity"),
        # When each stage was reached, then the stage before: a period's waits are read from the index alone.
        *(sa.Index(f"ix_journeykit_people_{later}_wait", f"reached_{later}_at", f"reached_{earlier}_at")
          for earlier, later in zip(_STAGES, _STAGES[1:])),
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
    """People who reached ``stage`` on ``day`` (UTC) having reached the stage before on ``previous_day``.

    For awareness ``previous_day`` is ``day``.  The previous day is what lets a
    funnel over a period count the people who were aware before it and bought
    inside it (see :mod:`journeykit.metrics`).
    """

    __tablename__ = "journeykit_stage_days"
    __table_args__ = (sa.Index("ix_journeykit_stage_days_day", "day"),)

    stage: Mapped[Stage] = mapped_column(value_enum(Stage, "stage"), primary_key=True)
    day: Mapped[dt.date] = mapped_column(sa.Date, primary_key=True)
    previous_day: Mapped[dt.date] = mapped_column(sa.Date, primary_key=True)
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
