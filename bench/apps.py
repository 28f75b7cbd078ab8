"""The WSGI apps that ``scripts/bench`` serves with gunicorn (``bench.apps:hello()`` and so on).

``BENCH_DATABASE_URL`` names the seeded database of the two demo-shop apps.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask

#: The Stripe webhook secret of the benchmarked shop (the driver signs its events with it).
WEBHOOK_SECRET = "whsec_bench_secret"
#: Limits far above what a 2-core machine can send: the benchmark measures work, not refusals.
UNLIMITED = {f"JOURNEYKIT_{name}_RATE_LIMIT": "1000000000 per minute"
             for name in ("REVIEWS", "TESTIMONIALS", "EVENTS", "REDEMPTIONS")}


def hello() -> Flask:
    """Flask's own ceiling on this machine: the reference every figure is divided by."""
    app = Flask(__name__)
    app.add_url_rule("/", "hello", lambda: "Hello, World!")
    return app


def beacon_floor(database_url: str | None = None) -> Flask:
    """The least a beacon stored before it is answered can cost through Flask: its JSON read, one INSERT, a commit.

    No validation, visitor, person, stage or rollup: the rate no such beacon
    can pass on this machine and database, against which the beacon row's
    own rate (and its target, a ratio to hello-world) can be read.
    """
    import sqlalchemy as sa
    from flask import jsonify, request

    engine = sa.create_engine(database_url or os.environ["BENCH_DATABASE_URL"])
    table = sa.Table("bench_beacon_floor", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
                     sa.Column("visitor_id", sa.String(64)), sa.Column("events", sa.JSON))
    table.create(engine, checkfirst=True)
    engine.dispose()  # made before gunicorn forks (--preload): each worker opens its own connections
    insert = sa.insert(table)
    app = Flask(__name__)

    @app.post("/events")
    def events() -> Any:
        body = request.get_json(force=True)
        with engine.begin() as connection:
            connection.execute(insert, {"visitor_id": body["visitor_id"], "events": body["events"]})
        return jsonify(accepted=len(body["events"]), ignored=0), 202

    return app


def shop(database_url: str | None = None) -> Flask:
    """The demo shop with JourneyKit, on the seeded database (``BENCH_DATABASE_URL`` unless given)."""
    from examples.demoshop import create_app

    return create_app(_config(database_url))


def shop_without_journeykit() -> Flask:
    """The same shop's own pages and request hooks with JourneyKit not mounted: what its routes cost on their own.

    Only routes that render no widget work here (the product picture); the
    pages' templates call JourneyKit.
    """
    from examples import demoshop
    from examples.demoshop import views, web
    from examples.demoshop.models import db

    app = Flask(demoshop.__name__, instance_path=str(Path(demoshop.__file__).resolve().parent / "instance"))
    app.config.from_mapping(demoshop.default_config())
    app.config.update(_config(), JOURNEYKIT_VISITOR_COOKIE="journeykit_visitor")  # web.py reads JourneyKit's cookie name
    db.init_app(app)
    app.register_blueprint(views.bp)
    web.install(app)
    return app


def _config(database_url: str | None = None) -> dict[str, Any]:
    return {"SQLALCHEMY_DATABASE_URI": database_url or os.environ["BENCH_DATABASE_URL"], "DEMOSHOP_SETUP_ON_START": False,
            "JOURNEYKIT_STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET, "JOURNEYKIT_STRIPE_API_KEY": None, **UNLIMITED}
