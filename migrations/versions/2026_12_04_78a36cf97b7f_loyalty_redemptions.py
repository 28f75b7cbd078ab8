"""Loyalty redemptions (points turned into discount codes), pending points, customers' birthdays and the owner's earning rules.

Revision ID: 78a36cf97b7f
Revises: 12f98e908113
Create Date: 2026-12-04 10:13:21.079041

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql, postgresql

# revision identifiers, used by Alembic.
revision: str = '78a36cf97b7f'
down_revision: Union[str, Sequence[str], None] = '12f98e908113'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Create the redemptions and the owner's earning rules, and add when earned points become spendable and the birthday."""
    op.create_table('journeykit_loyalty_rules',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('value', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('updated_by', sa.String(length=254), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), 'mysql', 'mariadb'), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_journeykit_loyalty_rules'))
    )
    op.create_table('journeykit_loyalty_redemptions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('reward', sa.String(length=40), nullable=False),
    sa.Column('points', sa.BigInteger(), nullable=False),
    sa.Column('amount_off', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('stripe_promotion_code_id', sa.String(length=255), nullable=True),
    sa.Column('stripe_coupon_id', sa.String(length=255), nullable=True),
    sa.Column('status', sa.Enum('issued', 'used', 'returned', name='redemption_status', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), 'mysql', 'mariadb'), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), 'mysql', 'mariadb'), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), 'mysql', 'mariadb'), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['journeykit_customers.id'], name=op.f('fk_journeykit_loyalty_redemptions_customer_id_journeykit_customers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_journeykit_loyalty_redemptions')),
    sa.UniqueConstraint('customer_id', 'key', name=op.f('uq_journeykit_loyalty_redemptions_customer_id_key')),
    sa.UniqueConstraint('stripe_promotion_code_id', name=op.f('uq_journeykit_loyalty_redemptions_stripe_promotion_code_id'))
    )
    with op.batch_alter_table('journeykit_loyalty_redemptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_journeykit_loyalty_redemptions_code'), ['code'], unique=False)
        batch_op.create_index('ix_journeykit_loyalty_redemptions_status_expires_at', ['status', 'expires_at'], unique=False)

    with op.batch_alter_table('journeykit_points_balances', schema=None) as batch_op:
        batch_op.add_column(sa.Column('birthday_month', sa.SmallInteger(), nullable=True))
        batch_op.add_column(sa.Column('birthday_day', sa.SmallInteger(), nullable=True))
        batch_op.add_column(sa.Column('birthday_set_at', sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), 'mysql', 'mariadb'), nullable=True))

    with op.batch_alter_table('journeykit_points_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('spendable_at', sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), 'mysql', 'mariadb'), nullable=True))



def downgrade() -> None:
    """Drop the redemptions (their codes stay in Stripe), the pending times, the birthdays and the owner's rules."""
    with op.batch_alter_table('journeykit_points_entries', schema=None) as batch_op:
        batch_op.drop_column('spendable_at')

    with op.batch_alter_table('journeykit_points_balances', schema=None) as batch_op:
        batch_op.drop_column('birthday_set_at')
        batch_op.drop_column('birthday_day')
        batch_op.drop_column('birthday_month')

    op.drop_table('journeykit_loyalty_redemptions')
    op.drop_table('journeykit_loyalty_rules')
