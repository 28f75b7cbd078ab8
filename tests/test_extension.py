"""Mounting JourneyKit: the extension object, its config, and coexistence with the shop."""

from __future__ import annotations

import re
from typing import Iterator

import pytest
import sqlalchemy as sa
from flask import Flask, render_template_string
from flask_sqlalchemy import SQLAlchemy

from journeykit import JourneyKit
from journeykit.core import config
from journeykit.core import migrate as jk_migrate
from journeykit.core.db import VERSION_TABLE, metadata
from journeykit.extension import AppState

from .conftest import make_shop

LOYALTY = "/journeykit/api/v1/me/loyalty"
#: Keys the test shop of conftest.py sets itself.
SET_BY_THE_TEST_SHOP = {"JOURNEYKIT_ADMIN_API_KEYS", "JOURNEYKIT_STRIPE_WEBHOOK_SECRET"}


def _tables(db: SQLAlchemy) -> set[str]:
    return set(sa.inspect(db.engine).get_table_names())


def test_every_config_key_gets_its_default_and_the_shops_values_stay(shop_factory):
    app, db, journey = shop_factory({"JOURNEYKIT_POINTS_PER_UNIT": 5, "JOURNEYKIT_SHOP_NAME": "Corner Shop"})
    for key, default in config.DEFAULTS.items():
        if key not in SET_BY_THE_TEST_SHOP | {"JOURNEYKIT_POINTS_PER_UNIT", "JOURNEYKIT_SHOP_NAME"}:
            assert app.config[key] == default, key
    assert (app.config["JOURNEYKIT_POINTS_PER_UNIT"], app.config["JOURNEYKIT_SHOP_NAME"]) == (5, "Corner Shop")
    assert app.extensions["journeykit"] == AppState(journey=journey, db=db, bind_key=None)


def test_list_defaults_are_copied_per_app(tmp_path):
    """Appending to one app's origins must not grant them to every app in the process."""
    first, _, _ = make_shop(f"sqlite:///{tmp_path}/first.sqlite3")
    first.config["JOURNEYKIT_ALLOWED_ORIGINS"].append("https://first.example")
    second, _, _ = make_shop(f"sqlite:///{tmp_path}/second.sqlite3")
    assert second.config["JOURNEYKIT_ALLOWED_ORIGINS"] == [] and config.DEFAULTS["JOURNEYKIT_ALLOWED_ORIGINS"] == []


def test_a_second_init_app_says_what_to_do(tmp_path):
    app, _, journey = make_shop(f"sqlite:///{tmp_path}/s.sqlite3")
    with pytest.raises(RuntimeError, match=r"already registered.*init_app once per app"):
        journey.init_app(app)
    with pytest.raises(RuntimeError, match="already registered"):
        JourneyKit(app)


@pytest.fixture
def two_shops(database_url: str, tmp_path) -> Iterator[tuple[JourneyKit, list[tuple[Flask, SQLAlchemy]]]]:
    """The app-factory pattern: ``db = SQLAlchemy()`` and ``journey = JourneyKit(db=db)`` at
    import time, then ``init_app`` on two apps, each with its own database: north on the
    test's (SQLite or PostgreSQL), south on a SQLite file.
    """
    db = SQLAlchemy()
    journey = JourneyKit(db=db)
    shops = []
    for name, url in (("north", database_url), ("south", f"sqlite:///{tmp_path}/south.sqlite3")):
        app = Flask(name)
        app.config.update(SECRET_KEY=f"{name}-secret", SQLALCHEMY_DATABASE_URI=url)
        journey.init_app(app)
        with app.app_context():
            jk_migrate.upgrade()
        shops.append((app, db))
    yield journey, shops
    for app, db in shops:
        with app.app_context():
            db.engine.dispose()


def test_one_object_serves_two_apps_with_their_own_databases(two_shops):
    journey, shops = two_shops
    for (app, _), customer in zip(shops, ("n-1", "s-1")):
        with app.test_request_context():
            token = journey.customer_token(customer)
        response = app.test_client().get(LOYALTY, headers={"X-JourneyKit-Customer": token})
        assert response.status_code == 200, response.json
    for (app, db), customer in zip(shops, ("n-1", "s-1")):
        assert app.extensions["journeykit"].journey is journey and app.extensions["journeykit"].db is db
        with app.app_context():
            assert db.session.scalars(sa.text("SELECT shop_customer_id FROM journeykit_customers")).all() == [customer]


def test_a_token_of_one_app_means_nothing_to_the_other(two_shops):
    journey, [(north, _), (south, _)] = two_shops
    with south.test_request_context():
        south_token = journey.customer_token("s-1")
    refused = north.test_client().get(LOYALTY, headers={"X-JourneyKit-Customer": south_token})
    assert refused.status_code == 401 and refused.json["error"]["code"] == "token_invalid"


def test_the_blueprint_follows_the_url_prefix(shop_factory, admin_headers):
    app, _, _ = shop_factory({"JOURNEYKIT_URL_PREFIX": "/jk"})
    client = app.test_client()
    with client.get("/jk/embed.js") as script:
        assert script.status_code == 200
    assert client.get("/jk/api/v1/admin/customers", headers=admin_headers).json == {"items": [], "next": None}
    assert client.get("/jk/admin/", headers=admin_headers).status_code == 200
    assert client.get("/journeykit/embed.js").status_code == 404
    assert client.get("/jk/api/v1/nothing").json["error"]["code"] == "not_found"


