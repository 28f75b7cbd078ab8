"""Find a joined visitor's anonymous events by (visitor id, customer id).

Joining a visitor to a customer reads the visitor's events that carry no
customer.  With an index on the visitor id alone, SQLite chose the customer
index for ``customer_id IS NULL`` and read every anonymous event (most of
the log); the two-column index answers both conditions at once and serves
every lookup by visitor id, so it replaces the old one.

Revision ID: 8a5b6c7d8e9f
Revises: 7f4a5b6c7d8e
Create Date: 2026-12-01 08:30:00

"""
from typing import Sequence, Union

from alembic import op

# revision identifiers, used by Alembic.
revision: str = '8a5b6c7d8e9f'
down_revision: Union[str, Sequence[str], None] = '7f4a5b6c7d8e'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_index('ix_journeykit_journey_events_visitor_customer', 'journeykit_journey_events',
                    ['visitor_id', 'customer_id'], unique=False)
    op.drop_index('ix_journeykit_journey_events_visitor_id', table_name='journeykit_journey_events')


def downgrade() -> None:
    op.create_index('ix_journeykit_journey_events_visitor_id', 'journeykit_journey_events', ['visitor_id'], unique=False)
    op.drop_index('ix_journeykit_journey_events_visitor_customer', table_name='journeykit_journey_events')
