"""Whether the public reads' version tokens changed, known without a query per request.

:mod:`~journeykit.core.read_cache` keys every kept body by the tokens of
``journeykit_read_versions``.  Asking the database for them on every read
costs a round trip, most of a cached read's time; a *watcher* remembers the
tokens it read and forgets them all as soon as anything may have changed them:

- **SQLite**: ``PRAGMA data_version`` on a connection of the watcher's own
  changes whenever any other connection, in any process, commits to the file
  (a few microseconds, and exact: a commit has changed it before it returns).
- **PostgreSQL**: a trigger on the tokens' table (migration ``a4b8d2e6f1c7``)
  sends ``NOTIFY journeykit_read_versions`` with each committed change; a
  thread per process ``LISTEN``\\ s.  Writes of this process are seen at once
  (:func:`changed`, after their commit); another process's within the
  milliseconds PostgreSQL takes to pass the notification on.  Until the
  listener is connected, and whenever it is not, every read asks the database.
- **Elsewhere** (MariaDB, other drivers, in-memory SQLite): every read asks.

The tokens a watcher keeps belong to the *stamp* it took before reading them:
a change after that moves the stamp, and the next read forgets them.  Tokens
that a slower thread read before a change another thread has already seen
are not kept at all.
"""

from __future__ import annotations

import logging
import os
import select
import sqlite3
import threading
import weakref
from typing import Any, Callable, Hashable, Sequence

import sqlalchemy as sa

log = logging.getLogger("journeykit.read_cache")

#: The channel the tokens' trigger notifies on PostgreSQL.
CHANNEL = "journeykit_read_versions"
#: Seconds the listener waits for a notification before checking whether it should stop.
POLL_SECONDS = 1.0
#: Longest wait for a stopped listener to close its connection.
STOP_SECONDS = 5.0
#: Longest pause between attempts to connect the listener again.
MAX_BACKOFF_SECONDS = 30.0

Fetch = Callable[[Sequence[str]], tuple[int, ...]]


class Watcher:
    """Tokens known to be current, dropped whenever :meth:`stamp` moves.

    It serves one pool of the engine: ``engine.dispose()`` gives the engine a
    new pool (a test's database dropped and made again, a forked worker's
    fresh start), and the old pool's end retires the watcher.
    """

    def __init__(self, pool: Any) -> None:
        self._lock = threading.Lock()
        self._tokens: dict[str, int] = {}
        self._seen: Hashable = None
        self._pool = weakref.ref(pool)  # weakly: the pool's end is what retires the watcher

    def serves(self, engine: sa.Engine) -> bool:
        """Whether the engine still has the pool this watcher was made for (not disposed since)."""
        return self._pool() is engine.pool

    def stamp(self) -> Hashable:
        """A value that moves whenever the tokens may have changed; ``None`` when this cannot be told now."""
        raise NotImplementedError

    def tokens(self, scopes: Sequence[str], fetch: Fetch) -> tuple[int, ...]:
        """The tokens of ``scopes``: remembered if still current, else ``fetch``\\ ed (and remembered)."""
        with self._lock:
            stamp = self.stamp()
            if stamp is None:
                known = None
            else:
                if stamp != self._seen:
                    self._tokens, self._seen = {}, stamp
                known = [self._tokens.get(scope) for scope in scopes]
        if known is not None and None not in known:
            return tuple(known)  # type: ignore[arg-type]
        fetched = fetch(scopes)
        if stamp is not None:
            with self._lock:
                if self._seen == stamp:  # else a later read saw a change first: these may be older than its
                    self._tokens.update(zip(scopes, fetched))
        return fetched

    def known(self, scopes: Sequence[str]) -> tuple[int, ...] | None:
        """The tokens of ``scopes`` if all are remembered and still current; ``None`` asks no query."""
        with self._lock:
            stamp = self.stamp()
            if stamp is None or stamp != self._seen:
                return None
            known = [self._tokens.get(scope) for scope in scopes]
        return None if None in known else tuple(known)  # type: ignore[arg-type]

    def changed(self) -> None:
        """This process committed a change to the tokens: forget them now."""

    def stop(self) -> None:
        """Release what the watcher holds (the engine was disposed, or is gone)."""


