"""The read cache's watcher: it answers the version tokens without a query, and never with old ones.

Changes are made the way another process makes them, on a connection of the
test's own outside SQLAlchemy (a raw ``sqlite3`` or psycopg connection): the
watcher can only learn of them from the database.
"""

from __future__ import annotations

import gc
import os
import select
import sqlite3
import time
import warnings
from typing import Any, Callable, Iterator, Sequence

import psycopg
import pytest
import sqlalchemy as sa

from journeykit.core import read_versions, version_watch

from .conftest import MARIADB, POSTGRESQL

SCOPES = ("reviews:sku-1", "reviews")


class Fetches:
    """A ``fetch`` that reads the tokens as the read cache does, counting its calls (each one is a query)."""

    def __init__(self, engine: sa.Engine, before: Callable[[], None] | None = None) -> None:
        self.engine, self.before, self.count = engine, before, 0

    def __call__(self, scopes: Sequence[str]) -> tuple[int, ...]:
        self.count += 1
        with self.engine.connect() as connection:
            found = read_versions.versions_on(connection, scopes)
        if self.before is not None:  # a write lands after the tokens were read, before they are remembered
            self.before()
        return found


@pytest.fixture
def engine(app, db) -> sa.Engine:
    with app.app_context():
        return db.engine


def _set_token(engine: sa.Engine, scope: str, version: int) -> None:
    """Write a token as another process would: its own connection, its own commit."""
    url = engine.url
    if url.get_backend_name() == "sqlite":
        with sqlite3.connect(url.database) as other:  # type: ignore[arg-type]
            other.execute("INSERT INTO journeykit_read_versions (scope, version) VALUES (?, ?) ON CONFLICT (scope) "
                          "DO UPDATE SET version = excluded.version", (scope, version))
        return
    with psycopg.connect(_libpq(url), autocommit=True) as other:
        other.execute("INSERT INTO journeykit_read_versions (scope, version) VALUES (%s, %s) ON CONFLICT (scope) "
                      "DO UPDATE SET version = excluded.version", (scope, version))


def _libpq(url: sa.URL) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _wait_until(condition: Callable[[], bool], what: str, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.005)


def _listening(engine: sa.Engine) -> None:
    _wait_until(lambda: version_watch.watching(engine), "the watcher never started listening")


@pytest.mark.parametrize("backend", ["sqlite", POSTGRESQL], indirect=True)
def test_known_tokens_cost_no_query_and_another_process_s_write_is_seen(engine):
    _listening(engine)
    fetch = Fetches(engine)
    assert version_watch.tokens(engine, SCOPES, fetch) == (0, 0) and fetch.count == 1
    for _ in range(3):
        assert version_watch.tokens(engine, SCOPES, fetch) == (0, 0)
    assert fetch.count == 1
    _set_token(engine, "reviews:sku-1", 7)
    # SQLite: at once (the commit has moved the file's data version); PostgreSQL: once its notification arrives
    _wait_until(lambda: version_watch.tokens(engine, SCOPES, fetch) == (7, 0), "the other process's write was missed")
    assert version_watch.tokens(engine, SCOPES, fetch) == (7, 0)
    settled = fetch.count
    assert version_watch.tokens(engine, SCOPES, fetch) == (7, 0) and fetch.count == settled


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_on_sqlite_another_process_s_write_is_seen_by_the_very_next_read(engine):
    fetch = Fetches(engine)
    version_watch.tokens(engine, SCOPES, fetch)
    _set_token(engine, "reviews", 3)
    assert version_watch.tokens(engine, SCOPES, fetch) == (0, 3)


@pytest.mark.parametrize("backend", ["sqlite", POSTGRESQL], indirect=True)
def test_tokens_a_slow_read_got_before_a_write_never_replace_the_newer_ones(engine):
    _listening(engine)
    fetch = Fetches(engine)

    def meanwhile() -> None:
        """While the slow read is between its query and remembering: a write, and another thread's read of it."""
        _set_token(engine, "reviews", 11)
        _wait_until(lambda: version_watch.tokens(engine, SCOPES, fetch) == (0, 11), "the write was missed")

    assert version_watch.tokens(engine, SCOPES, Fetches(engine, before=meanwhile)) == (0, 0)  # read before the write
    if engine.dialect.name == "sqlite":
        assert version_watch.tokens(engine, SCOPES, fetch) == (0, 11)
    else:  # both reads may come before the write's notification: the old tokens last until it arrives
        _wait_until(lambda: version_watch.tokens(engine, SCOPES, fetch) == (0, 11), "the old tokens stayed")


@pytest.mark.parametrize("backend", [POSTGRESQL], indirect=True)
def test_a_write_of_this_process_is_seen_at_once_and_a_truncation_is_heard(app, db, engine):
    _listening(engine)
    fetch = Fetches(engine)
    version_watch.tokens(engine, SCOPES, fetch)
    with app.app_context():
        read_versions.bump(db.session, ["reviews:sku-1"])
        db.session.commit()
        written = db.session.scalar(sa.select(read_versions.ReadVersion.version).filter_by(scope="reviews:sku-1"))
    assert version_watch.tokens(engine, SCOPES, fetch) == (written, 0)  # no waiting for the notification
    with psycopg.connect(_libpq(engine.url), autocommit=True) as other:
        other.execute("TRUNCATE journeykit_read_versions")
    _wait_until(lambda: version_watch.tokens(engine, SCOPES, fetch) == (0, 0), "the truncation was not heard")


