"""PostgreSQL tells every process when a public read's version token changes (NOTIFY), so none asks per request.

A statement trigger on ``journeykit_read_versions`` sends ``NOTIFY
journeykit_read_versions`` with each committed change (truncation included);
each process's read cache listens and forgets the tokens it knew (see
``journeykit.core.version_watch``).  Nothing on SQLite and MariaDB.

Revision ID: a4b8d2e6f1c7
Revises: 9e4a6c3d1f25
Create Date: 2026-12-04 20:30:00

"""
from typing import Sequence, Union

from alembic import op

# revision identifiers, used by Alembic.
revision: str = 'a4b8d2e6f1c7'
down_revision: Union[str, Sequence[str], None] = '9e4a6c3d1f25'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """The notifying function and its trigger (``EXECUTE PROCEDURE``: every supported PostgreSQL reads it)."""
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("""
        CREATE FUNCTION journeykit_read_versions_notify() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('journeykit_read_versions', '');
            RETURN NULL;
        END $$
    """)
    op.execute("""
        CREATE TRIGGER journeykit_read_versions_notify
        AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON journeykit_read_versions
        FOR EACH STATEMENT EXECUTE PROCEDURE journeykit_read_versions_notify()
    """)


def downgrade() -> None:
    """Drop them, for the code before this revision, whose read caches ask the database on every read."""
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER journeykit_read_versions_notify ON journeykit_read_versions")
    op.execute("DROP FUNCTION journeykit_read_versions_notify()")
