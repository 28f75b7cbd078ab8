"""The public reads (reviews, ratings, testimonials, the programs) served from memory, and their HTTP caching.

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

A read (:func:`serve`) costs one small query of its scopes' tokens; the body
rendered under those tokens is kept in a bounded in-process LRU, so the next
read under the same tokens renders nothing.  The tokens live in the database,
so every worker and instance sees a write at once (there is no message to
miss).  Tokens are random rather than counted up, so a database restored from
a backup or emptied can never bring back an old token whose body is still in
some worker's memory.

HTTP: every public read carries a strong ``ETag`` (a digest of the body, so it
changes exactly when the bytes do), answers ``If-None-Match`` with a 304, and
``Cache-Control: public, max-age=…, stale-while-revalidate=…``.  A response
that is one shopper's own (``private``/``no-store``) is never kept.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
import threading
import time
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Callable, Hashable, Iterable, Sequence, TypeVar

import sqlalchemy as sa
from flask import Flask, Response, current_app, request
from flask.typing import ResponseReturnValue
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column, scoped_session
from sqlalchemy.orm.attributes import InstrumentedAttribute

from . import version_watch
from .db import Base, engine
from .dialects import family

#: How many rendered bodies each app keeps, and how many bytes at most.
MAX_ENTRIES = 2048
MAX_BYTES = 32 * 1024 * 1024
#: Seconds a kept body is served without rendering it again: it bounds how long data JourneyKit does not own
#: (the shop's product loader: names, images) can lag; JourneyKit's own writes take effect at once.
FRESH_SECONDS = 60
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
    return _keyed(spec.scope, _connection(db_session).execute(query.where(where), given or {}).scalars())


def _inserted_keys(db_session: Session, spec: _Watch, state: Any) -> list[Any]:
    """The keys an INSERT writes, from its parameters or its ``values()``; none when the key is not its own column."""
    assert spec.key is not None
    if spec.through is not None:
        return []
    name = spec.key.name  # type: ignore[attr-defined]
    given = state.parameters
    rows = given if isinstance(given, list) else [given or {}]
    keys = [row[name] for row in rows if name in row]
    inline = state.statement.compile(dialect=_connection(db_session).dialect).params
    return keys + [value for param, value in inline.items() if param == name or param.startswith(f"{name}_m")]


def bump(db_session: Session, scopes: Iterable[str]) -> None:
    """Give each scope a new version token, in ``db_session``'s transaction (once per scope and transaction)."""
    done: set[str] = db_session.info.setdefault(_BUMPED, set())
    fresh = sorted(set(scopes) - done)  # sorted: concurrent writers lock the rows in one order
    if not fresh:
        return
    connection = _connection(db_session)
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


def _connection(db_session: Session) -> sa.Connection:
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


def _writing(db_session: Session) -> bool:
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
        return _versions_on(_connection(db_session), scopes)
    return version_watch.tokens(engine(), scopes, _fetch_versions)


def _fetch_versions(scopes: Sequence[str]) -> tuple[int, ...]:
    with engine().connect() as connection:
        return _versions_on(connection, scopes)


def _versions_on(connection: sa.Connection, scopes: Sequence[str]) -> tuple[int, ...]:
    sql = _versions_sql(connection.dialect.paramstyle, len(scopes))
    found = dict(connection.exec_driver_sql(sql, tuple(scopes)).all())
    return tuple(found.get(scope, 0) for scope in scopes)


@functools.lru_cache(maxsize=32)
def _versions_sql(paramstyle: str, count: int) -> str:
    marker = "?" if paramstyle == "qmark" else "%s"  # SQLite's; psycopg's and PyMySQL's
    return f"SELECT scope, version FROM {VERSIONS.name} WHERE scope IN ({', '.join([marker] * count)})"


# -- the cache -----------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """A rendered public read: its bytes, their type, its ``Vary`` and strong ETag."""

    body: bytes
    content_type: str
    vary: tuple[str, ...]
    etag: str
    made: float


class LRU:
    """A thread-safe least-recently-used map, bounded by entries and by bytes; entries expire after ``ttl`` seconds."""

    def __init__(self, max_entries: int = MAX_ENTRIES, max_bytes: int = MAX_BYTES, ttl: float = FRESH_SECONDS) -> None:
        self.max_entries, self.max_bytes, self.ttl = max_entries, max_bytes, ttl
        self._entries: OrderedDict[Hashable, Entry] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Entry | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if time.monotonic() - entry.made > self.ttl:
                self._drop(key)
                return None
            self._entries.move_to_end(key)
            return entry

    def put(self, key: Hashable, entry: Entry) -> None:
        if len(entry.body) > self.max_bytes // 8:  # one huge body would push out everything else
            return
        with self._lock:
            if key in self._entries:
                self._drop(key)
            self._entries[key] = entry
            self._bytes += len(entry.body)
            while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
                self._drop(next(iter(self._entries)))

    def _drop(self, key: Hashable) -> None:
        self._bytes -= len(self._entries.pop(key).body)

    def __len__(self) -> int:
        return len(self._entries)


_caches: weakref.WeakKeyDictionary[Flask, LRU] = weakref.WeakKeyDictionary()
_caches_lock = threading.Lock()


