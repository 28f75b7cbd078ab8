"""Core tables: customers, visitors, orders and their items, the journey event log.

Revision ID: fbb6ecd091bd
Revises: 
Create Date: 2026-11-22 18:04:35.343083

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql, postgresql

# revision identifiers, used by Alembic.
revision: str = 'fbb6ecd091bd'
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Create the core tables."""
    op.create_table('journeykit_customers',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('shop_customer_id', sa.String(length=255), nullable=True),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=True),
    sa.Column('stripe_customer_id', sa.String(length=255), nullable=True),
    sa.Column('stage', sa.Enum('awareness', 'consideration', 'purchase', 'retention', 'advocacy', name='stage', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('stage_changed_at', sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), 'mysql', 'mariadb'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), 'mysql', 'mariadb'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), 'mysql', 'mariadb'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_journeykit_customers')),
    sa.UniqueConstraint('shop_customer_id', name=op.f('uq_journeykit_customers_shop_customer_id')),
    sa.UniqueConstraint('stripe_customer_id', name=op.f('uq_journeykit_customers_stripe_customer_id'))
    )
    with op.batch_alter_table('journeykit_customers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_journeykit_customers_email'), ['email'], unique=False)

    op.create_table('journeykit_journey_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('visitor_id', sa.String(length=64), nullable=True),
    sa.Column('product_id', sa.String(length=255), nullable=True),
    sa.Column('properties', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('dedupe_key', sa.String(length=255), nullable=True),
    sa.Column('occurred_at', sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), 'mysql', 'mariadb'), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['journeykit_customers.id'], name=op.f('fk_journeykit_journey_events_customer_id_journeykit_customers'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_journeykit_journey_events')),
    sa.UniqueConstraint('dedupe_key', name=op.f('uq_journeykit_journey_events_dedupe_key'))
    )
    with op.batch_alter_table('journeykit_journey_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_journeykit_journey_events_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_journeykit_journey_events_occurred_at'), ['occurred_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_journeykit_journey_events_visitor_id'), ['visitor_id'], unique=False)

    op.create_table('journeykit_orders',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('checkout_session_id', sa.String(length=255), nullable=False),
    sa.Column('payment_intent_id', sa.String(length=255), nullable=True),
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('visitor_id', sa.String(length=64), nullable=True),
    sa.Column('referral_code', sa.String(length=64), nullable=True),
    sa.Column('status', sa.Enum('pending', 'paid', 'failed', 'expired', name='order_status', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('amount_total', sa.BigInteger(), nullable=False),
    sa.Column('amount_refunded', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('dispute_status', sa.Enum('open', 'won', 'lost', name='dispute_status', native_enum=False, create_constraint=True, length=16), nullable=True),
    sa.Column('livemode', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), 'mysql', 'mariadb'), nullable=False),
    sa.Column('paid_at', sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), 'mysql', 'mariadb'), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), 'mysql', 'mariadb'), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['journeykit_customers.id'], name=op.f('fk_journeykit_orders_customer_id_journeykit_customers'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_journeykit_orders')),
    sa.UniqueConstraint('checkout_session_id', name=op.f('uq_journeykit_orders_checkout_session_id')),
    sa.UniqueConstraint('payment_intent_id', name=op.f('uq_journeykit_orders_payment_intent_id'))
    )
    with op.batch_alter_table('journeykit_orders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_journeykit_orders_customer_id'), ['customer_id'], unique=False)

    op.create_table('journeykit_visitors',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('first_seen_at', sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), 'mysql', 'mariadb'), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), 'mysql', 'mariadb'), nullable=False),
    sa.Column('joined_at', sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), 'mysql', 'mariadb'), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['journeykit_customers.id'], name=op.f('fk_journeykit_visitors_customer_id_journeykit_customers'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_journeykit_visitors'))
    )
    with op.batch_alter_table('journeykit_visitors', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_journeykit_visitors_customer_id'), ['customer_id'], unique=False)

    op.create_table('journeykit_order_items',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('order_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('product_id', sa.String(length=255), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('amount_total', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['order_id'], ['journeykit_orders.id'], name=op.f('fk_journeykit_order_items_order_id_journeykit_orders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_journeykit_order_items')),
    sa.UniqueConstraint('order_id', 'product_id', name=op.f('uq_journeykit_order_items_order_id_product_id'))
    )
    with op.batch_alter_table('journeykit_order_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_journeykit_order_items_product_id'), ['product_id'], unique=False)



def downgrade() -> None:
    """Drop the core tables."""
    # Dropping a table drops its indexes (MySQL refuses to drop one a foreign key still needs).
    op.drop_table('journeykit_order_items')
    op.drop_table('journeykit_visitors')
    op.drop_table('journeykit_orders')
    op.drop_table('journeykit_journey_events')
    op.drop_table('journeykit_customers')
