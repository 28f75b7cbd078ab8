"""Recomputing people, their weeks, the rollups and customers' stages from the event log.

The event log and the visitors table (which visitor belongs to which
customer) are the truth; everything else about stages is derived from them
with the same :func:`.stage_rules.fold` that the live path and
merges use, so a rebuild reproduces the live state exactly.  Events are
streamed person by person (sorted in the database) and written in batches:
memory holds one batch of people plus the rollups, never the log.
"""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterator

import sqlalchemy as sa

from ..core.db import engine, utcnow
from .models import Customer, JourneyEvent, Person, PersonWeek, Visitor
from .people import REACHED
from .rollups import TABLES, Key, activity_contributions, cohort_of, snapshot, stage_contributions
from .stage_rules import IGNORED_EVENTS, Facts, Rules, fold
from .stages import Stage

PEOPLE: sa.Table = Person.__table__  # type: ignore[assignment]
WEEKS: sa.Table = PersonWeek.__table__  # type: ignore[assignment]
CUSTOMERS: sa.Table = Customer.__table__  # type: ignore[assignment]
#: The person columns a rebuild must reproduce (ids and bookkeeping times are not compared).
FIELDS = ["stage", *REACHED, "paid_orders", "first_widget", "referral_code", "last_active_week"]
PersonKey = tuple[str, Any]


@dataclass
class Report:
    """What differs between the stored derived state and the event log's (``--check``), or what was written."""

    people: int = 0
    missing: list[PersonKey] = field(default_factory=list)
    different: list[tuple[PersonKey, str, Any, Any]] = field(default_factory=list)
    extra: int = 0
    weeks_different: int = 0
    customers_different: int = 0
    rollups_different: dict[str, int] = field(default_factory=dict)

    @property
    def differences(self) -> int:
        return (len(self.missing) + len(self.different) + self.extra + self.weeks_different
                + self.customers_different + sum(self.rollups_different.values()))

    def lines(self, limit: int = 10) -> list[str]:
        """A human-readable account of the differences (at most ``limit`` examples of each kind)."""
        out = [f"{len(self.missing)} person(s) missing, {self.extra} extra, {len(self.different)} field(s) different, "
               f"{self.weeks_different} active week(s) different, {self.customers_different} customer stage(s) different"]
        out += [f"  missing: {kind} {value}" for kind, value in self.missing[:limit]]
        out += [f"  {kind} {value}: {name} is {stored!r}, the log says {wanted!r}"
                for (kind, value), name, stored, wanted in self.different[:limit]]
        out += [f"  {table}: {count} row(s) different" for table, count in self.rollups_different.items() if count]
        return out


def _events(connection: sa.Connection, anonymous: bool, batch: int) -> Iterator[tuple[PersonKey, list[Any]]]:
    """Every person's events, person by person, each in arrival (id) order."""
    event, visitor = JourneyEvent.__table__, Visitor.__table__
    if anonymous:
        owner: Any = event.c.visitor_id
        where = [event.c.customer_id.is_(None), visitor.c.customer_id.is_(None), event.c.visitor_id.is_not(None)]
    else:
        owner = sa.func.coalesce(event.c.customer_id, visitor.c.customer_id)
        where = [owner.is_not(None)]
    query = (
        sa.select(owner.label("owner"), event.c.name, event.c.source, event.c.occurred_at, event.c.properties)
        .select_from(event.outerjoin(visitor, visitor.c.id == event.c.visitor_id))
        .where(*where, event.c.name.not_in(IGNORED_EVENTS))
        .order_by(owner, event.c.id)
    )
    rows = connection.execute(query, execution_options={"stream_results": True, "max_row_buffer": batch})
    kind = "visitor" if anonymous else "customer"
    for owner_value, group in itertools.groupby(rows, key=lambda row: row[0]):
        yield (kind, owner_value), [row[1:] for row in group]


def _row(key: PersonKey, facts: Facts) -> dict[str, Any]:
    values: dict[str, Any] = {
        "customer_id": key[1] if key[0] == "customer" else None,
        "visitor_id": key[1] if key[0] == "visitor" else None,
        "stage": facts.stage, "paid_orders": facts.paid_orders, "first_widget": facts.first_widget,
        "referral_code": facts.referral_code, "last_active_week": facts.last_active_week,
    }
    values.update(zip(REACHED, facts.reach))
    return values


