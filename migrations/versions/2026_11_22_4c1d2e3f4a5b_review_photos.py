"""Review photos: one row per photo, its bytes in the shop's photo storage.

Revision ID: 4c1d2e3f4a5b
Revises: e1575056a64a
Create Date: 2026-11-22 12:00:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

# revision identifiers, used by Alembic.
revision: str = '4c1d2e3f4a5b'
down_revision: Union[str, Sequence[str], None] = 'e1575056a64a'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Create the review photo table."""
    op.create_table('journeykit_review_photos',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('review_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('storage_key', sa.String(length=64), nullable=False),
    sa.Column('content_type', sa.String(length=32), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('position', sa.SmallInteger(), nullable=False),
    sa.Column('hidden', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), 'mysql', 'mariadb'), nullable=False),
    sa.ForeignKeyConstraint(['review_id'], ['journeykit_reviews.id'], name=op.f('fk_journeykit_review_photos_review_id_journeykit_reviews'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_journeykit_review_photos')),
    sa.UniqueConstraint('storage_key', name=op.f('uq_journeykit_review_photos_storage_key'))
    )
    with op.batch_alter_table('journeykit_review_photos', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_journeykit_review_photos_review_id'), ['review_id'], unique=False)


def downgrade() -> None:
    """Drop the review photo table (the files stay in the photo storage)."""
    # Dropping a table drops its indexes (MySQL refuses to drop one a foreign key still needs).
    op.drop_table('journeykit_review_photos')
