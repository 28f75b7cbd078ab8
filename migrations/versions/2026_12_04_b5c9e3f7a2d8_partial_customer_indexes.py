"""The visitors' and events' customer indexes hold only the rows that have a customer (SQLite, PostgreSQL).

Most visitors and events are anonymous.  After ``ANALYZE``, SQLite's
statistics of an index on a mostly-NULL column say each value matches a
large share of the table, and its planner then reads the whole event log
for one customer's events (a purchase's webhook did, twice).  An index of
the non-NULL rows only has statistics of the customers alone, and anonymous
beacons no longer write to it.  MariaDB has no partial indexes; its indexes
stay as they were.

Revision ID: b5c9e3f7a2d8
Revises: a4b8d2e6f1c7
Create Date: 2026-12-04 21:10:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = 'b5c9e3f7a2d8'
down_revision: Union[str, Sequence[str], None] = 'a4b8d2e6f1c7'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

TABLES = ("journeykit_journey_events", "journeykit_visitors")


def upgrade() -> None:
    """Each index made again, of the rows with a customer."""
    _remake(sa.text("customer_id IS NOT NULL"))


def downgrade() -> None:
    """Each index made again, of every row."""
    _remake(None)


def _remake(where: sa.TextClause | None) -> None:
    if op.get_bind().dialect.name not in ("sqlite", "postgresql"):
        return
    for table in TABLES:
        name = f"ix_{table}_customer_id"
        op.drop_index(name, table_name=table)
        op.create_index(name, table, ["customer_id"], sqlite_where=where, postgresql_where=where)
