"""The audit log: every change the shop owner makes, with who, what, when, before and after.

An entry is written in the transaction of the change it reports, so a change
that rolls back leaves none, and entries are never changed or deleted (the
ORM refuses, as for the journey's event log).  Who: the admin API key (by its
last four characters), the name the shop's ``admin_guard`` returned, or the
command line.  Entries keep the owner's decisions, never what a customer
wrote or who they are, so that forgetting a customer (``journeykit.privacy``)
leaves nothing personal here either.
"""

from __future__ import annotations

import datetime as dt
import getpass
from typing import Any

import sqlalchemy as sa
from flask import has_request_context, request
from sqlalchemy import event
from sqlalchemy.orm import Mapped, mapped_column

from . import limits
from .db import Base, BigIntPK, JSONType, UTCDateTime, session, utcnow
from .errors import JourneyKitError

#: Where :func:`~journeykit.core.admin_access.check_admin` leaves who the request's admin is.
ACTOR_KEY = "journeykit.admin"


class AuditEntry(Base):
    """One change by the shop owner (or an operator at the command line)."""

    __tablename__ = "journeykit_audit_log"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(sa.String(200))
    #: What was done, as ``<thing>.<verb>``: ``review.publish``, ``webhook.delete``, ``customer.forget``…
    action: Mapped[str] = mapped_column(sa.String(64), index=True)
    #: What it was done to, as ``<thing>:<id>`` (``review:12``), or ``None`` for many at once.
    target: Mapped[str | None] = mapped_column(sa.String(300), index=True)
    before: Mapped[Any] = mapped_column(JSONType, nullable=True)
    after: Mapped[Any] = mapped_column(JSONType, nullable=True)
    #: The request's network address, when there was a request.
    address: Mapped[str | None] = mapped_column(sa.String(64))


@event.listens_for(AuditEntry, "before_update")
@event.listens_for(AuditEntry, "before_delete")
def _refuse_rewriting_the_log(mapper: Any, connection: Any, target: AuditEntry) -> None:
    raise JourneyKitError("The audit log is append-only: entries are never changed or deleted")


def actor() -> str:
    """Who is acting: the admin of this request, else the operating-system user at the command line."""
    if has_request_context():
        return request.environ.get(ACTOR_KEY, "unknown admin")
    try:
        return f"command line ({getpass.getuser()})"
    except (KeyError, OSError):  # no user name in this environment
        return "command line"


def record(action: str, target: str | None = None, *, before: Any = None, after: Any = None) -> AuditEntry:
    """Log one change in the current transaction (the caller commits it with the change)."""
    entry = AuditEntry(
        actor=limits.fitted("journeykit_audit_log.actor", actor(), field="an admin's name", truncate=True),
        action=action, target=target, before=before, after=after, at=utcnow(),
        address=limits.fitted("journeykit_audit_log.address", request.remote_addr, field="an address", truncate=True)
        if has_request_context() else None,
    )
    session().add(entry)
    return entry
