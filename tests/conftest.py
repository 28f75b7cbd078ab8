"""Test harness: bare shops on SQLite and on real PostgreSQL and MariaDB servers the harness starts itself.

Every database test runs three times, ``[sqlite]``, ``[postgresql]`` and
``[mariadb]``.  Without a server installed its run is skipped with the
reason; with ``--require-postgres`` / ``--require-mariadb`` (CI) it fails
instead, so CI never passes untested.
"""

from __future__ import annotations

import itertools
import os
import shutil
import weakref
from contextlib import contextmanager
from typing import Any, Callable, Iterator

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from journeykit import JourneyKit
from journeykit.core import migrate as jk_migrate
from journeykit.core.db import metadata as journeykit_metadata

from . import mariadb, postgres
from .fake_stripe import FakeStripe

pytest_plugins = ["journeykit.pytest_plugin"]

ADMIN_KEY = "test-admin-key-0123456789"
_db_names = itertools.count(1)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--require-browser",
        action="store_true",
        default=os.environ.get("JOURNEYKIT_REQUIRE_BROWSER") == "1",
        help="fail, instead of skipping, the browser tests when Chromium is not installed",
    )
    parser.addoption(
        "--require-redis",
        action="store_true",
        default=os.environ.get("JOURNEYKIT_REQUIRE_REDIS") == "1",
        help="fail, instead of skipping, the tests of rate limits shared through Redis when redis-server is missing",
    )
    parser.addoption(
        "--require-postgres",
        action="store_true",
        default=os.environ.get("JOURNEYKIT_REQUIRE_POSTGRES") == "1",
        help="fail, instead of skipping, the PostgreSQL tests when no server can be started",
    )
    parser.addoption(
        "--require-mariadb",
        action="store_true",
        default=os.environ.get("JOURNEYKIT_REQUIRE_MARIADB") == "1",
        help="fail, instead of skipping, the MariaDB tests when no server can be started",
    )


def _unavailable(config: pytest.Config, server: str, reason: str) -> None:
    option, package = {"PostgreSQL": ("--require-postgres", "postgresql"), "MariaDB": ("--require-mariadb", "mariadb-server")}[server]
    if config.getoption(option):
        pytest.fail(f"{server} is required ({option}) but {reason}", pytrace=False)
    pytest.skip(f"{server} tests skipped: {reason} (install Debian's {package} package)")


#: The database servers the harness can start, by backend name: each module creates, drops and empties databases.
SERVERS = {"postgresql": postgres, "mariadb": mariadb}
#: Parameters for tests that need a real server (concurrency, several processes): each such test runs on both.
POSTGRESQL = pytest.param("postgresql", marks=pytest.mark.postgres)
MARIADB = pytest.param("mariadb", marks=pytest.mark.mariadb)
SERVER_BACKENDS = [POSTGRESQL, MARIADB]
#: Every backend: SQLite and the servers.
BACKENDS = ["sqlite", *SERVER_BACKENDS]


@pytest.fixture(scope="session")
def redis_uri(pytestconfig: pytest.Config) -> Iterator[str]:
    """The URI of a throwaway Redis server (Debian's redis-server), for limits shared by several instances."""
    if shutil.which("redis-server") is None:
        if pytestconfig.getoption("--require-redis"):
            pytest.fail("Redis is required (--require-redis) but redis-server is not installed", pytrace=False)
        pytest.skip("Redis tests skipped: install Debian's redis-server package")
    from .redis_server import throwaway_redis

    with throwaway_redis() as uri:
        yield uri


@contextmanager
def _server(config: pytest.Config, name: str, env: str, binary: str | None, missing: str,
            start: Callable[[str], Any]) -> Iterator[str]:
    """The URL in ``env`` if set, else a throwaway server started from ``binary`` (skipped or failed without one)."""
    given = os.environ.get(env)
    if given:
        yield given
        return
    if binary is None:
        _unavailable(config, name, missing)
    with start(binary) as url:
        yield url


@pytest.fixture(scope="session")
def postgresql_server(pytestconfig: pytest.Config) -> Iterator[str]:
    """A PostgreSQL server URL: ``JOURNEYKIT_TEST_POSTGRES`` if set, else a throwaway cluster."""
    with _server(pytestconfig, "PostgreSQL", "JOURNEYKIT_TEST_POSTGRES", postgres.find_bin_dir(),
                 "no PostgreSQL server binaries (initdb) were found", postgres.throwaway_cluster) as url:
        yield url


