"""Running JourneyKit's own Alembic migrations in the shop's database.

JourneyKit's revisions live in the ``journeykit.migrations`` package, keep
their own version table (``journeykit_alembic_version``) and only ever see
tables named ``journeykit_…``.  Alembic is driven directly with the shop's
engine: a shop using Flask-Migrate already owns ``app.extensions["migrate"]``.
"""

from __future__ import annotations

import io
from contextlib import contextmanager
from typing import Any, Callable, Iterator

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask, appcontext_pushed, current_app

from .db import VERSION_TABLE, UTCDateTime, engine, is_journeykit_object, metadata
from .errors import ServiceUnavailable

SCRIPT_LOCATION = "journeykit.migrations:."
#: Revision files are named for the day they were written: ``2026_11_22_<rev>_<slug>.py``.
FILE_TEMPLATE = "%%(year)d_%%(month).2d_%%(day).2d_%%(rev)s_%%(slug)s"


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Alembic filter for JourneyKit's environment: its own tables only."""
    return is_journeykit_object(name, type_, obj)


def context_options() -> dict[str, Any]:
    """What JourneyKit's ``env.py`` passes to ``context.configure``."""
    return {
        "target_metadata": metadata,
        "version_table": VERSION_TABLE,
        "include_object": include_object,
        # SQLite cannot ALTER most things; batch mode recreates the table instead.
        "render_as_batch": True,
        "compare_type": True,
        "render_item": _render_item,
    }


def _render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Write JourneyKit's column types as plain SQLAlchemy types in revision files.

    Revisions must not import model code that may change after them.
    """
    if type_ == "type" and isinstance(obj, UTCDateTime):
        autogen_context.imports.add("from sqlalchemy.dialects import mysql")
        return "sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), 'mysql', 'mariadb')"
    return False


@contextmanager
def _alembic(sql_output: io.TextIOBase | None = None) -> Iterator[Config]:
    """An Alembic config bound to JourneyKit's engine (call inside an app context)."""
    cfg = Config(output_buffer=sql_output)
    cfg.set_main_option("script_location", SCRIPT_LOCATION)
    cfg.set_main_option("file_template", FILE_TEMPLATE)
    if sql_output is not None:
        cfg.attributes["url"] = engine().url
        yield cfg
        return
    with engine().begin() as connection:
        cfg.attributes["connection"] = connection
        yield cfg


def upgrade(revision: str = "head", *, sql_output: io.TextIOBase | None = None) -> None:
    """Bring JourneyKit's tables to ``revision``; a no-op when already there.

    With ``sql_output``, write the SQL instead of running it (for a DBA).
    """
    with _alembic(sql_output) as cfg:
        command.upgrade(cfg, revision, sql=sql_output is not None)


def downgrade(revision: str) -> None:
    """Take JourneyKit's tables back to ``revision``.

    ``base`` removes JourneyKit from the database: every table, and Alembic's
    version table too, which Alembic itself would leave behind.
    """
    with _alembic() as cfg:
        command.downgrade(cfg, revision)
        if revision == "base":
            sa.Table(VERSION_TABLE, sa.MetaData()).drop(cfg.attributes["connection"], checkfirst=True)


def head_revision() -> str:
    """The newest revision JourneyKit ships."""
    cfg = Config()
    cfg.set_main_option("script_location", SCRIPT_LOCATION)
    return ScriptDirectory.from_config(cfg).get_current_head()


def current_revision() -> str | None:
    """The revision JourneyKit's tables are at, or ``None`` before the first upgrade."""
    with engine().connect() as connection:
        return MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE}).get_current_revision()


class SchemaBehind(ServiceUnavailable):
    """JourneyKit's tables are missing or older than this version of JourneyKit (a 503 on its own routes)."""

    error_code = "tables_not_ready"


def ensure_current() -> None:
    """Raise :class:`SchemaBehind`, saying what to run, unless JourneyKit's tables are at the newest revision.

    Checked once per app, on its first request to JourneyKit or first widget,
    so a deployment that forgot the upgrade fails with this message instead of
    a database error on some page later.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if app.extensions["journeykit"].schema_checked:
        return
    current, head = current_revision(), head_revision()
    if current != head:
        raise SchemaBehind(
            f"JourneyKit's tables are {'missing' if current is None else f'at revision {current}'}, not at {head}: "
            "run `flask journeykit db upgrade` (in a shop's tests: journey.create_all())."
        )
    app.extensions["journeykit"].schema_checked = True


def pending_changes() -> list[Any]:
    """Differences between the models and the database (empty when they agree)."""
    with engine().connect() as connection:
        context = MigrationContext.configure(connection, opts=context_options())
        return compare_metadata(context, metadata)


def revision(message: str, *, autogenerate: bool = True) -> None:
    """Write a new revision file (for JourneyKit's own developers)."""
    with _alembic() as cfg:
        command.revision(cfg, message=message, autogenerate=autogenerate)


def exclude_from_shop_migrations(app: Flask) -> None:
    """Keep the shop's Flask-Migrate autogenerate from proposing to drop JourneyKit's tables.

    Flask-Migrate may be set up before or after JourneyKit, so the filter is
    added when an app context is first pushed (every ``flask db`` command
    pushes one before Alembic reads its options).  A filter the shop set
    itself is kept and still applies to its own tables.
    """

    def add_filter(sender: Flask, **extra: Any) -> None:
        migrate = sender.extensions.get("migrate")
        if migrate is None or getattr(migrate, "_journeykit_filtered", False):
            return
        migrate.configure_args["include_object"] = _without_journeykit(
            migrate.configure_args.get("include_object")
        )
        migrate._journeykit_filtered = True

    appcontext_pushed.connect(add_filter, app, weak=False)


def _without_journeykit(shop_filter: Callable[..., bool] | None) -> Callable[..., bool]:
    def include(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        if is_journeykit_object(name, type_, obj) or name == VERSION_TABLE:
            return False
        return shop_filter(obj, name, type_, reflected, compare_to) if shop_filter else True

    return include
