"""JourneyKit's own migrations, in the shop's database, beside the shop's own history."""

from __future__ import annotations

import datetime as dt
import io
import logging
from typing import Iterator

import pytest
import sqlalchemy as sa
from flask_migrate import Migrate
from flask_migrate import init as shop_db_init
from flask_migrate import migrate as shop_db_migrate
from flask_migrate import upgrade as shop_db_upgrade

from journeykit.core import migrate
from journeykit.core.db import VERSION_TABLE, metadata

from .conftest import make_shop

HEAD = migrate.head_revision()


def _tables(db, bind=None) -> set[str]:
    return set(sa.inspect(db.engines[bind]).get_table_names())


def _run(app, *args: str):
    result = app.test_cli_runner().invoke(args=["journeykit", "db", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_migrated_schema_equals_the_models(shop_factory):
    app, db, _ = shop_factory(migrate=False)
    assert "at revision " + HEAD in _run(app, "upgrade")
    with app.app_context():
        assert migrate.pending_changes() == []
        journeykit_tables = {t for t in _tables(db) if t.startswith("journeykit_")}
        assert journeykit_tables == {*metadata.tables, VERSION_TABLE}
        assert {"journeykit_customers", "journeykit_orders", "journeykit_reviews"} <= journeykit_tables
    assert "match its models" in _run(app, "check")


def test_upgrade_is_idempotent_and_downgrade_leaves_the_shop_alone(shop_factory):
    app, db, _ = shop_factory(migrate=False)
    _run(app, "upgrade")
    _run(app, "upgrade")
    assert _run(app, "current").strip() == HEAD
    _run(app, "downgrade", "base")
    with app.app_context():
        assert _tables(db) == {"products"}
        assert migrate.current_revision() is None
    _run(app, "upgrade")
    with app.app_context():
        assert migrate.pending_changes() == []


def test_upgrade_sql_prints_without_touching_the_database(shop_factory):
    app, db, _ = shop_factory(migrate=False)
    output = _run(app, "upgrade", "--sql")
    assert "CREATE TABLE journeykit_orders" in output
    with app.app_context():
        assert _tables(db) == {"products"}


def test_check_fails_when_the_database_lags_behind(shop_factory):
    app, _, _ = shop_factory(migrate=False)
    result = app.test_cli_runner().invoke(args=["journeykit", "db", "check"])
    assert result.exit_code == 1
    assert "journeykit_orders" in result.output


@pytest.fixture
def keep_loggers() -> Iterator[None]:
    """Flask-Migrate's env.py calls logging.fileConfig, which disables every other logger."""
    before = {name: logging.getLogger(name).disabled for name in list(logging.root.manager.loggerDict)}
    yield
    for name, disabled in before.items():
        logging.getLogger(name).disabled = disabled


def _shop_state(db) -> tuple[str, list[str]]:
    """The shop's Alembic revision and the names in its ``products`` table."""
    revision = db.session.scalar(sa.text("SELECT version_num FROM alembic_version"))
    names = list(db.session.scalars(sa.text("SELECT name FROM products ORDER BY id")))
    return revision, names


@pytest.mark.parametrize("migrate_first", [True, False], ids=["migrate-before", "migrate-after"])
def test_shop_with_its_own_flask_migrate_history_keeps_both_untouched(database_url, tmp_path, keep_loggers, migrate_first):
    """The shop's history, version table and rows survive JourneyKit's upgrade and downgrade, and the
    shop's own autogenerate never proposes an operation on JourneyKit's tables (in either set-up order)."""
    directory = str(tmp_path / "shop_migrations")
    setup = (lambda app, db: Migrate(app, db, directory=directory)) if migrate_first else None
    app, db, _ = make_shop(database_url, before_journeykit=setup)
    if not migrate_first:
        Migrate(app, db, directory=directory)
    versions = tmp_path / "shop_migrations" / "versions"
    try:
        with app.app_context():
            shop_db_init(directory)
            shop_db_migrate(directory, message="shop tables")
            shop_db_upgrade(directory)
            db.session.execute(sa.text("INSERT INTO products (name) VALUES ('Mug')"))
            db.session.commit()
            before = _shop_state(db)
            shop_files = set(versions.iterdir())
            assert len(shop_files) == 1 and before[0] is not None

            migrate.upgrade()
            assert _shop_state(db) == before
            assert _tables(db) == {"products", "alembic_version", VERSION_TABLE, *metadata.tables}

            # Without the filter this writes a revision dropping every journeykit_ table.
            shop_db_migrate(directory, message="nothing should change")
            assert set(versions.iterdir()) == shop_files

            migrate.downgrade("base")
            assert _tables(db) == {"products", "alembic_version"}
            assert _shop_state(db) == before
            db.session.remove()
    finally:
        with app.app_context():
            for engine in db.engines.values():
                engine.dispose()


def test_a_filter_the_shop_set_keeps_working(database_url, tmp_path):
    seen: list[str] = []

    def shop_filter(obj, name, type_, reflected, compare_to):
        seen.append(name)
        return name != "legacy_table"

    app, db, _ = make_shop(database_url, before_journeykit=lambda a, d: Migrate(a, d, include_object=shop_filter))
    with app.app_context():
        include = app.extensions["migrate"].configure_args["include_object"]
        assert include(None, "journeykit_orders", "table", True, None) is False
        assert include(None, "legacy_table", "table", True, None) is False
        assert include(None, "products", "table", True, None) is True
        assert seen == ["legacy_table", "products"]
        for engine in db.engines.values():
            engine.dispose()


def test_bind_key_puts_journeykit_in_its_own_database(journey_bind_shop):
    app, db, journey = journey_bind_shop
    assert "at revision " + HEAD in _run(app, "upgrade")
    with app.test_request_context():
        token = journey.customer_token("c-1", email="c1@example.com")
    response = app.test_client().get("/journeykit/api/v1/me/loyalty", headers={"X-JourneyKit-Customer": token})
    assert response.status_code == 200, response.json
    with app.app_context():
        assert _tables(db) == {"products"}
        assert _tables(db, "journeykit") == {*metadata.tables, VERSION_TABLE}
        assert migrate.pending_changes() == []
        with db.engines["journeykit"].connect() as connection:
            assert connection.scalar(sa.text("SELECT shop_customer_id FROM journeykit_customers")) == "c-1"


@pytest.fixture
def journey_bind_shop(tmp_path):
    """A shop on one SQLite file whose ``journeykit`` bind is another; only the shop's tables created."""
    config = {
        "SQLALCHEMY_BINDS": {"journeykit": f"sqlite:///{tmp_path}/journeykit.sqlite3"},
        "JOURNEYKIT_BIND_KEY": "journeykit",
    }
    app, db, journey = make_shop(f"sqlite:///{tmp_path}/shop.sqlite3", config)
    with app.app_context():
        db.create_all()
    yield app, db, journey
    with app.app_context():
        db.session.remove()
        for engine in db.engines.values():
            engine.dispose()
    metadata.info.pop("bind_key", None)


def test_two_apps_disagreeing_on_the_bind_are_refused(tmp_path):
    make_shop(f"sqlite:///{tmp_path}/a.sqlite3", {"JOURNEYKIT_BIND_KEY": None})
    metadata.info["bind_key"] = None
    with pytest.raises(RuntimeError, match="JOURNEYKIT_BIND_KEY"):
        from flask import Flask
        from flask_sqlalchemy import SQLAlchemy

        from journeykit import JourneyKit

        other = Flask("other")
        other.config.update(SECRET_KEY="x", SQLALCHEMY_DATABASE_URI="sqlite://", SQLALCHEMY_BINDS={"jk": "sqlite://"},
                            JOURNEYKIT_BIND_KEY="jk")
        JourneyKit(other, db=SQLAlchemy(other))
    metadata.info.pop("bind_key", None)


def test_sql_output_is_written_to_the_stream_given(shop_factory):
    app, _, _ = shop_factory(migrate=False)
    out = io.StringIO()
    with app.app_context():
        migrate.upgrade(sql_output=out)
    assert "CREATE TABLE journeykit_stripe_events" in out.getvalue()


def test_the_owners_earning_rules_move_into_the_settings_and_back(shop_factory):
    app, db, _ = shop_factory(migrate=False)
    rules = sa.table("journeykit_loyalty_rules", sa.column("name"), sa.column("value", sa.JSON),
                     sa.column("updated_by"), sa.column("updated_at", sa.DateTime))
    settings = sa.table("journeykit_settings", sa.column("key"), sa.column("value", sa.JSON), sa.column("updated_by"))
    with app.app_context():
        migrate.upgrade("0dc0306c8d3e")
        with db.engine.begin() as connection:
            connection.execute(rules.insert(), [
                {"name": "signup", "value": 100, "updated_by": "ann", "updated_at": dt.datetime(2026, 12, 1)},
                {"name": "pending_days", "value": {"purchase": 30}, "updated_by": "bob",
                 "updated_at": dt.datetime(2026, 12, 2)}])
        migrate.upgrade()
        with db.engine.connect() as connection:
            moved = {row.key: (row.value, row.updated_by) for row in connection.execute(sa.select(settings))}
        assert moved == {"JOURNEYKIT_POINTS_SIGNUP": (100, "ann"),
                         "JOURNEYKIT_POINTS_PENDING_DAYS": ({"purchase": 30}, "bob")}
        migrate.downgrade("0dc0306c8d3e")
        with db.engine.connect() as connection:
            back = {row.name: row.value for row in connection.execute(sa.select(rules.c.name, rules.c.value))}
        assert back == {"signup": 100, "pending_days": {"purchase": 30}}
