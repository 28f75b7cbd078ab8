"""Rows locked (``SELECT … FOR UPDATE``) earlier in this transaction, kept so that it never locks one twice.

The lock lasts as long as the transaction and nobody else can change the row
meanwhile, so the row in the session is current: a second lookup would only
send the same statement again (a purchase's journey person and points balance,
a batch's visitors).  The cache is the transaction's: a new one starts empty.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from .db import session

_CACHE = "journeykit_locked_rows"


def _session() -> sa.orm.Session:
    """The actual session behind Flask-SQLAlchemy's scoped one (which hides ``get_transaction``)."""
    scoped = session()
    return scoped() if isinstance(scoped, sa.orm.scoped_session) else scoped


def cached(key: tuple[str, Any]) -> Any:
    """A row locked earlier in this transaction, or ``None``."""
    db_session = _session()
    stored = db_session.info.get(_CACHE)
    if stored is None or stored[0] is not db_session.get_transaction():
        return None
    row = stored[1].get(key)
    if row is not None and not sa.inspect(row).persistent:  # e.g. created in a rolled-back savepoint
        del stored[1][key]
        return None
    return row


def remember(key: tuple[str, Any], row: Any) -> None:
    """Keep a row locked in this transaction."""
    db_session = _session()
    transaction = db_session.get_transaction()
    stored = db_session.info.get(_CACHE)
    if stored is None or stored[0] is not transaction:
        stored = db_session.info[_CACHE] = (transaction, {})
    stored[1][key] = row


def forget(key: tuple[str, Any]) -> None:
    """Drop a row from the cache (deleted, or now another person's)."""
    stored = _session().info.get(_CACHE)
    if stored is not None:
        stored[1].pop(key, None)
