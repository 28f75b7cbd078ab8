"""A shop's own tests: one call brings their database to JourneyKit's schema; a forgotten upgrade says so."""

from __future__ import annotations

import logging

from flask import Flask, render_template_string
from flask_sqlalchemy import SQLAlchemy

from journeykit import JourneyKit

PAGE = "<h1>Mug</h1>{{ journeykit.rating('sku-1') }}{{ journeykit.reviews('sku-1') }}"


def _shop(database_url: str) -> tuple[Flask, SQLAlchemy, JourneyKit]:
    """A shop as a developer writes one: its own db, JourneyKit mounted, one page with widgets."""
    app = Flask("their_shop")
    app.config.update(TESTING=True, SECRET_KEY="s", SQLALCHEMY_DATABASE_URI=database_url)
    db = SQLAlchemy(app)
    journey = JourneyKit(app, db=db)
    app.add_url_rule("/mug", "mug", lambda: render_template_string(PAGE))
    return app, db, journey


def test_create_all_brings_a_test_database_to_journeykits_schema(database_url):
    app, db, journey = _shop(database_url)
    with app.app_context():
        db.create_all()  # the shop's own tables, as its fixtures already do
        journey.create_all()
        journey.create_all()  # again: nothing to do
    client = app.test_client()
    assert client.get("/journeykit/api/v1/products/sku-1/rating").json["count"] == 0
    page = client.get("/mug").get_data(as_text=True)
    assert "journeykit-rating" in page or "No reviews" in page
    with app.app_context():
        db.engine.dispose()


def test_forgotten_tables_are_named_not_a_database_error(database_url, caplog):
    app, db, journey = _shop(database_url)
    with app.app_context():
        db.create_all()
    client = app.test_client()
    answer = client.get("/journeykit/api/v1/products/sku-1/rating")
    assert answer.status_code == 503
    assert answer.json["error"]["code"] == "tables_not_ready"
    assert "flask journeykit db upgrade" in answer.json["error"]["message"]
    caplog.set_level(logging.ERROR, logger="journeykit")
    page = client.get("/mug")
    assert page.status_code == 200 and "<h1>Mug</h1>" in page.get_data(as_text=True)
    assert "<!-- JourneyKit: JourneyKit&#39;s tables are missing" in page.get_data(as_text=True)
    assert any("flask journeykit db upgrade" in record.getMessage() for record in caplog.records)
    with app.app_context():
        journey.create_all()
    assert client.get("/journeykit/api/v1/products/sku-1/rating").status_code == 200
    assert "JourneyKit's tables" not in client.get("/mug").get_data(as_text=True)
    with app.app_context():
        db.engine.dispose()


def test_widgets_do_not_run_the_shops_context_processors_again(database_url):
    app, db, journey = _shop(database_url)
    calls = []

    @app.context_processor
    def shop_globals():  # a host's processor, often with a query or two of its own
        calls.append(1)
        return {"basket_count": 0}

    with app.app_context():
        db.create_all()
        journey.create_all()
    page = app.test_client().get("/mug")
    assert page.status_code == 200 and "journeykit-reviews" in page.get_data(as_text=True)
    assert len(calls) == 1  # the page's own render, none for its two widgets
    with app.app_context():
        db.engine.dispose()


def test_a_page_links_widgets_css_once_and_browsers_may_keep_it(database_url):
    app, db, journey = _shop(database_url)
    with app.app_context():
        db.create_all()
        journey.create_all()
    client = app.test_client()
    page = client.get("/mug").get_data(as_text=True)
    assert page.count("journeykit/widgets.css") == 1  # two widgets, one stylesheet
    fragment = client.get("/journeykit/widgets/rating?product=sku-1").get_data(as_text=True)
    assert fragment.count("journeykit/widgets.css") == 1  # a fragment on its own still carries it
    css = client.get("/journeykit/static/journeykit/widgets.css")
    assert css.status_code == 200 and css.cache_control.max_age == 86400 and css.headers.get("ETag")
    css.close()
    with app.app_context():
        db.engine.dispose()
