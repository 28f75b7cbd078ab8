"""Review requests: which orders' buyers were asked for reviews.

Revision ID: e1575056a64a
Revises: c5e4e5bedaa4
Create Date: 2026-11-22 19:31:50.293915

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

# revision identifiers, used by Alembic.
revision: str = 'e1575056a64a'
down_revision: Union[str, Sequence[str], None] = 'c5e4e5bedaa4'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Create the review request log."""
    op.create_table('journeykit_review_requests',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('order_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), 'mysql', 'mariadb'), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['journeykit_orders.id'], name=op.f('fk_journeykit_review_requests_order_id_journeykit_orders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_journeykit_review_requests')),
    sa.UniqueConstraint('order_id', name=op.f('uq_journeykit_review_requests_order_id'))
    )


def downgrade() -> None:
    """Drop the review request log."""
    op.drop_table('journeykit_review_requests')
