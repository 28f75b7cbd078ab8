"""Per-day histograms of the waits between stages, filled from the people's reach times.

``journeykit_stage_waits`` counts, per stage and UTC day reached, the people
by the log-spaced bucket of their wait since the stage it is timed from, so
that the time between stages costs the days asked, not the people
(``journeykit.journey.waits``).  The upgrade fills it from every person's
stored reach times, as ``flask journeykit stages rebuild`` would (the SQL
printed with ``--sql`` creates it empty: run the rebuild after it).

Revision ID: 8d3f5b2c0e14
Revises: 7c2e4a1b9d03
Create Date: 2026-12-04 17:00:00

"""
import datetime as dt
import math
from collections import Counter
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import context, op

# revision identifiers, used by Alembic.
revision: str = '8d3f5b2c0e14'
down_revision: Union[str, Sequence[str], None] = '7c2e4a1b9d03'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_STAGE = sa.Enum('awareness', 'consideration', 'purchase', 'retention', 'advocacy', name='stage', native_enum=False,
                 create_constraint=True, length=16)
#: Each stage and the one it is timed from (retention and advocacy: purchase).
_TIMED_FROM = {'consideration': 'awareness', 'purchase': 'consideration', 'retention': 'purchase', 'advocacy': 'purchase'}
#: The bucket rule of journeykit.journey.waits at this revision (1% relative error), kept here so this file never changes.
_LOG_GAMMA = math.log(1.01 / 0.99)
_BATCH = 5000


def upgrade() -> None:
    """Create the histograms and fill them from the people table."""
    waits = op.create_table('journeykit_stage_waits',
    sa.Column('stage', _STAGE, nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('bucket', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('people', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('stage', 'day', 'bucket', name=op.f('pk_journeykit_stage_waits'))
    )
    op.create_index('ix_journeykit_stage_waits_day', 'journeykit_stage_waits', ['day'], unique=False)
    if context.is_offline_mode():  # SQL printed for a DBA reads no rows: fill it with `flask journeykit stages rebuild`
        return
    counts = _counted(op.get_bind())
    rows = [{'stage': stage, 'day': day, 'bucket': bucket, 'people': people} for (stage, day, bucket), people in counts.items()]
    for start in range(0, len(rows), _BATCH):
        op.bulk_insert(waits, rows[start:start + _BATCH])


def downgrade() -> None:
    """Drop the histograms (the people's reach times keep what they were made from)."""
    op.drop_table('journeykit_stage_waits')


def _counted(connection: sa.Connection) -> Counter:
    """People by (stage, day reached, bucket of the wait), from every person's reach times."""
    reached = {stage: sa.column(f'reached_{stage}_at', sa.DateTime(timezone=True))
               for stage in ('awareness', 'consideration', 'purchase', 'retention', 'advocacy')}
    people = sa.table('journeykit_people', *reached.values())
    counts: Counter = Counter()
    query = sa.select(*reached.values()).select_from(people).execution_options(yield_per=_BATCH)
    for row in connection.execute(query):
        moments = dict(zip(reached, (_utc(value) for value in row)))
        for stage, since in _TIMED_FROM.items():
            if moments[stage] is not None and moments[since] is not None:
                counts[(stage, moments[stage].date(), _bucket(moments[stage] - moments[since]))] += 1
    return counts


def _utc(moment: dt.datetime | None) -> dt.datetime | None:
    """An aware UTC time (SQLite and MySQL give back naive ones, stored in UTC)."""
    if moment is None:
        return None
    return moment.replace(tzinfo=dt.timezone.utc) if moment.tzinfo is None else moment.astimezone(dt.timezone.utc)


def _bucket(wait: dt.timedelta) -> int:
    microseconds = max(wait // dt.timedelta(microseconds=1), 0)
    return -1 if microseconds == 0 else max(math.ceil(math.log(microseconds) / _LOG_GAMMA), 0)