def test_the_jinja_global_renders_widgets_in_the_shops_templates(app):
    with app.test_request_context():
        html = render_template_string('{{ journeykit.reviews("sku-1") }} {{ journeykit.embed_script("tok\\"en") }}')
        escaped = render_template_string('{{ journeykit.reviews("sku-<1>") }}')
    assert '<journeykit-reviews class="journeykit journeykit-reviews" product="sku-1"' in html
    assert 'data-customer-token="tok&#34;en"' in html and "/journeykit/embed.js?v=" in html
    assert 'product="sku-&lt;1&gt;"' in escaped and "sku-<1>" not in escaped


def test_the_embed_script_carries_the_shops_visitor_id_when_it_has_a_valid_one(app):
    visitor = "v-shop-0123456789abcdef"
    script = '{{ journeykit.embed_script(visitor_id=v) }}'
    with app.test_request_context(headers={"Cookie": f"journeykit_visitor={visitor}"}):
        from_cookie = render_template_string(script, v=None)
        given = render_template_string(script, v="v-given-0123456789abcdef")
        hostile = render_template_string(script, v='"><script>alert(1)</script>')
    with app.test_request_context(headers={"Cookie": "journeykit_visitor=short"}):
        malformed_cookie = render_template_string(script, v=None)
    assert f'data-visitor-id="{visitor}"' in from_cookie
    assert 'data-visitor-id="v-given-0123456789abcdef"' in given
    assert "data-visitor-id" not in hostile and "<script>alert" not in hostile
    assert "data-visitor-id" not in malformed_cookie


def test_without_db_it_uses_the_apps_registered_instance(tmp_path):
    app = Flask("shop")
    app.config.update(SECRET_KEY="s", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/shop.sqlite3")
    db = SQLAlchemy(app)
    JourneyKit(app)
    assert app.extensions["journeykit"].db is db and app.extensions["sqlalchemy"] is db


def test_without_any_db_it_makes_sqlite_in_the_instance_folder(tmp_path):
    instance = tmp_path / "instance"
    app = Flask("shop", instance_path=str(instance))
    app.config["SECRET_KEY"] = "s"
    journey = JourneyKit(app)
    state = app.extensions["journeykit"]
    assert app.extensions["sqlalchemy"] is state.db
    with app.app_context():
        jk_migrate.upgrade()
        assert state.db.engine.url.database == str(instance / "journeykit.sqlite3")
        with app.test_request_context():
            token = journey.customer_token("c-1")
        assert app.test_client().get(LOYALTY, headers={"X-JourneyKit-Customer": token}).status_code == 200
        state.db.engine.dispose()
    assert (instance / "journeykit.sqlite3").is_file()


def test_the_shops_create_all_never_creates_journeykit_tables(shop_factory):
    app, db, _ = shop_factory(migrate=False)
    with app.app_context():
        assert _tables(db) == {"products"}


def test_both_sets_of_tables_coexist_and_drop_all_leaves_journeykit_alone(shop):
    app, db, _ = shop
    Product = app.extensions["shop_models"]["Product"]
    with app.app_context():
        assert {"products", "journeykit_customers", "journeykit_orders", "journeykit_journey_events"} <= _tables(db)
        db.session.add(Product(name="Mug"))
        db.session.commit()
        db.drop_all()
        after_drop = _tables(db)
        assert "products" not in after_drop
        assert {name for name in after_drop if name.startswith("journeykit_")} == {*metadata.tables, VERSION_TABLE}
        db.create_all()
        assert "products" in _tables(db)


def test_a_missing_secret_key_is_explained(tmp_path):
    app, _, journey = make_shop(f"sqlite:///{tmp_path}/s.sqlite3", {"SECRET_KEY": None})
    with app.test_request_context(), pytest.raises(RuntimeError, match="SECRET_KEY"):
        journey.customer_token("c-1")


def test_a_signed_in_shopper_gets_the_review_form_on_a_same_site_page_without_token_plumbing(app, journey, client):
    """With a customer_loader (three values: id, e-mail, name), embed_script() carries the shopper's token itself."""
    from flask import request

    from journeykit.core.identity import Shopper, read_token

    journey.customer_loader(lambda: ("42", "ann@example.com", "Ann") if request.cookies.get("shop_session") else None)
    script = "{{ journeykit.embed_script() }}"
    with app.test_request_context(headers={"Cookie": "shop_session=ann"}):
        signed_in = render_template_string(script)
    with app.test_request_context():
        anonymous = render_template_string(script)
    token = re.search(r'data-customer-token="([^"]+)"', signed_in).group(1)
    assert read_token(app, token) == Shopper("42", "ann@example.com", "Ann")
    assert "data-customer-token" not in anonymous
    client.set_cookie("shop_session", "ann")
    assert client.get("/journeykit/api/v1/me/loyalty").status_code == 200  # the loader's three values, same site


def test_an_unsupported_database_is_refused_at_start_with_a_message():
    app = Flask("mssql_shop")
    app.config.update(SECRET_KEY="s", SQLALCHEMY_DATABASE_URI="mssql+pyodbc://shop@127.0.0.1/shop")
    with pytest.raises(RuntimeError, match="supports SQLite, PostgreSQL, MySQL 8 and MariaDB; this app.s database is mssql"):
        JourneyKit(app)
    assert "journeykit" not in app.extensions
