"""The public reads' version tokens: which writes change which reads, and what those reads cost to check.

Every public read depends on *scopes*: ``reviews:<product id>`` for one
product's reviews and rating, ``testimonials`` for the wall, ``settings`` for
what the owner's settings change.  Each scope has a version token in
``journeykit_read_versions``; a write that changes what a read shows gives its
scope a new token **in the same transaction** as the write, from the session's
own events, so no write path can forget it:

- ``after_flush`` looks at the watched models' rows added, changed or
  deleted (:func:`watch` names them and how a row names its scope);
- ``do_orm_execute`` catches bulk ``insert()``/``update()``/``delete()``
  statements on them, and first reads which scopes their ``WHERE`` touches.

The tokens live in the database, so every worker and instance sees a write
(:mod:`~journeykit.core.version_watch` tells when without a query).  Tokens
are random rather than counted up, so a database restored from a backup or
emptied can never bring back an old token whose value is still in some
worker's memory.  :mod:`~journeykit.core.read_cache` keeps rendered reads
under them; :func:`remembered` keeps what writes read on every request (the
owner's settings, the hooks' endpoints).
"""

from __future__ import annotations

import functools
import secrets
import weakref
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Sequence, TypeVar

import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column, scoped_session
from sqlalchemy.orm.attributes import InstrumentedAttribute

from . import version_watch
from .db import Base, engine
from .dialects import family

#: The scopes: one product's reviews and rating (keyed by product id), the testimonials' wall, the owner's settings.
REVIEWS, TESTIMONIALS, SETTINGS = "reviews", "testimonials", "settings"
T = TypeVar("T")


class ReadVersion(Base):
    """A scope of public reads and its version token (a scope without a row is at version 0)."""

    __tablename__ = "journeykit_read_versions"

    #: ``reviews:<product id>``, ``reviews`` (every product), ``testimonials``, ``settings``.
    scope: Mapped[str] = mapped_column(sa.String(320), primary_key=True)
    #: A random token, new at every write to the scope.
    version: Mapped[int] = mapped_column(sa.BigInteger)


VERSIONS: sa.Table = ReadVersion.__table__  # type: ignore[assignment]
#: ``session.info`` key: the scopes this transaction already gave a new token (one per scope and transaction).
_BUMPED = "journeykit_read_scopes_bumped"
#: ``session.info`` key: tokens were written since the last commit (kept through savepoints, unlike ``_BUMPED``).
_UNCOMMITTED = "journeykit_read_versions_written"


# -- what writes change --------------------------------------------------------


@dataclass(frozen=True)
class _Watch:
    model: type
    scope: str
    #: The column naming the key within the scope (a product id), on the model or on the model ``through`` leads to.
    key: InstrumentedAttribute[Any] | None
    through: InstrumentedAttribute[Any] | None


#: The watched tables, by name.
_WATCHED: dict[str, _Watch] = {}


def watch(model: type, scope: str, *, key: InstrumentedAttribute[Any] | None = None,
          through: InstrumentedAttribute[Any] | None = None) -> None:
    """Say that rows of ``model`` feed the public reads of ``scope``.

    Without ``key`` a change to any row changes the whole scope
    (``watch(Testimonial, "testimonials")``).  With it, only the scope of the
    row's key: ``watch(Review, "reviews", key=Review.product_id)`` changes
    ``reviews:<product id>``; ``through`` is the relationship to the model
    holding the key (``watch(ReviewPhoto, "reviews", key=Review.product_id,
    through=ReviewPhoto.review)``).  A change whose keys cannot be known
    changes the whole scope, which every keyed read depends on too.
    """
    table: sa.Table = model.__table__  # type: ignore[attr-defined]
    _WATCHED[table.name] = _Watch(model, scope, key, through)


def scope(name: str, key: Any = None) -> str:
    """The scope ``name`` of one ``key`` (``reviews:sku-1``), or the whole scope."""
    return name if key is None else f"{name}:{key}"


def _keyed(name: str, keys: Iterable[Any]) -> set[str]:
    return {scope(name, key) for key in keys if key is not None}


def _row_scopes(spec: _Watch, row: Any) -> set[str]:
    """The scopes a changed ORM row touches: its key's (before and after the change), else the whole scope."""
    if spec.key is None:
        return {spec.scope}
    if spec.through is not None:
        owner = getattr(row, spec.through.key)
        return _keyed(spec.scope, [getattr(owner, spec.key.key)]) if owner is not None else {spec.scope}
    history = sa.inspect(row).attrs[spec.key.key].history
    return _keyed(spec.scope, [*history.added, *history.unchanged, *history.deleted]) or _keyed(
        spec.scope, [getattr(row, spec.key.key)])


