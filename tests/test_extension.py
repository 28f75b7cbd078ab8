"""Mounting JourneyKit: the extension object, its config, and coexistence with the shop."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask, render_template_string
from flask_sqlalchemy import SQLAlchemy

from journeykit import JourneyKit, config
from journeykit import migrate as jk_migrate

from .conftest import make_shop


def test_every_config_key_gets_its_default_and_the_shops_values_stay(shop_factory):
    app, _, _ = shop_factory({"JOURNEYKIT_POINTS_PER_UNIT": 5})
    for key, default in config.DEFAULTS.items():
        if key not in ("JOURNEYKIT_POINTS_PER_UNIT", "JOURNEYKIT_ADMIN_API_KEYS", "JOURNEYKIT_STRIPE_WEBHOOK_SECRET"):
            assert app.config[key] == default, key
    assert app.config["JOURNEYKIT_POINTS_PER_UNIT"] == 5
    assert app.extensions["journeykit"].journey is not None


def test_a_second_init_app_says_what_to_do(shop):
    app, db, journey = shop
    with pytest.raises(RuntimeError, match="already registered"):
        journey.init_app(app)


def test_one_object_serves_two_apps_with_their_own_data(tmp_path):
    """The app-factory pattern: ``journey = JourneyKit()`` at import, ``init_app`` per app."""
    journey = JourneyKit()
    apps = []
    for name in ("north", "south"):
        app = Flask(name)
        app.config.update(SECRET_KEY=f"{name}-secret", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/{name}.sqlite3")
        db = SQLAlchemy(app)
        journey.init_app(app)
        with app.app_context():
            jk_migrate.upgrade()
        apps.append((app, db))
    for (app, _), customer in zip(apps, ("n-1", "s-1")):
        with app.test_request_context():
            token = journey.customer_token(customer)
        assert app.test_client().get("/journeykit/api/v1/me/loyalty", headers={"X-JourneyKit-Customer": token}).status_code == 200
    (north, north_db), (south, _) = apps
    with south.test_request_context():
        south_token = journey.customer_token("s-1")
    # A token signed with the south shop's secret means nothing to the north shop.
    refused = north.test_client().get("/journeykit/api/v1/me/loyalty", headers={"X-JourneyKit-Customer": south_token})
    assert refused.status_code == 401
    with north.app_context():
        ids = north_db.session.scalars(sa.text("SELECT shop_customer_id FROM journeykit_customers")).all()
        assert ids == ["n-1"]
    for app, db in apps:
        with app.app_context():
            db.engine.dispose()


def test_the_blueprint_follows_the_url_prefix(shop_factory):
    app, _, _ = shop_factory({"JOURNEYKIT_URL_PREFIX": "/jk"})
    client = app.test_client()
    with client.get("/jk/embed.js") as script:
        assert script.status_code == 200
    assert client.get("/journeykit/embed.js").status_code == 404
    assert client.get("/jk/api/v1/nothing").json["error"]["code"] == "not_found"


def test_the_jinja_global_renders_widgets_in_the_shops_templates(app):
    with app.test_request_context():
        html = render_template_string('{{ journeykit.reviews("sku-<1>") }} {{ journeykit.embed_script("tok\\"en") }}')
    assert '<journeykit-reviews class="journeykit journeykit-reviews" product="sku-&lt;1&gt;"' in html
    assert 'data-customer-token="tok&#34;en"' in html and "/journeykit/embed.js?v=" in html


def test_without_db_it_uses_the_apps_registered_instance(tmp_path):
    app = Flask("shop")
    app.config.update(SECRET_KEY="s", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/shop.sqlite3")
    db = SQLAlchemy(app)
    JourneyKit(app)
    assert app.extensions["journeykit"].db is db


def test_without_any_db_it_makes_sqlite_in_the_instance_folder(tmp_path):
    app = Flask("shop", instance_path=str(tmp_path / "instance"))
    app.config["SECRET_KEY"] = "s"
    JourneyKit(app)
    state = app.extensions["journeykit"]
    with app.app_context():
        jk_migrate.upgrade()
        assert state.db.engine.url.database == str(tmp_path / "instance" / "journeykit.sqlite3")
        state.db.engine.dispose()


def test_the_shops_create_all_and_drop_all_never_touch_journeykit_tables(shop):
    app, db, _ = shop
    with app.app_context():
        db.drop_all()
        names = set(sa.inspect(db.engine).get_table_names())
        assert "products" not in names
        assert {"journeykit_customers", "journeykit_orders"} <= names
        db.create_all()
        assert "products" in set(sa.inspect(db.engine).get_table_names())


def test_a_missing_secret_key_is_explained(tmp_path):
    app, _, journey = make_shop(f"sqlite:///{tmp_path}/s.sqlite3", {"SECRET_KEY": None})
    with app.test_request_context(), pytest.raises(RuntimeError, match="SECRET_KEY"):
        journey.customer_token("c-1")
