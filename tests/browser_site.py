"""Two real sites for the browser tests: JourneyKit's shop on one origin, a storefront on another.

Import the ``sites`` fixture into a test module (``from .browser_site import sites``).
The shop also serves ``/page`` (``sites["shop_page"]``, a Jinja template), for
pages that render JourneyKit's fragments on the server.
"""

from __future__ import annotations

import io
import pathlib
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask, render_template_string
from werkzeug.serving import make_server

from journeykit.core import migrate
from journeykit.models import JourneyEvent

from .conftest import ADMIN_KEY, make_shop

ROOT = pathlib.Path(__file__).resolve().parents[1]
SHOTS = ROOT / "artifacts" / "screenshots"
ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}
API = "/journeykit/api/v1"


def serve(app: Flask) -> tuple[str, Any]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}", server


@pytest.fixture
def sites(tmp_path: pathlib.Path) -> Iterator[dict[str, Any]]:
    """JourneyKit's shop on one origin, a bare storefront page on another."""
    storefront = Flask("storefront")
    page = {"html": ""}
    storefront.add_url_rule("/", "home", lambda: page["html"])
    front_url, front_server = serve(storefront)
    app, db, journey = make_shop(f"sqlite:///{tmp_path}/shop.sqlite3", {
        "JOURNEYKIT_ALLOWED_ORIGINS": [front_url], "JOURNEYKIT_REVIEW_PHOTOS_DIR": str(tmp_path / "photos")})
    shop_page = {"template": ""}
    app.add_url_rule("/page", "page", lambda: render_template_string(shop_page["template"]))
    with app.app_context():
        db.create_all()
        migrate.upgrade()
    shop_url, shop_server = serve(app)
    yield {"app": app, "journey": journey, "shop": shop_url, "front": front_url, "page": page, "shop_page": shop_page}
    for server in (front_server, shop_server):
        server.shutdown()
    with app.app_context():
        db.engine.dispose()


def token_for(sites: dict[str, Any], customer: str, name: str | None = None) -> str:
    with sites["app"].test_request_context():
        return sites["journey"].customer_token(customer, name=name or customer.title())


def storefront(sites: dict[str, Any], body: str, *, customer: str | None = None, lang: str = "en", script_attrs: str = "") -> str:
    """Put ``body`` on the storefront page with the embed script; returns the page's URL."""
    attrs = script_attrs + (f' data-customer-token="{token_for(sites, customer)}"' if customer else "")
    sites["page"]["html"] = (
        f'<!doctype html><html lang="{lang}"><head><title>Storefront</title>'
        f'<style>body{{font-family:sans-serif;--journeykit-star-color:#c2410c}}</style></head><body>'
        f'<h1>Storefront</h1>{body}<script src="{sites["shop"]}/journeykit/embed.js" async{attrs}></script></body></html>'
    )
    return sites["front"] + "/"


def shop_page(sites: dict[str, Any], body: str, *, customer: str | None = None) -> str:
    """A page of the shop itself that renders JourneyKit's fragments (Jinja) and the embed script."""
    token = f'"{token_for(sites, customer)}"' if customer else "None"
    sites["shop_page"]["template"] = (
        '<!doctype html><html lang="en"><head><title>Shop</title></head><body><h1>Shop</h1>'
        f"{body}{{{{ journeykit.embed_script({token}) }}}}</body></html>"
    )
    return sites["shop"] + "/page"


def publish_review(sites: dict[str, Any], customer: str, product: str = "sku-1", **review: Any) -> int:
    client = sites["app"].test_client()
    headers = {"X-JourneyKit-Customer": token_for(sites, customer, review.pop("name", customer))}
    created = client.post(f"{API}/products/{product}/reviews", json=review, headers=headers).json
    assert client.post(f"{API}/admin/reviews/{created['id']}/publish", headers=ADMIN).status_code == 200
    return created["id"]


def add_photo(sites: dict[str, Any], customer: str, review_id: int, size: tuple[int, int], colour: str) -> None:
    """The author uploads a PNG; the review goes back through moderation, so publish it again."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    client = sites["app"].test_client()
    uploaded = client.post(f"{API}/reviews/{review_id}/photos", data={"photo": (io.BytesIO(buffer.getvalue()), "p.png")},
                           headers={"X-JourneyKit-Customer": token_for(sites, customer)})
    assert uploaded.status_code == 201, uploaded.json
    assert client.post(f"{API}/admin/reviews/{review_id}/publish", headers=ADMIN).status_code == 200


def publish_testimonial(sites: dict[str, Any], name: str, body: str, tags: list[str] | None = None) -> None:
    client = sites["app"].test_client()
    created = client.post(f"{API}/testimonials", json={"name": name, "body": body, "consent": True}).json
    if tags:
        client.patch(f"{API}/admin/testimonials/{created['id']}", json={"tags": tags}, headers=ADMIN)
    assert client.post(f"{API}/admin/testimonials/{created['id']}/publish", headers=ADMIN).status_code == 200


def admin_get(sites: dict[str, Any], path: str) -> Any:
    return sites["app"].test_client().get(API + path, headers=ADMIN).json


def events(sites: dict[str, Any]) -> list[tuple[str, str | None, dict[str, Any]]]:
    """What the server stored from browsers: (name, product_id, properties), oldest first."""
    with sites["app"].app_context():
        rows = sites["app"].extensions["sqlalchemy"].session.scalars(
            sa.select(JourneyEvent).where(JourneyEvent.source == "browser").order_by(JourneyEvent.id)
        )
        return [(row.name, row.product_id, row.properties) for row in rows]


def wait_until(check: Callable[[], Any], timeout: float = 5.0) -> Any:
    """Poll ``check`` until it returns something truthy (the server side of a beacon is asynchronous)."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.05)


def screenshot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=True, animations="disabled")
