"""Second Chapter, a second-hand bookshop: the kind of Flask shop JourneyKit mounts into.

It is built the way many Flask shops are and nothing like the demo shop: an
application factory, extensions created unbound in :mod:`.extensions`,
blueprints, Flask-Login for its customers, Flask-WTF's CSRF protection on
every form, and a dark design.  JourneyKit is mounted in :mod:`.journey` with
the README's "Mount JourneyKit in your shop" lines and nothing else;
tests/test_example_bookshop.py boots it on every supported database and
browses it in Chromium.

    .venv/bin/flask --app examples.bookshop seed     # tables, JourneyKit's too, and a few books
    .venv/bin/flask --app examples.bookshop run

Settings come from the environment: ``BOOKSHOP_DATABASE_URL`` (SQLite in the
instance folder by default) and ``BOOKSHOP_SECRET_KEY``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask

from . import auth, catalog, journey
from .extensions import csrf, db, login_manager
from .seed import seed_command


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """The shop's app factory: its settings, its extensions, its blueprints, and JourneyKit."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.update(
        SECRET_KEY=os.environ.get("BOOKSHOP_SECRET_KEY", "dev-only-change-me"),
        SQLALCHEMY_DATABASE_URI=os.environ.get("BOOKSHOP_DATABASE_URL", "sqlite:///bookshop.sqlite3"),
    )
    app.config.update(config or {})
    db.init_app(app)
    login_manager.init_app(app)
    csrf.init_app(app)
    app.register_blueprint(catalog.bp)
    app.register_blueprint(auth.bp)
    journey.mount(app)
    app.cli.add_command(seed_command)
    return app
