"""The demo shop (examples/demoshop) for its tests: one seeded shop per test module, and the steps a shopper takes.

Seeding logs six weeks of visits and sends ~40 signed webhook deliveries; each
test works with its own customer or guest, so the tests of a module do not
depend on one another's orders.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from examples.demoshop import create_app
from examples.demoshop import models as shop
from journeykit.core.db import metadata as journeykit_metadata

#: A browser's user agent, for the demo's visitors (the test client's own is taken for a script).
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The demo shop on a fresh SQLite database, set up and seeded as on first start."""
    journeykit_metadata.info.pop("bind_key", None)  # another test's shop may have set a bind
    path = tmp_path_factory.mktemp("demoshop") / "demo.sqlite3"
    photos = tmp_path_factory.mktemp("demoshop-photos")  # not the instance folder of the repository
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
                      "JOURNEYKIT_REVIEW_PHOTOS_DIR": str(photos)})
    yield app
    with app.app_context():
        shop.db.session.remove()
        shop.db.engine.dispose()


def rows(app: Flask, statement: Any) -> list[Any]:
    with app.app_context():
        return list(shop.db.session.scalars(statement))


def shop_customer(app: Flask, email: str) -> shop.Customer:
    return rows(app, sa.select(shop.Customer).where(shop.Customer.email == email))[0]


def form_token(client: FlaskClient, path: str = "/") -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True))
    assert match, "the page has no form token"
    return match.group(1)


def sign_in(client: FlaskClient, customer: shop.Customer) -> str:
    token = form_token(client, "/signin")
    response = client.post("/signin", data={"customer_id": customer.id, "csrf_token": token})
    assert response.status_code == 302
    return form_token(client, "/account")


def completed_order(response: Any) -> int:
    match = re.search(r"/orders/(\d+)/complete", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))
