"""People, stage transitions and metric rollups.

Revision ID: 6e3f4a5b6c7d
Revises: 5d2e3f4a5b6c
Create Date: 2026-11-22 12:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '6e3f4a5b6c7d'
down_revision: Union[str, Sequence[str], None] = '5d2e3f4a5b6c'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """PLACEHOLDER: filled in by the work on this revision."""


def downgrade() -> None:
    """PLACEHOLDER: filled in by the work on this revision."""