class SQLiteWatcher(Watcher):
    """``PRAGMA data_version`` on a connection of its own: it moves with every other connection's commit."""

    def __init__(self, engine: sa.Engine, path: str) -> None:
        super().__init__(engine.pool)
        self._connection: sqlite3.Connection | None = sqlite3.connect(
            path, check_same_thread=False, isolation_level=None, timeout=30)  # as long as JourneyKit's writers wait

    def stamp(self) -> Hashable:
        return None if self._connection is None else self._connection.execute("PRAGMA data_version").fetchone()[0]

    def stop(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None


class PostgresWatcher(Watcher):
    """A thread ``LISTEN``\\ ing on :data:`CHANNEL`; each notification moves the stamp."""

    def __init__(self, engine: sa.Engine) -> None:
        super().__init__(engine.pool)
        self._engine = weakref.ref(engine)
        self._generation = 0
        self._listening = False
        self._stopped = threading.Event()
        self._wake_up, self._wake = os.pipe()  # stop() wakes the listener at once: it lets go of its connection
        self._thread = threading.Thread(target=self._listen, name="journeykit-read-versions", daemon=True)
        self._thread.start()

    def stamp(self) -> Hashable:
        return self._generation if self._listening else None

    def changed(self) -> None:
        with self._lock:
            self._generation += 1

    def stop(self) -> None:
        """Wake the listener and wait (briefly) until it has closed its connection: none outlives its engine's pool."""
        with self._lock:
            if not self._stopped.is_set():
                self._stopped.set()
                os.write(self._wake, b"x")
        if threading.current_thread() is not self._thread:
            self._thread.join(STOP_SECONDS)

    def _listen(self) -> None:
        try:
            self._listen_until_stopped()
        finally:
            with self._lock:  # stop() writes to the pipe only until it is closed
                self._stopped.set()
                os.close(self._wake_up)
                os.close(self._wake)

    def _listen_until_stopped(self) -> None:
        """Connect, listen until the connection fails, connect again after a pause; until stopped."""
        failures = 0
        while not self._stopped.is_set():
            engine = self._engine()
            if engine is None or not self.serves(engine):
                return
            try:
                connection = _listening_connection(engine)
            except Exception as error:  # noqa: BLE001 - the reads ask the database meanwhile
                failures += 1
                log.warning("journeykit: cannot listen for read cache changes (%s); reads ask the database", error)
                self._stopped.wait(min(MAX_BACKOFF_SECONDS, 2.0 ** failures))
                continue
            del engine
            failures = 0
            try:
                self._receive(connection)
            except Exception as error:  # noqa: BLE001 - as above: lost until connected again
                if not self._stopped.is_set():
                    log.warning("journeykit: listening for read cache changes stopped (%s); reads ask the database",
                                error)
            finally:
                self._listening = False
                connection.close()

    def _receive(self, connection: Any) -> None:
        with self._lock:
            self._generation += 1  # whatever happened before the LISTEN was never heard
            self._listening = True
        while not self._stopped.is_set() and self._serves_its_engine():
            ready, _, _ = select.select([connection, self._wake_up], [], [], POLL_SECONDS)
            if connection in ready and _drain(connection):
                self.changed()

    def _serves_its_engine(self) -> bool:
        engine = self._engine()
        return engine is not None and self.serves(engine)


def _listening_connection(engine: sa.Engine) -> Any:
    """A driver connection of the engine's own, out of its pool, in autocommit, listening on :data:`CHANNEL`."""
    pooled = engine.raw_connection()
    connection = pooled.driver_connection
    pooled.detach()
    try:
        connection.autocommit = True
        connection.cursor().execute(f"LISTEN {CHANNEL}")
    except Exception:
        connection.close()
        raise
    return connection


def _drain(connection: Any) -> bool:
    """Read what the server sent; whether it held a notification (psycopg 3, then psycopg2)."""
    pgconn = getattr(connection, "pgconn", None)
    if pgconn is not None:
        pgconn.consume_input()
        heard = False
        while pgconn.notifies() is not None:
            heard = True
        if pgconn.status != 0:  # CONNECTION_OK
            raise ConnectionError("the connection was closed")
        return heard
    connection.poll()
    heard = bool(connection.notifies)
    connection.notifies.clear()
    return heard


# -- one watcher per engine and process ------------------------------------------------------------


_watchers: weakref.WeakKeyDictionary[sa.Engine, dict[int, Watcher | None]] = weakref.WeakKeyDictionary()
_watchers_lock = threading.RLock()  # a pool may end, and so retire its watcher, in a thread holding it


def tokens(engine: sa.Engine, scopes: Sequence[str], fetch: Fetch) -> tuple[int, ...]:
    """The tokens of ``scopes`` from the engine's watcher, or ``fetch``\\ ed when it has none."""
    watcher = _watcher(engine)
    return fetch(scopes) if watcher is None else watcher.tokens(scopes, fetch)


def known(engine: sa.Engine, scopes: Sequence[str], *, start: bool = True) -> tuple[int, ...] | None:
    """The tokens of ``scopes`` if the engine's watcher knows them current (no query); else ``None``.

    ``start=False`` asks only a watcher already made, never starting one: a request answered in front of
    the app must not open a listener's connection (on an engine a test has disposed since, say).
    """
    watcher = _watcher(engine) if start else _current(engine)
    return None if watcher is None else watcher.known(scopes)


def changed(engine: sa.Engine) -> None:
    """This process committed new tokens on ``engine``: its watcher forgets the ones it knew at once."""
    watcher = _current(engine)
    if watcher is not None:
        watcher.changed()


def _current(engine: sa.Engine) -> Watcher | None:
    """The engine's watcher in this process, if one is made and serves its pool as it is now; never makes one."""
    watcher = _watchers.get(engine, {}).get(os.getpid())
    return watcher if watcher is not None and watcher.serves(engine) else None


def _watcher(engine: sa.Engine) -> Watcher | None:
    """The engine's watcher in this process (a forked worker makes its own), made on first use.

    Nothing listens on the engine for its disposal: an engine listener makes
    every connection of the shop's own requests dispatch events (about 8 % of
    a plain shop route).  The watcher ends with its pool instead
    (:func:`_retire`), and one still found for an older pool is not used.
    """
    pid = os.getpid()
    per_process = _watchers.get(engine, {})
    if pid in per_process and _usable(per_process[pid], engine):
        return per_process[pid]
    with _watchers_lock:
        per_process = _watchers.setdefault(engine, {})
        if pid not in per_process or not _usable(per_process[pid], engine):
            watcher = per_process[pid] = _make(engine)
            if watcher is not None:
                weakref.finalize(engine.pool, _retire, weakref.ref(engine), pid, watcher)
        return per_process[pid]


def _usable(watcher: Watcher | None, engine: sa.Engine) -> bool:
    """``None`` (the engine can have no watcher) or a watcher of the engine's pool as it is now."""
    return watcher is None or watcher.serves(engine)


def _retire(engine: weakref.ref[sa.Engine], pid: int, watcher: Watcher) -> None:
    """The pool a watcher served is gone (``engine.dispose()``, or the engine itself): stop the watcher.

    Not in a forked worker (gunicorn's ``--preload``) whose copy of the pool
    ends: the watcher is its parent's, and its wake-up pipe is shared.
    """
    if pid != os.getpid():
        return
    alive = engine()
    with _watchers_lock:
        per_process = _watchers.get(alive) if alive is not None else None
        if per_process is not None and per_process.get(pid) is watcher:
            del per_process[pid]
    watcher.stop()


def _make(engine: sa.Engine) -> Watcher | None:
    url, driver = engine.url, engine.dialect.driver
    if url.get_backend_name() == "sqlite" and driver == "pysqlite":
        memory = url.database in (None, "", ":memory:") or "mode" in url.query or "uri" in url.query
        return None if memory else SQLiteWatcher(engine, url.database)  # type: ignore[arg-type]
    if url.get_backend_name() == "postgresql" and driver in ("psycopg", "psycopg2"):
        return PostgresWatcher(engine)
    return None


def watching(engine: sa.Engine) -> bool:
    """Whether this process now knows of changes to ``engine``'s tokens without asking (a watcher is listening)."""
    watcher = _watcher(engine)
    return watcher is not None and watcher.stamp() is not None
