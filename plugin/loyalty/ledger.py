"""The only code that writes the points tables: post an entry and move the balance with it, in one transaction.

Every posting locks the customer's balance row first, so postings for one
customer take turns on every database: a key posted twice is seen the
second time, and a spend cannot overdraw.  The entry is inserted, and the
balance moved only if it was (on PostgreSQL both in one statement:
:func:`~journeykit.core.written.inserted_key_then_written`).  A customer's
first posting finds no row to lock: it inserts the row with that entry's
points (not a row at zero, then an update); should another first posting
have inserted the row meanwhile, it waits for that one to commit, then locks
the row and moves it.  The balance row always equals the sum of the
customer's entries; :func:`check` proves it.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, overload

import sqlalchemy as sa
from flask import current_app

from ..core import dialects, locked_rows, signals, written
from ..core.db import session, utcnow
from . import rules
from .models import EntryKind, PointsBalance, PointsEntry

if TYPE_CHECKING:
    from ..journey.models import Customer

#: What a shopper's history says for each kind of entry without a description of its own.
WORDS = {
    EntryKind.PURCHASE: "Points for your order",
    EntryKind.REVERSAL: "Taken back: part of an order was refunded",
    EntryKind.WRITE_OFF: "Forgiven: points you had already spent",
    EntryKind.AWARD: "Points from the shop",
    EntryKind.ADJUSTMENT: "Corrected by the shop",
    EntryKind.REVIEW: "Points for your review",
    EntryKind.SIGNUP: "Welcome points",
    EntryKind.BIRTHDAY: "Happy birthday",
    EntryKind.REFERRAL: "Points for a friend you referred",
    EntryKind.REDEMPTION: "Turned into a discount code",
    EntryKind.CODE_RETURNED: "Returned: a discount code was not used",
    EntryKind.EXPIRY: "Expired",
    EntryKind.IMPORT: "Brought over from your previous points",
}


#: The entries that are the customer's own doing: earning and spending keep their points from expiring.
ACTIVITY = frozenset({EntryKind.PURCHASE, EntryKind.AWARD, EntryKind.REVIEW, EntryKind.SIGNUP, EntryKind.BIRTHDAY,
                      EntryKind.REFERRAL, EntryKind.REDEMPTION, EntryKind.IMPORT})


#: Positive entries that are no earning: a write-off forgives, a returned code gives back what was spent.
NOT_EARNED = frozenset({EntryKind.WRITE_OFF, EntryKind.CODE_RETURNED})


def post(
    customer: Customer,
    points: int,
    kind: EntryKind,
    *,
    key: str,
    description: str = "",
    source: tuple[str, str] | None = None,
    actor: str | None = None,
    at: dt.datetime | None = None,
) -> PointsEntry | None:
    """Post one entry and move the balance with it; ``None`` (and nothing changes) if ``key`` was posted before.

    Spending goes through :func:`journeykit.loyalty.spending.spend`, which
    first checks what the customer may spend.  Earned points of a rule with
    pending days (:func:`journeykit.loyalty.rules.pending_days`) are
    spendable only from ``created_at`` + those days.  The caller commits; the
    ``points_changed`` signal goes out with the commit.
    """
    row = locked_balance(customer, create=False)
    now = at or utcnow()
    values = {"customer_id": customer.id, "points": points, "kind": kind, "description": description, "key": key,
              "source_type": source[0] if source else None, "source_id": source[1] if source else None,
              "actor": actor, "created_at": now, "spendable_at": rules.spendable_at(kind, points, now)}
    row = _moved(row if row is not None else _empty(customer), points, kind, now)
    entry_id, moved = written.inserted_key_then_written(PointsEntry.__table__, values,  # type: ignore[arg-type]
                                                        on=["customer_id", "key"], row=row)
    if entry_id is None:  # posted before
        return None
    entry = PointsEntry(id=entry_id, **values)
    written.add_as_written(entry)
    if not moved:  # another transaction's first posting inserted the balance row meanwhile, and has committed
        row = _moved(locked_balance(customer), points, kind, now)
        written.write_changes(row)
    locked_rows.remember(("points_balance", customer.id), row)
    signals.queue(signals.points_changed, customer_id=customer.shop_customer_id, customer=customer, delta=points,
                  balance=row.balance, kind=kind.value)
    return entry


def _moved(row: PointsBalance, points: int, kind: EntryKind, now: dt.datetime) -> PointsBalance:
    """``row`` moved by an entry of ``points`` and ``kind`` posted ``now``."""
    row.balance += points
    if points > 0 and kind not in NOT_EARNED:
        row.earned += points
    if kind in ACTIVITY:
        row.last_activity_at = max(now, row.last_activity_at or now)
    row.updated_at = utcnow()
    return row


def _empty(customer: Customer) -> PointsBalance:
    """A new customer's balance row at zero, not yet written (every column set, so nothing is read back)."""
    row = PointsBalance(**{column.key: None for column in PointsBalance.__table__.columns})
    row.customer_id, row.balance, row.earned = customer.id, 0, 0
    return row


