"""The loyalty points ledger: one entry per change of a customer's points, and their balances.

Revision ID: 12f98e908113
Revises: b727b4564263
Create Date: 2026-12-04 05:01:49.753797

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

# revision identifiers, used by Alembic.
revision: str = '12f98e908113'
down_revision: Union[str, Sequence[str], None] = 'b727b4564263'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Create the append-only entries (unique key per customer) and the balance rows kept in step with them."""
    op.create_table('journeykit_points_balances',
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('balance', sa.BigInteger(), nullable=False),
    sa.Column('earned', sa.BigInteger(), nullable=False),
    sa.Column('tier', sa.String(length=40), nullable=True),
    sa.Column('last_activity_at', sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), 'mysql', 'mariadb'), nullable=True),
    sa.Column('warned_of_expiry_at', sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), 'mysql', 'mariadb'), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), 'mysql', 'mariadb'), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['journeykit_customers.id'], name=op.f('fk_journeykit_points_balances_customer_id_journeykit_customers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('customer_id', name=op.f('pk_journeykit_points_balances'))
    )
    with op.batch_alter_table('journeykit_points_balances', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_journeykit_points_balances_last_activity_at'), ['last_activity_at'], unique=False)

    op.create_table('journeykit_points_entries',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('points', sa.BigInteger(), nullable=False),
    sa.Column('kind', sa.Enum('purchase', 'reversal', 'write_off', 'award', 'adjustment', 'review', 'signup', 'birthday', 'referral', 'redemption', 'code_returned', 'expiry', 'import', name='points_entry_kind', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('description', sa.String(length=200), nullable=False),
    sa.Column('source_type', sa.String(length=16), nullable=True),
    sa.Column('source_id', sa.String(length=255), nullable=True),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('actor', sa.String(length=254), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), 'mysql', 'mariadb'), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['journeykit_customers.id'], name=op.f('fk_journeykit_points_entries_customer_id_journeykit_customers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_journeykit_points_entries')),
    sa.UniqueConstraint('customer_id', 'key', name=op.f('uq_journeykit_points_entries_customer_id_key'))
    )
    with op.batch_alter_table('journeykit_points_entries', schema=None) as batch_op:
        batch_op.create_index('ix_journeykit_points_entries_source', ['source_type', 'source_id'], unique=False)


def downgrade() -> None:
    """Drop the ledger (the points are gone with it)."""
    op.drop_table('journeykit_points_entries')
    op.drop_table('journeykit_points_balances')
