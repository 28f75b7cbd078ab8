"""The Stripe event store, and orders whose products are still to be fetched from Stripe.

Revision ID: b2713585284e
Revises: fbb6ecd091bd
Create Date: 2026-11-22 18:17:38.009070

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

# revision identifiers, used by Alembic.
revision: str = 'b2713585284e'
down_revision: Union[str, Sequence[str], None] = 'fbb6ecd091bd'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Create the Stripe event store; flag orders whose products Stripe must tell."""
    op.create_table('journeykit_stripe_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('event_id', sa.String(length=255), nullable=False),
    sa.Column('type', sa.String(length=100), nullable=False),
    sa.Column('livemode', sa.Boolean(), nullable=False),
    sa.Column('created', sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), 'mysql', 'mariadb'), nullable=False),
    sa.Column('object_ref', sa.String(length=255), nullable=True),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('received', 'processed', 'ignored', 'deferred', 'failed', name='stripe_event_status', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), 'mysql', 'mariadb'), nullable=False),
    sa.Column('processed_at', sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), 'mysql', 'mariadb'), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_journeykit_stripe_events')),
    sa.UniqueConstraint('event_id', name=op.f('uq_journeykit_stripe_events_event_id'))
    )
    with op.batch_alter_table('journeykit_stripe_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_journeykit_stripe_events_created'), ['created'], unique=False)
        batch_op.create_index(batch_op.f('ix_journeykit_stripe_events_object_ref'), ['object_ref'], unique=False)
        batch_op.create_index(batch_op.f('ix_journeykit_stripe_events_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_journeykit_stripe_events_type'), ['type'], unique=False)

    # A plain ADD COLUMN (with a default) works on SQLite too, and in --sql mode.
    op.add_column('journeykit_orders', sa.Column('products_pending', sa.Boolean(), server_default=sa.false(), nullable=False))

def downgrade() -> None:
    """Drop the Stripe event store and the flag."""
    # Dropping a table drops its indexes (MySQL refuses to drop one a foreign key still needs).
    with op.batch_alter_table('journeykit_orders', schema=None) as batch_op:
        batch_op.drop_column('products_pending')

    op.drop_table('journeykit_stripe_events')
