"""What differs between the supported databases, in one place.

JourneyKit runs on SQLite, PostgreSQL, MySQL 8 and MariaDB.  Most of its SQL
is portable; the few statements that are not (upserts, filtered counts, the
DDL options MySQL needs) are written here once, for every database, so the
capabilities never ask which database they are on.
"""

from __future__ import annotations

import functools
import logging
from typing import Any, Callable, Iterable, TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.schema import CreateTable

from . import signals
from .db import TABLE_PREFIX, actual_session, engine, session

log = logging.getLogger("journeykit")
T = TypeVar("T")

#: The dialect names of the MySQL family (SQLAlchemy names MariaDB either way, by URL).
MYSQL_FAMILY = ("mysql", "mariadb")
#: What ``LAST_INSERT_ID()`` reads after an insert that met a duplicate (no table of ours counts ids this high).
_DUPLICATE_MARK = 2**62
#: JourneyKit's tables on MySQL: every character, and ids compared exactly (``Ann`` and ``ann`` are two customers).
MYSQL_TABLE_OPTIONS = "CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"


def family(bind: sa.Connection | sa.Engine | sa.Dialect) -> str:
    """``"sqlite"``, ``"postgresql"`` or ``"mysql"`` (MariaDB included)."""
    name = (bind if isinstance(bind, sa.Dialect) else bind.dialect).name
    return "mysql" if name in MYSQL_FAMILY else name


def _family_of(table: sa.Table) -> str:
    return family(session().get_bind(clause=table))


def insert_if_absent(table: sa.Table, values: dict[str, Any], *, on: list[str]) -> bool:
    """Insert the row unless one with the same ``on`` columns exists; ``True`` if it inserted.

    Used where two requests may create the same row at once: the loser's
    insert does nothing instead of failing (after waiting for the winner to
    commit), and both then read the one row.
    """
    return inserted_key(table, values, on=on) is not None


def inserted_key(table: sa.Table, values: dict[str, Any], *, on: list[str]) -> Any:
    """:func:`insert_if_absent` that answers the new row's (autoincrement) primary key, or ``None`` for a duplicate.

    The key lets a caller build the row it just wrote instead of reading it back.
    """
    database = _family_of(table)
    if database == "mysql":
        return _insert_on_mysql(table, values, on)
    # RETURNING tells reliably whether a row was written: psycopg gives no row count for such inserts.
    row = session().execute(_insert_returning_key(table, database, tuple(on)), values).first()
    return None if row is None else row[0]


def inserted_key_with(table: sa.Table, values: dict[str, Any], *, on: list[str], children: sa.Table, parent_key: str,
                      rows: list[dict[str, Any]]) -> Any:
    """:func:`inserted_key`, and if it inserted, ``rows`` of ``children`` with its key in their ``parent_key``
    column (an order's products): on PostgreSQL in the same statement, the rows as arrays; elsewhere in one more.
    """
    if not rows or _family_of(table) != "postgresql":
        key = inserted_key(table, values, on=on)
        if key is not None and rows:
            session().execute(_plain_insert(children), [{parent_key: key, **row} for row in rows])
        return key
    columns = tuple(rows[0])
    parameters = {**{f"parent_{name}": value for name, value in values.items()},
                  **{f"children_{name}": [row[name] for row in rows] for name in columns}}
    return session().execute(_insert_with_children(table, tuple(values), tuple(on), children, parent_key, columns),
                             parameters).scalar()


# The statements below are built once per table and database, then run with each call's values as parameters:
# building one (coercing every column and value) cost more than SQLAlchemy's compiling, which it caches anyway.


@functools.lru_cache(maxsize=None)
def _insert_returning_key(table: sa.Table, database: str, on: tuple[str, ...]) -> Any:
    return (_insert(database, table).on_conflict_do_nothing(index_elements=list(on))
            .returning(*table.primary_key.columns))


@functools.lru_cache(maxsize=None)
def _plain_insert(table: sa.Table) -> Any:
    return sa.insert(table)  # one statement with a parameter set per row (SQLAlchemy's "insertmanyvalues")


@functools.lru_cache(maxsize=None)
def _insert_with_children(table: sa.Table, names: tuple[str, ...], on: tuple[str, ...], children: sa.Table,
                          parent_key: str, columns: tuple[str, ...]) -> Any:
    """``WITH parent AS (INSERT … ON CONFLICT DO NOTHING RETURNING key), children AS (INSERT … SELECT key, unnest(…)
    FROM parent) SELECT key FROM parent``: the children are written only if the parent was (PostgreSQL)."""
    [key] = table.primary_key.columns
    parent = inserted_key_clause(table, names, on, prefix="parent_")
    arrays = [sa.bindparam(f"children_{name}", type_=postgresql.ARRAY(children.c[name].type)) for name in columns]
    given = sa.func.unnest(*arrays).table_valued(*columns).render_derived()
    source = sa.select(parent.c[key.name], *given.c).select_from(parent).join(given, sa.true())
    written = postgresql.insert(children).from_select([parent_key, *columns], source).cte(f"{children.name}_inserted")
    return sa.select(parent.c[key.name]).add_cte(written)


