"""Rows locked (``SELECT … FOR UPDATE``) earlier in this transaction, kept so that it never locks one twice.

The lock lasts as long as the transaction and nobody else can change the row
meanwhile, so the row in the session is current: a second lookup would only
send the same statement again (a purchase's journey person and points balance,
a batch's visitors).  The cache is the transaction's: a new one starts empty.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from .db import actual_session

_CACHE = "journeykit_locked_rows"

#: Remembered for a row looked for and not found: no lock was taken (another transaction may insert it meanwhile),
#: but the caller need not look again before it writes, and then finds out (see ``loyalty.ledger.post``).
ABSENT: Any = object()


def cached(key: tuple[str, Any]) -> Any:
    """A row locked earlier in this transaction (or :data:`ABSENT`), or ``None``."""
    db_session = actual_session()
    stored = db_session.info.get(_CACHE)
    if stored is None or stored[0] is not db_session.get_transaction():
        return None
    row = stored[1].get(key)
    if row is not None and row is not ABSENT and not sa.inspect(row).persistent:  # e.g. created in a rolled-back savepoint
        del stored[1][key]
        return None
    return row


def remember(key: tuple[str, Any], row: Any) -> None:
    """Keep a row locked in this transaction."""
    db_session = actual_session()
    transaction = db_session.get_transaction()
    stored = db_session.info.get(_CACHE)
    if stored is None or stored[0] is not transaction:
        stored = db_session.info[_CACHE] = (transaction, {})
    stored[1][key] = row


def forget(key: tuple[str, Any]) -> None:
    """Drop a row from the cache (deleted, or now another person's)."""
    stored = actual_session().info.get(_CACHE)
    if stored is not None:
        stored[1].pop(key, None)