def _listeners(engine: sa.Engine) -> int:
    with engine.connect() as connection:
        return connection.exec_driver_sql(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN %%'"
        ).scalar_one()


@pytest.mark.parametrize("backend", [POSTGRESQL], indirect=True)
def test_a_lost_listener_makes_every_read_ask_until_it_is_back(engine):
    _listening(engine)
    fetch = Fetches(engine)
    version_watch.tokens(engine, SCOPES, fetch)
    with engine.connect() as connection:
        killed = connection.exec_driver_sql(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND query LIKE 'LISTEN %%'").scalars().all()
    assert killed == [True]
    _set_token(engine, "reviews", 5)  # while nobody listens
    _wait_until(lambda: version_watch.tokens(engine, SCOPES, fetch) == (0, 5), "a change went unheard")
    _listening(engine)  # connected again
    assert _listeners(engine) == 1
    _set_token(engine, "reviews", 6)
    _wait_until(lambda: version_watch.tokens(engine, SCOPES, fetch) == (0, 6), "the new listener hears nothing")


@pytest.mark.parametrize("backend", [POSTGRESQL], indirect=True)
def test_disposing_the_engine_lets_go_of_the_listener_and_a_new_one_starts_on_use(engine):
    _listening(engine)
    assert _listeners(engine) == 1
    engine.dispose()
    _wait_until(lambda: _listeners(engine) == 0, "the disposed engine's listener kept its connection")
    version_watch.tokens(engine, SCOPES, Fetches(engine))
    _listening(engine)
    assert _listeners(engine) == 1


@pytest.mark.parametrize("backend", ["sqlite", POSTGRESQL], indirect=True)
def test_a_disposed_engine_s_watcher_is_not_used_again_and_its_tokens_are_asked_anew(engine):
    _listening(engine)
    fetch = Fetches(engine)
    version_watch.tokens(engine, SCOPES, fetch)
    assert version_watch.known(engine, SCOPES) == (0, 0)
    engine.dispose()  # as a test does before dropping its database, which may then be made again with other tokens
    assert version_watch.known(engine, SCOPES, start=False) is None
    _listening(engine)
    assert version_watch.tokens(engine, SCOPES, fetch) == (0, 0) and fetch.count == 2


@pytest.mark.parametrize("backend", [POSTGRESQL], indirect=True)
def test_a_forked_worker_dropping_its_copy_of_the_pool_leaves_its_parent_s_watcher_alone(engine):
    """gunicorn's ``--preload``: a worker may dispose of the engine it inherited (``close=False``), and its copy of
    the old pool ends there; the watcher it names is the parent's, whose wake-up pipe the worker shares."""
    _listening(engine)
    watcher = version_watch._current(engine)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # fork() beside threads: the child only disposes
        child = os.fork()
    if child == 0:
        try:
            engine.dispose(close=False)
            gc.collect()  # the old pool's records and the pool refer to each other: a collection ends it
        finally:
            os._exit(0)
    os.waitpid(child, 0)
    woken, _, _ = select.select([watcher._wake_up], [], [], 0)  # type: ignore[union-attr]
    assert woken == []  # a byte there would wake the parent's listener at every turn: a busy loop
    fetch = Fetches(engine)
    _set_token(engine, "reviews", 4)
    _wait_until(lambda: version_watch.tokens(engine, SCOPES, fetch) == (0, 4), "the parent's watcher went deaf")


@pytest.mark.parametrize("backend", ["sqlite", POSTGRESQL], indirect=True)
def test_the_watcher_leaves_the_shop_s_engine_without_listeners(app, client, engine):
    """An engine listener would make every statement of the shop's own requests dispatch events (8 % of a plain
    route, measured by ``bench/wsgi_cost.py``): the watcher learns of ``engine.dispose()`` from its pool's end."""
    _listening(engine)
    assert client.get("/journeykit/api/v1/products/sku-1/rating").status_code == 200
    assert not engine._has_events  # SQLAlchemy's own flag: set by any listener of the engine's connection events


@pytest.mark.parametrize("backend", [MARIADB], indirect=True)
def test_without_a_watcher_every_read_asks(engine):
    fetch = Fetches(engine)
    assert not version_watch.watching(engine)
    for _ in range(3):
        version_watch.tokens(engine, SCOPES, fetch)
    assert fetch.count == 3


@pytest.fixture
def memory_engine() -> Iterator[sa.Engine]:
    engine = sa.create_engine("sqlite://")
    yield engine
    engine.dispose()


def test_an_in_memory_sqlite_database_has_no_watcher(memory_engine: Any):
    assert not version_watch.watching(memory_engine)
