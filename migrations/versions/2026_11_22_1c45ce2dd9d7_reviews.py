"""Reviews, helpful votes and the product rating aggregates.

Revision ID: 1c45ce2dd9d7
Revises: b2713585284e
Create Date: 2026-11-22 19:00:32.416630

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

# revision identifiers, used by Alembic.
revision: str = '1c45ce2dd9d7'
down_revision: Union[str, Sequence[str], None] = 'b2713585284e'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Create the review tables."""
    op.create_table('journeykit_product_ratings',
    sa.Column('product_id', sa.String(length=255), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('total', sa.BigInteger(), nullable=False),
    sa.Column('stars_1', sa.Integer(), nullable=False),
    sa.Column('stars_2', sa.Integer(), nullable=False),
    sa.Column('stars_3', sa.Integer(), nullable=False),
    sa.Column('stars_4', sa.Integer(), nullable=False),
    sa.Column('stars_5', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), 'mysql', 'mariadb'), nullable=False),
    sa.PrimaryKeyConstraint('product_id', name=op.f('pk_journeykit_product_ratings'))
    )
    op.create_table('journeykit_reviews',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('product_id', sa.String(length=255), nullable=False),
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('rating', sa.SmallInteger(), nullable=False),
    sa.Column('title', sa.String(length=150), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('author', sa.String(length=80), nullable=False),
    sa.Column('status', sa.Enum('pending', 'published', 'rejected', name='review_status', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('rejection_reason', sa.Enum('spam', 'off_topic', 'abusive', 'personal_data', 'not_a_customer', 'conflict', 'illegal', name='rejection_reason', native_enum=False, create_constraint=True, length=16), nullable=True),
    sa.Column('verified_order_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('incentivised', sa.Boolean(), nullable=False),
    sa.Column('imported_from', sa.String(length=32), nullable=True),
    sa.Column('reply', sa.Text(), nullable=True),
    sa.Column('replied_at', sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), 'mysql', 'mariadb'), nullable=True),
    sa.Column('pinned', sa.Boolean(), nullable=False),
    sa.Column('featured', sa.Boolean(), nullable=False),
    sa.Column('helpful_count', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), 'mysql', 'mariadb'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), 'mysql', 'mariadb'), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), 'mysql', 'mariadb'), nullable=True),
    sa.CheckConstraint('rating BETWEEN 1 AND 5', name=op.f('ck_journeykit_reviews_rating_range')),
    sa.ForeignKeyConstraint(['customer_id'], ['journeykit_customers.id'], name=op.f('fk_journeykit_reviews_customer_id_journeykit_customers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['verified_order_id'], ['journeykit_orders.id'], name=op.f('fk_journeykit_reviews_verified_order_id_journeykit_orders'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_journeykit_reviews')),
    sa.UniqueConstraint('product_id', 'customer_id', name=op.f('uq_journeykit_reviews_product_id_customer_id'))
    )
    with op.batch_alter_table('journeykit_reviews', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_journeykit_reviews_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index('ix_journeykit_reviews_listing', ['product_id', 'status', 'published_at', 'id'], unique=False)

    op.create_table('journeykit_review_votes',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('review_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('voter', sa.String(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), 'mysql', 'mariadb'), nullable=False),
    sa.ForeignKeyConstraint(['review_id'], ['journeykit_reviews.id'], name=op.f('fk_journeykit_review_votes_review_id_journeykit_reviews'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_journeykit_review_votes')),
    sa.UniqueConstraint('review_id', 'voter', name=op.f('uq_journeykit_review_votes_review_id_voter'))
    )


def downgrade() -> None:
    """Drop the review tables."""
    # Dropping a table drops its indexes (MySQL refuses to drop one a foreign key still needs).
    op.drop_table('journeykit_review_votes')
    op.drop_table('journeykit_reviews')
    op.drop_table('journeykit_product_ratings')