def inserted_key_clause(table: sa.Table, names: tuple[str, ...], on: tuple[str, ...], *, prefix: str) -> sa.CTE:
    """``<table>_inserted AS (INSERT … VALUES (:<prefix><name>, …) ON CONFLICT (on) DO NOTHING RETURNING key)``: the
    ``WITH`` clause of :func:`inserted_key`, for a statement whose other clauses write only if it inserted
    (PostgreSQL)."""
    values = {name: sa.bindparam(f"{prefix}{name}", type_=table.c[name].type) for name in names}
    return (postgresql.insert(table).values(values).on_conflict_do_nothing(index_elements=list(on))
            .returning(*table.primary_key.columns).cte(f"{table.name}_inserted"))


def _insert(database: str, target: Any) -> Any:
    """PostgreSQL's or SQLite's ``INSERT`` (both have ``ON CONFLICT``)."""
    return (postgresql if database == "postgresql" else sqlite).insert(target)


def lock_or_create(model: type[Any], column: Any, keys: Iterable[Any],
                   new: Callable[[Any], dict[str, Any]] | None) -> list[Any]:
    """The rows of ``model`` whose unique ``column`` holds ``keys``, locked for this transaction, those missing
    inserted first as ``new(key)``: one statement if all exist (most often), two if some are new (the insert
    returns its rows, which it has locked; MySQL reads them back: three).  With ``new`` ``None``, only those that
    exist.

    Locked in key order, whatever the order of ``keys``: transactions that lock overlapping sets never wait on each
    other in a cycle.
    """
    wanted = sorted(set(keys))
    if not wanted:
        return []
    found = _locked_rows(model, column, wanted)
    missing = sorted(set(wanted) - {getattr(row, column.key) for row in found})
    if missing and new is not None:
        rows = [new(key) for key in missing]
        if _family_of(model.__table__) == "mysql":
            insert_absent(model.__table__, rows, on=[column.key])
        else:
            made = _inserted_rows(model, column, rows)
            found += made
            missing = sorted(set(missing) - {getattr(row, column.key) for row in made})  # another made them first
        if missing:
            found += _locked_rows(model, column, missing)
    return found


def _inserted_rows(model: type[Any], column: Any, rows: list[dict[str, Any]]) -> list[Any]:
    """Insert ``rows`` where absent and return those written, as the session's objects (PostgreSQL, SQLite)."""
    return list(session().scalars(_insert_returning_rows(model, _family_of(model.__table__), column.key), rows))


@functools.lru_cache(maxsize=None)
def _insert_returning_rows(model: type[Any], database: str, key: str) -> Any:
    return _insert(database, model).on_conflict_do_nothing(index_elements=[key]).returning(model)


def _locked_rows(model: type[Any], column: Any, keys: list[Any]) -> list[Any]:
    return list(session().scalars(_select_locked(model, column.key), {"keys": keys}))


@functools.lru_cache(maxsize=None)
def _select_locked(model: type[Any], key: str) -> Any:
    column = getattr(model, key)
    query = sa.select(model).where(column.in_(sa.bindparam("keys", expanding=True))).order_by(column).with_for_update()
    return query.execution_options(populate_existing=True)


def insert_absent(table: sa.Table, rows: list[dict[str, Any]], *, on: list[str]) -> None:
    """:func:`insert_if_absent` for many rows in one statement (the caller then reads, and locks, what it needs)."""
    # one statement of many rows, compiled once whatever their number
    session().execute(_insert_absent(table, _family_of(table), tuple(on)), rows)


@functools.lru_cache(maxsize=None)
def _insert_absent(table: sa.Table, database: str, on: tuple[str, ...]) -> Any:
    if database == "mysql":
        key = table.c[on[0]]
        return mysql.insert(table).on_duplicate_key_update({key.name: key})  # locks, as above
    return _insert(database, table).on_conflict_do_nothing(index_elements=list(on))


