"""JourneyKit's own SQLAlchemy metadata, used through the shop's engine and session.

JourneyKit never registers its tables with the shop's ``db.Model``: they live
in their own :data:`metadata`, so the shop's ``db.create_all()`` and its own
Alembic history never see them, and JourneyKit's migrations never see the
shop's tables.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import mysql, postgresql
from sqlalchemy.orm import DeclarativeBase, Session

from .errors import NotFound

#: Every JourneyKit table name starts with this.
TABLE_PREFIX = "journeykit_"
#: Alembic's version table for JourneyKit's own migrations.
VERSION_TABLE = "journeykit_alembic_version"

#: Stable constraint names, so migrations are the same on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class Base(DeclarativeBase):
    """Declarative base of JourneyKit's models (not the shop's ``db.Model``)."""

    metadata = metadata


def utcnow() -> dt.datetime:
    """The current time, timezone-aware, in UTC."""
    return dt.datetime.now(dt.timezone.utc)


#: A timestamp column: ``timestamptz`` on PostgreSQL; on MySQL ``DATETIME(6)``, since a bare DATETIME drops the microseconds.
TIMESTAMP = sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
#: Dialects whose timestamps have no time zone: the value is stored as naive UTC.
_NAIVE_DIALECTS = ("sqlite", "mysql", "mariadb")


class UTCDateTime(sa.TypeDecorator[dt.datetime]):
    """A timestamp that is always timezone-aware UTC in Python.

    PostgreSQL stores ``timestamptz``; SQLite and MySQL have no time zones, so
    the value is stored as naive UTC there and made aware again when read.
    Naive input is refused: a naive time is ambiguous, and guessing shifts it
    by hours.
    """

    impl = TIMESTAMP
    cache_ok = True

    @property
    def python_type(self) -> type[dt.datetime]:
        return dt.datetime

    def process_bind_param(self, value: dt.datetime | None, dialect: sa.Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("JourneyKit stores timezone-aware datetimes only")
        value = value.astimezone(dt.timezone.utc)
        return value.replace(tzinfo=None) if dialect.name in _NAIVE_DIALECTS else value

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(dt.timezone.utc)


#: JSON that is ``jsonb`` on PostgreSQL (indexable, compact) and JSON text elsewhere.
JSONType = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def value_enum(cls: type[enum.Enum], name: str) -> sa.Enum:
    """A portable enum column: a short string plus a CHECK constraint, stored by value."""
    return sa.Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=16,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


#: A 64-bit integer primary key that SQLite still auto-increments.
BigIntPK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


T = TypeVar("T")


def session() -> Session:
    """The shop's Flask-SQLAlchemy session, which JourneyKit shares."""
    return current_app.extensions["journeykit"].db.session


def actual_session() -> Session:
    """The session itself behind Flask-SQLAlchemy's scoped one (which hides ``get_transaction``, ``in_transaction``)."""
    scoped = session()
    return scoped() if isinstance(scoped, sa.orm.scoped_session) else scoped


def get_or_404(model: type[T], key: Any, what: str, error_code: str) -> T:
    """The row of ``model`` with primary key ``key``, or a 404 JSON error naming ``what`` was not found."""
    found = session().get(model, key)
    if found is None:
        raise NotFound(f"No {what} {key}.", error_code=error_code)
    return found


def engine() -> sa.Engine:
    """The engine holding JourneyKit's tables (the default one, or ``JOURNEYKIT_BIND_KEY``'s)."""
    state = current_app.extensions["journeykit"]
    return state.db.engines[state.bind_key]


def is_journeykit_object(name: str | None, type_: str, obj: Any) -> bool:
    """Alembic ``include_object`` test: is this one of JourneyKit's tables (or of its parts)?"""
    if type_ == "table":
        return bool(name and name.startswith(TABLE_PREFIX))
    table = getattr(obj, "table", None)
    return bool(table is not None and table.name.startswith(TABLE_PREFIX))
