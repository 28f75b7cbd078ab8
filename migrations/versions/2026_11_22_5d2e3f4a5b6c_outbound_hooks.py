"""Outbound hooks: endpoints, outbox and delivery log.

Revision ID: 5d2e3f4a5b6c
Revises: 4c1d2e3f4a5b
Create Date: 2026-11-22 12:00:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql, postgresql

# revision identifiers, used by Alembic.
revision: str = '5d2e3f4a5b6c'
down_revision: Union[str, Sequence[str], None] = '4c1d2e3f4a5b'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Create the webhook endpoints, the outbox of deliveries and the attempt log."""
    op.create_table('journeykit_webhook_endpoints',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('url', sa.String(length=2048), nullable=False),
    sa.Column('description', sa.String(length=200), nullable=False),
    sa.Column('event_types', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('secret_seed', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), 'mysql', 'mariadb'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), 'mysql', 'mariadb'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_journeykit_webhook_endpoints'))
    )
    op.create_table('journeykit_webhook_deliveries',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('endpoint_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('event_id', sa.String(length=64), nullable=False),
    sa.Column('event_type', sa.String(length=64), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'delivered', 'failed', name='webhook_delivery_status', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), 'mysql', 'mariadb'), nullable=False),
    sa.Column('last_status_code', sa.Integer(), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), 'mysql', 'mariadb'), nullable=False),
    sa.Column('delivered_at', sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), 'mysql', 'mariadb'), nullable=True),
    sa.ForeignKeyConstraint(['endpoint_id'], ['journeykit_webhook_endpoints.id'], name=op.f('fk_journeykit_webhook_deliveries_endpoint_id_journeykit_webhook_endpoints'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_journeykit_webhook_deliveries')),
    sa.UniqueConstraint('endpoint_id', 'event_id', name=op.f('uq_journeykit_webhook_deliveries_endpoint_id_event_id'))
    )
    with op.batch_alter_table('journeykit_webhook_deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_journeykit_webhook_deliveries_due', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_journeykit_webhook_deliveries_endpoint_id'), ['endpoint_id'], unique=False)

    op.create_table('journeykit_webhook_attempts',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('delivery_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('attempted_at', sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), 'mysql', 'mariadb'), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('error', sa.String(length=500), nullable=True),
    sa.Column('duration_ms', sa.Integer(), nullable=False),
    sa.Column('response_excerpt', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['delivery_id'], ['journeykit_webhook_deliveries.id'], name=op.f('fk_journeykit_webhook_attempts_delivery_id_journeykit_webhook_deliveries'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_journeykit_webhook_attempts'))
    )
    with op.batch_alter_table('journeykit_webhook_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_journeykit_webhook_attempts_delivery_id'), ['delivery_id'], unique=False)


def downgrade() -> None:
    """Drop the attempt log, the outbox and the endpoints."""
    # Dropping a table drops its indexes (MySQL refuses to drop one a foreign key still needs).
    op.drop_table('journeykit_webhook_attempts')
    op.drop_table('journeykit_webhook_deliveries')
    op.drop_table('journeykit_webhook_endpoints')
