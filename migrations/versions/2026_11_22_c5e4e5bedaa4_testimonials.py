"""Testimonials and their tags.

Revision ID: c5e4e5bedaa4
Revises: 1c45ce2dd9d7
Create Date: 2026-11-22 19:17:27.362887

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

# revision identifiers, used by Alembic.
revision: str = 'c5e4e5bedaa4'
down_revision: Union[str, Sequence[str], None] = '1c45ce2dd9d7'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Create the testimonial tables."""
    op.create_table('journeykit_testimonials',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('role', sa.String(length=80), nullable=True),
    sa.Column('company', sa.String(length=80), nullable=True),
    sa.Column('consent', sa.Boolean(), nullable=False),
    sa.Column('consent_at', sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), 'mysql', 'mariadb'), nullable=False),
    sa.Column('status', sa.Enum('pending', 'published', 'rejected', name='testimonial_status', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('featured', sa.Boolean(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=True),
    sa.Column('source_review_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), 'mysql', 'mariadb'), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), 'mysql', 'mariadb'), nullable=True),
    sa.CheckConstraint('consent', name=op.f('ck_journeykit_testimonials_consent_given')),
    sa.ForeignKeyConstraint(['customer_id'], ['journeykit_customers.id'], name=op.f('fk_journeykit_testimonials_customer_id_journeykit_customers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['source_review_id'], ['journeykit_reviews.id'], name=op.f('fk_journeykit_testimonials_source_review_id_journeykit_reviews'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_journeykit_testimonials')),
    sa.UniqueConstraint('source_review_id', name=op.f('uq_journeykit_testimonials_source_review_id'))
    )
    with op.batch_alter_table('journeykit_testimonials', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_journeykit_testimonials_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index('ix_journeykit_testimonials_listing', ['status', 'published_at', 'id'], unique=False)

    op.create_table('journeykit_testimonial_tags',
    sa.Column('testimonial_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tag', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['testimonial_id'], ['journeykit_testimonials.id'], name=op.f('fk_journeykit_testimonial_tags_testimonial_id_journeykit_testimonials'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('testimonial_id', 'tag', name=op.f('pk_journeykit_testimonial_tags'))
    )
    with op.batch_alter_table('journeykit_testimonial_tags', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_journeykit_testimonial_tags_tag'), ['tag'], unique=False)


def downgrade() -> None:
    """Drop the testimonial tables."""
    # Dropping a table drops its indexes (MySQL refuses to drop one a foreign key still needs).
    op.drop_table('journeykit_testimonial_tags')
    op.drop_table('journeykit_testimonials')