def _statement_scopes(db_session: Session, spec: _Watch, state: Any) -> set[str]:
    """The scopes a bulk statement touches, read before it runs (a DELETE's rows are gone after)."""
    statement = state.statement
    if spec.key is None:
        return {spec.scope}
    if state.is_insert:
        keys = _inserted_keys(db_session, spec, state)
        return _keyed(spec.scope, keys) if keys else {spec.scope}
    where, given = statement.whereclause, state.parameters
    if where is None or isinstance(given, list):  # every row, or one statement run for many parameter sets
        return {spec.scope}
    query = sa.select(spec.key).distinct()
    if spec.through is not None:
        query = query.join_from(spec.model, spec.through)
    return _keyed(spec.scope, session_connection(db_session).execute(query.where(where), given or {}).scalars())


def _inserted_keys(db_session: Session, spec: _Watch, state: Any) -> list[Any]:
    """The keys an INSERT writes, from its parameters or its ``values()``; none when the key is not its own column."""
    assert spec.key is not None
    if spec.through is not None:
        return []
    name = spec.key.name  # type: ignore[attr-defined]
    given = state.parameters
    rows = given if isinstance(given, list) else [given or {}]
    keys = [row[name] for row in rows if name in row]
    inline = state.statement.compile(dialect=session_connection(db_session).dialect).params
    return keys + [value for param, value in inline.items() if param == name or param.startswith(f"{name}_m")]


def bump(db_session: Session, scopes: Iterable[str]) -> None:
    """Give each scope a new version token, in ``db_session``'s transaction (once per scope and transaction)."""
    done: set[str] = db_session.info.setdefault(_BUMPED, set())
    fresh = sorted(set(scopes) - done)  # sorted: concurrent writers lock the rows in one order
    if not fresh:
        return
    connection = session_connection(db_session)
    rows = [{"scope": scope, "version": secrets.randbits(62)} for scope in fresh]
    if family(connection) == "mysql":
        insert = mysql.insert(VERSIONS).values(rows)
        statement: Any = insert.on_duplicate_key_update(version=insert.inserted.version)
    else:
        insert = (postgresql if family(connection) == "postgresql" else sqlite).insert(VERSIONS).values(rows)
        statement = insert.on_conflict_do_update(index_elements=["scope"], set_={"version": insert.excluded.version})
    connection.execute(statement)
    done.update(fresh)
    db_session.info[_UNCOMMITTED] = True


def session_connection(db_session: Session) -> sa.Connection:
    """The session's connection to JourneyKit's database, in its transaction (the Core one: no ORM work)."""
    return db_session.connection(bind_arguments={"clause": VERSIONS})


def _watched_row(row: Any) -> _Watch | None:
    table = getattr(type(row), "__table__", None)
    return _WATCHED.get(table.name) if table is not None else None


@sa.event.listens_for(Session, "after_flush")
def _bump_for_rows(db_session: Session, _context: Any) -> None:
    """After the flush's own statements (the session still lists what it flushed): data rows are locked before
    the version row, as for statements below, so writers of one scope always lock in that order."""
    scopes: set[str] = set()
    for row in (*db_session.new, *db_session.deleted, *db_session.dirty):
        spec = _watched_row(row)
        if spec is not None and (row not in db_session.dirty or db_session.is_modified(row)):
            scopes |= _row_scopes(spec, row)
    if scopes:
        bump(db_session, scopes)


@sa.event.listens_for(Session, "do_orm_execute")
def _bump_for_statements(state: Any) -> Any:
    """Bulk statements on watched tables: which scopes they touch is read before (a DELETE's rows are gone after),
    the new tokens written after."""
    if state.is_select or not (state.is_update or state.is_delete or state.is_insert):
        return None
    spec = _WATCHED.get(getattr(getattr(state.statement, "table", None), "name", None))  # type: ignore[arg-type]
    if spec is None:
        return None
    scopes = _statement_scopes(state.session, spec, state)
    result = state.invoke_statement()
    bump(state.session, scopes)
    return result


@sa.event.listens_for(Session, "after_commit")
def _tell_watcher(db_session: Session) -> None:
    """New tokens are committed: this process's watcher forgets the old ones now, not when told by the database."""
    if db_session.info.pop(_UNCOMMITTED, False):
        version_watch.changed(db_session.get_bind(clause=VERSIONS))