def take_back(customer: Customer, points: int, kind: EntryKind, *, key: str, source: tuple[str, str]) -> None:
    """Take back ``points`` (> 0) once given (a refund, a review taken down, a referral revoked), once per ``key``.

    Any of them the customer already spent is written off (an entry the
    liability report shows) rather than taking the balance below zero,
    unless the owner allows that (``JOURNEYKIT_LOYALTY_ALLOW_NEGATIVE``).
    """
    if post(customer, -points, kind, key=key, source=source) is None:
        return
    shortfall = min(-locked_balance(customer).balance, points)
    if shortfall > 0 and not current_app.config["JOURNEYKIT_LOYALTY_ALLOW_NEGATIVE"]:
        post(customer, shortfall, EntryKind.WRITE_OFF, key=f"{key}:write_off", source=source)


@overload
def locked_balance(customer: Customer) -> PointsBalance: ...
@overload
def locked_balance(customer: Customer, *, create: bool) -> PointsBalance | None: ...


def locked_balance(customer: Customer, *, create: bool = True) -> PointsBalance | None:
    """The customer's balance row, created at zero if new, locked until the transaction ends (once per transaction:
    a purchase's points, tier and reversals all ask for it); with ``create=False``, ``None`` for a customer who
    has none (nothing locked: see the module's docstring)."""
    if customer.id is None:
        session().flush()
    key = ("points_balance", customer.id)
    row = locked_rows.cached(key)
    if row is locked_rows.ABSENT and not create:
        return None
    if row is not None and row is not locked_rows.ABSENT:
        return row
    dialects.write_lock(PointsBalance.__table__)  # type: ignore[arg-type]
    new = lambda customer_id: {"customer_id": customer_id, "balance": 0, "earned": 0, "updated_at": utcnow()}  # noqa: E731
    rows = dialects.lock_or_create(PointsBalance, PointsBalance.customer_id, [customer.id], new if create else None)
    locked_rows.remember(key, rows[0] if rows else locked_rows.ABSENT)
    return rows[0] if rows else None


def posted(customer_id: int, key: str) -> int | None:
    """The id of the customer's entry with ``key``, if it was posted."""
    return session().scalar(sa.select(PointsEntry.id).where(PointsEntry.customer_id == customer_id, PointsEntry.key == key))


def points_of(customer_id: int, key: str) -> int:
    """The points of the customer's entry with ``key`` (0 if it was never posted)."""
    return int(session().scalar(sa.select(PointsEntry.points).where(PointsEntry.customer_id == customer_id,
                                                                    PointsEntry.key == key)) or 0)


def balance_row(customer_id: int) -> PointsBalance | None:
    """The customer's balance row, read without a lock (``None`` for a customer who never had points)."""
    return session().scalars(sa.select(PointsBalance).where(PointsBalance.customer_id == customer_id)
                             .execution_options(populate_existing=True)).first()


def balance_of(customer_id: int) -> int:
    """The customer's points now (0 for a customer who never had any)."""
    row = balance_row(customer_id)
    return row.balance if row is not None else 0


def total_from(customer_id: int, source: tuple[str, str], kind: EntryKind) -> int:
    """The sum of the customer's entries of ``kind`` that came from ``source`` (an int: SUM is NUMERIC on the servers)."""
    return int(session().scalar(
        sa.select(sa.func.coalesce(sa.func.sum(PointsEntry.points), 0)).where(
            PointsEntry.customer_id == customer_id, PointsEntry.kind == kind,
            PointsEntry.source_type == source[0], PointsEntry.source_id == source[1])
    ) or 0)


def count_from(customer_id: int, source: tuple[str, str]) -> int:
    """How many of the customer's entries came from ``source`` (to key the next one)."""
    return session().scalar(sa.select(sa.func.count()).select_from(PointsEntry).where(
        PointsEntry.customer_id == customer_id, PointsEntry.source_type == source[0],
        PointsEntry.source_id == source[1])) or 0


def history(customer_id: int, *, limit: int | None = 20) -> list[dict[str, Any]]:
    """The customer's latest entries (all with ``limit=None``), newest first, each with what it says to the shopper."""
    entries = session().scalars(sa.select(PointsEntry).where(PointsEntry.customer_id == customer_id)
                                .order_by(PointsEntry.id.desc()).limit(limit))
    return [{"points": entry.points, "kind": entry.kind.value, "description": entry.description or WORDS[entry.kind],
             "actor": entry.actor, "created_at": entry.created_at} for entry in entries]


def check() -> list[tuple[int, int, int]]:
    """Every customer whose balance row differs from the sum of their entries: ``(customer id, stored, summed)``.

    Two outer joins, one from each side (MySQL has no FULL JOIN): balances
    against their entries, then entries with no balance row at all.
    """
    summed = (sa.select(PointsEntry.customer_id.label("customer_id"), sa.func.sum(PointsEntry.points).label("points"))
              .group_by(PointsEntry.customer_id).subquery())
    total = sa.func.coalesce(summed.c.points, 0)
    drifted = (sa.select(PointsBalance.customer_id, PointsBalance.balance, total)
               .outerjoin(summed, summed.c.customer_id == PointsBalance.customer_id)
               .where(PointsBalance.balance != total))
    unbalanced = (sa.select(summed.c.customer_id, sa.literal(0), summed.c.points)
                  .outerjoin(PointsBalance, PointsBalance.customer_id == summed.c.customer_id)
                  .where(PointsBalance.customer_id.is_(None), summed.c.points != 0))
    rows = [*session().execute(drifted), *session().execute(unbalanced)]
    return sorted((int(row[0]), int(row[1]), int(row[2])) for row in rows)
