"""Covering indexes for the time between stages.

Each stage's index holds when it was reached and when the stage before was,
so the waits of the people who reached a stage in a period are read from
the index alone (it also serves every lookup by the stage's time, which the
single-column index it replaces did).

Revision ID: 7f4a5b6c7d8e
Revises: 6e3f4a5b6c7d
Create Date: 2026-12-01 08:00:00

"""
from typing import Sequence, Union

from alembic import op

# revision identifiers, used by Alembic.
revision: str = '7f4a5b6c7d8e'
down_revision: Union[str, Sequence[str], None] = '6e3f4a5b6c7d'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

STAGES = ('awareness', 'consideration', 'purchase', 'retention', 'advocacy')
PAIRS = list(zip(STAGES, STAGES[1:]))


def upgrade() -> None:
    """Replace each later stage's time index with a (stage time, previous stage time) one."""
    for earlier, later in PAIRS:
        op.create_index(f'ix_journeykit_people_{later}_wait', 'journeykit_people',
                        [f'reached_{later}_at', f'reached_{earlier}_at'], unique=False)
        op.drop_index(op.f(f'ix_journeykit_people_reached_{later}_at'), table_name='journeykit_people')


def downgrade() -> None:
    """Back to single-column indexes."""
    for _, later in PAIRS:
        op.create_index(op.f(f'ix_journeykit_people_reached_{later}_at'), 'journeykit_people',
                        [f'reached_{later}_at'], unique=False)
        op.drop_index(f'ix_journeykit_people_{later}_wait', table_name='journeykit_people')