def cache_for(app: Flask) -> LRU:
    """The app's cache of rendered public reads (one per app and process)."""
    cache = _caches.get(app)
    if cache is None:
        with _caches_lock:
            cache = _caches.setdefault(app, LRU())
    return cache


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
    connection = _connection(db_session)
    fetch = functools.partial(_versions_on, connection)
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


# -- serving -------------------------------------------------------------------


@dataclass(frozen=True)
class Freshness:
    """How long browsers and shared caches may use a public read: ``max_age`` seconds, then ``stale`` more while
    they revalidate it in the background (a 304 costs one version query)."""

    max_age: int
    stale: int

    @property
    def header(self) -> str:
        return f"public, max-age={self.max_age}, stale-while-revalidate={self.stale}"


#: Reads that change with every shopper's review or the owner's curation: reviews, ratings, testimonials, fragments.
LIVELY = Freshness(max_age=30, stale=300)
#: Reads that change only with the owner's settings: the loyalty and referral programs.
SETTLED = Freshness(max_age=300, stale=3600)


def serve(render: Callable[[], ResponseReturnValue], *, scopes: Sequence[str], freshness: Freshness) -> Response:
    """A public read: from the cache when its scopes' tokens are unchanged, else ``render()``ed and kept.

    The cache key is the endpoint, its URL arguments, the query arguments
    (in any order), the site's address (bodies hold absolute URLs) and the
    scopes' tokens; ``reviews:sku-1`` also depends on ``reviews``.
    What ``render`` answers other than a plain 200, or marks ``private`` or
    ``no-store`` (one shopper's own), is returned as it is and never kept.
    """
    db_session = _current_session()
    if db_session is not None and _writing(db_session):
        return _fresh(render, None, freshness)
    names = _with_whole_scopes(scopes)
    read = (request.endpoint, tuple(sorted((request.view_args or {}).items())),
            tuple(sorted(request.args.items(multi=True))), _site(request.environ), names)
    cache = cache_for(current_app._get_current_object())  # type: ignore[attr-defined]
    tokens = versions(names, db_session)
    entry = cache.get((*read, tokens))
    if entry is not None:
        return _answer(entry, freshness)
    if db_session is not None and db_session.in_transaction() and version_watch.watching(engine()):
        # the body renders in the session's transaction, whose snapshot (SQLite's, or any at REPEATABLE READ) may be
        # older than the watcher's tokens: it is kept under the tokens that snapshot sees
        tokens = _versions_on(_connection(db_session), names)
    return _fresh(render, (cache, (*read, tokens)), freshness)


def _site(environ: dict[str, Any]) -> tuple[Any, ...]:
    """What the site's address (``request.url_root``, in the bodies' absolute URLs) is made of, unparsed."""
    return tuple(environ.get(name) for name in (
        "wsgi.url_scheme", "HTTP_HOST", "SERVER_NAME", "SERVER_PORT", "SCRIPT_NAME"))


def _current_session() -> Session | None:
    """The request's session if it has one yet (a cached read never makes one)."""
    scoped = current_app.extensions["journeykit"].db.session
    return scoped() if scoped.registry.has() else None


def _with_whole_scopes(scopes: Sequence[str]) -> tuple[str, ...]:
    names = dict.fromkeys(scopes)
    for scope in scopes:
        whole, keyed, _ = scope.partition(":")
        if keyed:
            names[whole] = None
    return tuple(names)


def _fresh(render: Callable[[], ResponseReturnValue], keep: tuple[LRU, Hashable] | None,
           freshness: Freshness) -> Response:
    response = current_app.make_response(render())
    if response.status_code != 200 or response.direct_passthrough or _is_private(response):
        return response
    body = response.get_data()
    entry = Entry(body, response.content_type or "", tuple(response.vary), _etag(body), time.monotonic())
    db_session = _current_session()
    if keep is not None and not (db_session is not None and _writing(db_session)):  # rendering wrote nothing
        keep[0].put(keep[1], entry)
    return _answer(entry, freshness)


def _is_private(response: Response) -> bool:
    control = response.cache_control
    return bool(control.private or control.no_store)


def _etag(body: bytes) -> str:
    return hashlib.blake2b(body, digest_size=16).hexdigest()


def _answer(entry: Entry, freshness: Freshness) -> Response:
    """The entry as a 200, or a 304 when the client's ``If-None-Match`` names it (``*`` too)."""
    headers = [("ETag", f'"{entry.etag}"'), ("Cache-Control", freshness.header)]
    if entry.vary:
        headers.append(("Vary", ", ".join(entry.vary)))
    if "HTTP_IF_NONE_MATCH" in request.environ and request.if_none_match.contains_weak(entry.etag):
        return Response(status=304, headers=headers)
    return Response(entry.body, headers=headers, content_type=entry.content_type)


def mark_private(response: Response) -> Response:
    """One shopper's own answer: never kept by any cache, ours included."""
    response.headers["Cache-Control"] = "private, no-store"
    return response


View = TypeVar("View", bound=Callable[..., Any])


def public(scopes: Callable[..., Sequence[str]], freshness: Freshness) -> Callable[[View], View]:
    """Serve a view through :func:`serve`; ``scopes`` takes the view's URL arguments (``product_id``)."""

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def cached(**kwargs: Any) -> Response:
            return serve(lambda: view(**kwargs), scopes=scopes(**kwargs), freshness=freshness)

        return cached  # type: ignore[return-value]

    return decorate
