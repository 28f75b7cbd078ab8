"""The rollup tables behind the funnel and cohorts, moved by +/- deltas in the event's transaction.

``contributions(person)`` is the set of rows one person counts in; on every
change of a person the difference ``f(new) - f(old)`` is applied with atomic
upserts (``INSERT … ON CONFLICT … DO UPDATE SET people = people + excluded.people``),
so concurrent transactions add up exactly and nothing is ever recounted.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from contextlib import contextmanager
from typing import Iterable, Iterator

import sqlalchemy as sa

from ..core.db import session
from ..core.dialects import upserts_adding
from .models import CohortActivity, CohortStage, StageDay, StageWait
from .stage_rules import CONVERTS_FROM, STAGES, Reach, day_of, week_of
from .waits import bucket_of

#: A rollup row's address: its table and its primary key values.
Key = tuple[sa.Table, tuple[object, ...]]
Delta = Counter  # Counter[Key]

STAGE_DAYS: sa.Table = StageDay.__table__  # type: ignore[assignment]
COHORT_STAGES: sa.Table = CohortStage.__table__  # type: ignore[assignment]
COHORT_ACTIVITY: sa.Table = CohortActivity.__table__  # type: ignore[assignment]
STAGE_WAITS: sa.Table = StageWait.__table__  # type: ignore[assignment]
TABLES = (STAGE_DAYS, COHORT_STAGES, COHORT_ACTIVITY, STAGE_WAITS)
#: Where :func:`gathered` keeps its delta: the session's info, since its transaction is the one written.
_GATHERED = "journeykit_gathered_rollups"


def cohort_of(reach: Reach) -> dt.date | None:
    """The week (Monday) a person was first seen."""
    return week_of(day_of(reach[0])) if reach[0] is not None else None


def stage_contributions(reach: Reach) -> Counter[Key]:
    """The stage-day, cohort-stage and stage-wait rows one person counts in.

    A stage-wait row counts the person on the day they reached a stage, in
    the bucket of their wait since the stage it is timed from (retention and
    advocacy: purchase), see :mod:`.waits`.

    A stage-day row's previous day is the day of the reach just before this
    one in the person's own time order (ties in stage order; awareness: its
    own day).  That is the stage it converts from, except that retention and
    advocacy, which both follow purchase, chain in whichever order they came:
    the funnel needs the previous *reach* (see :func:`.reports.funnel`).
    """
    rows: Counter[Key] = Counter()
    cohort = cohort_of(reach)
    previous: dt.date | None = None
    for moment, index in sorted((moment, index) for index, moment in enumerate(reach) if moment is not None):
        day = day_of(moment)
        rows[(STAGE_DAYS, (STAGES[index], day, previous or day))] += 1
        rows[(COHORT_STAGES, (cohort, STAGES[index]))] += 1
        previous = day
        since = CONVERTS_FROM[index]
        if since is not None and reach[since] is not None:
            rows[(STAGE_WAITS, (STAGES[index], day, bucket_of(moment - reach[since])))] += 1
    return rows


def activity_contributions(cohort: dt.date | None, weeks: Iterable[dt.date]) -> Counter[Key]:
    """The cohort-activity rows of a person first seen in ``cohort`` and active in ``weeks``."""
    if cohort is None:
        return Counter()
    return Counter({(COHORT_ACTIVITY, (cohort, week)): 1 for week in weeks})


@contextmanager
def gathered() -> Iterator[None]:
    """Within: :func:`apply` adds to one delta, written when the block ends without error.

    For a group of events in one transaction (:mod:`..core.group_commit`):
    the rollup rows every event moves (today's) are written and locked once,
    at the end, not once per event from the first one on.
    """
    info = session().info
    info[_GATHERED] = Counter()
    try:
        yield
    except BaseException:
        info.pop(_GATHERED, None)
        raise
    _write(info.pop(_GATHERED))


def apply(delta: Counter[Key]) -> None:
    """Add ``delta`` to the rollups (:func:`..core.dialects.upserts_adding`); rows that reach zero are deleted.

    Every transaction locks rollup rows in the same order (table by table,
    keys sorted), so two people's events that touch the same days cannot
    deadlock each other.
    """
    gathering = session().info.get(_GATHERED)
    if gathering is not None:
        gathering.update(delta)
    else:
        _write(delta)


def _write(delta: Counter[Key]) -> None:
    changes = {table: sorted((key, change) for (of, key), change in delta.items() if of is table and change)
               for table in TABLES}
    if not any(changes.values()):
        return
    upserts_adding(TABLES, {table: _rows(table, table_changes) for table, table_changes in changes.items()}, add="people")
    for table, table_changes in changes.items():
        emptied = [key for key, change in table_changes if change < 0]
        if emptied:
            _delete_emptied(table, emptied)


def _delete_emptied(table: sa.Table, keys: list[tuple[object, ...]]) -> None:
    """Delete the rows among ``keys`` that reached zero, each found by its primary key.

    One statement per key rather than ``(a, b) IN (…)``, which MariaDB runs as
    a scan that waits on every row other transactions hold.
    """
    columns = list(table.primary_key.columns)
    by_key = sa.delete(table).where(table.c.people <= 0, *(column == sa.bindparam(f"key_{column.name}") for column in columns))
    session().execute(by_key, [{f"key_{column.name}": value for column, value in zip(columns, key)} for key in keys])


def _rows(table: sa.Table, changes: list[tuple[tuple[object, ...], int]]) -> list[dict[str, object]]:
    names = [column.name for column in table.primary_key.columns]
    return [{**dict(zip(names, key)), "people": change} for key, change in changes]


def snapshot(connection: sa.Connection | None = None) -> dict[sa.Table, dict[tuple[object, ...], int]]:
    """Every non-zero rollup row, by table (for ``stages rebuild --check`` and tests)."""
    execute = connection.execute if connection is not None else session().execute
    result: dict[sa.Table, dict[tuple[object, ...], int]] = {}
    for table in TABLES:
        names = list(table.primary_key.columns)
        rows = execute(sa.select(*names, table.c.people).where(table.c.people != 0))
        result[table] = {tuple(row[:-1]): row[-1] for row in rows}
    return result
