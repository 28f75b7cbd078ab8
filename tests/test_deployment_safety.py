"""Running as a real shop does: several workers and instances, a database that restarts, hostile frames."""

from __future__ import annotations

import logging
import multiprocessing

import pytest
import redis
import sqlalchemy as sa
from flask import Flask
from flask_sqlalchemy import SQLAlchemy

from journeykit import JourneyKit

from .conftest import SERVER_BACKENDS, make_shop

TESTIMONIALS = "/journeykit/api/v1/testimonials"
REVIEW = {"rating": 5, "body": "Lovely."}


def _testimonial(client, name: str = "Ann", **kwargs):
    return client.post(TESTIMONIALS, json={"name": name, "body": "A lovely shop.", "consent": True}, **kwargs)


def test_anonymous_testimonials_are_rate_limited_by_address(client):
    answers = [_testimonial(client, f"Person {n}").status_code for n in range(6)]
    assert answers == [201] * 5 + [429]
    refused = _testimonial(client)
    assert refused.json["error"]["code"] == "rate_limited" and int(refused.headers["Retry-After"]) > 0
    other = _testimonial(client, environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert other.status_code == 201


def test_limits_in_redis_hold_across_instances(shop_factory, redis_uri):
    """Two instances (two apps, two limiters) share one count through Redis; in memory each would count alone."""
    config = {"JOURNEYKIT_RATELIMIT_STORAGE_URI": redis_uri, "JOURNEYKIT_TESTIMONIALS_RATE_LIMIT": "3 per hour",
              "JOURNEYKIT_URL_PREFIX": "/journeykit"}
    redis.Redis.from_url(redis_uri).flushdb()  # one server for the session: start from no counts
    first, _, _ = shop_factory(config)
    second, _, _ = shop_factory(config)
    one, two = first.test_client(), second.test_client()
    address = {"environ_base": {"REMOTE_ADDR": "198.51.100.7"}}
    answers = [_testimonial(client, f"P{n}", **address).status_code for n, client in enumerate((one, two, one, two))]
    assert answers == [201, 201, 201, 429]


def test_counting_in_memory_under_several_workers_is_warned_of_once(client, caplog):
    caplog.set_level(logging.WARNING, logger="journeykit")
    for name in ("Ann", "Bob"):  # as gunicorn with two workers or more says of itself
        _testimonial(client, name, environ_overrides={"wsgi.multiprocess": True})
    warnings = [record for record in caplog.records if "several worker processes" in record.getMessage()]
    assert len(warnings) == 1 and "redis://" in warnings[0].getMessage()


def test_one_process_counting_in_memory_is_not_warned_of(client, caplog):
    caplog.set_level(logging.WARNING, logger="journeykit")
    _testimonial(client)
    assert not [record for record in caplog.records if "several worker processes" in record.getMessage()]


def test_the_owners_pages_cannot_be_framed(client, admin_headers):
    for path in ("/journeykit/admin/", "/journeykit/admin/reviews", "/journeykit/admin/stripe", "/journeykit/admin/webhooks"):
        response = client.get(path, headers=admin_headers)
        assert response.status_code == 200, path
        assert response.headers["X-Frame-Options"] == "DENY"
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize("backend", SERVER_BACKENDS, indirect=True)
def test_journeykits_own_database_survives_a_restart_of_the_server(database_url, backend):
    """Pooled connections that the server dropped (a restart, a failover) are replaced, not answered with a 500."""
    app = Flask("bare")
    app.config.update(TESTING=True, SECRET_KEY="s", SQLALCHEMY_DATABASE_URI=database_url)
    JourneyKit(app)  # no db given: JourneyKit makes the Flask-SQLAlchemy instance
    with app.app_context():
        from journeykit.core import migrate

        migrate.upgrade()
    client = app.test_client()
    assert client.get("/journeykit/api/v1/testimonials").status_code == 200  # leaves a connection in the pool
    terminator = sa.create_engine(database_url)  # drops every other connection, as a restart would
    with terminator.connect() as connection:
        if backend == "postgresql":
            connection.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                       "WHERE datname = current_database() AND pid <> pg_backend_pid()"))
        else:
            others = connection.execute(sa.text("SELECT id FROM information_schema.processlist "
                                                "WHERE db = DATABASE() AND id <> CONNECTION_ID()")).scalars().all()
            assert others
            for pid in others:
                connection.execute(sa.text(f"KILL {int(pid)}"))
    terminator.dispose()
    assert client.get("/journeykit/api/v1/testimonials").status_code == 200
    db: SQLAlchemy = app.extensions["sqlalchemy"]
    with app.app_context():
        db.engine.dispose()
