"""Review photos.

Revision ID: 4c1d2e3f4a5b
Revises: e1575056a64a
Create Date: 2026-11-22 12:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '4c1d2e3f4a5b'
down_revision: Union[str, Sequence[str], None] = 'e1575056a64a'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """PLACEHOLDER: filled in by the work on this revision."""


def downgrade() -> None:
    """PLACEHOLDER: filled in by the work on this revision."""