def _insert_on_mysql(table: sa.Table, values: dict[str, Any], on: list[str]) -> Any:
    """MySQL has no ``ON CONFLICT DO NOTHING``: ``ON DUPLICATE KEY UPDATE`` that changes nothing, instead.

    Not a plain INSERT that fails: a duplicate key makes InnoDB hold a shared
    lock on the existing row, and two losers that then lock it for update
    deadlock; the update clause takes the exclusive lock at once.  The row
    count cannot tell an insert from a duplicate (SQLAlchemy connects with
    FOUND_ROWS), so the clause also sets ``LAST_INSERT_ID`` to a marker no
    insert produces, as MySQL's manual does to tell the two apart.
    """
    row_id = session().execute(_insert_on_duplicate_mark(table, on[0]), values).lastrowid
    if row_id == _DUPLICATE_MARK:
        return None
    return row_id if row_id else True  # a key the server does not count (a string id): inserted, key unknown


@functools.lru_cache(maxsize=None)
def _insert_on_duplicate_mark(table: sa.Table, on: str) -> Any:
    key = table.c[on]
    untouched = sa.func.if_(sa.func.last_insert_id(_DUPLICATE_MARK), key, key)
    return mysql.insert(table).on_duplicate_key_update({key.name: untouched})


def write_lock(table: sa.Table) -> None:
    """On SQLite, take the database's write lock now, before reading what this transaction will change.

    Python's sqlite3 opens a transaction only at the first write, so reads
    before it are outside any transaction and ``FOR UPDATE`` means nothing:
    two writers could both read a row, then apply stale changes one after the
    other.  ``BEGIN IMMEDIATE`` makes them take turns (the servers lock rows).
    """
    connection = session().connection(bind_arguments={"clause": table})
    if connection.dialect.name != "sqlite":
        return
    raw = connection.connection.dbapi_connection
    if raw is not None and not raw.in_transaction:  # type: ignore[attr-defined]
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def upsert_adding(table: sa.Table, rows: list[dict[str, Any]], *, add: str) -> None:
    """Insert ``rows``; where a row's primary key exists, add its ``add`` value to the stored one instead."""
    session().execute(_upsert_adding(table, _family_of(table), add), rows)  # many rows, compiled once whatever their number


@functools.lru_cache(maxsize=None)
def _upsert_adding(table: sa.Table, database: str, add: str) -> Any:
    if database == "mysql":
        statement = mysql.insert(table)
        return statement.on_duplicate_key_update({add: table.c[add] + statement.inserted[add]})
    return _adding_on_conflict(_insert(database, table), table, add)


def _adding_on_conflict(statement: Any, table: sa.Table, add: str) -> Any:
    """``statement`` (an ``INSERT`` into ``table``) that adds its ``add`` value to a row whose primary key exists."""
    names = [column.name for column in table.primary_key.columns]
    return statement.on_conflict_do_update(index_elements=names, set_={add: table.c[add] + statement.excluded[add]})


def upserts_adding(tables: tuple[sa.Table, ...], rows: dict[sa.Table, list[dict[str, Any]]], *, add: str) -> None:
    """:func:`upsert_adding` into several ``tables``, in their order: rows many transactions share, in one round trip.

    On PostgreSQL one statement writes them all, so their locks are held for
    one round trip and the commit, not one per table: rows every writer moves
    (today's rollups) queue writers for as long as they stay locked.  Each
    table's rows arrive as arrays (``unnest``), so the statement is the same
    whatever their number, and each clause reads the count of the one before
    it: PostgreSQL then runs them in this order, and every writer locks the
    tables in one order (clauses that read nothing run in an order it leaves
    unspecified, which could deadlock two writers).  Elsewhere: a statement
    per table with rows.
    """
    if _family_of(tables[0]) != "postgresql":
        for table in tables:
            if rows.get(table):
                upsert_adding(table, rows[table], add=add)
        return
    parameters = {
        f"{table.name}_{column.name}": [row[column.name] for row in rows.get(table, ())]
        for table in tables for column in _upserted_columns(table, add)
    }
    session().execute(_chained_upserts(tables, add), parameters)


def _upserted_columns(table: sa.Table, add: str) -> list[sa.Column[Any]]:
    return [*table.primary_key.columns, table.c[add]]


@functools.lru_cache(maxsize=None)
def _chained_upserts(tables: tuple[sa.Table, ...], add: str) -> Any:
    before = None
    for table in tables:
        columns = _upserted_columns(table, add)
        arrays = [sa.bindparam(f"{table.name}_{column.name}", type_=postgresql.ARRAY(column.type)) for column in columns]
        given = sa.func.unnest(*arrays).table_valued(*(column.name for column in columns)).render_derived()
        source = sa.select(*given.c)
        if before is not None:  # waits for the clause before to finish: see upserts_adding
            source = source.where(sa.select(sa.func.count()).select_from(before).scalar_subquery() >= sa.literal_column("0"))
        statement = _adding_on_conflict(postgresql.insert(table).from_select([column.name for column in columns], source),
                                        table, add)
        before = statement.returning(sa.literal_column("1")).cte(f"{table.name}_upserted")
    return sa.select(sa.func.count()).select_from(before)


