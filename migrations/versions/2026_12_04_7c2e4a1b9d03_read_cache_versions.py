"""Version tokens of the public reads: the in-process read cache's key, shared by every worker and instance.

A write that changes what a public read shows (a review, its photos, a
testimonial, a setting) gives the read's scope a new token in the same
transaction; see ``journeykit.core.read_cache``.

Revision ID: 7c2e4a1b9d03
Revises: 3a9d1f2c7b64
Create Date: 2026-12-04 17:00:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '7c2e4a1b9d03'
down_revision: Union[str, Sequence[str], None] = '3a9d1f2c7b64'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Create the version tokens' table (empty: a scope without a row is at version 0)."""
    op.create_table('journeykit_read_versions',
    sa.Column('scope', sa.String(length=320), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('scope', name=op.f('pk_journeykit_read_versions'))
    )


def downgrade() -> None:
    """Drop it: nothing but the caches reads it, and they start again from version 0."""
    op.drop_table('journeykit_read_versions')