@pytest.fixture(scope="session")
def mariadb_server(pytestconfig: pytest.Config) -> Iterator[str]:
    """A MariaDB server URL: ``JOURNEYKIT_TEST_MARIADB`` if set, else a throwaway server."""
    with _server(pytestconfig, "MariaDB", "JOURNEYKIT_TEST_MARIADB", mariadb.find_server(),
                 "no MariaDB server binary (mariadbd) was found", mariadb.throwaway_server) as url:
        yield url


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Which database a test runs on: every database test runs on each in turn."""
    return request.param


#: The shops :func:`make_shop` made, by database URL (weakly: a shop that is gone needs nothing).
_shops_on: dict[str, weakref.WeakSet[Flask]] = {}


@contextmanager
def server_database(request: pytest.FixtureRequest, backend: str, prefix: str) -> Iterator[str]:
    """A new, empty database on ``backend``'s server (started on first use), dropped afterwards.

    Before the drop, the pooled connections of every shop made on it are
    closed: dropping a database kills them on the server, and psycopg would
    report each as "deleted while still open" whenever the garbage collector
    reached it, in whatever test was running then.
    """
    server, name = request.getfixturevalue(f"{backend}_server"), f"{prefix}_{os.getpid()}_{next(_db_names)}"
    url = SERVERS[backend].create_database(server, name)
    try:
        yield url
    finally:
        for app in list(_shops_on.pop(url, ())):
            with app.app_context():
                app.extensions["sqlalchemy"].session.remove()
                for engine in app.extensions["sqlalchemy"].engines.values():
                    engine.dispose()
        SERVERS[backend].drop_database(server, name)


@contextmanager
def any_database(request: pytest.FixtureRequest, backend: str, folder: Any, prefix: str = "shop") -> Iterator[str]:
    """A new, empty database on any backend: a SQLite file in ``folder``, or one on a server."""
    if backend == "sqlite":
        yield f"sqlite:///{folder}/{prefix}.sqlite3"
        return
    with server_database(request, backend, prefix) as url:
        yield url


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[str]:
    """A fresh, empty database for one test."""
    with any_database(request, backend, tmp_path) as url:
        yield url


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite file holding a bare shop with every migration applied, copied for each test."""
    path = tmp_path_factory.mktemp("template") / "shop.sqlite3"
    _migrate_bare_shop(f"sqlite:///{path}")
    return str(path)


@pytest.fixture(scope="session")
def migrated_postgresql(request: pytest.FixtureRequest) -> Iterator[str]:
    """One migrated PostgreSQL database for the session, emptied after each test that used it.

    Creating and migrating a database per test costs about half a second on
    PostgreSQL (more on MariaDB); emptying the tables costs a few milliseconds.
    """
    with server_database(request, "postgresql", "migrated") as url:
        _migrate_bare_shop(url)
        yield url


@pytest.fixture(scope="session")
def migrated_mariadb(request: pytest.FixtureRequest) -> Iterator[str]:
    """One migrated MariaDB database for the session, emptied after each test that used it."""
    with server_database(request, "mariadb", "migrated") as url:
        _migrate_bare_shop(url)
        yield url


def _migrate_bare_shop(url: str) -> None:
    app, db, _ = make_shop(url)
    with app.app_context():
        db.create_all()
        jk_migrate.upgrade()
        db.session.remove()
        db.engine.dispose()