@sa.event.listens_for(Session, "after_transaction_end")
def _forget_bumps(db_session: Session, _transaction: Any) -> None:
    """A new transaction (or the rest of one whose savepoint rolled back) bumps again."""
    db_session.info.pop(_BUMPED, None)


def writing(db_session: Session) -> bool:
    """Whether this session holds changes not yet committed: a read must then neither use nor fill the cache."""
    return bool(db_session.info.get(_BUMPED) or db_session.new or db_session.dirty or db_session.deleted)


def _writing_to(db_session: Session, scope_name: str) -> bool:
    """Whether this session changed ``scope_name``'s rows and has not committed them."""
    pending = (*db_session.new, *db_session.dirty, *db_session.deleted)
    return scope_name in db_session.info.get(_BUMPED, ()) or any(
        getattr(_watched_row(row), "scope", None) == scope_name for row in pending)


def versions(scopes: Sequence[str], db_session: Session | None = None) -> tuple[int, ...]:
    """The version tokens of ``scopes`` as they are now, in order.

    From the engine's watcher when it has one, which knows without a query
    whether they changed since it last read them
    (:mod:`~journeykit.core.version_watch`); else one small query of plain
    SQL (no ORM, no compiling), in ``db_session``'s transaction when one is
    open (no second connection), or on a pooled connection of its own.
    """
    if db_session is not None and db_session.in_transaction() and not version_watch.watching(engine()):
        return versions_on(session_connection(db_session), scopes)
    return version_watch.tokens(engine(), scopes, _fetch_versions)


def _fetch_versions(scopes: Sequence[str]) -> tuple[int, ...]:
    with engine().connect() as connection:
        return versions_on(connection, scopes)


def versions_on(connection: sa.Connection, scopes: Sequence[str]) -> tuple[int, ...]:
    sql = _versions_sql(connection.dialect.paramstyle, len(scopes))
    found = dict(connection.exec_driver_sql(sql, tuple(scopes)).all())
    return tuple(found.get(scope, 0) for scope in scopes)


@functools.lru_cache(maxsize=32)
def _versions_sql(paramstyle: str, count: int) -> str:
    marker = "?" if paramstyle == "qmark" else "%s"  # SQLite's; psycopg's and PyMySQL's
    return f"SELECT scope, version FROM {VERSIONS.name} WHERE scope IN ({', '.join([marker] * count)})"


_remembered: weakref.WeakKeyDictionary[Flask, dict[str, tuple[tuple[int, ...], Any]]] = weakref.WeakKeyDictionary()


def remembered(scope_name: str, load: Callable[[], T], db_session: Session | scoped_session) -> T:
    """What ``load()`` reads from one whole scope's rows (the owner's settings, say), kept per app and process.

    Read again only after a write gave the scope a new token.  When the
    engine's watcher knows the token is unchanged (:mod:`~journeykit.core.version_watch`;
    another PostgreSQL process's write is seen within milliseconds), this
    costs no query; otherwise one small query of the token, in the session's
    own transaction (a second connection per request could drain the pool), and
    ``load()`` only if the token moved.  The watcher learns a token read so
    only where the transaction sees the latest commits (PostgreSQL's READ
    COMMITTED), not from an older snapshot.  A transaction that changed the scope
    reads for itself.  The value is shared between threads: callers must not
    change it.
    """
    if isinstance(db_session, scoped_session):
        db_session = db_session()
    if _writing_to(db_session, scope_name):
        return load()
    kept = _remembered.setdefault(current_app._get_current_object(), {})  # type: ignore[attr-defined]
    hit = kept.get(scope_name)
    if hit is not None and hit[0] == version_watch.known(engine(), (scope_name,)):
        return hit[1]
    connection = session_connection(db_session)
    fetch = functools.partial(versions_on, connection)
    # what this transaction sees; the watcher may keep it only if that is the latest (each statement's own snapshot)
    tokens = version_watch.tokens(engine(), (scope_name,), fetch) if _sees_latest(connection) else fetch((scope_name,))
    if hit is not None and hit[0] == tokens:
        return hit[1]
    value = load()
    kept[scope_name] = (tokens, value)
    return value


def _sees_latest(connection: sa.Connection) -> bool:
    """Whether each statement of the connection's transaction sees every commit before it (PostgreSQL's READ
    COMMITTED), so what it reads is as current as a query of its own."""
    level = connection.get_execution_options().get("isolation_level", connection.default_isolation_level)
    return family(connection) == "postgresql" and level == "READ COMMITTED"