def count_where(*conditions: Any, distinct: Any = None) -> sa.ColumnElement[int]:
    """``COUNT(*) FILTER (WHERE …)`` written so that MySQL understands it too.

    ``distinct`` counts the distinct values of that expression among the
    matching rows instead of the rows.
    """
    counted = sa.case((sa.and_(*conditions), distinct if distinct is not None else sa.literal(1)))
    return sa.func.count(sa.distinct(counted) if distinct is not None else counted)


def fresh_scalars(statement: sa.Select[Any], parameters: dict[str, Any] | None = None) -> list[Any]:
    """The scalars of one read of what is committed now, after the session's transaction ended, in a transaction of its
    own that ends with it.

    On PostgreSQL it runs in autocommit: no BEGIN and ROLLBACK around it, two
    round trips a Stripe purchase makes after its commit.  Elsewhere in a
    transaction rolled back after it (a MySQL driver pays a round trip to
    switch autocommit; SQLite's reads begin none).
    """
    db_session = actual_session()
    if not db_session.in_transaction() and family(engine()) == "postgresql":
        db_session.connection(bind_arguments={"bind": engine()}, execution_options={"isolation_level": "AUTOCOMMIT"})
    try:
        return list(db_session.scalars(statement, parameters))
    finally:
        db_session.rollback()


def read_committed(engine: sa.Engine) -> None:
    """Run MySQL connections left at the server's REPEATABLE READ at READ COMMITTED instead (as Django does).

    Under REPEATABLE READ a transaction keeps reading the snapshot of its first
    read: a request that lost a race to insert a row could not see the winner's
    row, and searches for absent rows take gap locks that deadlock concurrent
    inserts.  A level the shop chose itself (SERIALIZABLE, say) is kept.  Other
    databases are left alone: PostgreSQL reads committed by default, SQLite
    has one writer.
    """
    if family(engine) != "mysql":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        if engine.dialect.get_isolation_level(dbapi_connection) == "REPEATABLE READ":
            engine.dialect.set_isolation_level(dbapi_connection, "READ COMMITTED")

    engine.dispose()  # connections opened before now would keep the old level


#: How many times a unit of work of JourneyKit's own runs when the database keeps breaking deadlocks with it.
DEADLOCK_ATTEMPTS = 3


def is_deadlock(error: BaseException) -> bool:
    """Whether the database rolled the transaction back to break a deadlock, so running it again is right.

    InnoDB's manual asks applications to expect these (its foreign-key checks
    and duplicate-key checks take shared locks that PostgreSQL does not), and
    PostgreSQL reports its own as SQLSTATE 40P01.
    """
    cause = getattr(error, "orig", None)
    return getattr(cause, "args", (None,))[:1] == (1213,) or getattr(cause, "sqlstate", None) == "40P01"


def retry_deadlocks(work: Callable[..., T]) -> Callable[..., T]:
    """Run ``work`` (which commits what it does) again, from a clean session, after a deadlock.

    Any other failure rolls its work back at once, before the error is
    answered: a refused request holds no row lock (nor SQLite's write lock)
    while the shop's context lives on.

    For JourneyKit's own requests and commands only: they are whole units of
    work.  A shop's transaction that calls JourneyKit is the shop's to retry.
    """

    @functools.wraps(work)
    def run(*args: Any, **kwargs: Any) -> T:
        for attempt in range(1, DEADLOCK_ATTEMPTS + 1):
            try:
                return work(*args, **kwargs)
            except Exception as error:
                signals.rollback()  # whatever failed leaves nothing behind, nor a lock held until the context ends
                if attempt == DEADLOCK_ATTEMPTS or not (isinstance(error, sa.exc.DBAPIError) and is_deadlock(error)):
                    raise
                log.info("journeykit: %s ran into a deadlock; running it again (attempt %d)", work.__name__, attempt + 1)
        raise AssertionError("unreachable")

    return run


@compiles(CreateTable, "mysql")
@compiles(CreateTable, "mariadb")
def _create_with_table_options(create: CreateTable, compiler: Any, **kw: Any) -> str:
    """JourneyKit's tables get :data:`MYSQL_TABLE_OPTIONS`, whatever the server's defaults; the shop's are untouched."""
    statement = compiler.visit_create_table(create, **kw)
    if create.element.name.startswith(TABLE_PREFIX):
        statement = f"{statement.rstrip()} {MYSQL_TABLE_OPTIONS}"
    return statement