def _migrated_database(backend: str, request: pytest.FixtureRequest, tmp_path: Any) -> str:
    """A migrated, empty bare shop for this test: a copy of the SQLite template, or the server's shared one."""
    if backend == "sqlite":
        path = tmp_path / "shop.sqlite3"
        shutil.copyfile(request.getfixturevalue("migrated_template"), path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue(f"migrated_{backend}")
    request.addfinalizer(lambda: SERVERS[backend].empty_database(url))
    return url


def make_shop(
    database_url: str,
    config: dict[str, Any] | None = None,
    *,
    before_journeykit: Callable[[Flask, SQLAlchemy], None] | None = None,
    **journey_kwargs: Any,
) -> tuple[Flask, SQLAlchemy, JourneyKit]:
    """A bare shop: a Flask app, its own ``db`` with a model of its own, and JourneyKit.

    ``before_journeykit(app, db)`` sets up other extensions first (e.g. Flask-Migrate).
    """
    journeykit_metadata.info.pop("bind_key", None)
    app = Flask("shop")
    app.config.update(
        {
            "TESTING": True,
            "SECRET_KEY": "shop-secret",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "JOURNEYKIT_ADMIN_API_KEYS": [ADMIN_KEY],
            "JOURNEYKIT_STRIPE_WEBHOOK_SECRET": "whsec_test_secret",
            **(config or {}),
        }
    )

    class ShopBase(DeclarativeBase):  # a registry per shop, as in separate processes
        pass

    db = SQLAlchemy(app, model_class=ShopBase)
    if not database_url.startswith("sqlite"):
        _shops_on.setdefault(database_url, weakref.WeakSet()).add(app)

    class Product(db.Model):  # type: ignore[name-defined]
        __tablename__ = "products"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(sa.String(200))

    app.extensions["shop_models"] = {"Product": Product}
    if before_journeykit is not None:
        before_journeykit(app, db)
    journey = JourneyKit(app, db=db, **journey_kwargs)
    return app, db, journey


@pytest.fixture
def shop_factory(backend: str, request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[Callable[..., tuple[Flask, SQLAlchemy, JourneyKit]]]:
    """``shop_factory(config={...})`` → ``(app, db, journey)``, with all tables in place.

    ``migrate=False`` gives an empty database (``database_url``).  A plain
    migrated shop starts from an already migrated, empty database instead of
    running the migrations again; later calls in the same test share it.
    """
    made: list[tuple[Flask, SQLAlchemy]] = []
    urls: list[str] = []

    def factory(config: dict[str, Any] | None = None, *, migrate: bool = True, **kwargs: Any):
        if not urls:
            plain = migrate and not kwargs and "JOURNEYKIT_BIND_KEY" not in (config or {})
            urls.append(_migrated_database(backend, request, tmp_path) if plain else request.getfixturevalue("database_url"))
        app, db, journey = make_shop(urls[0], config, **kwargs)
        with app.app_context():
            db.create_all()
            if migrate:
                jk_migrate.upgrade()
        made.append((app, db))
        return app, db, journey

    yield factory
    for app, db in made:
        with app.app_context():
            db.session.remove()
            for engine in db.engines.values():
                engine.dispose()


@pytest.fixture
def shop(shop_factory) -> tuple[Flask, SQLAlchemy, JourneyKit]:
    return shop_factory()


@pytest.fixture
def app(shop) -> Flask:
    """The bare shop's app (pytest-flask's ``client`` uses it)."""
    return shop[0]


@pytest.fixture
def journey(shop) -> JourneyKit:
    return shop[2]


@pytest.fixture
def db(shop) -> SQLAlchemy:
    return shop[1]


#: Debian's Chromium, as ../shared/RECIPES.md runs it here (no sandbox as root, no network chatter).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any], pytestconfig: pytest.Config) -> dict[str, Any]:
    """Playwright drives the system's Chromium (``playwright install`` cannot download one here)."""
    executable = shutil.which("chromium")
    if executable is None:
        reason = "Chromium is not installed (apt-get install chromium)"
        if pytestconfig.getoption("--require-browser"):
            pytest.fail(f"Browser tests are required (--require-browser) but {reason}", pytrace=False)
        pytest.skip(f"Browser tests skipped: {reason}")
    return {**browser_type_launch_args, "executable_path": executable, "args": CHROMIUM_ARGS}


@pytest.fixture
def fake_stripe() -> Iterator[FakeStripe]:
    """The local stand-in for Stripe's HTTP API (point ``JOURNEYKIT_STRIPE_API_BASE`` at its ``url``)."""
    fake = FakeStripe()
    yield fake
    fake.close()


@pytest.fixture
def admin_headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {ADMIN_KEY}"}


@pytest.fixture
def shopper(journey: JourneyKit) -> Callable[..., dict[str, str]]:
    """Headers that identify a shopper by a signed customer token: ``shopper("c-1", name="Ann")``."""

    def headers(customer_id: str, name: str | None = None) -> dict[str, str]:
        return {"X-JourneyKit-Customer": journey.customer_token(customer_id, email=f"{customer_id}@example.com", name=name)}

    return headers