class _Rebuild:
    def __init__(self, connection: sa.Connection, rules: Rules, *, check: bool, batch: int) -> None:
        self.connection, self.rules, self.check, self.batch = connection, rules, check, batch
        self.report = Report()
        self.rollups: Counter[Key] = Counter()
        self.matched = 0

    def run(self) -> Report:
        if not self.check:
            self._clear()
        for anonymous in (False, True):
            people = ((key, fold(events, self.rules)) for key, events in _events(self.connection, anonymous, self.batch))
            for chunk in iter(lambda: list(itertools.islice(people, self.batch)), []):
                self.report.people += len(chunk)
                for _, facts in chunk:
                    self.rollups.update(stage_contributions(facts.reach))
                    self.rollups.update(activity_contributions(cohort_of(facts.reach), facts.weeks))
                self._customers(chunk)
                if self.check:
                    self._compare(chunk)
                else:
                    self._write(chunk)
        self._finish()
        return self.report

    def _clear(self) -> None:
        if self.connection.dialect.name == "postgresql":  # live events wait for the rebuild, not the reverse
            self.connection.execute(sa.text("LOCK TABLE journeykit_people, journeykit_person_weeks IN EXCLUSIVE MODE"))
        for table in (WEEKS, PEOPLE, *TABLES):
            self.connection.execute(sa.delete(table))

    def _write(self, chunk: list[tuple[PersonKey, Facts]]) -> None:
        now = utcnow()
        rows = [{**_row(key, facts), "created_at": now, "updated_at": now} for key, facts in chunk]
        self.connection.execute(sa.insert(PEOPLE), rows)  # not RETURNING, which MySQL lacks: the ids are read back
        ids = {key: row[0] for key, row in self._stored(chunk).items()}
        weeks = [{"person_id": ids[key], "week": week} for key, facts in chunk for week in sorted(facts.weeks)]
        if weeks:
            self.connection.execute(sa.insert(WEEKS), weeks)

    def _stored(self, chunk: list[tuple[PersonKey, Facts]]) -> dict[PersonKey, Any]:
        """The stored rows of the chunk's people (id, then :data:`FIELDS`), by key."""
        stored: dict[PersonKey, Any] = {}
        for kind, column in (("customer", PEOPLE.c.customer_id), ("visitor", PEOPLE.c.visitor_id)):
            keys = [key[1] for key, _ in chunk if key[0] == kind]
            if keys:
                query = sa.select(PEOPLE.c.id, *(PEOPLE.c[name] for name in FIELDS), column).where(column.in_(keys))
                stored.update({(kind, row[-1]): row for row in self.connection.execute(query)})
        return stored

    def _compare(self, chunk: list[tuple[PersonKey, Facts]]) -> None:
        stored = self._stored(chunk)
        weeks: dict[int, set[Any]] = {}
        ids = [row[0] for row in stored.values()]
        for person_id, week in self.connection.execute(sa.select(WEEKS.c.person_id, WEEKS.c.week).where(WEEKS.c.person_id.in_(ids))):
            weeks.setdefault(person_id, set()).add(week)
        for key, facts in chunk:
            row = stored.get(key)
            if row is None:
                self.report.missing.append(key)
                continue
            self.matched += 1
            wanted = _row(key, facts)
            for index, name in enumerate(FIELDS, start=1):
                if row[index] != wanted[name]:
                    self.report.different.append((key, name, row[index], wanted[name]))
            self.report.weeks_different += len(weeks.get(row[0], set()) ^ facts.weeks)

    def _customers(self, chunk: list[tuple[PersonKey, Facts]]) -> None:
        """Keep (or check) ``Customer.stage`` and ``stage_changed_at`` in step with the people."""
        wanted = {key[1]: facts for key, facts in chunk if key[0] == "customer"}
        if not wanted:
            return
        query = sa.select(CUSTOMERS.c.id, CUSTOMERS.c.stage, CUSTOMERS.c.stage_changed_at).where(CUSTOMERS.c.id.in_(list(wanted)))
        changes = []
        for customer_id, stage, changed_at in self.connection.execute(query):
            facts = wanted[customer_id]
            at = facts.reach[facts.stage.rank]
            if (stage, changed_at) != (facts.stage, at):
                changes.append({"b_id": customer_id, "b_stage": facts.stage, "b_at": at})
        self.report.customers_different += len(changes) if self.check else 0
        if changes and not self.check:
            self.connection.execute(
                sa.update(CUSTOMERS).where(CUSTOMERS.c.id == sa.bindparam("b_id"))
                .values(stage=sa.bindparam("b_stage"), stage_changed_at=sa.bindparam("b_at")),
                changes,
            )

    def _finish(self) -> None:
        without_person = [
            CUSTOMERS.c.stage != Stage.AWARENESS,
            CUSTOMERS.c.id.not_in(sa.select(PEOPLE.c.customer_id).where(PEOPLE.c.customer_id.is_not(None))),
        ]
        computed: dict[sa.Table, dict[tuple[Any, ...], int]] = {table: {} for table in TABLES}
        for (table, key), people in self.rollups.items():
            if people:
                computed[table][key] = people
        if self.check:
            stored_people = self.connection.scalar(sa.select(sa.func.count()).select_from(PEOPLE)) or 0
            self.report.extra = stored_people - self.matched
            self.report.customers_different += self.connection.scalar(
                sa.select(sa.func.count()).select_from(CUSTOMERS).where(*without_person)) or 0
            stored = snapshot(self.connection)
            for table in TABLES:
                keys = set(stored[table]) | set(computed[table])
                self.report.rollups_different[table.name] = sum(
                    stored[table].get(key) != computed[table].get(key) for key in keys)
            return
        self.connection.execute(sa.update(CUSTOMERS).where(*without_person).values(stage=Stage.AWARENESS))
        for table in TABLES:
            names = [column.name for column in table.primary_key.columns]
            rows = [{**dict(zip(names, key)), "people": people} for key, people in computed[table].items()]
            for start in range(0, len(rows), self.batch):
                self.connection.execute(sa.insert(table), rows[start:start + self.batch])


def rebuild(rules: Rules, *, check: bool = False, batch: int = 5000, connection: sa.Connection | None = None) -> Report:
    """Recompute every person, week, rollup and customer stage from the log.

    ``check``: write nothing, report the differences.  Otherwise replace the
    derived tables in one transaction (on PostgreSQL live events wait for it).
    ``connection``: work in that connection's open transaction instead, which
    its owner commits (an Alembic data migration passes ``op.get_bind()``).
    """
    if connection is not None:
        return _Rebuild(connection, rules, check=check, batch=batch).run()
    with engine().connect() as own:
        with own.begin() as transaction:
            report = _Rebuild(own, rules, check=check, batch=batch).run()
            if check:
                transaction.rollback()
    return report
