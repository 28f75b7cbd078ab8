"""Outbound hooks: endpoints, outbox and delivery log.

Revision ID: 5d2e3f4a5b6c
Revises: 4c1d2e3f4a5b
Create Date: 2026-11-22 12:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '5d2e3f4a5b6c'
down_revision: Union[str, Sequence[str], None] = '4c1d2e3f4a5b'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """PLACEHOLDER: filled in by the work on this revision."""


def downgrade() -> None:
    """PLACEHOLDER: filled in by the work on this revision."""
