"""When a review's author last edited it: a second review of the same product edits the first, shown as "Edited".

Revision ID: 3a9d1f2c7b64
Revises: 5b1e0c7d9a42
Create Date: 2026-12-05 09:00:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

# revision identifiers, used by Alembic.
revision: str = '3a9d1f2c7b64'
down_revision: Union[str, Sequence[str], None] = '5b1e0c7d9a42'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Add ``journeykit_reviews.edited_at`` (empty: no review was edited before it existed)."""
    with op.batch_alter_table('journeykit_reviews', schema=None) as batch_op:
        batch_op.add_column(sa.Column('edited_at', sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), 'mysql', 'mariadb'),
                                      nullable=True))


def downgrade() -> None:
    """Drop ``journeykit_reviews.edited_at``."""
    with op.batch_alter_table('journeykit_reviews', schema=None) as batch_op:
        batch_op.drop_column('edited_at')
